// Package uploadtest is the conformance suite every upload.Target
// passes: delivery byte for byte, idempotent retries, no second copy, no
// temporary name left behind, resumption after a broken transfer,
// conflicts refused, cancellation honoured.
//
// It is imported by tests only.
package uploadtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/demat-app/demat/upload"
)

// Harness describes a target under test.
type Harness struct {
	// New gives a target on a fresh, empty destination; each call of the
	// suite's subtests gets its own.
	New func(t *testing.T) Destination
	// NoNames: the server chooses where documents go (tus); the
	// conflict test is skipped and Destination.List is keyed by the
	// server's own names.
	NoNames bool
	// Resumes: a second Put after a broken one continues from where the
	// first stopped rather than starting again.
	Resumes bool
}

// Destination is a target and a view of what it stores.
type Destination struct {
	Target upload.Target
	// List gives every file stored (including hidden and temporary ones)
	// with its bytes, keyed by '/'-separated path, or by the server's
	// name for a NoNames target (where only finished uploads count).
	List func(t *testing.T) map[string][]byte
}

// Run runs the suite.
func Run(t *testing.T, h Harness) {
	t.Run("Deliver", func(t *testing.T) { testDeliver(t, h) })
	t.Run("Again", func(t *testing.T) { testAgain(t, h) })
	t.Run("Conflict", func(t *testing.T) { testConflict(t, h) })
	t.Run("Broken", func(t *testing.T) { testBroken(t, h) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, h) })
	t.Run("Parallel", func(t *testing.T) { testParallel(t, h) })
	t.Run("StatDelete", func(t *testing.T) { testStatDelete(t, h) })
}

// NewDoc makes a document of size pseudo-random bytes (seeded, so that
// two docs of the same seed are equal) to be delivered at name.
func NewDoc(id, name string, size int, seed uint64) (upload.Doc, []byte) {
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	copy(data, "%PDF-1.7\n")
	sum := sha256.Sum256(data)
	return upload.Doc{
		ID: id, Name: name, Size: int64(size), SHA256: hex.EncodeToString(sum[:]),
		ContentType: "application/pdf",
		Meta:        map[string]string{"title": "Courrier " + id, "reference": "AJR/2026/" + id},
	}, data
}

// Body serves data, recording the offsets it was opened at.
type Body struct {
	data []byte
	// FailAfter, when positive, makes every reader fail with an
	// unexpected EOF once this many bytes of the whole document have
	// been read (a connection cut, seen from the client).
	FailAfter int64
	mu        sync.Mutex
	offsets   []int64
}

// NewBody serves data.
func NewBody(data []byte) *Body { return &Body{data: data} }

// Open is an upload.Body.
func (b *Body) Open(off int64) (io.ReadCloser, error) {
	if off < 0 || off > int64(len(b.data)) {
		return nil, fmt.Errorf("offset %d out of range", off)
	}
	b.mu.Lock()
	b.offsets = append(b.offsets, off)
	b.mu.Unlock()
	var r io.Reader = bytes.NewReader(b.data[off:])
	if b.FailAfter > 0 {
		r = &failing{r: r, left: b.FailAfter - off}
	}
	return io.NopCloser(r), nil
}

// Offsets are the offsets Open was called with.
func (b *Body) Offsets() []int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]int64(nil), b.offsets...)
}

type failing struct {
	r    io.Reader
	left int64
}

func (f *failing) Read(p []byte) (int, error) {
	if f.left <= 0 {
		return 0, fmt.Errorf("test body: connection lost: %w", io.ErrUnexpectedEOF)
	}
	if int64(len(p)) > f.left {
		p = p[:f.left]
	}
	n, err := f.r.Read(p)
	f.left -= int64(n)
	return n, err
}

// Checkpoints keeps what a target saves, as the outbox would.
type Checkpoints struct {
	mu   sync.Mutex
	last upload.Resume
	n    int
}

// Save is a Doc.Checkpoint.
func (c *Checkpoints) Save(r upload.Resume) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.last = r
	c.n++
	return nil
}

// Last is the last state saved.
func (c *Checkpoints) Last() upload.Resume {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// CheckStored fails the test unless the destination holds exactly want
// (name → bytes), with nothing else: no temporary file, no second copy.
// For a NoNames target the names are not compared, only the contents.
func CheckStored(t *testing.T, h Harness, d Destination, want map[string][]byte) {
	t.Helper()
	got := d.List(t)
	if h.NoNames {
		count := map[string]int{}
		for _, v := range got {
			count[hash(v)]++
		}
		for _, v := range want {
			count[hash(v)]--
		}
		for k, n := range count {
			if n != 0 {
				t.Errorf("content %s… stored %+d times more than wanted (stored %d files, want %d)", k[:12], n, len(got), len(want))
			}
		}
		return
	}
	for name, v := range got {
		w, ok := want[name]
		switch {
		case !ok:
			t.Errorf("unexpected file %q (%d bytes) at the destination", name, len(v))
		case !bytes.Equal(v, w):
			t.Errorf("%q: stored %d bytes (sha256 %s…), want %d (%s…)", name, len(v), hash(v)[:12], len(w), hash(w)[:12])
		}
	}
	for name := range want {
		if _, ok := got[name]; !ok {
			t.Errorf("%q is missing at the destination; stored: %v", name, keys(got))
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

func hash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func checkReceipt(t *testing.T, r upload.Receipt, doc upload.Doc) {
	t.Helper()
	if r.Size != doc.Size || !strings.EqualFold(r.SHA256, doc.SHA256) {
		t.Errorf("receipt says %d bytes sha256 %s, want %d %s", r.Size, r.SHA256, doc.Size, doc.SHA256)
	}
	if r.Location == "" || r.Time.IsZero() || (r.Verified != "size" && r.Verified != "sha256") {
		t.Errorf("incomplete receipt %+v", r)
	}
	if u, err := url.Parse(r.Location); err == nil && u.User != nil {
		t.Errorf("receipt location %q carries user information", r.Location)
	}
}

func testDeliver(t *testing.T, h Harness) {
	d := h.New(t)
	name := "2026/arrivée/مراسلة رقم 12.pdf"
	doc, data := NewDoc("d1", name, 1<<20+12345, 1)
	r, err := d.Target.Put(ctx(t), doc, NewBody(data).Open)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	checkReceipt(t, r, doc)
	if r.Already {
		t.Error("first delivery reported as already there")
	}
	CheckStored(t, h, d, map[string][]byte{name: data})
}

func testAgain(t *testing.T, h Harness) {
	d := h.New(t)
	cp := &Checkpoints{}
	doc, data := NewDoc("d2", "a/b.pdf", 300_001, 2)
	doc.Checkpoint = cp.Save
	if _, err := d.Target.Put(ctx(t), doc, NewBody(data).Open); err != nil {
		t.Fatalf("Put: %v", err)
	}
	// The answer was lost: the outbox tries again with what it saved.
	doc.Resume = cp.Last()
	r, err := d.Target.Put(ctx(t), doc, NewBody(data).Open)
	if err != nil {
		t.Fatalf("second Put: %v", err)
	}
	checkReceipt(t, r, doc)
	if !r.Already {
		t.Error("second Put of a delivered document did not say it was already there")
	}
	CheckStored(t, h, d, map[string][]byte{"a/b.pdf": data})
}

func testConflict(t *testing.T, h Harness) {
	if h.NoNames {
		t.Skip("the server names documents itself")
	}
	d := h.New(t)
	doc1, data1 := NewDoc("c1", "same.pdf", 50_000, 3)
	doc2, _ := NewDoc("c2", "same.pdf", 50_000, 4)
	if _, err := d.Target.Put(ctx(t), doc1, NewBody(data1).Open); err != nil {
		t.Fatalf("Put: %v", err)
	}
	_, err := d.Target.Put(ctx(t), doc2, NewBody(nil).Open)
	if !errors.Is(err, upload.ErrExists) {
		t.Fatalf("Put over another document: %v, want ErrExists", err)
	}
	if upload.IsTemporary(err) {
		t.Error("a conflict is classed temporary")
	}
	CheckStored(t, h, d, map[string][]byte{"same.pdf": data1})
}

func testBroken(t *testing.T, h Harness) {
	d := h.New(t)
	cp := &Checkpoints{}
	doc, data := NewDoc("b1", "broken.pdf", 3<<20, 5)
	doc.Checkpoint = cp.Save
	body := NewBody(data)
	body.FailAfter = 2 << 20
	_, err := d.Target.Put(ctx(t), doc, body.Open)
	if err == nil {
		t.Fatal("Put with a body that breaks succeeded")
	}
	if !upload.IsTemporary(err) {
		t.Errorf("a broken transfer is not temporary: %v", err)
	}
	doc.Resume = cp.Last()
	body2 := NewBody(data)
	r, err := d.Target.Put(ctx(t), doc, body2.Open)
	if err != nil {
		t.Fatalf("Put after a broken one: %v", err)
	}
	checkReceipt(t, r, doc)
	if h.Resumes {
		offs := body2.Offsets()
		if len(offs) == 0 || offs[0] == 0 {
			t.Errorf("the second Put started again from offsets %v, want a resume", offs)
		}
	}
	CheckStored(t, h, d, map[string][]byte{"broken.pdf": data})
}

func testCancel(t *testing.T, h Harness) {
	d := h.New(t)
	doc, data := NewDoc("x1", "cancel.pdf", 4<<20, 6)
	c, cancel := context.WithCancel(ctx(t))
	body := func(off int64) (io.ReadCloser, error) {
		rc, err := NewBody(data).Open(off)
		return io.NopCloser(&cancelling{r: rc, at: 1 << 20, cancel: cancel}), err
	}
	_, err := d.Target.Put(c, doc, body)
	if err == nil {
		t.Fatal("a cancelled Put succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled Put: %v, want context.Canceled", err)
	}
	r, err := d.Target.Put(ctx(t), doc, NewBody(data).Open)
	if err != nil {
		t.Fatalf("Put after a cancelled one: %v", err)
	}
	checkReceipt(t, r, doc)
	CheckStored(t, h, d, map[string][]byte{"cancel.pdf": data})
}

type cancelling struct {
	r      io.Reader
	n, at  int64
	cancel func()
}

func (c *cancelling) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n >= c.at {
		c.cancel()
		// Let the cancellation reach the transport before more bytes.
		time.Sleep(50 * time.Millisecond)
	}
	return n, err
}

func testParallel(t *testing.T, h Harness) {
	d := h.New(t)
	want := map[string][]byte{}
	docs := make([]upload.Doc, 6)
	bodies := make([][]byte, 6)
	for i := range docs {
		docs[i], bodies[i] = NewDoc(fmt.Sprintf("p%d", i), fmt.Sprintf("dir%d/p%d.pdf", i%2, i), 200_000+i, uint64(10+i))
		want[docs[i].Name] = bodies[i]
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for i := range docs {
		wg.Go(func() {
			if _, err := d.Target.Put(ctx(t), docs[i], NewBody(bodies[i]).Open); err != nil {
				t.Errorf("Put %s: %v", docs[i].Name, err)
				failed.Add(1)
			}
		})
	}
	wg.Wait()
	if failed.Load() == 0 {
		CheckStored(t, h, d, want)
	}
}

func testStatDelete(t *testing.T, h Harness) {
	d := h.New(t)
	doc, data := NewDoc("s1", "x/stat.pdf", 12_345, 20)
	r, err := d.Target.Put(ctx(t), doc, NewBody(data).Open)
	if err != nil {
		t.Fatalf("Put: %v", err)
	}
	name := doc.Name
	if h.NoNames {
		name = r.ServerID
	}
	if st, ok := d.Target.(upload.Stater); ok {
		info, err := st.Stat(ctx(t), name)
		if err != nil || info.Size != doc.Size {
			t.Errorf("Stat %s = %+v, %v; want size %d", name, info, err, doc.Size)
		}
		if _, err := st.Stat(ctx(t), "x/nothing-here.pdf"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a missing file: %v, want fs.ErrNotExist", err)
		}
	}
	if op, ok := d.Target.(upload.Opener); ok {
		rc, err := op.Open(ctx(t), name)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("Open read %d bytes (%v), want the %d delivered", len(got), err, len(data))
		}
	}
	if del, ok := d.Target.(upload.Deleter); ok {
		if err := del.Delete(ctx(t), name); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		CheckStored(t, h, d, map[string][]byte{})
	}
}
