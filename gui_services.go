package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/outbox"
	"github.com/demat-app/demat/upload/sign"
	"github.com/demat-app/demat/upload/sign/keys"
)

// guiConfig is the configuration as the window sees it: read again after
// the window changes it, and the outbox's targets rebuilt with it. Its
// fields are guarded by mu; its methods may be called from any goroutine.
type guiConfig struct {
	mu      sync.Mutex
	cfg     *config.Config
	targets *targetSet
	logger  *slog.Logger
}

func newGUIConfig(cfg *config.Config, logger *slog.Logger) *guiConfig {
	return &guiConfig{cfg: cfg, targets: newTargetSet(cfg), logger: logger}
}

func (g *guiConfig) get() *config.Config {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.cfg
}

// reload reads the configuration file again.
func (g *guiConfig) reload() error {
	cfg, err := config.LoadFile(g.get().File())
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.cfg, g.targets = cfg, newTargetSet(cfg)
	return nil
}

// Target is outbox.Targets over the configuration as it is now.
func (g *guiConfig) Target(name string) (upload.Target, outbox.Limits, error) {
	g.mu.Lock()
	ts := g.targets
	g.mu.Unlock()
	return ts.Target(name)
}

// services are the window's Services over the configuration, the
// keyring and the outbox.
func (g *guiConfig) services(ob *outbox.Outbox) app.Services {
	return app.Services{
		Targets: func() []string { return targetNames(g.get()) },
		Send: func(ctx context.Context, target, path string, meta map[string]string) (outbox.Delivery, error) {
			return enqueue(ctx, ob, g.get(), target, path, meta)
		},
		Outbox:          ob,
		Certificates:    g.certificates,
		OpenCertificate: g.openCertificate,
		TargetList:      g.targetList,
		AddTarget:       g.addTarget,
		TestTarget:      g.testTarget,
		AddCertificate:  g.addCertificate,
		RemoveTarget: func(ctx context.Context, name string) error {
			return g.removeTarget(ctx, ob, name)
		},
		RemoveCertificate: g.removeCertificate,
		DocTypes:          func() []config.DocType { return g.get().DocTypes },
		Keyring:           &guiKeyring{Store: credentials.New(), g: g},
		Logger:            g.logger,
	}
}

// guiRegister is the window's register: before listing, it records the
// deliveries the outbox made since, as demat register list does, so the
// entries say where their documents went.
type guiRegister struct {
	r      *register.Register
	ob     *outbox.Outbox
	logger *slog.Logger
}

var _ app.Register = guiRegister{}

var _ app.VisibleSigner = guiSigner{}

// List records the deliveries, then lists the entries.
func (g guiRegister) List(ctx context.Context, f register.Filter) ([]register.Entry, error) {
	recordDeliveries(ctx, g.logger, g.ob, g.r)
	return g.r.List(ctx, f)
}

// guiKeyring is the OS keyring; a secret stored from the window makes
// the targets be built again, so a delivery waiting for its password
// finds it.
type guiKeyring struct {
	*credentials.Store
	g *guiConfig
}

func (k *guiKeyring) Set(name string, v credentials.Secret) error {
	if err := k.Store.Set(name, v); err != nil {
		return err
	}
	k.g.mu.Lock()
	defer k.g.mu.Unlock()
	k.g.targets = newTargetSet(k.g.cfg)
	return nil
}

func (g *guiConfig) certificates() []app.Certificate {
	var out []app.Certificate
	for _, c := range g.get().Certificates {
		where := c.File
		if c.PKCS11 != "" {
			where = c.PKCS11
		}
		out = append(out, app.Certificate{Name: c.Name, Credential: c.CredentialName(), Token: c.PKCS11 != "", Where: where})
	}
	return out
}

// openCertificate opens a certificate of the configuration, with the
// configuration's timestamping authority, as demat sign --cert NAME
// does.
func (g *guiConfig) openCertificate(_ context.Context, name string, secret credentials.Secret) (app.Signer, error) {
	cfg := g.get()
	c, ok := cfg.Certificate(name)
	if !ok {
		return nil, fmt.Errorf("no certificate named %q in %s", name, cfg.File())
	}
	var key *keys.Key
	var err error
	if c.PKCS11 != "" {
		ref, perr := keys.ParsePKCS11URI(c.PKCS11)
		if perr != nil {
			return nil, perr
		}
		key, err = keys.OpenToken(ref, secret.Reveal())
	} else {
		key, err = keys.LoadPKCS12(expandHome(c.File), secret.Reveal())
	}
	if err != nil {
		return nil, err
	}
	s := &signer{key: key, desc: key.Label, cert: name, logger: g.logger}
	if tsa := cfg.TSA; tsa.URL != "" {
		t := &sign.TSA{URL: tsa.URL, Username: tsa.Username}
		if tsa.Username != "" {
			pw, err := credentials.New().Get(tsa.CredentialName())
			if err != nil {
				key.Close()
				return nil, fmt.Errorf("the timestamping authority's password: %w (demat credentials set %s)", err, tsa.CredentialName())
			}
			t.Password = pw.Reveal()
		}
		s.opt.TSA = t
	}
	return guiSigner{s}, nil
}

// guiSigner is a signer as the window uses it.
type guiSigner struct{ s *signer }

func (g guiSigner) Sign(ctx context.Context, in, out string) error {
	return g.s.signFile(ctx, in, out, true)
}

// SignVisible signs with the block shown where look says, as demat sign
// --visible --sig-page --sig-place --registration does.
func (g guiSigner) SignVisible(ctx context.Context, in, out string, look app.Look) error {
	a := &sign.Appearance{Page: 1, Registration: look.Registration}
	if look.Last {
		a.Page = -1
	}
	if look.Corner != "" {
		c, _, err := sign.ParsePlace(look.Corner)
		if err != nil {
			return err
		}
		a.Corner = c
	}
	s := *g.s
	s.opt.Appearance = a
	return s.signFile(ctx, in, out, true)
}

func (g guiSigner) Who() string {
	if cn := g.s.key.Certificate.Subject.CommonName; cn != "" {
		return cn
	}
	return g.s.key.Certificate.Subject.String()
}

func (g guiSigner) Close() error {
	g.s.close()
	return nil
}

// targetList is what demat target list shows.
func (g *guiConfig) targetList() ([]app.Target, error) {
	cfg := g.get()
	def := defaultTargetName(cfg)
	all := append([]config.Target(nil), cfg.Targets...)
	if _, ok := cfg.FindTarget(documentsTarget); !ok {
		if dt, err := targetConfig(cfg, documentsTarget); err == nil {
			all = append(all, dt)
		}
	}
	var out []app.Target
	for _, t := range all {
		out = append(out, app.Target{Name: t.Name, Kind: t.Kind, URL: upload.Redact(t.URL), User: t.User, Path: t.Path,
			Credential: t.CredentialName(), Default: t.Name == def, BuiltIn: !configured(cfg, t.Name)})
	}
	return out, nil
}

// addTarget adds a target as demat target add does, with the same
// checks, keeping the configuration file's comments.
func (g *guiConfig) addTarget(t app.Target) error {
	ct := config.Target{Name: strings.TrimSpace(t.Name), Kind: t.Kind, URL: strings.TrimSpace(t.URL),
		User: strings.TrimSpace(t.User), Path: strings.TrimSpace(t.Path)}
	if ct.Name == documentsTarget {
		return fmt.Errorf("%q is the built-in documents folder: choose another name", documentsTarget)
	}
	if ct.Path != "" {
		if _, err := upload.Path(ct.Path, samplePathVars(), time.Now()); err != nil && !strings.Contains(err.Error(), "no value") {
			return fmt.Errorf("path: %w", err)
		}
	}
	if err := ct.Check(); err != nil {
		return err
	}
	if err := g.get().AddTarget(ct); err != nil {
		return err
	}
	return g.reload()
}

// removeTarget removes a target from the configuration, as demat target
// remove does; documents still waiting for it would be stranded, so it
// refuses while there are any.
func (g *guiConfig) removeTarget(ctx context.Context, ob *outbox.Outbox, name string) error {
	cfg := g.get()
	if !configured(cfg, name) {
		return fmt.Errorf("%q is not in the configuration", name)
	}
	waiting, err := ob.List(ctx, outbox.Pending, outbox.Sending, outbox.Failed, outbox.NeedsCredentials)
	if err != nil {
		return err
	}
	n := 0
	for _, d := range waiting {
		if d.Target == name {
			n++
		}
	}
	if n > 0 {
		return fmt.Errorf("%d document(s) still wait to be delivered to %s: let them arrive (the Outbox tab), or drop them in a terminal with demat outbox forget, then remove it", n, name)
	}
	if err := cfg.RemoveTarget(name); err != nil {
		return err
	}
	return g.reload()
}

// configured says whether the configuration file names the target
// (the documents folder is there without it).
func configured(cfg *config.Config, name string) bool {
	_, ok := cfg.FindTarget(name)
	return ok
}

// removeCertificate removes a certificate from the configuration and its
// passphrase or PIN from the keyring, unless another certificate uses
// the same keyring entry.
func (g *guiConfig) removeCertificate(name string) error {
	cfg := g.get()
	c, ok := cfg.Certificate(name)
	if !ok {
		return fmt.Errorf("no certificate named %q", name)
	}
	if err := cfg.RemoveCertificate(name); err != nil {
		return err
	}
	shared := false
	for _, other := range cfg.Certificates {
		shared = shared || other.CredentialName() == c.CredentialName()
	}
	if !shared {
		if err := credentials.New().Delete(c.CredentialName()); err != nil && !errors.Is(err, credentials.ErrNotFound) {
			g.logger.Warn("the certificate's secret stays in the keyring", "cert", name, "err", err)
		}
	}
	return g.reload()
}

// testTarget writes and removes a probe, as demat target test does.
func (g *guiConfig) testTarget(ctx context.Context, name string) (string, error) {
	tc, err := targetConfig(g.get(), name)
	if err != nil {
		return "", err
	}
	t, _, err := openTarget(tc, credentials.New())
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	where, err := probe(ctx, t)
	if err != nil {
		return "", explain(err, tc)
	}
	return where, nil
}

// addCertificate adds a certificate to the configuration: where is a
// PKCS#12 file or a pkcs11: URI. A file must be PKCS#12 (its passphrase
// is checked when it is first used).
func (g *guiConfig) addCertificate(name, where string) error {
	name, where = strings.TrimSpace(name), strings.TrimSpace(where)
	c := config.Certificate{Name: name}
	if strings.HasPrefix(where, "pkcs11:") {
		if _, err := keys.ParsePKCS11URI(where); err != nil {
			return err
		}
		c.PKCS11 = where
	} else {
		abs, err := filepath.Abs(expandHome(where))
		if err != nil {
			return err
		}
		// An empty passphrase tells a PKCS#12 file (refused) from any
		// other file (not PKCS#12) without knowing the passphrase.
		if _, err := keys.LoadPKCS12(abs, ""); err != nil && !errors.Is(err, keys.ErrWrongPassphrase) {
			return err
		}
		c.File = abs
	}
	if name == "" {
		return errors.New("give the certificate a name")
	}
	cfg := g.get()
	if err := cfg.AddCertificate(c); err != nil {
		return err
	}
	return g.reload()
}
