package flowlog

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/gumshoe-dev/gumshoe/internal/parquetcheck"
)

// ParquetOptions configures a ParquetDecoder.
type ParquetOptions struct {
	// File names the object in errors.
	File string
}

// ErrCorrupt reports a Parquet object that cannot be read at all: not a
// Parquet file, truncated, or with a damaged footer or page. It is wrapped
// in a *ParseError with Line 0, since nothing after the damage can be
// trusted.
var ErrCorrupt = errors.New("corrupt Parquet file")

// ParquetDecoder decodes flow logs that AWS delivers to S3 as Parquet: one
// column per field, named like the field with "-" turned into "_". It also
// reads the looser files other tools write (numbers stored as text, account
// IDs stored as integers), checking every value the way TextDecoder does, so
// that a record means the same whichever format it came in.
type ParquetDecoder struct {
	opts     ParquetOptions
	r        io.ReaderAt
	size     int64
	file     *parquet.File
	groups   []parquet.RowGroup
	cols     []parquetColumn // by leaf column index; conv is convSkip for columns not read
	leaves   []int           // leaf indexes of the columns read, in column order
	format   Format
	warnings []string

	group  int               // next row group to open
	rows   parquet.RowReader // rows of the current row group, nil between groups
	left   int64             // rows of the current row group not yet read
	closer io.Closer
	rowBuf []parquet.Row
	row    int    // number of rows consumed so far
	arena  []byte // decimal text of integers read into string fields
	err    error  // sticky fatal error
}

// conversion says how the values of one column become a field's values.
type conversion uint8

const (
	convSkip      conversion = iota // not a flow log column, or a duplicate
	convString                      // BYTE_ARRAY into a string field
	convText                        // BYTE_ARRAY into an integer field, parsed like text
	convInt                         // INT32/INT64 into an integer field
	convIntString                   // INT32/INT64 into a string field, as decimal text
)

// parquetColumn maps one leaf column to the field it holds.
type parquetColumn struct {
	field    Field
	name     string // the column's name in the file, for errors
	conv     conversion
	kind     parquet.Kind // physical kind of the column's values
	unsigned bool         // integers annotated as unsigned
	div      int64        // timestamps: units per second (1 for Unix seconds)
	limit    int64        // largest value allowed for integer fields
}

// rowBatch is how many rows are asked of parquet-go at a time.
const rowBatch = 256

// NewParquetDecoder opens a Parquet flow log of size bytes read through r.
// Columns that are not flow log fields are ignored with a warning; a file
// with no flow log column at all is ErrNotFlowLog. A known field stored in a
// type that cannot hold it (a float port, a nested group) is ErrType: the
// whole file is refused rather than every row, since no row could be right.
// Errors are *ParseError values with Line 0.
func NewParquetDecoder(r io.ReaderAt, size int64, opts ParquetOptions) (dec *ParquetDecoder, err error) {
	d := &ParquetDecoder{opts: opts, r: r, size: size}
	// parquet-go trusts the structures it decodes and may panic on a
	// malformed file (it panics outright on some schema errors, and indexes
	// slices by lengths read from the file). Log files are untrusted input,
	// so a panic here is turned into an error about the file.
	defer func() {
		if p := recover(); p != nil {
			dec, err = nil, d.corrupt(fmt.Errorf("%w: %v", ErrCorrupt, p))
		}
	}()
	if err := parquetcheck.Footer(r, size); err != nil {
		if errors.Is(err, parquetcheck.ErrEncrypted) {
			return nil, d.corrupt(fmt.Errorf("%w: %w", ErrType, err))
		}
		return nil, d.corrupt(fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	f, err := parquet.OpenFile(r, size,
		parquet.SkipPageIndex(true),
		parquet.SkipBloomFilters(true),
		parquet.FileReadMode(parquet.ReadModeSync))
	if err != nil {
		return nil, d.corrupt(fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	d.file = f
	d.groups = f.RowGroups()
	if err := d.mapColumns(); err != nil {
		return nil, err
	}
	d.rowBuf = make([]parquet.Row, rowBatch)
	return d, nil
}

// Format returns the fields present in the file, in column order.
func (d *ParquetDecoder) Format() Format { return d.format }

// Warnings returns notes about the file that are not errors, such as
// columns that are not flow log fields.
func (d *ParquetDecoder) Warnings() []string { return d.warnings }

// Next decodes up to cap(b.Records) rows into b, replacing its contents,
// with the same contract as TextDecoder.Next: rejected rows are appended to
// b.Errors (Line is the 1-based row number) and decoding goes on; Next
// returns io.EOF once the file is exhausted and no record was decoded (b may
// still hold errors); any other error is a *ParseError with Line 0 that ends
// decoding, and records decoded before it are still in b.
//
// String values alias memory owned by the decoder and stay valid until the
// next call.
func (d *ParquetDecoder) Next(b *Batch) (err error) {
	b.Records = b.Records[:0]
	b.Errors = b.Errors[:0]
	if cap(b.Records) == 0 {
		b.Records = make([]Record, 0, 1024)
	}
	if d.err != nil {
		return d.err
	}
	// See NewParquetDecoder: parquet-go may panic on a malformed page.
	defer func() {
		if p := recover(); p != nil {
			d.closeRows()
			d.err = d.corrupt(fmt.Errorf("%w: %v", ErrCorrupt, p))
			err = d.err
		}
	}()
	d.arena = d.arena[:0]
	stalls := 0
	for len(b.Records) < cap(b.Records) {
		if d.rows == nil {
			if d.group >= len(d.groups) {
				if len(b.Records) > 0 {
					return nil
				}
				return io.EOF
			}
			if err := d.openGroup(); err != nil {
				d.err = err
				return err
			}
		}
		// Never ask for more rows than the group has left: parquet-go
		// retries the exhausted columns once per missing row.
		want := int(min(int64(cap(b.Records)-len(b.Records)), int64(len(d.rowBuf)), d.left))
		n, rerr := d.rows.ReadRows(d.rowBuf[:want])
		d.left -= int64(n)
		for _, row := range d.rowBuf[:n] {
			d.row++
			b.Records = b.Records[:len(b.Records)+1]
			rec := &b.Records[len(b.Records)-1]
			if perr := d.decodeRow(row, rec); perr != nil {
				b.Records = b.Records[:len(b.Records)-1]
				b.Errors = append(b.Errors, perr)
			}
		}
		switch {
		case rerr != nil && rerr != io.EOF:
			d.closeRows()
			d.err = d.corrupt(fmt.Errorf("%w: row group %d: %w", ErrCorrupt, d.group-1, rerr))
			return d.err
		case rerr == io.EOF || d.left <= 0:
			// A group holding fewer rows than its metadata says ends at
			// io.EOF; one holding more is read up to its row count.
			d.closeRows()
		case n == 0:
			if stalls++; stalls > 100 {
				d.closeRows()
				d.err = d.corrupt(fmt.Errorf("%w: row group %d: %w", ErrCorrupt, d.group-1, io.ErrNoProgress))
				return d.err
			}
		default:
			stalls = 0
		}
	}
	return nil
}

// openGroup starts reading the next row group, asking parquet-go only for
// the columns that hold flow log fields.
func (d *ParquetDecoder) openGroup() error {
	g := d.groups[d.group]
	d.group++
	chunks := g.ColumnChunks()
	md := d.file.Metadata()
	if d.group > len(md.RowGroups) {
		return d.corrupt(fmt.Errorf("%w: row group %d has no metadata", ErrCorrupt, d.group-1))
	}
	meta := md.RowGroups[d.group-1].Columns
	sel := make([]parquet.ColumnChunk, 0, len(d.leaves))
	for _, leaf := range d.leaves {
		if leaf >= len(chunks) || leaf >= len(meta) {
			return d.corrupt(fmt.Errorf("%w: row group %d has %d columns, the schema %d", ErrCorrupt, d.group-1, len(chunks), len(d.cols)))
		}
		if err := parquetcheck.ColumnChunk(d.r, d.size, &meta[leaf]); err != nil {
			return &ParseError{File: d.opts.File, Field: d.cols[leaf].name,
				Err: fmt.Errorf("%w: row group %d: %w", ErrCorrupt, d.group-1, err)}
		}
		sel = append(sel, chunks[leaf])
	}
	rows := parquet.NewColumnChunkRowReader(sel)
	d.rows, d.closer = rows, rows
	d.left = g.NumRows()
	return nil
}

func (d *ParquetDecoder) closeRows() {
	if d.closer != nil {
		d.closer.Close()
	}
	d.rows, d.closer = nil, nil
}

// decodeRow decodes one row into rec.
func (d *ParquetDecoder) decodeRow(row parquet.Row, rec *Record) *ParseError {
	rec.Set = 0
	rec.Line = d.row
	for _, v := range row {
		i := v.Column()
		if i < 0 || i >= len(d.cols) || v.IsNull() {
			continue
		}
		c := &d.cols[i]
		if c.conv == convSkip {
			continue
		}
		if v.Kind() != c.kind {
			// Cannot happen with a consistent file: the column's type was
			// checked when it was opened.
			return &ParseError{File: d.opts.File, Line: d.row, Field: c.name,
				Err: fmt.Errorf("%w: value of kind %v in a %v column", ErrCorrupt, v.Kind(), c.kind)}
		}
		if err := d.setValue(c, v, rec); err != nil {
			return &ParseError{File: d.opts.File, Line: d.row, Field: c.name, Err: err}
		}
	}
	return nil
}

// setValue converts one non-null value of column c into rec.
func (d *ParquetDecoder) setValue(c *parquetColumn, v parquet.Value, rec *Record) error {
	switch c.conv {
	case convString, convText:
		t := v.ByteArray()
		if isMissingText(t) {
			return nil
		}
		if !isASCII(t) && !utf8.Valid(t) {
			return fmt.Errorf("%w %q", ErrEncoding, printable(t))
		}
		return setValue(rec, c.field, t)
	case convInt:
		var x int64
		switch {
		case c.kind == parquet.Int32 && c.unsigned:
			x = int64(v.Uint32())
		case c.kind == parquet.Int32:
			x = int64(v.Int32())
		case c.unsigned:
			u := v.Uint64()
			if u > math.MaxInt64 {
				return fmt.Errorf("%w: %d > %d", ErrRange, u, c.limit)
			}
			x = int64(u)
		default:
			x = v.Int64()
		}
		if c.div > 1 {
			// Floor, so that a time before the epoch never rounds up to it.
			q := x / c.div
			if x%c.div < 0 {
				q--
			}
			x = q
		}
		if x < 0 {
			return fmt.Errorf("%w: %d < 0", ErrRange, x)
		}
		if x > c.limit {
			return fmt.Errorf("%w: %d > %d", ErrRange, x, c.limit)
		}
		rec.SetInt(c.field, x)
	case convIntString:
		start := len(d.arena)
		switch {
		case c.kind == parquet.Int32 && c.unsigned:
			d.arena = strconv.AppendUint(d.arena, uint64(v.Uint32()), 10)
		case c.kind == parquet.Int32:
			d.arena = strconv.AppendInt(d.arena, int64(v.Int32()), 10)
		case c.unsigned:
			d.arena = strconv.AppendUint(d.arena, v.Uint64(), 10)
		default:
			d.arena = strconv.AppendInt(d.arena, v.Int64(), 10)
		}
		end := len(d.arena)
		rec.SetStr(c.field, d.arena[start:end:end])
	}
	return nil
}

// isMissingText reports whether a text value stands for "no value": "-" as
// AWS writes it, "" and "None" as pandas writes missing values.
func isMissingText(t []byte) bool {
	switch len(t) {
	case 0:
		return true
	case 1:
		return t[0] == '-'
	case 4:
		return string(t) == "None"
	}
	return false
}

// fieldLimit is the largest value an integer field may take, the same limit
// the text decoder applies.
func fieldLimit(f Field) int64 {
	info := &fields[f]
	switch {
	case info.Max > 0:
		return info.Max
	case info.Kind == Int32:
		return math.MaxInt32
	}
	return math.MaxInt64
}

// corrupt wraps err as an error about the whole file.
func (d *ParquetDecoder) corrupt(err error) *ParseError {
	return &ParseError{File: d.opts.File, Err: err}
}

// mapColumns decides, once per file, which leaf column feeds which field
// and how its values convert.
func (d *ParquetDecoder) mapColumns() error {
	md := d.file.Metadata()
	schema := md.Schema
	if len(schema) == 0 {
		return d.corrupt(fmt.Errorf("%w: no schema", ErrCorrupt))
	}
	// parquet-go's view of each leaf, to check that it will decode values
	// with the physical type the schema declares.
	var leafCols []*parquet.Column
	var collect func(c *parquet.Column)
	collect = func(c *parquet.Column) {
		if c.Leaf() {
			leafCols = append(leafCols, c)
			return
		}
		for _, child := range c.Columns() {
			collect(child)
		}
	}
	collect(d.file.Root())

	var top int
	if schema[0].NumChildren.Valid {
		top = int(schema[0].NumChildren.V)
	}
	type mapped struct {
		leaf int
		col  parquetColumn
	}
	var found []mapped
	seen := make(map[Field]string)
	pos, leaf := 1, 0
	for range top {
		if pos >= len(schema) {
			return d.corrupt(fmt.Errorf("%w: schema ends early", ErrCorrupt))
		}
		el := &schema[pos]
		next, leaves, ok := schemaSubtree(schema, pos)
		if !ok {
			return d.corrupt(fmt.Errorf("%w: inconsistent schema", ErrCorrupt))
		}
		first := leaf
		pos, leaf = next, leaf+leaves
		field, known := Lookup(el.Name)
		if !known {
			d.warnings = append(d.warnings, fmt.Sprintf("%s: column %q is not a flow log field; ignored", d.opts.File, printable([]byte(el.Name))))
			continue
		}
		if prev, dup := seen[field]; dup {
			d.warnings = append(d.warnings, fmt.Sprintf("%s: column %q holds field %s like column %q; ignored", d.opts.File, el.Name, field, prev))
			continue
		}
		seen[field] = el.Name
		col, err := d.columnFor(field, el)
		if err != nil {
			return err
		}
		if first >= len(leafCols) || leafCols[first].Index() != first || leafCols[first].Type().Kind() != col.kind {
			return &ParseError{File: d.opts.File, Field: el.Name,
				Err: fmt.Errorf("%w: column %q is %s, which this reader cannot decode consistently", ErrType, el.Name, describeElement(el))}
		}
		found = append(found, mapped{first, col})
	}
	if len(found) == 0 {
		return d.corrupt(fmt.Errorf("%w: no column is a flow log field", ErrNotFlowLog))
	}
	d.cols = make([]parquetColumn, len(leafCols))
	for _, m := range found {
		d.cols[m.leaf] = m.col
		d.leaves = append(d.leaves, m.leaf)
		d.format.Fields = append(d.format.Fields, m.col.field)
	}
	return nil
}

// schemaSubtree returns the position after the subtree of schema elements
// rooted at pos (schemas are flattened depth first) and its leaf count.
func schemaSubtree(schema []format.SchemaElement, pos int) (next, leaves int, ok bool) {
	pending := 1
	for pending > 0 {
		if pos >= len(schema) {
			return 0, 0, false
		}
		el := &schema[pos]
		pos++
		pending--
		switch {
		case el.Type.Valid:
			leaves++
		case el.NumChildren.Valid:
			n := int(el.NumChildren.V)
			if n < 0 || n > len(schema)-pos {
				return 0, 0, false
			}
			pending += n
		}
	}
	return pos, leaves, true
}

// columnFor decides how the column described by el feeds field f, or
// returns an ErrType error naming the column and its type.
func (d *ParquetDecoder) columnFor(f Field, el *format.SchemaElement) (parquetColumn, error) {
	info := &fields[f]
	col := parquetColumn{field: f, name: el.Name, div: 1, limit: fieldLimit(f)}
	bad := func() (parquetColumn, error) {
		var want string
		switch {
		case f.IsAddress():
			want = "a STRING"
		case info.Kind == String:
			want = "a STRING or an integer"
		case info.Kind == Timestamp:
			want = "an integer of Unix seconds, a TIMESTAMP or a STRING"
		default:
			want = "an integer (INT32 or INT64) or a STRING"
		}
		return parquetColumn{}, &ParseError{File: d.opts.File, Field: el.Name,
			Err: fmt.Errorf("%w: column %q is %s; field %s needs %s", ErrType, el.Name, describeElement(el), f, want)}
	}
	if !el.Type.Valid || (el.RepetitionType.Valid && el.RepetitionType.V == format.Repeated) {
		return bad()
	}
	lt := el.LogicalType.Value
	ct, hasCT := el.ConvertedType.V, el.ConvertedType.Valid
	switch el.Type.V {
	case format.ByteArray:
		col.kind = parquet.ByteArray
		switch lt.(type) {
		case nil:
			if hasCT && ct != deprecated.UTF8 && ct != deprecated.Enum {
				return bad()
			}
		case *format.StringType, *format.EnumType:
		default:
			return bad()
		}
		col.conv = convString
		if info.Kind != String {
			col.conv = convText
		}
	case format.Int32, format.Int64:
		col.kind = parquet.Int32
		if el.Type.V == format.Int64 {
			col.kind = parquet.Int64
		}
		switch t := lt.(type) {
		case nil:
			switch {
			case !hasCT:
			case ct >= deprecated.Int8 && ct <= deprecated.Int64:
			case ct >= deprecated.Uint8 && ct <= deprecated.Uint64:
				col.unsigned = true
			case ct == deprecated.TimestampMillis && info.Kind == Timestamp:
				col.div = 1e3
			case ct == deprecated.TimestampMicros && info.Kind == Timestamp:
				col.div = 1e6
			default:
				return bad()
			}
		case *format.IntType:
			col.unsigned = !t.IsSigned
		case *format.TimestampType:
			if info.Kind != Timestamp {
				return bad()
			}
			switch t.Unit.Value.(type) {
			case *format.MilliSeconds:
				col.div = 1e3
			case *format.MicroSeconds:
				col.div = 1e6
			case *format.NanoSeconds:
				col.div = 1e9
			default:
				return bad()
			}
		default:
			return bad()
		}
		switch {
		case f.IsAddress():
			return bad()
		case info.Kind == String:
			col.conv = convIntString
		default:
			col.conv = convInt
		}
	default:
		return bad()
	}
	return col, nil
}

// describeElement names a column's type the way Parquet tools print it,
// for error messages.
func describeElement(el *format.SchemaElement) string {
	if !el.Type.Valid {
		return "a group (nested columns)"
	}
	s := el.Type.V.String()
	if lt := el.LogicalType.Value; lt != nil {
		s += " (" + lt.String() + ")"
	} else if el.ConvertedType.Valid {
		s += " (" + convertedTypeName(el.ConvertedType.V) + ")"
	}
	if el.RepetitionType.Valid && el.RepetitionType.V == format.Repeated {
		s = "repeated " + s
	}
	return s
}

var convertedTypeNames = [...]string{
	deprecated.UTF8: "UTF8", deprecated.Map: "MAP", deprecated.MapKeyValue: "MAP_KEY_VALUE",
	deprecated.List: "LIST", deprecated.Enum: "ENUM", deprecated.Decimal: "DECIMAL",
	deprecated.Date: "DATE", deprecated.TimeMillis: "TIME_MILLIS", deprecated.TimeMicros: "TIME_MICROS",
	deprecated.TimestampMillis: "TIMESTAMP_MILLIS", deprecated.TimestampMicros: "TIMESTAMP_MICROS",
	deprecated.Uint8: "UINT_8", deprecated.Uint16: "UINT_16", deprecated.Uint32: "UINT_32",
	deprecated.Uint64: "UINT_64", deprecated.Int8: "INT_8", deprecated.Int16: "INT_16",
	deprecated.Int32: "INT_32", deprecated.Int64: "INT_64", deprecated.Json: "JSON",
	deprecated.Bson: "BSON", deprecated.Interval: "INTERVAL",
}

func convertedTypeName(t deprecated.ConvertedType) string {
	if t >= 0 && int(t) < len(convertedTypeNames) {
		return convertedTypeNames[t]
	}
	return fmt.Sprintf("converted type %d", int32(t))
}
