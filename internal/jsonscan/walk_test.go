package jsonscan

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestElements(t *testing.T) {
	var got []string
	err := Elements([]byte(` [ {"a":[1,2]} , "x,]" ,3,null ] `), func(e []byte) error {
		got = append(got, string(e))
		return nil
	})
	if err != nil || strings.Join(got, "|") != `{"a":[1,2]}|"x,]"|3|null` {
		t.Fatalf("got %q, %v", got, err)
	}
	if err := Elements([]byte(`[]`), func([]byte) error { t.Fatal("called on an empty array"); return nil }); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{``, `{}`, `[1,]`, `[1 2]`, `[1`, `[1] x`, `["a\x01"]`} {
		if err := Elements([]byte(bad), func([]byte) error { return nil }); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	stop := errors.New("stop")
	n := 0
	if err := Elements([]byte(`[1,2,3]`), func([]byte) error { n++; return stop }); err != stop || n != 1 {
		t.Fatalf("fn's error must stop the walk: %v after %d", err, n)
	}
}

func TestMembers(t *testing.T) {
	var got []string
	err := Members([]byte(` { "a" : [1,{"b":2}] , "k\u0065y":"v" ,"n":null} `), func(k []byte, esc bool, v []byte) error {
		got = append(got, fmt.Sprintf("%s/%v=%s", k, esc, v))
		return nil
	})
	if err != nil || strings.Join(got, "|") != `a/false=[1,{"b":2}]|k\u0065y/true="v"|n/false=null` {
		t.Fatalf("got %q, %v", got, err)
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a":1`, `{} x`} {
		if err := Members([]byte(bad), func([]byte, bool, []byte) error { return nil }); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
