package store

import (
	"bytes"
	"crypto/rand"
	"testing"
)

func TestNewUUID(t *testing.T) {
	tests := []struct {
		name    string
		src     []byte
		want    string
		wantErr bool
	}{
		{
			name: "all ones get version and variant bits forced",
			src:  bytes.Repeat([]byte{0xff}, 16),
			want: "ffffffff-ffff-4fff-bfff-ffffffffffff",
		},
		{
			name: "all zeros",
			src:  make([]byte, 16),
			want: "00000000-0000-4000-8000-000000000000",
		},
		{
			name: "byte order is preserved",
			src:  []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef},
			want: "01234567-89ab-4def-8123-456789abcdef",
		},
		{name: "short random source", src: make([]byte, 15), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newUUID(bytes.NewReader(tt.src))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v", err)
			}
			if got != tt.want {
				t.Fatalf("newUUID = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewUUIDRandomShape(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		u, err := newUUID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !uuidV4.MatchString(u) || seen[u] {
			t.Fatalf("bad or repeated uuid %q", u)
		}
		seen[u] = true
	}
}

func TestCreateKeyUsesInjectedRandom(t *testing.T) {
	src := bytes.Repeat([]byte{0x11}, 16)
	db := openAt(t, "sqlite://:memory:", WithRandom(bytes.NewReader(src)))
	k := mustCreate(t, db, sampleKey(1))
	if k.ID != "11111111-1111-4111-9111-111111111111" {
		t.Fatalf("id %q not derived from the injected source", k.ID)
	}
	// The source is exhausted: the next id cannot be generated.
	if err := db.CreateKey(t.Context(), sampleKey(2)); err == nil {
		t.Fatal("CreateKey succeeded with an exhausted random source")
	}
}
