package tus

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// The test server's credentials. They protect nothing: the server lives
// on loopback for one test.
const (
	testUser     = "greffe"
	testPassword = "pw-Zq9-never-shown"
)

func password(s string) func() (credentials.Secret, error) {
	return func() (credentials.Secret, error) { return credentials.NewSecret(s), nil }
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// newTarget gives a target on url with the test credentials.
func newTarget(t *testing.T, url string, opts Options) *Target {
	t.Helper()
	opts.URL = url
	if opts.User == "" && !opts.Bearer {
		opts.User = testUser
	}
	if opts.Credential == nil {
		opts.Credential = password(testPassword)
	}
	tg, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func startTusd(t *testing.T, opts testenv.TusdOptions) *testenv.Tusd {
	if opts.User == "" && opts.Token == "" {
		opts.User, opts.Password = testUser, testPassword
	}
	return testenv.StartTusd(t, opts)
}

func TestConformance(t *testing.T) {
	h := uploadtest.Harness{NoNames: true, Resumes: true}
	h.New = func(t *testing.T) uploadtest.Destination {
		srv := startTusd(t, testenv.TusdOptions{})
		return uploadtest.Destination{
			Target: newTarget(t, srv.URL, Options{}),
			List:   func(t *testing.T) map[string][]byte { return srv.Finished(t) },
		}
	}
	uploadtest.Run(t, h)
}

// checkOne fails the test unless the server holds exactly one upload,
// finished, with data.
func checkOne(t *testing.T, srv *testenv.Tusd, data []byte) testenv.TusdUpload {
	t.Helper()
	ups := srv.Uploads(t)
	if len(ups) != 1 {
		t.Fatalf("the server holds %d uploads, want 1: %+v", len(ups), ups)
	}
	fin := srv.Finished(t)
	got, ok := fin[ups[0].ID]
	if !ok {
		t.Fatalf("upload %s is not finished: %d of %d bytes", ups[0].ID, ups[0].Offset, ups[0].Size)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("upload %s holds %d bytes that differ from the %d sent", ups[0].ID, len(got), len(data))
	}
	return ups[0]
}

func TestMetadataAndCheckpoints(t *testing.T) {
	var mu sync.Mutex
	var events []string
	record := func(s string) {
		mu.Lock()
		events = append(events, s)
		mu.Unlock()
	}
	srv := startTusd(t, testenv.TusdOptions{Wrap: func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPatch {
				record("PATCH " + r.Header.Get("Upload-Offset"))
			}
			next.ServeHTTP(w, r)
		})
	}})
	tg := newTarget(t, srv.URL, Options{ChunkSize: 100_000})
	doc, data := uploadtest.NewDoc("m1", "2026/arrivée/مراسلة.pdf", 250_000, 1)
	doc.Meta["date reçue"] = "2026-03-02"
	doc.Meta["a,b"] = "virgule"
	doc.Checkpoint = func(r upload.Resume) error {
		record(fmt.Sprintf("checkpoint %d", r.Offset))
		return nil
	}
	var progress []int64
	doc.Progress = func(n int64) { progress = append(progress, n) }
	r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if err != nil {
		t.Fatal(err)
	}
	up := checkOne(t, srv, data)
	want := map[string]string{
		"filename": doc.Name, "filetype": "application/pdf", "sha256": doc.SHA256,
		"title": doc.Meta["title"], "reference": doc.Meta["reference"],
		"date_re_ue": "2026-03-02", "a_b": "virgule",
	}
	for k, v := range want {
		if up.Meta[k] != v {
			t.Errorf("metadata %q = %q, want %q (all: %v)", k, up.Meta[k], v, up.Meta)
		}
	}
	mu.Lock()
	got := strings.Join(events, ", ")
	mu.Unlock()
	// The upload's URL is saved before any byte goes, and each
	// acknowledged chunk after it is acknowledged.
	if wantEv := "checkpoint 0, PATCH 0, checkpoint 100000, PATCH 100000, checkpoint 200000, PATCH 200000, checkpoint 250000"; got != wantEv {
		t.Errorf("events %s\nwant   %s", got, wantEv)
	}
	if fmt.Sprint(progress) != "[100000 200000 250000]" {
		t.Errorf("progress %v", progress)
	}
	if r.Verified != "size" || r.ServerID == "" || r.Location != r.ServerID || !strings.HasPrefix(r.ServerID, srv.URL) {
		t.Errorf("receipt %+v", r)
	}
}

// cutOnce sends doc through a proxy that cuts the connection after cut
// bytes, and gives what the target saved and the proxy's endpoint,
// which passes everything from then on.
func cutOnce(t *testing.T, srv *testenv.Tusd, doc upload.Doc, data []byte, cut int64) (upload.Resume, string) {
	t.Helper()
	proxy := testenv.StartProxy(t, srv.Addr)
	proxy.Set(testenv.Faults{CutAfter: cut})
	endpoint := "http://" + proxy.Addr + "/files/"
	cp := &uploadtest.Checkpoints{}
	doc.Checkpoint = cp.Save
	// Chunks smaller than the cut: the first is acknowledged before it.
	tg := newTarget(t, endpoint, Options{ChunkSize: cut * 2 / 3})
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err == nil {
		t.Fatal("Put through a proxy that cuts succeeded")
	} else if !upload.IsTemporary(err) {
		t.Fatalf("a cut connection is not temporary: %v", err)
	}
	proxy.Set(testenv.Faults{})
	if cp.Last().Token == "" {
		t.Fatal("nothing saved to resume from")
	}
	return cp.Last(), endpoint
}

// TestResumeNewTarget resumes from the saved state with a new Target
// value, as after a restart of demat, and then after a restart of the
// server.
func TestResumeNewTarget(t *testing.T) {
	for _, restartServer := range []bool{false, true} {
		t.Run(fmt.Sprintf("server restart %v", restartServer), func(t *testing.T) {
			srv := startTusd(t, testenv.TusdOptions{})
			doc, data := uploadtest.NewDoc("r1", "resume.pdf", 3_000_000, 2)
			saved, endpoint := cutOnce(t, srv, doc, data, 1_500_000)
			if saved.Offset < 1_000_000 {
				t.Fatalf("saved offset %d, want at least the first chunk, acknowledged before the cut", saved.Offset)
			}
			if restartServer {
				srv.Stop()
				srv.Start(t)
			}
			doc.Resume = saved
			var saves []upload.Resume
			doc.Checkpoint = func(r upload.Resume) error { saves = append(saves, r); return nil }
			body := uploadtest.NewBody(data)
			r, err := newTarget(t, endpoint, Options{}).Put(ctx(t), doc, body.Open)
			if err != nil {
				t.Fatalf("resumed Put: %v", err)
			}
			// From what the server holds: at least the acknowledged chunk,
			// and whatever of the cut one it kept.
			offs := body.Offsets()
			if len(offs) == 0 || offs[0] < saved.Offset {
				t.Fatalf("resumed at offsets %v, want first at least %d", offs, saved.Offset)
			}
			t.Logf("checkpoint at %d, resumed at %d", saved.Offset, offs[0])
			// What the server kept beyond the last checkpoint is saved
			// before more is sent.
			if offs[0] > saved.Offset && (len(saves) == 0 || saves[0] != upload.Resume{Token: saved.Token, Offset: offs[0]}) {
				t.Errorf("checkpoints %v, want first %s at %d", saves, saved.Token, offs[0])
			}
			if last := saves[len(saves)-1]; last.Token != saved.Token || last.Offset != doc.Size {
				t.Errorf("last checkpoint %+v, want the same upload at %d", last, doc.Size)
			}
			if r.Already || r.Size != doc.Size {
				t.Errorf("receipt %+v", r)
			}
			checkOne(t, srv, data)
		})
	}
}

func TestWrongPassword(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	tg := newTarget(t, srv.URL, Options{Credential: password("not-the-password-Xy7")})
	doc, data := uploadtest.NewDoc("a1", "a.pdf", 1000, 3)
	_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) {
		t.Fatalf("Put with a wrong password: %v (temporary %v), want ErrAuth, not temporary", err, upload.IsTemporary(err))
	}
	if strings.Contains(err.Error(), "not-the-password-Xy7") || strings.Contains(err.Error(), base64.StdEncoding.EncodeToString([]byte(testUser+":not-the-password-Xy7"))) {
		t.Errorf("the error shows the password: %v", err)
	}
	if ups := srv.Uploads(t); len(ups) != 0 {
		t.Errorf("uploads created without credentials: %v", ups)
	}
}

// TestCredentialRefusedByCaller: the program's credential lookup may
// itself say the password is missing with upload.ErrAuth.
func TestCredentialRefusedByCaller(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	tg := newTarget(t, srv.URL, Options{Credential: func() (credentials.Secret, error) {
		return credentials.Secret{}, fmt.Errorf("%w: no password stored for target depot", upload.ErrAuth)
	}})
	doc, data := uploadtest.NewDoc("a3", "a.pdf", 1000, 3)
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) {
		t.Fatalf("Put: %v, want ErrAuth, not temporary", err)
	}
}

func TestMissingCredential(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	var asked atomic.Int32
	tg := newTarget(t, srv.URL, Options{Credential: func() (credentials.Secret, error) {
		asked.Add(1)
		return credentials.Secret{}, fmt.Errorf("keyring: %w", credentials.ErrNotFound)
	}})
	doc, data := uploadtest.NewDoc("a2", "a.pdf", 1000, 3)
	_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrAuth) || upload.IsTemporary(err) {
		t.Fatalf("Put without a stored password: %v, want ErrAuth, not temporary", err)
	}
	// Fixed in the keyring: the same Target uses it at the next Put.
	tg.opts.Credential = func() (credentials.Secret, error) { asked.Add(1); return credentials.NewSecret(testPassword), nil }
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
		t.Fatalf("Put once the password is stored: %v", err)
	}
	if asked.Load() != 2 {
		t.Errorf("the credential was asked %d times, want once per Put", asked.Load())
	}
	checkOne(t, srv, data)
}

func TestBearerToken(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{Token: "tok-3f9a"})
	doc, data := uploadtest.NewDoc("b1", "b.pdf", 5000, 4)
	_, err := newTarget(t, srv.URL, Options{Bearer: true, Credential: password("tok-wrong")}).Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrAuth) {
		t.Fatalf("Put with a wrong token: %v, want ErrAuth", err)
	}
	if _, err := newTarget(t, srv.URL, Options{Bearer: true, Credential: password("tok-3f9a")}).Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
		t.Fatal(err)
	}
	checkOne(t, srv, data)
}

// fault answers the n-th request of a method with a status instead of
// passing it on to tusd.
type fault struct {
	method string
	nth    int32
	code   int
	header map[string]string
	seen   atomic.Int32
}

func (f *fault) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == f.method && f.seen.Add(1) == f.nth {
			for k, v := range f.header {
				w.Header().Set(k, v)
			}
			io.Copy(io.Discard, r.Body)
			http.Error(w, http.StatusText(f.code), f.code)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func TestHTTPFaults(t *testing.T) {
	tests := []struct {
		name      string
		fault     *fault
		temporary bool
		delay     time.Duration
		auth      bool
	}{
		{"503 on the second chunk, then it passes", &fault{method: http.MethodPatch, nth: 2, code: http.StatusServiceUnavailable}, true, 0, false},
		{"429 Retry-After on creation", &fault{method: http.MethodPost, nth: 1, code: http.StatusTooManyRequests, header: map[string]string{"Retry-After": "7"}}, true, 7 * time.Second, false},
		{"503 Retry-After on the final check", &fault{method: http.MethodHead, nth: 1, code: http.StatusServiceUnavailable, header: map[string]string{"Retry-After": "2"}}, true, 2 * time.Second, false},
		{"401 on a chunk", &fault{method: http.MethodPatch, nth: 1, code: http.StatusUnauthorized}, false, 0, true},
		{"423 locked chunk", &fault{method: http.MethodPatch, nth: 1, code: http.StatusLocked}, true, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTusd(t, testenv.TusdOptions{Wrap: tt.fault.wrap})
			tg := newTarget(t, srv.URL, Options{ChunkSize: 64 << 10})
			doc, data := uploadtest.NewDoc("f1", "f.pdf", 200_000, 5)
			cp := &uploadtest.Checkpoints{}
			doc.Checkpoint = cp.Save
			var err error
			for attempt := 1; attempt <= 3; attempt++ {
				doc.Resume = cp.Last()
				_, err = tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
				if err == nil {
					break
				}
				if attempt > 1 {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				if upload.IsTemporary(err) != tt.temporary {
					t.Errorf("%v: temporary %v, want %v", err, upload.IsTemporary(err), tt.temporary)
				}
				if d, _ := upload.Delay(err); d != tt.delay {
					t.Errorf("%v: delay %v, want %v", err, d, tt.delay)
				}
				if errors.Is(err, upload.ErrAuth) != tt.auth {
					t.Errorf("%v: ErrAuth %v, want %v", err, errors.Is(err, upload.ErrAuth), tt.auth)
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.fault.seen.Load() < tt.fault.nth {
				t.Fatalf("the fault was never hit (%d %s)", tt.fault.seen.Load(), tt.fault.method)
			}
			checkOne(t, srv, data)
		})
	}
}

// TestConflictAndChecksum puts a layer in front of tusd that speaks the
// Checksum extension (tusd does not) and damages the first chunk, that
// answers one chunk with an offset conflict (409) and one as taken over
// by another request: the Put goes through all of it.
func TestConflictAndChecksum(t *testing.T) {
	var mismatches, conflicts, interrupts, checked atomic.Int32
	var mu sync.Mutex
	algs := map[string]bool{}
	layer := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.Method {
			case http.MethodOptions:
				w.Header().Set("Tus-Checksum-Algorithm", "md5,sha1,sha256")
				cw := &extensionWriter{ResponseWriter: w}
				next.ServeHTTP(cw, r)
				return
			case http.MethodPatch:
				if r.Header.Get("Upload-Offset") == "131072" && conflicts.Add(1) == 1 {
					http.Error(w, "mismatched offset", http.StatusConflict)
					return
				}
				if r.Header.Get("Upload-Offset") == "196608" && interrupts.Add(1) == 1 {
					// What tusd answers when a late request takes the upload over.
					http.Error(w, "ERR_UPLOAD_INTERRUPTED: upload has been interrupted by another request for this upload resource", http.StatusBadRequest)
					return
				}
				alg, sum, _ := strings.Cut(r.Header.Get("Upload-Checksum"), " ")
				mu.Lock()
				algs[alg] = true
				mu.Unlock()
				buf, err := io.ReadAll(r.Body)
				if err != nil {
					return
				}
				if mismatches.Load() == 0 {
					buf[len(buf)/2] ^= 0xff // damaged on the way
				}
				h := sha256.Sum256(buf)
				if alg != "sha256" || sum != base64.StdEncoding.EncodeToString(h[:]) {
					mismatches.Add(1)
					http.Error(w, "checksum mismatch", statusChecksumMismatch)
					return
				}
				checked.Add(1)
				r.Body = io.NopCloser(bytes.NewReader(buf))
			}
			next.ServeHTTP(w, r)
		})
	}
	srv := startTusd(t, testenv.TusdOptions{Wrap: layer})
	tg := newTarget(t, srv.URL, Options{ChunkSize: 64 << 10})
	doc, data := uploadtest.NewDoc("k1", "k.pdf", 300_000, 6)
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
		t.Fatal(err)
	}
	checkOne(t, srv, data)
	if mismatches.Load() != 1 || conflicts.Load() != 2 || interrupts.Load() != 2 || checked.Load() != 5 {
		t.Errorf("%d mismatches, %d PATCHes at the conflict offset, %d at the interrupted one, %d checked chunks; want 1, 2, 2, 5", mismatches.Load(), conflicts.Load(), interrupts.Load(), checked.Load())
	}
	if len(algs) != 1 || !algs["sha256"] {
		t.Errorf("checksum algorithms used: %v, want sha256 only", algs)
	}
}

// extensionWriter adds "checksum" to the Tus-Extension tusd announces.
type extensionWriter struct {
	http.ResponseWriter
}

func (w *extensionWriter) WriteHeader(code int) {
	if e := w.Header().Get("Tus-Extension"); e != "" {
		w.Header().Set("Tus-Extension", e+",checksum")
	}
	w.ResponseWriter.WriteHeader(code)
}

func TestTooLarge(t *testing.T) {
	hideMax := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				http.NotFound(w, r) // a server that does not say: the POST is refused
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	for _, tt := range []struct {
		name string
		wrap func(http.Handler) http.Handler
		want string
	}{
		{"announced", nil, "its maximum of 100000 bytes"},
		{"refused", hideMax, "413"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startTusd(t, testenv.TusdOptions{MaxSize: 100_000, Wrap: tt.wrap})
			doc, data := uploadtest.NewDoc("l1", "big.pdf", 150_000, 7)
			_, err := newTarget(t, srv.URL, Options{}).Put(ctx(t), doc, uploadtest.NewBody(data).Open)
			if err == nil || upload.IsTemporary(err) || errors.Is(err, upload.ErrNoSpace) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "150000 bytes") {
				t.Fatalf("Put of a document over the server's maximum: %v (temporary %v), want a permanent refusal naming the sizes", err, upload.IsTemporary(err))
			}
		})
	}
}

// TestCutEveryConnection is the outbox's case: a 5 MB document through a
// link that drops every connection after about 3 MB gets through in a few
// Puts, each continuing from what the server holds, into one upload.
func TestCutEveryConnection(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	proxy := testenv.StartProxy(t, srv.Addr)
	proxy.Set(testenv.Faults{CutAfter: 3_000_000, Jitter: 300_000})
	tg := newTarget(t, "http://"+proxy.Addr+"/files/", Options{})
	doc, data := uploadtest.NewDoc("c1", "five.pdf", 5_000_000, 8)
	cp := &uploadtest.Checkpoints{}
	doc.Checkpoint = cp.Save
	var r upload.Receipt
	var err error
	attempts := 0
	for attempts < 5 {
		attempts++
		doc.Resume = cp.Last()
		if r, err = tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err == nil {
			break
		}
		if !upload.IsTemporary(err) {
			t.Fatalf("attempt %d: %v is not temporary", attempts, err)
		}
	}
	if err != nil {
		t.Fatalf("not delivered after %d attempts: %v", attempts, err)
	}
	if attempts < 2 || proxy.Cuts() == 0 {
		t.Errorf("delivered in %d attempts with %d cuts: the proxy did not cut", attempts, proxy.Cuts())
	}
	t.Logf("delivered in %d Puts over %d connections, %d cut", attempts, proxy.Accepted(), proxy.Cuts())
	if attempts > 3 {
		t.Errorf("took %d attempts, want at most 3", attempts)
	}
	if r.Size != doc.Size || r.SHA256 != doc.SHA256 {
		t.Errorf("receipt %+v", r)
	}
	checkOne(t, srv, data)
	// Once more, as after a lost answer: nothing sent again.
	doc.Resume = cp.Last()
	if r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil || !r.Already {
		t.Fatalf("Put of a delivered document: %+v, %v; want Already", r, err)
	}
	checkOne(t, srv, data)
}

func TestStall(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	proxy := testenv.StartProxy(t, srv.Addr)
	proxy.Set(testenv.Faults{StallAfter: 200_000})
	tg := newTarget(t, "http://"+proxy.Addr+"/files/", Options{Net: upload.Net{Idle: time.Second}})
	doc, data := uploadtest.NewDoc("s1", "stall.pdf", 1_000_000, 9)
	cp := &uploadtest.Checkpoints{}
	doc.Checkpoint = cp.Save
	_, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if err == nil || !upload.IsTemporary(err) || !upload.IsTransport(err) {
		t.Fatalf("Put through a stalled link: %v, want a temporary transport error", err)
	}
	proxy.Set(testenv.Faults{})
	doc.Resume = cp.Last()
	if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
		t.Fatalf("Put once the link is back: %v", err)
	}
	checkOne(t, srv, data)
}

// TestSlowLink sends a chunk that takes several idle periods to go out
// while bytes keep moving: slow is not stalled.
func TestSlowLink(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	// One chunk of 400 kB at 160 kB/s: 2.5 s, the idle limit 1 s, a read
	// every 0.1 s.
	tg := newTarget(t, srv.URL, Options{Net: upload.Net{Idle: time.Second}})
	doc, data := uploadtest.NewDoc("w1", "slow.pdf", 400_000, 10)
	body := func(off int64) (io.ReadCloser, error) {
		rc, err := uploadtest.NewBody(data).Open(off)
		return io.NopCloser(&slowReader{r: rc, every: 100 * time.Millisecond, size: 16 << 10}), err
	}
	if _, err := tg.Put(ctx(t), doc, body); err != nil {
		t.Fatalf("Put over a slow link: %v", err)
	}
	checkOne(t, srv, data)
}

// slowReader gives size bytes per read, one read every so often.
type slowReader struct {
	r     io.Reader
	every time.Duration
	size  int
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.every)
	if len(p) > s.size {
		p = p[:s.size]
	}
	return s.r.Read(p)
}

// TestExpired: the server drops an unfinished upload between two
// attempts; the next Put makes a new one and completes it.
func TestExpired(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	doc, data := uploadtest.NewDoc("e1", "expired.pdf", 2_000_000, 11)
	saved, endpoint := cutOnce(t, srv, doc, data, 1_000_000)
	old := srv.Uploads(t)[0]
	srv.Expire(t, old.ID)
	doc.Resume = saved
	cp := &uploadtest.Checkpoints{}
	doc.Checkpoint = cp.Save
	body := uploadtest.NewBody(data)
	r, err := newTarget(t, endpoint, Options{}).Put(ctx(t), doc, body.Open)
	if err != nil {
		t.Fatalf("Put after the upload expired: %v", err)
	}
	if offs := body.Offsets(); len(offs) == 0 || offs[0] != 0 {
		t.Errorf("offsets %v, want a new upload from 0", offs)
	}
	up := checkOne(t, srv, data)
	if up.ID == old.ID || r.ServerID == saved.Token || cp.Last().Token != r.ServerID {
		t.Errorf("expired upload %s, new %s, receipt %s, saved %s", old.ID, up.ID, r.ServerID, cp.Last().Token)
	}
}

func TestTLS(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{TLS: true})
	doc, data := uploadtest.NewDoc("t1", "tls.pdf", 100_000, 12)
	_, err := newTarget(t, srv.URL, Options{}).Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrUntrusted) || upload.IsTemporary(err) {
		t.Fatalf("Put to an unknown certificate: %v, want ErrUntrusted, not temporary", err)
	}
	if !strings.Contains(err.Error(), srv.Fingerprint) {
		t.Errorf("the refusal does not say how to pin the certificate: %v", err)
	}
	if len(srv.Uploads(t)) != 0 {
		t.Error("an upload was created on an untrusted server")
	}
	for name, n := range map[string]upload.Net{
		"pin": {Pins: []string{srv.Fingerprint}},
		"ca":  {CAFile: srv.CAFile},
	} {
		t.Run(name, func(t *testing.T) {
			doc := doc
			doc.ID = "t1-" + name
			tg := newTarget(t, srv.URL, Options{Net: n})
			if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil {
				t.Fatalf("Put with %s: %v", name, err)
			}
		})
	}
	wrong := strings.Repeat("AB:", 31) + "AB"
	_, err = newTarget(t, srv.URL, Options{Net: upload.Net{Pins: []string{"sha256:" + wrong}}}).Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if !errors.Is(err, upload.ErrUntrusted) {
		t.Errorf("Put with another pin: %v, want ErrUntrusted", err)
	}
}

func TestNewRefuses(t *testing.T) {
	for _, o := range []Options{
		{URL: "ftp://depot/files/"},
		{URL: "https://user:pw@depot/files/"},
		{URL: "https://depot/files/", Headers: map[string]string{"Authorization": "Bearer x"}},
		{URL: "https://depot/files/", Headers: map[string]string{"upload-offset": "0"}},
		{URL: "https://depot/files/", Bearer: true},
		{URL: "https://depot/files/", User: "a:b"},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		} else if strings.Contains(err.Error(), "pw@") {
			t.Errorf("New shows the password: %v", err)
		}
	}
}

func TestStatOpenDelete(t *testing.T) {
	srv := startTusd(t, testenv.TusdOptions{})
	tg := newTarget(t, srv.URL, Options{})
	doc, data := uploadtest.NewDoc("o1", "o.pdf", 70_000, 13)
	r, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
	if err != nil {
		t.Fatal(err)
	}
	id := srv.Uploads(t)[0].ID
	// By id, relative to the endpoint, as well as by URL.
	if info, err := tg.Stat(ctx(t), id); err != nil || info.Size != doc.Size {
		t.Errorf("Stat by id: %+v, %v", info, err)
	}
	same, _, err := upload.Same(ctx(t), tg, r.ServerID, doc)
	if err != nil || !same {
		t.Errorf("Same: %v, %v", same, err)
	}
	if _, err := tg.Stat(ctx(t), "https://elsewhere.example/files/"+id); err == nil || upload.IsTemporary(err) {
		t.Errorf("Stat on another server: %v, want a permanent refusal", err)
	}
}
