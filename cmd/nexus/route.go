package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/route"
	"github.com/nexus-gateway/nexus/internal/store"
)

// routeCmd is `nexus route explain`: it plans a request with the router the
// gateway would build from the same configuration, sends nothing, and
// prints the ordered targets and why every other target is left out.
func routeCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 || args[0] != "explain" {
		return errors.New("route: want a subcommand: explain")
	}
	fs := flag.NewFlagSet("route explain", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.String("config", "", "configuration file")
	model := fs.String("model", "", "requested model (required)")
	keyRef := fs.String("key", "", "virtual key id or name, read from the store (its allowlist and labels apply)")
	allow := fs.String("allow", "", "without --key: comma-separated model globs of a hypothetical key")
	labels := labelFlag{}
	fs.Var(labels, "label", "without --key: a label k=v of a hypothetical key (repeatable)")
	ingress := fs.String("ingress", "openai", "API shape of the request: openai, anthropic, gemini or openai-responses")
	tag := fs.String("tag", "", "X-Nexus-Route-Tag value")
	var q route.Query
	fs.BoolVar(&q.Stream, "stream", false, "a streamed request")
	fs.BoolVar(&q.Tools, "tools", false, "the request declares tools")
	fs.BoolVar(&q.Images, "images", false, "the request contains images")
	fs.BoolVar(&q.JSONSchema, "json-schema", false, "the request asks for JSON-schema output")
	fs.BoolVar(&q.Reasoning, "reasoning", false, "the request hints at reasoning (for auto)")
	fs.IntVar(&q.PromptTokens, "tokens", 0, "estimated prompt tokens")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("route explain: %w", err)
	}
	if *model == "" {
		return errors.New("route explain: --model is required")
	}
	switch *ingress {
	case "openai", "anthropic", "gemini", "openai-responses":
	default:
		return fmt.Errorf("route explain: --ingress %q: want openai, anthropic, gemini or openai-responses", *ingress)
	}
	q.Model, q.Ingress, q.Tag = *model, pipeline.Shape(*ingress), *tag
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	switch {
	case *keyRef != "":
		k, err := storedKey(ctx, cfg, *keyRef)
		if err != nil {
			return err
		}
		q.Key = k
	case *allow != "" || len(labels) > 0:
		q.Key = &pipeline.Key{Name: "(from flags)", Labels: labels}
		for _, g := range strings.Split(*allow, ",") {
			if g = strings.TrimSpace(g); g != "" {
				q.Key.AllowedModels = append(q.Key.AllowedModels, g)
			}
		}
	}
	return explainRoute(cfg, q, stdout)
}

// explainRoute writes the explanation of q under cfg.
func explainRoute(cfg *config.Config, q route.Query, w io.Writer) error {
	r, err := gateway.ExplainRouter(cfg, nil)
	if err != nil {
		return err
	}
	return r.Explain(q).WriteText(w)
}

// storedKey reads a key's routing facts (never its secret) from the store.
func storedKey(ctx context.Context, cfg *config.Config, ref string) (*pipeline.Key, error) {
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	k, err := db.Key(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("route explain: key %s: %w", ref, err)
	}
	return &pipeline.Key{ID: k.ID, Name: k.Name, Prefix: k.Prefix, AllowedModels: k.AllowedModels, RPM: k.RPM, Labels: k.Labels}, nil
}
