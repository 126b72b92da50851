package quota

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Keep go-redis's dial-failure lines (expected in the outage tests) out of the test output.
	InstallRedisLogger(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}
