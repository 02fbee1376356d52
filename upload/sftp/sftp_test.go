package sftp

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/uploadtest"
)

// target gives a target on s, trusting it through its known_hosts file
// unless opts says otherwise, and closes it when the test ends.
func target(t *testing.T, s *testenv.SSHD, opts Options) *Target {
	t.Helper()
	if opts.Addr == "" && opts.URL == "" {
		opts.Addr = s.Addr
	}
	if opts.User == "" {
		opts.User = s.User
	}
	if opts.KeyFile == "" && opts.Credential == nil {
		opts.KeyFile = s.KeyFile
	}
	if opts.KnownHosts == "" && opts.HostKey == "" {
		opts.KnownHosts = s.KnownHosts
	}
	tg, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tg.Close() })
	return tg
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

func put(t *testing.T, tg *Target, id, name string, size int) (upload.Receipt, []byte, error) {
	t.Helper()
	doc, data := uploadtest.NewDoc(id, name, size, uint64(len(id)+size))
	r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	return r, data, err
}

func TestConformance(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	n := 0
	uploadtest.Run(t, uploadtest.Harness{Resumes: true, New: func(t *testing.T) uploadtest.Destination {
		n++
		base := fmt.Sprintf("depot%d/في", n)
		tg := target(t, s, Options{Base: base})
		root := filepath.Join(s.Root, base)
		return uploadtest.Destination{Target: tg, List: func(t *testing.T) map[string][]byte { return testenv.Files(t, root) }}
	}})
}

func TestURL(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	// Absolute path in the URL; the user from the URL.
	abs := filepath.ToSlash(filepath.Join(s.Root, "abs"))
	tg := target(t, s, Options{URL: "sftp://" + s.User + "@" + s.Addr + abs})
	r, data, err := put(t, tg, "u1", "a.pdf", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if want := "sftp://" + s.Addr + abs + "/a.pdf"; r.Location != want {
		t.Errorf("location %q, want %q", r.Location, want)
	}
	if got, _ := os.ReadFile(filepath.Join(s.Root, "abs", "a.pdf")); !bytes.Equal(got, data) {
		t.Error("the document is not at the URL's absolute path")
	}
	// /~/ is the login folder (the server's start folder here).
	tg = target(t, s, Options{URL: "sftp://" + s.Addr + "/~/rel"})
	if _, _, err := put(t, tg, "u2", "b.pdf", 1000); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root, "rel", "b.pdf")); err != nil {
		t.Errorf("/~/rel is not under the login folder: %v", err)
	}
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ in, addr, user, base string }{
		{"sftp://alice@files.example:2222/srv/depot", "files.example:2222", "alice", "/srv/depot"},
		{"sftp://files.example", "files.example", "", ""},
		{"sftp://bob@files.example/~/courrier/arrivée", "files.example", "bob", "courrier/arrivée"},
		{"ssh://[::1]:22/", "[::1]:22", "", ""},
	} {
		addr, usr, base, err := parseURL(tc.in)
		if err != nil || addr != tc.addr || usr != tc.user || base != tc.base {
			t.Errorf("parseURL(%q) = %q %q %q %v, want %q %q %q", tc.in, addr, usr, base, err, tc.addr, tc.user, tc.base)
		}
	}
	for _, in := range []string{"sftp://alice:hunter2@files.example/x", "https://files.example/x", "sftp:///x", "sftp://al ice:hunter2@%zz"} {
		_, _, _, err := parseURL(in)
		if err == nil {
			t.Errorf("parseURL(%q) accepted", in)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("parseURL(%q): the error shows the password: %v", in, err)
		}
	}
	if hostPort("files.example") != "files.example:22" || hostPort("::1") != "[::1]:22" || hostPort("h:2022") != "h:2022" {
		t.Error("hostPort does not add port 22 as it should")
	}
}

func TestUnknownHostKey(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	empty := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(empty, nil, 0o600)
	// No known_hosts at all: the default (~/.ssh/known_hosts) is absent.
	t.Setenv("HOME", t.TempDir())
	for name, opts := range map[string]Options{
		"empty known_hosts": {KnownHosts: empty},
		"none":              {Addr: s.Addr, User: s.User, KeyFile: s.KeyFile},
	} {
		t.Run(name, func(t *testing.T) {
			var tg *Target
			if opts.Addr != "" {
				var err error
				if tg, err = New(opts); err != nil {
					t.Fatal(err)
				}
			} else {
				tg = target(t, s, opts)
			}
			_, _, err := put(t, tg, "h1", "h.pdf", 100)
			if !errors.Is(err, upload.ErrUntrusted) || upload.IsTemporary(err) {
				t.Fatalf("Put to an unknown host: %v, want a permanent ErrUntrusted", err)
			}
			t.Log(err)
			if !strings.Contains(err.Error(), s.Fingerprint) || !strings.Contains(err.Error(), "ssh-keyscan") {
				t.Errorf("the refusal does not give the fingerprint %s and how to trust it: %v", s.Fingerprint, err)
			}
		})
	}
	if got := testenv.Files(t, s.Root); len(got) != 0 {
		t.Errorf("files written to an untrusted server: %v", got)
	}
}

func TestChangedHostKey(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewPublicKey(pub)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	os.WriteFile(kh, []byte(knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, other)+"\n"), 0o600)
	_, _, err := put(t, target(t, s, Options{KnownHosts: kh}), "h2", "h.pdf", 100)
	if !errors.Is(err, upload.ErrUntrusted) || upload.IsTemporary(err) {
		t.Fatalf("Put to a host whose key changed: %v, want a permanent ErrUntrusted", err)
	}
	if !strings.Contains(err.Error(), s.Fingerprint) || !strings.Contains(err.Error(), "changed") {
		t.Errorf("the refusal does not say the key changed and give the new fingerprint: %v", err)
	}
}

func TestKnownHosts(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	t.Run("file", func(t *testing.T) {
		if _, _, err := put(t, target(t, s, Options{KnownHosts: s.KnownHosts, Base: "file"}), "k1", "k.pdf", 100); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("default", func(t *testing.T) {
		home := t.TempDir()
		os.Mkdir(filepath.Join(home, ".ssh"), 0o700)
		b, _ := os.ReadFile(s.KnownHosts)
		os.WriteFile(filepath.Join(home, ".ssh", "known_hosts"), b, 0o600)
		t.Setenv("HOME", home)
		tg, err := New(Options{Addr: s.Addr, User: s.User, KeyFile: s.KeyFile, Base: "default"})
		if err != nil {
			t.Fatal(err)
		}
		defer tg.Close()
		if _, _, err := put(t, tg, "k2", "k.pdf", 100); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPinnedHostKey(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	if _, _, err := put(t, target(t, s, Options{HostKey: s.Fingerprint}), "p1", "p.pdf", 100); err != nil {
		t.Fatalf("Put with the pinned key: %v", err)
	}
	// As ssh-keygen -lf prints it, or without the prefix.
	if _, err := New(Options{Addr: s.Addr, HostKey: strings.TrimPrefix(s.Fingerprint, "SHA256:")}); err != nil {
		t.Errorf("a fingerprint without its SHA256: prefix: %v", err)
	}
	if _, err := New(Options{Addr: s.Addr, HostKey: "MD5:aa:bb"}); err == nil {
		t.Error("a malformed pin was accepted")
	}
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	other, _ := ssh.NewPublicKey(pub)
	// A pin decides alone: the right key in known_hosts does not help.
	_, _, err := put(t, target(t, s, Options{HostKey: ssh.FingerprintSHA256(other), KnownHosts: s.KnownHosts}), "p2", "q.pdf", 100)
	if !errors.Is(err, upload.ErrUntrusted) || !strings.Contains(err.Error(), s.Fingerprint) {
		t.Fatalf("Put to a host that is not the pinned one: %v, want ErrUntrusted giving its fingerprint", err)
	}
}

func TestWrongKey(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, _ := ssh.MarshalPrivateKey(priv, "not authorised")
	file := filepath.Join(t.TempDir(), "id_other")
	os.WriteFile(file, pem.EncodeToMemory(block), 0o600)
	_, _, err := put(t, target(t, s, Options{KeyFile: file}), "w1", "w.pdf", 100)
	if !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) {
		t.Fatalf("Put with a key the server does not accept: %v, want ErrAuth, not temporary", err)
	}
	t.Log(err)
}

func TestEncryptedKey(t *testing.T) {
	const passphrase = "correct horse battery staple"
	s := testenv.StartSSHD(t, testenv.SSHDOptions{KeyPassphrase: passphrase})
	secret := func(v string) func() (credentials.Secret, error) {
		return func() (credentials.Secret, error) { return credentials.NewSecret(v), nil }
	}
	if _, _, err := put(t, target(t, s, Options{KeyFile: s.KeyFile, Credential: secret(passphrase)}), "e1", "e.pdf", 100); err != nil {
		t.Fatalf("Put with the key's passphrase: %v", err)
	}
	_, _, err := put(t, target(t, s, Options{KeyFile: s.KeyFile, Credential: secret("wrong horse")}), "e2", "e.pdf", 100)
	if !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) || !strings.Contains(err.Error(), "passphrase") {
		t.Errorf("Put with a wrong passphrase: %v, want ErrAuth saying it is the key's passphrase", err)
	}
	if err != nil && strings.Contains(err.Error(), "wrong horse") {
		t.Errorf("the error shows the passphrase: %v", err)
	}
	missing := func() (credentials.Secret, error) {
		return credentials.Secret{}, fmt.Errorf("get sftp/test: %w", credentials.ErrNotFound)
	}
	for name, cred := range map[string]func() (credentials.Secret, error){"not stored": missing, "no source": nil} {
		_, _, err = put(t, target(t, s, Options{KeyFile: s.KeyFile, Credential: cred}), "e3", "e.pdf", 100)
		if !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) {
			t.Errorf("%s: Put with no passphrase: %v, want ErrAuth", name, err)
		}
	}
}

func TestReadOnly(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{ReadOnly: true})
	_, _, err := put(t, target(t, s, Options{Base: "in"}), "r1", "r.pdf", 100)
	if err == nil || upload.IsTemporary(err) || !errors.Is(err, fs.ErrPermission) || !strings.Contains(err.Error(), "permission") {
		t.Fatalf("Put to a read-only server: %v, want a permanent permission error", err)
	}
}

func TestBadNames(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	tg := target(t, s, Options{Base: "in"})
	for _, n := range []string{"../x.pdf", "a/../../x.pdf", "/etc/x.pdf", ".", "", "a//b.pdf"} {
		if _, _, err := put(t, tg, "n1", n, 10); err == nil || upload.IsTemporary(err) {
			t.Errorf("Put %q: %v, want a permanent refusal", n, err)
		}
	}
	if got := testenv.Files(t, s.Root); len(got) != 0 {
		t.Errorf("files written: %v", got)
	}
}

// TestNoOverwriteAtRename puts a document in place while the transfer
// runs (from the first checkpoint): the rename must not replace it.
func TestNoOverwriteAtRename(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	tg := target(t, s, Options{})
	for _, same := range []bool{false, true} {
		t.Run(fmt.Sprint("same=", same), func(t *testing.T) {
			name := fmt.Sprintf("race-%v.pdf", same)
			doc, data := uploadtest.NewDoc("race", name, 2<<20, 7)
			other := bytes.Repeat([]byte("x"), 2<<20)
			if same {
				other = data
			}
			dest := filepath.Join(s.Root, name)
			doc.Checkpoint = func(r upload.Resume) error {
				if _, err := os.Stat(dest); errors.Is(err, fs.ErrNotExist) {
					return os.WriteFile(dest, other, 0o644)
				}
				return nil
			}
			r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
			if same {
				if err != nil || !r.Already {
					t.Fatalf("Put where the same bytes arrived meanwhile: %+v, %v; want Already", r, err)
				}
			} else if !errors.Is(err, upload.ErrExists) || upload.IsTemporary(err) {
				t.Fatalf("Put where another document arrived meanwhile: %v, want ErrExists", err)
			}
			if got := testenv.Files(t, s.Root); len(got) != 1 || !bytes.Equal(got[name], other) {
				t.Errorf("the destination holds %d files; the one in place changed: %v", len(got), !bytes.Equal(got[name], other))
			}
			os.Remove(dest)
		})
	}
}

// TestCutConnections sends a 5 MB document through a proxy that cuts
// every connection after about 3 MB: each Put continues where the last
// one stopped, and the document arrives once, whole.
func TestCutConnections(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	p := testenv.StartProxy(t, s.Addr)
	p.Set(testenv.Faults{CutAfter: 3 << 20, Jitter: 256 << 10})
	tg := target(t, s, Options{Addr: p.Addr, HostKey: s.Fingerprint, Base: "cut"})
	doc, data := uploadtest.NewDoc("cut1", "2026/cut.pdf", 5<<20, 42)
	cp := &uploadtest.Checkpoints{}
	doc.Checkpoint = cp.Save
	var (
		r      upload.Receipt
		err    error
		starts []int64
	)
	for attempt := 1; attempt <= 4; attempt++ {
		doc.Resume = cp.Last()
		body := uploadtest.NewBody(data)
		r, err = tg.Put(ctx(t), doc, body.Open)
		if offs := body.Offsets(); len(offs) > 0 {
			starts = append(starts, offs[0])
		}
		if err == nil {
			break
		}
		if !upload.IsTemporary(err) {
			t.Fatalf("attempt %d: %v is not temporary", attempt, err)
		}
		t.Logf("attempt %d: %v (resume state %+v)", attempt, err, cp.Last())
	}
	if err != nil {
		t.Fatalf("the document did not get through in 4 Puts: %v (started at %v)", err, starts)
	}
	if p.Cuts() == 0 || len(starts) < 2 {
		t.Fatalf("the proxy cut %d connections, Puts started at %v: the test did not cut a transfer", p.Cuts(), starts)
	}
	for i := 1; i < len(starts); i++ {
		if starts[i] <= starts[i-1] {
			t.Errorf("Put %d started at %d, not after the previous one (%d): no progress across connections", i+1, starts[i], starts[i-1])
		}
	}
	t.Logf("%d Puts, starting at %v; the proxy cut %d connections", len(starts), starts, p.Cuts())
	if r.Size != doc.Size || r.SHA256 != doc.SHA256 || r.Verified != "sha256" {
		t.Errorf("receipt %+v", r)
	}
	got := testenv.Files(t, filepath.Join(s.Root, "cut"))
	if len(got) != 1 || !bytes.Equal(got["2026/cut.pdf"], data) {
		t.Errorf("the destination holds %v, want only 2026/cut.pdf with the document's bytes", keys(got))
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k, v := range m {
		out = append(out, fmt.Sprintf("%s (%d bytes)", k, len(v)))
	}
	return out
}

// TestStall stops forwarding in the middle of a transfer: the idle
// timeout ends the Put with a temporary error, and a later Put finishes.
func TestStall(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	p := testenv.StartProxy(t, s.Addr)
	p.Set(testenv.Faults{StallAfter: 1 << 20})
	tg := target(t, s, Options{Addr: p.Addr, HostKey: s.Fingerprint, Net: upload.Net{Idle: time.Second}})
	doc, data := uploadtest.NewDoc("st1", "stall.pdf", 3<<20, 9)
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := tg.Put(c, doc, uploadtest.NewBody(data).Open)
	if err == nil || !upload.IsTemporary(err) || c.Err() != nil {
		t.Fatalf("Put through a stalled connection: %v (context: %v), want a temporary error from the idle timeout", err, c.Err())
	}
	p.Set(testenv.Faults{})
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
		t.Fatalf("Put once the link is back: %v", err)
	}
	if got := testenv.Files(t, s.Root); len(got) != 1 || !bytes.Equal(got["stall.pdf"], data) {
		t.Errorf("the destination holds %v", keys(got))
	}
}

func TestRefused(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	p := testenv.StartProxy(t, s.Addr)
	p.Set(testenv.Faults{Refuse: true})
	tg := target(t, s, Options{Addr: p.Addr, HostKey: s.Fingerprint})
	_, _, err := put(t, tg, "rf1", "refused.pdf", 100)
	if err == nil || !upload.IsTemporary(err) || errors.Is(err, upload.ErrAuth) || errors.Is(err, upload.ErrUntrusted) {
		t.Fatalf("Put through a refused connection: %v, want a temporary error", err)
	}
	// Nothing listening at all.
	tg = target(t, s, Options{Addr: "127.0.0.1:1", HostKey: s.Fingerprint})
	if _, _, err := put(t, tg, "rf2", "refused.pdf", 100); err == nil || !upload.IsTemporary(err) || !upload.IsTransport(err) {
		t.Fatalf("Put to a closed port: %v, want a temporary transport error", err)
	}
}

// TestReuse checks that consecutive operations share one connection,
// and that a pooled connection that died is replaced.
func TestReuse(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	p := testenv.StartProxy(t, s.Addr)
	tg := target(t, s, Options{Addr: p.Addr, HostKey: s.Fingerprint})
	for i := range 3 {
		if _, _, err := put(t, tg, fmt.Sprint("re", i), fmt.Sprintf("re%d.pdf", i), 1000); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tg.Stat(ctx(t), "re0.pdf"); err != nil {
		t.Fatal(err)
	}
	if n := p.Accepted(); n != 1 {
		t.Errorf("4 operations in turn opened %d connections, want 1", n)
	}
	p.CutAll()
	if _, _, err := put(t, tg, "re9", "re9.pdf", 1000); err != nil {
		t.Fatalf("Put after the pooled connection was cut: %v", err)
	}
	if n := p.Accepted(); n != 2 {
		t.Errorf("%d connections after a cut, want 2", n)
	}
}
