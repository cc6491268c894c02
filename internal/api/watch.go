package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// DefaultWatchInterval is how often watched sources are listed: half the
// 60 seconds in which new data must be queryable.
const DefaultWatchInterval = 30 * time.Second

// WatchConfig configures NewWatcher.
type WatchConfig struct {
	// Sources are folders or s3://bucket/prefix URIs, as for ingest.
	Sources  []string
	Interval time.Duration
	// Ingest is the template for each poll's ingest (workers, GeoIP,
	// S3 settings); its Sources are replaced.
	Ingest ingest.Config
	// AfterIngest, when set, runs after a poll that committed records:
	// serve runs the detections there, so that findings about new data
	// appear within a poll.
	AfterIngest func(ctx context.Context) error
	Logger      *slog.Logger
}

// Watcher ingests new objects from its sources as they appear, polling,
// in the serving process (which holds the database's only write access).
type Watcher struct {
	st      *store.Store
	cfg     WatchConfig
	log     *slog.Logger
	mu      sync.Mutex
	state   map[string]*WatchStatus
	polls   *prometheus.CounterVec
	records prometheus.Counter
}

// WatchStatus is one watched source's state.
type WatchStatus struct {
	Source    string     `json:"source"`
	LastPoll  *time.Time `json:"last_poll"`
	LastError string     `json:"last_error,omitempty"`
	// Of the last poll:
	ObjectsRead     int64 `json:"last_objects_read"`
	RecordsIngested int64 `json:"last_records_ingested"`
	LinesRejected   int64 `json:"last_lines_rejected"`
	// Of everything ingested under the source (from the ledger):
	Objects        int64      `json:"objects"`
	Records        int64      `json:"records"`
	Rejected       int64      `json:"rejected"`
	LastIngestedAt *time.Time `json:"last_ingested_at"`
}

// NewWatcher validates the sources; Run starts polling.
func NewWatcher(st *store.Store, cfg WatchConfig) (*Watcher, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultWatchInterval
	}
	w := &Watcher{st: st, cfg: cfg, log: cfg.Logger, state: map[string]*WatchStatus{}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("component", "watch")
	if cfg.Interval > 50*time.Second {
		// Allowed, but new data then takes longer than a minute.
		w.log.Warn("watch interval over 50s: new data may take more than a minute to appear", "interval", cfg.Interval)
	}
	for i, src := range cfg.Sources {
		if !strings.HasPrefix(src, "s3://") {
			abs, err := filepath.Abs(src)
			if err != nil {
				return nil, fmt.Errorf("watch %s: %w", src, err)
			}
			cfg.Sources[i] = abs
		}
		w.state[cfg.Sources[i]] = &WatchStatus{Source: cfg.Sources[i]}
	}
	w.cfg.Sources = cfg.Sources
	w.polls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gumshoe_watch_polls_total", Help: "Polls of watched sources by outcome.",
	}, []string{"outcome"})
	w.records = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "gumshoe_watch_records_ingested_total", Help: "Records ingested by watching sources.",
	})
	return w, nil
}

func (w *Watcher) register(reg *prometheus.Registry) error {
	if err := reg.Register(w.polls); err != nil {
		return err
	}
	return reg.Register(w.records)
}

// Run polls until ctx ends: once at once, then every interval.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		w.poll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (w *Watcher) poll(ctx context.Context) {
	var committed int64
	defer func() {
		if committed > 0 && w.cfg.AfterIngest != nil && ctx.Err() == nil {
			if err := w.cfg.AfterIngest(ctx); err != nil {
				w.log.Warn("after watch ingest", "error", err)
			}
		}
	}()
	for _, src := range w.cfg.Sources {
		if ctx.Err() != nil {
			return
		}
		cfg := w.cfg.Ingest
		cfg.Sources = []string{src}
		cfg.Logger = w.log
		sum, err := ingest.Run(ctx, w.st, cfg)
		now := time.Now().UTC()
		w.mu.Lock()
		st := w.state[src]
		st.LastPoll = &now
		st.LastError = ""
		if sum != nil {
			st.ObjectsRead, st.RecordsIngested, st.LinesRejected = sum.ObjectsRead, sum.RecordsIngested, sum.LinesRejected
		}
		switch {
		case err == nil:
			w.polls.WithLabelValues("ok").Inc()
		case errors.Is(err, ingest.ErrNothingRead) && sum != nil && sum.ObjectsFailed == 0:
			// An empty source: nothing to do yet.
			w.polls.WithLabelValues("empty").Inc()
		case ctx.Err() != nil:
		default:
			st.LastError = err.Error()
			w.polls.WithLabelValues("error").Inc()
			w.log.Warn("watch ingest failed", "source", src, "error", err)
		}
		w.mu.Unlock()
		if sum != nil && sum.RecordsIngested > 0 {
			committed += sum.RecordsIngested
			w.records.Add(float64(sum.RecordsIngested))
			w.log.Info("watch ingested", "source", src, "objects", sum.ObjectsRead, "records", sum.RecordsIngested, "rejected", sum.LinesRejected)
		}
	}
}

// Status reports each source: its last poll, and from the ledger what has
// been ingested under it.
func (w *Watcher) Status(ctx context.Context) ([]WatchStatus, error) {
	out := []WatchStatus{}
	for _, src := range w.cfg.Sources {
		w.mu.Lock()
		st := *w.state[src]
		w.mu.Unlock()
		// A folder's objects are under it (a file is itself); an S3
		// prefix is a plain string prefix, as in S3.
		prefix := src
		if !strings.HasPrefix(src, "s3://") {
			prefix = strings.TrimSuffix(src, string(filepath.Separator)) + string(filepath.Separator)
		}
		sum, err := w.st.IngestUnder(ctx, src, prefix)
		if err != nil {
			return nil, err
		}
		st.Objects, st.Records, st.Rejected, st.LastIngestedAt = sum.Objects, sum.Records, sum.Rejected, sum.LastIngestedAt
		out = append(out, st)
	}
	return out, nil
}
