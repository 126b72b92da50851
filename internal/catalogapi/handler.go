// Package catalogapi serves the model catalogue to virtual-key holders:
// GET /v1/models and GET /v1/models/{model} (SPEC §2.4).
//
// Both are scoped to the caller's key: the list holds only models the key's
// allowlist admits, and a model outside it answers 404 "model not found:
// <id>" exactly like an unknown one, so a key learns nothing about models it
// may not use. Detail looks up the exact model code; aliases are not
// resolved here.
//
// Shape: a request carrying anthropic-version gets Anthropic's list shape
// ({data, has_more:false, first_id, last_id}; entries type/id/display_name/
// created_at/max_input_tokens/max_tokens plus the Nexus extension fields),
// any other the OpenAI shape ({object:"list", data}; entries id/object/
// created/owned_by plus the extension fields). created and created_at are
// the current time, not stored values. Extension fields are omitted when
// unset; the pricing block when all four prices are unknown.
//
// Key carriers: x-nexus-virtual-key and Authorization: Bearer, and — only
// when anthropic-version is present — x-api-key. The reference accepts no
// x-api-key here, so stock Anthropic SDKs that authenticate with x-api-key
// (Python, TypeScript) cannot list models through it (SPEC §16.17);
// accepting it on the requests that announce themselves as Anthropic fixes
// that without widening the carriers of OpenAI-shape callers.
// (anthropic-sdk-go v2 sends its API key as a Bearer token, which works
// either way.)
//
// Errors use the fixed flat bodies of SPEC §2.4 / §9.1, whatever the shape:
// 401 {"error":{"message":"authentication required: provide a valid virtual
// key"}}, 404 {"error":{"message":"model not found: <id>"}}, and, from the
// per-key RPM limiter (the data plane's bucket), 429 in plain text with
// Retry-After and X-RateLimit-Limit.
package catalogapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/ratelimit"
)

// Mount points: ListPath serves the list, DetailPrefix + <model> the detail
// (the model code may itself contain slashes, e.g. "openai/gpt-4o").
const (
	ListPath     = "/v1/models"
	DetailPrefix = "/v1/models/"
)

// Models is the catalogue source. List returns the enabled models in the
// order the listing should show them; it is called once per request and
// its result is not modified.
type Models interface {
	List() []Entry
}

// Authenticator resolves a presented virtual key (auth.Authenticator).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*pipeline.Key, error)
}

// Limiter is the per-key requests-per-minute limiter shared with the data
// plane (ratelimit.Limiter), so catalogue reads count against the same bucket.
type Limiter interface {
	Allow(keyID string, rpm int) (ok bool, retryAfter time.Duration)
}

// Config wires a Handler.
type Config struct {
	Models Models        // required
	Auth   Authenticator // required
	// Allowed reports whether a key may see an entry (nil: DefaultAllowed).
	Allowed func(*pipeline.Key, Entry) bool
	// Limiter enforces the key's RPM (nil: no limit).
	Limiter Limiter
	// Now is the clock for created / created_at (nil: time.Now).
	Now func() time.Time
}

// Handler serves both catalogue routes; mount it at ListPath and DetailPrefix.
type Handler struct {
	cfg Config
}

// New checks cfg and fills its defaults.
func New(cfg Config) (*Handler, error) {
	if cfg.Models == nil || cfg.Auth == nil {
		return nil, errors.New("catalogapi: Models and Auth are required")
	}
	if cfg.Allowed == nil {
		cfg.Allowed = DefaultAllowed
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Handler{cfg: cfg}, nil
}

const (
	msgAuth     = "authentication required: provide a valid virtual key"
	msgNotFound = "model not found: "
)

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeMessage(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed; use GET")
		return
	}
	id, detail, ok := modelFromPath(r.URL.Path)
	if !ok {
		writeMessage(w, http.StatusNotFound, "no route for "+r.URL.Path)
		return
	}
	anthropic := r.Header.Get("anthropic-version") != ""
	carriers := [...]auth.Carrier{auth.CarrierNexus, auth.CarrierBearer, auth.CarrierAnthropic}
	n := 2 // x-api-key only for callers that announce themselves as Anthropic
	if anthropic {
		n = 3
	}
	key, err := h.cfg.Auth.Authenticate(r.Context(), auth.Extract(r.Header, carriers[:n]))
	if err != nil || key == nil {
		h.authFailed(w, err)
		return
	}
	if key.RPM > 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(key.RPM))
		if h.cfg.Limiter != nil {
			if ok, wait := h.cfg.Limiter.Allow(key.ID, key.RPM); !ok {
				w.Header().Set("Retry-After", strconv.Itoa(ratelimit.RetryAfterSeconds(wait)))
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("X-Content-Type-Options", "nosniff")
				w.WriteHeader(http.StatusTooManyRequests)
				_, _ = w.Write([]byte("rate limit exceeded: this virtual key is limited to " + strconv.Itoa(key.RPM) + " requests per minute\n"))
				return
			}
		}
	}
	now := h.cfg.Now()
	if detail {
		h.serveDetail(w, key, id, anthropic, now)
		return
	}
	h.serveList(w, key, anthropic, now)
}

// modelFromPath splits the request path into list or detail(<id>). The id is
// the decoded rest of the path, so "openai%2Fgpt-4o" and "openai/gpt-4o"
// both name the model "openai/gpt-4o".
func modelFromPath(path string) (id string, detail, ok bool) {
	switch {
	case path == ListPath || path == DetailPrefix:
		return "", false, true
	case strings.HasPrefix(path, DetailPrefix):
		return path[len(DetailPrefix):], true, true
	}
	return "", false, false
}

// authFailed answers 401 for any authentication failure (the reason is not
// revealed, SPEC §2.4); a failure of the key store itself keeps its status
// so an outage is not reported as a bad key.
func (h *Handler) authFailed(w http.ResponseWriter, err error) {
	if err != nil {
		if ce := canonical.As(err); ce.Kind != canonical.KindAuth && ce.Status >= 500 {
			writeMessage(w, ce.Status, ce.Message)
			return
		}
	}
	writeMessage(w, http.StatusUnauthorized, msgAuth)
}

func (h *Handler) serveList(w http.ResponseWriter, key *pipeline.Key, anthropic bool, now time.Time) {
	all := h.cfg.Models.List()
	if anthropic {
		out := anthropicList{Data: make([]anthropicEntry, 0, len(all))}
		for i := range all {
			if h.cfg.Allowed(key, all[i]) {
				out.Data = append(out.Data, toAnthropic(&all[i], now))
			}
		}
		if n := len(out.Data); n > 0 {
			out.FirstID, out.LastID = out.Data[0].ID, out.Data[n-1].ID
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	out := openAIList{Object: "list", Data: make([]openAIEntry, 0, len(all))}
	for i := range all {
		if h.cfg.Allowed(key, all[i]) {
			out.Data = append(out.Data, toOpenAI(&all[i], now))
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) serveDetail(w http.ResponseWriter, key *pipeline.Key, id string, anthropic bool, now time.Time) {
	all := h.cfg.Models.List()
	for i := range all {
		if all[i].ID != id {
			continue
		}
		if !h.cfg.Allowed(key, all[i]) {
			break // hidden: answered exactly like an unknown model
		}
		if anthropic {
			writeJSON(w, http.StatusOK, toAnthropic(&all[i], now))
		} else {
			writeJSON(w, http.StatusOK, toOpenAI(&all[i], now))
		}
		return
	}
	writeMessage(w, http.StatusNotFound, msgNotFound+id)
}

type messageBody struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}

// writeMessage writes the flat {"error":{"message":…}} body of this route.
func writeMessage(w http.ResponseWriter, status int, msg string) {
	var b messageBody
	b.Error.Message = msg
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only strings, numbers and compacted raw JSON are marshalled.
		status, body = http.StatusInternalServerError, []byte(`{"error":{"message":"internal gateway error"}}`)
	}
	body = append(body, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
