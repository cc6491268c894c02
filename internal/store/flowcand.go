package store

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// flowCandidates lists the flow files that may hold value in one of
// mentionFlowColumns within w: a file is left out only when its day
// partition lies outside w, or when every row group's bloom filter on
// every one of those columns it has rules value out. A file that cannot
// be read, or a column chunk without a filter, keeps the file in.
func (s *Store) flowCandidates(value string, w Window) ([]string, error) {
	root := filepath.Join(s.lakeDir, flowTable)
	var out []string
	v := parquet.ByteArrayValue([]byte(value))
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if p != root && !dayInWindow(d.Name(), w) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".parquet") || strings.HasPrefix(d.Name(), "_") {
			return nil
		}
		if mayHold(p, v) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}

// dayInWindow tells whether the partition folder name (date=YYYY-MM-DD)
// may hold rows of w.
func dayInWindow(name string, w Window) bool {
	day, ok := strings.CutPrefix(name, "date=")
	if !ok {
		return true
	}
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		// date=none: records without a start time match no window.
		return w.From.IsZero() && w.To.IsZero()
	}
	return (w.To.IsZero() || t.Before(w.To)) && (w.From.IsZero() || t.Add(24*time.Hour).After(w.From))
}

func mayHold(path string, v parquet.Value) bool {
	f, err := os.Open(path)
	if err != nil {
		return true
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return true
	}
	pf, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipMagicBytes(true))
	if err != nil {
		return true
	}
	var cols []int
	for _, c := range mentionFlowColumns {
		if leaf, ok := pf.Schema().Lookup(c); ok {
			cols = append(cols, leaf.ColumnIndex)
		}
	}
	for _, rg := range pf.RowGroups() {
		chunks := rg.ColumnChunks()
		for _, i := range cols {
			bf := chunks[i].BloomFilter()
			if bf == nil {
				return true
			}
			if ok, err := bf.Check(v); ok || err != nil {
				return true
			}
		}
	}
	return false
}
