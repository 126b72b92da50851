package auth

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

func TestExtractHonoursCarrierOrderAndRoute(t *testing.T) {
	openai := []Carrier{CarrierNexus, CarrierBearer}
	anthropic := []Carrier{CarrierNexus, CarrierBearer, CarrierAnthropic}
	cases := []struct {
		name     string
		hdr      map[string]string
		carriers []Carrier
		want     string
	}{
		{"nexus header wins", map[string]string{"X-Nexus-Virtual-Key": "nvk_a", "Authorization": "Bearer nvk_b"}, openai, "nvk_a"},
		{"bearer", map[string]string{"Authorization": "Bearer  nvk_b "}, openai, "nvk_b"},
		{"bearer case-insensitive", map[string]string{"Authorization": "bearer nvk_b"}, openai, "nvk_b"},
		{"basic is not a carrier", map[string]string{"Authorization": "Basic abc"}, openai, ""},
		{"empty bearer", map[string]string{"Authorization": "Bearer   "}, openai, ""},
		{"x-api-key only on anthropic routes", map[string]string{"X-Api-Key": "nvk_c"}, openai, ""},
		{"x-api-key on anthropic", map[string]string{"X-Api-Key": "nvk_c"}, anthropic, "nvk_c"},
		{"blank nexus falls through", map[string]string{"X-Nexus-Virtual-Key": "  ", "Authorization": "Bearer nvk_d"}, openai, "nvk_d"},
	}
	for _, c := range cases {
		h := http.Header{}
		for k, v := range c.hdr {
			h.Set(k, v)
		}
		if got := Extract(h, c.carriers); got != c.want {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	f.Add("Bearer nvk_abc", "nvk_x", "k")
	f.Add("bearer", "", "\x00")
	f.Add("Bearer \t", " ", strings.Repeat("a", 600))
	f.Fuzz(func(t *testing.T, authz, nexus, apiKey string) {
		h := http.Header{}
		h["Authorization"] = []string{authz}
		h["X-Nexus-Virtual-Key"] = []string{nexus}
		h["X-Api-Key"] = []string{apiKey}
		got := Extract(h, []Carrier{CarrierNexus, CarrierBearer, CarrierAnthropic})
		if got != strings.TrimSpace(got) {
			t.Fatalf("untrimmed token %q", got)
		}
		if got != "" && !strings.Contains(authz+nexus+apiKey, got) {
			t.Fatalf("token %q not from any carrier", got)
		}
		_ = vkey.Plausible(got) // must not panic on anything extracted
	})
}

type fakeStore struct {
	keys    map[string]store.VirtualKey
	version atomic.Int64
	lookups atomic.Int64
	reads   atomic.Int64 // ChangeVersion calls
}

// change bumps the version the way the store does: the call that changes a
// key returns store.KeyChangeGrace after its commit.
func (f *fakeStore) change() {
	f.version.Add(1)
	time.Sleep(store.KeyChangeGrace)
}

func (f *fakeStore) KeyByHash(_ context.Context, h string) (store.VirtualKey, error) {
	f.lookups.Add(1)
	k, ok := f.keys[h]
	if !ok {
		return store.VirtualKey{}, store.ErrNotFound
	}
	return k, nil
}

func (f *fakeStore) ChangeVersion(context.Context) (int64, error) {
	f.reads.Add(1)
	return f.version.Load(), nil
}

func TestAuthenticateCachesUntilTheStoreChanges(t *testing.T) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	h, err := vkey.NewHasher(secret)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := vkey.Mint(rand.Reader)
	fs := &fakeStore{keys: map[string]store.VirtualKey{h.Hash(token): {ID: "k1", Name: "app", Enabled: true, Status: "active"}}}
	now := time.Unix(1000, 0)
	a := New(fs, h, func() time.Time { return now })
	for i := 0; i < 3; i++ {
		k, err := a.Authenticate(context.Background(), token)
		if err != nil || k.ID != "k1" {
			t.Fatalf("auth: %v %v", k, err)
		}
	}
	if fs.lookups.Load() != 1 {
		t.Fatalf("lookups = %d, want 1 (cached)", fs.lookups.Load())
	}
	rec := fs.keys[h.Hash(token)]
	rec.Enabled = false
	fs.keys[h.Hash(token)] = rec
	fs.change()
	if _, err := a.Authenticate(context.Background(), token); canonical.As(err).Code != "AUTH_KEY_DISABLED" {
		t.Fatalf("after change: %v", err)
	}
	exp := now.Add(-time.Second)
	rec.Enabled, rec.ExpiresAt = true, &exp
	fs.keys[h.Hash(token)] = rec
	fs.change()
	if _, err := a.Authenticate(context.Background(), token); canonical.As(err).Code != "AUTH_KEY_EXPIRED" {
		t.Fatalf("expired: %v", err)
	}
	for tok, code := range map[string]string{"": "AUTH_KEY_MISSING", "short": "AUTH_INVALID_KEY", "nvk_" + strings.Repeat("f", 64): "AUTH_INVALID_KEY"} {
		if _, err := a.Authenticate(context.Background(), tok); canonical.As(err).Code != code {
			t.Errorf("%q: %v", tok, err)
		}
	}
}

// The change version is read at most once per store.KeyChangeReuse: a burst
// of requests shares one read, and a request after the reuse window reads
// again (so a change, whose call returns only after the longer grace, is
// seen by every request sent after it returned).
func TestChangeVersionIsReusedBrieflyOnly(t *testing.T) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	h, err := vkey.NewHasher(secret)
	if err != nil {
		t.Fatal(err)
	}
	token, _ := vkey.Mint(rand.Reader)
	fs := &fakeStore{keys: map[string]store.VirtualKey{h.Hash(token): {ID: "k1", Name: "app", Enabled: true, Status: "active"}}}
	a := New(fs, h, nil)
	start := time.Now()
	for i := 0; i < 50; i++ {
		if _, err := a.Authenticate(context.Background(), token); err != nil {
			t.Fatal(err)
		}
	}
	if time.Since(start) < store.KeyChangeReuse/2 && fs.reads.Load() > 2 {
		t.Fatalf("%d version reads for a burst of 50 requests", fs.reads.Load())
	}
	before := fs.reads.Load()
	time.Sleep(store.KeyChangeReuse + time.Millisecond)
	if _, err := a.Authenticate(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	if fs.reads.Load() != before+1 {
		t.Fatal("the version was not read again after the reuse window")
	}
	if store.KeyChangeGrace <= store.KeyChangeReuse {
		t.Fatal("a change's grace must exceed the reuse window")
	}
}
