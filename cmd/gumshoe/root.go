package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"

	"github.com/gumshoe-dev/gumshoe/internal/store"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	db         string
	verbose    bool
	cpuProfile string
	memProfile string
}

func newRootCommand() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "gumshoe",
		Short:         "Investigate incidents in your AWS logs",
		Long:          "gumshoe ingests AWS logs (VPC Flow Logs today) into an embedded store and answers investigation questions about them.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVar(&g.db, "db", "", "database file (default $GUMSHOE_DB, else ./gumshoe.duckdb)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log diagnostics to stderr")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile to this file")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write a heap profile to this file on exit")
	root.PersistentFlags().MarkHidden("cpuprofile")
	root.PersistentFlags().MarkHidden("memprofile")
	var stopProfile func()
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		var err error
		stopProfile, err = startProfiles(g.cpuProfile, g.memProfile)
		return err
	}
	root.PersistentPostRun = func(*cobra.Command, []string) {
		if stopProfile != nil {
			stopProfile()
		}
	}
	root.AddCommand(
		newIngestCommand(g),
		newQueryCommand(g),
		newLookupCommand(g),
		newVersionCommand(),
	)
	for _, add := range commands {
		root.AddCommand(add(g))
	}
	return root
}

// commands are the subcommands that register themselves from their own
// files (func init() { commands = append(commands, newXCommand) }), so that
// adding a command does not touch this file.
var commands []func(*globalOptions) *cobra.Command

// dbPath resolves --db, then $GUMSHOE_DB, then the default.
func (g *globalOptions) dbPath() string {
	if g.db != "" {
		return g.db
	}
	if env := os.Getenv("GUMSHOE_DB"); env != "" {
		return env
	}
	return "gumshoe.duckdb"
}

func (g *globalOptions) logger(stderr io.Writer) *slog.Logger {
	if !g.verbose {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (g *globalOptions) open(ctx context.Context, stderr io.Writer, readOnly bool) (*store.Store, error) {
	mode := forReading
	if !readOnly {
		mode = forIngest
	}
	return g.openFor(ctx, stderr, mode)
}

// openMode says what a command opens the database for, which decides how
// much of the machine DuckDB may use.
type openMode int

const (
	// forReading: queries; DuckDB has every core and 1 GB.
	forReading openMode = iota
	// forIngest: writers leave memory and cores to the Go side, which
	// decodes and stages in parallel: 512 MB measured as fast as 1 GB for
	// loading CloudTrail segments, and one DuckDB thread 12% faster than
	// two (less contention with the decoding workers).
	forIngest
	// forAnalysis: detections write little and aggregate a lot in DuckDB,
	// so DuckDB gets every core and 1 GB.
	forAnalysis
)

func (g *globalOptions) openFor(ctx context.Context, stderr io.Writer, mode openMode) (*store.Store, error) {
	opts := store.Options{Logger: g.logger(stderr), MemoryLimit: "1GB"}
	switch mode {
	case forReading:
		opts.ReadOnly = true
	case forIngest:
		opts.MemoryLimit, opts.Threads = "512MB", 1
	}
	opts.MemoryLimit = envOr("GUMSHOE_MEMORY_LIMIT", opts.MemoryLimit)
	return store.Open(ctx, g.dbPath(), opts)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// startProfiles starts the profiles asked for; the returned function
// stops them and writes the files.
func startProfiles(cpu, mem string) (func(), error) {
	var cpuFile *os.File
	if cpu != "" {
		f, err := os.Create(cpu)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		cpuFile = f
	}
	return func() {
		if cpuFile != nil {
			pprof.StopCPUProfile()
			cpuFile.Close()
		}
		if mem != "" {
			if f, err := os.Create(mem); err == nil {
				pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
	}, nil
}
