// Package webui serves the web console: the built single-page application
// (web/, built by Vite into dist/ and committed, so that a clone builds
// without Node) with strict security headers. Any path that is not an
// asset answers index.html, so that the console's own URLs can be shared
// and reloaded; paths under /api/ that reach it are unknown endpoints.
package webui

import (
	"embed"
	"encoding/json"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy allows the console's own scripts, styles and API
// only: no inline script, no eval, no framing.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler returns the console's HTTP handler.
func Handler() http.Handler {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	return &handler{files: sub}
}

type handler struct {
	files fs.FS
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", ContentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	p := r.URL.Path
	if p == "/api" || strings.HasPrefix(p, "/api/") {
		notFound(w, r)
		return
	}
	if strings.HasPrefix(p, "/assets/") {
		name := strings.TrimPrefix(path.Clean(p), "/")
		b, err := fs.ReadFile(h.files, name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		// Asset names carry a content hash: cache them for good.
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.write(w, r, name, b)
		return
	}
	b, err := fs.ReadFile(h.files, "index.html")
	if err != nil {
		http.Error(w, "console not built", http.StatusInternalServerError)
		return
	}
	hd.Set("Cache-Control", "no-cache")
	h.write(w, r, "index.html", b)
}

func (h *handler) write(w http.ResponseWriter, r *http.Request, name string, b []byte) {
	ct := mime.TypeByExtension(path.Ext(name))
	if ct == "" {
		ct = http.DetectContentType(b)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Add("Vary", "Accept-Encoding")
	// The build gzips each asset (web/scripts/stamp.mjs): nothing is
	// compressed at run time.
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		if gz, err := fs.ReadFile(h.files, name+".gz"); err == nil {
			b = gz
			w.Header().Set("Content-Encoding", "gzip")
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(b)
	}
}

// notFound answers an unknown API path in the API's error envelope.
func notFound(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusNotFound)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
		"code": "not_found", "message": "no such endpoint: " + r.Method + " " + r.URL.Path,
	}})
}
