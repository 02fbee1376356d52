package app

import (
	"context"
	"crypto/x509"
	"errors"
	"os"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/sign"
	"github.com/demat-app/demat/upload/sign/keys"
)

// Certificate is a signing certificate the window offers.
type Certificate struct {
	// Name is the configuration's name for it.
	Name string
	// Credential is the keyring entry of its passphrase or PIN.
	Credential string
	// Token: the key is on a PKCS#11 token and the secret is a PIN.
	Token bool
	// Where is the file or the token URI, for the settings list.
	Where string
}

// Signer is an open signing key. Its methods may be called from any
// goroutine.
type Signer interface {
	// Sign signs the PDF at in into out, written atomically (out appears
	// only once signed; an existing out is replaced).
	Sign(ctx context.Context, in, out string) error
	// Who is the signer, as the certificate names them.
	Who() string
	// Close releases the key (a token's session).
	Close() error
}

// VisibleSigner is a Signer that can also show the signature as a block
// on a page.
type VisibleSigner interface {
	Signer
	// SignVisible signs as Sign does, the block placed as look says.
	SignVisible(ctx context.Context, in, out string, look Look) error
}

// Look is where a visible signature block goes and what it shows.
type Look struct {
	// Last puts it on the last page instead of the first.
	Last bool
	// Corner is bottom-right, bottom-left, top-right or top-left; empty
	// is bottom-right.
	Corner string
	// Registration is the registration number the block shows and its
	// QR code holds; empty leaves it out.
	Registration string
}

// Keyring is the part of *credentials.Store the window uses: the only
// place a passphrase, PIN or password is kept.
type Keyring interface {
	Get(name string) (credentials.Secret, error)
	Set(name string, v credentials.Secret) error
}

var _ Keyring = (*credentials.Store)(nil)

// prefCertificate is the preference holding the certificate last chosen
// to sign with; empty for not signing.
const prefCertificate = "sign_certificate"

// wrongSecret says whether err is a passphrase or PIN the key refused:
// the person is asked again.
func wrongSecret(err error) bool {
	return errors.Is(err, keys.ErrWrongPassphrase) || errors.Is(err, keys.ErrWrongPIN)
}

// secretAnswer is what the passphrase dialog gives back.
type secretAnswer struct {
	secret   credentials.Secret
	remember bool
	ok       bool
}

// openSigner opens certificate c for a job, on the job's goroutine: with
// the passphrase or PIN from the keyring, else (or when the keyring's is
// refused) with one the person types in a dialog, which is stored in the
// keyring when they ask for it and the key opened with it. It returns
// context.Canceled when the person closes the dialog.
func (v *finishView) openSigner(ctx context.Context, n int, c Certificate) (Signer, error) {
	w := v.w
	svc := w.svc
	asked := ""
	if s, err := svc.Keyring.Get(c.Credential); err == nil {
		sg, err := svc.OpenCertificate(ctx, c.Name, s)
		if err == nil || !wrongSecret(err) {
			return sg, err
		}
		asked = lang.X("sign.keyring_wrong", "The keyring's passphrase or PIN for {{.Name}} was refused.", map[string]any{"Name": c.Name})
	} else if !errors.Is(err, credentials.ErrNotFound) {
		svc.Logger.Warn("keyring", "credential", c.Credential, "err", err)
	}
	for {
		ch := make(chan secretAnswer, 1)
		msg := asked
		fyne.Do(func() {
			if n != w.jobs {
				ch <- secretAnswer{}
				return
			}
			w.finish.askSecret(c, msg, func(a secretAnswer) { ch <- a })
		})
		var a secretAnswer
		select {
		case a = <-ch:
		case <-ctx.Done():
			fyne.Do(func() { w.finish.closeSecret() })
			return nil, ctx.Err()
		}
		if !a.ok {
			return nil, context.Canceled
		}
		sg, err := svc.OpenCertificate(ctx, c.Name, a.secret)
		if wrongSecret(err) {
			asked = lang.X("sign.wrong", "That passphrase or PIN was refused: check it (capitals count) and type it again.")
			if errors.Is(err, keys.ErrWrongPIN) {
				// A token locks after a few wrong PINs: say so.
				asked = lang.X("sign.wrong_pin", "The token refused that PIN. Careful: it locks after a few wrong tries.")
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		if a.remember {
			if err := svc.Keyring.Set(c.Credential, a.secret); err != nil {
				svc.Logger.Warn("keyring", "credential", c.Credential, "err", err)
				fyne.Do(func() {
					if n == w.jobs {
						w.finish.signNote = lang.X("sign.not_stored", "The passphrase could not be kept in the keyring: {{.Error}}", map[string]any{"Error": err.Error()})
					}
				})
			}
		}
		return sg, nil
	}
}

// askSecret shows the passphrase dialog for c; answer is called once,
// on the UI goroutine.
func (v *finishView) askSecret(c Certificate, problem string, answer func(secretAnswer)) {
	v.closeSecret()
	title := lang.X("sign.passphrase_title", "Passphrase of {{.Name}}", map[string]any{"Name": c.Name})
	prompt := lang.X("sign.passphrase_prompt", "Type the passphrase of the certificate {{.Name}} to sign with it.", map[string]any{"Name": c.Name})
	if c.Token {
		title = lang.X("sign.pin_title", "PIN of {{.Name}}", map[string]any{"Name": c.Name})
		prompt = lang.X("sign.pin_prompt", "Type the PIN of the token holding {{.Name}} to sign with it.", map[string]any{"Name": c.Name})
	}
	v.secret = widget.NewPasswordEntry()
	v.remember = widget.NewCheck(lang.X("sign.remember", "Keep it in this computer's keyring, so that it is not asked again"), nil)
	v.remember.SetChecked(true)
	label := widget.NewLabel(prompt)
	label.Wrapping = fyne.TextWrapWord
	warn := widget.NewLabel(problem)
	warn.Wrapping = fyne.TextWrapWord
	warn.Importance = widget.DangerImportance
	if problem == "" {
		warn.Hide()
	}
	done := false
	reply := func(a secretAnswer) {
		if done {
			return
		}
		done = true
		v.closeSecret()
		answer(a)
	}
	submit := func() {
		reply(secretAnswer{secret: credentials.NewSecret(v.secret.Text), remember: v.remember.Checked, ok: true})
	}
	v.secret.OnSubmitted = func(string) { submit() }
	v.secretOK = widget.NewButtonWithIcon(lang.X("sign.sign", "Sign"), theme.ConfirmIcon(), submit)
	v.secretOK.Importance = widget.HighImportance
	v.secretCancel = widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), func() { reply(secretAnswer{}) })
	buttons := container.NewHBox(v.secretCancel, v.secretOK)
	content := container.NewVBox(label, warn, v.secret, v.remember, container.NewCenter(buttons))
	v.secretDialog = dialog.NewCustomWithoutButtons(title, content, v.w.win)
	v.secretDialog.Resize(fyne.NewSize(480, 0))
	v.secretDialog.Show()
	v.w.win.Canvas().Focus(v.secret)
}

// closeSecret hides the passphrase dialog, if shown.
func (v *finishView) closeSecret() {
	if v.secretDialog != nil {
		v.secretDialog.Hide()
		v.secretDialog = nil
	}
}

// signedText says what the verification of the PDF just signed found.
func signedText(who string, rep *sign.Report, err error) string {
	switch {
	case err != nil:
		return lang.X("sign.unchecked", "Signed by {{.Who}}, but the signature could not be checked: {{.Error}}", map[string]any{"Who": who, "Error": err.Error()})
	case rep.Verdict == sign.Valid:
		return lang.X("sign.valid", "Signed by {{.Who}}: the signature is valid (intact, covers the whole document, trusted certificate).", map[string]any{"Who": who})
	case rep.Verdict == sign.Indeterminate:
		return lang.X("sign.indeterminate", "Signed by {{.Who}}: the signature is intact and covers the whole document, but this computer does not trust the certificate's authority.", map[string]any{"Who": who})
	}
	return lang.X("sign.invalid", "Signed by {{.Who}}, but the check found the signature INVALID: do not send this file.", map[string]any{"Who": who})
}

// verifyFile checks the signatures of the PDF at path against the
// system's roots.
func verifyFile(path string) (*sign.Report, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	return sign.Verify(data, pool)
}

// newCertSelect is the choice of the certificate to sign with: "Do not
// sign", then certs; the one saved in preference pref is chosen, and a
// new choice is saved there before changed (if any) is called.
func newCertSelect(certs []Certificate, prefs fyne.Preferences, pref string, changed func()) *widget.Select {
	none := lang.X("finish.no_signature", "Do not sign")
	opts := []string{none}
	for _, c := range certs {
		opts = append(opts, c.Name)
	}
	sel := widget.NewSelect(opts, nil)
	sel.SetSelected(none)
	if saved := prefs.String(pref); slices.Contains(opts[1:], saved) {
		sel.SetSelected(saved)
	}
	sel.OnChanged = func(s string) {
		if s == none {
			s = ""
		}
		prefs.SetString(pref, s)
		if changed != nil {
			changed()
		}
	}
	return sel
}

// chosenCert is the certificate sel shows chosen among certs, nil for
// none (or no choice offered).
func chosenCert(sel *widget.Select, certs []Certificate) *Certificate {
	if sel == nil {
		return nil
	}
	for i, c := range certs {
		if c.Name == sel.Selected {
			return &certs[i]
		}
	}
	return nil
}
