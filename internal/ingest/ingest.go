// Package ingest runs sources through decoders into the store: objects are
// listed, skipped when the ledger already has them, decoded in parallel
// (one object per worker at a time) and committed in segments, so that an
// interrupted ingest resumes cleanly and a repeated one adds nothing.
package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/source"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// Config configures Run.
type Config struct {
	// Sources are local files, folders or s3://bucket/prefix URIs.
	Sources []string
	// Format is the flow log format of headerless text input (CloudWatch
	// Logs messages); nil means the default format. Header lines win.
	Format *flowlog.Format
	// Kind forces the log family of every object; empty means detect it
	// from each object's key and first bytes.
	Kind Kind
	// Accounts and Regions, when set, keep only the objects whose S3 key
	// names one of them (objects whose key names none are kept).
	Accounts []string
	Regions  []string
	// Strict rejects a whole object when any of its lines is bad.
	Strict bool
	// Workers is the number of objects decoded at once; 0 means one per
	// core.
	Workers int
	// SegmentRecords is how many records a worker writes before it
	// commits; smaller segments lose less work to a crash, larger ones
	// make fewer, bigger files.
	SegmentRecords int64
	// SegmentRollupKeys bounds the distinct rollup keys a worker holds in
	// memory (about 200 bytes each) before it commits.
	SegmentRollupKeys int
	// GeoIP describes the public addresses seen (table ip_info); nil
	// means AWS's published ranges only.
	GeoIP *geoip.Resolver
	// Source configures S3 access.
	Source source.Config
	// Progress, if set, is called about four times a second.
	Progress func(Progress)
	Logger   *slog.Logger

	// afterCommit is a test hook called after each segment commits.
	afterCommit func(segments int)
}

// Progress is a snapshot of a running ingest.
type Progress struct {
	ObjectsDone     int64
	ObjectsSkipped  int64
	ObjectsListed   int64
	ListingDone     bool
	RecordsIngested int64
	Elapsed         time.Duration
}

// Rejected describes one line that could not be decoded.
type Rejected struct {
	File  string `json:"file"`
	Line  int    `json:"line"`
	Field string `json:"field,omitempty"`
	Error string `json:"error"`
	Text  string `json:"text,omitempty"`
}

// ObjectError describes an object that could not be read, wholly or in
// part.
type ObjectError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

// KindSummary counts what one kind of log contributed.
type KindSummary struct {
	Objects  int64 `json:"objects"`
	Records  int64 `json:"records"`
	Rejected int64 `json:"rejected"`
}

// Summary is the outcome of an ingest.
type Summary struct {
	ObjectsRead     int64                 `json:"objects_read"`
	ObjectsSkipped  int64                 `json:"objects_skipped"`
	ObjectsFailed   int64                 `json:"objects_failed"`
	RecordsIngested int64                 `json:"records_ingested"`
	LinesRejected   int64                 `json:"lines_rejected"`
	DigestsSkipped  int64                 `json:"digests_skipped"`
	ObjectsFiltered int64                 `json:"objects_filtered"`
	Kinds           map[Kind]*KindSummary `json:"kinds"`
	RejectedLines   []Rejected            `json:"rejected_lines"`
	ObjectErrors    []ObjectError         `json:"object_errors"`
	Warnings        []string              `json:"warnings"`
	Seconds         float64               `json:"duration_seconds"`
	RecordsPerSec   float64               `json:"records_per_second"`
}

// maxReported bounds the rejected lines and errors a summary lists; the
// counts stay exact.
const maxReported = 20

// ErrNothingRead is returned when no object could be read at all.
var ErrNothingRead = errors.New("nothing could be read")

// ErrStrict is returned in strict mode when some object had bad lines.
var ErrStrict = errors.New("bad lines found in strict mode")

type run struct {
	cfg    Config
	st     *store.Store
	ledger *store.Ledger
	log    *slog.Logger

	listed, done, skipped, records atomic.Int64
	listingDone                    atomic.Bool
	commits                        atomic.Int64

	mu  sync.Mutex
	sum Summary
}

// Run ingests every object under cfg.Sources into st. It returns the
// summary and, when the ingest as a whole failed, an error: ErrNothingRead,
// ErrStrict, or a store failure (after which nothing uncommitted is kept).
func Run(ctx context.Context, st *store.Store, cfg Config) (*Summary, error) {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.SegmentRecords <= 0 {
		cfg.SegmentRecords = 4 << 20
	}
	if cfg.SegmentRollupKeys <= 0 {
		// About 200 bytes a key (aggregate and hash slots): 300k keys is
		// 60 MiB a worker. Fewer, larger segments mean fewer commits and
		// fewer rows for conversations that span objects.
		cfg.SegmentRollupKeys = 300_000
	}
	if cfg.GeoIP == nil {
		res, err := geoip.Open(geoip.Config{})
		if err != nil {
			return nil, err
		}
		defer res.Close()
		cfg.GeoIP = res
	}
	r := &run{cfg: cfg, st: st, log: cfg.Logger}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.sum.RejectedLines = []Rejected{}
	r.sum.Kinds = map[Kind]*KindSummary{}
	r.sum.ObjectErrors = []ObjectError{}
	r.sum.Warnings = []string{}
	ledger, err := st.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	r.ledger = ledger
	start := time.Now()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	objects := make(chan source.Object, 64)
	go func() {
		defer close(objects)
		defer r.listingDone.Store(true)
		for _, uri := range cfg.Sources {
			err := source.List(ctx, uri, cfg.Source, func(o source.Object) error {
				r.listed.Add(1)
				select {
				case objects <- o:
					return nil
				case <-ctx.Done():
					return ctx.Err()
				}
			})
			if err != nil && ctx.Err() == nil {
				r.objectError(uri, err)
			}
		}
	}()

	stopProgress := r.startProgress(start)
	var (
		wg       sync.WaitGroup
		fatalMu  sync.Mutex
		fatalErr error
	)
	for i := 0; i < cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := r.worker(ctx, objects); err != nil {
				fatalMu.Lock()
				if fatalErr == nil {
					fatalErr = err
				}
				fatalMu.Unlock()
				cancel()
			}
		}()
	}
	wg.Wait()
	stopProgress()

	r.sum.Seconds = time.Since(start).Seconds()
	if r.sum.Seconds > 0 {
		r.sum.RecordsPerSec = float64(r.sum.RecordsIngested) / r.sum.Seconds
	}
	sum := r.sum
	switch {
	case fatalErr != nil:
		return &sum, fatalErr
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.Canceled):
		return &sum, ctx.Err()
	case cfg.Strict && sum.LinesRejected > 0:
		return &sum, ErrStrict
	case sum.ObjectsRead == 0 && sum.ObjectsSkipped == 0 && sum.ObjectsFiltered == 0:
		return &sum, ErrNothingRead
	}
	return &sum, nil
}

func (r *run) startProgress(start time.Time) func() {
	if r.cfg.Progress == nil {
		return func() {}
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				r.cfg.Progress(r.progress(start))
			case <-stop:
				r.cfg.Progress(r.progress(start))
				return
			}
		}
	}()
	return func() { close(stop); <-finished }
}

func (r *run) progress(start time.Time) Progress {
	return Progress{
		ObjectsDone:     r.done.Load(),
		ObjectsSkipped:  r.skipped.Load(),
		ObjectsListed:   r.listed.Load(),
		ListingDone:     r.listingDone.Load(),
		RecordsIngested: r.records.Load(),
		Elapsed:         time.Since(start),
	}
}

func (r *run) objectError(file string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.ObjectsFailed++
	if len(r.sum.ObjectErrors) < maxReported {
		r.sum.ObjectErrors = append(r.sum.ObjectErrors, ObjectError{File: file, Error: err.Error()})
	}
	r.log.Warn("object not ingested", "file", file, "err", err)
}

// worker decodes objects and commits a segment whenever its writer holds
// enough records.
func (r *run) worker(ctx context.Context, objects <-chan source.Object) error {
	w := &segmentWriter{r: r}
	defer w.abort()
	batch := &flowlog.Batch{Records: make([]flowlog.Record, 0, 4096)}
	for o := range objects {
		if ctx.Err() != nil {
			return nil
		}
		if err := r.object(ctx, o, w, batch); err != nil {
			return err
		}
		r.done.Add(1)
		if w.full() {
			if err := w.commit(ctx); err != nil {
				return err
			}
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return w.commit(ctx)
}

// segmentWriter accumulates one worker's uncommitted objects and files.
type segmentWriter struct {
	r       *run
	fw      *store.FlowWriter
	ct      *store.RowWriter[store.CloudTrailRow]
	fd      *store.RowWriter[store.FindingRow]
	dn      *store.RowWriter[store.DNSRow]
	addrs   map[string]struct{} // addresses seen outside flows
	events  map[string]struct{} // CloudTrail event IDs in this segment
	objects []store.ObjectRecord
	records int64
}

func (w *segmentWriter) cloudtrail() (*store.RowWriter[store.CloudTrailRow], error) {
	if w.ct == nil {
		ct, err := w.r.st.NewCloudTrailWriter()
		if err != nil {
			return nil, err
		}
		w.ct = ct
	}
	return w.ct, nil
}

func (w *segmentWriter) findings() (*store.RowWriter[store.FindingRow], error) {
	if w.fd == nil {
		fd, err := w.r.st.NewFindingWriter()
		if err != nil {
			return nil, err
		}
		w.fd = fd
	}
	return w.fd, nil
}

func (w *segmentWriter) dns() (*store.RowWriter[store.DNSRow], error) {
	if w.dn == nil {
		dn, err := w.r.st.NewDNSWriter()
		if err != nil {
			return nil, err
		}
		w.dn = dn
	}
	return w.dn, nil
}

// full reports whether the segment should commit now.
func (w *segmentWriter) full() bool {
	cfg := &w.r.cfg
	if w.fw != nil && (w.fw.Records() >= cfg.SegmentRecords || w.fw.RollupKeys() >= cfg.SegmentRollupKeys) {
		return true
	}
	var rows int64
	if w.ct != nil {
		rows += w.ct.Records()
	}
	if w.fd != nil {
		rows += w.fd.Records()
	}
	if w.dn != nil {
		rows += w.dn.Records()
	}
	// A segment of JSON logs is loaded into DuckDB in one statement; 100k
	// events (about 150 MiB of JSON) stays well inside its memory limit.
	return rows >= 100_000
}

func (w *segmentWriter) writer() (*store.FlowWriter, error) {
	if w.fw == nil {
		fw, err := w.r.st.NewFlowWriter()
		if err != nil {
			return nil, err
		}
		w.fw = fw
	}
	return w.fw, nil
}

func (w *segmentWriter) commit(ctx context.Context) error {
	if len(w.objects) == 0 {
		w.abort()
		return nil
	}
	var seg store.Segment
	info, err := w.describeAddresses()
	if err != nil {
		return err
	}
	if w.fw != nil {
		var err error
		seg.Files, seg.Evidence, err = w.fw.Close()
		if err != nil {
			return err
		}
	}
	for _, c := range []interface {
		Close() (store.StagedFile, error)
	}{nilIfEmpty(w.ct), nilIfEmpty(w.fd), nilIfEmpty(w.dn)} {
		if c == nil {
			continue
		}
		sf, err := c.Close()
		if err != nil {
			return err
		}
		seg.Files = append(seg.Files, sf)
	}
	w.ct, w.fd, w.dn = nil, nil, nil
	w.events = nil
	if info != nil {
		seg.Files = append(seg.Files, *info)
	}
	seg.Objects = w.objects
	if err := w.r.st.Commit(ctx, seg); err != nil {
		return err
	}
	w.fw = nil
	w.objects = nil
	w.r.records.Add(w.records)
	w.records = 0
	n := w.r.commits.Add(1)
	if w.r.cfg.afterCommit != nil {
		w.r.cfg.afterCommit(int(n))
	}
	return nil
}

func (w *segmentWriter) abort() {
	if w.fw != nil {
		w.fw.Abort()
		w.fw = nil
	}
	if w.ct != nil {
		w.ct.Abort()
		w.ct = nil
	}
	if w.fd != nil {
		w.fd.Abort()
		w.fd = nil
	}
	if w.dn != nil {
		w.dn.Abort()
		w.dn = nil
	}
}

// firstInSegment reports whether a CloudTrail event ID is new to the
// segment; the store drops those already stored by earlier segments.
func (w *segmentWriter) firstInSegment(id string) bool {
	if w.events == nil {
		w.events = make(map[string]struct{}, 1<<12)
	}
	if _, ok := w.events[id]; ok {
		return false
	}
	w.events[id] = struct{}{}
	return true
}

// noteAddress remembers an address seen in CloudTrail or a finding.
func (w *segmentWriter) noteAddress(a string) {
	if a == "" {
		return
	}
	if w.addrs == nil {
		w.addrs = map[string]struct{}{}
	}
	w.addrs[a] = struct{}{}
}

// describeAddresses stages an ip_info row for every public address the
// segment saw.
func (w *segmentWriter) describeAddresses() (*store.StagedFile, error) {
	seen := map[netip.Addr]struct{}{}
	addAddr := func(a netip.Addr) {
		if w.r.cfg.GeoIP.Describes(a) {
			seen[a.Unmap()] = struct{}{}
		}
	}
	add := func(s string) {
		if a, err := netip.ParseAddr(s); err == nil {
			addAddr(a)
		}
	}
	if w.fw != nil {
		w.fw.EachAddress(addAddr)
	}
	for a := range w.addrs {
		add(a)
	}
	w.addrs = nil
	if len(seen) == 0 {
		return nil, nil
	}
	iw, err := w.r.st.NewIPInfoWriter()
	if err != nil {
		return nil, err
	}
	rows := make([]store.IPInfoRow, 0, min(len(seen), 4096))
	flush := func() error {
		err := iw.Write(rows)
		rows = rows[:0]
		return err
	}
	for a := range seen {
		info, ok := w.r.cfg.GeoIP.Lookup(a)
		if !ok || (info.Country == "" && info.City == "" && info.ASN == 0 && info.AWSService == "") {
			continue // nothing to say about it
		}
		rows = append(rows, store.IPInfoRow{
			IP: a.String(), Country: info.Country, CountryName: info.CountryName, City: info.City,
			Latitude: info.Latitude, Longitude: info.Longitude, ASN: int64(info.ASN), ASOrg: info.ASOrg,
			AWSService: info.AWSService, AWSRegion: info.AWSRegion, HasGeo: info.Country != "" || info.City != "",
		})
		if len(rows) == cap(rows) {
			if err := flush(); err != nil {
				iw.Abort()
				return nil, err
			}
		}
	}
	if err := flush(); err != nil {
		iw.Abort()
		return nil, err
	}
	sf, err := iw.Close()
	if err != nil {
		return nil, err
	}
	return &sf, nil
}

// nilIfEmpty turns a nil *RowWriter into a nil interface.
func nilIfEmpty[T any](w *store.RowWriter[T]) interface {
	Close() (store.StagedFile, error)
} {
	if w == nil {
		return nil
	}
	return w
}

// object ingests one object. Only store failures are returned; problems
// with the object itself are recorded in the summary.
func (r *run) object(ctx context.Context, o source.Object, w *segmentWriter, batch *flowlog.Batch) error {
	if !matches(r.cfg.Accounts, o.Layout.AccountID) || !matches(r.cfg.Regions, o.Layout.Region) {
		r.mu.Lock()
		r.sum.ObjectsFiltered++
		r.mu.Unlock()
		return nil
	}
	if r.ledger.Seen(o.URI, o.Size, o.ETag, o.Modified) {
		r.skip()
		return nil
	}
	var sum string
	if !o.IsS3() && !o.IsCWL() {
		s, err := checksum(o.URI)
		if err != nil {
			r.objectError(o.URI, err)
			return nil
		}
		sum = s
	}
	if !r.ledger.Claim(o.URI, o.Size, o.ETag, o.Modified, sum) {
		r.skip()
		return nil
	}
	rec := store.ObjectRecord{
		ID: r.ledger.NextObjectID(), URI: o.URI, Size: o.Size, ETag: o.ETag, Checksum: sum,
		Modified: o.Modified, AccountID: o.Layout.AccountID, Region: o.Layout.Region,
	}
	if r.cfg.Strict {
		// Nothing of an object with a bad line may be kept: check it all
		// before writing any of it.
		res := r.decode(ctx, o, batch, nil)
		if res.err != nil || res.rejected > 0 {
			r.report(o.URI, res, rec.ID)
			return nil
		}
	}
	res := r.decode(ctx, o, batch, &sink{w: w, id: rec.ID})
	if res.storeErr != nil {
		return res.storeErr
	}
	r.report(o.URI, res, rec.ID)
	rec.LogType = string(res.kind)
	if res.digests > 0 {
		rec.LogType = "cloudtrail-digest"
	}
	if res.records == 0 && res.err != nil {
		// Nothing was kept: leave it out of the ledger so that a later run
		// (with --format, say) tries again.
		return nil
	}
	rec.Records = res.records
	rec.Rejected = res.rejected
	rec.Format = res.format
	if res.err != nil {
		rec.FirstError = res.err.Error()
	} else if res.firstReject != "" {
		rec.FirstError = res.firstReject
	}
	w.objects = append(w.objects, rec)
	w.records += res.records
	return nil
}

// matches applies an --account or --region filter: an empty filter or an
// object whose key says nothing passes.
func matches(filter []string, v string) bool {
	if len(filter) == 0 || v == "" {
		return true
	}
	for _, f := range filter {
		if f == v {
			return true
		}
	}
	return false
}

func (r *run) skip() {
	r.skipped.Add(1)
	r.mu.Lock()
	r.sum.ObjectsSkipped++
	r.mu.Unlock()
}

type decodeResult struct {
	kind              Kind
	digests           int
	records, rejected int64
	rejects           []Rejected
	firstReject       string
	warnings          []string
	format            string
	err               error // the object could not be read to its end
	storeErr          error
}

// report adds an object's outcome to the summary.
func (r *run) report(file string, res decodeResult, id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sum.LinesRejected += res.rejected
	for _, rj := range res.rejects {
		if len(r.sum.RejectedLines) < maxReported {
			r.sum.RejectedLines = append(r.sum.RejectedLines, rj)
		}
	}
	for _, wn := range res.warnings {
		if len(r.sum.Warnings) < maxReported {
			r.sum.Warnings = append(r.sum.Warnings, wn)
		}
	}
	r.sum.DigestsSkipped += int64(res.digests)
	if res.kind != "" {
		ks := r.sum.Kinds[res.kind]
		if ks == nil {
			ks = &KindSummary{}
			r.sum.Kinds[res.kind] = ks
		}
		ks.Rejected += res.rejected
		if res.err == nil || (res.records > 0 && !r.cfg.Strict) {
			if !(r.cfg.Strict && res.rejected > 0) {
				ks.Objects++
				ks.Records += res.records
			}
		}
	}
	strictReject := r.cfg.Strict && (res.rejected > 0 || res.err != nil)
	switch {
	case res.err != nil || strictReject:
		r.sum.ObjectsFailed++
		msg := ""
		if res.err != nil {
			msg = res.err.Error()
		} else {
			msg = fmt.Sprintf("%s: %d bad lines; nothing kept (--strict)", file, res.rejected)
		}
		if res.records > 0 && !r.cfg.Strict {
			r.sum.ObjectsRead++
			r.sum.RecordsIngested += res.records
			msg += fmt.Sprintf(" (%d records before it kept)", res.records)
		}
		if len(r.sum.ObjectErrors) < maxReported {
			r.sum.ObjectErrors = append(r.sum.ObjectErrors, ObjectError{File: file, Error: msg})
		}
	default:
		r.sum.ObjectsRead++
		r.sum.RecordsIngested += res.records
	}
}

// decoder is what the text and Parquet decoders have in common.
type decoder interface {
	Next(*flowlog.Batch) error
	Format() flowlog.Format
	Warnings() []string
}

// decode reads the object to its end, passing its records to s (nil:
// count only).
func (r *run) decode(ctx context.Context, o source.Object, batch *flowlog.Batch, s *sink) decodeResult {
	kind, in, closer, isParquet, err := r.openObject(ctx, o)
	if err != nil {
		return decodeResult{err: err}
	}
	defer closer.Close()
	if isParquet {
		return r.decodeParquet(ctx, o, batch, s)
	}
	switch kind {
	case KindCloudTrail:
		return r.decodeCloudTrail(ctx, o, in, s)
	case KindFindings:
		return r.decodeFindings(ctx, o, in, s)
	case KindDNS:
		return r.decodeDNS(ctx, o, in, s)
	}
	return r.decodeFlows(ctx, o, in, batch, s)
}

// checksum hashes a local file so that the same bytes under another name
// are recognised as already ingested.
func checksum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
