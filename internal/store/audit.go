package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrInvalidRecord marks an audit record the database can never accept as
// it is (no id, malformed hooks JSON, a value out of range). Retrying the
// same record is pointless; internal/audit sets such records aside.
var ErrInvalidRecord = errors.New("store: invalid audit record")

// AuditRecord is one row of audit_records: one proxied request, whatever
// its outcome (SPEC §13.1, issue 6 item 4). Zero values mean "none".
type AuditRecord struct {
	ID              string    // request id; primary key, makes inserts idempotent
	ClientRequestID string    // the caller's X-Request-Id, if any
	Time            time.Time // request start; stored in UTC, microseconds

	KeyID     string
	KeyName   string
	KeyPrefix string
	Labels    map[string]string

	Ingress  string // wire shape the caller spoke (openai, anthropic, gemini, …)
	Endpoint string // chat, embeddings, responses, …
	Stream   bool

	RequestedModel string // the model the caller asked for
	RoutedModel    string // the model code that served it (after aliases, downgrades)
	Provider       string
	UpstreamModel  string // id sent upstream
	Attempts       int

	Status    int
	ErrorCode string
	LatencyMS int64 // whole request, ceil, ≥1 once the request ran at all
	TTFTMS    int64 // time to first token (streams) or first byte; 0 = none (stored NULL)

	InputTokens      int64 // includes cache reads and writes (canonical.Usage)
	OutputTokens     int64 // includes reasoning
	CacheReadTokens  int64
	CacheWriteTokens int64
	ReasoningTokens  int64

	// CostMicros is the request's cost in micro-dollars when CostKnown;
	// otherwise the column is NULL (never $0). CostUnpriced says the model
	// has no price; an unknown cost without it means no usage was reported.
	CostMicros   int64
	CostKnown    bool
	CostUnpriced bool

	CacheStatus string          // response cache outcome: hit, miss, skipped, or ""
	Hooks       json.RawMessage // hook annotations as JSON; nil = none

	// Captured bodies, only when payload capture is switched on.
	RequestBody     []byte
	ResponseBody    []byte
	BodiesTruncated bool
}

const auditColumns = `id, ts, day, client_request_id, key_id, key_name, key_prefix, labels,
	ingress, endpoint, stream, requested_model, routed_model, provider, upstream_model, attempts,
	status, error_code, latency_ms, ttft_ms, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, reasoning_tokens, cost_micros, cost_unpriced, cache_status, hooks,
	request_body, response_body, bodies_truncated`

const auditColumnCount = 32

// auditSizes are the row counts of the prepared audit inserts, largest first.
var auditSizes = []int{auditChunk, 64, 8, 1}

// auditChunk bounds the rows per INSERT statement: 500 × 32 = 16 000 bind
// parameters, under SQLite's 32 766 and PostgreSQL's 65 535.
const auditChunk = 500

// auditInsert renders the multi-row insert for n rows in the dialect.
func auditInsert(d *dialect, n int) string {
	var b strings.Builder
	b.Grow(len(auditColumns) + 64 + n*(auditColumnCount*5+4))
	b.WriteString("INSERT INTO audit_records (")
	b.WriteString(auditColumns)
	b.WriteString(") VALUES ")
	p := 0
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j := range auditColumnCount {
			if j > 0 {
				b.WriteString(", ")
			}
			p++
			b.WriteString(d.placeholder(p))
		}
		b.WriteByte(')')
	}
	b.WriteString(" ON CONFLICT (id) DO NOTHING")
	return b.String()
}

// InsertAudit writes records in one transaction. A record whose id is
// already stored is skipped, so re-inserting a batch (after a retry, a
// crash, or from the overflow spool) never duplicates a row. A record the
// database refuses for its content yields an error wrapping
// ErrInvalidRecord; any other error is presumed transient.
func (db *DB) InsertAudit(ctx context.Context, records []AuditRecord) error {
	if len(records) == 0 {
		return nil
	}
	args := make([]any, 0, min(len(records), auditChunk)*auditColumnCount)
	return db.inTx(ctx, func(tx *sql.Tx) error {
		for start := 0; start < len(records); start += auditChunk {
			chunk := records[start:min(start+auditChunk, len(records))]
			args = args[:0]
			for i := range chunk {
				var err error
				if args, err = db.auditArgs(args, &chunk[i]); err != nil {
					return fmt.Errorf("store: audit record %d of %d: %w", start+i+1, len(records), err)
				}
			}
			// Write the chunk with the largest prepared sizes that fit: a
			// statement of the batch's own size would be parsed and planned
			// afresh every time (a fifth of a busy gateway's CPU on SQLite).
			var err error
			for off := 0; off < len(chunk) && err == nil; {
				n := auditSizes[0]
				for _, size := range auditSizes {
					if size <= len(chunk)-off {
						n = size
						break
					}
				}
				st := tx.StmtContext(ctx, db.insertAuditN[n])
				_, err = st.ExecContext(ctx, args[off*auditColumnCount:(off+n)*auditColumnCount]...)
				off += n
			}
			if err != nil {
				if db.dialect.isDataError(err) {
					return fmt.Errorf("store: insert %d audit records: %w: %w", len(records), ErrInvalidRecord, err)
				}
				return fmt.Errorf("store: insert %d audit records: %w", len(records), err)
			}
		}
		return nil
	})
}

// auditArgs appends the bind values of one record in auditColumns order.
func (db *DB) auditArgs(args []any, r *AuditRecord) ([]any, error) {
	if r.ID == "" {
		return args, fmt.Errorf("no request id: %w", ErrInvalidRecord)
	}
	// INTEGER columns are 32-bit on PostgreSQL; a value beyond them would
	// fail in the driver with an error that looks transient.
	if r.Status < 0 || r.Status > math.MaxInt32 || r.Attempts < 0 || r.Attempts > math.MaxInt32 {
		return args, fmt.Errorf("request %s: status %d or attempts %d out of range: %w", cleanText(r.ID), r.Status, r.Attempts, ErrInvalidRecord)
	}
	if len(r.Hooks) > 0 && !json.Valid(r.Hooks) {
		return args, fmt.Errorf("request %s: hooks are not valid JSON: %w", cleanText(r.ID), ErrInvalidRecord)
	}
	labels, err := marshalLabels(r.Labels)
	if err != nil {
		return args, fmt.Errorf("request %s: %w: %w", cleanText(r.ID), ErrInvalidRecord, err)
	}
	t := normTime(r.Time)
	var ttft, cost, hooks any
	if r.TTFTMS > 0 {
		ttft = r.TTFTMS
	}
	if r.CostKnown {
		cost = r.CostMicros
	}
	if len(r.Hooks) > 0 {
		hooks = cleanText(string(r.Hooks))
	}
	var reqBody, respBody any
	if r.RequestBody != nil {
		reqBody = r.RequestBody
	}
	if r.ResponseBody != nil {
		respBody = r.ResponseBody
	}
	return append(args,
		cleanText(r.ID), db.dialect.timeValue(t), t.Format(time.DateOnly), cleanText(r.ClientRequestID),
		cleanText(r.KeyID), cleanText(r.KeyName), cleanText(r.KeyPrefix), cleanText(labels),
		cleanText(r.Ingress), cleanText(r.Endpoint), r.Stream,
		cleanText(r.RequestedModel), cleanText(r.RoutedModel), cleanText(r.Provider), cleanText(r.UpstreamModel), int64(r.Attempts),
		int64(r.Status), cleanText(r.ErrorCode), r.LatencyMS, ttft,
		r.InputTokens, r.OutputTokens, r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens,
		cost, r.CostUnpriced, cleanText(r.CacheStatus), hooks,
		reqBody, respBody, r.BodiesTruncated,
	), nil
}

// cleanText makes s storable as TEXT on every engine: PostgreSQL refuses
// invalid UTF-8 and NUL bytes, and an audit row must not be lost because a
// client sent a strange model name. Valid text is returned as is.
func cleanText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// AuditByID reads one audit row back (tests, `nexus` tooling). Labels and
// bodies are decoded; ErrNotFound when absent.
func (db *DB) AuditByID(ctx context.Context, id string) (AuditRecord, error) {
	var (
		r                     AuditRecord
		ts                    nullTime
		day                   string
		labels                string
		ttft, cost            sql.NullInt64
		hooks                 sql.NullString
		attempts, status      int64
		stream, unpriced, cut bool
	)
	err := db.sql.QueryRowContext(ctx, db.q.auditByID, id).Scan(
		&r.ID, &ts, &day, &r.ClientRequestID, &r.KeyID, &r.KeyName, &r.KeyPrefix, &labels,
		&r.Ingress, &r.Endpoint, &stream, &r.RequestedModel, &r.RoutedModel, &r.Provider, &r.UpstreamModel, &attempts,
		&status, &r.ErrorCode, &r.LatencyMS, &ttft, &r.InputTokens, &r.OutputTokens, &r.CacheReadTokens,
		&r.CacheWriteTokens, &r.ReasoningTokens, &cost, &unpriced, &r.CacheStatus, &hooks,
		&r.RequestBody, &r.ResponseBody, &cut)
	if errors.Is(err, sql.ErrNoRows) {
		return AuditRecord{}, fmt.Errorf("store: audit record %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return AuditRecord{}, fmt.Errorf("store: audit record %q: %w", id, err)
	}
	r.Time, r.Stream, r.CostUnpriced, r.BodiesTruncated = ts.Time, stream, unpriced, cut
	r.Attempts, r.Status = int(attempts), int(status)
	r.TTFTMS = ttft.Int64
	r.CostMicros, r.CostKnown = cost.Int64, cost.Valid
	if hooks.Valid {
		r.Hooks = json.RawMessage(hooks.String)
	}
	if labels != "" && labels != "{}" {
		if err := json.Unmarshal([]byte(labels), &r.Labels); err != nil {
			return AuditRecord{}, fmt.Errorf("store: audit record %q: labels: %w", id, err)
		}
	}
	return r, nil
}

// CountAudit returns the number of audit rows (tests and health tooling).
func (db *DB) CountAudit(ctx context.Context) (int64, error) {
	var n int64
	if err := db.sql.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_records`).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count audit records: %w", err)
	}
	return n, nil
}
