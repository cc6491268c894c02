// Command gumshoe is a self-hosted incident-investigation system for AWS
// logs: it ingests VPC Flow Logs into an embedded store and answers
// questions about them.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// exitError carries an exit code for errors already reported to the user.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// softMemoryLimit keeps the Go heap, and so the process, well under 1 GiB
// during an ingest of any size: the garbage collector works harder near the
// limit instead of letting the heap double. GOMEMLIMIT overrides it.
const softMemoryLimit = 640 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		var ee exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "gumshoe:", err)
		os.Exit(1)
	}
}
