package webdav

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/uploadtest"
)

// password is a Credential giving p.
func password(p string) func() (credentials.Secret, error) {
	return func() (credentials.Secret, error) { return credentials.NewSecret(p), nil }
}

// newTarget is a target for dav's collection, reached at rawURL (dav.URL
// when empty: a proxy's address otherwise), changed by mod.
func newTarget(t *testing.T, dav *testenv.WebDAV, rawURL string, mod func(*Options)) *Target {
	t.Helper()
	if rawURL == "" {
		rawURL = dav.URL
	}
	opts := Options{URL: rawURL, User: dav.User, Credential: password(dav.Password), Net: upload.Net{CAFile: dav.CAFile}}
	if mod != nil {
		mod(&opts)
	}
	tg, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// through is dav's collection URL at another host:port (a proxy's).
func through(dav *testenv.WebDAV, addr string) string {
	u, _ := url.Parse(dav.URL)
	u.Host = addr
	return u.String()
}

// files lists what dav stores, for uploadtest.
func files(dav *testenv.WebDAV) func(t *testing.T) map[string][]byte {
	return func(t *testing.T) map[string][]byte { return dav.Files(t) }
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

func TestConformance(t *testing.T) {
	uploadtest.Run(t, uploadtest.Harness{
		Resumes: true,
		New: func(t *testing.T) uploadtest.Destination {
			dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
			return uploadtest.Destination{Target: newTarget(t, dav, "", nil), List: files(dav)}
		},
	})
}

// TestConformanceTLS runs the suite over HTTPS, where a cut connection
// is a TLS record cut short.
func TestConformanceTLS(t *testing.T) {
	uploadtest.Run(t, uploadtest.Harness{
		Resumes: true,
		New: func(t *testing.T) uploadtest.Destination {
			dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{TLS: true})
			return uploadtest.Destination{Target: newTarget(t, dav, "", nil), List: files(dav)}
		},
	})
}

func TestTLS(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{TLS: true})
	doc, data := uploadtest.NewDoc("t1", "tls.pdf", 10_000, 1)

	t.Run("Untrusted", func(t *testing.T) {
		tg := newTarget(t, dav, "", func(o *Options) { o.Net = upload.Net{} })
		_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if !errors.Is(err, upload.ErrUntrusted) {
			t.Fatalf("Put to an untrusted server: %v, want ErrUntrusted", err)
		}
		if upload.IsTemporary(err) {
			t.Error("an untrusted server is classed temporary")
		}
		if !strings.Contains(err.Error(), dav.Fingerprint) {
			t.Errorf("the refusal does not name the certificate's fingerprint %s: %v", dav.Fingerprint, err)
		}
	})
	t.Run("WrongPin", func(t *testing.T) {
		pin := "sha256:" + strings.Repeat("AB:", 31) + "AB"
		tg := newTarget(t, dav, "", func(o *Options) { o.Net = upload.Net{Pins: []string{pin}} })
		_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if !errors.Is(err, upload.ErrUntrusted) || !strings.Contains(err.Error(), dav.Fingerprint) {
			t.Fatalf("Put with another pin: %v, want ErrUntrusted naming %s", err, dav.Fingerprint)
		}
	})
	for name, n := range map[string]upload.Net{
		"CAFile": {CAFile: dav.CAFile},
		"Pin":    {Pins: []string{dav.Fingerprint}},
	} {
		t.Run(name, func(t *testing.T) {
			tg := newTarget(t, dav, "", func(o *Options) { o.Net = n })
			doc := doc
			doc.Name = name + ".pdf"
			r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
			if err != nil {
				t.Fatalf("Put: %v", err)
			}
			if !strings.HasPrefix(r.Location, "https://") || r.Verified != "sha256" {
				t.Errorf("receipt %+v", r)
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	const wrong = "not-the-password-0451"
	tg := newTarget(t, dav, "", func(o *Options) { o.Credential = password(wrong) })
	doc, data := uploadtest.NewDoc("w1", "a/w.pdf", 10_000, 1)
	_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrAuth) {
		t.Fatalf("Put with a wrong password: %v, want ErrAuth", err)
	}
	if upload.IsTemporary(err) {
		t.Error("a refused password is classed temporary")
	}
	if strings.Contains(err.Error(), wrong) {
		t.Errorf("the error shows the password: %v", err)
	}
	if got := dav.Files(t); len(got) != 0 {
		t.Errorf("the server stores %d files after a refused Put", len(got))
	}
}

func TestMissingCredential(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	tg := newTarget(t, dav, "", func(o *Options) {
		o.Credential = func() (credentials.Secret, error) {
			return credentials.Secret{}, fmt.Errorf("get webdav-mairie: %w", credentials.ErrNotFound)
		}
	})
	doc, data := uploadtest.NewDoc("m1", "m.pdf", 1000, 1)
	_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrAuth) || !errors.Is(err, credentials.ErrNotFound) {
		t.Fatalf("Put without a stored password: %v, want ErrAuth and ErrNotFound", err)
	}
	if upload.IsTemporary(err) {
		t.Error("a missing password is classed temporary")
	}
}

// TestNames delivers under names that need percent-encoding, under a
// base collection whose own name needs it too.
func TestNames(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	base := "Arrivée 2026 #1"
	if err := os.Mkdir(filepath.Join(dav.Root, base), 0o755); err != nil {
		t.Fatal(err)
	}
	tg := newTarget(t, dav, dav.URL+url.PathEscape(base)+"/", nil)
	names := []string{
		"مراسلة رقم 12/Réponse à M. Lefèvre #3 (100% urgent).pdf",
		"100%/%41%2F%2e%2e.pdf",
		"a+b & c;d=e'f@g,h$i/~ü ñ 日本.pdf",
	}
	for i, name := range names {
		doc, data := uploadtest.NewDoc(fmt.Sprintf("n%d", i), name, 5000+i, uint64(i))
		r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err != nil {
			t.Fatalf("Put %q: %v", name, err)
		}
		got, err := os.ReadFile(filepath.Join(dav.Root, base, filepath.FromSlash(name)))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%q is not on disk under its own name (%v); stored: %v", name, err, keys(dav.Files(t)))
		}
		u, err := url.Parse(r.Location)
		if err != nil || u.Path != "/dav/"+base+"/"+name {
			t.Errorf("receipt location %q (%v) does not name %q", r.Location, err, name)
		}
		info, err := tg.Stat(ctx(t), name)
		if err != nil || info.Size != doc.Size || info.ModTime.IsZero() {
			t.Errorf("Stat %q = %+v, %v", name, info, err)
		}
		if r2, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil || !r2.Already {
			t.Errorf("second Put %q = %+v, %v; want already there", name, r2, err)
		}
		if err := tg.Delete(ctx(t), name); err != nil {
			t.Errorf("Delete %q: %v", name, err)
		}
		if _, err := tg.Stat(ctx(t), name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat %q after Delete: %v, want fs.ErrNotExist", name, err)
		}
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// front is an HTTP layer in front of Apache: fault decides, for each
// request, whether to answer it itself (true) or pass it on.
type front struct {
	URL   string
	mu    sync.Mutex
	log   []string
	fault func(w http.ResponseWriter, r *http.Request) bool
}

func startFront(t *testing.T, dav *testenv.WebDAV, fault func(w http.ResponseWriter, r *http.Request) bool) *front {
	target, _ := url.Parse(dav.URL)
	target.Path = "/"
	rp := httputil.NewSingleHostReverseProxy(target)
	f := &front{fault: fault}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.log = append(f.log, r.Method+" "+r.Header.Get("Content-Range"))
		f.mu.Unlock()
		if f.fault != nil && f.fault(w, r) {
			io.Copy(io.Discard, r.Body)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	f.URL = through(dav, strings.TrimPrefix(srv.URL, "http://"))
	return f
}

// requests are the method and Content-Range of every request seen.
func (f *front) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.log...)
}

func TestHTTPFaults(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})

	t.Run("503ThenPass", func(t *testing.T) {
		var n atomic.Int32
		f := startFront(t, dav, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut && n.Add(1) == 2 {
				http.Error(w, "maintenance", http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		tg := newTarget(t, dav, f.URL, func(o *Options) { o.ChunkSize = 64 << 10 })
		doc, data := uploadtest.NewDoc("f503", "f/503.pdf", 200_000, 1)
		cp := &uploadtest.Checkpoints{}
		doc.Checkpoint = cp.Save
		_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err == nil || !upload.IsTemporary(err) || upload.IsTransport(err) {
			t.Fatalf("Put answered 503: %v, want a temporary server error", err)
		}
		if cp.Last().Offset != 64<<10 {
			t.Errorf("checkpoint after the 503 = %+v, want the first chunk acknowledged", cp.Last())
		}
		doc.Resume = cp.Last()
		body := uploadtest.NewBody(data)
		if _, err := tg.Put(ctx(t), doc, body.Open); err != nil {
			t.Fatalf("Put after the 503: %v", err)
		}
		if offs := body.Offsets(); len(offs) == 0 || offs[0] != 64<<10 {
			t.Errorf("the Put after the 503 opened the document at %v, want a resume at %d", offs, 64<<10)
		}
		if got := dav.Files(t)["f/503.pdf"]; !bytes.Equal(got, data) {
			t.Errorf("stored %d bytes, want the %d sent", len(got), len(data))
		}
	})

	t.Run("429RetryAfter", func(t *testing.T) {
		f := startFront(t, dav, func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("Retry-After", "7")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		})
		tg := newTarget(t, dav, f.URL, nil)
		doc, data := uploadtest.NewDoc("f429", "429.pdf", 1000, 1)
		_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if d, ok := upload.Delay(err); !ok || d != 7*time.Second || !upload.IsTemporary(err) {
			t.Fatalf("Put answered 429 Retry-After 7: %v (delay %v, %v), want temporary with 7s", err, d, ok)
		}
	})

	t.Run("507", func(t *testing.T) {
		f := startFront(t, dav, func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut {
				http.Error(w, "quota exceeded", http.StatusInsufficientStorage)
				return true
			}
			return false
		})
		tg := newTarget(t, dav, f.URL, nil)
		doc, data := uploadtest.NewDoc("f507", "507.pdf", 1000, 1)
		_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if !errors.Is(err, upload.ErrNoSpace) || !upload.IsTemporary(err) {
			t.Fatalf("Put answered 507: %v, want a temporary ErrNoSpace", err)
		}
	})

	t.Run("DigestOnly", func(t *testing.T) {
		f := startFront(t, dav, func(w http.ResponseWriter, r *http.Request) bool {
			w.Header().Set("WWW-Authenticate", `Digest realm="dav", nonce="abc", qop="auth"`)
			http.Error(w, "authenticate", http.StatusUnauthorized)
			return true
		})
		tg := newTarget(t, dav, f.URL, nil)
		doc, data := uploadtest.NewDoc("fdig", "digest.pdf", 1000, 1)
		_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if !errors.Is(err, upload.ErrAuth) || !strings.Contains(err.Error(), "Digest") {
			t.Fatalf("Put to a Digest-only server: %v, want ErrAuth saying Digest", err)
		}
	})
}

// TestRanges checks the fallback to whole-file PUTs, for servers that
// refuse Content-Range (as RFC 9110 asks) and for servers that ignore it
// and keep the last chunk as the whole file.
func TestRanges(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	for name, fault := range map[string]func(w http.ResponseWriter, r *http.Request) bool{
		"Refused": func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method == http.MethodPut && r.Header.Get("Content-Range") != "" {
				http.Error(w, "Content-Range in PUT is not supported", http.StatusBadRequest)
				return true
			}
			return false
		},
		"Ignored": func(w http.ResponseWriter, r *http.Request) bool {
			r.Header.Del("Content-Range")
			return false
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := startFront(t, dav, fault)
			tg := newTarget(t, dav, f.URL, func(o *Options) { o.ChunkSize = 100_000 })
			for i := range 2 {
				doc, data := uploadtest.NewDoc(fmt.Sprintf("r%s%d", name, i), fmt.Sprintf("%s/%d.pdf", name, i), 250_000, uint64(i))
				if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
					t.Fatalf("Put %d: %v", i, err)
				}
				if got := dav.Files(t)[doc.Name]; !bytes.Equal(got, data) {
					t.Fatalf("stored %d bytes at %s, want the %d sent", len(got), doc.Name, len(data))
				}
			}
			if !tg.noRanges.Load() {
				t.Error("the target still uses ranged PUTs")
			}
			// Once found out, the server gets whole files only: the
			// second document's requests carry no Content-Range.
			reqs := f.requests()
			var puts []string
			for _, r := range reqs {
				if strings.HasPrefix(r, "PUT") {
					puts = append(puts, r)
				}
			}
			if last := puts[len(puts)-1]; last != "PUT " {
				t.Errorf("last PUT %q, want one without Content-Range; all: %q", last, puts)
			}
			for name := range dav.Files(t) {
				if strings.Contains(name, ".demat-") {
					t.Errorf("temporary file %s left", name)
				}
			}
		})
	}
}

// TestRangeMismatch: a server answering 416 to a ranged PUT (it holds
// something else than it said) gets the file again from the start, and
// keeps getting ranged PUTs afterwards.
func TestRangeMismatch(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	var once atomic.Bool
	f := startFront(t, dav, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method == http.MethodPut && r.Header.Get("Content-Range") != "" && once.CompareAndSwap(false, true) {
			http.Error(w, "range not satisfiable", http.StatusRequestedRangeNotSatisfiable)
			return true
		}
		return false
	})
	tg := newTarget(t, dav, f.URL, func(o *Options) { o.ChunkSize = 100_000 })
	doc, data := uploadtest.NewDoc("rm1", "rm.pdf", 250_000, 1)
	body := uploadtest.NewBody(data)
	if _, err := tg.Put(ctx(t), doc, body.Open); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if offs := body.Offsets(); len(offs) != 2 || offs[1] != 0 {
		t.Errorf("the document was opened at %v, want 0 and 0 again after the 416", offs)
	}
	if tg.noRanges.Load() {
		t.Error("a 416 turned ranged PUTs off")
	}
	uploadtest.CheckStored(t, uploadtest.Harness{}, uploadtest.Destination{List: files(dav)}, map[string][]byte{"rm.pdf": data})
}

// TestCut delivers 5 MB documents through a proxy that cuts every
// connection after about 3 MB, as the outbox will: Put again with the
// saved Resume until it succeeds. Each document must arrive whole and
// once, within a few attempts, with no temporary file left.
func TestCut(t *testing.T) {
	for _, tls := range []bool{false, true} {
		t.Run(map[bool]string{false: "HTTP", true: "HTTPS"}[tls], func(t *testing.T) {
			dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{TLS: tls})
			proxy := testenv.StartProxy(t, dav.Addr)
			proxy.Set(testenv.Faults{CutAfter: 3_000_000, Jitter: 300_000})
			tg := newTarget(t, dav, through(dav, proxy.Addr), nil)
			want := map[string][]byte{}
			for i := range 3 {
				doc, data := uploadtest.NewDoc(fmt.Sprintf("cut%d", i), fmt.Sprintf("lot/%d.pdf", i), 5_000_000+i*1234, uint64(100+i))
				want[doc.Name] = data
				cp := &uploadtest.Checkpoints{}
				doc.Checkpoint = cp.Save
				var r upload.Receipt
				var err error
				attempts := 0
				for attempts < 6 {
					attempts++
					doc.Resume = cp.Last()
					r, err = tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
					if err == nil {
						break
					}
					if !upload.IsTemporary(err) {
						t.Fatalf("attempt %d: %v, a permanent error", attempts, err)
					}
					t.Logf("attempt %d: %v (server holds %d)", attempts, err, cp.Last().Offset)
				}
				if err != nil {
					t.Fatalf("%s not delivered after %d attempts: %v", doc.Name, attempts, err)
				}
				if r.Verified != "sha256" || r.Size != doc.Size {
					t.Errorf("receipt %+v", r)
				}
				// A fresh connection carries at least two 1 MiB chunks
				// before its cut (what the server got of the third may
				// be lost with the reset); the first attempt may run on
				// the connection the previous document used and get
				// nowhere. Three fresh connections carry 5 MB.
				if attempts > 4 {
					t.Errorf("%s took %d attempts, want at most 4 when each connection carries 3 MB", doc.Name, attempts)
				}
			}
			if proxy.Cuts() == 0 {
				t.Error("the proxy cut nothing: the test tests nothing")
			}
			// Resuming, not starting again: what a cut loses is the
			// chunk in flight, not the document.
			total := int64(0)
			for _, d := range want {
				total += int64(len(d))
			}
			if fw := proxy.Forwarded(); fw > total*3/2 {
				t.Errorf("%d bytes sent for %d delivered: transfers started again rather than resumed", fw, total)
			}
			uploadtest.CheckStored(t, uploadtest.Harness{}, uploadtest.Destination{List: files(dav)}, want)
		})
	}
}

// TestStall: a server that stops reading mid-body gives a temporary
// error once Net.Idle has passed without a byte moving, not a hang.
func TestStall(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	proxy := testenv.StartProxy(t, dav.Addr)
	tg := newTarget(t, dav, through(dav, proxy.Addr), func(o *Options) { o.Net.Idle = time.Second })
	proxy.Set(testenv.Faults{StallAfter: 300_000})
	doc, data := uploadtest.NewDoc("st1", "stall.pdf", 2_000_000, 1)
	c, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	_, err := tg.Put(c, doc, uploadtest.NewBody(data).Open)
	if err == nil || c.Err() != nil {
		t.Fatalf("Put through a stalled connection: %v (context: %v), want an error before the test's deadline", err, c.Err())
	}
	if !upload.IsTemporary(err) || !upload.IsTransport(err) {
		t.Errorf("stall: %v, want a temporary transport error", err)
	}
	proxy.Set(testenv.Faults{})
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
		t.Fatalf("Put once the link is back: %v", err)
	}
	uploadtest.CheckStored(t, uploadtest.Harness{}, uploadtest.Destination{List: files(dav)}, map[string][]byte{"stall.pdf": data})
}

// TestRefused: a server that refuses connections gives a temporary
// transport error.
func TestRefused(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	proxy := testenv.StartProxy(t, dav.Addr)
	proxy.Set(testenv.Faults{Refuse: true})
	tg := newTarget(t, dav, through(dav, proxy.Addr), nil)
	doc, data := uploadtest.NewDoc("rf1", "refused.pdf", 1000, 1)
	_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if err == nil || !upload.IsTemporary(err) || !upload.IsTransport(err) {
		t.Fatalf("Put to a refusing server: %v, want a temporary transport error", err)
	}
}

// TestTempInconsistent: a temporary file longer than the document (an
// attempt for other bytes under the same id) is removed and the
// document sent whole.
func TestTempInconsistent(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	tg := newTarget(t, dav, "", nil)
	doc, data := uploadtest.NewDoc("ti1", "x/y.pdf", 100_000, 1)
	if err := os.MkdirAll(filepath.Join(dav.Root, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dav.Root, filepath.FromSlash(upload.TempName(doc))), make([]byte, 200_000), 0o644); err != nil {
		t.Fatal(err)
	}
	body := uploadtest.NewBody(data)
	if _, err := tg.Put(ctx(t), doc, body.Open); err != nil {
		t.Fatal(err)
	}
	uploadtest.CheckStored(t, uploadtest.Harness{}, uploadtest.Destination{List: files(dav)}, map[string][]byte{"x/y.pdf": data})

	// A temporary file that is the right length but not the document's
	// bytes is found out by the read back, removed, and reported.
	doc2, data2 := uploadtest.NewDoc("ti2", "x/z.pdf", 100_000, 2)
	tmp := filepath.Join(dav.Root, filepath.FromSlash(upload.TempName(doc2)))
	if err := os.WriteFile(tmp, make([]byte, 100_000), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := tg.Put(ctx(t), doc2, uploadtest.NewBody(data2).Open)
	if err == nil || !upload.IsTemporary(err) {
		t.Fatalf("Put over a wrong temporary file: %v, want a temporary error", err)
	}
	if _, err := os.Stat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the wrong temporary file is still there: %v", err)
	}
	if _, err := tg.Put(ctx(t), doc2, uploadtest.NewBody(data2).Open); err != nil {
		t.Fatal(err)
	}
	uploadtest.CheckStored(t, uploadtest.Harness{}, uploadtest.Destination{List: files(dav)}, map[string][]byte{"x/y.pdf": data, "x/z.pdf": data2})
}

func TestNew(t *testing.T) {
	for _, bad := range []string{"", "ftp://h/x", "https:///x", "https://u:secret@h/x", "https://h/x?token=1", "https://u:se%zzcret@h/x"} {
		if _, err := New(Options{URL: bad}); err == nil {
			t.Errorf("New(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("New(%q): the error shows the password: %v", bad, err)
		}
	}
	tg, err := New(Options{URL: "https://alice@cloud.example/remote.php/dav/files/alice"})
	if err != nil {
		t.Fatal(err)
	}
	if tg.user != "alice" || tg.URL() != "https://cloud.example/remote.php/dav/files/alice/" {
		t.Errorf("user %q URL %q", tg.user, tg.URL())
	}
	doc, data := uploadtest.NewDoc("bad", "../x.pdf", 10, 1)
	if _, err := tg.Put(t.Context(), doc, uploadtest.NewBody(data).Open); err == nil || upload.IsTemporary(err) {
		t.Errorf("Put ../x.pdf: %v, want a permanent refusal", err)
	}
}

// slowBody gives the document in small pieces with a pause between
// them, so that the client writes steadily, for longer than Net.Idle,
// while the server has nothing to answer yet. (A proxy pacing the line
// would not do: the sockets' buffers on loopback take the whole chunk
// at once, and the wait is then for the answer.)
type slowBody struct {
	r     io.Reader
	pause time.Duration
}

func (s *slowBody) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	return s.r.Read(p[:min(len(p), 8<<10)])
}

// TestSlowLink: a chunk whose upload takes longer than Net.Idle is not
// a stalled connection as long as bytes keep moving.
func TestSlowLink(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})
	// The PUT takes about 2.5 s, over twice Idle.
	tg := newTarget(t, dav, "", func(o *Options) { o.Net.Idle = time.Second })
	doc, data := uploadtest.NewDoc("sl1", "slow.pdf", 200_000, 1)
	body := func(off int64) (io.ReadCloser, error) {
		return io.NopCloser(&slowBody{r: bytes.NewReader(data[off:]), pause: 100 * time.Millisecond}), nil
	}
	if _, err := tg.Put(ctx(t), doc, body); err != nil {
		t.Fatalf("Put over a slow link: %v", err)
	}
	uploadtest.CheckStored(t, uploadtest.Harness{}, uploadtest.Destination{List: files(dav)}, map[string][]byte{"slow.pdf": data})
}
