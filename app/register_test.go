package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/demat-app/demat/internal/register"
)

// fillRegister registers three items in the fixture's register: mail
// from a ministry written in Arabic (scanned, then delivered), a reply,
// and an item voided. It returns their entries in that order.
func fillRegister(t *testing.T, f *fixture) []register.Entry {
	t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256([]byte("the ministry's letter"))
	drafts := []register.Draft{
		{Kind: register.Incoming, Description: register.Description{Received: "2025-03-12T10:15:00+01:00", Sender: "وزارة الداخلية",
			Subject: "Demande de permis de construire", Reference: "MI/2025/417"},
			File: "/srv/courrier/2025-A-000001.pdf", SHA256: hex.EncodeToString(sum[:]), Pages: 3},
		{Kind: register.Outgoing, Description: register.Description{Received: "2025-03-13", Sender: "Bureau d'ordre",
			Recipient: "Commune de Salé", Subject: "Réponse à la demande"}, Pages: 1},
		{Kind: register.Incoming, Description: register.Description{Received: "2025-03-14", Sender: "Société Atlas", Subject: "Facture de mars"}},
	}
	var es []register.Entry
	for _, d := range drafts {
		e, err := f.reg.Add(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		es = append(es, e)
	}
	if _, err := f.reg.Void(ctx, es[2].Number, "registered twice"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.reg.RecordDelivery(ctx, es[0].Number, register.Delivery{ID: 7, Key: "k7", Target: "archives",
		Location: "https://archives.example/2025/permis.pdf", Size: 52311, SHA256: es[0].SHA256, Verified: "sha256", Time: day}); err != nil {
		t.Fatal(err)
	}
	return es
}

// TestRegister: the Register tab lists a real register newest first,
// the search and the register choice narrow it, and the selected entry
// shows every field, its hash and where it was delivered.
func TestRegister(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			f := newFixture(t, l.Code, nil)
			w := f.w
			es := fillRegister(t, f)
			v := w.register
			if v == nil {
				t.Fatal("no Register tab with a register")
			}
			w.show(v.content)
			f.ui.until(t, "the register", v.loaded)
			numbers := func() (ns []string) {
				for _, e := range v.items {
					ns = append(ns, e.Number)
				}
				return ns
			}
			if got := numbers(); len(got) != 3 || got[0] != es[2].Number || got[2] != es[0].Number {
				t.Fatalf("listed %q, want the three newest first", got)
			}
			if !v.empty.Hidden {
				t.Error("the empty register's words are shown over entries")
			}
			golden(t, f.win.Canvas(), l.Code+"/register.xml")

			// Arabic is found without its article, French without its
			// accents.
			test.Type(v.search, "داخلية")
			f.ui.until(t, "the search", v.loaded)
			if got := numbers(); len(got) != 1 || got[0] != es[0].Number {
				t.Fatalf("searching the ministry lists %q", got)
			}
			v.search.SetText("sale")
			f.ui.until(t, "the search", v.loaded)
			if got := numbers(); len(got) != 1 || got[0] != es[1].Number {
				t.Fatalf("searching Salé lists %q", got)
			}
			v.search.SetText("")
			v.kind.SetSelected(directions()[0].label) // incoming
			f.ui.until(t, "the register choice", v.loaded)
			if got := numbers(); len(got) != 2 || got[0] != es[2].Number || got[1] != es[0].Number {
				t.Fatalf("the incoming register lists %q", got)
			}
			r := newEntryRow()
			r.set(v.items[0])
			if !strings.Contains(r.title.Text, tr(l.Code, "register.void")) {
				t.Errorf("the voided entry reads %q", r.title.Text)
			}
			v.search.SetText("nothing like it")
			f.ui.until(t, "the search", v.loaded)
			if len(v.items) != 0 || v.empty.Hidden || v.empty.Text != tr(l.Code, "register.nomatch") {
				t.Errorf("no match: %d entries, words %q shown %v", len(v.items), v.empty.Text, !v.empty.Hidden)
			}

			v.search.SetText("MI/2025")
			f.ui.until(t, "the search", v.loaded)
			if len(v.items) != 1 {
				t.Fatalf("searching the reference lists %q", numbers())
			}
			v.list.Select(0)
			d := v.details.Text
			for _, want := range []string{es[0].Number, "وزارة الداخلية", "Demande de permis de construire", "MI/2025/417",
				"2025-03-12T10:15:00+01:00", es[0].SHA256, "https://archives.example/2025/permis.pdf", tr(l.Code, "direction.incoming"),
				tr(l.Code, "field.sender")} {
				if !strings.Contains(d, want) {
					t.Errorf("the details lack %q:\n%s", want, d)
				}
			}
			// The selection stays when the tab is shown again.
			w.tabs.SelectIndex(0)
			w.show(v.content)
			f.ui.until(t, "the register", v.loaded)
			if v.selected != es[0].Number || v.details.Text != d {
				t.Errorf("after showing the tab again, selected %q", v.selected)
			}
			if f.ui.n.Load() == 0 {
				t.Error("no UI update went through fyne.Do")
			}
		})
	}
}

// TestRegisterEmpty: an empty register says where entries come from;
// no register, no tab.
func TestRegisterEmpty(t *testing.T) {
	f := newFixture(t, "fr", nil)
	v := f.w.register
	f.w.show(v.content)
	f.ui.until(t, "the register", v.loaded)
	if v.empty.Hidden || v.empty.Text != tr("fr", "register.empty") {
		t.Errorf("empty register: %q shown %v", v.empty.Text, !v.empty.Hidden)
	}
	g := newFixture(t, "en", func(s *Services) { s.Register = nil })
	if g.w.register != nil {
		t.Error("a Register tab without a register")
	}
	for _, it := range g.w.tabs.Items {
		if it.Text == tr("en", "tab.register") {
			t.Error("a Register tab without a register")
		}
	}
}
