package ingress

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// logLine writes the one structured line per request. It names the key by id
// and display prefix only, and never logs bodies or header values.
func (s *Server) logLine(r *http.Request, id string, x *pipeline.Exchange, status int, e *canonical.Error, start time.Time) {
	lg := s.cfg.Logger
	level := slog.LevelInfo
	if status >= 500 && status != statusClientClosed {
		level = slog.LevelWarn
	}
	if !lg.Enabled(context.Background(), level) {
		return
	}
	attrs := make([]slog.Attr, 0, 16)
	attrs = append(attrs,
		slog.String("id", id),
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", status),
		slog.Float64("dur_ms", float64(s.cfg.Now().Sub(start))/1e6),
	)
	if x != nil {
		if x.Key != nil {
			attrs = append(attrs, slog.String("key_id", x.Key.ID), slog.String("key", x.Key.Prefix))
		}
		if x.Model != "" {
			attrs = append(attrs, slog.String("model", x.Model), slog.Bool("stream", x.Stream))
		}
		if x.Target.Provider != "" {
			attrs = append(attrs, slog.String("provider", x.Target.Provider), slog.String("upstream_model", x.Target.UpstreamModel),
				slog.Int("attempts", x.Attempts), slog.Float64("ttfb_ms", float64(x.UpstreamTTFB)/1e6))
		}
		if u := x.Usage; u != nil {
			attrs = append(attrs, slog.Int("input_tokens", u.InputTokens), slog.Int("output_tokens", u.OutputTokens),
				slog.Int("cached_tokens", u.CacheReadTokens), slog.Int("reasoning_tokens", u.ReasoningTokens))
		}
	}
	if e != nil {
		attrs = append(attrs, slog.String("error_code", e.Code), slog.String("error_kind", string(e.Kind)))
		if e.Cause != nil && e.Kind == canonical.KindInternal {
			// Internal causes are ours (never upstream bodies), safe to log.
			attrs = append(attrs, slog.String("cause", e.Cause.Error()))
		}
	}
	lg.LogAttrs(context.Background(), level, "request", attrs...)
}
