package testenv

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

// keyringPassword unlocks the throwaway login keyring SecretService
// creates. It protects nothing: the keyring lives in a temporary folder
// and dies with the tests.
const keyringPassword = "demat-test-keyring"

// loginCollection is where gnome-keyring keeps the login keyring, the
// collection go-keyring prefers over the "default" alias.
const loginCollection = dbus.ObjectPath("/org/freedesktop/secrets/collection/login")

// startTimeout bounds how long a daemon may take to come up: both answer
// in well under a second, so a stuck start fails the tests instead of
// hanging them.
const startTimeout = 15 * time.Second

// busConfig is a session bus with no service directories: nothing is
// D-Bus activated on it, so no prompter window opens on a developer's
// desktop and no daemon starts with the developer's HOME.
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

// busWatchdog runs dbus-daemon for as long as its own standard input stays
// open. The test process holds the other end, so the bus (and
// gnome-keyring, which leaves with its bus) goes away when the tests end,
// even when they crash or time out and never call stop.
const busWatchdog = `dbus-daemon --config-file="$1" --nofork --print-address=1 &
bus=$!
read -r _ || :
kill "$bus" 2>/dev/null
wait "$bus"
`

// SecretService starts a private D-Bus session bus and gnome-keyring's
// Secret Service with an unlocked default ("login") collection, in a
// throwaway HOME and XDG folders, and points this process at it
// (DBUS_SESSION_BUS_ADDRESS), so the keyring code under test never touches
// the developer's own keyring. Call it from TestMain; stop kills both
// daemons, restores the environment and removes the folders. It fails with
// "run make deps" when dbus-daemon or gnome-keyring-daemon is missing.
func SecretService() (stop func(), err error) {
	if runtime.GOOS == "darwin" || runtime.GOOS == "windows" {
		return nil, fmt.Errorf("testenv: a Secret Service needs D-Bus and gnome-keyring, which %s does not have: run the keyring tests on Linux", runtime.GOOS)
	}
	for _, c := range []string{"sh", "dbus-daemon", "gnome-keyring-daemon"} {
		if _, err := exec.LookPath(c); err != nil {
			return nil, fmt.Errorf("testenv: %s is not installed: run make deps", c)
		}
	}
	dir, err := os.MkdirTemp("", "demat-keyring-")
	if err != nil {
		return nil, fmt.Errorf("testenv: secret service: %w", err)
	}
	env, err := throwawayEnv(dir)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	addr, stopBus, err := startBus(filepath.Join(dir, "run"), env)
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stopKeyring, err := startKeyring(addr, env)
	if err != nil {
		stopBus()
		os.RemoveAll(dir)
		return nil, err
	}
	old, had := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS")
	os.Setenv("DBUS_SESSION_BUS_ADDRESS", addr)
	return func() {
		if had {
			os.Setenv("DBUS_SESSION_BUS_ADDRESS", old)
		} else {
			os.Unsetenv("DBUS_SESSION_BUS_ADDRESS")
		}
		stopKeyring()
		stopBus()
		os.RemoveAll(dir)
	}, nil
}

// SessionBus starts a private D-Bus session bus on which nothing provides
// a Secret Service, the situation of a server or a container, and returns
// its address. The bus stops when the test ends.
func SessionBus(t testing.TB) string {
	t.Helper()
	Require(t, "sh", "dbus-daemon")
	// Not t.TempDir: a long test name would push the socket's path past
	// the 108 bytes a Unix socket address holds.
	dir, err := os.MkdirTemp("", "demat-bus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	env, err := throwawayEnv(dir)
	if err != nil {
		t.Fatal(err)
	}
	addr, stop, err := startBus(filepath.Join(dir, "run"), env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return addr
}

// LockKeyring locks the login collection of the Secret Service
// SecretService started, as a screen lock or a login without the keyring
// password leaves it, and unlocks it again with its password when the test
// ends (through gnome-keyring's own interface: the standard Unlock needs a
// person at a prompt).
func LockKeyring(t testing.TB) {
	t.Helper()
	conn := secretServiceConn(t)
	var locked []dbus.ObjectPath
	var prompt dbus.ObjectPath
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	err := svc.Call("org.freedesktop.Secret.Service.Lock", 0, []dbus.ObjectPath{loginCollection}).Store(&locked, &prompt)
	if err != nil {
		t.Fatalf("testenv: lock the login keyring: %v", err)
	}
	if isLocked, err := collectionLocked(conn, loginCollection); err != nil || !isLocked {
		t.Fatalf("testenv: lock the login keyring: still unlocked (%v)", err)
	}
	t.Cleanup(func() {
		var out dbus.Variant
		var session dbus.ObjectPath
		err := svc.Call("org.freedesktop.Secret.Service.OpenSession", 0, "plain", dbus.MakeVariant("")).Store(&out, &session)
		if err != nil {
			t.Fatalf("testenv: unlock the login keyring: open a session: %v", err)
		}
		// The (oayays) struct of the Secret Service API; a "plain" session
		// sends the password as is, which is fine for a throwaway one.
		password := struct {
			Session     dbus.ObjectPath
			Parameters  []byte
			Value       []byte
			ContentType string
		}{session, []byte{}, []byte(keyringPassword), "text/plain"}
		err = svc.Call("org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface.UnlockWithMasterPassword", 0, loginCollection, password).Err
		if err != nil {
			t.Fatalf("testenv: unlock the login keyring: %v", err)
		}
		if isLocked, err := collectionLocked(conn, loginCollection); err != nil || isLocked {
			t.Fatalf("testenv: unlock the login keyring: still locked (%v)", err)
		}
	})
}

// secretServiceConn connects to the session bus this process points at,
// for the length of the test.
func secretServiceConn(t testing.TB) *dbus.Conn {
	t.Helper()
	addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" {
		t.Fatal("testenv: no session bus: call SecretService from TestMain first")
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel) // closes the connection
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		t.Fatalf("testenv: connect to the session bus %s: %v", addr, err)
	}
	return conn
}

// throwawayEnv makes HOME and the XDG folders under dir and returns the
// environment the daemons run with: nothing of the developer's session
// (no DISPLAY, no real HOME) reaches them.
func throwawayEnv(dir string) ([]string, error) {
	env := []string{"PATH=" + os.Getenv("PATH"), "LANG=C.UTF-8"}
	for _, d := range []struct{ name, dir string }{
		{"HOME", "home"},
		{"XDG_DATA_HOME", "data"},
		{"XDG_CONFIG_HOME", "config"},
		{"XDG_CACHE_HOME", "cache"},
		{"XDG_RUNTIME_DIR", "run"},
	} {
		p := filepath.Join(dir, d.dir)
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, fmt.Errorf("testenv: secret service: %w", err)
		}
		env = append(env, d.name+"="+p)
	}
	return env, nil
}

// startBus starts a session bus listening in dir and returns its address
// once it accepts connections.
func startBus(dir string, env []string) (addr string, stop func(), err error) {
	conf := filepath.Join(dir, "bus.conf")
	var escaped strings.Builder
	xml.EscapeText(&escaped, []byte(dir))
	if err := os.WriteFile(conf, []byte(fmt.Sprintf(busConfig, escaped.String())), 0o600); err != nil {
		return "", nil, fmt.Errorf("testenv: session bus: %w", err)
	}
	cmd := exec.Command("sh", "-c", busWatchdog, "sh", conf)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	keepAlive, err := cmd.StdinPipe()
	if err != nil {
		return "", nil, fmt.Errorf("testenv: session bus: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("testenv: session bus: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("testenv: start dbus-daemon: %w", err)
	}
	exited := make(chan struct{})
	type started struct {
		addr string
		err  error
	}
	ready := make(chan started, 1)
	go func() {
		r := bufio.NewReader(out)
		var s started
		a, err := r.ReadString('\n')
		s.addr = strings.TrimSpace(a)
		if err != nil || s.addr == "" {
			s.err = fmt.Errorf("no address (%v)", err)
		}
		ready <- s
		io.Copy(io.Discard, r) // until the bus exits, so Wait can close the pipe
		cmd.Wait()
		close(exited)
	}()
	stop = func() {
		keepAlive.Close() // the watchdog kills the bus and leaves
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case <-exited:
		case <-t.C:
			cmd.Process.Kill()
			t.Reset(5 * time.Second)
			select {
			case <-exited:
			case <-t.C: // a bus that outlived its watchdog: leave it rather than hang
			}
		}
	}
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case s := <-ready:
		if s.err != nil {
			stop()
			return "", nil, fmt.Errorf("testenv: start dbus-daemon: %w: %s", s.err, strings.TrimSpace(stderr.String()))
		}
		return s.addr, stop, nil
	case <-t.C:
		stop()
		return "", nil, fmt.Errorf("testenv: start dbus-daemon: no address after %v: %s", startTimeout, strings.TrimSpace(stderr.String()))
	}
}

// startKeyring starts gnome-keyring's Secret Service on the bus at addr,
// unlocking (and, in a fresh HOME, creating) the login keyring with
// keyringPassword, and returns once the login collection is the default
// and unlocked: what go-keyring writes to.
func startKeyring(addr string, env []string) (stop func(), err error) {
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = append(env[:len(env):len(env)], "DBUS_SESSION_BUS_ADDRESS="+addr)
	cmd.Stdin = strings.NewReader(keyringPassword) // --unlock reads it up to end of input
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("testenv: start gnome-keyring-daemon: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var exitErr error
	gone := false
	stop = func() {
		if gone {
			return
		}
		cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(5 * time.Second)
		defer t.Stop()
		select {
		case exitErr = <-exited:
		case <-t.C:
			cmd.Process.Kill()
			exitErr = <-exited
		}
		gone = true
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	err = waitLoginCollection(ctx, addr, exited)
	if err != nil {
		stop()
		return nil, fmt.Errorf("testenv: start gnome-keyring-daemon: %w (exit: %v): %s", err, exitErr, strings.TrimSpace(output.String()))
	}
	return stop, nil
}

// waitLoginCollection polls the bus at addr until the default alias names
// the unlocked login collection, the daemon exits, or ctx ends.
func waitLoginCollection(ctx context.Context, addr string, exited <-chan error) error {
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("connect to the session bus: %w", err)
	}
	defer conn.Close()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	svc := conn.Object("org.freedesktop.secrets", "/org/freedesktop/secrets")
	last := errors.New("org.freedesktop.secrets never appeared")
	for {
		var alias dbus.ObjectPath
		if err := svc.CallWithContext(ctx, "org.freedesktop.Secret.Service.ReadAlias", 0, "default").Store(&alias); err != nil {
			last = err
		} else if alias != loginCollection {
			last = fmt.Errorf("the default collection is %q, not the login one", alias)
		} else if locked, err := collectionLocked(conn, alias); err != nil {
			last = err
		} else if locked {
			last = errors.New("the login collection stays locked")
		} else {
			return nil
		}
		select {
		case <-tick.C:
		case err := <-exited:
			return fmt.Errorf("it exited (%v) before its login collection was ready: %w", err, last)
		case <-ctx.Done():
			return fmt.Errorf("login collection not ready after %v: %w", startTimeout, last)
		}
	}
}

// collectionLocked reads a collection's Locked property.
func collectionLocked(conn *dbus.Conn, path dbus.ObjectPath) (bool, error) {
	v, err := conn.Object("org.freedesktop.secrets", path).GetProperty("org.freedesktop.Secret.Collection.Locked")
	if err != nil {
		return false, err
	}
	locked, ok := v.Value().(bool)
	if !ok {
		return false, fmt.Errorf("Locked of %s is %s, not a boolean", path, v.Signature())
	}
	return locked, nil
}

// MainWithSecretService runs a package's tests against a private Secret
// Service (see SecretService), for TestMain: the tests never touch the
// developer's keyring.
func MainWithSecretService(m *testing.M) {
	stop, err := SecretService()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}
