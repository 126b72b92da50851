package catalogapi

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/route"
)

// Entry is one catalogue model as the listing shows it (SPEC §4 Model).
type Entry struct {
	ID                  string // model code: what clients send as "model"
	DisplayName         string
	Provider            string // provider name (OpenAI owned_by)
	ProviderDisplayName string // owner_display_name; "" leaves it out
	UpstreamModel       string // provider model id; allowlist globs may name it
	Type                string // chat | embedding | image | audio

	InputModalities, OutputModalities []string
	Aliases                           []string
	Features                          []string // vision, function_calling, json_mode, thinking, …

	// Capability is the model's capabilityJson (embedding dimensions, batch
	// limits, …), shown verbatim to OpenAI-shape callers; nil leaves it out.
	Capability json.RawMessage

	MaxContextTokens int    // 0 = unknown
	MaxOutputTokens  int    // 0 = unknown or not applicable
	Lifecycle        string // ga | preview | deprecated

	// Prices in USD per million tokens; nil = unknown. The pricing block is
	// left out when all four are nil.
	InputPrice, OutputPrice, CachedReadPrice, CacheWritePrice *float64
}

// DefaultAllowed applies a key's allowlist to an entry exactly as the router
// does for data-plane requests (route.Allowed: globs over the model code,
// the upstream model id, "provider/upstream-model" and the aliases), so a
// model the listing shows is a model the key may call, and no other.
func DefaultAllowed(k *pipeline.Key, e Entry) bool {
	if k == nil {
		return false
	}
	return route.Allowed(k.AllowedModels, &route.Model{
		Name: e.ID, Aliases: e.Aliases, Provider: e.Provider, UpstreamModel: e.UpstreamModel,
	})
}

// pricing is the SPEC §2.4 pricing block; a nil price is written as null.
type pricing struct {
	InputPerMillion            *float64 `json:"inputPerMillion"`
	OutputPerMillion           *float64 `json:"outputPerMillion"`
	CachedInputReadPerMillion  *float64 `json:"cachedInputReadPerMillion"`
	CachedInputWritePerMillion *float64 `json:"cachedInputWritePerMillion"`
	Currency                   string   `json:"currency"`
	Unit                       string   `json:"unit"`
}

func pricingOf(e *Entry) *pricing {
	if e.InputPrice == nil && e.OutputPrice == nil && e.CachedReadPrice == nil && e.CacheWritePrice == nil {
		return nil
	}
	return &pricing{
		InputPerMillion: e.InputPrice, OutputPerMillion: e.OutputPrice,
		CachedInputReadPerMillion: e.CachedReadPrice, CachedInputWritePerMillion: e.CacheWritePrice,
		Currency: "USD", Unit: "per_million_tokens",
	}
}

// capability returns the capability JSON compacted, or nil when it is not
// valid JSON (a bad catalogue row must not break the whole listing).
func capability(raw json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return nil
	}
	return buf.Bytes()
}

// openAIEntry is an OpenAI-shape model object with the Nexus extension
// fields (SPEC §2.4); extensions are omitted when unset.
type openAIEntry struct {
	ID               string          `json:"id"`
	Object           string          `json:"object"`
	Created          int64           `json:"created"`
	OwnedBy          string          `json:"owned_by,omitempty"`
	OwnerDisplayName string          `json:"owner_display_name,omitempty"`
	Name             string          `json:"name,omitempty"`
	Type             string          `json:"type,omitempty"`
	InputModalities  []string        `json:"inputModalities,omitempty"`
	OutputModalities []string        `json:"outputModalities,omitempty"`
	CapabilityJSON   json.RawMessage `json:"capabilityJson,omitempty"`
	Aliases          []string        `json:"aliases,omitempty"`
	Features         []string        `json:"features,omitempty"`
	MaxContextTokens int             `json:"maxContextTokens,omitempty"`
	MaxOutputTokens  int             `json:"maxOutputTokens,omitempty"`
	Lifecycle        string          `json:"lifecycle,omitempty"`
	Pricing          *pricing        `json:"pricing,omitempty"`
}

// created is the current time, not a stored value (SPEC §2.4).
func toOpenAI(e *Entry, now time.Time) openAIEntry {
	return openAIEntry{
		ID: e.ID, Object: "model", Created: now.Unix(),
		OwnedBy: e.Provider, OwnerDisplayName: e.ProviderDisplayName,
		Name: e.DisplayName, Type: e.Type,
		InputModalities: e.InputModalities, OutputModalities: e.OutputModalities,
		CapabilityJSON: capability(e.Capability),
		Aliases:        e.Aliases, Features: e.Features,
		MaxContextTokens: e.MaxContextTokens, MaxOutputTokens: e.MaxOutputTokens,
		Lifecycle: e.Lifecycle, Pricing: pricingOf(e),
	}
}

type openAIList struct {
	Object string        `json:"object"`
	Data   []openAIEntry `json:"data"`
}

// anthropicEntry is an Anthropic-shape model object (type, id, display_name,
// created_at, max_input_tokens, max_tokens) with the Nexus extension fields.
type anthropicEntry struct {
	Type             string   `json:"type"`
	ID               string   `json:"id"`
	DisplayName      string   `json:"display_name"`
	CreatedAt        string   `json:"created_at"`
	MaxInputTokens   int      `json:"max_input_tokens,omitempty"`
	MaxTokens        int      `json:"max_tokens,omitempty"`
	ModelType        string   `json:"modelType,omitempty"`
	InputModalities  []string `json:"inputModalities,omitempty"`
	OutputModalities []string `json:"outputModalities,omitempty"`
	Aliases          []string `json:"aliases,omitempty"`
	Features         []string `json:"features,omitempty"`
	Lifecycle        string   `json:"lifecycle,omitempty"`
	Pricing          *pricing `json:"pricing,omitempty"`
}

// display_name is required by Anthropic clients; the code stands in when
// the catalogue has no display name.
func toAnthropic(e *Entry, now time.Time) anthropicEntry {
	name := e.DisplayName
	if name == "" {
		name = e.ID
	}
	return anthropicEntry{
		Type: "model", ID: e.ID, DisplayName: name,
		CreatedAt:      now.UTC().Format(time.RFC3339),
		MaxInputTokens: e.MaxContextTokens, MaxTokens: e.MaxOutputTokens,
		ModelType:       e.Type,
		InputModalities: e.InputModalities, OutputModalities: e.OutputModalities,
		Aliases: e.Aliases, Features: e.Features,
		Lifecycle: e.Lifecycle, Pricing: pricingOf(e),
	}
}

type anthropicList struct {
	Data    []anthropicEntry `json:"data"`
	HasMore bool             `json:"has_more"`
	FirstID string           `json:"first_id,omitempty"`
	LastID  string           `json:"last_id,omitempty"`
}
