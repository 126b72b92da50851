package canonical

import (
	"bytes"
	"testing"
)

func TestDataURLRoundTrip(t *testing.T) {
	for _, data := range [][]byte{{}, {1}, {1, 2}, []byte("hello, image")} {
		mime, got, isData, err := ParseDataURL(DataURL("image/png", data))
		if err != nil || !isData || mime != "image/png" || !bytes.Equal(got, data) {
			t.Fatalf("%v: %q %v %v %v", data, mime, got, isData, err)
		}
	}
	if _, _, isData, _ := ParseDataURL("https://x/y.png"); isData {
		t.Fatal("an http URL is no data URL")
	}
	if _, _, isData, _ := ParseDataURL("data:text/plain,hi"); isData {
		t.Fatal("non-base64 data URLs stay URLs")
	}
	if _, got, _, err := ParseDataURL("data:image/png;base64,aGk"); err != nil || string(got) != "hi" {
		t.Fatalf("unpadded: %q %v", got, err)
	}
	if _, _, isData, err := ParseDataURL("data:image/png;base64,!!!"); !isData || err == nil {
		t.Fatal("a bad payload must be an error")
	}
}
