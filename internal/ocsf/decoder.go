package ocsf

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/gumshoe-dev/gumshoe/internal/cloudtrail"
	"github.com/gumshoe-dev/gumshoe/internal/dnslog"
	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/guardduty"

	"github.com/gumshoe-dev/gumshoe/internal/parquetcheck"
)

// OCSF class_uid values this package maps. Security Lake source version 1
// writes OCSF 1.0.0-rc.2, version 2 writes OCSF 1.1.0; the classes of
// CloudTrail management events and Security Hub findings differ between
// them.
const (
	ClassSecurityFinding  = 2001 // rc.2: Security Hub findings
	ClassDetectionFinding = 2004 // 1.1.0: Security Hub findings
	ClassAccountChange    = 3001
	ClassAuthentication   = 3002
	ClassAPIActivityRC2   = 3005 // rc.2: API Activity
	ClassNetworkActivity  = 4001
	ClassDNSActivity      = 4003
	ClassAPIActivity      = 6003 // 1.1.0: API Activity
)

// Options configures a Decoder.
type Options struct {
	// File names the object in errors: a path or an s3:// URI.
	File string
}

// Batch receives the records of one call to Decoder.Next. Each call fills
// one of Flows, Events, Queries and Findings, the one for the class of the
// records it read; Errors holds the records it rejected. The capacity of
// each slice sets how many records one call returns (1024 flows, 256 of
// the others, when it has none).
//
// Flows is a slice of flowlog.Record rather than a flowlog.Batch, whose
// errors are flowlog's own: rejected rows of every class are reported the
// same way, in Errors.
type Batch struct {
	Flows    []flowlog.Record
	Events   []cloudtrail.Event
	Queries  []dnslog.Query
	Findings []guardduty.Finding
	Errors   []*ParseError
}

// output says which slice of a Batch a class fills.
type output uint8

const (
	outNone output = iota
	outFlows
	outEvents
	outQueries
	outFindings
)

func outputOf(class int) output {
	switch class {
	case ClassNetworkActivity:
		return outFlows
	case ClassAPIActivity, ClassAPIActivityRC2, ClassAuthentication, ClassAccountChange:
		return outEvents
	case ClassDNSActivity:
		return outQueries
	case ClassSecurityFinding, ClassDetectionFinding:
		return outFindings
	}
	return outNone
}

// Default batch sizes: flows are small and many; the other records carry
// their JSON and are fewer.
const (
	defaultFlowBatch = 1024
	defaultBatch     = 256
	// maxRowsPerCall bounds the rows one call reads, so that a file of
	// rejected rows still returns in steps.
	maxRowsPerCall = 4096
	// rowBatch is how many rows are asked of parquet-go at a time.
	rowBatch = 128
	// maxRowValues bounds the values of one record. Real records hold a
	// few hundred; run-length encoding lets a small damaged page declare
	// millions of repeated values, which the decoder refuses to assemble.
	maxRowValues = 1 << 18
)

// Decoder reads one Security Lake Parquet object: OCSF records, one per
// row, of one class per file as Security Lake writes them (a file mixing
// classes is decoded record by record).
type Decoder struct {
	opts   Options
	r      io.ReaderAt
	size   int64
	file   *parquet.File
	schema *schema
	groups []parquet.RowGroup

	classCol   int         // leaf index of class_uid
	versionCol int         // leaf index of metadata.version
	paths      [][]*node   // per leaf: the nodes from the root's child down to it
	flow       flowColumns // how Network Activity rows become flows
	flowRow    flowRow     // the values of the flow being decoded

	class   int
	version string

	group   int               // next row group to open
	rows    parquet.RowReader // rows of the current group, nil between groups
	closer  io.Closer
	left    int64 // rows of the current group not yet read
	buf     []parquet.Row
	bufN    int
	bufPos  int
	split   bool   // ranges describe buf[bufPos]
	ranges  []int  // start of each leaf's values in the current row
	row     int    // rows consumed so far
	cur     int    // 1-based number of the row peek returned
	idx     []int  // element index per repetition level, while assembling
	arena   []byte // flow strings, valid until the next call
	scratch []byte // JSON being encoded
	err     error  // sticky fatal error
}

// NewDecoder opens the Parquet object of size bytes read through r and
// reads its first record, for Class and Version. A file that is not
// Parquet, or is damaged, is ErrCorrupt; a Parquet file whose schema lacks
// class_uid or metadata.version is ErrNotOCSF. Errors are *ParseError
// values with Record 0.
func NewDecoder(r io.ReaderAt, size int64, opts Options) (dec *Decoder, err error) {
	d := &Decoder{opts: opts, r: r, size: size}
	// parquet-go trusts the structures it decodes and may panic on a
	// malformed file; log files are untrusted, so a panic is an error
	// about the file.
	defer func() {
		if p := recover(); p != nil {
			d.closeRows()
			dec, err = nil, d.fileError("", fmt.Errorf("%w: %v", ErrCorrupt, p))
		}
	}()
	f, err := openParquet(r, size)
	if err != nil {
		return nil, d.fileError("", err)
	}
	d.file = f
	d.groups = f.RowGroups()
	var leaves []*parquet.Column
	var collect func(c *parquet.Column)
	collect = func(c *parquet.Column) {
		if c.Leaf() {
			leaves = append(leaves, c)
			return
		}
		for _, child := range c.Columns() {
			collect(child)
		}
	}
	collect(f.Root())
	s, err := buildSchema(f.Metadata().Schema, leaves)
	if err != nil {
		return nil, d.fileError("", err)
	}
	d.schema = s
	if err := d.findKeys(); err != nil {
		return nil, err
	}
	d.paths = make([][]*node, len(s.leaves))
	for i, l := range s.leaves {
		var path []*node
		for n := l; n.parent != nil; n = n.parent {
			path = append(path, n)
		}
		for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
			path[a], path[b] = path[b], path[a]
		}
		d.paths[i] = path
	}
	d.flow = planFlow(s)
	d.ranges = make([]int, len(s.leaves)+1)
	d.buf = make([]parquet.Row, rowBatch)
	row, ok, err := d.peek()
	if err != nil {
		d.closeRows()
		return nil, err
	}
	if ok {
		if class, ok := d.rowInt(row, d.classCol); ok {
			d.class = int(class)
		}
		d.version = d.rowString(row, d.versionCol)
	}
	return d, nil
}

// openParquet checks the footer and opens the file.
func openParquet(r io.ReaderAt, size int64) (*parquet.File, error) {
	if err := parquetcheck.Footer(r, size); err != nil {
		if errors.Is(err, parquetcheck.ErrEncrypted) {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	f, err := parquet.OpenFile(r, size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.FileReadMode(parquet.ReadModeSync))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return f, nil
}

// findKeys finds class_uid and metadata.version, which every OCSF record
// has, and checks their types.
func (d *Decoder) findKeys() error {
	class := d.schema.lookup("class_uid")
	version := d.schema.lookup("metadata.version")
	if class == nil || version == nil {
		missing := "class_uid"
		if class != nil {
			missing = "metadata.version"
		}
		return d.fileError("", fmt.Errorf("%w: the schema has no %s column", ErrNotOCSF, missing))
	}
	if class.shape != shapeLeaf || class.inList || (class.kind != parquet.Int32 && class.kind != parquet.Int64) {
		return d.fileError("class_uid", fmt.Errorf("%w: column class_uid is %s; want an integer", ErrType, class.describe()))
	}
	if version.shape != shapeLeaf || version.inList || version.kind != parquet.ByteArray || !version.str {
		return d.fileError("metadata.version", fmt.Errorf("%w: column metadata.version is %s; want a STRING", ErrType, version.describe()))
	}
	d.classCol, d.versionCol = class.leaf, version.leaf
	return nil
}

// Class returns the class_uid of the file's first record (0 for a file
// without records). Security Lake writes one class per file.
func (d *Decoder) Class() int { return d.class }

// Version returns the OCSF version of the file's first record, its
// metadata.version: "1.0.0-rc.2" or "1.1.0" from Security Lake.
func (d *Decoder) Version() string { return d.version }

// Next decodes the next records into b, replacing its contents. It fills
// the slice of b that matches the records' class, stopping early where the
// class changes so that one call fills one slice. Rejected records,
// including those of a class this package does not map, are appended to
// b.Errors and decoding goes on. Next returns io.EOF once the file is
// exhausted and no record was decoded (b may still hold errors); any other
// error is a *ParseError with Record 0 that ends decoding, and records
// decoded before it are still in b.
//
// Flow string values alias memory owned by the decoder and stay valid until
// the next call; events, queries and findings share nothing with it.
func (d *Decoder) Next(b *Batch) (err error) {
	b.Flows = b.Flows[:0]
	b.Events = b.Events[:0]
	b.Queries = b.Queries[:0]
	b.Findings = b.Findings[:0]
	b.Errors = b.Errors[:0]
	if cap(b.Flows) == 0 {
		b.Flows = make([]flowlog.Record, 0, defaultFlowBatch)
	}
	if d.err != nil {
		return d.err
	}
	// See NewDecoder: parquet-go may panic on a malformed page.
	defer func() {
		if p := recover(); p != nil {
			d.closeRows()
			d.err = d.fileError("", fmt.Errorf("%w: %v", ErrCorrupt, p))
			err = d.err
		}
	}()
	d.arena = d.arena[:0]
	filled := outNone
	for range maxRowsPerCall {
		row, ok, err := d.peek()
		if err != nil {
			d.closeRows()
			d.err = err
			return err
		}
		if !ok {
			if filled != outNone && b.count(filled) > 0 {
				return nil
			}
			return io.EOF
		}
		class, perr := d.rowClass(row)
		out := outputOf(class)
		if perr == nil && out != outNone {
			if filled != outNone && out != filled && b.count(filled) > 0 {
				return nil // the next call starts the new class
			}
			if b.full(out) {
				return nil
			}
			filled = out
		}
		d.consume()
		if perr == nil && out == outNone {
			perr = d.recordError("class_uid", fmt.Errorf("%w: class_uid %d", ErrClass, class))
		}
		if perr == nil {
			perr = d.decodeRow(row, class, out, b)
		}
		if perr != nil {
			b.Errors = append(b.Errors, perr)
		}
	}
	return nil
}

// count returns how many records of kind out b holds.
func (b *Batch) count(out output) int {
	switch out {
	case outFlows:
		return len(b.Flows)
	case outEvents:
		return len(b.Events)
	case outQueries:
		return len(b.Queries)
	case outFindings:
		return len(b.Findings)
	}
	return 0
}

func (b *Batch) full(out output) bool {
	switch out {
	case outFlows:
		return len(b.Flows) == cap(b.Flows)
	case outEvents:
		if cap(b.Events) == 0 {
			b.Events = make([]cloudtrail.Event, 0, defaultBatch)
		}
		return len(b.Events) == cap(b.Events)
	case outQueries:
		if cap(b.Queries) == 0 {
			b.Queries = make([]dnslog.Query, 0, defaultBatch)
		}
		return len(b.Queries) == cap(b.Queries)
	case outFindings:
		if cap(b.Findings) == 0 {
			b.Findings = make([]guardduty.Finding, 0, defaultBatch)
		}
		return len(b.Findings) == cap(b.Findings)
	}
	return false
}

// decodeRow decodes the current row, of the given class, into b.
func (d *Decoder) decodeRow(row parquet.Row, class int, out output, b *Batch) *ParseError {
	if out == outFlows {
		b.Flows = b.Flows[:len(b.Flows)+1]
		rec := &b.Flows[len(b.Flows)-1]
		rec.Reset()
		rec.Line = d.cur
		if perr := d.decodeFlow(row, rec); perr != nil {
			b.Flows = b.Flows[:len(b.Flows)-1]
			return perr
		}
		return nil
	}
	v, perr := d.assemble(row)
	if perr != nil {
		return perr
	}
	switch out {
	case outEvents:
		e, perr := d.event(&v, class)
		if perr != nil {
			return perr
		}
		b.Events = append(b.Events, e)
	case outQueries:
		q, perr := d.query(&v)
		if perr != nil {
			return perr
		}
		b.Queries = append(b.Queries, q)
	case outFindings:
		f, perr := d.finding(&v)
		if perr != nil {
			return perr
		}
		b.Findings = append(b.Findings, f)
	}
	return nil
}

// peek returns the next row without consuming it; ok is false at the end
// of the file.
func (d *Decoder) peek() (parquet.Row, bool, error) {
	stalls := 0
	for d.bufPos >= d.bufN {
		d.bufPos, d.bufN, d.split = 0, 0, false
		if d.rows == nil {
			if d.group >= len(d.groups) {
				return nil, false, nil
			}
			if err := d.openGroup(); err != nil {
				return nil, false, err
			}
		}
		// Never ask for more rows than the group has left: parquet-go
		// retries the exhausted columns once per missing row.
		want := int(min(int64(len(d.buf)), d.left))
		n, err := d.rows.ReadRows(d.buf[:want])
		d.left -= int64(n)
		d.bufN = n
		switch {
		case err != nil && err != io.EOF:
			return nil, false, d.fileError("", fmt.Errorf("%w: row group %d: %w", ErrCorrupt, d.group-1, err))
		case err == io.EOF || d.left <= 0:
			d.closeRows()
		case n == 0:
			if stalls++; stalls > 100 {
				return nil, false, d.fileError("", fmt.Errorf("%w: row group %d: %w", ErrCorrupt, d.group-1, io.ErrNoProgress))
			}
		}
	}
	d.cur = d.row + 1
	return d.buf[d.bufPos], true, nil
}

// consume moves past the row peek returned.
func (d *Decoder) consume() {
	d.bufPos++
	d.split = false
	d.row++
}

// openGroup starts reading the next row group.
func (d *Decoder) openGroup() error {
	g := d.groups[d.group]
	d.group++
	md := d.file.Metadata()
	if d.group > len(md.RowGroups) {
		return d.fileError("", fmt.Errorf("%w: row group %d has no metadata", ErrCorrupt, d.group-1))
	}
	meta := md.RowGroups[d.group-1].Columns
	chunks := g.ColumnChunks()
	if len(chunks) != len(d.schema.leaves) || len(meta) != len(chunks) {
		return d.fileError("", fmt.Errorf("%w: row group %d has %d columns, the schema %d", ErrCorrupt, d.group-1, len(chunks), len(d.schema.leaves)))
	}
	for i := range meta {
		if err := parquetcheck.ColumnChunk(d.r, d.size, &meta[i]); err != nil {
			return d.fileError(d.schema.leaves[i].path, fmt.Errorf("%w: row group %d: %w", ErrCorrupt, d.group-1, err))
		}
	}
	rows := parquet.NewColumnChunkRowReader(chunks)
	d.rows, d.closer = rows, rows
	d.left = g.NumRows()
	return nil
}

func (d *Decoder) closeRows() {
	if d.closer != nil {
		d.closer.Close()
	}
	d.rows, d.closer = nil, nil
}

// splitRow records where each leaf's values start in row. parquet-go
// orders a row's values by column.
func (d *Decoder) splitRow(row parquet.Row) *ParseError {
	if d.split {
		return nil
	}
	pos := 0
	for c := range d.schema.leaves {
		d.ranges[c] = pos
		for pos < len(row) && row[pos].Column() == c {
			pos++
		}
	}
	d.ranges[len(d.schema.leaves)] = pos
	if pos != len(row) {
		return d.recordError("", fmt.Errorf("%w: values out of column order", ErrCorrupt))
	}
	if len(row) > maxRowValues {
		return d.recordError("", fmt.Errorf("%w: %d values in one record, more than %d", ErrRange, len(row), maxRowValues))
	}
	d.split = true
	return nil
}

// values returns the values of leaf c in the current row.
func (d *Decoder) values(row parquet.Row, c int) []parquet.Value {
	return row[d.ranges[c]:d.ranges[c+1]]
}

// rowClass returns the class_uid of the row peek returned.
func (d *Decoder) rowClass(row parquet.Row) (int, *ParseError) {
	if perr := d.splitRow(row); perr != nil {
		return 0, perr
	}
	vals := d.values(row, d.classCol)
	if len(vals) != 1 || vals[0].IsNull() {
		return 0, d.recordError("class_uid", ErrMissing)
	}
	class, ok := d.rowInt(row, d.classCol)
	if !ok {
		return 0, d.recordError("class_uid", fmt.Errorf("%w: %s", ErrRange, vals[0]))
	}
	return int(class), nil
}

// rowInt returns a top-level integer leaf of a split row.
func (d *Decoder) rowInt(row parquet.Row, c int) (int64, bool) {
	if d.splitRow(row) != nil {
		return 0, false
	}
	vals := d.values(row, c)
	if len(vals) != 1 || vals[0].IsNull() || vals[0].Kind() != d.schema.leaves[c].kind {
		return 0, false
	}
	x, ok := intValue(d.schema.leaves[c], vals[0])
	if !ok || x != int64(int32(x)) {
		return 0, false
	}
	return x, true
}

// rowString returns a top-level string leaf of a split row, or "".
func (d *Decoder) rowString(row parquet.Row, c int) string {
	if d.splitRow(row) != nil {
		return ""
	}
	vals := d.values(row, c)
	if len(vals) != 1 || vals[0].IsNull() || vals[0].Kind() != parquet.ByteArray {
		return ""
	}
	return string(vals[0].ByteArray())
}

// assemble builds the OCSF record of the current row.
func (d *Decoder) assemble(row parquet.Row) (value, *ParseError) {
	root := pval{set: true, kids: make([]pval, len(d.schema.root.children))}
	for c, leaf := range d.schema.leaves {
		vals := d.values(row, c)
		if cap(d.idx) <= leaf.repLevel {
			d.idx = make([]int, leaf.repLevel+1)
		}
		idx := d.idx[:leaf.repLevel+1]
		clear(idx)
		for i, v := range vals {
			r, def := v.RepetitionLevel(), v.DefinitionLevel()
			bad := r > leaf.repLevel || def > leaf.def || (i == 0) != (r == 0) ||
				(v.IsNull() && def == leaf.def) || (!v.IsNull() && (def != leaf.def || v.Kind() != leaf.kind))
			if bad {
				return value{}, d.recordError(leaf.path, fmt.Errorf("%w: inconsistent levels or value", ErrCorrupt))
			}
			if i > 0 {
				idx[r]++
				clear(idx[r+1:])
			}
			place(&root, d.paths[c], v, def, idx)
		}
	}
	return instance(d.schema.root, &root), nil
}

// fileError reports an error about the whole file.
func (d *Decoder) fileError(field string, err error) *ParseError {
	return &ParseError{File: d.opts.File, Field: field, Err: err}
}

// recordError reports an error about the record being decoded.
func (d *Decoder) recordError(field string, err error) *ParseError {
	return &ParseError{File: d.opts.File, Record: d.cur, Field: field, Err: err}
}
