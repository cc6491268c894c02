package source

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// writeTree creates files (slash-separated paths relative to root) with
// their names as content.
func writeTree(t *testing.T, root string, files ...string) {
	t.Helper()
	for _, f := range files {
		p := filepath.Join(root, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func listAll(t *testing.T, uri string, cfg Config) []Object {
	t.Helper()
	var got []Object
	if err := List(context.Background(), uri, cfg, func(o Object) error {
		got = append(got, o)
		return nil
	}); err != nil {
		t.Fatalf("List(%q) error = %v", uri, err)
	}
	return got
}

func relURIs(root string, objs []Object) []string {
	var out []string
	for _, o := range objs {
		rel, err := filepath.Rel(root, o.URI)
		if err != nil {
			rel = o.URI
		}
		out = append(out, filepath.ToSlash(rel))
	}
	return out
}

func TestListLocal(t *testing.T) {
	root := t.TempDir()
	flow := "AWSLogs/123456789012/vpcflowlogs/us-east-1/2024/01/02/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20240102T0005Z_h.log.gz"
	writeTree(t, root,
		flow,
		"AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/ct.json.gz",
		"a/b/x.log",
		"a/b-c.log", // sorts before a/b/x.log, though WalkDir would visit it after
		"a/b.log",
		"z.log",
		".hidden.log",
		".git/config",
		"a/.cache/y.log",
		"a/b/.z.log",
	)
	if err := os.Symlink(filepath.Join(root, "z.log"), filepath.Join(root, "link.log")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "linkdir")); err != nil {
		t.Fatal(err)
	}

	got := listAll(t, root, Config{})
	want := []string{
		"AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/ct.json.gz",
		flow,
		"a/b-c.log",
		"a/b.log",
		"a/b/x.log",
		"link.log",
		"z.log",
	}
	if diff := cmp.Diff(want, relURIs(root, got)); diff != "" {
		t.Errorf("List(%q) URIs mismatch (-want +got):\n%s", root, diff)
	}

	for _, o := range got {
		if o.IsS3() || o.ETag != "" || !filepath.IsAbs(o.URI) || o.Modified.Location() != time.UTC || o.Modified.IsZero() {
			t.Errorf("List(%q) object %+v: want local, absolute, no ETag, UTC mtime", root, o)
		}
		rel := relURIs(root, []Object{o})[0]
		if o.Size != int64(len(rel)) && rel != "link.log" {
			t.Errorf("%s: Size = %d; want %d", rel, o.Size, len(rel))
		}
		rc, err := o.Open(context.Background())
		if err != nil {
			t.Fatalf("Open(%s) error = %v", o.URI, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || int64(len(b)) != o.Size {
			t.Errorf("Open(%s) read %d bytes, err %v; want %d", o.URI, len(b), err, o.Size)
		}
	}
	fl := got[1]
	wantLayout := Layout{AccountID: "123456789012", Region: "us-east-1", Service: "vpcflowlogs",
		Date: day(2024, 1, 2), FlowLogID: "fl-1234abcd", FileTime: at(2024, 1, 2, 0, 5, 0)}
	if diff := cmp.Diff(wantLayout, fl.Layout); diff != "" {
		t.Errorf("Layout of %s mismatch (-want +got):\n%s", fl.URI, diff)
	}

	t.Run("subdirectory", func(t *testing.T) {
		got := listAll(t, filepath.Join(root, "a"), Config{})
		if diff := cmp.Diff([]string{"a/b-c.log", "a/b.log", "a/b/x.log"}, relURIs(root, got)); diff != "" {
			t.Errorf("List(a) mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("single file", func(t *testing.T) {
		// A file named explicitly is listed even when hidden.
		for _, name := range []string{flow, ".hidden.log"} {
			p := filepath.Join(root, filepath.FromSlash(name))
			got := listAll(t, p, Config{})
			if len(got) != 1 || got[0].URI != p || got[0].Size != int64(len(name)) {
				t.Errorf("List(%q) = %+v; want the one file", p, got)
			}
		}
	})

	t.Run("relative path", func(t *testing.T) {
		t.Chdir(root)
		got := listAll(t, "a/b", Config{})
		if len(got) != 1 || got[0].URI != filepath.Join(root, "a", "b", "x.log") {
			t.Errorf("List(a/b) = %+v; want absolute a/b/x.log", got)
		}
	})

	t.Run("stop", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := List(context.Background(), root, Config{}, func(Object) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("List with failing fn = %v after %d calls; want stop after 1", err, n)
		}
	})

	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := List(ctx, root, Config{}, func(Object) error { return nil })
		if !errors.Is(err, context.Canceled) {
			t.Errorf("List(canceled) = %v; want context.Canceled", err)
		}
	})
}

func TestListLocalErrors(t *testing.T) {
	root := t.TempDir()
	missing := filepath.Join(root, "no", "such", "dir")
	err := List(context.Background(), missing, Config{}, func(Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), missing) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("List(%q) = %v; want a not-exist error naming the path", missing, err)
	}
	if strings.Count(err.Error(), missing) != 1 {
		t.Errorf("List(%q) = %q; want the path named once", missing, err)
	}

	if err := List(context.Background(), "", Config{}, func(Object) error { return nil }); err == nil {
		t.Errorf("List(\"\") = nil; want an error")
	}

	dangling := filepath.Join(root, "dangling", "gone.log")
	if err := os.MkdirAll(filepath.Dir(dangling), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(root, "nowhere"), dangling); err != nil {
		t.Fatal(err)
	}
	err = List(context.Background(), filepath.Dir(dangling), Config{}, func(Object) error { return nil })
	if err == nil || !strings.Contains(err.Error(), dangling) {
		t.Errorf("List(dir with dangling link) = %v; want an error naming %s", err, dangling)
	}

	if os.Geteuid() != 0 { // root reads everything
		locked := filepath.Join(root, "locked")
		writeTree(t, root, "locked/x.log")
		if err := os.Chmod(locked, 0); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(locked, 0o755) })
		err := List(context.Background(), root, Config{}, func(Object) error { return nil })
		if err == nil || !strings.Contains(err.Error(), locked) {
			t.Errorf("List(%q) = %v; want an error naming %s", root, err, locked)
		}
	}
}

func TestOpenReaderAtLocal(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, "data/file.parquet")
	objs := listAll(t, root, Config{})
	r, err := objs[0].OpenReaderAt(context.Background())
	if err != nil {
		t.Fatalf("OpenReaderAt() error = %v", err)
	}
	defer r.Close()
	want := "data/file.parquet"
	if r.Size() != int64(len(want)) {
		t.Errorf("Size() = %d; want %d", r.Size(), len(want))
	}
	buf := make([]byte, 7)
	if n, err := r.ReadAt(buf, 10); err != nil || string(buf[:n]) != want[10:] {
		t.Errorf("ReadAt(7, 10) = %q, %v; want %q", buf[:n], err, want[10:])
	}
}

func TestOpenZeroObject(t *testing.T) {
	if _, err := (Object{}).Open(context.Background()); err == nil {
		t.Error("Object{}.Open() = nil error; want an error")
	}
	if _, err := (Object{}).OpenReaderAt(context.Background()); err == nil {
		t.Error("Object{}.OpenReaderAt() = nil error; want an error")
	}
}
