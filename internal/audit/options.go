package audit

import (
	"errors"
	"log/slog"
	"time"
)

// Overflow says what Enqueue does with a record when the queue is full.
type Overflow int

const (
	// OverflowSpill appends it to the on-disk spool (the default): nothing
	// is lost, the request path pays one small file write.
	OverflowSpill Overflow = iota
	// OverflowDrop drops it and counts it in Stats.Dropped.
	OverflowDrop
)

// MaxBatchSize caps Options.BatchSize (SPEC §13.3).
const MaxBatchSize = 512

// Options tune a Writer. Zero values take the defaults shown.
type Options struct {
	QueueSize int           // records held in memory (8192)
	BatchSize int           // records per insert (512, at most MaxBatchSize)
	Linger    time.Duration // longest wait for a batch to fill (100ms)

	// SpoolDir is the overflow spool. Required for OverflowSpill; with
	// OverflowDrop it is optional and, when set, still receives batches the
	// database failed to take.
	SpoolDir string
	Overflow Overflow
	// SpoolFileRecords seals a spool file after this many records (4096),
	// bounding what one failed sweep re-sends.
	SpoolFileRecords int
	// SweepInterval is how often spilled records are re-inserted (2s).
	SweepInterval time.Duration

	// Retries of a failed batch before it is spilled (3), waiting
	// RetryBackoff (100ms) doubled each time, at most 2s.
	Retries      int
	RetryBackoff time.Duration
	// InsertTimeout bounds one insert (10s).
	InsertTimeout time.Duration

	// CaptureBodies keeps Record bodies; off, they are dropped at Enqueue.
	CaptureBodies bool
	// MaxBodyBytes cuts each captured body (256 KiB).
	MaxBodyBytes int

	Logger *slog.Logger     // nil: discard
	Now    func() time.Time // nil: time.Now
}

func (o *Options) defaults() error {
	if o.QueueSize <= 0 {
		o.QueueSize = 8192
	}
	if o.BatchSize <= 0 || o.BatchSize > MaxBatchSize {
		o.BatchSize = MaxBatchSize
	}
	if o.Linger <= 0 {
		o.Linger = 100 * time.Millisecond
	}
	if o.SpoolFileRecords <= 0 {
		o.SpoolFileRecords = 4096
	}
	if o.SweepInterval <= 0 {
		o.SweepInterval = 2 * time.Second
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 3
	}
	if o.RetryBackoff <= 0 {
		o.RetryBackoff = 100 * time.Millisecond
	}
	if o.InsertTimeout <= 0 {
		o.InsertTimeout = 10 * time.Second
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 256 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Overflow == OverflowSpill && o.SpoolDir == "" {
		return errors.New("audit: overflow spill needs a spool directory (or choose OverflowDrop)")
	}
	return nil
}

// Stats are the writer's counters since it started. Every enqueued record
// ends up counted once in Written, Spilled, Dropped or Poisoned; a spilled
// record is counted again in Reingested (or Poisoned) when the sweeper
// has put it in the database.
type Stats struct {
	Enqueued   uint64 // Enqueue calls
	Written    uint64 // inserted from the queue
	Spilled    uint64 // written to the spool (overflow, failed batches, shutdown)
	Reingested uint64 // inserted from the spool (including files from earlier runs)
	Dropped    uint64 // lost: overflow in drop mode, or the spool failed too
	Retries    uint64 // batch inserts retried after an error
	Poisoned   uint64 // refused by the database for their content, set aside
	Queued     int    // in the queue now
}
