package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
)

// Lake flow files hold the rows of flowrow_gen.go: every field optional,
// typed as AWS types its own Parquet flow logs, except start and end,
// stored as timestamps so that the view needs no conversion and DuckDB can
// prune row groups on time. They are written through parquet-go's
// GenericWriter, whose struct-to-column path measures several times faster
// than writing parquet.Row values.

const (
	stagingDir = "staging"
	anchorName = "_schema.parquet"
	// rowsPerRowGroup matches DuckDB's own row group size, so that its
	// parallel scan splits work the same way.
	rowsPerRowGroup = 122880
	// flowRowsPerRowGroup is smaller for the raw flow records: they are
	// appended object by object (an hour of one account's flow log each),
	// so a row group of a few objects spans a few hours and interfaces,
	// and its start_time statistics and bloom filters let a query for
	// part of an hour of one instance (a scope with minute edges, a
	// lookup) skip the rest of the day's records.
	flowRowsPerRowGroup = 16384
	// maxOpenFiles bounds the day partitions a FlowWriter keeps open; each
	// buffers up to one row group in memory.
	maxOpenFiles = 2
)

func rowsPerGroup(table string) int64 {
	if table == flowTable {
		return flowRowsPerRowGroup
	}
	return rowsPerRowGroup
}

// codec is shared by every writer: its zstd encoders, whose history
// buffers are costly to allocate, live as long as the process.
var codec = newZstdCodec()

func writerOptions(table string) []parquet.WriterOption {
	opts := []parquet.WriterOption{
		parquet.Compression(codec),
		parquet.MaxRowsPerRowGroup(rowsPerGroup(table)),
		parquet.PageBufferSize(256 << 10),
		parquet.CreatedBy("gumshoe", "", ""),
		// Statistics in every page header cost a second pass over each
		// page; DuckDB prunes with the column chunks' statistics, which
		// are kept.
		parquet.DataPageStatistics(false),
	}
	for _, c := range highCardinalityColumns {
		opts = append(opts, parquet.SkipPageBounds(c)) // one column path per option
	}
	if cols := bloomColumns[table]; len(cols) > 0 {
		filters := make([]parquet.BloomFilterColumn, len(cols))
		for i, c := range cols {
			filters[i] = parquet.SplitBlockFilter(bloomBitsPerValue, c)
		}
		opts = append(opts, parquet.BloomFilters(filters...))
	}
	return opts
}

// bloomColumns are the columns of each lake table that get a Parquet bloom
// filter per row group: the identifiers mentions() looks up by equality.
// Their values are spread over the whole key space, so min/max statistics
// prune nothing, while a bloom filter lets DuckDB skip every row group
// that does not hold the value (see docs/storage.md for what it costs and
// saves). The columns are dictionary-encoded, so parquet-go builds each
// filter from the row group's dictionary: one hash per distinct value.
var bloomColumns = map[string][]string{
	flowTable:         {"srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr", "interface_id", "instance_id"},
	cloudtrailIDTable: {"identifier"},
}

// bloomBitsPerValue sizes the filters: 10 bits per distinct value gives
// split-block filters a false positive rate of about 1%.
const bloomBitsPerValue = 10

// highCardinalityColumns are string columns whose values (addresses,
// interface and resource IDs) are spread over the whole key space, so a
// page's min and max prune nothing. Computing those bounds was 6% of an
// ingest's CPU time.
var highCardinalityColumns = []string{
	"interface_id", "srcaddr", "dstaddr", "pkt_srcaddr", "pkt_dstaddr",
	"instance_id", "subnet_id", "vpc_id", "local_addr", "remote_addr",
	"ecs_task_arn", "ecs_task_id", "ecs_container_id", "ecs_second_container_id",
	"ecs_service_name", "ecs_cluster_arn", "ecs_cluster_name",
	"query_name", "answers", "raw",
}

// ensureAnchors writes, for each lake table, the zero-row file that gives
// its view columns and types even before any row exists.
func (s *Store) ensureAnchors() error {
	if err := writeAnchor[flowRow](filepath.Join(s.lakeDir, flowTable, anchorName)); err != nil {
		return err
	}
	if err := writeAnchor[rollupRow](filepath.Join(s.lakeDir, rollupTable, anchorName)); err != nil {
		return err
	}
	if err := writeAnchor[CloudTrailRow](filepath.Join(s.lakeDir, cloudtrailTable, anchorName)); err != nil {
		return err
	}
	if err := writeAnchor[cloudtrailIDRow](filepath.Join(s.lakeDir, cloudtrailIDTable, anchorName)); err != nil {
		return err
	}
	return writeAnchor[DNSRow](filepath.Join(s.lakeDir, dnsTable, anchorName))
}

func writeAnchor[T any](path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("create %s: %w", tmp, err)
	}
	w := parquet.NewGenericWriter[T](f, writerOptions("")...)
	if err := w.Close(); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	return os.Rename(tmp, path)
}

// StagedFile is a Parquet file written to the staging area, waiting for
// its segment to commit.
type StagedFile struct {
	Table   string // the lake table: flow_logs or flow_rollup_hourly
	Staged  string // absolute path in staging
	Final   string // path relative to the lake once committed
	Records int64
	Bytes   int64
	MinTime time.Time
	MaxTime time.Time
	// Index is, for a cloudtrail_events file, the cloudtrail_identifiers
	// file of its events, committed with it.
	Index *StagedFile
}

// rowShape is the row type of a lake file: the narrowest of flowRowV2,
// flowRowV5 and flowRow that holds every field of the records' format.
// Writing 16 columns instead of 60 for default-format logs halves the cost
// of the write; the view reads the files by column name, so a column a
// file lacks is NULL.
type rowShape uint8

const (
	shapeV2 rowShape = iota
	shapeV5
	shapeFull
)

// fieldsAbove[v] has the bits of the fields newer than version v.
var fieldsAbove = func() (m [9]uint64) {
	for _, f := range flowlog.Fields() {
		for v := range m {
			if f.Info().Version > v {
				m[v] |= 1 << f
			}
		}
	}
	return m
}()

// shapeOf returns the narrowest shape holding every field set in recs.
func shapeOf(recs []flowlog.Record) rowShape {
	var set uint64
	for i := range recs {
		set |= recs[i].Set
	}
	switch {
	case set&fieldsAbove[2] == 0:
		return shapeV2
	case set&fieldsAbove[5] == 0:
		return shapeV5
	}
	return shapeFull
}

// Record.Set is a uint64: a 65th field would not fit.
var _ [64 - flowlog.NumFields]struct{}

// rowFiller is a pointer to a generated lake row type.
type rowFiller[T any] interface {
	*T
	fill(objectID int64, r *flowlog.Record)
}

// rowWriter writes records as rows of one generated type.
type rowWriter interface {
	write(objectID int64, recs []flowlog.Record) error
	close() error
}

type typedWriter[T any, P rowFiller[T]] struct {
	w    *parquet.GenericWriter[T]
	rows []T
}

func newTypedWriter[T any, P rowFiller[T]](f *os.File) rowWriter {
	return &typedWriter[T, P]{w: parquet.NewGenericWriter[T](f, writerOptions(flowTable)...)}
}

func (t *typedWriter[T, P]) write(objectID int64, recs []flowlog.Record) error {
	if len(t.rows) < len(recs) {
		t.rows = make([]T, len(recs))
	}
	rows := t.rows[:len(recs)]
	for i := range rows {
		P(&rows[i]).fill(objectID, &recs[i])
	}
	_, err := t.w.Write(rows)
	return err
}

func (t *typedWriter[T, P]) close() error { return t.w.Close() }

type fileKey struct {
	day   int64
	shape rowShape
}

type flowFile struct {
	f                *os.File
	w                rowWriter
	sf               StagedFile
	minUnix, maxUnix int64
	hasTime          bool
	lastUse          int
}

// FlowWriter writes flow records into staged Parquet files, one per UTC day
// of the records' start time. One ingest worker owns one FlowWriter; it is
// not safe for concurrent use.
type FlowWriter struct {
	s      *Store
	token  string
	dir    string
	files  map[fileKey]*flowFile
	done   []StagedFile
	rollup *rollupBuilder
	seq    int
	uses   int
	nrows  int64
	closed bool
}

// newToken names a set of staged files uniquely.
func newToken() string {
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%d-%s", time.Now().UnixNano(), hex.EncodeToString(b[:]))
}

// NewFlowWriter starts a new set of staged files.
func (s *Store) NewFlowWriter() (*FlowWriter, error) {
	if s.readOnly {
		return nil, errors.New("database is open read-only")
	}
	token := newToken()
	dir := filepath.Join(s.lakeDir, stagingDir, token)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create staging %s: %w", dir, err)
	}
	rb := s.getRollup()
	return &FlowWriter{s: s, token: token, dir: dir, files: map[fileKey]*flowFile{}, rollup: rb}, nil
}

// Records returns the number of records written so far.
func (w *FlowWriter) Records() int64 { return w.nrows }

// EachAddress calls fn with every address in the records written since
// the writer started, some more than once; ingest picks the public ones to
// describe them. Call it before Close.
func (w *FlowWriter) EachAddress(fn func(netip.Addr)) {
	w.rollup.eachAddress(fn)
}

// RollupKeys returns the number of distinct rollup keys held in memory;
// callers close the writer when it grows past their memory budget.
func (w *FlowWriter) RollupKeys() int { return w.rollup.size() }

// Write appends records that came from the ingested object objectID.
func (w *FlowWriter) Write(objectID int64, recs []flowlog.Record) error {
	shape := shapeOf(recs)
	for len(recs) > 0 {
		// Records of one batch nearly always share a day; write each run
		// of same-day records in one call.
		day := dayOf(&recs[0])
		n := 1
		for n < len(recs) && dayOf(&recs[n]) == day {
			n++
		}
		ff, err := w.file(fileKey{day, shape})
		if err != nil {
			return err
		}
		if err := ff.w.write(objectID, recs[:n]); err != nil {
			return fmt.Errorf("write %s: %w", ff.sf.Staged, err)
		}
		for i := range recs[:n] {
			r := &recs[i]
			w.rollup.add(r)
			if r.Has(flowlog.Start) {
				sec := r.Int[flowlog.Start]
				if !ff.hasTime || sec < ff.minUnix {
					ff.minUnix = sec
				}
				if !ff.hasTime || sec > ff.maxUnix {
					ff.maxUnix = sec
				}
				ff.hasTime = true
			}
		}
		ff.sf.Records += int64(n)
		w.nrows += int64(n)
		recs = recs[n:]
	}
	return nil
}

// noDay is the partition of records without a start time.
const noDay = math.MinInt64

// dayOf returns the UTC day number of a record's start time.
func dayOf(r *flowlog.Record) int64 {
	if !r.Has(flowlog.Start) {
		return noDay
	}
	sec := r.Int[flowlog.Start]
	if sec < 0 {
		return (sec - 86399) / 86400
	}
	return sec / 86400
}

func dayName(day int64) string {
	if day == noDay {
		return "none"
	}
	return time.Unix(day*86400, 0).UTC().Format(time.DateOnly)
}

// file returns the open file for a day, opening one (and closing the least
// recently used) as needed.
func (w *FlowWriter) file(key fileKey) (*flowFile, error) {
	w.uses++
	if ff, ok := w.files[key]; ok {
		ff.lastUse = w.uses
		return ff, nil
	}
	if len(w.files) >= maxOpenFiles {
		oldest, oldestUse := fileKey{}, -1
		for d, ff := range w.files {
			if oldestUse < 0 || ff.lastUse < oldestUse {
				oldest, oldestUse = d, ff.lastUse
			}
		}
		if err := w.finish(oldest); err != nil {
			return nil, err
		}
	}
	w.seq++
	rel := filepath.Join(flowTable, "date="+dayName(key.day), fmt.Sprintf("%s-%d.parquet", w.token, w.seq))
	staged := filepath.Join(w.dir, rel)
	if err := os.MkdirAll(filepath.Dir(staged), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", filepath.Dir(staged), err)
	}
	f, err := os.Create(staged)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", staged, err)
	}
	var rw rowWriter
	switch key.shape {
	case shapeV2:
		rw = newTypedWriter[flowRowV2](f)
	case shapeV5:
		rw = newTypedWriter[flowRowV5](f)
	default:
		rw = newTypedWriter[flowRow](f)
	}
	ff := &flowFile{f: f, w: rw, lastUse: w.uses, sf: StagedFile{Table: flowTable, Staged: staged, Final: rel}}
	w.files[key] = ff
	return ff, nil
}

func (w *FlowWriter) finish(key fileKey) error {
	ff := w.files[key]
	delete(w.files, key)
	if err := ff.w.close(); err != nil {
		ff.f.Close()
		return fmt.Errorf("write %s: %w", ff.sf.Staged, err)
	}
	if err := ff.f.Sync(); err != nil {
		ff.f.Close()
		return fmt.Errorf("sync %s: %w", ff.sf.Staged, err)
	}
	st, err := ff.f.Stat()
	if err == nil {
		ff.sf.Bytes = st.Size()
	}
	if err := ff.f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", ff.sf.Staged, err)
	}
	if ff.hasTime {
		ff.sf.MinTime = time.Unix(ff.minUnix, 0).UTC()
		ff.sf.MaxTime = time.Unix(ff.maxUnix, 0).UTC()
	}
	w.done = append(w.done, ff.sf)
	return nil
}

// Close finishes every file, writes the segment's rollup, and returns the
// files and the direction evidence, ready to commit.
func (w *FlowWriter) Close() ([]StagedFile, AddressCounts, error) {
	if w.closed {
		return w.done, nil, nil
	}
	w.closed = true
	for day := range w.files {
		if err := w.finish(day); err != nil {
			return nil, nil, err
		}
	}
	w.s.addrMu.RLock()
	rollups, err := w.rollup.write(w.dir, w.token, w.s.addrs)
	w.s.addrMu.RUnlock()
	if err != nil {
		return nil, nil, err
	}
	ev := w.rollup.evidence()
	w.s.putRollup(w.rollup)
	w.rollup = nil
	return append(w.done, rollups...), ev, nil
}

// Abort discards everything written.
func (w *FlowWriter) Abort() {
	for _, ff := range w.files {
		ff.f.Close()
	}
	w.files = nil
	w.closed = true
	os.RemoveAll(w.dir)
}

// recoverLake finishes what a crash interrupted. Files of committed segments
// still in staging are moved into place; every other staged file belongs to
// a segment that never committed and is deleted, so that the lake holds
// exactly the records of committed objects.
func (s *Store) recoverLake(ctx context.Context) error {
	root := filepath.Join(s.lakeDir, stagingDir)
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, `SELECT path, staged_path FROM lake_files WHERE staged_path <> ''`)
	if err != nil {
		return fmt.Errorf("recover lake: %w", err)
	}
	var pending [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			rows.Close()
			return fmt.Errorf("recover lake: %w", err)
		}
		pending = append(pending, p)
	}
	rows.Close()
	moved := 0
	for _, p := range pending {
		final := filepath.Join(s.lakeDir, p[0])
		staged := filepath.Join(s.lakeDir, p[1])
		if _, err := os.Stat(staged); err != nil {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return fmt.Errorf("recover lake: %w", err)
		}
		if err := os.Rename(staged, final); err != nil {
			return fmt.Errorf("recover lake: %w", err)
		}
		moved++
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE lake_files SET staged_path = '' WHERE staged_path <> ''`); err != nil {
		return fmt.Errorf("recover lake: %w", err)
	}
	if err := os.RemoveAll(root); err != nil {
		return fmt.Errorf("recover lake: remove %s: %w", root, err)
	}
	if moved > 0 {
		s.log.Info("lake recovered", "files_moved", moved)
	}
	return nil
}
