package testenv

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"text/template"
	"time"
)

// webdavBinary is Debian's Apache httpd, which `make deps` installs.
const webdavBinary = "/usr/sbin/apache2"

// webdavModules is where Debian keeps Apache's loadable modules.
const webdavModules = "/usr/lib/apache2/modules"

// webdavPrefix is the URL path the DAV collection is served under: not
// the server's root, as on real servers (/remote.php/webdav/,
// /alfresco/webdav/), so that targets are tested joining names to a
// base path.
const webdavPrefix = "/dav/"

// webdavStartTimeout bounds Apache's start: it listens within a fraction
// of a second, so a stuck start fails the test rather than hanging it.
const webdavStartTimeout = 15 * time.Second

// WebDAVOptions configures StartWebDAV.
type WebDAVOptions struct {
	// User and Password are the one account Basic authentication
	// accepts; "demat" and a fixed throwaway password when empty.
	User, Password string
	// TLS serves HTTPS with a certificate for 127.0.0.1 and localhost
	// issued by a throwaway CA (WebDAV.CAFile).
	TLS bool
}

// WebDAV is a running Apache httpd with mod_dav on loopback.
type WebDAV struct {
	// URL is the DAV collection's URL, ending in '/', without user
	// information ("http://127.0.0.1:PORT/dav/").
	URL string
	// Addr is the server's host:port, for testenv.StartProxy.
	Addr string
	// Root is the folder on disk served at URL: what it holds is what
	// the server stores.
	Root string
	// User and Password are the account Basic authentication accepts.
	User, Password string
	// CAFile is the PEM file of the CA that issued the server's
	// certificate (TLS only).
	CAFile string
	// Fingerprint is the server certificate's SHA-256 fingerprint, as
	// upload.Net pins take it ("sha256:AB:CD:…"; TLS only).
	Fingerprint string
	// ErrorLog is Apache's error log, which the test's log shows when
	// the test fails.
	ErrorLog string
}

// webdavConfig is the whole httpd.conf: only the modules WebDAV with
// Basic authentication needs, every file under the throwaway ServerRoot.
//
// No User or Group when the tests run as root: Apache refuses to serve
// as root with an explicit "User root", and in single-process mode (-X)
// it keeps the identity it was started with, which is what a test wants
// as root and the only possibility as a normal user.
var webdavConfig = template.Must(template.New("httpd.conf").Parse(`ServerRoot "{{.ServerRoot}}"
ServerName 127.0.0.1
Listen 127.0.0.1:{{.Port}}
{{if .User}}User #{{.UID}}
Group #{{.GID}}
{{end}}
LoadModule mpm_event_module {{.Modules}}/mod_mpm_event.so
LoadModule authn_core_module {{.Modules}}/mod_authn_core.so
LoadModule authn_file_module {{.Modules}}/mod_authn_file.so
LoadModule authz_core_module {{.Modules}}/mod_authz_core.so
LoadModule authz_user_module {{.Modules}}/mod_authz_user.so
LoadModule auth_basic_module {{.Modules}}/mod_auth_basic.so
LoadModule dav_module {{.Modules}}/mod_dav.so
LoadModule dav_fs_module {{.Modules}}/mod_dav_fs.so
{{if .TLS}}LoadModule ssl_module {{.Modules}}/mod_ssl.so
{{end}}
PidFile "{{.ServerRoot}}/httpd.pid"
ErrorLog "{{.ErrorLog}}"
LogLevel warn dav:info
Mutex file:{{.ServerRoot}}
DavLockDB "{{.ServerRoot}}/davlock"
# Room for the conformance suite's parallel deliveries and the proxies'
# abandoned connections, in the one process -X runs.
ThreadsPerChild 32
ThreadLimit 32
MaxRequestWorkers 32
# A stalled client is given up on well before a test's end.
Timeout 20
KeepAlive On
KeepAliveTimeout 5

DocumentRoot "{{.DocRoot}}"
<Directory "{{.DocRoot}}">
    Options None
    AllowOverride None
    Dav On
    AuthType Basic
    AuthName "demat tests"
    AuthBasicProvider file
    AuthUserFile "{{.ServerRoot}}/htpasswd"
    Require valid-user
</Directory>
{{if .TLS}}
SSLEngine on
SSLCertificateFile "{{.ServerRoot}}/server.pem"
SSLCertificateKeyFile "{{.ServerRoot}}/server.key"
SSLSessionCache none
{{end}}`))

// StartWebDAV runs Apache httpd (Debian's apache2 with mod_dav and
// mod_dav_fs) in the foreground, single-process (-X), on a free
// loopback port, with a throwaway ServerRoot, configuration, document
// root, lock database and password file, and Basic authentication. It
// returns once the server accepts connections (within a fraction of a
// second) and kills it, waiting for it, when the test ends; a server that
// died during the test fails it. It fails with "run make deps" when
// Apache is not installed.
//
// The ranged PUTs (Content-Range) mod_dav accepts, and how it keeps what
// a cut one wrote, are what the WebDAV target's resumption relies on:
// this is the server to test them against.
func StartWebDAV(t testing.TB, opts WebDAVOptions) *WebDAV {
	t.Helper()
	Require(t, webdavBinary, "sh")
	if _, err := os.Stat(filepath.Join(webdavModules, "mod_dav_fs.so")); err != nil {
		t.Fatalf("testenv: Apache's mod_dav_fs is not installed (%v): run make deps", err)
	}
	if opts.User == "" {
		opts.User = "demat"
	}
	if opts.Password == "" {
		// Fixed rather than random: a failing test's log can then be
		// replayed with curl by hand.
		opts.Password = "mot de passe: jetable!"
	}
	serverRoot := t.TempDir()
	docRoot := filepath.Join(serverRoot, "htdocs")
	root := filepath.Join(docRoot, strings.Trim(webdavPrefix, "/"))
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatalf("testenv: webdav: %v", err)
	}
	w := &WebDAV{Root: root, User: opts.User, Password: opts.Password,
		ErrorLog: filepath.Join(serverRoot, "error.log")}
	if err := webdavWriteHtpasswd(filepath.Join(serverRoot, "htpasswd"), opts.User, opts.Password); err != nil {
		t.Fatalf("testenv: webdav: %v", err)
	}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
		fp, err := webdavWriteCerts(serverRoot)
		if err != nil {
			t.Fatalf("testenv: webdav: certificates: %v", err)
		}
		w.CAFile, w.Fingerprint = filepath.Join(serverRoot, "ca.pem"), fp
	}
	// A port found free may be taken by another process before Apache
	// binds it: try a few.
	var lastErr error
	for range 5 {
		port, err := webdavFreePort()
		if err != nil {
			t.Fatalf("testenv: webdav: %v", err)
		}
		stop, err := webdavStartApache(serverRoot, docRoot, w.ErrorLog, port, opts.TLS)
		if errors.Is(err, errWebDAVPortTaken) {
			lastErr = err
			continue
		}
		if err != nil {
			t.Fatalf("testenv: webdav: %v\n%s", err, webdavTail(w.ErrorLog))
		}
		t.Cleanup(func() {
			if err := stop(); err != nil {
				t.Errorf("testenv: webdav: %v", err)
			}
			if t.Failed() {
				t.Logf("Apache error log (%s):\n%s", w.ErrorLog, webdavTail(w.ErrorLog))
			}
		})
		w.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		w.URL = scheme + "://" + w.Addr + webdavPrefix
		return w
	}
	t.Fatalf("testenv: webdav: no free port: %v", lastErr)
	return nil
}

// Files reads every file the server stores under Root, hidden and
// temporary ones included, keyed by '/'-separated path.
func (w *WebDAV) Files(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(w.Root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(w.Root, p)
		out[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("testenv: webdav: list %s: %v", w.Root, err)
	}
	return out
}

var errWebDAVPortTaken = errors.New("port taken")

// webdavStartApache starts httpd and waits until it accepts connections.
func webdavStartApache(serverRoot, docRoot, errorLog string, port int, tls bool) (stop func() error, err error) {
	conf := filepath.Join(serverRoot, "httpd.conf")
	var b bytes.Buffer
	err = webdavConfig.Execute(&b, map[string]any{
		"ServerRoot": serverRoot, "DocRoot": docRoot, "ErrorLog": errorLog,
		"Port": port, "Modules": webdavModules, "TLS": tls,
		"User": os.Geteuid() != 0, "UID": os.Geteuid(), "GID": os.Getegid(),
	})
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(conf, b.Bytes(), 0o644); err != nil {
		return nil, err
	}
	os.Remove(errorLog) // a failed try's log would hide this one's
	cmd := exec.Command(webdavBinary, "-X", "-d", serverRoot, "-f", conf)
	// Apache reads nothing from its environment with this configuration;
	// a clean one keeps the developer's APACHE_* settings out.
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}
	var stderr webdavBuffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", webdavBinary, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	dog, err := webdavStartWatchdog(cmd.Process.Pid)
	if err != nil {
		cmd.Process.Kill()
		<-exited
		return nil, err
	}
	stop = func() error {
		// The watchdog goes first, so that it never signals a process
		// id the system may have given to another process since.
		dog.Process.Kill()
		dog.Wait()
		select {
		case err := <-exited:
			return fmt.Errorf("apache died during the test (%v): %s", err, stderr.String())
		default:
		}
		// SIGKILL rather than SIGTERM: in -X mode Apache has been seen
		// to crash or hang on SIGTERM with connections a fault test left
		// half open, and a throwaway server has nothing to save.
		cmd.Process.Kill()
		<-exited
		return nil
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(webdavStartTimeout)
	for {
		select {
		case err := <-exited:
			dog.Process.Kill()
			dog.Wait()
			out := stderr.String() + webdavTail(errorLog)
			if strings.Contains(out, "Address already in use") || strings.Contains(out, "could not bind") {
				return nil, errWebDAVPortTaken
			}
			return nil, fmt.Errorf("apache exited at start (%v): %s", err, out)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("apache does not listen on %s after %s: %s", addr, webdavStartTimeout, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// webdavStartWatchdog runs a shell that kills pid once its standard
// input closes, which happens when this process dies, however it dies
// (a timeout panic, a kill): no Apache outlives the tests. Portable,
// unlike Linux's parent-death signal. The pipe's write end, never
// written to, stays open as long as cmd (which holds it) is reachable.
func webdavStartWatchdog(pid int) (*exec.Cmd, error) {
	cmd := exec.Command("sh", "-c", `read -r _ || :; kill -KILL "$1" 2>/dev/null; :`, "watchdog", strconv.Itoa(pid))
	if _, err := cmd.StdinPipe(); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the watchdog: %w", err)
	}
	return cmd, nil
}

func webdavFreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// webdavWriteHtpasswd writes one user with Apache's {SHA} scheme (base64 of
// the SHA-1): weak, but it needs no htpasswd binary and guards a
// throwaway server.
func webdavWriteHtpasswd(path, user, password string) error {
	sum := sha1.Sum([]byte(password))
	line := user + ":{SHA}" + base64.StdEncoding.EncodeToString(sum[:]) + "\n"
	return os.WriteFile(path, []byte(line), 0o644)
}

// webdavWriteCerts writes ca.pem, server.pem and server.key under dir
// and returns the server certificate's fingerprint.
func webdavWriteCerts(dir string) (string, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	now := time.Now()
	ca := Issue(nil, nil, caKey, &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "demat test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	})
	leaf := Issue(ca, caKey, key, &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	files := map[string][]byte{
		"ca.pem":     pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw}),
		"server.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw}),
		"server.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return "", err
		}
	}
	return webdavFingerprint(leaf.Raw), nil
}

// webdavFingerprint formats a certificate's SHA-256 as upload.Fingerprint
// does (testenv cannot import upload, whose tests import testenv).
func webdavFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	parts := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return "sha256:" + strings.Join(parts, ":")
}

// webdavTail gives the end of a log file, for a failure message.
func webdavTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// webdavBuffer is a bytes.Buffer safe for the process's writes and the
// test's reads.
type webdavBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *webdavBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *webdavBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
