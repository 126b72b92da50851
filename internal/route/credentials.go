package route

import (
	"fmt"
	"sync"
	"time"
)

// upstream is one provider with its credentials.
type upstream struct {
	name  string
	creds []*credential
}

// credential is one provider key with its bench state. A benched
// credential is skipped while others are available; SPEC §4: a provider is
// never fully excluded by benches, so when every credential is benched the
// one whose bench ends first is used anyway.
type credential struct {
	name    string
	weight  int
	adapter Adapter
	bit     uint64 // 1<<index, for per-request "already refused" sets

	mu     sync.Mutex
	until  time.Time // benched until
	reason string    // why ("401", "429")
}

// maxCredentials bounds credentials per provider (one bit each in a uint64).
const maxCredentials = 64

func newUpstream(p Provider) (*upstream, error) {
	if len(p.Credentials) == 0 {
		return nil, fmt.Errorf("route: provider %q has no credential", p.Name)
	}
	if len(p.Credentials) > maxCredentials {
		return nil, fmt.Errorf("route: provider %q has more than %d credentials", p.Name, maxCredentials)
	}
	u := &upstream{name: p.Name}
	for i, c := range p.Credentials {
		if c.Adapter == nil {
			return nil, fmt.Errorf("route: provider %q credential %q has no adapter", p.Name, c.Name)
		}
		w := c.Weight
		if w <= 0 {
			w = 1
		}
		u.creds = append(u.creds, &credential{name: c.Name, weight: w, adapter: c.Adapter, bit: 1 << i})
	}
	return u, nil
}

func (c *credential) benched(now time.Time) (bool, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return now.Before(c.until), c.until
}

// bench keeps the credential out of rotation for d (extending, never
// shortening, a bench already running).
func (c *credential) bench(now time.Time, d time.Duration, reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if until := now.Add(d); until.After(c.until) {
		c.until, c.reason = until, reason
	}
}

// ok lifts a bench after a success (the credential was used because it was
// the only one, or its bench ran out, and it works again).
func (c *credential) ok() {
	c.mu.Lock()
	if !c.until.IsZero() {
		c.until, c.reason = time.Time{}, ""
	}
	c.mu.Unlock()
}

// pick chooses the credential for one attempt: weighted random among the
// unbenched ones not in skip; when all of those are benched, the one whose
// bench ends first; nil when skip covers them all.
func (u *upstream) pick(now time.Time, rnd func() float64, skip uint64) *credential {
	if len(u.creds) == 1 {
		if skip&1 != 0 {
			return nil
		}
		return u.creds[0]
	}
	total := 0
	var soonest *credential
	var soonestAt time.Time
	for _, c := range u.creds {
		if skip&c.bit != 0 {
			continue
		}
		if b, until := c.benched(now); b {
			if soonest == nil || until.Before(soonestAt) {
				soonest, soonestAt = c, until
			}
			continue
		}
		total += c.weight
	}
	if total == 0 {
		return soonest
	}
	n := int(rnd() * float64(total))
	for _, c := range u.creds {
		if skip&c.bit != 0 {
			continue
		}
		if b, _ := c.benched(now); b {
			continue
		}
		if n < c.weight {
			return c
		}
		n -= c.weight
	}
	// A bench started between the two passes: any credential will do.
	for _, c := range u.creds {
		if skip&c.bit == 0 {
			return c
		}
	}
	return nil
}

// CredentialInfo is one credential's state as Explain reports it.
type CredentialInfo struct {
	Name         string
	Weight       int
	BenchedUntil time.Time // zero when in rotation
	Reason       string
}

func (u *upstream) info(now time.Time) []CredentialInfo {
	out := make([]CredentialInfo, len(u.creds))
	for i, c := range u.creds {
		c.mu.Lock()
		out[i] = CredentialInfo{Name: c.name, Weight: c.weight}
		if now.Before(c.until) {
			out[i].BenchedUntil, out[i].Reason = c.until, c.reason
		}
		c.mu.Unlock()
	}
	return out
}
