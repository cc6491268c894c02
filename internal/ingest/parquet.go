package ingest

import (
	"context"
	"fmt"
	"io"

	"github.com/gumshoe-dev/gumshoe/internal/flowlog"
	"github.com/gumshoe-dev/gumshoe/internal/source"
)

// openParquet opens a Parquet flow log, which needs random access: local
// files directly, S3 objects through a download.
func openParquet(ctx context.Context, o source.Object) (decoder, io.Closer, error) {
	ra, err := o.OpenReaderAt(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", o.URI, err)
	}
	d, err := flowlog.NewParquetDecoder(ra, ra.Size(), flowlog.ParquetOptions{File: o.URI})
	if err != nil {
		ra.Close()
		return nil, nil, err
	}
	return d, ra, nil
}
