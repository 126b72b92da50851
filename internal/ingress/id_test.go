package ingress

import (
	"regexp"
	"testing"
	"time"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Minted request ids are UUIDs version 7: well formed, the time in their
// first 48 bits (so later ids sort after earlier ones), random after it.
func TestNewUUIDv7(t *testing.T) {
	t0 := time.UnixMilli(1795657095123)
	a, b := newUUIDv7(t0), newUUIDv7(t0)
	later := newUUIDv7(t0.Add(time.Millisecond))
	for _, id := range []string{a, b, later} {
		if !uuidV7.MatchString(id) {
			t.Fatalf("%q is not a version 7 UUID", id)
		}
	}
	if a[:8] != "01a21580" || a[9:13] != "d7d3" {
		t.Fatalf("%q does not start with the time 1795657095123 ms (0x01a21580d7d3)", a)
	}
	if a == b {
		t.Fatal("two ids of the same millisecond are equal")
	}
	if !(later > a && later > b) {
		t.Fatalf("an id minted a millisecond later (%s) does not sort after %s and %s", later, a, b)
	}
}
