package quota

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"
)

// InstallRedisLogger sends go-redis's own log lines (failed dials of its
// connection pool, printed to stderr by default) to l at debug level; the
// stage itself logs Redis failures at warn, rate-limited. go-redis keeps its
// logger in a process-wide variable, so only the composition root (cmd)
// should call this, once, at start-up.
func InstallRedisLogger(l *slog.Logger) { redis.SetLogger(redisLog{l}) }

type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	if r.l.Enabled(ctx, slog.LevelDebug) {
		r.l.DebugContext(ctx, "quota: go-redis: "+fmt.Sprintf(format, v...))
	}
}
