// Package auth authenticates virtual keys (SPEC §3) from request headers,
// before the body is read. Records are cached in memory; the cache is dropped
// whenever the store's change version moves, so a key disabled or revoked by
// another process (the `nexus keys` CLI) stops working on the next request.
package auth

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// KeyStore is what auth needs from the store.
type KeyStore interface {
	KeyByHash(ctx context.Context, hash string) (store.VirtualKey, error)
	ChangeVersion(ctx context.Context) (int64, error)
}

// Authenticator resolves a presented token to a key.
type Authenticator struct {
	store  KeyStore
	hasher *vkey.Hasher
	now    func() time.Time

	gen atomic.Pointer[generation]
	// epoch anchors the monotonic clock the version reuse window is read
	// on: real time, like the store's grace after a key change, never the
	// injectable now (a frozen test clock would reuse a version forever).
	epoch time.Time
}

// generation is the cache valid for one store change version; a new version
// swaps in a fresh generation instead of locking and clearing a shared map.
type generation struct {
	version int64
	keys    sync.Map // hash → *store.VirtualKey
	// read is when (ns since epoch) the latest read that found version
	// began; within store.KeyChangeReuse of it the version is reused.
	read atomic.Int64
}

// New builds an Authenticator. now may be nil (time.Now).
func New(s KeyStore, h *vkey.Hasher, now func() time.Time) *Authenticator {
	if now == nil {
		now = time.Now
	}
	a := &Authenticator{store: s, hasher: h, now: now, epoch: time.Now()}
	a.gen.Store(&generation{version: -1})
	return a
}

// Carrier names a header that may carry the key on a route.
type Carrier string

// Carriers in precedence order (SPEC §3.4): the first non-empty wins.
const (
	CarrierNexus     Carrier = "X-Nexus-Virtual-Key"
	CarrierBearer    Carrier = "Authorization"
	CarrierAnthropic Carrier = "X-Api-Key"
	CarrierGemini    Carrier = "X-Goog-Api-Key"
	CarrierAzure     Carrier = "Api-Key"
)

// Extract finds the key in the first non-empty carrier. Query parameters are
// never consulted: credentials must not ride in URLs.
func Extract(h http.Header, carriers []Carrier) string {
	for _, c := range carriers {
		v := strings.TrimSpace(h.Get(string(c)))
		if v == "" {
			continue
		}
		if c == CarrierBearer {
			const p = "bearer "
			if len(v) < len(p) || !strings.EqualFold(v[:len(p)], p) {
				continue
			}
			v = strings.TrimSpace(v[len(p):])
			if v == "" {
				continue
			}
		}
		return v
	}
	return ""
}

// Errors of SPEC §3.5, built fresh so callers may annotate them.
func errMissing() *canonical.Error {
	return canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_KEY_MISSING", "no virtual key was presented").
		WithHint("send the key as x-nexus-virtual-key or Authorization: Bearer")
}
func errInvalid() *canonical.Error {
	return canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_INVALID_KEY", "the virtual key is not valid").
		WithHint("check the key; it starts with nvk_")
}
func errDisabled() *canonical.Error {
	return canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_KEY_DISABLED", "the virtual key is disabled").
		WithHint("the key was disabled or revoked by an administrator")
}
func errExpired() *canonical.Error {
	return canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_KEY_EXPIRED", "the virtual key has expired").
		WithHint("request a new key")
}

// Authenticate checks token and returns the key it names.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (*pipeline.Key, error) {
	if token == "" {
		return nil, errMissing()
	}
	if !vkey.Plausible(token) {
		return nil, errInvalid()
	}
	g, err := a.current(ctx)
	if err != nil {
		return nil, err
	}
	rec, err := a.lookup(ctx, g, token)
	if err != nil {
		return nil, err
	}
	switch {
	case !rec.Enabled || (rec.Status != "" && rec.Status != "active"):
		return nil, errDisabled()
	case rec.ExpiresAt != nil && !a.now().Before(*rec.ExpiresAt):
		return nil, errExpired()
	}
	return &pipeline.Key{ID: rec.ID, Name: rec.Name, Prefix: rec.Prefix, AllowedModels: rec.AllowedModels, RPM: rec.RPM, Labels: rec.Labels}, nil
}

// current returns the key cache for the store's change version. It reads
// the version at most once per store.KeyChangeReuse: a call that changes a
// key returns only store.KeyChangeGrace (longer) after its commit, so a
// request that arrives after such a call has returned finds the version
// read again since the commit, and the change takes effect on it. Under
// load this spares most reads; for a request at a time it takes a store
// round trip (tens of µs on SQLite) off most requests.
func (a *Authenticator) current(ctx context.Context) (*generation, error) {
	start := int64(time.Since(a.epoch))
	g := a.gen.Load()
	if read := g.read.Load(); read > 0 && start >= read && start-read < int64(store.KeyChangeReuse) {
		return g, nil
	}
	v, err := a.store.ChangeVersion(ctx)
	if err != nil {
		return nil, &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusServiceUnavailable, Code: "AUTH_STORE_UNAVAILABLE",
			Message: "the key store is unavailable", Cause: err}
	}
	g = a.gen.Load()
	if g.version == v {
		g.read.Store(start)
		return g, nil
	}
	fresh := &generation{version: v}
	fresh.read.Store(start)
	a.gen.CompareAndSwap(g, fresh) // a lost race means another request installed the same or newer generation
	return a.gen.Load(), nil
}

func (a *Authenticator) lookup(ctx context.Context, g *generation, token string) (*store.VirtualKey, error) {
	for i, h := range a.hasher.Candidates(token) {
		if v, ok := g.keys.Load(h); ok {
			return v.(*store.VirtualKey), nil
		}
		rec, err := a.store.KeyByHash(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusServiceUnavailable, Code: "AUTH_STORE_UNAVAILABLE",
				Message: "the key store is unavailable", Cause: err}
		}
		_ = i
		g.keys.Store(h, &rec)
		return &rec, nil
	}
	// Unknown keys are not cached: a key created a moment later must work.
	return nil, errInvalid()
}
