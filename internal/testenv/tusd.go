package testenv

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"io/fs"
	"log"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	tushandler "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	tuslog "golang.org/x/exp/slog"
)

// tusdBase is where the reference server takes uploads; the creation
// endpoint is this path and each upload lives under it.
const tusdBase = "/files/"

// tusdQuiet bounds the wait for requests to end: beyond tusd's own
// NetworkTimeout (10s here), a request is stuck.
const tusdQuiet = 15 * time.Second

// TusdOptions configure the reference tus server.
type TusdOptions struct {
	// User and Password, when User is set, make every request but OPTIONS
	// need HTTP Basic authentication (OPTIONS stays open, as CORS
	// preflights do on real deployments).
	User, Password string
	// Token, when set, is accepted as "Authorization: Bearer <Token>"
	// (alone, or besides User and Password).
	Token string
	// TLS serves HTTPS with a throwaway self-signed certificate for
	// 127.0.0.1 and localhost.
	TLS bool
	// MaxSize is the largest upload accepted (Tus-Max-Size); 0 for none.
	MaxSize int64
	// Dir is the file store's folder; a fresh temporary one when empty.
	Dir string
	// Wrap, when set, wraps the whole server (authentication included):
	// the place for a test's fault-injecting layer.
	Wrap func(http.Handler) http.Handler
}

// Tusd is tusd, the reference tus 1.0 server (github.com/tus/tusd/v2), run
// in-process on a loopback port with a file store. It can be stopped and
// started again on the same port and folder, as a server restarts.
type Tusd struct {
	// URL is the creation endpoint ("http://127.0.0.1:port/files/").
	URL string
	// Addr is the server's host:port; it stays the same across restarts.
	Addr string
	// Dir is the file store's folder: for each upload, <id> holds the
	// bytes and <id>.info its description (JSON).
	Dir string
	// CAFile is the PEM file of the server's self-signed certificate,
	// when TLS is on: trust it with upload.Net.CAFile.
	CAFile string
	// Fingerprint is the certificate's SHA-256 fingerprint as
	// upload.Net.Pins takes it, when TLS is on.
	Fingerprint string

	opts    TusdOptions
	cert    *tls.Certificate
	mu      sync.Mutex
	srv     *http.Server
	serving sync.WaitGroup // the Serve goroutine
	active  inflight       // requests being handled
}

// inflight counts requests being handled, so that Stop and Uploads can
// wait for the last one (a WaitGroup may not grow while it is being
// waited on, and a request accepted just before Close would make it grow).
type inflight struct{ n atomic.Int64 }

// quiet waits until no request is being handled, or up to limit: a
// request held open by a stalled client ends with tusd's NetworkTimeout.
// A request whose headers arrived but whose handler has not started yet
// is not counted: tusd's locks order it against later requests.
func (f *inflight) quiet(limit time.Duration) bool {
	deadline := time.Now().Add(limit)
	for f.n.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}

// TusdUpload is one upload in the store, finished or not.
type TusdUpload struct {
	ID string
	// Size is the upload's announced length; Offset how many bytes the
	// store holds.
	Size, Offset int64
	// Deferred: the length was not announced at creation.
	Deferred bool
	// Meta is the upload's metadata (Upload-Metadata, decoded).
	Meta map[string]string
	// Path is the file holding the bytes.
	Path string
}

// Finished says whether every announced byte arrived.
func (u TusdUpload) Finished() bool { return !u.Deferred && u.Offset == u.Size }

// StartTusd starts the reference tus server and stops it when the test
// ends.
func StartTusd(t testing.TB, opts TusdOptions) *Tusd {
	t.Helper()
	dir := opts.Dir
	if dir == "" {
		dir = filepath.Join(t.TempDir(), "tusd")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("tusd: %v", err)
	}
	s := &Tusd{Dir: dir, opts: opts}
	scheme := "http"
	if opts.TLS {
		scheme = "https"
		s.makeCert(t)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("tusd: %v", err)
	}
	s.Addr = ln.Addr().String()
	s.URL = scheme + "://" + s.Addr + tusdBase
	s.serve(t, ln)
	t.Cleanup(s.Stop)
	return s
}

// Stop stops the server as a crash would: listener and connections
// closed at once. It returns once every request handler has returned,
// so the store is quiet. Stopping a stopped server does nothing.
func (s *Tusd) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	s.serving.Wait()
	s.active.quiet(tusdQuiet)
}

// Start starts a stopped server again on the same port and folder, with
// fresh locks, as a restarted process would.
func (s *Tusd) Start(t testing.TB) {
	t.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		t.Fatal("tusd: Start on a running server")
	}
	var ln net.Listener
	var err error
	// The old socket may linger for a moment after Stop.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", s.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("tusd: listen again on %s: %v", s.Addr, err)
	}
	s.serve(t, ln)
}

func (s *Tusd) serve(t testing.TB, ln net.Listener) {
	t.Helper()
	store := filestore.New(s.Dir)
	composer := tushandler.NewStoreComposer()
	store.UseIn(composer)
	composer.UseLocker(patientLocker{memorylocker.New()})
	h, err := tushandler.NewHandler(tushandler.Config{
		StoreComposer: composer,
		BasePath:      tusdBase,
		MaxSize:       s.opts.MaxSize,
		// Quiet: tusd logs every request, which would drown test output.
		Logger: tuslog.New(tuslog.NewTextHandler(io.Discard, nil)),
		// A stalled client is let go well before a test's deadline.
		NetworkTimeout: 10 * time.Second,
		// Locks wait less than a test does: a stuck lock shows as an error.
		AcquireLockTimeout: 5 * time.Second,
	})
	if err != nil {
		ln.Close()
		t.Fatalf("tusd: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle(tusdBase, http.StripPrefix(tusdBase, h))
	var handler http.Handler = mux
	if s.opts.User != "" || s.opts.Token != "" {
		handler = s.auth(handler)
	}
	if s.opts.Wrap != nil {
		handler = s.opts.Wrap(handler)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.active.n.Add(1)
			defer s.active.n.Add(-1)
			handler.ServeHTTP(w, r)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		// Refused handshakes and cut connections are what the tests make
		// happen: not worth a line each on stderr.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	if s.cert != nil {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{*s.cert}}
	}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	s.serving.Add(1)
	go func() {
		defer s.serving.Done()
		if srv.TLSConfig != nil {
			// ServeTLS also offers HTTP/2, as deployed servers do.
			srv.ServeTLS(ln, "", "")
		} else {
			srv.Serve(ln)
		}
	}()
}

// patientLocker is tusd's memory locker, except that a request wanting
// an upload waits for the one holding it to end instead of asking it to
// stop. tusd v2.10.1 stops the holder from another goroutine without
// synchronisation (handler/context.go reads the request's body reader
// unguarded), a data race the race detector reports in every test that
// resumes after a cut. The holder is then a request whose connection is
// cut or stalled, which ends by itself within moments (at the latest at
// NetworkTimeout), so clients see the same protocol: the next request
// waits a little longer.
type patientLocker struct{ *memorylocker.MemoryLocker }

func (l patientLocker) NewLock(id string) (tushandler.Lock, error) {
	lk, err := l.MemoryLocker.NewLock(id)
	return patientLock{lk}, err
}

type patientLock struct{ inner tushandler.Lock }

func (l patientLock) Lock(ctx context.Context, requestRelease func()) error {
	return l.inner.Lock(ctx, func() {})
}

func (l patientLock) Unlock() error { return l.inner.Unlock() }

// auth checks Basic or Bearer credentials on everything but OPTIONS.
func (s *Tusd) auth(next http.Handler) http.Handler {
	eq := func(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := r.Method == http.MethodOptions
		if u, p, basic := r.BasicAuth(); basic && s.opts.User != "" {
			ok = ok || eq(u, s.opts.User) && eq(p, s.opts.Password)
		}
		if tok, bearer := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); bearer && s.opts.Token != "" {
			ok = ok || eq(tok, s.opts.Token)
		}
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="tusd"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// makeCert makes the throwaway certificate and writes it to CAFile.
func (s *Tusd) makeCert(t testing.TB) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("tusd: %v", err)
	}
	now := time.Now()
	cert := Issue(nil, nil, key, &x509.Certificate{
		SerialNumber:          big.NewInt(now.UnixNano()),
		Subject:               pkix.Name{CommonName: "tusd test server"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	})
	s.cert = &tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
	s.CAFile = filepath.Join(t.TempDir(), "tusd-ca.pem")
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	if err := os.WriteFile(s.CAFile, pemBytes, 0o644); err != nil {
		t.Fatalf("tusd: %v", err)
	}
	sum := sha256.Sum256(cert.Raw)
	h := strings.ToUpper(hex.EncodeToString(sum[:]))
	pairs := make([]string, 0, len(h)/2)
	for i := 0; i < len(h); i += 2 {
		pairs = append(pairs, h[i:i+2])
	}
	s.Fingerprint = "sha256:" + strings.Join(pairs, ":")
}

// Uploads lists every upload in the store, finished or not, by id. It
// first waits for the requests being handled to end: the bytes of a cut
// request are still being written for a moment after the client gave up.
func (s *Tusd) Uploads(t testing.TB) []TusdUpload {
	t.Helper()
	if !s.active.quiet(tusdQuiet) {
		t.Fatalf("tusd: requests still being handled after %v", tusdQuiet)
	}
	var out []TusdUpload
	err := filepath.WalkDir(s.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".info") {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var info tushandler.FileInfo
		if err := json.Unmarshal(data, &info); err != nil {
			return err
		}
		bin := info.Storage[filestore.StorageKeyPath]
		if bin == "" {
			bin = strings.TrimSuffix(p, ".info")
		}
		fi, err := os.Stat(bin)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // being removed
		} else if err != nil {
			return err
		}
		// The store counts what is in the file, not the .info's Offset,
		// which it writes once at creation.
		out = append(out, TusdUpload{
			ID: info.ID, Size: info.Size, Offset: fi.Size(), Deferred: info.SizeIsDeferred,
			Meta: info.MetaData, Path: bin,
		})
		return nil
	})
	if err != nil {
		t.Fatalf("tusd: list uploads: %v", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Finished gives the bytes of every finished upload (offset == size), by
// upload id.
func (s *Tusd) Finished(t testing.TB) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, u := range s.Uploads(t) {
		if !u.Finished() {
			continue
		}
		data, err := os.ReadFile(u.Path)
		if err != nil {
			t.Fatalf("tusd: read upload %s: %v", u.ID, err)
		}
		out[u.ID] = data
	}
	return out
}

// Expire removes an upload from the store, as a server's clean-up of
// stale uploads does: it then answers 404 for it.
func (s *Tusd) Expire(t testing.TB, id string) {
	t.Helper()
	for _, u := range s.Uploads(t) {
		if u.ID != id {
			continue
		}
		if err := os.Remove(u.Path); err != nil {
			t.Fatalf("tusd: expire %s: %v", id, err)
		}
		if err := os.Remove(filepath.Join(s.Dir, id+".info")); err != nil {
			t.Fatalf("tusd: expire %s: %v", id, err)
		}
		return
	}
	t.Fatalf("tusd: no upload %q to expire", id)
}
