package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/folder"
	"github.com/demat-app/demat/upload/uploadtest"
)

// fast is a back-off for tests: retries within milliseconds.
var fast = Backoff{Base: 5 * time.Millisecond, Max: 20 * time.Millisecond}

func newOutbox(t *testing.T, dir string) *Outbox {
	t.Helper()
	o, err := Open(t.Context(), dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// writeDoc writes a document of size bytes to a file and returns its
// path and bytes.
func writeDoc(t *testing.T, dir, name string, size int, seed uint64) (string, []byte) {
	t.Helper()
	_, data := uploadtest.NewDoc("x", name, size, seed)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, data
}

// faulty wraps a target: it fails the first attempts with chosen errors,
// counts Puts per document and the most at once.
type faulty struct {
	upload.Target
	mu       sync.Mutex
	fail     []error
	puts     map[string]int
	now, top atomic.Int32
	delay    time.Duration
}

func (f *faulty) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	n := f.now.Add(1)
	defer f.now.Add(-1)
	for {
		top := f.top.Load()
		if n <= top || f.top.CompareAndSwap(top, n) {
			break
		}
	}
	f.mu.Lock()
	if f.puts == nil {
		f.puts = map[string]int{}
	}
	f.puts[doc.ID]++
	var err error
	if len(f.fail) > 0 {
		err, f.fail = f.fail[0], f.fail[1:]
	}
	f.mu.Unlock()
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return upload.Receipt{}, ctx.Err()
		}
	}
	if err != nil {
		return upload.Receipt{}, err
	}
	return f.Target.Put(ctx, doc, body)
}

func targets(t upload.Target, l Limits) Targets {
	return TargetsFunc(func(name string) (upload.Target, Limits, error) {
		if name != "depot" {
			return nil, Limits{}, fmt.Errorf("no target named %q", name)
		}
		return t, l, nil
	})
}

func folderTarget(t *testing.T) (*folder.Target, string) {
	root := filepath.Join(t.TempDir(), "depot")
	ft, err := folder.New(root)
	if err != nil {
		t.Fatal(err)
	}
	return ft, root
}

func TestDeliver(t *testing.T) {
	dir := t.TempDir()
	o := newOutbox(t, dir)
	ft, root := folderTarget(t)
	src, data := writeDoc(t, t.TempDir(), "courrier.pdf", 100_000, 1)
	d, err := o.Add(t.Context(), "depot", src, "2026/courrier.pdf", map[string]string{"reference": "A/1"})
	if err != nil {
		t.Fatal(err)
	}
	if d.State != Pending || d.Size != 100_000 || d.Meta["reference"] != "A/1" {
		t.Fatalf("queued %+v", d)
	}
	// The source may go: the outbox has its own copy.
	os.Remove(src)
	var states []State
	var mu sync.Mutex
	err = o.Run(t.Context(), RunOptions{Targets: targets(ft, Limits{}), Backoff: fast, Notify: func(d Delivery) {
		mu.Lock()
		states = append(states, d.State)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Delivered || got.Receipt == nil || got.Receipt.SHA256 != d.SHA256 || got.Receipt.Verified != "sha256" {
		t.Fatalf("after run: %+v receipt %+v", got, got.Receipt)
	}
	if b, err := os.ReadFile(filepath.Join(root, "2026", "courrier.pdf")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("delivered file: %v", err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "spool")); len(ents) != 0 {
		t.Errorf("spool not emptied after delivery: %d files", len(ents))
	}
	if len(states) < 2 || states[0] != Sending || states[len(states)-1] != Delivered {
		t.Errorf("notified states %v", states)
	}
}

func TestRetries(t *testing.T) {
	ft, _ := folderTarget(t)
	tmp := errors.New("connection reset")
	cases := []struct {
		name      string
		fail      []error
		mode      Mode
		want      State
		attempts  int
		errSubstr string
	}{
		{"temporary then ok", []error{upload.Temporary(tmp), upload.Temporary(tmp)}, Settled, Delivered, 3, ""},
		{"503 then ok", []error{&upload.StatusError{Op: "PUT", Code: 503, Status: "503 Service Unavailable"}}, Settled, Delivered, 2, ""},
		{"permanent", []error{upload.Permanent(errors.New("the server refuses PDFs"))}, Settled, Failed, 1, "refuses PDFs"},
		{"credentials", []error{fmt.Errorf("PUT: 401: %w", upload.ErrAuth)}, Settled, NeedsCredentials, 1, "demat credentials set depot-password"},
		{"full then ok", []error{upload.Temporary(upload.ErrNoSpace)}, Settled, Delivered, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newOutbox(t, t.TempDir())
			f := &faulty{Target: ft, fail: append([]error(nil), c.fail...)}
			src, _ := writeDoc(t, t.TempDir(), "a.pdf", 1000, 2)
			d, err := o.Add(t.Context(), "depot", src, strings.ReplaceAll(c.name, " ", "_")+".pdf", nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Run(t.Context(), RunOptions{Targets: targets(f, Limits{Credential: "depot-password"}), Backoff: fast}); err != nil {
				t.Fatal(err)
			}
			got, _ := o.Get(t.Context(), d.ID)
			if got.State != c.want || got.Attempts != c.attempts || !strings.Contains(got.Error, c.errSubstr) {
				t.Errorf("state %s after %d attempts (%q), want %s after %d containing %q", got.State, got.Attempts, got.Error, c.want, c.attempts, c.errSubstr)
			}
			if c.want == NeedsCredentials && !strings.Contains(got.Error, fmt.Sprintf("demat outbox retry %d", d.ID)) {
				t.Errorf("message %q does not say how to retry", got.Error)
			}
			if c.want != Delivered {
				// Fixed: a retry delivers it.
				if err := o.Retry(t.Context(), d.ID); err != nil {
					t.Fatal(err)
				}
				if err := o.Run(t.Context(), RunOptions{Targets: targets(f, Limits{}), Backoff: fast}); err != nil {
					t.Fatal(err)
				}
				if got, _ := o.Get(t.Context(), d.ID); got.State != Delivered {
					t.Errorf("after retry: %s (%s)", got.State, got.Error)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	ft, _ := folderTarget(t)
	o := newOutbox(t, t.TempDir())
	f := &faulty{Target: ft, fail: []error{upload.RetryAfter(errors.New("429 Too Many Requests"), 2*time.Minute)}}
	src, _ := writeDoc(t, t.TempDir(), "a.pdf", 1000, 3)
	d, _ := o.Add(t.Context(), "depot", src, "a.pdf", nil)
	before := time.Now()
	if err := o.Run(t.Context(), RunOptions{Targets: targets(f, Limits{}), Backoff: fast, Mode: Due}); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Pending || got.NextAt.Before(before.Add(119*time.Second)) {
		t.Fatalf("after a 429 with Retry-After 120: %s, next at %v (in %v)", got.State, got.NextAt, got.NextAt.Sub(before))
	}
	// A pass now does not try it again before its time.
	if err := o.Run(t.Context(), RunOptions{Targets: targets(f, Limits{}), Backoff: fast, Mode: Due}); err != nil {
		t.Fatal(err)
	}
	if f.puts[d.Key] != 1 {
		t.Errorf("tried %d times, want 1 before the server's time", f.puts[d.Key])
	}
}

func TestBackoffGrows(t *testing.T) {
	r := &runner{opt: RunOptions{Backoff: Backoff{Base: time.Second, Max: time.Minute}}}
	for n, want := range map[int]time.Duration{1: time.Second, 2: 2 * time.Second, 4: 8 * time.Second, 10: time.Minute} {
		for range 20 {
			if d := r.backoff(n); d < want/2 || d > want {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, d, want/2, want)
			}
		}
	}
}

func TestConflictTakesNextName(t *testing.T) {
	ft, root := folderTarget(t)
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "a.pdf"), []byte("another document"), 0o644)
	o := newOutbox(t, t.TempDir())
	src, data := writeDoc(t, t.TempDir(), "a.pdf", 5000, 4)
	d, _ := o.Add(t.Context(), "depot", src, "a.pdf", nil)
	if err := o.Run(t.Context(), RunOptions{Targets: targets(ft, Limits{}), Backoff: fast}); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Delivered || got.Dest != "a-2.pdf" {
		t.Fatalf("state %s dest %q (%s)", got.State, got.Dest, got.Error)
	}
	if b, _ := os.ReadFile(filepath.Join(root, "a-2.pdf")); !bytes.Equal(b, data) {
		t.Error("a-2.pdf is not the document")
	}
	if b, _ := os.ReadFile(filepath.Join(root, "a.pdf")); string(b) != "another document" {
		t.Error("the other document was overwritten")
	}
}

func TestParallelLimit(t *testing.T) {
	ft, _ := folderTarget(t)
	o := newOutbox(t, t.TempDir())
	f := &faulty{Target: ft, delay: 30 * time.Millisecond}
	dir := t.TempDir()
	for i := range 8 {
		src, _ := writeDoc(t, dir, fmt.Sprintf("d%d.pdf", i), 1000, uint64(i))
		o.Add(t.Context(), "depot", src, filepath.Base(src), nil)
	}
	if err := o.Run(t.Context(), RunOptions{Targets: targets(f, Limits{Parallel: 3}), Backoff: fast, Workers: 8}); err != nil {
		t.Fatal(err)
	}
	if top := f.top.Load(); top != 3 {
		t.Errorf("at most %d transfers at once, want the target's limit 3", top)
	}
	c, _ := o.Counts(t.Context())
	if c[Delivered] != 8 {
		t.Errorf("counts %v", c)
	}
}

// TestTwoProcesses runs two outboxes on the same data folder at once, as
// the window and a CLI batch would: every document goes exactly once.
func TestTwoProcesses(t *testing.T) {
	ft, root := folderTarget(t)
	dir := t.TempDir()
	a, b := newOutbox(t, dir), newOutbox(t, dir)
	f := &faulty{Target: ft, delay: 5 * time.Millisecond}
	src := t.TempDir()
	for i := range 30 {
		p, _ := writeDoc(t, src, fmt.Sprintf("d%02d.pdf", i), 2000, uint64(100+i))
		if _, err := a.Add(t.Context(), "depot", p, filepath.Base(p), nil); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, o := range []*Outbox{a, b} {
		wg.Go(func() {
			if err := o.Run(t.Context(), RunOptions{Targets: targets(f, Limits{Parallel: 4}), Backoff: fast}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for k, n := range f.puts {
		if n != 1 {
			t.Errorf("%s sent %d times", k, n)
		}
	}
	if len(f.puts) != 30 {
		t.Errorf("%d documents sent, want 30", len(f.puts))
	}
	ents, _ := os.ReadDir(root)
	if len(ents) != 30 {
		t.Errorf("%d files at the destination, want 30", len(ents))
	}
}

// TestOrphan: a delivery left "sending" by a process that died (kill -9)
// is taken up by the next run without waiting for its lease.
func TestOrphan(t *testing.T) {
	ft, _ := folderTarget(t)
	o := newOutbox(t, t.TempDir())
	src, _ := writeDoc(t, t.TempDir(), "a.pdf", 1000, 5)
	d, _ := o.Add(t.Context(), "depot", src, "a.pdf", nil)
	host, _ := os.Hostname()
	// A pid that is not running: a finished child's.
	dead := deadPID(t)
	_, err := o.db.Exec(`UPDATE deliveries SET state = ?, owner = ?, lease_until = ? WHERE id = ?`,
		Sending, fmt.Sprintf("%s:%d:dead", host, dead), time.Now().Add(time.Hour).UnixMilli(), d.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := o.Run(ctx, RunOptions{Targets: targets(ft, Limits{}), Backoff: fast}); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.Get(t.Context(), d.ID); got.State != Delivered {
		t.Fatalf("orphan: %s", got.State)
	}
	// One held by a live process (this one, another owner string) is left
	// alone until its lease runs out.
	d2, _ := o.Add(t.Context(), "depot", src, "b.pdf", nil)
	o.db.Exec(`UPDATE deliveries SET state = ?, owner = ?, lease_until = ? WHERE id = ?`,
		Sending, fmt.Sprintf("%s:%d:other", host, os.Getppid()), time.Now().Add(time.Hour).UnixMilli(), d2.ID)
	if err := o.Run(t.Context(), RunOptions{Targets: targets(ft, Limits{}), Backoff: fast, Mode: Due}); err != nil {
		t.Fatal(err)
	}
	if got, _ := o.Get(t.Context(), d2.ID); got.State != Sending {
		t.Fatalf("a live owner's delivery was taken: %s", got.State)
	}
}

func TestCancelKeepsPending(t *testing.T) {
	ft, _ := folderTarget(t)
	o := newOutbox(t, t.TempDir())
	f := &faulty{Target: ft, delay: 10 * time.Second}
	src, _ := writeDoc(t, t.TempDir(), "a.pdf", 1000, 6)
	d, _ := o.Add(t.Context(), "depot", src, "a.pdf", nil)
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for f.now.Load() == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	if err := o.Run(ctx, RunOptions{Targets: targets(f, Limits{}), Backoff: fast}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Pending || got.Attempts != 0 || got.Error != "" {
		t.Fatalf("after cancel: %s, %d attempts, %q", got.State, got.Attempts, got.Error)
	}
}

func TestUnknownTargetFails(t *testing.T) {
	o := newOutbox(t, t.TempDir())
	src, _ := writeDoc(t, t.TempDir(), "a.pdf", 1000, 7)
	d, _ := o.Add(t.Context(), "gone", src, "a.pdf", nil)
	ft, _ := folderTarget(t)
	if err := o.Run(t.Context(), RunOptions{Targets: targets(ft, Limits{}), Backoff: fast}); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Failed || !strings.Contains(got.Error, `"gone"`) {
		t.Fatalf("%s %q", got.State, got.Error)
	}
}

func TestForgetAndSweep(t *testing.T) {
	dir := t.TempDir()
	o := newOutbox(t, dir)
	src, _ := writeDoc(t, t.TempDir(), "a.pdf", 1000, 8)
	d, _ := o.Add(t.Context(), "depot", src, "a.pdf", nil)
	if err := o.Forget(t.Context(), d.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Get(t.Context(), d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after Forget: %v", err)
	}
	// A spooled copy without a delivery (a crash between the two) is
	// removed once it is old.
	stray := filepath.Join(dir, "spool", "stray.pdf")
	os.WriteFile(stray, []byte("x"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(stray, old, old)
	if err := o.Sweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "spool")); len(ents) != 0 {
		t.Errorf("spool holds %d files after sweep", len(ents))
	}
}

// resumable is a target that keeps what it receives and resumes, to
// check the outbox saves and gives back the position.
type resumable struct {
	mu    sync.Mutex
	held  map[string][]byte
	cutAt int64 // each attempt takes at most this many bytes
}

func (r *resumable) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	r.mu.Lock()
	held := r.held[doc.ID]
	r.mu.Unlock()
	if int64(len(held)) != doc.Resume.Offset {
		return upload.Receipt{}, upload.Permanent(fmt.Errorf("resume at %d, server holds %d", doc.Resume.Offset, len(held)))
	}
	rc, err := body(int64(len(held)))
	if err != nil {
		return upload.Receipt{}, err
	}
	defer rc.Close()
	chunk, _ := io.ReadAll(io.LimitReader(rc, r.cutAt))
	held = append(held, chunk...)
	r.mu.Lock()
	r.held[doc.ID] = held
	r.mu.Unlock()
	doc.Checkpoint(upload.Resume{Token: "u/" + doc.ID, Offset: int64(len(held))})
	if int64(len(held)) < doc.Size {
		return upload.Receipt{}, fmt.Errorf("cut: %w", io.ErrUnexpectedEOF)
	}
	return upload.Receipt{Location: "u/" + doc.ID, Size: doc.Size, SHA256: doc.SHA256, Time: time.Now(), Verified: "size"}, nil
}

func TestResumeProgressRetriesAtOnce(t *testing.T) {
	o := newOutbox(t, t.TempDir())
	rt := &resumable{held: map[string][]byte{}, cutAt: 100_000}
	src, data := writeDoc(t, t.TempDir(), "a.pdf", 1_000_000, 9)
	d, _ := o.Add(t.Context(), "depot", src, "a.pdf", nil)
	// A back-off of an hour: only progress-driven retries can finish.
	if err := o.Run(t.Context(), RunOptions{Targets: targets(rt, Limits{}), Backoff: Backoff{Base: time.Hour, Max: time.Hour}}); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Delivered || got.Attempts != 10 || !bytes.Equal(rt.held[d.Key], data) {
		t.Fatalf("%s after %d attempts", got.State, got.Attempts)
	}
}

func deadPID(t *testing.T) int {
	t.Helper()
	p, err := os.StartProcess("/bin/true", []string{"true"}, &os.ProcAttr{})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := p.Wait()
	return st.Pid()
}
