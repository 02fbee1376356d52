package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/folder"
	"github.com/demat-app/demat/upload/outbox"
	"github.com/demat-app/demat/upload/sftp"
	"github.com/demat-app/demat/upload/tus"
	"github.com/demat-app/demat/upload/webdav"
)

// documentsTarget is the name of the embedded default target: the demat
// folder in the user's documents.
const documentsTarget = "documents"

// targetConfig finds a target's settings: a configured one, or the
// embedded documents folder.
func targetConfig(cfg *config.Config, name string) (config.Target, error) {
	if t, ok := cfg.FindTarget(name); ok {
		return t, nil
	}
	if name == documentsTarget {
		root, err := folder.DefaultRoot()
		if err != nil {
			return config.Target{}, err
		}
		return config.Target{Name: documentsTarget, Kind: "folder", URL: root}, nil
	}
	var names []string
	for _, t := range cfg.Targets {
		names = append(names, t.Name)
	}
	names = append(names, documentsTarget)
	return config.Target{}, fmt.Errorf("no target named %q: the targets are %s (demat target list; demat target add to make one)", name, strings.Join(names, ", "))
}

// defaultTargetName is the target used when none is named: the
// configuration's default_target, else the only configured target, else
// the documents folder.
func defaultTargetName(cfg *config.Config) string {
	switch {
	case cfg.DefaultTarget != "":
		return cfg.DefaultTarget
	case len(cfg.Targets) == 1:
		return cfg.Targets[0].Name
	}
	return documentsTarget
}

// openTarget builds a target from its settings. The kinds are listed
// here, explicitly.
func openTarget(t config.Target, store *credentials.Store) (upload.Target, outbox.Limits, error) {
	limits := outbox.Limits{Parallel: t.Parallel, Credential: t.CredentialName()}
	secret := func() (credentials.Secret, error) {
		name := t.CredentialName()
		if name == "" {
			return credentials.Secret{}, nil
		}
		s, err := store.Get(name)
		if errors.Is(err, credentials.ErrNotFound) {
			return s, fmt.Errorf("%w: no password stored for target %s: run demat credentials set %s", upload.ErrAuth, t.Name, name)
		}
		return s, err
	}
	netw := upload.Net{CAFile: t.CAFile, Pins: t.Pins}
	number := upload.NumberSource{Header: t.NumberHeader, JSON: t.NumberJSON}
	var cred func() (credentials.Secret, error)
	if t.CredentialName() != "" {
		cred = secret
	}
	switch t.Kind {
	case "sftp":
		st, err := sftp.New(sftp.Options{URL: t.URL, User: t.User, KeyFile: expandHome(t.KeyFile), Credential: cred,
			KnownHosts: expandHome(t.KnownHosts), HostKey: t.HostKey, Net: netw})
		return st, limits, err
	case "tus":
		tt, err := tus.New(tus.Options{URL: t.URL, User: t.User, Credential: cred, Bearer: t.Bearer, Net: netw, Number: number})
		return tt, limits, err
	case "webdav":
		wt, err := webdav.New(webdav.Options{URL: t.URL, User: t.User, Credential: cred, Net: netw, Number: number})
		return wt, limits, err
	case "folder":
		root := t.URL
		if u, err := url.Parse(t.URL); err == nil && u.Scheme == "file" {
			root = u.Path
		}
		ft, err := folder.New(root)
		return ft, limits, err
	}
	return nil, limits, fmt.Errorf("target %q: kind %q is not one of %s", t.Name, t.Kind, strings.Join(config.Kinds, ", "))
}

// targetSet resolves targets for the outbox from the configuration,
// building each once.
type targetSet struct {
	mu    sync.Mutex
	cfg   *config.Config
	store *credentials.Store
	built map[string]builtTarget
}

type builtTarget struct {
	t      upload.Target
	limits outbox.Limits
	err    error
}

func newTargetSet(cfg *config.Config) *targetSet {
	return &targetSet{cfg: cfg, store: credentials.New(), built: map[string]builtTarget{}}
}

// Target is outbox.Targets; the outbox calls it from several goroutines.
func (s *targetSet) Target(name string) (upload.Target, outbox.Limits, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b, ok := s.built[name]; ok {
		return b.t, b.limits, b.err
	}
	var b builtTarget
	tc, err := targetConfig(s.cfg, name)
	if err != nil {
		b.err = err
	} else {
		b.t, b.limits, b.err = openTarget(tc, s.store)
	}
	s.built[name] = b
	return b.t, b.limits, b.err
}

// expandHome turns a leading ~/ into the home folder, as people write
// key and known_hosts paths.
func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
