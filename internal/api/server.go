// Package api serves gumshoe's JSON API under /api/v1: search, entity
// profile panels, flow details with series and raw records, findings,
// read-only SQL and ingest status, plus its OpenAPI document, /healthz,
// /metrics and the web console (internal/webui). Every error is one
// JSON envelope; every request has an ID that the logs carry.
package api

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gumshoe-dev/gumshoe/internal/engine"
	"github.com/gumshoe-dev/gumshoe/internal/store"
	"github.com/gumshoe-dev/gumshoe/internal/webui"
)

// Config configures New.
type Config struct {
	// Store is the open database; the server never closes it.
	Store *store.Store
	// Token, when set, is required as "Authorization: Bearer TOKEN" on
	// every request but /healthz and the console's static files.
	Token string
	// Watcher, when set, reports on continuous ingest in ingest status.
	Watcher *Watcher
	// Registry receives the server's metrics (default: a new one with
	// the Go and process collectors).
	Registry *prometheus.Registry
	Logger   *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	cfg     Config
	eng     *engine.Engine
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	reg     *prometheus.Registry
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// New builds the server; it starts nothing.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, errors.New("api: no store")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	eng, err := engine.New(cfg.Store, engine.Options{Now: cfg.Now, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, eng: eng, log: cfg.Logger.With("component", "api"), mux: http.NewServeMux(), reg: cfg.Registry}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gumshoe_http_requests_total", Help: "HTTP requests by route and status code.",
	}, []string{"route", "code"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gumshoe_http_request_duration_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"route"})
	if err := s.reg.Register(s.reqs); err != nil {
		return nil, fmt.Errorf("api: metrics: %w", err)
	}
	if err := s.reg.Register(s.latency); err != nil {
		return nil, fmt.Errorf("api: metrics: %w", err)
	}
	if cfg.Watcher != nil {
		if err := cfg.Watcher.register(s.reg); err != nil {
			return nil, fmt.Errorf("api: metrics: %w", err)
		}
	}
	s.routes = s.apiRoutes()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.Handle("GET /healthz", s.wrap(route{method: "GET", path: "/healthz", open: true, h: s.healthz}))
	s.mux.Handle("GET /metrics", s.wrap(route{method: "GET", path: "/metrics", h: s.metrics}))
	unmatched := s.wrap(route{method: "", path: "unmatched", h: func(w http.ResponseWriter, r *http.Request) error {
		return &apiError{status: http.StatusNotFound, code: "not_found", msg: "no such endpoint: " + r.Method + " " + r.URL.Path}
	}})
	s.mux.Handle("/", unmatched)
	s.mux.Handle("GET /api/", unmatched)
	s.mux.Handle("GET /", webui.Handler()) // the console; its URLs are any other GET path
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// RequestTimeout bounds the time of any request.
const RequestTimeout = MaxSQLTimeout + 10*time.Second

// ErrTokenRequired is returned by CheckListen for a non-loopback address
// without a token.
var ErrTokenRequired = errors.New("a non-loopback listen address needs an access token (set GUMSHOE_TOKEN)")

// CheckListen refuses to serve on an address other hosts can reach unless
// a token is set. An empty host (":8080") listens on every interface.
func CheckListen(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if token != "" || isLoopback(host) {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrTokenRequired, addr)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// route is one endpoint: the mux pattern, its handler and what the
// OpenAPI document says of it.
type route struct {
	method, path string
	summary      string
	tag          string
	params       []param
	body         *bodySpec
	produces     []string // content types of a 200 (default application/json)
	open         bool     // no token needed
	h            func(http.ResponseWriter, *http.Request) error
}

type param struct {
	name, in, typ, desc string
	required, repeated  bool
}

type bodySpec struct {
	desc   string
	schema map[string]any
}

// apiError is an error with its HTTP status and a message safe to show.
type apiError struct {
	status int
	code   string
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &apiError{status: http.StatusBadRequest, code: "invalid_request", msg: fmt.Sprintf(format, args...)}
}

// classify maps an error to its status, code and the message the client
// sees. Unknown errors are internal: their detail stays in the log.
func classify(err error) (int, string, string) {
	var ae *apiError
	var qe *queryError
	switch {
	case errors.As(err, &ae):
		return ae.status, ae.code, ae.msg
	case errors.As(err, &qe):
		return http.StatusBadRequest, "query_error", qe.Error()
	case errors.Is(err, store.ErrNotReadOnly):
		return http.StatusBadRequest, "not_read_only", store.ErrNotReadOnly.Error()
	case errors.Is(err, engine.ErrInvalid):
		return http.StatusBadRequest, "invalid_request", err.Error()
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound, "not_found", err.Error()
	case errors.Is(err, engine.ErrNotApplicable):
		return http.StatusNotFound, "not_applicable", err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timeout", "the request took longer than its time limit"
	case errors.Is(err, context.Canceled):
		return 499, "canceled", "the request was canceled"
	}
	return http.StatusInternalServerError, "internal", "internal error (see the server log for this request id)"
}

type ctxKey struct{}

// requestID returns the request's ID.
func requestID(r *http.Request) string {
	id, _ := r.Context().Value(ctxKey{}).(string)
	return id
}

var goodRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func newRequestID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusWriter remembers the status code written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// wrap gives a handler a request ID, authentication, the error envelope,
// metrics, panic recovery and a log line.
func (s *Server) wrap(rt route) http.Handler {
	label := rt.method + " " + rt.path
	if rt.method == "" {
		label = "unmatched"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !goodRequestID.MatchString(id) {
			id = newRequestID()
		}
		// Every request has a time limit (the SQL endpoint sets its own,
		// shorter, one): the store's queries stop when it passes.
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), ctxKey{}, id), RequestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		sw := &statusWriter{ResponseWriter: w}
		sw.Header().Set("X-Request-Id", id)
		sw.Header().Set("X-Content-Type-Options", "nosniff")
		sw.Header().Set("Cache-Control", "no-store")
		log := s.log.With("request_id", id)
		defer func() {
			if p := recover(); p != nil {
				log.Error("panic", "panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path)
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("panic: %v", p))
				}
			}
			code := sw.status
			if code == 0 {
				code = http.StatusOK
			}
			s.reqs.WithLabelValues(label, fmt.Sprint(code)).Inc()
			s.latency.WithLabelValues(label).Observe(time.Since(start).Seconds())
			log.Info("request", "method", r.Method, "path", r.URL.Path, "route", label, "status", code, "duration_ms", time.Since(start).Milliseconds())
		}()
		if !rt.open && !s.authorized(r) {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="gumshoe"`)
			s.writeError(sw, r, &apiError{status: http.StatusUnauthorized, code: "unauthorized", msg: "missing or wrong bearer token"})
			return
		}
		if err := rt.h(sw, r); err != nil {
			status, _, _ := classify(err)
			if status >= 500 {
				log.Error("request failed", "error", err.Error(), "route", label)
			} else {
				log.Debug("request refused", "error", err.Error(), "route", label)
			}
			if sw.status == 0 {
				s.writeError(sw, r, err)
			}
		}
	})
}

func (s *Server) authorized(r *http.Request) bool {
	if s.cfg.Token == "" {
		return true
	}
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.cfg.Token)) == 1
}

// errorBody is the one error envelope.
type errorBody struct {
	Error struct {
		Code      string `json:"code"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code, msg := classify(err)
	var body errorBody
	body.Error.Code, body.Error.Message, body.Error.RequestID = code, msg, requestID(r)
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	return nil
}
