package main

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/receipt"
	"github.com/demat-app/demat/internal/register"
)

// receiptFlags are the flags of the commands that write a depositor's
// receipt: its paper, its language and the desk's certificate.
type receiptFlags struct {
	layout, lang string
	sign         signFlags
}

// add adds the flags; prefix is "receipt-" where the command has its own
// --lang (process and scan, for OCR).
func (r *receiptFlags) add(f *pflag.FlagSet, prefix string) {
	f.StringVar(&r.layout, prefix+"layout", "a4", "the receipt's paper: a4, a5, or 80mm (a receipt printer's strip)")
	f.StringVar(&r.lang, prefix+"lang", "fr", "the receipt's language: fr, ar (right to left) or en")
}

// check reads the layout and the language before anything is done.
func (r *receiptFlags) check(prefix string) (receipt.Options, error) {
	l, err := receipt.ParseLayout(r.layout)
	if err != nil {
		return receipt.Options{}, usageError{fmt.Errorf("--%slayout: %w", prefix, err)}
	}
	switch r.lang {
	case "fr", "ar", "en":
	default:
		return receipt.Options{}, usageError{fmt.Errorf("--%slang %q: want fr, ar or en", prefix, r.lang)}
	}
	return receipt.Options{Layout: l, Lang: r.lang}, nil
}

// loadDesk loads the certificate that signs receipts: --cert, else the
// configuration's [register] certificate.
func (r *receiptFlags) loadDesk(cmd *cobra.Command, logger *slog.Logger) (*signer, error) {
	s := r.sign
	if s.cert == "" {
		cfg, err := config.Load()
		if err != nil {
			return nil, err
		}
		s.cert = cfg.Register.Certificate
	}
	if s.cert == "" {
		return nil, usageError{errors.New("a receipt is signed by the desk's certificate: give --cert, or set certificate in the configuration's [register]")}
	}
	// Only the key is wanted: no visible block, no timestamp.
	s.visible, s.page, s.place, s.registration = false, "", "", ""
	return s.load(cmd, logger)
}

// deskStore is where the desk keeps the certificates its receipts were
// signed with, so that demat receipt verify finds them on this
// workstation after a renewal, or with the token unplugged.
func deskStore() (receipt.Store, error) {
	dir, err := config.DataDir()
	if err != nil {
		return "", err
	}
	return receipt.Store(filepath.Join(dir, "desk-certificates")), nil
}

// writeReceipt writes the depositor's receipt of entry e to out.
func writeReceipt(s *signer, e register.Entry, out string, force bool, opt receipt.Options) error {
	if e.State != register.Registered {
		return fmt.Errorf("%s is %s: only a registered item has a receipt", e.Number, e.State)
	}
	if !force {
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("%s: already exists: choose another name, or use --force to replace it", out)
		}
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	p := receipt.Payload{Number: e.Number, Time: e.Registered, Pages: e.Pages}
	if e.SHA256 != "" {
		b, err := hex.DecodeString(e.SHA256)
		if err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%s: the register's SHA-256 %q is not one", e.Number, e.SHA256)
		}
		copy(p.SHA256[:], b)
	}
	cert := s.key.Certificate
	if p, err = receipt.Sign(p, s.key.Signer, cert); err != nil {
		return err
	}
	store, err := deskStore()
	if err != nil {
		return err
	}
	if err := store.Save(cert); err != nil {
		return err
	}
	r := receipt.Receipt{Number: e.Number, Registered: e.Registered, Depositor: e.Sender, Subject: e.Subject, Service: cfg.Register.Service,
		Pages: e.Pages, SHA256: e.SHA256, Signer: cert.Subject.CommonName, Fingerprint: receipt.Fingerprint(cert), Payload: p.String()}
	if r.Signer == "" {
		r.Signer = cert.Subject.String()
	}
	return writeAtomic(out, func(w io.Writer) error { return receipt.Write(w, r, opt) })
}

func newRegisterReceiptCmd(logger *slog.Logger) *cobra.Command {
	var (
		rf    receiptFlags
		out   string
		force bool
	)
	cmd := &cobra.Command{
		Use:   "receipt NUMBER -o FILE.pdf",
		Short: "Write the depositor's receipt of a registered item (PDF/A, signed QR code)",
		Long: `Writes the receipt (récépissé de dépôt) to hand to whoever deposited the item:
its number, date and time, depositor, subject, pages and the SHA-256 of the
registered PDF, the service (the configuration's [register] service), and a
QR code of the same facts signed with the desk's certificate (--cert, or the
configuration's [register] certificate), which anyone can check offline with
demat receipt verify. Layouts: a4, a5, and 80mm for a receipt printer; in
French, Arabic or English.`,
		Example: `  demat register receipt 2026/A/000123 -o recu.pdf --cert bureau.p12
  demat register receipt 2026/A/000123 --layout 80mm --lang ar -o recu.pdf`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usageError{errors.New("no output: add -o FILE.pdf")}
			}
			opt, err := rf.check("")
			if err != nil {
				return err
			}
			r, err := openRegister(cmd.Context(), logger)
			if err != nil {
				return err
			}
			defer r.Close()
			e, err := r.Get(cmd.Context(), args[0])
			if errors.Is(err, register.ErrNotFound) {
				return fmt.Errorf("%s is not in the register (see demat register list)", args[0])
			}
			if err != nil {
				return err
			}
			s, err := rf.loadDesk(cmd, logger)
			if err != nil {
				return err
			}
			defer s.close()
			if err := writeReceipt(s, e, out, force, opt); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: receipt of %s\n", out, e.Number)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVarP(&out, "output", "o", "", "the receipt's PDF `file` (required)")
	f.BoolVarP(&force, "force", "f", false, "replace the file if it exists")
	rf.add(f, "")
	f.StringVar(&rf.sign.cert, "cert", "", "the desk's certificate: a name from the configuration, a PKCS#12 `file` or a pkcs11: URI (default: the configuration's [register] certificate)")
	f.StringVar(&rf.sign.credential, "cert-credential", "", "the keyring `name` of the certificate's passphrase or PIN")
	return cmd
}

func newReceiptCmd(logger *slog.Logger) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipt",
		Short: "Check depositors' receipts",
		Args:  usageArgs(cobra.NoArgs),
	}
	cmd.AddCommand(newReceiptVerifyCmd(logger))
	return cmd
}

func newReceiptVerifyCmd(logger *slog.Logger) *cobra.Command {
	var (
		certs, trust  []string
		signatureOnly bool
	)
	cmd := &cobra.Command{
		Use:   "verify IMAGE|PDF",
		Short: "Say whether a depositor's receipt is genuine and matches the register",
		Long: `Reads the QR code of a receipt from a photograph or a scan (PNG or JPEG), or
from the receipt's PDF, checks its signature and compares what it says with
the register: exit status 0 when the receipt is genuine and matches, 1
otherwise, saying why.

The QR code names the desk's certificate by its fingerprint, not carrying it:
the certificate is looked up in the --cert files, then among the certificates
this workstation signed receipts with (kept in its data folder). --trust
checks that the certificate was issued by one of these authorities (PEM);
without it, a certificate from --cert or from the workstation is trusted as
the desk's own.

--signature-only checks the signature without the register, for a receipt
checked elsewhere than at the desk.`,
		Example: `  demat receipt verify photo-recu.jpg
  demat receipt verify --cert bureau.pem --trust ca.pem --signature-only recu.pdf`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := receipt.DecodeFile(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			p, err := receipt.Parse(text)
			if err != nil {
				return fmt.Errorf("%s: not genuine: %w", args[0], err)
			}
			cert, from, err := findDesk(p.Key, certs)
			if err != nil {
				return fmt.Errorf("%s: cannot check: %w", args[0], err)
			}
			if len(trust) > 0 {
				if err := trusted(cert, trust, p.Time); err != nil {
					return fmt.Errorf("%s: not genuine: %w", args[0], err)
				}
			}
			if err := p.Verify(cert); err != nil {
				return fmt.Errorf("%s: not genuine: %w", args[0], err)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%s: genuine: %s, registered %s, %d pages, SHA-256 %x\n", args[0], p.Number,
				p.Time.Local().Format("2006-01-02 15:04:05 -07:00"), p.Pages, p.SHA256)
			fmt.Fprintf(w, "Signed by %s (%s; certificate from %s)\n", cert.Subject.String(), receipt.Fingerprint(cert), from)
			if signatureOnly {
				return nil
			}
			if err := matchRegister(cmd.Context(), logger, p); err != nil {
				return fmt.Errorf("%s: does not match the register: %w", args[0], err)
			}
			fmt.Fprintf(w, "Matches the register: %s\n", p.Number)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&certs, "cert", nil, "the desk's certificate, a PEM or DER `file` (repeatable)")
	f.StringArrayVar(&trust, "trust", nil, "accept only a desk certificate issued by these authorities, a PEM `file` (repeatable)")
	f.BoolVar(&signatureOnly, "signature-only", false, "check the signature only, not the register")
	return cmd
}

// findDesk finds the certificate key names: in the files given, then in
// the workstation's desk certificates.
func findDesk(key string, files []string) (*x509.Certificate, string, error) {
	var all []*x509.Certificate
	for _, f := range files {
		cs, err := receipt.ReadCertificates(f)
		if err != nil {
			return nil, "", usageError{fmt.Errorf("--cert: %w", err)}
		}
		all = append(all, cs...)
	}
	if c, err := receipt.Pick(key, all); err == nil {
		return c, "--cert", nil
	}
	store, err := deskStore()
	if err != nil {
		return nil, "", err
	}
	c, err := store.Find(key)
	if receipt.IsUnknown(err) {
		return nil, "", fmt.Errorf("it was signed by certificate %s, which this workstation does not know: give the desk's certificate with --cert", key)
	}
	if err != nil {
		return nil, "", err
	}
	return c, "this workstation's desk certificates", nil
}

// trusted checks that cert was issued by one of the authorities in the
// PEM files, and was valid when the receipt was signed.
func trusted(cert *x509.Certificate, files []string, at time.Time) error {
	pool := x509.NewCertPool()
	for _, f := range files {
		if err := addPEM(pool, f); err != nil {
			return usageError{err}
		}
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: at, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}}); err != nil {
		return fmt.Errorf("the desk's certificate %s is not trusted: %w", cert.Subject.String(), err)
	}
	return nil
}

// matchRegister compares a genuine payload with the register's entry.
func matchRegister(ctx context.Context, logger *slog.Logger, p receipt.Payload) error {
	r, err := openRegister(ctx, logger)
	if err != nil {
		return err
	}
	defer r.Close()
	e, err := r.Get(ctx, p.Number)
	if errors.Is(err, register.ErrNotFound) {
		return fmt.Errorf("%s is not in this workstation's register (--signature-only checks the signature alone)", p.Number)
	}
	if err != nil {
		return err
	}
	var sum [sha256.Size]byte
	if e.SHA256 != "" {
		b, _ := hex.DecodeString(e.SHA256)
		copy(sum[:], b)
	}
	switch {
	case e.State != register.Registered:
		return fmt.Errorf("%s is %s in the register (%s)", e.Number, e.State, e.Note)
	case sum != p.SHA256:
		return fmt.Errorf("the receipt says SHA-256 %x, the register %s", p.SHA256, e.SHA256)
	case e.Pages != p.Pages:
		return fmt.Errorf("the receipt says %d pages, the register %d", p.Pages, e.Pages)
	case !e.Registered.Truncate(time.Second).Equal(p.Time):
		return fmt.Errorf("the receipt says registered %s, the register %s", p.Time.Local().Format(time.DateTime), e.Registered.Local().Format(time.DateTime))
	}
	return nil
}
