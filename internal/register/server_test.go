package register

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/demat-app/demat/internal/audit"
	"github.com/demat-app/demat/internal/config"
)

func openNumbering(t *testing.T, dir, numbering string) *Register {
	t.Helper()
	f, _ := NewFormat(config.Register{Format: "AJR/{year}/{code}/{seq:6}"})
	r, err := Open(t.Context(), dir, Options{Format: f, Numbering: numbering})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// An entry numbered locally keeps its number; the server's is recorded
// with the delivery, found by search and lookup, exported, and unique.
func TestServerNumberLocalRegister(t *testing.T) {
	r := openNumbering(t, t.TempDir(), "")
	ctx := t.Context()
	a, _ := r.Add(ctx, Draft{Kind: Incoming, Description: Description{Sender: "Commune"}})
	b, _ := r.Add(ctx, Draft{Kind: Incoming, Description: Description{Sender: "Wilaya"}})
	d := Delivery{ID: 1, Key: "k1", Target: "bo", Location: "https://bo/1", Number: "BO-2026-77", Time: time.Now()}
	if ok, err := r.RecordDelivery(ctx, a.Number, d); !ok || err != nil {
		t.Fatal(ok, err)
	}
	got, err := r.Get(ctx, "BO-2026-77")
	if err != nil || got.Number != a.Number || got.ServerNumber != "BO-2026-77" || got.Provisional != "" || got.State != Registered {
		t.Fatalf("%+v %v", got, err)
	}
	if es, _ := r.List(ctx, Filter{Text: "bo-2026"}); len(es) != 1 || es[0].Number != a.Number {
		t.Errorf("search: %+v", es)
	}
	// The same number for another entry is refused, and recorded.
	_, err = r.RecordDelivery(ctx, b.Number, Delivery{ID: 2, Key: "k2", Target: "bo", Number: "BO-2026-77"})
	if !errors.Is(err, ErrServerNumberTaken) || !strings.Contains(err.Error(), a.Number) {
		t.Fatalf("duplicate: %v", err)
	}
	got, _ = r.Get(ctx, b.Number)
	if got.ServerNumber != "" || len(got.Deliveries) != 1 || !strings.Contains(got.Deliveries[0].NumberNote, "already the number of "+a.Number) {
		t.Errorf("%+v", got)
	}
	// A number equal to another entry's own number is refused too.
	if _, err := r.RecordDelivery(ctx, b.Number, Delivery{ID: 3, Key: "k3", Target: "bo", Number: a.Number}); !errors.Is(err, ErrServerNumberTaken) {
		t.Errorf("own number of another: %v", err)
	}
	// Reported once per delivery.
	if ok, err := r.RecordDelivery(ctx, b.Number, Delivery{ID: 2, Key: "k2", Target: "bo", Number: "BO-2026-77"}); ok || err != nil {
		t.Errorf("again: %v %v", ok, err)
	}
	// A second delivery of a with another number leaves a's alone.
	r.RecordDelivery(ctx, a.Number, Delivery{ID: 4, Key: "k4", Target: "bo2", Number: "X-1"})
	if got, _ := r.Get(ctx, a.Number); got.ServerNumber != "BO-2026-77" || !strings.Contains(got.Deliveries[1].NumberNote, "not taken") {
		t.Errorf("%+v", got)
	}
	trail, _ := r.Audit().List(ctx, audit.Filter{Subject: b.Number})
	var refused bool
	for _, e := range trail {
		var det map[string]any
		json.Unmarshal(e.Details, &det)
		refused = refused || (e.Action == audit.Delivered && det["number"] == "BO-2026-77" && strings.Contains(det["number_note"].(string), "refused"))
	}
	if !refused {
		t.Errorf("the refused number is not in the audit trail: %+v", trail)
	}
	es, _ := r.List(ctx, Filter{})
	var buf bytes.Buffer
	WriteCSV(&buf, es)
	recs, _ := csv.NewReader(bytes.NewReader(buf.Bytes()[3:])).ReadAll()
	h := recs[0]
	if h[len(h)-2] != "server_number" || recs[1][len(h)-2] != "BO-2026-77" || recs[1][len(h)-1] != a.Number || recs[1][0] != a.Number {
		t.Errorf("csv: %q %q", h, recs[1])
	}
}

// Under server numbering, an entry has a provisional local number until
// a delivery gives the server's, which then is its number; the local
// sequence stays gapless.
func TestServerNumbering(t *testing.T) {
	dir := t.TempDir()
	r := openNumbering(t, dir, ServerNumbering)
	ctx := t.Context()
	if _, err := r.Add(ctx, Draft{Kind: Incoming}); !errors.Is(err, ErrServerNumbering) {
		t.Fatalf("add: %v", err)
	}
	a, err := r.Reserve(ctx, Draft{Kind: Incoming, File: "/x/a.pdf"})
	if err != nil || a.Provisional != a.Number || a.Seq != 1 {
		t.Fatalf("%+v %v", a, err)
	}
	b, _ := r.Reserve(ctx, Draft{Kind: Incoming, File: "/x/b.pdf"})
	if b.Seq != 2 {
		t.Errorf("seq %d", b.Seq)
	}
	a, err = r.Complete(ctx, a.Number, "/x/a.pdf", "aa", 1)
	if err != nil || a.State != AwaitingNumber {
		t.Fatalf("%+v %v", a, err)
	}
	if again, err := r.Complete(ctx, a.Number, "/x/a.pdf", "aa", 1); err != nil || again.State != AwaitingNumber {
		t.Errorf("complete again: %+v %v", again, err)
	}
	local := a.Number
	if _, err := r.RecordDelivery(ctx, local, Delivery{Key: "k1", Target: "bo", Number: "BO/9"}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{local, "BO/9"} {
		got, err := r.Get(ctx, n)
		if err != nil || got.Number != "BO/9" || got.Provisional != local || got.State != Registered || got.Local() != local {
			t.Errorf("%s: %+v %v", n, got, err)
		}
	}
	if b, _ = r.Complete(ctx, b.Number, "/x/b.pdf", "bb", 1); b.State != AwaitingNumber {
		t.Errorf("%+v", b)
	}
	trail, _ := r.Audit().List(ctx, audit.Filter{Subject: local})
	var actions []string
	for _, e := range trail {
		actions = append(actions, string(e.Action))
	}
	if strings.Join(actions, " ") != "numbered awaiting-number delivered registered" {
		t.Errorf("audit: %v", actions)
	}
	// The server's number finds the entry for every operation.
	if v, err := r.Void(ctx, "BO/9", "sent to the wrong desk"); err != nil || v.State != Void {
		t.Errorf("%+v %v", v, err)
	}
	if got, _ := r.Get(ctx, local); got.State != Void {
		t.Errorf("%+v", got)
	}
	// Back to local numbering: entries keep what they were.
	r.Close()
	r2 := openNumbering(t, dir, "")
	if got, _ := r2.Get(ctx, "BO/9"); got.Number != "BO/9" || got.Provisional != local {
		t.Errorf("%+v", got)
	}
	c, _ := r2.Add(ctx, Draft{Kind: Incoming})
	if c.Seq != 3 || c.Provisional != "" {
		t.Errorf("%+v", c)
	}
}
