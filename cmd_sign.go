package main

import (
	"context"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/pdf"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/sign"
	"github.com/demat-app/demat/upload/sign/keys"
)

// signFlags are the flags of the commands that sign.
type signFlags struct {
	cert, credential                string
	reason, location, contact, name string
	certify                         bool
	tsa, tsaUser, tsaCredential     string
	visible                         bool
	page, place, registration, lang string
}

func (s *signFlags) add(f *pflag.FlagSet, certFlag, certHelp string) {
	f.StringVar(&s.cert, certFlag, "", certHelp)
	f.StringVar(&s.credential, "cert-credential", "", "the keyring `name` of the certificate's passphrase or PIN (default: the file's name, agent.p12, or the token's label)")
	f.StringVar(&s.reason, "reason", "", "why the document is signed, as the signature says it")
	f.StringVar(&s.location, "location", "", "where it is signed")
	f.StringVar(&s.contact, "contact", "", "how to reach the signer")
	f.StringVar(&s.name, "signer-name", "", "the signer's name as the signature shows it (default: the certificate's)")
	f.BoolVar(&s.certify, "certify", false, "a certification signature (the document may then only be filled in or signed again), not an approval one")
	f.StringVar(&s.tsa, "tsa", "", "timestamp the signature at this RFC 3161 `URL` (PAdES B-T; default: the configuration's [tsa])")
	f.StringVar(&s.tsaUser, "tsa-user", "", "user name at the timestamping authority, when it asks for one")
	f.StringVar(&s.tsaCredential, "tsa-credential", "", "keyring `name` of the timestamping authority's password (default: tsa)")
	f.BoolVar(&s.visible, "visible", false, "show the signature on the page: a framed block with the signer, the date, the registration number, the reason, the place and a QR code of the document's SHA-256")
	f.StringVar(&s.page, "sig-page", "", "the `page` that shows the block: a number, or last (default: 1; implies --visible)")
	f.StringVar(&s.place, "sig-place", "", "`where` the block goes: bottom-right (the default), bottom-left, top-right, top-left, or X,Y,W,Hmm from the page's lower-left corner (implies --visible)")
	f.StringVar(&s.registration, "registration", "", "the registration `number` the block shows and its QR code holds (default: the PDF's registration_number metadata; implies --visible)")
	f.StringVar(&s.lang, "sig-lang", "", "the block's `language`: fr, ar (the block mirrored, right to left) or en (default: the document's, else fr; implies --visible)")
}

// appearance reads --visible, --sig-page, --sig-place, --registration
// and --sig-lang:
// nil when the signature is to stay invisible.
func (s *signFlags) appearance() (*sign.Appearance, error) {
	if !s.visible && s.page == "" && s.place == "" && s.registration == "" && s.lang == "" {
		return nil, nil
	}
	a := &sign.Appearance{Registration: strings.TrimSpace(s.registration)}
	if s.lang != "" {
		l, ok := sign.LabelsIn(strings.ToLower(strings.TrimSpace(s.lang)))
		if !ok {
			return nil, usageError{fmt.Errorf("--sig-lang %q: want fr, ar or en", s.lang)}
		}
		a.Labels = l
	}
	switch p := strings.ToLower(strings.TrimSpace(s.page)); p {
	case "", "first":
		a.Page = 1
	case "last":
		a.Page = -1
	default:
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 {
			return nil, usageError{fmt.Errorf("--sig-page %q: want a page number (1 is the first) or last", s.page)}
		}
		a.Page = n
	}
	if s.place != "" {
		c, r, err := sign.ParsePlace(s.place)
		if err != nil {
			return nil, usageError{fmt.Errorf("--sig-place: %w", err)}
		}
		a.Corner, a.Rect = c, r
	}
	return a, nil
}

// signer is a loaded key and the options to sign with.
type signer struct {
	key    *keys.Key
	opt    sign.Options
	desc   string // the certificate, for messages
	cert   string // --cert as given, for the command a message suggests
	logger *slog.Logger
}

func (s *signer) close() {
	if s != nil && s.key != nil {
		s.key.Close()
	}
}

// load opens the certificate (asking the keyring for its passphrase or
// PIN, and the person at the terminal when the keyring has none) and the
// timestamping authority's password, before any long work starts: a
// wrong PIN must not be found after a hundred pages were scanned.
func (s *signFlags) load(cmd *cobra.Command, logger *slog.Logger) (*signer, error) {
	app, err := s.appearance()
	if err != nil {
		return nil, err
	}
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	file, uri, cred := "", "", s.credential
	switch c, ok := cfg.Certificate(s.cert); {
	case ok:
		file, uri = c.File, c.PKCS11
		if cred == "" {
			cred = c.CredentialName()
		}
	case strings.HasPrefix(s.cert, "pkcs11:"):
		uri = s.cert
	default:
		file = s.cert
	}
	var ref keys.TokenRef
	if uri != "" {
		if ref, err = keys.ParsePKCS11URI(uri); err != nil {
			return nil, usageError{err}
		}
		if cred == "" {
			cred = ref.Token
		}
	} else {
		if _, err := os.Stat(file); err != nil {
			return nil, usageError{fmt.Errorf("--cert %s: neither a certificate of the configuration nor a readable file (%v)", s.cert, err)}
		}
		if cred == "" {
			cred = filepath.Base(file)
		}
	}
	secret, err := secretFor(cmd, cred, uri != "")
	if err != nil {
		return nil, err
	}
	var key *keys.Key
	if uri != "" {
		key, err = keys.OpenToken(ref, secret.Reveal())
	} else {
		key, err = keys.LoadPKCS12(file, secret.Reveal())
	}
	if err != nil {
		return nil, err
	}
	out := &signer{key: key, desc: key.Label, cert: s.cert, logger: logger, opt: sign.Options{
		Reason: s.reason, Location: s.location, Contact: s.contact, Name: s.name, Certify: s.certify, Appearance: app,
	}}
	tsa := cfg.TSA
	if s.tsa != "" {
		tsa = config.TSA{URL: s.tsa, Username: s.tsaUser, Credential: s.tsaCredential}
	}
	if tsa.URL != "" {
		t := &sign.TSA{URL: tsa.URL, Username: tsa.Username}
		if tsa.Username != "" {
			pw, err := credentials.New().Get(tsa.CredentialName())
			if err != nil {
				key.Close()
				if errors.Is(err, credentials.ErrNotFound) {
					return nil, fmt.Errorf("no password stored for the timestamping authority: run demat credentials set %s", tsa.CredentialName())
				}
				return nil, err
			}
			t.Password = pw.Reveal()
		}
		out.opt.TSA = t
	}
	logger.Debug("signing key loaded", "certificate", key.Certificate.Subject.String(), "credential", cred, "tsa", out.opt.TSA)
	return out, nil
}

// secretFor gets a passphrase or PIN from the keyring, or asks the person
// at the terminal when the keyring has none (it is not stored then: that
// is demat credentials set's job).
func secretFor(cmd *cobra.Command, name string, pin bool) (credentials.Secret, error) {
	what := "passphrase"
	if pin {
		what = "PIN"
	}
	s, err := credentials.New().Get(name)
	if err == nil {
		return s, nil
	}
	f, ok := cmd.InOrStdin().(*os.File)
	if !errors.Is(err, credentials.ErrNotFound) || !ok || !term.IsTerminal(int(f.Fd())) {
		if errors.Is(err, credentials.ErrNotFound) {
			return credentials.Secret{}, fmt.Errorf("no %s for %s in the OS keyring: run demat credentials set %s (or --cert-credential NAME to name another entry)", what, name, name)
		}
		return credentials.Secret{}, err
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "%s for %s: ", strings.ToUpper(what[:1])+what[1:], name)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return credentials.Secret{}, err
	}
	return credentials.NewSecret(string(b)), nil
}

// signFile signs the PDF at in into out, written atomically: out appears
// only when signed, and an existing out is replaced only with force.
func (s *signer) signFile(ctx context.Context, in, out string, force bool) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !force {
		if _, err := os.Lstat(out); err == nil {
			return fmt.Errorf("%s: already exists: choose another name, or use --force to replace it", out)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".*.partial")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	key := sign.Key{Signer: s.key.Signer, Certificate: s.key.Certificate, Chain: s.key.Chain}
	opt := s.opt
	if a := opt.Appearance; a != nil && (a.Registration == "" || a.Labels == sign.Labels{}) {
		b := *a
		d, err := pdf.Describe(in)
		if err != nil {
			d = &pdf.Description{}
		}
		if b.Registration == "" {
			// The number the registry gave the document, when demat
			// wrote it into the PDF (--meta registration_number=…).
			b.Registration = d.Meta.RegistrationNumber
		}
		if b.Labels == (sign.Labels{}) {
			// The document's language (demat writes it in every PDF,
			// from the OCR languages at least), as for its stamp.
			b.Labels, _ = sign.LabelsIn(docLang(d.Meta.Language))
		}
		opt.Appearance = &b
	}
	if err := sign.Sign(ctx, f, st.Size(), tmp, key, opt); err != nil {
		tmp.Close()
		return fmt.Errorf("%s: %w", in, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), out); err != nil {
		return err
	}
	auditSigned(ctx, s.logger, in, out, s.key.Certificate.Subject.CommonName)
	return nil
}

// signOrKeep signs unsigned, a PDF just made beside out, into out and
// removes it. When signing fails the document is kept, unsigned, as
// NAME.unsigned.pdf beside out (never over an earlier one), so that
// nothing scanned is lost, and the error says where it is and how to
// sign it; but with redo (the caller makes the document again on its
// next run) a signature cancelled by ctx just removes it.
func (s *signer) signOrKeep(ctx context.Context, unsigned, out string, force, redo bool) error {
	serr := s.signFile(ctx, unsigned, out, force)
	if serr == nil || redo && ctx.Err() != nil {
		os.Remove(unsigned)
		return serr
	}
	dir, base := filepath.Split(out)
	stem := strings.TrimSuffix(base, filepath.Ext(base))
	keep := filepath.Join(dir, stem+".unsigned.pdf")
	for i := 2; ; i++ {
		if _, err := os.Lstat(keep); errors.Is(err, fs.ErrNotExist) {
			break
		}
		keep = filepath.Join(dir, fmt.Sprintf("%s.unsigned-%d.pdf", stem, i))
	}
	if err := os.Rename(unsigned, keep); err != nil {
		keep = unsigned
	}
	return fmt.Errorf("%w; the document is kept, unsigned, at %s: sign it with demat sign %s -o %s --cert %s", serr, keep, keep, out, s.cert)
}

func newSignCmd(logger *slog.Logger) *cobra.Command {
	var s signFlags
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "sign [flags] IN.pdf -o OUT.pdf --cert CERT",
		Short: "Sign a PDF (PAdES, with a certificate file or a token)",
		Long: `Signs a PDF with a PAdES baseline signature (ETSI.CAdES.detached, SHA-256,
B-B; B-T with a timestamping authority), appended as an incremental update:
the signed file begins with the original's bytes.

--cert is a certificate of the configuration (by name), a PKCS#12 file
(.p12, .pfx) or a key on a token as a pkcs11: URI. Its passphrase or PIN
comes from the OS keyring (demat credentials set NAME), or is asked for
on a terminal.

The signature is invisible unless --visible (or --sig-page, --sig-place,
--registration, --sig-lang) asks for a signature block: a framed box,
80 × 30 mm at the bottom right of page 1 by default, showing the signer,
the date and time, the registration number, the reason and the place in
the document's language (French, Arabic — mirrored — or English), and a QR code
holding DEMAT1;sha256=HASH;len=SIZE;reg=NUMBER: the SHA-256 and size of
the document before it was signed, which are the signed file's first
SIZE bytes (head -c SIZE signed.pdf | sha256sum). demat verify says
whether the block matches.`,
		Example: `  demat sign courrier.pdf -o courrier-signe.pdf --cert agent.p12 --reason "Enregistré"
  demat sign in.pdf -o out.pdf --cert 'pkcs11:token=Cachet;object=signer' --tsa https://tsa.example/tsr
  demat sign lettre.pdf -o lettre-signee.pdf --cert agent.p12 --visible --sig-page last --registration AJR/2026/A/000123
  demat sign lettre.pdf -o lettre-signee.pdf --cert agent.p12 --sig-place 110,20,80,30mm`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || s.cert == "" {
				return usageError{errors.New("give the output (-o OUT.pdf) and the certificate (--cert)")}
			}
			sg, err := s.load(cmd, logger)
			if err != nil {
				return err
			}
			defer sg.close()
			start := time.Now()
			if err := sg.signFile(cmd.Context(), args[0], out, force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: signed by %s, %.1f s\n", out, sg.key.Certificate.Subject.CommonName, time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "the signed PDF to write (required)")
	cmd.Flags().BoolVarP(&force, "force", "f", false, "replace the output if it exists")
	s.add(cmd.Flags(), "cert", "the certificate: a name from the configuration, a PKCS#12 `file`, or a pkcs11: URI (required)")
	return cmd
}

func newVerifyCmd() *cobra.Command {
	var asJSON bool
	var trust []string
	cmd := &cobra.Command{
		Use:   "verify [flags] FILE.pdf",
		Short: "Check a PDF's signatures",
		Long: `Checks every signature of a PDF: who signed, when (and the timestamp, if
any), whether the signed bytes are intact, whether the signature covers the
whole document or something was added after it (and what), and whether the
signer's certificate chains to a trusted root: the system's, and those given
with --trust.

Exit status 0 only when every signature is valid and the last one covers
the whole document; 1 otherwise (invalid, or not proven: an untrusted or
expired certificate).`,
		Example: `  demat verify courrier-signe.pdf
  demat verify --trust ac-racine.pem --json courrier-signe.pdf`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			for _, p := range trust {
				if err := addPEM(pool, p); err != nil {
					return usageError{err}
				}
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			rep, err := sign.Verify(data, pool)
			if errors.Is(err, sign.ErrUnsigned) {
				return exitError{code: 1, err: fmt.Errorf("%s: the PDF has no signature", args[0])}
			}
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(verifyJSON(args[0], rep)); err != nil {
					return err
				}
			} else {
				printVerify(w, args[0], rep)
			}
			if rep.Verdict != sign.Valid {
				return exitError{code: 1, err: fmt.Errorf("%s: %s", args[0], rep.Verdict)}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().StringArrayVar(&trust, "trust", nil, "also trust the CA certificates in this PEM `file` (repeatable)")
	return cmd
}

func addPEM(pool *x509.CertPool, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("--trust: %w", err)
	}
	n := 0
	for {
		var b *pem.Block
		b, data = pem.Decode(data)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return fmt.Errorf("--trust %s: %w", path, err)
		}
		pool.AddCert(c)
		n++
	}
	if n == 0 {
		return fmt.Errorf("--trust %s: no PEM certificate in the file", path)
	}
	return nil
}

// printVerify prints a verification for people.
func printVerify(w io.Writer, path string, rep *sign.Report) {
	fmt.Fprintf(w, "%s: %d signature(s), %d page(s): %s\n", path, len(rep.Signatures), rep.Pages, strings.ToUpper(rep.Verdict.String()))
	for i, s := range rep.Signatures {
		fmt.Fprintf(w, "\nSignature %d (%s): %s\n", i+1, s.Field, strings.ToUpper(s.Verdict.String()))
		line := func(k, v string) {
			if v != "" {
				fmt.Fprintf(w, "  %-14s %s\n", k+":", v)
			}
		}
		line("Signer", s.Signer)
		line("Format", strings.TrimSpace(s.SubFilter+" "+levelText(s.Level)))
		if !s.SigningTime.IsZero() {
			line("Signed at", s.SigningTime.Format(time.RFC3339)+" (claimed by the signer)")
		}
		if t := s.Timestamp; t != nil {
			ok := "valid"
			if !t.SignatureOK || !t.ImprintOK {
				ok = "INVALID"
			} else if !t.ChainOK {
				ok = "intact, authority not trusted"
			}
			line("Timestamp", fmt.Sprintf("%s by %s (%s)", t.Time.Format(time.RFC3339), t.TSA, ok))
		}
		line("Reason", s.Reason)
		line("Location", s.Location)
		integrity := "intact"
		if !s.DigestOK || !s.SignatureOK {
			integrity = "BROKEN: the signed bytes changed or the signature is wrong"
		}
		line("Integrity", integrity)
		switch {
		case s.CoversDocument:
			line("Coverage", "the whole document")
		default:
			var later []string
			for _, c := range s.Later {
				later = append(later, c.Action+" "+c.Type)
			}
			line("Coverage", "NOT the whole document: added after it: "+strings.Join(later, ", "))
		}
		chain := "trusted"
		if !s.ChainOK {
			chain = "NOT trusted: " + s.ChainError
		}
		line("Certificate", chain)
		if b := s.Block; b != nil {
			line("Block", blockText(b))
		}
		for _, p := range s.Problems {
			line("Problem", p)
		}
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(w, "Problem: %s\n", p)
	}
}

// blockText says what a visible signature block's QR code holds, and
// whether it is the document as it was before the signature.
func blockText(b *sign.Block) string {
	where := "visible"
	if b.Page > 0 {
		where = fmt.Sprintf("visible on page %d", b.Page)
	}
	if b.QR.Length == 0 {
		return fmt.Sprintf("%s, its QR code unreadable (%q)", where, b.Text)
	}
	t := fmt.Sprintf("%s, its QR code gives the SHA-256 of the first %d bytes", where, b.QR.Length)
	if b.QR.Registration != "" {
		t += ", registration " + b.QR.Registration
	}
	if b.Matches {
		return t + ": it matches the document as it was before this signature"
	}
	return t + ": it does NOT match the document as it was before this signature"
}

func levelText(level string) string {
	if level == "" {
		return ""
	}
	return "(PAdES " + level + ")"
}

// verifyJSON is the JSON form of a verification: what scripts need, no
// certificates.
func verifyJSON(path string, rep *sign.Report) any {
	type ts struct {
		Time    time.Time `json:"time"`
		TSA     string    `json:"tsa"`
		Valid   bool      `json:"valid"`
		Trusted bool      `json:"trusted"`
	}
	type block struct {
		Page         int    `json:"page,omitempty"`
		QR           string `json:"qr"`
		SHA256       string `json:"sha256,omitempty"`
		Length       int64  `json:"length,omitempty"`
		Registration string `json:"registration,omitempty"`
		Matches      bool   `json:"matches"`
	}
	type sig struct {
		Field          string    `json:"field"`
		Verdict        string    `json:"verdict"`
		Signer         string    `json:"signer"`
		SubFilter      string    `json:"sub_filter"`
		Level          string    `json:"level,omitempty"`
		SigningTime    time.Time `json:"signing_time"`
		Timestamp      *ts       `json:"timestamp,omitempty"`
		Reason         string    `json:"reason,omitempty"`
		Location       string    `json:"location,omitempty"`
		Intact         bool      `json:"intact"`
		CoversDocument bool      `json:"covers_document"`
		AddedAfter     []string  `json:"added_after,omitempty"`
		Trusted        bool      `json:"trusted"`
		Block          *block    `json:"block,omitempty"`
		Problems       []string  `json:"problems,omitempty"`
	}
	out := struct {
		File       string   `json:"file"`
		Verdict    string   `json:"verdict"`
		Pages      int      `json:"pages"`
		Signatures []sig    `json:"signatures"`
		Problems   []string `json:"problems,omitempty"`
	}{File: path, Verdict: rep.Verdict.String(), Pages: rep.Pages, Problems: rep.Problems}
	for _, s := range rep.Signatures {
		j := sig{Field: s.Field, Verdict: s.Verdict.String(), Signer: s.Signer, SubFilter: s.SubFilter, Level: s.Level,
			SigningTime: s.SigningTime, Reason: s.Reason, Location: s.Location, Intact: s.DigestOK && s.SignatureOK,
			CoversDocument: s.CoversDocument, Trusted: s.ChainOK, Problems: s.Problems}
		if t := s.Timestamp; t != nil {
			j.Timestamp = &ts{Time: t.Time, TSA: t.TSA, Valid: t.SignatureOK && t.ImprintOK, Trusted: t.ChainOK}
		}
		for _, c := range s.Later {
			j.AddedAfter = append(j.AddedAfter, c.String())
		}
		if b := s.Block; b != nil {
			j.Block = &block{Page: b.Page, QR: b.Text, Length: b.QR.Length, Registration: b.QR.Registration, Matches: b.Matches}
			if b.QR.Length > 0 {
				j.Block.SHA256 = hex.EncodeToString(b.QR.SHA256[:])
			}
		}
		out.Signatures = append(out.Signatures, j)
	}
	return out
}
