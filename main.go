// Command demat is a scanning and dematerialisation client: paper in,
// signed searchable PDF out. Without arguments it opens the window; with a
// command it runs the same pipeline headless.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/scan/sane"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

func main() {
	// The SANE driver runs scanner backends in a child demat, so that a
	// backend that crashes or hangs cannot take the program (or the pages
	// already read) with it. The child neither re-executes itself nor
	// parses flags.
	if len(os.Args) == 2 && os.Args[1] == sane.ChildArg {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		err := sane.Serve(ctx, os.Stdin, os.Stdout)
		stop()
		if err != nil && ctx.Err() == nil {
			fmt.Fprintln(os.Stderr, "demat:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if err := ocr.EnsureThreadLimit(); err != nil {
		fmt.Fprintf(os.Stderr, "demat: cannot restart with OMP_THREAD_LIMIT=1 (%v); set it in the environment and run again\n", err)
		os.Exit(1)
	}
	os.Exit(run(os.Args[1:], os.Stdout, privateStderr()))
}

// stdin is what commands read from (tests replace it).
var stdin io.Reader = os.Stdin

// usageError marks a mistake in the command line (exit status 2).
type usageError struct{ error }

func run(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := new(slog.LevelVar)
	level.Set(slog.LevelWarn)
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	root := newRootCmd(logger)
	var verbose bool
	root.PersistentFlags().BoolVarP(&verbose, "verbose", "v", false, "log what demat does, page by page, on standard error")
	root.PersistentPreRun = func(*cobra.Command, []string) {
		if verbose {
			level.Set(slog.LevelDebug)
		}
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ue usageError
	var ee exitError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "demat: %v\nRun 'demat help' for usage.\n", err)
		return 2
	case errors.Is(err, context.Canceled) && ctx.Err() != nil:
		fmt.Fprintln(stderr, "demat: interrupted; nothing was written")
		return 1
	case errors.As(err, &ee):
		fmt.Fprintf(stderr, "demat: %v\n", err)
		return ee.code
	}
	fmt.Fprintf(stderr, "demat: %v\n", err)
	return 1
}

func newRootCmd(logger *slog.Logger) *cobra.Command {
	root := &cobra.Command{
		Use:   "demat [command]",
		Short: "Scan, recognise and deliver documents as searchable PDFs",
		Long: `demat turns paper into searchable PDF: it reads page images (scans, files,
photos), recognises their text with Tesseract (French, Arabic, English) and
writes a PDF that looks like the paper and in which every word can be found.

Run without a command to open the window.`,
		Version:       version,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return openWindow(cmd.Context(), logger)
		},
	}
	root.SetVersionTemplate("demat {{.Version}}\n")
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newProcessCmd(logger), newScanCmd(logger), newDevicesCmd(logger), newWatchCmd(logger), newInfoCmd(logger), newMetadataHelp(), newCredentialsCmd(), newSignCmd(logger), newVerifyCmd(), newTargetCmd(), newSendCmd(logger), newOutboxCmd(logger), newRegisterCmd(logger), newReceiptCmd(logger), newAuditCmd(logger), newSeparatorCmd(), newBatchCmd(logger))
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

// usageArgs wraps a positional-argument check so its failure is a usage
// error.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}
