// Package estimate serves POST /v1/estimate (SPEC §2.6, §11.10): a cost
// preview of one request on up to ten models, without calling any
// upstream. Input tokens are counted offline, with OpenAI's own BPE
// tokenizer (embedded, no download) for OpenAI models and a documented
// characters-per-token heuristic with a stated error band for the others;
// output is a low / expected / high range from a static table or the
// request's token ceiling; prices come from internal/cost. See docs/cost.md.
package estimate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Defaults of SPEC §2.6 and §15.
const (
	DefaultCompareRPM   = 30
	DefaultTimeout      = 30 * time.Second
	DefaultConcurrency  = 8
	DefaultMaxBodyBytes = 10 << 20
)

// Handler answers POST /v1/estimate. Models and Auth are required; the
// zero value of every other field takes the default. A Handler must not be
// copied after first use.
type Handler struct {
	Models Models
	Auth   Authenticator
	// Allowed applies the key's model allowlist; nil uses the router's glob
	// rule on the key's AllowedModels (pass route.Allowed's adapter to share
	// one implementation).
	Allowed func(k *pipeline.Key, m Model) bool
	// Limiter is the compare bucket (key "<keyID>:compare"); nil disables it.
	Limiter Limiter
	// CompareRPM is the compare bucket's limit per minute: 0 means
	// DefaultCompareRPM, a negative value disables the limit.
	CompareRPM int
	// Now is accepted for symmetry with the other handlers; the estimate
	// itself needs no clock (the limiter has its own).
	Now func() time.Time

	Timeout      time.Duration // overall, for all targets; 0 = DefaultTimeout
	Concurrency  int           // targets estimated at once; 0 = DefaultConcurrency
	MaxBodyBytes int64         // 0 = DefaultMaxBodyBytes

	enc encodings
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, codeMethodNotAllowed, "use POST for /v1/estimate")
		return
	}
	ctx := r.Context()
	key, ok := h.authenticate(ctx, w, r)
	if !ok {
		return
	}
	if !h.admit(w, key) {
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	req, efforts, prompt, ok := parseRequest(w, body)
	if !ok {
		return
	}
	j := &job{h: h, key: key, prompt: prompt}
	results := h.run(ctx, j, req.CompareTargets, efforts)
	writeJSON(w, http.StatusOK, estimateResponse{Targets: results, Summary: summarize(results)})
}

// authenticate checks the key before the body is read. Any auth failure is
// a 401 estimate_unauthorized carrying the reason; a key store that cannot
// answer is a 503.
func (h *Handler) authenticate(ctx context.Context, w http.ResponseWriter, r *http.Request) (*pipeline.Key, bool) {
	// The only carriers of this route (SPEC §2.6): no shape-specific headers.
	token := auth.Extract(r.Header, []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer})
	if token == "" {
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "no virtual key was presented: send it as x-nexus-virtual-key or Authorization: Bearer")
		return nil, false
	}
	key, err := h.Auth.Authenticate(ctx, token)
	if err == nil && key != nil {
		return key, true
	}
	var ce *canonical.Error
	if errors.As(err, &ce) && ce.Status != http.StatusUnauthorized && ce.Status != http.StatusForbidden {
		writeError(w, http.StatusServiceUnavailable, codeAuthUnavailable, "the virtual key could not be checked: "+ce.Message)
		return nil, false
	}
	msg := "the virtual key is not valid"
	if ce != nil && ce.Message != "" {
		msg = ce.Message
	}
	writeError(w, http.StatusUnauthorized, codeUnauthorized, msg)
	return nil, false
}

// admit applies the per-key compare bucket (SPEC §2.6, §11.9).
func (h *Handler) admit(w http.ResponseWriter, key *pipeline.Key) bool {
	rpm := h.CompareRPM
	if rpm == 0 {
		rpm = DefaultCompareRPM
	}
	if h.Limiter == nil || rpm < 0 {
		return true
	}
	ok, wait := h.Limiter.Allow(key.ID+":compare", rpm)
	if ok {
		return true
	}
	// Whole seconds, rounded so a client never retries too early (SPEC §3.7).
	w.Header().Set("Retry-After", strconv.FormatInt(int64(wait/time.Second)+1, 10))
	writeError(w, http.StatusTooManyRequests, codeRateLimited,
		fmt.Sprintf("the estimate limit of %d requests per minute for this key is reached", rpm))
	return false
}

func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	limit := h.MaxBodyBytes
	if limit <= 0 {
		limit = DefaultMaxBodyBytes
	}
	// Read at most limit+1 bytes: never trust Content-Length.
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidJSON, "the request body could not be read")
		return nil, false
	}
	if int64(len(body)) > limit {
		writeError(w, http.StatusRequestEntityTooLarge, codePayloadTooLarge, fmt.Sprintf("the request body exceeds %d bytes", limit))
		return nil, false
	}
	return body, true
}

// parsed per-target efforts: the effort a compare target overrides with,
// and how it was written (a budget stays a number in the answer).
type targetEffort struct{ effort, shown string }

// parseRequest validates the body in the order of SPEC §2.6's error list.
func parseRequest(w http.ResponseWriter, body []byte) (*estimateRequest, []targetEffort, *prompt, bool) {
	var req estimateRequest
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		writeError(w, http.StatusBadRequest, codeInvalidJSON, "the body must be a JSON object")
		return nil, nil, nil, false
	}
	if err := json.Unmarshal(trimmed, &req); err != nil {
		writeError(w, http.StatusBadRequest, codeInvalidJSON, "the body is not valid: "+describeJSONError("", err))
		return nil, nil, nil, false
	}
	switch n := len(req.CompareTargets); {
	case n == 0:
		writeError(w, http.StatusBadRequest, codeNoTargets, "compareTargets must list 1 to 10 targets")
		return nil, nil, nil, false
	case n > maxTargets:
		writeError(w, http.StatusBadRequest, codeTooManyTargets, fmt.Sprintf("compareTargets lists %d targets; at most %d are allowed", n, maxTargets))
		return nil, nil, nil, false
	}
	if r := bytes.TrimSpace(req.Request); len(r) == 0 || r[0] != '{' {
		writeError(w, http.StatusBadRequest, codeNoRequest, "request must be the JSON object of the request to estimate")
		return nil, nil, nil, false
	}
	efforts := make([]targetEffort, len(req.CompareTargets))
	for i, t := range req.CompareTargets {
		e, shown, ok := parseTargetEffort(t.ReasoningEffort)
		if !ok {
			writeError(w, http.StatusBadRequest, codeInvalidEffort,
				fmt.Sprintf("compareTargets[%d].reasoningEffort must be minimal, low, medium, high or a budget from 1 to %d", i, maxBudget))
			return nil, nil, nil, false
		}
		efforts[i] = targetEffort{e, shown}
	}
	p, err := parsePrompt(req.Request)
	if err != nil {
		msg := err.Error()
		if fe, ok := err.(*fieldError); ok {
			msg = describeJSONError(fe.path, fe.err)
			if !strings.Contains(msg, fe.path) {
				msg = fe.path + ": " + msg
			}
		}
		writeError(w, http.StatusBadRequest, codeInvalidJSON, msg)
		return nil, nil, nil, false
	}
	return &req, efforts, p, true
}

// run estimates every target, at most Concurrency at once, all within
// Timeout. It returns when every target is done or the time is up,
// whichever comes first: a target not finished in time reports
// estimate_failed (its goroutine sees the cancelled context at its next
// step and exits; a late result goes to a buffered channel nobody reads).
// A panic fails its own target only.
func (h *Handler) run(ctx context.Context, j *job, targets []compareTarget, efforts []targetEffort) []targetResult {
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	workers := h.Concurrency
	if workers <= 0 {
		workers = DefaultConcurrency
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	type done struct {
		i   int
		res targetResult
	}
	out := make(chan done, len(targets))
	sem := make(chan struct{}, workers)
	for i := range targets {
		go func() {
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				return
			}
			defer func() {
				if v := recover(); v != nil {
					out <- done{i, failed(targets[i], "the estimate failed unexpectedly")}
				}
			}()
			out <- done{i, j.estimate(ctx, targets[i], efforts[i].effort, efforts[i].shown)}
		}()
	}
	results := make([]targetResult, len(targets))
	filled := make([]bool, len(targets))
	for n := 0; n < len(targets); n++ {
		select {
		case d := <-out:
			results[d.i], filled[d.i] = d.res, true
		case <-ctx.Done():
			for i := range results {
				if !filled[i] {
					results[i] = failed(targets[i], "the estimate did not finish within its time limit")
				}
			}
			return results
		}
	}
	return results
}

func failed(t compareTarget, msg string) targetResult {
	return targetResult{ProviderID: t.ProviderID, ModelCode: t.ModelID, Error: &targetError{Code: codeEstimateFailed, Message: msg}}
}

// describeJSONError says what was wrong in JSON terms, without Go type names.
func describeJSONError(prefix string, err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		field := te.Field
		if prefix != "" {
			field = prefix + "." + field
		}
		if field == "" {
			field = "the value"
		}
		return fmt.Sprintf("%s has the wrong type (a JSON %s)", field, te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("malformed JSON at byte %d (%v)", se.Offset, se)
	}
	return err.Error()
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, errorBody{Error: targetError{Code: code, Message: msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil { // only plain structs are encoded: cannot happen
		status, body = http.StatusInternalServerError, []byte(`{"error":{"code":"estimate_failed","message":"the answer could not be encoded"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
