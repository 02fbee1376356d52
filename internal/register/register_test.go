package register

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/audit"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/db"
)

func TestFormat(t *testing.T) {
	for _, tc := range []struct {
		c    config.Register
		k    Kind
		want string
	}{
		{config.Register{}, Incoming, "2026/A/000123"},
		{config.Register{Format: "AJR/{year}/{code}/{seq:6}"}, Incoming, "AJR/2026/A/000123"},
		{config.Register{Format: "{register}-{yy}-{seq}", Codes: config.RegisterCodes{Outgoing: "S"}}, Outgoing, "outgoing-26-123"},
		{config.Register{Format: "BO {code}{yy}.{seq:4}", Codes: config.RegisterCodes{Outgoing: "S"}}, Outgoing, "BO S26.0123"},
		{config.Register{Format: "{year}/{code}/{seq:2}"}, Internal, "2026/I/123"},
	} {
		f, err := NewFormat(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Number(tc.k, 2026, 123); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.c, got, tc.want)
		}
	}
	for _, c := range []config.Register{
		{Format: "{year}/{code}"},
		{Format: "{code}/{seq}"},
		{Format: "{year}/{seq}"},
		{Format: "{year}/{code}/{seq:0}"},
		{Format: "{year}/{code}/{seq:x}"},
		{Format: "{year}/{code}/{num}"},
		{Format: "{year}/{code}/{seq"},
		{Format: "{year:4}/{code}/{seq}"},
		{Codes: config.RegisterCodes{Incoming: "D"}},
	} {
		if _, err := NewFormat(c); err == nil {
			t.Errorf("%+v was taken", c)
		}
	}
}

func open(t *testing.T, dir string, now func() time.Time) *Register {
	t.Helper()
	f, _ := NewFormat(config.Register{Format: "AJR/{year}/{code}/{seq:6}"})
	r, err := Open(t.Context(), dir, Options{Format: f, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// Several handles on the same data, each in its own goroutine, take
// distinct numbers with no gap, per register and per year.
func TestConcurrentNumbers(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	got := make(chan Entry, 200)
	for w := range 4 {
		r := open(t, dir, nil)
		wg.Go(func() {
			for i := range 25 {
				k := Incoming
				if i%2 == 1 {
					k = Outgoing
				}
				e, err := r.Add(t.Context(), Draft{Kind: k, Description: Description{Subject: fmt.Sprintf("w%d-%d", w, i)}})
				if err != nil {
					t.Error(err)
					return
				}
				got <- e
			}
		})
	}
	wg.Wait()
	close(got)
	seqs := map[Kind]map[int64]bool{Incoming: {}, Outgoing: {}}
	numbers := map[string]bool{}
	for e := range got {
		if seqs[e.Kind][e.Seq] || numbers[e.Number] {
			t.Errorf("%s given twice", e.Number)
		}
		seqs[e.Kind][e.Seq], numbers[e.Number] = true, true
		if want := fmt.Sprintf("AJR/%d/%s/%06d", e.Year, map[Kind]string{Incoming: "A", Outgoing: "D"}[e.Kind], e.Seq); e.Number != want {
			t.Errorf("%s, want %s", e.Number, want)
		}
	}
	for k, s := range seqs {
		if len(s) != map[Kind]int{Incoming: 52, Outgoing: 48}[k] {
			t.Errorf("%s: %d numbers", k, len(s))
		}
		for i := int64(1); i <= int64(len(s)); i++ {
			if !s[i] {
				t.Errorf("%s: %d missing", k, i)
			}
		}
	}
	r := open(t, dir, nil)
	es, _ := r.List(t.Context(), Filter{})
	for i := 1; i < len(es); i++ {
		if es[i].Registered.Before(es[i-1].Registered) {
			t.Errorf("%s registered before %s", es[i].Number, es[i-1].Number)
		}
	}
	if rep, err := r.Audit().Verify(t.Context()); err != nil || !rep.OK() || rep.Count != 100 {
		t.Errorf("audit: %+v %v", rep, err)
	}
}

func TestNewYear(t *testing.T) {
	now := time.Date(2026, 12, 31, 23, 59, 0, 0, time.Local)
	r := open(t, t.TempDir(), func() time.Time { return now })
	a, _ := r.Add(t.Context(), Draft{Kind: Incoming})
	b, _ := r.Add(t.Context(), Draft{Kind: Incoming})
	now = now.Add(2 * time.Minute)
	c, _ := r.Add(t.Context(), Draft{Kind: Incoming})
	if a.Number != "AJR/2026/A/000001" || b.Number != "AJR/2026/A/000002" || c.Number != "AJR/2027/A/000001" {
		t.Errorf("%s %s %s", a.Number, b.Number, c.Number)
	}
}

func TestLifecycle(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, nil)
	ctx := t.Context()
	e, err := r.Reserve(ctx, Draft{Kind: Incoming, File: "/x/a.pdf", Description: Description{Sender: "Wilaya"}})
	if err != nil || e.State != Pending || e.Operator == "" || e.Workstation == "" {
		t.Fatalf("%+v %v", e, err)
	}
	if e, err = r.Complete(ctx, e.Number, "/x/a.pdf", "aa", 3); err != nil || e.State != Registered || e.Pages != 3 {
		t.Fatalf("%+v %v", e, err)
	}
	if _, err := r.Complete(ctx, e.Number, "/x/a.pdf", "aa", 3); err != nil {
		t.Errorf("completing again: %v", err)
	}
	if _, err := r.Complete(ctx, e.Number, "/x/b.pdf", "bb", 3); err == nil {
		t.Error("completed twice with different documents")
	}
	if _, err := r.Void(ctx, e.Number, ""); err == nil {
		t.Error("voided without a reason")
	}
	if v, err := r.Void(ctx, e.Number, "registered twice by mistake"); err != nil || v.State != Void || v.Note == "" {
		t.Errorf("%+v %v", v, err)
	}
	if _, err := r.Get(ctx, "AJR/1999/A/000001"); err == nil {
		t.Error("found what was never registered")
	}
	// Deliveries are recorded once per key, attached to the entry.
	d := Delivery{ID: 7, Key: "k7", Target: "archives", Location: "/srv/a.pdf", SHA256: "aa", Time: time.Now()}
	for range 2 {
		if _, err := r.RecordDelivery(ctx, e.Number, d); err != nil {
			t.Fatal(err)
		}
	}
	r.RecordDelivery(ctx, "", Delivery{Key: "k8", Location: "/srv/b.pdf"})
	got, _ := r.Get(ctx, e.Number)
	if len(got.Deliveries) != 1 || got.Deliveries[0].Location != "/srv/a.pdf" {
		t.Errorf("%+v", got.Deliveries)
	}
	log, _ := r.Audit().List(ctx, audit.Filter{})
	var actions []string
	for _, a := range log {
		actions = append(actions, string(a.Action))
	}
	if strings.Join(actions, " ") != "numbered registered voided delivered delivered" {
		t.Errorf("audit: %v", actions)
	}
}

// A pending entry of a process that died is completed when its PDF
// carries its number, voided otherwise; a live process's is left alone.
func TestRecover(t *testing.T) {
	dir := t.TempDir()
	r := open(t, dir, nil)
	ctx := t.Context()
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "missing.pdf")
	a, _ := r.Reserve(ctx, Draft{Kind: Incoming, File: out})
	b, _ := r.Reserve(ctx, Draft{Kind: Incoming, File: out})
	raw, err := db.Open(filepath.Join(dir, "demat.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.Exec(`UPDATE register_entries SET owner_pid = ? WHERE number = ?`, dead.Process.Pid, a.Number)
	got, err := r.Recover(ctx)
	if err != nil || len(got) != 1 || got[0].Number != a.Number || got[0].State != Void || !strings.Contains(got[0].Note, "interrupted") {
		t.Fatalf("%+v %v", got, err)
	}
	if e, _ := r.Get(ctx, b.Number); e.State != Pending {
		t.Errorf("the live one is %s", e.State)
	}
	// The next number follows: the voided one stays used.
	if c, _ := r.Add(ctx, Draft{Kind: Incoming}); c.Seq != 3 {
		t.Errorf("next is %d", c.Seq)
	}
}

func TestSearchAndCSV(t *testing.T) {
	r := open(t, t.TempDir(), nil)
	ctx := t.Context()
	descs := []Description{
		{Sender: "وزارة العدل", Subject: "طَلَب, \"عاجل\"", Reference: "=HYPERLINK(\"http://x\")"},
		{Sender: "Société Générale, Casablanca", Subject: "Réclamation\nsur deux lignes", Reference: "-12"},
		{Sender: "Commune", Subject: "Permis", Reference: "+2126"},
	}
	for i, d := range descs {
		k := Incoming
		if i == 2 {
			k = Internal
		}
		if _, err := r.Add(ctx, Draft{Kind: k, Description: d, SHA256: "ab", Pages: i + 1}); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]int{"reclamation": 1, "طلب": 1, "وزارة": 1, "SOCIÉTÉ": 1, "/A/": 2, "nothing": 0, "": 3} {
		if es, _ := r.List(ctx, Filter{Text: q}); len(es) != want {
			t.Errorf("search %q: %d, want %d", q, len(es), want)
		}
	}
	if es, _ := r.List(ctx, Filter{Kind: Internal}); len(es) != 1 {
		t.Errorf("internal: %d", len(es))
	}
	tomorrow := time.Now().Add(24 * time.Hour)
	if es, _ := r.List(ctx, Filter{From: tomorrow}); len(es) != 0 {
		t.Errorf("from tomorrow: %d", len(es))
	}
	if es, _ := r.List(ctx, Filter{To: tomorrow}); len(es) != 3 {
		t.Errorf("to tomorrow: %d", len(es))
	}
	es, _ := r.List(ctx, Filter{})
	var b bytes.Buffer
	if err := WriteCSV(&b, es); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("\xef\xbb\xbfnumber,register,")) {
		t.Fatalf("no BOM: %q", b.String()[:20])
	}
	recs, err := csv.NewReader(bytes.NewReader(b.Bytes()[3:])).ReadAll()
	if err != nil || len(recs) != 4 {
		t.Fatalf("%d records: %v", len(recs), err)
	}
	for i, d := range descs {
		rec := recs[i+1]
		if rec[5] != d.Sender || rec[7] != d.Subject {
			t.Errorf("row %d: %q %q", i, rec[5], rec[7])
		}
	}
	if recs[1][8] != "'=HYPERLINK(\"http://x\")" || recs[2][8] != "-12" || recs[3][8] != "+2126" {
		t.Errorf("references: %q %q %q", recs[1][8], recs[2][8], recs[3][8])
	}
}
