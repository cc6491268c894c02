package ocsf

import "io"

// Sniff reports whether r holds a Parquet file whose schema has the
// attributes every OCSF record has: class_uid and metadata.version. It
// reads the footer only.
func Sniff(r io.ReaderAt, size int64) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f, err := openParquet(r, size)
	if err != nil {
		return false
	}
	var hasClass, hasVersion bool
	for _, c := range f.Root().Columns() {
		switch c.Name() {
		case "class_uid":
			hasClass = c.Leaf()
		case "metadata":
			if v := c.Column("version"); v != nil && v.Leaf() {
				hasVersion = true
			}
		}
	}
	return hasClass && hasVersion
}
