package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

func get(t *testing.T, h http.Handler, method, target string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestSPARoutesServeIndex(t *testing.T) {
	h := Handler()
	for _, p := range []string{"/", "/findings", "/findings/abc", "/entities/instance:i-1/flows?start=x", "/groups/g-1", "/sql"} {
		w := get(t, h, "GET", p, nil)
		if w.Code != 200 || !strings.Contains(w.Body.String(), `<div id="app">`) {
			t.Errorf("GET %s = %d %.200s; want index.html", p, w.Code, w.Body.String())
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s Content-Type = %q", p, ct)
		}
		csp := w.Header().Get("Content-Security-Policy")
		for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("GET %s CSP = %q; want %q", p, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("CSP allows inline code: %q", csp)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", p)
		}
	}
}

func TestAPIPathsAreNotTheConsole(t *testing.T) {
	w := get(t, Handler(), "GET", "/api/v1/nope", nil)
	if w.Code != 404 || !strings.Contains(w.Body.String(), `"not_found"`) || !strings.Contains(w.Body.String(), "no such endpoint: GET /api/v1/nope") {
		t.Errorf("GET /api/v1/nope = %d %s; want the API's not_found envelope", w.Code, w.Body.String())
	}
	if w := get(t, Handler(), "POST", "/findings", nil); w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /findings = %d; want 405", w.Code)
	}
}

var scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
var assetRef = regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`)

// The built index.html has no inline script (the CSP would block it) and
// every asset it names is served, compressed on request, and cached.
func TestIndexAndAssets(t *testing.T) {
	h := Handler()
	body := get(t, h, "GET", "/", nil).Body.String()
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			t.Errorf("inline script in index.html: %s", m[0])
		}
	}
	refs := assetRef.FindAllStringSubmatch(body, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html names %d assets; want the script and the stylesheet", len(refs))
	}
	for _, m := range refs {
		w := get(t, h, "GET", m[1], map[string]string{"Accept-Encoding": "gzip"})
		if w.Code != 200 || w.Header().Get("Content-Encoding") != "gzip" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
			t.Errorf("GET %s = %d encoding %q cache %q", m[1], w.Code, w.Header().Get("Content-Encoding"), w.Header().Get("Cache-Control"))
		}
		zr, err := gzip.NewReader(w.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", m[1], err)
		}
		got, _ := io.ReadAll(zr)
		want, _ := fs.ReadFile(dist, "dist"+m[1])
		if !bytes.Equal(got, want) {
			t.Errorf("GET %s: gzipped body is not the asset (%d bytes; want %d)", m[1], len(got), len(want))
		}
		ct := w.Header().Get("Content-Type")
		if !strings.Contains(ct, "javascript") && !strings.Contains(ct, "css") {
			t.Errorf("GET %s Content-Type = %q", m[1], ct)
		}
	}
	if w := get(t, h, "GET", "/assets/nope.js", nil); w.Code != 404 {
		t.Errorf("GET /assets/nope.js = %d; want 404", w.Code)
	}
	if w := get(t, h, "GET", "/assets/../index.html", nil); w.Code != 200 || !strings.Contains(w.Body.String(), `id="app"`) {
		t.Errorf("GET /assets/../index.html = %d", w.Code)
	}
}

// TestBuildIsCurrent checks that the committed build was made from the
// committed sources (web/scripts/stamp.mjs writes the digest at build
// time): `make web` rebuilds it.
func TestBuildIsCurrent(t *testing.T) {
	root := filepath.Join("..", "..", "web")
	if _, err := os.Stat(filepath.Join(root, "package.json")); err != nil {
		t.Skip("no web sources next to the package (not a checkout)")
	}
	want, err := fs.ReadFile(dist, "dist/source.sha256")
	if err != nil {
		t.Fatalf("dist/source.sha256 missing: run make web")
	}
	var names []string
	for _, in := range []string{"index.html", "package-lock.json", "vite.config.ts", "tsconfig.json", "src"} {
		filepath.WalkDir(filepath.Join(root, in), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				t.Fatal(err)
			}
			if d.IsDir() || regexp.MustCompile(`\.test\.tsx?$`).MatchString(p) {
				return nil
			}
			rel, _ := filepath.Rel(root, p)
			names = append(names, filepath.ToSlash(rel))
			return nil
		})
	}
	sort.Strings(names)
	h := sha256.New()
	for _, n := range names {
		b, err := os.ReadFile(filepath.Join(root, n))
		if err != nil {
			t.Fatal(err)
		}
		h.Write([]byte(n + "\n"))
		h.Write(b)
		h.Write([]byte("\n"))
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != strings.TrimSpace(string(want)) {
		t.Errorf("internal/webui/dist was built from other sources than web/ holds (digest %s, build says %s): run make web and commit internal/webui/dist", got, strings.TrimSpace(string(want)))
	}
}
