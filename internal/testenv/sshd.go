package testenv

import (
	"bufio"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHDOptions configure the OpenSSH server StartSSHD runs.
type SSHDOptions struct {
	// KeyPassphrase, when set, encrypts the user key file with it, so
	// that tests can check how a client asks for a key's passphrase.
	KeyPassphrase string
	// ReadOnly serves the folder read-only (internal-sftp -R): the server
	// answers every write with "permission denied", which a test running
	// as root cannot otherwise provoke.
	ReadOnly bool
	// Config are extra sshd_config lines, appended last.
	Config []string
}

// SSHD is OpenSSH's real sshd serving SFTP on a loopback port, with a
// throwaway host key and user key. Only public key authentication is
// on: password authentication would need a system password for the
// account the tests run as, which a test must not change.
type SSHD struct {
	// Addr is the server's host:port.
	Addr string
	// User is the account to log in as (the one running the tests).
	User string
	// KeyFile is the user's private key (OpenSSH format, encrypted with
	// SSHDOptions.KeyPassphrase when set), the only key the server
	// accepts.
	KeyFile string
	// KnownHosts is a known_hosts file naming the server's host key.
	KnownHosts string
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// Fingerprint is the host key's fingerprint as `ssh-keygen -lf`
	// prints it ("SHA256:…").
	Fingerprint string
	// Root is the folder on disk SFTP sessions start in: relative paths
	// land there.
	Root string

	cmd  *exec.Cmd
	dog  *exec.Cmd
	log  *lockedBuffer
	done chan struct{}
}

// StartSSHD runs /usr/sbin/sshd in the foreground on a free loopback
// port and stops it when the test ends. Every session is forced into
// internal-sftp, starting in Root. It fails the test (run make deps)
// when OpenSSH's server is not installed.
func StartSSHD(t testing.TB, opts SSHDOptions) *SSHD {
	t.Helper()
	bin := sshdBinary(t)
	if err := os.MkdirAll("/run/sshd", 0o755); err != nil && os.Geteuid() == 0 {
		// sshd refuses to start without its privilege separation folder.
		t.Fatalf("sshd: create /run/sshd: %v", err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatalf("sshd: current user: %v", err)
	}
	dir := t.TempDir()
	s := &SSHD{User: me.Username, Root: filepath.Join(dir, "root")}
	if strings.ContainsAny(s.Root, " \t\"'") {
		t.Fatalf("sshd: the temporary folder %q holds a space or quote, which sshd_config cannot take", s.Root)
	}
	if err := os.Mkdir(s.Root, 0o755); err != nil {
		t.Fatal(err)
	}

	_, hostPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hostKeyFile := filepath.Join(dir, "host_ed25519")
	writeKey(t, hostKeyFile, hostPriv, "")
	hostSigner, err := ssh.NewSignerFromKey(hostPriv)
	if err != nil {
		t.Fatal(err)
	}
	s.HostKey = hostSigner.PublicKey()
	s.Fingerprint = ssh.FingerprintSHA256(s.HostKey)

	_, userPriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s.KeyFile = filepath.Join(dir, "id_ed25519")
	writeKey(t, s.KeyFile, userPriv, opts.KeyPassphrase)
	userSigner, err := ssh.NewSignerFromKey(userPriv)
	if err != nil {
		t.Fatal(err)
	}
	authorized := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(authorized, ssh.MarshalAuthorizedKey(userSigner.PublicKey()), 0o600); err != nil {
		t.Fatal(err)
	}

	// A port freed just before sshd binds it can be taken in between by
	// another test process: try a few.
	var lastErr error
	for range 5 {
		port, err := freePort()
		if err != nil {
			t.Fatalf("sshd: %v", err)
		}
		s.Addr = net.JoinHostPort("127.0.0.1", port)
		cfg := filepath.Join(dir, "sshd_config")
		if err := os.WriteFile(cfg, []byte(s.config(dir, hostKeyFile, authorized, opts)), 0o600); err != nil {
			t.Fatal(err)
		}
		if lastErr = s.start(bin, cfg); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("sshd: %v", lastErr)
	}
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("sshd log:\n%s", s.Log())
		}
	})

	s.KnownHosts = filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, s.HostKey) + "\n"
	if err := os.WriteFile(s.KnownHosts, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

// Log is what sshd has written so far (connections, refusals, errors).
func (s *SSHD) Log() string { return s.log.String() }

func sshdBinary(t testing.TB) string {
	t.Helper()
	if p, err := exec.LookPath("sshd"); err == nil && filepath.IsAbs(p) {
		return p
	}
	// sshd re-executes itself and must be started by absolute path;
	// /usr/sbin is not on every PATH.
	Require(t, "/usr/sbin/sshd")
	return "/usr/sbin/sshd"
}

func (s *SSHD) config(dir, hostKey, authorized string, opts SSHDOptions) string {
	force := "internal-sftp -d " + s.Root
	if opts.ReadOnly {
		force += " -R"
	}
	lines := []string{
		"ListenAddress " + s.Addr,
		"HostKey " + hostKey,
		"PidFile " + filepath.Join(dir, "sshd.pid"),
		"AuthorizedKeysFile " + authorized,
		// The key files live in a test's temporary folder, whose
		// parents sshd's strict checks would refuse.
		"StrictModes no",
		"UsePAM no",
		"PubkeyAuthentication yes",
		"PasswordAuthentication no",
		"KbdInteractiveAuthentication no",
		"PermitRootLogin prohibit-password",
		"AllowUsers " + s.User,
		"UseDNS no",
		"LogLevel INFO",
		// Conformance tests open several connections at once.
		"MaxStartups 64",
		"Subsystem sftp internal-sftp",
		"ForceCommand " + force,
	}
	lines = append(lines, opts.Config...)
	return strings.Join(lines, "\n") + "\n"
}

// start runs sshd and waits until it listens, or gives its log when it
// stops first.
func (s *SSHD) start(bin, cfg string) error {
	s.log = &lockedBuffer{}
	s.done = make(chan struct{})
	// An os.Pipe rather than cmd.StderrPipe: the per-connection children
	// inherit it, and waiting for the listener must not wait for them.
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "-D", "-e", "-f", cfg)
	cmd.Stderr = w
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return fmt.Errorf("start %s: %w", bin, err)
	}
	s.cmd = cmd
	ready, logged := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(logged)
		defer r.Close()
		sc := bufio.NewScanner(r)
		once := sync.Once{}
		for sc.Scan() {
			line := sc.Text()
			s.log.WriteString(line + "\n")
			if strings.HasPrefix(line, "Server listening on") {
				once.Do(func() { close(ready) })
			}
		}
	}()
	go func() {
		cmd.Wait()
		close(s.done)
	}()
	if s.dog, err = sshdWatchdog(cmd.Process.Pid); err != nil {
		s.stop()
		return err
	}
	select {
	case <-ready:
		return nil
	case <-s.done:
		select { // its last words, unless a child still holds the pipe
		case <-logged:
		case <-time.After(time.Second):
		}
		s.stop()
		return fmt.Errorf("sshd stopped at start:\n%s", s.log.String())
	case <-time.After(20 * time.Second):
		s.stop()
		return fmt.Errorf("sshd did not listen within 20s:\n%s", s.log.String())
	}
}

// stop ends the listening sshd; sessions still open end with their
// connections.
func (s *SSHD) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	if s.dog != nil {
		// The watchdog goes first, so that it never signals a process
		// id the system may have given to another process since.
		s.dog.Process.Kill()
		s.dog.Wait()
		s.dog = nil
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// sshdWatchdog runs a shell that kills pid once its standard input
// closes, which happens when the test process dies however it dies (a
// timeout panic, a kill): no sshd outlives the tests. The pipe's write
// end, never written to, stays open as long as the returned command
// (which holds it) is reachable.
func sshdWatchdog(pid int) (*exec.Cmd, error) {
	cmd := exec.Command("sh", "-c", `read -r _ || :; kill -KILL "$1" 2>/dev/null; :`, "watchdog", strconv.Itoa(pid))
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the sshd watchdog: %w", err)
	}
	return cmd, nil
}

// writeKey writes an ed25519 private key in OpenSSH format, encrypted
// when passphrase is set.
func writeKey(t testing.TB, file string, key ed25519.PrivateKey, passphrase string) {
	t.Helper()
	var block *pem.Block
	var err error
	if passphrase != "" {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(key, "demat test", []byte(passphrase))
	} else {
		block, err = ssh.MarshalPrivateKey(key, "demat test")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	return port, err
}

// lockedBuffer collects a process's log for the test goroutine to read.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) WriteString(s string) {
	l.mu.Lock()
	l.b.WriteString(s)
	l.mu.Unlock()
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
