package source

import (
	"bufio"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
)

// Decompress sniffs r's first bytes and, on the gzip magic (1f 8b), returns
// a gzip reader, with multistream on because AWS and tools concatenate
// members; otherwise it returns r's bytes unchanged. It trusts content, not
// names, because names lie: tools that decompress on download keep the .gz,
// and hand-made copies lose or invent extensions.
//
// Decompress reads only the two magic bytes. A corrupt or truncated gzip
// stream, header included, is an error from Read (wrapping
// io.ErrUnexpectedEOF when truncated), never a panic. The error return is for
// failing to read the magic bytes. Closing the result does not close r.
func Decompress(r io.Reader) (io.ReadCloser, bool, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, false, fmt.Errorf("sniff compression: %w", err)
	}
	if len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		return &gzipReader{src: br}, true, nil
	}
	return io.NopCloser(br), false, nil
}

// gzipReader reads the gzip header on first Read, so that a bad header is
// reported where every other corruption is.
type gzipReader struct {
	src *bufio.Reader
	z   *gzip.Reader
	err error
}

func (g *gzipReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	if g.z == nil {
		z, err := gzip.NewReader(g.src)
		if err != nil {
			g.err = fmt.Errorf("decompress: %w", eofIsUnexpected(err))
			return 0, g.err
		}
		z.Multistream(true)
		g.z = z
	}
	n, err := g.z.Read(p)
	if err != nil && err != io.EOF {
		g.err = fmt.Errorf("decompress: %w", err)
		return n, g.err
	}
	return n, err
}

func (g *gzipReader) Close() error {
	if g.z == nil {
		return nil
	}
	return g.z.Close()
}

// eofIsUnexpected turns a clean EOF inside the gzip header (we saw the magic
// bytes, so there must be more) into io.ErrUnexpectedEOF.
func eofIsUnexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
