// Package source finds and opens the bytes gumshoe ingests: local files and
// folders and S3 prefixes, listed in one lexical order whatever their origin,
// each labelled with what its key layout says (account, region, service,
// date), so that ingest can treat a laptop copy of a log bucket and the
// bucket itself the same way.
package source

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Object is one unit of input: a local file or an S3 object. Its identity
// fields (URI, Size, ETag, Modified) are what ingest's ledger keys on to
// skip objects it has already read.
type Object struct {
	// URI is an absolute local path ("/data/x.log.gz"), "s3://bucket/key"
	// or "cwl://group/stream?hour=2026-01-05T13&region=us-east-1".
	URI string
	// Size is the size in bytes, as stored (compressed, if it is).
	Size int64
	// ETag is the S3 ETag without quotes; "" for local files.
	ETag string
	// Modified is the file's mtime or the object's LastModified, UTC.
	Modified time.Time
	// Layout is what the key or path says about the object.
	Layout Layout

	path string // local file

	client   *s3.Client
	bucket   string
	key      string
	region   string // overrides the client's region when the bucket lives elsewhere
	tempDir  string
	memLimit int64

	cwl *cwlRef // an hour of a CloudWatch Logs stream (cwl.go)
}

// IsS3 reports whether the object lives in S3 rather than on local disk.
func (o Object) IsS3() bool { return o.client != nil }

// Open returns the object's raw bytes (still compressed, if it is; see
// Decompress). An S3 object is read only if it still has the ETag it was
// listed with, so that what ingest records in its ledger matches what it
// read; otherwise the error wraps ErrChanged.
func (o Object) Open(ctx context.Context) (io.ReadCloser, error) {
	switch {
	case o.client != nil:
		return o.openS3(ctx)
	case o.cwl != nil:
		return o.openCWL(ctx)
	case o.path != "":
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("open %s: %w", o.URI, err)
		}
		// os.Open's *PathError already names the file.
		return os.Open(o.path)
	}
	return nil, fmt.Errorf("open %q: %w", o.URI, errNoSource)
}

// ReaderAtCloser is random access to an object's bytes, which columnar
// formats (Parquet) need to read their footer first.
type ReaderAtCloser interface {
	io.ReaderAt
	io.Closer
	// Size is the number of bytes readable.
	Size() int64
}

// DefaultMemLimit is the largest S3 object OpenReaderAt holds in memory;
// larger ones go to a temporary file so that parallel ingest of big Parquet
// files cannot exhaust memory.
const DefaultMemLimit = 64 << 20

// OpenReaderAt gives random access to the object. Local files are opened in
// place. S3 objects are downloaded, into memory up to DefaultMemLimit bytes
// and into a temporary file (Config.TempDir) beyond, removed on Close.
func (o Object) OpenReaderAt(ctx context.Context) (ReaderAtCloser, error) {
	switch {
	case o.client != nil:
		return o.openS3ReaderAt(ctx)
	case o.cwl != nil:
		return nil, fmt.Errorf("open %s: CloudWatch Logs events are read as a stream (Open), not at random", o.URI)
	case o.path != "":
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("open %s: %w", o.URI, err)
		}
		f, err := os.Open(o.path)
		if err != nil {
			return nil, err
		}
		info, err := f.Stat()
		if err != nil {
			f.Close()
			return nil, err
		}
		return &fileReaderAt{f: f, size: info.Size()}, nil
	}
	return nil, fmt.Errorf("open %q: %w", o.URI, errNoSource)
}

// ErrChanged reports an S3 object that was overwritten between List and
// Open. Ingest should list again rather than record stale identity.
var ErrChanged = errors.New("object changed since it was listed")

var errNoSource = errors.New("object has no source (not from List)")

// Config says how List reaches its sources.
type Config struct {
	// S3 overrides the S3 client (tests); nil means NewS3Client.
	S3 *s3.Client
	// CWL overrides the CloudWatch Logs client (tests); nil means NewCWLClient.
	CWL *cloudwatchlogs.Client
	// TempDir is where OpenReaderAt puts S3 objects too big for memory;
	// "" means os.TempDir().
	TempDir string

	// Unexported knobs for tests: ListObjectsV2 page size (0: S3's 1000)
	// and the in-memory limit of OpenReaderAt (0: DefaultMemLimit).
	pageSize int32
	memLimit int64
}

// List calls fn for every object under uri, in lexical key order, and stops
// at fn's first error, which it returns unchanged.
//
// uri is a local file, a local directory or s3://bucket[/prefix]. A
// directory is walked recursively, skipping files and directories whose name
// starts with '.', special files, and symbolic links to directories (which
// could loop); symbolic links to files are followed. An S3 prefix matches
// keys the way S3 does, by string prefix: end it with "/" to mean a folder.
// Zero-byte keys ending in "/" (console folder markers) are skipped.
//
// cwl://<log-group>[?stream=<prefix>&start=<time>&end=<time>&region=<region>]
// lists one object per log stream and past UTC hour (see listCWL).
func List(ctx context.Context, uri string, cfg Config, fn func(Object) error) error {
	if isCWLURI(uri) {
		return listCWL(ctx, uri, cfg, fn)
	}
	if isS3URI(uri) {
		bucket, prefix, err := splitS3URI(uri)
		if err != nil {
			return fmt.Errorf("list %s: %w", uri, err)
		}
		return listS3(ctx, uri, bucket, prefix, cfg, fn)
	}
	return listLocal(ctx, uri, fn)
}

func listLocal(ctx context.Context, uri string, fn func(Object) error) error {
	if uri == "" {
		return errors.New("list: empty path")
	}
	root, err := filepath.Abs(uri)
	if err != nil {
		return fmt.Errorf("list %s: %w", uri, err)
	}
	info, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("list %s: %w", uri, unwrapPath(err))
	}
	switch {
	case info.IsDir():
		return walk(ctx, root, fn)
	case info.Mode().IsRegular():
		return fn(localObject(root, info))
	}
	return fmt.Errorf("list %s: not a regular file or directory (%s)", uri, info.Mode().Type())
}

// walk lists dir depth-first in lexical order of whole paths. Sorting each
// directory's entries with a trailing "/" on subdirectory names gives the
// same order as sorting every full path (and as S3 listing), without
// holding the whole tree in memory: "a/b-c" sorts before "a/b/x".
func walk(ctx context.Context, dir string, fn func(Object) error) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, unwrapPath(err))
	}
	sortKey := func(e fs.DirEntry) string {
		if e.IsDir() {
			return e.Name() + "/"
		}
		return e.Name()
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return cmp.Compare(sortKey(a), sortKey(b)) })
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		path := filepath.Join(dir, name)
		if e.IsDir() {
			if err := walk(ctx, path, fn); err != nil {
				return err
			}
			continue
		}
		var info fs.FileInfo
		if e.Type()&fs.ModeSymlink != 0 {
			info, err = os.Stat(path)
		} else {
			info, err = e.Info()
		}
		switch {
		case errors.Is(err, fs.ErrNotExist) && e.Type()&fs.ModeSymlink == 0:
			continue // removed since ReadDir (rotation); nothing to read
		case err != nil:
			return fmt.Errorf("list %s: %w", path, unwrapPath(err))
		case !info.Mode().IsRegular():
			continue
		}
		if err := fn(localObject(path, info)); err != nil {
			return err
		}
	}
	return nil
}

func localObject(path string, info fs.FileInfo) Object {
	return Object{
		URI:      path,
		Size:     info.Size(),
		Modified: info.ModTime().UTC(),
		Layout:   ParseKey(filepath.ToSlash(path)),
		path:     path,
	}
}

// unwrapPath drops an *fs.PathError's own "stat /x:" prefix where the
// caller already names the path.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// fileReaderAt is a ReaderAtCloser over a file, which it removes on Close
// when it is a download.
type fileReaderAt struct {
	f      *os.File
	size   int64
	remove bool
}

func (r *fileReaderAt) ReadAt(p []byte, off int64) (int, error) { return r.f.ReadAt(p, off) }
func (r *fileReaderAt) Size() int64                             { return r.size }

func (r *fileReaderAt) Close() error {
	err := r.f.Close()
	if r.remove {
		if rerr := os.Remove(r.f.Name()); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// memReaderAt is a ReaderAtCloser over a downloaded object.
type memReaderAt struct {
	b      []byte
	closed bool
}

func (r *memReaderAt) Size() int64 { return int64(len(r.b)) }

func (r *memReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if r.closed {
		return 0, os.ErrClosed
	}
	if off < 0 {
		return 0, errors.New("read at negative offset")
	}
	if off >= int64(len(r.b)) {
		return 0, io.EOF
	}
	n := copy(p, r.b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func (r *memReaderAt) Close() error {
	r.b, r.closed = nil, true
	return nil
}
