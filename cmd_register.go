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
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demat-app/demat/internal/audit"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/receipt"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/upload/outbox"
)

// openRegister opens the registers of the data folder, numbering as the
// configuration's [register] says, and settles the registrations that
// demat processes killed on this workstation left unfinished.
func openRegister(ctx context.Context, logger *slog.Logger) (*register.Register, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	f, err := register.NewFormat(cfg.Register)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.File(), err)
	}
	dir, err := config.DataDir()
	if err != nil {
		return nil, err
	}
	r, err := register.Open(ctx, dir, register.Options{Format: f, Numbering: cfg.Register.Numbering})
	if err != nil {
		return nil, err
	}
	settled, err := r.Recover(ctx)
	if err != nil {
		r.Close()
		return nil, err
	}
	for _, e := range settled {
		logger.Warn("an interrupted registration was settled", "number", e.Number, "state", e.State, "note", e.Note)
	}
	return r, nil
}

// receivedNow is the received date and time given when none is: now, to
// the second, with the zone, as an XMP date.
func receivedNow() string { return time.Now().Format("2006-01-02T15:04:05Z07:00") }

// registration is the number a command that makes a document took for
// it (--register). Its methods do nothing on a nil registration, so
// commands call them whether or not --register was given.
type registration struct {
	r      *register.Register
	e      register.Entry
	d      *docFlags
	logger *slog.Logger
	// desk signs the depositor's receipt (--receipt), as receiptOpt says.
	desk       *signer
	receiptOpt receipt.Options
	// stamp is the arrival stamp to draw, nil for none; reserve gives
	// it its number and time.
	stamp *stamp.Stamp
	// shared: the register and the desk's key are the caller's, left
	// open by complete and abandon (the window's registry desk).
	shared bool
}

// addRegister adds --register to a command that makes a document.
func (d *docFlags) addRegister(f *pflag.FlagSet) {
	f.StringVar(&d.register, "register", "", "register the document in this `register`: incoming, outgoing or internal; its number goes into the PDF's metadata (registration_number, with direction and received) and is printed (see demat register)")
	f.StringVar(&d.receipt, "receipt", "", "with --register, also write the depositor's receipt to this PDF `file`, its QR code signed with the --sign certificate, else the configuration's [register] certificate (see demat register receipt)")
	d.receiptFlags.add(f, "receipt-")
	d.stampFlags.add(f)
}

// registration reads --register, checking it against the metadata
// given, and opens the register, so that a mistake is found before
// anything is scanned; nil without --register. reserve then takes the
// number.
func (d *docFlags) registration(cmd *cobra.Command, logger *slog.Logger, opt pipeline.Options) (*registration, error) {
	if d.register == "" {
		if d.receipt != "" {
			return nil, usageError{errors.New("--receipt needs --register: only a registered item has a receipt")}
		}
		_, err := d.stamp(cmd.Flags(), "", opt)
		return nil, err
	}
	k, err := register.ParseKind(d.register)
	if err != nil {
		return nil, usageError{fmt.Errorf("--register: %w", err)}
	}
	server, err := d.serverNumbering(cmd.Flags())
	if err != nil {
		return nil, err
	}
	var st *stamp.Stamp
	if !server {
		if st, err = d.stamp(cmd.Flags(), k, opt); err != nil {
			return nil, err
		}
	}
	m := opt.PDF.Meta
	if m.RegistrationNumber != "" {
		return nil, usageError{fmt.Errorf("--register gives the registration number: leave registration_number out of the metadata")}
	}
	if m.Direction != "" && m.Direction != string(k) {
		return nil, usageError{fmt.Errorf("--register %s but the metadata says direction %s", k, m.Direction)}
	}
	out, err := filepath.Abs(d.out)
	if err != nil {
		return nil, err
	}
	g := &registration{e: register.Entry{Kind: k, File: out}, d: d, logger: logger, stamp: st}
	if d.receipt != "" {
		if g.receiptOpt, err = d.receiptFlags.check("receipt-"); err != nil {
			return nil, err
		}
		if !d.force {
			if _, err := os.Lstat(d.receipt); err == nil {
				return nil, fmt.Errorf("%s: already exists: choose another name, or use --force to replace it", d.receipt)
			}
		}
		// The key is loaded before a number is taken: a wrong PIN costs
		// no number.
		d.receiptFlags.sign.cert, d.receiptFlags.sign.credential = d.sign.cert, d.sign.credential
		if g.desk, err = d.receiptFlags.loadDesk(cmd, logger); err != nil {
			return nil, err
		}
	}
	if g.r, err = openRegister(cmd.Context(), logger); err != nil {
		g.desk.close()
		return nil, err
	}
	return g, nil
}

// reserve takes a number for the document about to be made, before it
// is written (and after the signing key is loaded: a wrong PIN costs no
// number), and puts it, the direction and the received date (now, unless
// --meta gives it) into the PDF's metadata.
func (g *registration) reserve(ctx context.Context, opt *pipeline.Options, device string) error {
	if g == nil {
		return nil
	}
	m := &opt.PDF.Meta
	if m.Received == "" {
		m.Received = receivedNow()
	}
	e, err := g.r.Reserve(ctx, register.Draft{Kind: g.e.Kind, Description: register.Describe(*m), File: g.e.File, Device: device})
	if err != nil {
		return err
	}
	g.e = e
	m.RegistrationNumber, m.Direction = e.Number, string(e.Kind)
	if g.stamp != nil {
		opt.Stamp = stamped(g.stamp, e, m.Received)
	}
	// The registry's properties are metadata given, which goes into the
	// attached metadata record as --meta would (PDF/A-3b), unless PDF/A-2b
	// was asked for.
	if g.d.pdfa == "" {
		opt.PDF.PDFA = pdf.PDFA3B
	}
	opt.PDF.Record = opt.PDF.PDFA != pdf.PDFA2B
	g.logger.Debug("number reserved", "number", e.Number, "register", e.Kind)
	return nil
}

// captured records in the audit trail the PDF just built at path, before
// it is signed.
func (g *registration) captured(ctx context.Context, path string, res *pipeline.Result, device string) {
	if g == nil || res == nil || g.e.Number == "" {
		return
	}
	sum, _, err := register.HashFile(path)
	if err != nil {
		g.logger.Warn("could not record the capture in the audit trail", "number", g.e.Number, "err", err)
		return
	}
	source := "scanner"
	if device == "" {
		source = "files"
	}
	details, _ := json.Marshal(map[string]any{"pages": res.Pages, "source": source})
	if _, err := g.r.Audit().Append(context.WithoutCancel(ctx), audit.Entry{Action: audit.Captured, Subject: g.e.Number,
		Device: device, Hashes: map[string]string{"pdf": sum}, Details: details}); err != nil {
		g.logger.Warn("could not record the capture in the audit trail", "number", g.e.Number, "err", err)
	}
}

// complete records the finished document (signed, if it was) and prints
// its number.
func (g *registration) complete(cmd *cobra.Command, res *pipeline.Result) error {
	if g == nil {
		return nil
	}
	defer g.close()
	e, err := g.record(cmd.Context(), res)
	if err != nil {
		return err
	}
	w := cmd.OutOrStdout()
	if g.d.asJSON {
		return json.NewEncoder(w).Encode(struct {
			Type string `json:"type"`
			register.Entry
		}{"registered", e})
	}
	if e.State == register.AwaitingNumber {
		fmt.Fprintf(w, "%s: registered provisionally as %s (%s): its number comes from the server it is delivered to\n", res.Output, e.Number, e.Kind)
		return nil
	}
	fmt.Fprintf(w, "%s: registered as %s (%s)\n", res.Output, e.Number, e.Kind)
	if g.desk != nil {
		fmt.Fprintf(w, "%s: receipt of %s\n", g.d.receipt, e.Number)
	}
	return nil
}

// record completes the register's entry with the finished document
// (signed, if it was) and writes the depositor's receipt (with a desk
// key); the window records its registrations with it too. An error after
// Complete leaves the entry registered and says so.
func (g *registration) record(ctx context.Context, res *pipeline.Result) (register.Entry, error) {
	// Even when interrupted now, the document is there: record it.
	ctx = context.WithoutCancel(ctx)
	sum, _, err := register.HashFile(res.Output)
	if err != nil {
		return register.Entry{}, fmt.Errorf("register %s: %w", g.e.Number, err)
	}
	e, err := g.r.Complete(ctx, g.e.Number, g.e.File, sum, res.Pages)
	if err != nil {
		return register.Entry{}, err
	}
	g.e = e
	if g.desk != nil {
		if err := writeReceipt(g.desk, e, g.d.receipt, g.d.force, g.receiptOpt); err != nil {
			return e, fmt.Errorf("%s is registered as %s, but its receipt was not written (demat register receipt %s writes it): %w", res.Output, e.Number, e.Number, err)
		}
	}
	return e, nil
}

// close releases the register and the desk's key, unless they are the
// caller's (shared: the window keeps them open).
func (g *registration) close() {
	if g.shared {
		return
	}
	g.r.Close()
	g.desk.close()
}

// abandon voids the number of a document that was not made, saying why:
// the number stays used, so the register keeps no gap.
func (g *registration) abandon(ctx context.Context, cause error) {
	if g == nil {
		return
	}
	defer g.close()
	if g.e.Number == "" {
		return // it failed before a number was taken
	}
	reason := "failed: " + cause.Error()
	if errors.Is(cause, context.Canceled) {
		reason = "cancelled"
	}
	if _, err := g.r.Void(context.WithoutCancel(ctx), g.e.Number, reason); err != nil {
		g.logger.Warn("could not void the number of a document not made; the next demat will", "number", g.e.Number, "err", err)
		return
	}
	g.logger.Warn("the document was not made: its number is void", "number", g.e.Number)
}

// recordDeliveries records the outbox's deliveries in the audit trail,
// and each on the register entry of the document it carried (by its
// registration_number), once each: it runs after every outbox run and
// before the register is shown, so a delivery made by the window or a
// killed run is recorded by the next command.
func recordDeliveries(ctx context.Context, logger *slog.Logger, ob *outbox.Outbox, r *register.Register) {
	for _, err := range deliveryProblems(ctx, logger, ob, r) {
		logger.Error("the server gave a registration number the register already holds", "err", err)
	}
}

// syncDeliveries is recordDeliveries opening what it needs.
func syncDeliveries(ctx context.Context, logger *slog.Logger, r *register.Register) {
	ob, err := openOutbox(ctx, logger)
	if err != nil {
		logger.Warn("could not record the deliveries in the audit trail", "err", err)
		return
	}
	defer ob.Close()
	recordDeliveries(ctx, logger, ob, r)
}

// registerFilter is the flags that narrow list and export.
type registerFilter struct {
	kind, from, to, search, state string
}

func (f *registerFilter) add(fs *pflag.FlagSet) {
	fs.StringVar(&f.kind, "register", "", "only this `register`: incoming, outgoing or internal")
	fs.StringVar(&f.from, "from", "", "only entries registered on or after this `date` (YYYY-MM-DD)")
	fs.StringVar(&f.to, "to", "", "only entries registered on or before this `date` (YYYY-MM-DD)")
	fs.StringVarP(&f.search, "search", "s", "", "only entries whose number (the register's or the server's), sender, recipient, subject, reference, type, title or note contain this `text` (case and accents ignored)")
	fs.StringVar(&f.state, "state", "", "only entries in this `state`: pending, awaiting-number, registered or void")
}

func (f *registerFilter) filter() (register.Filter, error) {
	var out register.Filter
	var err error
	if f.kind != "" {
		if out.Kind, err = register.ParseKind(f.kind); err != nil {
			return out, usageError{fmt.Errorf("--register: %w", err)}
		}
	}
	day := func(flag, s string) (time.Time, error) {
		t, err := time.ParseInLocation("2006-01-02", s, time.Local)
		if err != nil {
			return t, usageError{fmt.Errorf("--%s %q: write the date as YYYY-MM-DD", flag, s)}
		}
		return t, nil
	}
	if f.from != "" {
		if out.From, err = day("from", f.from); err != nil {
			return out, err
		}
	}
	if f.to != "" {
		t, err := day("to", f.to)
		if err != nil {
			return out, err
		}
		out.To = t.AddDate(0, 0, 1) // --to is inclusive: the whole day
	}
	switch s := register.State(f.state); s {
	case "", register.Pending, register.AwaitingNumber, register.Registered, register.Void:
		out.State = s
	default:
		return out, usageError{fmt.Errorf("--state %q: want pending, awaiting-number, registered or void", f.state)}
	}
	out.Text = f.search
	return out, nil
}

func newRegisterCmd(logger *slog.Logger) *cobra.Command {
	var (
		asJSON bool
		rf     registerFilter
	)
	list := func(cmd *cobra.Command, args []string) error {
		f, err := rf.filter()
		if err != nil {
			return err
		}
		r, err := openRegister(cmd.Context(), logger)
		if err != nil {
			return err
		}
		defer r.Close()
		syncDeliveries(cmd.Context(), logger, r)
		es, err := r.List(cmd.Context(), f)
		if err != nil {
			return err
		}
		w := cmd.OutOrStdout()
		if asJSON {
			if es == nil {
				es = []register.Entry{}
			}
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(es)
		}
		if len(es) == 0 {
			fmt.Fprintln(w, "No entry.")
			return nil
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tSTATE\tREGISTERED\tSENDER\tRECIPIENT\tSUBJECT\tPAGES")
		for _, e := range es {
			state := string(e.State)
			if len(e.Deliveries) > 0 {
				state += ", delivered"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", e.Number, state, e.Registered.Format("2006-01-02 15:04"),
				oneLine(e.Sender), oneLine(e.Recipient), oneLine(e.Subject), e.Pages)
		}
		return tw.Flush()
	}
	cmd := &cobra.Command{
		Use:   "register",
		Short: "The registry desk's registers: number, search and export incoming, outgoing and internal items",
		Long: `demat keeps three registers (incoming, outgoing, internal) in its data folder,
beside the outbox. Every item gets a number that is chronological, unique and
gapless in its register and year, written as the configuration's [register]
format says (default {year}/{code}/{seq:6}, e.g. 2026/A/000123).

Register a document as it is made with demat process --register incoming (or
scan): the number goes into the PDF's metadata and is printed. Paper that is
not scanned, or a PDF that already exists, is registered with demat register
add. A number, once given, is never given again nor deleted: an entry whose
document was never made (an error, Ctrl-C, a crash) is kept as void, and the
register says why.

A target whose server registers what it receives (number_header or
number_json, see demat target add) gives each delivered document a number
of its own: the entry keeps its number and gets the server's too, shown,
searched, exported and looked up like its own. With numbering = "server" in
[register], the server's number is the entry's number: the register's is
provisional (it is in the PDF's metadata) until the delivery's answer
gives the server's; the entry awaits its number meanwhile
(awaiting-number), and has no stamp, and its receipt is written once the
number is known (demat register receipt).

Without a subcommand, lists the entries.`,
		Example: `  demat process --register incoming --meta sender="Wilaya de Rabat" --meta subject="Demande de permis" -o courrier.pdf scan.jpg
  demat register add incoming --meta sender="Commune de Salé" --meta subject="Convocation"
  demat register list --from 2026-03-01 --to 2026-03-31 --search permis
  demat register show 2026/A/000123
  demat register export -o registre-2026.csv --register incoming`,
		Args: usageArgs(cobra.NoArgs),
		RunE: list,
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	rf.add(cmd.Flags())
	listCmd := &cobra.Command{Use: "list", Short: "List the entries in the order they were registered", Args: usageArgs(cobra.NoArgs), RunE: list}
	listCmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	rf.add(listCmd.Flags())
	cmd.AddCommand(listCmd, newRegisterShowCmd(logger), newRegisterAddCmd(logger), newRegisterVoidCmd(logger), newRegisterExportCmd(logger), newRegisterReceiptCmd(logger))
	return cmd
}

// oneLine keeps a table cell on one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func newRegisterShowCmd(logger *slog.Logger) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NUMBER",
		Short: "Show an entry and its audit trail",
		Long: `Shows an entry and its audit trail. NUMBER may also be what an arrival
stamp's QR code says (DEMATS1;n=…), as a barcode reader types it.`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := openRegister(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer r.Close()
			syncDeliveries(cmd.Context(), logger, r)
			if strings.HasPrefix(args[0], stamp.PayloadPrefix+";") {
				p, err := stamp.ParsePayload(args[0])
				if err != nil {
					return usageError{err}
				}
				args[0] = p.Number
			}
			e, err := r.Get(cmd.Context(), args[0])
			if errors.Is(err, register.ErrNotFound) {
				return fmt.Errorf("%s is not in the register (see demat register list)", args[0])
			}
			if err != nil {
				return err
			}
			trail, err := r.Audit().List(cmd.Context(), audit.Filter{Subject: e.Local()})
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					register.Entry
					Audit []audit.Entry `json:"audit"`
				}{e, trail})
			}
			printEntry(w, e, trail)
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func printEntry(w io.Writer, e register.Entry, trail []audit.Entry) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-16s %s\n", k+":", v)
		}
	}
	line("Number", e.Number)
	if e.Provisional != "" && e.Provisional != e.Number {
		line("Provisional", e.Provisional+" (the register's own number, in the PDF's metadata)")
	}
	if e.ServerNumber != "" && e.ServerNumber != e.Number {
		line("Server number", e.ServerNumber)
	}
	line("Register", string(e.Kind))
	state := string(e.State)
	if e.Note != "" {
		state += ": " + e.Note
	}
	line("State", state)
	line("Registered", e.Registered.Format("2006-01-02 15:04:05 -07:00"))
	line("Received", e.Received)
	line("Sender", e.Sender)
	line("Recipient", e.Recipient)
	line("Subject", e.Subject)
	line("Reference", e.Reference)
	line("Type", e.DocumentType)
	line("Title", e.Title)
	line("Confidentiality", e.Confidentiality)
	if e.Pages > 0 {
		line("Pages", fmt.Sprint(e.Pages))
	}
	line("File", e.File)
	line("SHA-256", e.SHA256)
	line("Operator", e.Operator+" on "+e.Workstation)
	for _, d := range e.Deliveries {
		s := fmt.Sprintf("%s to %s (%s, %s checked)", d.Time.Local().Format("2006-01-02 15:04"), d.Location, d.Target, d.Verified)
		if d.Number != "" {
			s += ", numbered " + d.Number + " by the server"
		}
		if d.NumberNote != "" {
			s += ": " + d.NumberNote
		}
		line("Delivered", s)
	}
	if len(trail) > 0 {
		fmt.Fprintln(w, "\nAudit trail:")
		for _, a := range trail {
			fmt.Fprintf(w, "  #%d %s %s by %s on %s\n", a.Seq, a.Time.Local().Format("2006-01-02 15:04:05"), a.Action, a.Who, a.Where)
		}
	}
}

// metaFlags reads --meta and --meta-file into metadata, as process does.
func metaFlags(meta []string, metaFile string) (pdf.Metadata, error) {
	var m pdf.Metadata
	if metaFile != "" {
		data, err := os.ReadFile(metaFile)
		if err != nil {
			return m, usageError{fmt.Errorf("--meta-file: %w", err)}
		}
		if m, err = pdf.ParseMetadataJSON(data); err != nil {
			return m, usageError{fmt.Errorf("--meta-file %s: %w", metaFile, err)}
		}
	}
	for _, kv := range meta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return m, usageError{fmt.Errorf("--meta %q: write key=value", kv)}
		}
		if err := m.Set(k, v); err != nil {
			return m, usageError{fmt.Errorf("--meta: %w", err)}
		}
	}
	return m, nil
}

func newRegisterAddCmd(logger *slog.Logger) *cobra.Command {
	var (
		meta     []string
		metaFile string
		count    int
		asJSON   bool
	)
	cmd := &cobra.Command{
		Use:   "add REGISTER [FILE.pdf]",
		Short: "Register an item: paper that is not scanned, or a PDF that already exists",
		Long: `Registers an item in REGISTER (incoming, outgoing or internal) and prints its
number. The description comes from --meta and --meta-file (the keys of demat
help metadata: sender, recipient, subject, reference, confidentiality,
document_type, title, received), and, for a PDF, from its own metadata.

With FILE.pdf the register keeps the PDF's SHA-256 and page count; the PDF
itself is not changed (to have the number inside the PDF, make it with demat
process --register). Without a file, the entry stands for paper.

--count N registers N items with the same description at once (a stack of
forms handed in together), one number each.`,
		Example: `  demat register add incoming --meta sender="Commune de Salé" --meta subject="Convocation"
  demat register add outgoing --meta recipient="Ministère de l'Intérieur" reponse.pdf
  demat register add incoming --count 12 --meta subject="Demandes de bourse" --meta sender="Lycée Ibn Battouta"`,
		Args: usageArgs(cobra.RangeArgs(1, 2)),
		RunE: func(cmd *cobra.Command, args []string) error {
			k, err := register.ParseKind(args[0])
			if err != nil {
				return usageError{err}
			}
			if count < 1 || count > 10000 {
				return usageError{fmt.Errorf("--count %d: want 1 to 10000", count)}
			}
			m, err := metaFlags(meta, metaFile)
			if err != nil {
				return err
			}
			if m.RegistrationNumber != "" {
				return usageError{fmt.Errorf("the register gives the registration number: leave registration_number out of the metadata")}
			}
			if m.Direction != "" && m.Direction != string(k) {
				return usageError{fmt.Errorf("register %s but the metadata says direction %s", k, m.Direction)}
			}
			r, err := openRegister(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer r.Close()
			draft := register.Draft{Kind: k}
			if len(args) == 2 {
				if count != 1 {
					return usageError{fmt.Errorf("--count registers paper: one file is one item")}
				}
				file, err := filepath.Abs(args[1])
				if err != nil {
					return err
				}
				desc, err := pdf.Describe(file)
				if err != nil {
					return err
				}
				if n := desc.Meta.RegistrationNumber; n != "" {
					if _, err := r.Get(cmd.Context(), n); err == nil {
						return fmt.Errorf("%s is already registered, as %s", args[1], n)
					}
				}
				own := desc.Meta
				own.Merge(m)
				m = own
				sum, _, err := register.HashFile(file)
				if err != nil {
					return err
				}
				draft.File, draft.SHA256, draft.Pages = file, sum, desc.Pages
			}
			if m.Received == "" {
				m.Received = receivedNow()
			}
			draft.Description = register.Describe(m)
			if r.Numbering() == register.ServerNumbering {
				return fmt.Errorf("%w: an item gets its number when its document is delivered: register it as it is made, with demat process --register %s --send TARGET", register.ErrServerNumbering, k)
			}
			w := cmd.OutOrStdout()
			enc := json.NewEncoder(w)
			for i := range count {
				e, err := r.Add(cmd.Context(), draft)
				if err != nil {
					if i > 0 {
						return fmt.Errorf("%w (the %d before are registered)", err, i)
					}
					return err
				}
				if asJSON {
					enc.Encode(e)
				} else {
					fmt.Fprintln(w, e.Number)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&meta, "meta", nil, "a description property, `key=value` (repeatable; keys: see demat help metadata)")
	f.StringVar(&metaFile, "meta-file", "", "read the description from a JSON `file` (as demat process takes it; --meta wins)")
	f.IntVar(&count, "count", 1, "register this `many` items with the same description")
	f.BoolVar(&asJSON, "json", false, "print each entry as a JSON line")
	return cmd
}

func newRegisterVoidCmd(logger *slog.Logger) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "void NUMBER --reason TEXT",
		Short: "Void an entry registered by mistake; its number stays used",
		Long: `Marks an entry void, with the reason, in the register and the audit trail.
Nothing is deleted and the number is never given again: the register keeps
no gap and says what became of every number.`,
		Example: `  demat register void 2026/A/000123 --reason "registered twice: see 2026/A/000122"`,
		Args:    usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return usageError{errors.New("say why with --reason")}
			}
			r, err := openRegister(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer r.Close()
			e, err := r.Void(cmd.Context(), args[0], reason)
			if errors.Is(err, register.ErrNotFound) {
				return fmt.Errorf("%s is not in the register (see demat register list)", args[0])
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: void: %s\n", e.Number, e.Note)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the entry is void (required)")
	return cmd
}

func newRegisterExportCmd(logger *slog.Logger) *cobra.Command {
	var (
		out   string
		force bool
		rf    registerFilter
	)
	cmd := &cobra.Command{
		Use:   "export -o FILE.csv",
		Short: "Export the register as CSV (opens in Excel and LibreOffice, Arabic included)",
		Long: `Writes the entries (all, or those the filters keep) as CSV: UTF-8 with a
byte-order mark so that Excel shows Arabic and accents right, values quoted
as RFC 4180 says, one row per entry in the order of registration. A value
that a spreadsheet would take for a formula (starting with =, @, or + or -
before something that is not a number) is written with a leading apostrophe.`,
		Example: `  demat register export -o registre.csv
  demat register export --register outgoing --from 2026-01-01 --to 2026-06-30 -o departs-s1.csv`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("no output: add -o FILE.csv")}
			}
			f, err := rf.filter()
			if err != nil {
				return err
			}
			if !force {
				if _, err := os.Lstat(out); err == nil {
					return fmt.Errorf("%s: already exists: choose another name, or use --force to replace it", out)
				}
			}
			r, err := openRegister(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer r.Close()
			syncDeliveries(cmd.Context(), logger, r)
			es, err := r.List(cmd.Context(), f)
			if err != nil {
				return err
			}
			if err := writeAtomic(out, func(w io.Writer) error { return register.WriteCSV(w, es) }); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries\n", out, len(es))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the CSV `file` to write (required)")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "replace the file if it exists")
	rf.add(cmd.Flags())
	return cmd
}

// writeAtomic writes a file through a temporary one beside it, so that
// it appears complete or not at all.
func writeAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.partial")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	err = write(tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(tmp.Name(), path)
}
