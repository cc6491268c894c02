// Package parquetcheck checks the structure of a Parquet file before
// parquet-go reads it. parquet-go sizes its allocations by lengths read
// from the file (up to 4 GiB for a footer, 2^31 elements for a list), so a
// few damaged bytes in a file from an untrusted bucket could otherwise
// exhaust memory, which no recover can catch, or loop for minutes. The
// flow log and Security Lake decoders both run these checks first.
package parquetcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// ErrEncrypted is returned by Footer for an encrypted ("PARE") file, which
// callers report as unsupported rather than corrupt. Every other error
// from this package means a damaged or truncated file.
var ErrEncrypted = errors.New("encrypted Parquet files are not supported")

// Limits on what one page may declare. parquet-go allocates by these
// numbers before it reads the page, so they are checked first; real
// writers make pages of about 1 MiB.
const (
	maxPageBytes  = 128 << 20
	maxPageValues = 1 << 24
)

// ColumnChunk walks the page headers of a column chunk, checking that
// each is well formed and that the sizes and counts it declares fit the
// chunk and the limits above, so that a damaged header makes an error
// rather than a huge allocation or a long loop inside parquet-go.
func ColumnChunk(r io.ReaderAt, size int64, cc *format.ColumnChunk) error {
	m := &cc.MetaData
	start := m.DataPageOffset
	if m.DictionaryPageOffset != 0 {
		start = m.DictionaryPageOffset // parquet-go starts there too
	}
	end := start + m.TotalCompressedSize
	if start < 4 || m.TotalCompressedSize < 0 || end < start || end > size-8 {
		return fmt.Errorf("column chunk at offset %d of %d bytes lies outside the file", start, m.TotalCompressedSize)
	}
	var buf []byte
	var proto thrift.CompactProtocol
	for pos := start; pos < end; {
		// Read a window large enough for the header, growing it when a
		// header is longer than usual (long min/max statistics).
		window := min(end-pos, 4096)
		var n int
		for {
			if int64(cap(buf)) < window {
				buf = make([]byte, window)
			}
			buf = buf[:window]
			if _, err := readFullAt(r, buf, pos); err != nil {
				return err
			}
			t := thriftChecker{b: buf}
			if err := t.structure(0); err == nil {
				n = t.pos
				break
			} else if window == end-pos {
				return fmt.Errorf("page header at offset %d: %w", pos, err)
			}
			window = min(2*window, end-pos)
		}
		var h format.PageHeader
		if err := thrift.Unmarshal(&proto, buf[:n], &h); err != nil {
			return fmt.Errorf("page header at offset %d: %w", pos, err)
		}
		if err := checkPageHeader(&h, end-pos-int64(n)); err != nil {
			return fmt.Errorf("page header at offset %d: %w", pos, err)
		}
		pos += int64(n) + int64(h.CompressedPageSize)
	}
	return nil
}

// checkPageHeader checks the sizes and counts a page header declares;
// room is the number of bytes left in the chunk after the header.
func checkPageHeader(h *format.PageHeader, room int64) error {
	if h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > room {
		return fmt.Errorf("compressed size %d, %d bytes left in the column chunk", h.CompressedPageSize, room)
	}
	if h.UncompressedPageSize < 0 || h.UncompressedPageSize > maxPageBytes {
		return fmt.Errorf("uncompressed size %d, more than %d", h.UncompressedPageSize, maxPageBytes)
	}
	values := func(n int32) error {
		if n < 0 || n > maxPageValues {
			return fmt.Errorf("%d values, more than %d", n, maxPageValues)
		}
		return nil
	}
	if p := h.DataPageHeader; p.Valid {
		if err := values(p.V.NumValues); err != nil {
			return err
		}
	}
	if p := h.DictionaryPageHeader; p.Valid {
		if err := values(p.V.NumValues); err != nil {
			return err
		}
	}
	if p := h.DataPageHeaderV2; p.Valid {
		if err := values(p.V.NumValues); err != nil {
			return err
		}
		v := &p.V
		if v.NumNulls < 0 || v.NumNulls > v.NumValues || v.NumRows < 0 || v.NumRows > v.NumValues ||
			v.RepetitionLevelsByteLength < 0 || v.DefinitionLevelsByteLength < 0 ||
			int64(v.RepetitionLevelsByteLength)+int64(v.DefinitionLevelsByteLength) > int64(h.CompressedPageSize) {
			return fmt.Errorf("inconsistent data page v2 header")
		}
	}
	return nil
}

// maxThriftDepth bounds the nesting of the footer's Thrift structures; real
// footers nest a handful of levels deep.
const maxThriftDepth = 64

// Footer reads the file's magic bytes and footer and checks that
// the footer is well formed before parquet-go decodes it. parquet-go sizes
// its allocations by the lengths the footer declares (up to 4 GiB for the
// footer itself, 2^31 elements for a list), so a few damaged bytes could
// otherwise exhaust memory, which no recover can catch.
func Footer(r io.ReaderAt, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%d bytes is too short to be a Parquet file", size)
	}
	var head, tail [8]byte
	if _, err := readFullAt(r, head[:4], 0); err != nil {
		return err
	}
	switch string(head[:4]) {
	case magic:
	case "PARE":
		return ErrEncrypted
	default:
		return fmt.Errorf("not a Parquet file (it does not start with %q)", magic)
	}
	if _, err := readFullAt(r, tail[:], size-8); err != nil {
		return err
	}
	if string(tail[4:]) != magic {
		return fmt.Errorf("no %q at the end (truncated?)", magic)
	}
	n := int64(binary.LittleEndian.Uint32(tail[:4]))
	if n == 0 || n > size-12 {
		return fmt.Errorf("footer length %d does not fit a %d-byte file (truncated?)", n, size)
	}
	footer := make([]byte, n)
	if _, err := readFullAt(r, footer, size-8-n); err != nil {
		return err
	}
	t := thriftChecker{b: footer}
	if err := t.structure(0); err != nil {
		return fmt.Errorf("footer: %w", err)
	}
	return nil
}

func readFullAt(r io.ReaderAt, b []byte, off int64) (int, error) {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// thriftChecker walks Thrift compact-protocol data without decoding it,
// checking that every declared length fits in the bytes that remain.
type thriftChecker struct {
	b   []byte
	pos int
}

var errThrift = errors.New("malformed Thrift data")

// Compact-protocol type codes.
const (
	tcTrue   = 1
	tcFalse  = 2
	tcByte   = 3
	tcI16    = 4
	tcI32    = 5
	tcI64    = 6
	tcDouble = 7
	tcBinary = 8
	tcList   = 9
	tcSet    = 10
	tcMap    = 11
	tcStruct = 12
)

func (t *thriftChecker) byte() (byte, error) {
	if t.pos >= len(t.b) {
		return 0, errThrift
	}
	c := t.b[t.pos]
	t.pos++
	return c, nil
}

func (t *thriftChecker) uvarint() (uint64, error) {
	v, n := binary.Uvarint(t.b[t.pos:])
	if n <= 0 {
		return 0, errThrift
	}
	t.pos += n
	return v, nil
}

// length reads a length or count and checks that at least per bytes per
// unit remain.
func (t *thriftChecker) length(per int) (int, error) {
	v, err := t.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64(len(t.b)-t.pos) || (per > 1 && v*uint64(per) > uint64(len(t.b)-t.pos)) {
		return 0, errThrift
	}
	return int(v), nil
}

func (t *thriftChecker) structure(depth int) error {
	if depth > maxThriftDepth {
		return errThrift
	}
	for {
		h, err := t.byte()
		if err != nil {
			return err
		}
		if h == 0 {
			return nil
		}
		if h>>4 == 0 { // long form: the field ID follows as a zigzag varint
			if _, err := t.uvarint(); err != nil {
				return err
			}
		}
		typ := h & 0x0f
		if typ == tcTrue || typ == tcFalse {
			continue // a boolean field's value is in its type
		}
		if err := t.value(typ, depth); err != nil {
			return err
		}
	}
}

func (t *thriftChecker) value(typ byte, depth int) error {
	switch typ {
	case tcTrue, tcFalse, tcByte:
		_, err := t.byte()
		return err
	case tcI16, tcI32, tcI64:
		_, err := t.uvarint()
		return err
	case tcDouble:
		if len(t.b)-t.pos < 8 {
			return errThrift
		}
		t.pos += 8
		return nil
	case tcBinary:
		n, err := t.length(1)
		if err != nil {
			return err
		}
		t.pos += n
		return nil
	case tcList, tcSet:
		h, err := t.byte()
		if err != nil {
			return err
		}
		n := int(h >> 4)
		if n == 15 {
			if n, err = t.length(1); err != nil {
				return err
			}
		} else if n > len(t.b)-t.pos {
			return errThrift
		}
		for range n {
			if err := t.value(h&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tcMap:
		n, err := t.length(2)
		if err != nil || n == 0 {
			return err
		}
		kv, err := t.byte()
		if err != nil {
			return err
		}
		for range n {
			if err := t.value(kv>>4, depth+1); err != nil {
				return err
			}
			if err := t.value(kv&0x0f, depth+1); err != nil {
				return err
			}
		}
		return nil
	case tcStruct:
		return t.structure(depth + 1)
	}
	return errThrift
}
