package parquetcheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

type row struct {
	A int64  `parquet:"a"`
	B string `parquet:"b,dict"`
}

// goodFile is a small, valid Parquet file written by parquet-go.
func goodFile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf)
	if _, err := w.Write([]row{{1, "x"}, {2, "y"}, {3, "x"}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withFooterLength returns b with its footer length replaced by n.
func withFooterLength(b []byte, n uint32) []byte {
	out := bytes.Clone(b)
	binary.LittleEndian.PutUint32(out[len(out)-8:], n)
	return out
}

func TestFooter(t *testing.T) {
	good := goodFile(t)
	if err := Footer(bytes.NewReader(good), int64(len(good))); err != nil {
		t.Fatalf("Footer(valid file) = %v", err)
	}
	footerLen := binary.LittleEndian.Uint32(good[len(good)-8:])
	footerStart := len(good) - 8 - int(footerLen)
	// A footer whose first field declares a list far longer than the
	// footer: parquet-go would allocate for it.
	hugeList := bytes.Clone(good)
	copy(hugeList[footerStart:], []byte{0x19, 0xfc, 0xff, 0xff, 0xff, 0x0f})

	for _, c := range []struct {
		name string
		b    []byte
		want string
		is   error
	}{
		{"empty", nil, "too short", nil},
		{"short", []byte("PAR1PAR1"), "too short", nil},
		{"not parquet", []byte("version account-id interface-id srcaddr\n2 1 2 3\n"), "not a Parquet file", nil},
		{"encrypted", append([]byte("PARE"), good[4:]...), "", ErrEncrypted},
		{"truncated", good[:len(good)-3], "truncated", nil},
		{"footer longer than file", withFooterLength(good, uint32(len(good))), "does not fit", nil},
		{"zero footer", withFooterLength(good, 0), "does not fit", nil},
		{"huge list in footer", hugeList, "footer", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := Footer(bytes.NewReader(c.b), int64(len(c.b)))
			switch {
			case err == nil:
				t.Fatalf("Footer = nil; want an error")
			case c.is != nil && !errors.Is(err, c.is):
				t.Errorf("Footer = %v; want %v", err, c.is)
			case c.want != "" && !strings.Contains(err.Error(), c.want):
				t.Errorf("Footer = %v; want it to say %q", err, c.want)
			}
		})
	}
}

// TestColumnChunk checks every column chunk of a valid file, and that a
// page header declaring a page larger than its chunk is refused.
func TestColumnChunk(t *testing.T) {
	good := goodFile(t)
	f, err := parquet.OpenFile(bytes.NewReader(good), int64(len(good)))
	if err != nil {
		t.Fatal(err)
	}
	md := f.Metadata()
	if len(md.RowGroups) == 0 {
		t.Fatal("no row groups")
	}
	for i := range md.RowGroups[0].Columns {
		cc := &md.RowGroups[0].Columns[i]
		if err := ColumnChunk(bytes.NewReader(good), int64(len(good)), cc); err != nil {
			t.Errorf("ColumnChunk(column %d of a valid file) = %v", i, err)
		}
	}
	// Shrink the chunk the metadata declares for column a: its first page
	// header now claims more bytes than the chunk holds.
	cc := md.RowGroups[0].Columns[0]
	cc.MetaData.TotalCompressedSize = 4
	if err := ColumnChunk(bytes.NewReader(good), int64(len(good)), &cc); err == nil {
		t.Error("ColumnChunk(page larger than its chunk) = nil; want an error")
	}
	// A chunk that starts past the end of the file.
	cc = md.RowGroups[0].Columns[0]
	cc.MetaData.DataPageOffset = int64(len(good)) + 100
	cc.MetaData.DictionaryPageOffset = 0
	if err := ColumnChunk(bytes.NewReader(good), int64(len(good)), &cc); err == nil {
		t.Error("ColumnChunk(chunk outside the file) = nil; want an error")
	}
}

// TestRealFiles runs the checks on the project's real Parquet samples.
func TestRealFiles(t *testing.T) {
	for _, root := range []string{"../flowlog/testdata", "../ocsf/testdata"} {
		n := 0
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") || strings.Contains(path, "/fuzz/") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := Footer(bytes.NewReader(b), int64(len(b))); err != nil {
				t.Errorf("%s: %v", path, err)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		path := root
		if n == 0 {
			t.Errorf("no Parquet file in %s", path)
		}
	}
}
