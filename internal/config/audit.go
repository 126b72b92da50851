package config

import (
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// Audit configures the asynchronous audit trail (internal/audit,
// docs/audit.md). Zero values take the defaults.
type Audit struct {
	// SpoolDir holds records that could not be written yet (overflow,
	// database outage); they are re-inserted later and on the next start.
	// Default: beside the SQLite file ("nexus.audit-spool"), else
	// "./nexus-audit-spool". One directory per process.
	SpoolDir string
	// QueueSize bounds the in-memory queue (default 8192 records); a crash
	// can lose at most this many plus one batch.
	QueueSize int
	// CaptureBodies stores request and response bodies (default off).
	CaptureBodies bool
	// MaxBodyBytes caps a captured body (default 256 KiB).
	MaxBodyBytes int64
}

func (d *decoder) audit(path string, n ast.Node, a *Audit) {
	d.object(path, n, false, []field{
		{"spool_dir", func(p string, v ast.Node) { a.SpoolDir = d.str(p, v) }},
		{"queue_size", func(p string, v ast.Node) { a.QueueSize = d.smallInt(p, v) }},
		{"capture_bodies", func(p string, v ast.Node) { a.CaptureBodies = d.boolean(p, v) }},
		{"max_body_bytes", func(p string, v ast.Node) { a.MaxBodyBytes = d.size(p, v) }},
	})
}

func (a *Audit) applyDefaults(database string) {
	if a.SpoolDir == "" {
		a.SpoolDir = "./nexus-audit-spool"
		if p, ok := strings.CutPrefix(database, "sqlite://"); ok && p != ":memory:" {
			a.SpoolDir = strings.TrimSuffix(p, filepath.Ext(p)) + ".audit-spool"
		}
	}
	if a.QueueSize <= 0 {
		a.QueueSize = 8192
	}
	if a.MaxBodyBytes <= 0 {
		a.MaxBodyBytes = 256 << 10
	}
}
