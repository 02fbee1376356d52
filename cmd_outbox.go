package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/outbox"
)

// openOutbox opens the outbox in the data folder.
func openOutbox(ctx context.Context, logger *slog.Logger) (*outbox.Outbox, error) {
	dir, err := config.DataDir()
	if err != nil {
		return nil, err
	}
	return outbox.Open(ctx, dir, outbox.Options{Logger: logger})
}

// enqueue queues a PDF for a target, its destination built from the
// target's path template, the PDF's own metadata and meta (which wins).
func enqueue(ctx context.Context, ob *outbox.Outbox, cfg *config.Config, target, file string, meta map[string]string) (outbox.Delivery, error) {
	tc, err := targetConfig(cfg, target)
	if err != nil {
		return outbox.Delivery{}, err
	}
	if err := checkPDF(file); err != nil {
		return outbox.Delivery{}, err
	}
	vars := map[string]string{}
	if desc, err := pdf.Describe(file); err == nil {
		for k, v := range desc.Meta.Map() {
			vars[k] = v
		}
	}
	for k, v := range meta {
		vars[k] = v
	}
	vars["name"] = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	name, err := upload.Path(tc.Path, vars, time.Now())
	if err != nil {
		return outbox.Delivery{}, fmt.Errorf("%s: target %s: %w", file, tc.Name, err)
	}
	delete(vars, "name")
	return ob.Add(ctx, tc.Name, file, name, vars)
}

// checkPDF refuses what is not a PDF: targets expect documents.
func checkPDF(file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	head := make([]byte, 5)
	if _, err := io.ReadFull(f, head); err != nil || string(head) != "%PDF-" {
		return fmt.Errorf("%s is not a PDF: make one with demat process", file)
	}
	return nil
}

// reporter prints deliveries' state changes as they happen.
type reporter struct {
	mu   sync.Mutex
	w    io.Writer
	last map[int64]outbox.State
}

func newReporter(w io.Writer) *reporter {
	return &reporter{w: w, last: map[int64]outbox.State{}}
}

// notify is an outbox Notify: one line per state change.
func (r *reporter) notify(d outbox.Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last[d.ID] == d.State && d.State != outbox.Sending {
		return
	}
	if d.State == outbox.Sending && r.last[d.ID] == outbox.Sending {
		return // progress: not printed line by line
	}
	r.last[d.ID] = d.State
	fmt.Fprintln(r.w, describe(d))
}

// describe says in words where a delivery stands.
func describe(d outbox.Delivery) string {
	head := fmt.Sprintf("#%d %s → %s", d.ID, filepath.Base(d.Source), d.Target)
	switch d.State {
	case outbox.Sending:
		return fmt.Sprintf("%s: sending %s (attempt %d)…", head, d.Dest, d.Attempts)
	case outbox.Delivered:
		s := fmt.Sprintf("%s: delivered to %s", head, d.Receipt.Location)
		if d.Receipt.Verified != "" {
			s += " (" + d.Receipt.Verified + " checked)"
		}
		return s + numberText(d.Receipt)
	case outbox.Pending:
		if d.Error == "" {
			return head + ": queued"
		}
		return fmt.Sprintf("%s: will try again at %s: %s", head, d.NextAt.Format("15:04:05"), d.Error)
	}
	return fmt.Sprintf("%s: %s: %s", head, d.State, d.Error)
}

func newOutboxCmd(logger *slog.Logger) *cobra.Command {
	var asJSON bool
	list := func(cmd *cobra.Command, args []string) error {
		ob, err := openOutbox(cmd.Context(), logger)
		if err != nil {
			return err
		}
		defer ob.Close()
		ds, err := ob.List(cmd.Context())
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		if asJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			if ds == nil {
				ds = []outbox.Delivery{}
			}
			return enc.Encode(ds)
		}
		if len(ds) == 0 {
			fmt.Fprintln(w, "The outbox is empty.")
			return nil
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSTATE\tTARGET\tDOCUMENT\tTRIES\tWHEN\tDETAIL")
		for _, d := range ds {
			detail := d.Error
			when := d.Updated.Format("2006-01-02 15:04")
			switch d.State {
			case outbox.Delivered:
				detail = d.Receipt.Location + numberText(d.Receipt)
			case outbox.Pending:
				if d.Error != "" {
					detail = "next try " + d.NextAt.Format("15:04:05") + ": " + d.Error
				} else {
					detail = "queued"
				}
			case outbox.Sending:
				detail = fmt.Sprintf("%d of %d bytes", d.Sent, d.Size)
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.State, d.Target, d.Dest, d.Attempts, when, detail)
		}
		return tw.Flush()
	}
	cmd := &cobra.Command{
		Use:   "outbox",
		Short: "See and drive the deliveries waiting to go, and the receipts of those gone",
		Long: `Every document sent goes through the outbox, a queue kept in demat's data
folder (` + "`" + `~/.local/share/demat` + "`" + ` on Linux, or DEMAT_DATA) that survives a lost connection,
a crash or a reboot. A delivery is pending, sending, delivered (with its
receipt), failed, or needs-credentials (the server refused the password:
store the right one with demat credentials set, then retry).

Without a subcommand, lists the deliveries.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: list,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON (with receipts)")
	listCmd := &cobra.Command{Use: "list", Short: "List the deliveries, newest first", Args: usageArgs(cobra.NoArgs), RunE: list}
	listCmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON (with receipts)")
	cmd.AddCommand(listCmd, newOutboxShowCmd(logger), newOutboxRunCmd(logger), newOutboxRetryCmd(logger), newOutboxForgetCmd(logger))
	return cmd
}

// numberText says what a receipt says of the registration number the
// server gave: ", numbered N by the server", why there is none when one
// was expected, or nothing.
func numberText(r *upload.Receipt) string {
	switch {
	case r == nil:
		return ""
	case r.Number != "":
		return ", numbered " + r.Number + " by the server"
	case r.NumberNote != "":
		return "; " + r.NumberNote
	}
	return ""
}

func newOutboxShowCmd(logger *slog.Logger) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a delivery and its receipt (where, what was checked, the server's registration number)",
		Args:  usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			ob, err := openOutbox(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer ob.Close()
			d, err := ob.Get(cmd.Context(), ids[0])
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			line := func(k, v string) {
				if v != "" {
					fmt.Fprintf(w, "%-16s %s\n", k+":", v)
				}
			}
			line("Delivery", fmt.Sprintf("#%d", d.ID))
			line("State", string(d.State))
			line("Document", d.Source)
			line("Target", d.Target)
			line("Destination", d.Dest)
			line("Size", fmt.Sprintf("%d bytes", d.Size))
			line("SHA-256", d.SHA256)
			line("Registration", d.Meta["registration_number"])
			line("Tries", strconv.Itoa(d.Attempts))
			line("Error", d.Error)
			if r := d.Receipt; r != nil {
				line("Delivered", r.Time.Local().Format("2006-01-02 15:04:05"))
				line("Location", r.Location)
				line("Checked", r.Verified)
				line("Server ID", r.ServerID)
				line("Server number", r.Number)
				line("Number note", r.NumberNote)
				if r.Already {
					line("Note", "the target already held the document (an earlier attempt's answer was lost)")
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON (with the receipt)")
	return cmd
}

func newOutboxRunCmd(logger *slog.Logger) *cobra.Command {
	var once bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Deliver what is waiting; keeps trying until each is delivered, failed or needs credentials",
		Long: `Delivers the waiting documents, retrying those that fail for a passing reason
(a lost connection, a busy server) with growing waits, until every one is
delivered, failed or needs credentials. Stop it with Ctrl-C at any time: a
transfer cut short continues from where it was at the next run. With --once,
demat tries what is due now, once, and exits.`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runOutbox(cmd, logger, nil, once, 0)
		},
	}
	cmd.Flags().BoolVar(&once, "once", false, "try what is due now, then exit")
	return cmd
}

// runOutbox runs the outbox (restricted to ids when given) and sums up.
// wait bounds the time spent (0: until settled).
func runOutbox(cmd *cobra.Command, logger *slog.Logger, ids []int64, once bool, wait time.Duration) error {
	return runOutboxTo(cmd, logger, cmd.OutOrStdout(), ids, once, wait)
}

// runOutboxTo is runOutbox printing to w.
func runOutboxTo(cmd *cobra.Command, logger *slog.Logger, w io.Writer, ids []int64, once bool, wait time.Duration) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ob, err := openOutbox(cmd.Context(), logger)
	if err != nil {
		return err
	}
	defer ob.Close()
	rep := newReporter(w)
	mode := outbox.Settled
	if once {
		mode = outbox.Due
	}
	ctx := cmd.Context()
	if wait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, wait)
		defer cancel()
	}
	err = ob.Run(ctx, outbox.RunOptions{Targets: newTargetSet(cfg), IDs: ids, Mode: mode, Notify: rep.notify})
	var numbering []error
	if r, rerr := openRegister(cmd.Context(), logger); rerr == nil {
		numbering = deliveryProblems(cmd.Context(), logger, ob, r)
		r.Close()
	} else {
		logger.Warn("could not record the deliveries in the audit trail", "err", rerr)
	}
	timedOut := errors.Is(err, context.DeadlineExceeded) && cmd.Context().Err() == nil
	if err != nil && !timedOut {
		if errors.Is(err, context.Canceled) {
			return fmt.Errorf("stopped: what was being sent continues at the next demat outbox run")
		}
		return err
	}
	// Sum up what this run was about.
	var open, bad []string
	all, err := ob.List(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	want := map[int64]bool{}
	for _, id := range ids {
		want[id] = true
	}
	for _, d := range all {
		if len(ids) > 0 && !want[d.ID] {
			continue
		}
		switch d.State {
		case outbox.Pending, outbox.Sending:
			open = append(open, strconv.FormatInt(d.ID, 10))
		case outbox.Failed, outbox.NeedsCredentials:
			bad = append(bad, strconv.FormatInt(d.ID, 10))
		}
	}
	switch {
	case len(numbering) > 0:
		// Delivered, but the register could not take the server's
		// number: someone must look (demat register show).
		return fmt.Errorf("the register refused the number a server gave: %w", errors.Join(numbering...))
	case len(bad) > 0:
		return fmt.Errorf("%d delivery(ies) not delivered (#%s): see demat outbox list", len(bad), strings.Join(bad, ", #"))
	case len(open) > 0:
		return exitError{code: 3, err: fmt.Errorf("%d delivery(ies) still waiting (#%s): demat outbox run (or the window) will carry on", len(open), strings.Join(open, ", #"))}
	}
	return nil
}

func newOutboxRetryCmd(logger *slog.Logger) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "retry ID…",
		Short: "Try failed or waiting deliveries again now (then run them)",
		Args: usageArgs(func(cmd *cobra.Command, args []string) error {
			if all != (len(args) == 0) {
				return errors.New("give delivery IDs (demat outbox list shows them), or --all")
			}
			return nil
		}),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			ob, err := openOutbox(cmd.Context(), logger)
			if err != nil {
				return err
			}
			if all {
				ds, err := ob.List(cmd.Context(), outbox.Failed, outbox.NeedsCredentials, outbox.Pending)
				if err != nil {
					ob.Close()
					return err
				}
				for _, d := range ds {
					ids = append(ids, d.ID)
				}
			}
			for _, id := range ids {
				if err := ob.Retry(cmd.Context(), id); err != nil {
					ob.Close()
					return err
				}
			}
			ob.Close()
			if len(ids) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "Nothing to retry.")
				return nil
			}
			return runOutbox(cmd, logger, ids, false, 0)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every delivery not yet delivered")
	return cmd
}

func newOutboxForgetCmd(logger *slog.Logger) *cobra.Command {
	return &cobra.Command{
		Use:   "forget ID…",
		Short: "Remove deliveries from the outbox (one not yet delivered then goes nowhere)",
		Args:  usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			ids, err := parseIDs(args)
			if err != nil {
				return err
			}
			ob, err := openOutbox(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer ob.Close()
			for _, id := range ids {
				d, err := ob.Get(cmd.Context(), id)
				if err != nil {
					return err
				}
				if err := ob.Forget(cmd.Context(), id); err != nil {
					return err
				}
				note := ""
				if d.State != outbox.Delivered {
					note = " (it was not delivered; the original is still at " + d.Source + ")"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Forgot #%d%s.\n", id, note)
			}
			return nil
		},
	}
}

func parseIDs(args []string) ([]int64, error) {
	var ids []int64
	for _, a := range args {
		id, err := strconv.ParseInt(strings.TrimPrefix(a, "#"), 10, 64)
		if err != nil || id <= 0 {
			return nil, usageError{fmt.Errorf("%q is not a delivery ID (demat outbox list shows them)", a)}
		}
		ids = append(ids, id)
	}
	return ids, nil
}
