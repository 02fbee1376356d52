package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/audit"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/pdf"
)

// openAudit opens the audit trail of the data folder.
func openAudit(ctx context.Context) (*audit.Log, error) {
	dir, err := config.DataDir()
	if err != nil {
		return nil, err
	}
	return audit.Open(ctx, dir)
}

// auditSigned records a signature in the audit trail when the document
// signed is in the register (it carries a registration number the
// register holds): the trail follows the register's documents. A PDF
// that is not registered leaves no trace, and no database is created for
// it. A failure to record is logged, not returned: the signed document is
// already there.
func auditSigned(ctx context.Context, logger *slog.Logger, in, out, signer string) {
	d, err := pdf.Describe(in)
	if err != nil || d.Meta.RegistrationNumber == "" {
		return
	}
	dir, err := config.DataDir()
	if err != nil {
		return
	}
	if _, err := os.Stat(filepath.Join(dir, audit.DBName)); errors.Is(err, fs.ErrNotExist) {
		return
	}
	ctx = context.WithoutCancel(ctx)
	warn := func(err error) {
		if logger != nil {
			logger.Warn("could not record the signature in the audit trail", "number", d.Meta.RegistrationNumber, "err", err)
		}
	}
	r, err := register.Open(ctx, dir, register.Options{})
	if err != nil {
		warn(err)
		return
	}
	defer r.Close()
	if _, err := r.Get(ctx, d.Meta.RegistrationNumber); err != nil {
		if !errors.Is(err, register.ErrNotFound) {
			warn(err)
		}
		return
	}
	before, _, err := register.HashFile(in)
	if err != nil {
		warn(err)
		return
	}
	after, _, err := register.HashFile(out)
	if err != nil {
		warn(err)
		return
	}
	details, _ := json.Marshal(map[string]string{"signer": signer})
	if _, err := r.Audit().Append(ctx, audit.Entry{Action: audit.Signed, Subject: d.Meta.RegistrationNumber,
		Hashes: map[string]string{"unsigned": before, "signed": after}, Details: details}); err != nil {
		warn(err)
	}
}

func newAuditCmd(logger *slog.Logger) *cobra.Command {
	var (
		asJSON bool
		number string
	)
	list := func(cmd *cobra.Command, args []string) error {
		l, err := openAudit(cmd.Context())
		if err != nil {
			return err
		}
		defer l.Close()
		es, err := l.List(cmd.Context(), audit.Filter{Subject: number})
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		if asJSON {
			if es == nil {
				es = []audit.Entry{}
			}
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(es)
		}
		if len(es) == 0 {
			fmt.Fprintln(w, "The audit trail is empty.")
			return nil
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "SEQ\tTIME\tACTION\tWHO\tWHERE\tDEVICE\tSUBJECT\tHASH")
		for _, e := range es {
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.Seq, e.Time.Local().Format("2006-01-02 15:04:05"), e.Action,
				e.Who, e.Where, e.Device, oneLine(e.Subject), e.Hash[:12])
		}
		return tw.Flush()
	}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "The audit trail: what happened to the registered documents, by whom, where, with which hashes",
		Long: `demat keeps an append-only audit trail in its data folder: the capture,
numbering, registration, signature, delivery and voiding of registered
documents, and every delivery, each with the time, the OS user, the
workstation, the scanner, and the SHA-256 of the documents involved.

Each entry carries the hash of the one before it, so demat audit verify finds
an entry that was altered, removed or moved. Note the head hash it prints
somewhere else from time to time (the paper register, a message to the
archives): a trail rewritten from the start would no longer end with it.

Without a subcommand, lists the entries.`,
		Example: `  demat audit list --number 2026/A/000123
  demat audit verify`,
		Args: usageArgs(cobra.NoArgs),
		RunE: list,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().StringVar(&number, "number", "", "only the entries about this registration `number`")
	listCmd := &cobra.Command{Use: "list", Short: "List the entries, oldest first", Args: usageArgs(cobra.NoArgs), RunE: list}
	listCmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	listCmd.Flags().StringVar(&number, "number", "", "only the entries about this registration `number`")
	cmd.AddCommand(listCmd, newAuditVerifyCmd())
	return cmd
}

func newAuditVerifyCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check that no audit entry was altered, removed or moved",
		Long: `Walks the audit trail from its first entry, checking each entry's hash and
its link to the one before. Prints the number of entries and the head hash
(exit status 0), or the first entry altered, removed or out of place (exit
status 1).`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			l, err := openAudit(cmd.Context())
			if err != nil {
				return err
			}
			defer l.Close()
			rep, err := l.Verify(cmd.Context())
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if err := json.NewEncoder(w).Encode(struct {
					OK bool `json:"ok"`
					audit.Report
				}{rep.OK(), rep}); err != nil {
					return err
				}
			} else if rep.OK() {
				fmt.Fprintf(w, "The audit trail is intact: %d entries, head %s\n", rep.Count, rep.Head)
			}
			if !rep.OK() {
				return exitError{code: 1, err: fmt.Errorf("the audit trail is broken: %s", rep.Problem)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}
