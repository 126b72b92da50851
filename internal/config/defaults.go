package config

import (
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/catalog"
)

// applyDefaults fills every zero field with its documented default, copies
// preset facts onto providers and fills models from the built-in catalogue.
// modelsSet reports whether the file had a "models:" key.
func (c *Config) applyDefaults(modelsSet bool) {
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Database == "" {
		c.Database = DefaultDatabase
	}
	if c.SecretFile == "" {
		c.SecretFile = secretFileFor(c.Database)
	}
	if c.Log.Level == "" {
		c.Log.Level = DefaultLogLevel
	}
	if c.Log.Format == "" {
		c.Log.Format = DefaultLogFormat
	}
	if !c.Log.flushSet && c.Log.FlushInterval == 0 {
		c.Log.FlushInterval = DefaultLogFlush
	}
	if c.Limits.MaxBodyBytes == 0 {
		c.Limits.MaxBodyBytes = DefaultMaxBodyBytes
	}
	fill := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	fill(&c.Timeouts.Connect, DefaultConnectTimeout)
	fill(&c.Timeouts.FirstByte, DefaultFirstByteTimeout)
	fill(&c.Timeouts.Idle, DefaultIdleTimeout)
	fill(&c.Timeouts.Total, DefaultTotalTimeout)
	fill(&c.Timeouts.Drain, DefaultDrainTimeout)
	c.Quotas.applyDefaults()
	c.Audit.applyDefaults(c.Database)

	for i := range c.Providers {
		p := &c.Providers[i]
		preset, ok := catalog.Preset(p.Type)
		if !ok {
			continue // reported by validation
		}
		p.WireFormat = preset.WireFormat
		if p.AuthStyle == "" || preset.WireFormat != catalog.WireOpenAI {
			// Only OpenAI-wire providers choose (validation reports a
			// choice elsewhere, against the value as written).
			p.AuthStyle = preset.AuthStyle
		}
		if p.BaseURL == "" {
			p.BaseURL = preset.BaseURL
		}
		// Adapters append paths ("/chat/completions"); one slash, not two.
		p.BaseURL = strings.TrimRight(p.BaseURL, "/")
		if p.APIVersion == "" {
			p.APIVersion = preset.APIVersion
		}
	}

	if !modelsSet {
		c.Models = c.catalogueModels()
	} else {
		for i := range c.Models {
			c.completeModel(&c.Models[i])
		}
	}
	c.applyRoutingDefaults()
}

// secretFileFor puts the secret beside a sqlite database file
// (sqlite://./nexus.db → ./nexus.secret); other databases get
// DefaultSecretFile.
func secretFileFor(database string) string {
	path, ok := strings.CutPrefix(database, "sqlite://")
	if !ok {
		return DefaultSecretFile
	}
	path, _, _ = strings.Cut(path, "?") // sqlite URLs may carry pragmas
	path = strings.TrimPrefix(path, "file:")
	if path == "" || path == ":memory:" {
		return DefaultSecretFile
	}
	return strings.TrimSuffix(path, filepath.Ext(path)) + ".secret"
}

// discoverProviders builds one provider per preset found in the environment
// (see Default).
func discoverProviders(getenv func(string) string, src *source) []Provider {
	var out []Provider
	for _, preset := range catalog.Presets() {
		key, keyVar := "", ""
		for _, name := range preset.EnvKey {
			if v := getenv(name); v != "" {
				key, keyVar = v, name
				break
			}
		}
		baseURL := ""
		if preset.EnvBaseURL != "" {
			baseURL = getenv(preset.EnvBaseURL)
		}
		keyless := preset.AuthStyle == catalog.AuthNone || preset.KeyOptional
		if key == "" && !(keyless && baseURL != "") {
			continue
		}
		path := index("providers", len(out))
		if keyVar != "" {
			src.from[path+".api_key"] = keyVar
		}
		if baseURL != "" {
			src.from[path+".base_url"] = preset.EnvBaseURL
		} else if preset.BaseURL == "" && preset.EnvBaseURL != "" {
			// Azure: the key alone is not enough; validation will say
			// which variable is missing.
			src.from[path+".base_url"] = preset.EnvBaseURL
		}
		out = append(out, Provider{Name: preset.Type, Type: preset.Type, BaseURL: baseURL, APIKey: key})
	}
	return out
}

// catalogueModels lists the built-in models of every configured provider.
// Names must stay unique, so when two providers would serve the same name
// (two accounts of one vendor) the first provider keeps it.
func (c *Config) catalogueModels() []Model {
	taken := map[string]bool{}
	var out []Model
	for pi, p := range c.Providers {
		for _, cm := range catalog.ForProvider(p.Type) {
			names := append([]string{cm.Name}, cm.Aliases...)
			if slices.ContainsFunc(names, func(n string) bool { return taken[n] }) {
				continue
			}
			for _, n := range names {
				taken[n] = true
			}
			m := Model{Name: cm.Name, Provider: p.Name, Aliases: cm.Aliases}
			if c.src != nil {
				c.src.lines[index("models", len(out))] = c.src.line(index("providers", pi))
			}
			fillFromCatalogue(&m, cm)
			out = append(out, m)
		}
	}
	return out
}

// completeModel fills the fields a configured model left out: upstream
// model from its name, the rest from the catalogue entry of the same
// upstream model and provider type.
func (c *Config) completeModel(m *Model) {
	if m.UpstreamModel == "" {
		m.UpstreamModel = m.Name
	}
	if p, ok := c.Provider(m.Provider); ok {
		if cm, ok := lookupCatalogue(p.Type, m.UpstreamModel); ok {
			fillFromCatalogue(m, cm)
		}
	}
	if m.Type == "" {
		m.Type = catalog.TypeChat
	}
}

// lookupCatalogue finds catalogue data for a model served by a provider of
// type typ. Azure deployments run OpenAI's models at OpenAI's list prices,
// so they borrow OpenAI's entries; other vendors only match their own, as
// an OpenAI-compatible host may price the same model differently.
func lookupCatalogue(typ, upstream string) (catalog.Model, bool) {
	if cm, ok := catalog.Lookup(typ, upstream); ok {
		return cm, true
	}
	if typ == "azure-openai" {
		return catalog.Lookup("openai", upstream)
	}
	return catalog.Model{}, false
}

// fillFromCatalogue sets every field of m still at its zero value (prices
// field by field) from catalogue entry cm.
func fillFromCatalogue(m *Model, cm catalog.Model) {
	if m.UpstreamModel == "" {
		m.UpstreamModel = cm.UpstreamModel
	}
	if m.Type == "" {
		m.Type = cm.Type
	}
	if m.Features == nil {
		m.Features = cm.Features
	}
	if m.ContextWindow == 0 {
		m.ContextWindow = cm.ContextWindow
	}
	if m.MaxOutput == 0 {
		m.MaxOutput = cm.MaxOutput
	}
	if m.Lifecycle == "" {
		m.Lifecycle = cm.Lifecycle
	}
	var p Pricing
	if m.Pricing != nil {
		p = *m.Pricing
	}
	orElse := func(v, def *float64) *float64 {
		if v != nil {
			return v
		}
		return def
	}
	p.Input = orElse(p.Input, cm.InputPrice)
	p.Output = orElse(p.Output, cm.OutputPrice)
	p.CachedInput = orElse(p.CachedInput, cm.CachedReadPrice)
	p.CacheWrite = orElse(p.CacheWrite, cm.CacheWritePrice)
	if p != (Pricing{}) {
		m.Pricing = &p
	}
}
