package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/db"
)

func open(t *testing.T) (*Log, *sql.DB) {
	t.Helper()
	dir := t.TempDir()
	l, err := Open(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	// A second connection, as someone with the database file would use.
	raw, err := db.Open(filepath.Join(dir, DBName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return l, raw
}

func fill(t *testing.T, l *Log, n int) []Entry {
	t.Helper()
	var out []Entry
	for i := range n {
		e, err := l.Append(t.Context(), Entry{
			Action: Registered, Subject: fmt.Sprintf("AJR/2026/A/%06d", i+1),
			Hashes:  map[string]string{"pdf": strings.Repeat("ab", 32)},
			Details: json.RawMessage(`{"sender": "وزارة العدل, \"الرباط\"", "pages": 3}`),
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestChain(t *testing.T) {
	l, _ := open(t)
	es := fill(t, l, 5)
	for i, e := range es {
		if e.Seq != int64(i+1) || e.Hash == "" || (i > 0 && e.Prev != es[i-1].Hash) || e.Who == "" {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	if string(es[0].Details) != `{"pages":3,"sender":"وزارة العدل, \"الرباط\""}` {
		t.Errorf("details not canonical: %s", es[0].Details)
	}
	rep, err := l.Verify(t.Context())
	if err != nil || !rep.OK() || rep.Count != 5 || rep.Head != es[4].Hash {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	got, err := l.List(t.Context(), Filter{})
	if err != nil || len(got) != 5 {
		t.Fatalf("list: %d %v", len(got), err)
	}
	for i := range got {
		if got[i].Hash != es[i].Hash || !got[i].Time.Equal(es[i].Time) || got[i].Hashes["pdf"] != es[i].Hashes["pdf"] {
			t.Errorf("listed %+v, appended %+v", got[i], es[i])
		}
	}
	// An empty trail is intact.
	l2, _ := open(t)
	if rep, err := l2.Verify(t.Context()); err != nil || !rep.OK() || rep.Count != 0 {
		t.Errorf("empty: %+v %v", rep, err)
	}
}

// Every way of tampering with the table directly is found, at the right
// entry.
func TestTamper(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sql    []string
		broken int64
		says   string
	}{
		{"altered subject", []string{`UPDATE audit_log SET subject = 'AJR/2026/A/999999' WHERE seq = 3`}, 3, "altered"},
		{"altered details", []string{`UPDATE audit_log SET details = '{"pages":4}' WHERE seq = 2`}, 2, "altered"},
		{"altered time", []string{`UPDATE audit_log SET time = '2020-01-01T00:00:00.000Z' WHERE seq = 4`}, 4, "altered"},
		{"removed middle", []string{`DELETE FROM audit_log WHERE seq = 3`}, 3, "removed"},
		{"removed first", []string{`DELETE FROM audit_log WHERE seq = 1`}, 1, "removed"},
		{"removed last", []string{`DELETE FROM audit_log WHERE seq = 6`}, 6, "removed"},
		{"removed last and head", []string{`DELETE FROM audit_log WHERE seq = 6`, `UPDATE audit_head SET seq = 5, hash = (SELECT hash FROM audit_log WHERE seq = 5)`}, 0, ""},
		{"swapped", []string{`UPDATE audit_log SET seq = -1 WHERE seq = 2`, `UPDATE audit_log SET seq = 2 WHERE seq = 3`, `UPDATE audit_log SET seq = 3 WHERE seq = -1`}, 2, ""},
		{"rehashed", nil, 2, "does not chain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, raw := open(t)
			es := fill(t, l, 6)
			for _, q := range tc.sql {
				if _, err := raw.Exec(q); err != nil {
					t.Fatal(err)
				}
			}
			if tc.name == "rehashed" {
				// A forger who knows the encoding rewrites entry 2 and its
				// own hash, but cannot fix entry 3's link without
				// rewriting everything after.
				e := es[1]
				e.Subject = "forged"
				h := hashOf(e)
				if _, err := raw.Exec(`UPDATE audit_log SET subject = ?, hash = ? WHERE seq = 2`, e.Subject, h); err != nil {
					t.Fatal(err)
				}
			}
			rep, err := l.Verify(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if tc.name == "removed last and head" {
				// Removing the end and rewriting the head is beyond what a
				// chain can see; the head hash people noted is the defence.
				if !rep.OK() || rep.Head == es[5].Hash {
					t.Errorf("%+v", rep)
				}
				return
			}
			if rep.OK() || rep.Broken != tc.broken || !strings.Contains(rep.Problem, tc.says) {
				t.Errorf("got %+v; want broken at %d saying %q", rep, tc.broken, tc.says)
			}
		})
	}
}

// Appends after a removed last entry do not hide the removal.
func TestAppendAfterRemoval(t *testing.T) {
	l, raw := open(t)
	fill(t, l, 3)
	raw.Exec(`DELETE FROM audit_log WHERE seq = 3`)
	fill(t, l, 1)
	rep, _ := l.Verify(t.Context())
	if rep.OK() || rep.Broken != 3 {
		t.Errorf("%+v", rep)
	}
}

// Entries appended in a transaction that rolls back leave no trace; Ref
// makes an event recorded once.
func TestAppendTx(t *testing.T) {
	l, raw := open(t)
	ctx := context.Background()
	tx, _ := raw.BeginTx(ctx, nil)
	if _, err := AppendTx(ctx, tx, Entry{Action: Delivered, Ref: "k1"}); err != nil {
		t.Fatal(err)
	}
	tx.Rollback()
	for range 2 {
		tx, _ := raw.BeginTx(ctx, nil)
		done, err := Recorded(ctx, tx, Delivered, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if !done {
			AppendTx(ctx, tx, Entry{Action: Delivered, Ref: "k1"})
		}
		tx.Commit()
	}
	es, _ := l.List(ctx, Filter{})
	if len(es) != 1 || es[0].Seq != 1 {
		t.Errorf("%+v", es)
	}
	if _, err := l.Append(ctx, Entry{Action: Edited, Details: json.RawMessage(`[1]`)}); err == nil {
		t.Error("details that are not an object were taken")
	}
}
