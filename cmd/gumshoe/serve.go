package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/api"
	"github.com/gumshoe-dev/gumshoe/internal/detect"
	"github.com/gumshoe-dev/gumshoe/internal/geoip"
	"github.com/gumshoe-dev/gumshoe/internal/ingest"
	"github.com/gumshoe-dev/gumshoe/internal/store"
)

func init() { commands = append(commands, newServeCommand) }

// defaultListen is loopback: other hosts cannot reach the server unless
// the user says so (and then a token is required).
const defaultListen = "127.0.0.1:8080"

// serveOptions configures runServe.
type serveOptions struct {
	dbPath   string
	listen   string
	token    string
	watch    []string
	interval time.Duration
	geoCity  string
	geoASN   string
	stderr   io.Writer
	logger   *slog.Logger
	// ready, if set, is called with the address once the server listens.
	ready func(addr string)
}

func newServeCommand(g *globalOptions) *cobra.Command {
	o := serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Serve the web console and its JSON API",
		Long: `Serve the web console at /, gumshoe's JSON API under /api/v1 (OpenAPI
document at /api/v1/openapi.json; see docs/api.md), /healthz and /metrics
(Prometheus).

The server listens on loopback (` + defaultListen + `) unless --listen says
otherwise. A non-loopback address needs an access token in GUMSHOE_TOKEN:
without one the server refuses to start. Whenever GUMSHOE_TOKEN is set,
every API request must carry "Authorization: Bearer TOKEN" (/healthz and
the console's static files excepted; the console sends the token it is given).

The server holds the database's write access (DuckDB allows one writing
process); other gumshoe commands on the same database then stop with a
message naming it. With --watch, it ingests new objects from folders or
s3://bucket/prefix sources as they appear, so that they are queryable within
a minute, while the API keeps answering.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.dbPath = g.dbPath()
			o.token = os.Getenv("GUMSHOE_TOKEN")
			o.stderr = cmd.ErrOrStderr()
			o.logger = serveLogger(o.stderr, g.verbose)
			return runServe(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.listen, "listen", defaultListen, "address to listen on (host:port); non-loopback needs GUMSHOE_TOKEN")
	cmd.Flags().StringSliceVar(&o.watch, "watch", nil, "folder or s3://bucket/prefix to ingest new objects from as they appear (repeatable)")
	cmd.Flags().DurationVar(&o.interval, "watch-interval", api.DefaultWatchInterval, "how often watched sources are listed")
	cmd.Flags().StringVar(&o.geoCity, "geoip-city", "", "MaxMind City/Country .mmdb for watched ingest (table ip_info)")
	cmd.Flags().StringVar(&o.geoASN, "geoip-asn", "", "MaxMind ASN .mmdb for watched ingest")
	return cmd
}

// serveLogger logs requests at info level (debug with --verbose), to
// stderr.
func serveLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// serveConsoleImpl runs the same server as gumshoe serve, without
// watching, for commands that serve a database they made (gumshoe demo).
// GUMSHOE_TOKEN applies as for serve.
func serveConsoleImpl(ctx context.Context, g *globalOptions, dbPath, listen string) error {
	if listen == "" {
		listen = defaultListen
	}
	return runServe(ctx, serveOptions{
		dbPath: dbPath, listen: listen, token: os.Getenv("GUMSHOE_TOKEN"),
		stderr: os.Stderr, logger: serveLogger(os.Stderr, g.verbose),
	})
}

// runServe serves until ctx ends, then shuts down in reverse order:
// the HTTP server, the watcher, the store.
func runServe(ctx context.Context, o serveOptions) error {
	if o.stderr == nil {
		o.stderr = io.Discard
	}
	if o.logger == nil {
		o.logger = slog.New(slog.DiscardHandler)
	}
	// Refuse an exposed address before touching the database.
	if err := api.CheckListen(o.listen, o.token); err != nil {
		return err
	}
	st, err := store.Open(ctx, o.dbPath, store.Options{Logger: o.logger, MemoryLimit: envOr("GUMSHOE_MEMORY_LIMIT", "1GB")})
	if err != nil {
		return err
	}
	defer st.Close()

	var watcher *api.Watcher
	if len(o.watch) > 0 {
		geo, err := geoip.Open(geoip.Config{CityDB: o.geoCity, ASNDB: o.geoASN})
		if err != nil {
			return err
		}
		defer geo.Close()
		// Half the cores for ingest: the API keeps the rest.
		workers := max(1, runtime.GOMAXPROCS(0)/2)
		watcher, err = api.NewWatcher(st, api.WatchConfig{
			Sources: o.watch, Interval: o.interval, Logger: o.logger,
			Ingest: ingest.Config{GeoIP: geo, Workers: workers},
			// New data is looked at by the detections as soon as it is in.
			AfterIngest: func(ctx context.Context) error {
				sum, err := detect.Run(ctx, st, detect.Config{GeoIP: geo, Logger: o.logger})
				if err == nil && sum.New+sum.Updated > 0 {
					o.logger.Info("detections", "new", sum.New, "updated", sum.Updated)
				}
				return err
			},
		})
		if err != nil {
			return err
		}
	}
	srv, err := api.New(api.Config{Store: st, Token: o.token, Watcher: watcher, Logger: o.logger})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", o.listen, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(o.logger.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().String()
	auth := "no token: loopback only"
	if o.token != "" {
		auth = "bearer token required"
	}
	fmt.Fprintf(o.stderr, "gumshoe serve: http://%s (database %s; %s)\n", addr, st.Path(), auth)
	if o.ready != nil {
		o.ready(addr)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if watcher != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			watcher.Run(ctx)
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- hs.Serve(ln) }()
	select {
	case err = <-serveErr:
	case <-ctx.Done():
	}
	shutdownCtx, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	if serr := hs.Shutdown(shutdownCtx); serr != nil && err == nil {
		err = serr
	}
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
