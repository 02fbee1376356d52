package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/demat-app/demat/internal/db"
)

// Action says what happened.
type Action string

// The actions demat records.
const (
	// Captured: pages became a PDF (scanned or read from files).
	Captured Action = "captured"
	// Numbered: the register gave a number, before the PDF carrying it
	// was written.
	Numbered Action = "numbered"
	// Registered: a register entry is complete (its PDF's hash known).
	Registered Action = "registered"
	// Signed: a PDF was signed.
	Signed Action = "signed"
	// Delivered: the outbox delivered a PDF to a target.
	Delivered Action = "delivered"
	// Edited: a register entry's description changed.
	Edited Action = "edited"
	// Voided: a register entry was voided; its number stays used.
	Voided Action = "voided"
	// AwaitingNumber: the document of a register entry numbered by the
	// server is complete; the entry is registered (Registered, with the
	// server's number) when a delivery's answer gives the number.
	AwaitingNumber Action = "awaiting-number"
)

// Entry is one line of the trail.
type Entry struct {
	// Seq numbers the entries 1, 2, 3… with no gap.
	Seq    int64     `json:"seq"`
	Time   time.Time `json:"time"`
	Action Action    `json:"action"`
	// Who is the operating-system user, Where the workstation's host
	// name.
	Who   string `json:"who"`
	Where string `json:"where"`
	// Device is the scanner, when pages came from one.
	Device string `json:"device,omitempty"`
	// Subject is what the entry is about: a registration number, else a
	// file or a destination.
	Subject string `json:"subject,omitempty"`
	// Ref is a stable key of the event, for events recorded once however
	// many times they are reported (an outbox delivery's key).
	Ref string `json:"ref,omitempty"`
	// Hashes are the hex SHA-256 of the documents involved, by role
	// ("pdf", "unsigned", "signed").
	Hashes map[string]string `json:"hashes,omitempty"`
	// Details is a JSON object of anything else worth keeping.
	Details json.RawMessage `json:"details,omitempty"`
	// Prev is the previous entry's Hash ("" for the first), Hash this
	// one's.
	Prev string `json:"prev"`
	Hash string `json:"hash"`
}

var schema = []string{
	`CREATE TABLE audit_log (
		seq INTEGER PRIMARY KEY,
		time TEXT NOT NULL,
		action TEXT NOT NULL,
		who TEXT NOT NULL,
		place TEXT NOT NULL,
		device TEXT NOT NULL DEFAULT '',
		subject TEXT NOT NULL DEFAULT '',
		ref TEXT NOT NULL DEFAULT '',
		hashes TEXT NOT NULL DEFAULT '{}',
		details TEXT NOT NULL DEFAULT '{}',
		prev TEXT NOT NULL,
		hash TEXT NOT NULL
	);
	CREATE INDEX audit_log_ref ON audit_log(action, ref) WHERE ref != '';
	CREATE INDEX audit_log_subject ON audit_log(subject);
	CREATE TABLE audit_head (
		id INTEGER PRIMARY KEY CHECK (id = 1),
		seq INTEGER NOT NULL,
		hash TEXT NOT NULL
	);`,
}

// Migrate creates or updates the audit tables in d.
func Migrate(ctx context.Context, d *sql.DB) error {
	if err := db.Migrate(ctx, d, "audit", schema); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// Log is the audit trail of one database. It is safe for concurrent use,
// also by several processes: each append is one immediate transaction.
type Log struct {
	db  *sql.DB
	own bool
	now func() time.Time
}

// DBName is the database's file name in the data folder, the one the
// outbox and the register use.
const DBName = "demat.db"

// Open opens the trail in the data folder dir (config.DataDir).
func Open(ctx context.Context, dir string) (*Log, error) {
	d, err := db.Open(filepath.Join(dir, DBName))
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if err := Migrate(ctx, d); err != nil {
		d.Close()
		return nil, err
	}
	return &Log{db: d, own: true, now: time.Now}, nil
}

// New uses a database already opened and migrated (Migrate) by the
// caller, who keeps closing it.
func New(d *sql.DB) *Log { return &Log{db: d, now: time.Now} }

// Close closes the database if Open opened it.
func (l *Log) Close() error {
	if l.own {
		return l.db.Close()
	}
	return nil
}

var origin struct {
	once       sync.Once
	who, where string
}

// Origin is who and where this process runs: the OS user's login name
// and the host name, what entries record when the caller leaves them
// empty.
func Origin() (who, where string) {
	origin.once.Do(func() {
		if u, err := user.Current(); err == nil && u.Username != "" {
			origin.who = u.Username
		} else if v := os.Getenv("USER"); v != "" {
			origin.who = v
		} else {
			origin.who = os.Getenv("USERNAME")
		}
		origin.where, _ = os.Hostname()
	})
	return origin.who, origin.where
}

// Append records e (its Seq, Time, Prev and Hash are filled in) and
// returns it as recorded.
func (l *Log) Append(ctx context.Context, e Entry) (Entry, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	e, err = AppendTx(ctx, tx, e)
	if err != nil {
		return Entry{}, err
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	return e, nil
}

// AppendTx records e inside the caller's transaction, which must be an
// immediate one (internal/db opens them so): the entry exists if and
// only if the transaction commits. Who and Where default to Origin, Time
// to now.
func AppendTx(ctx context.Context, tx *sql.Tx, e Entry) (Entry, error) {
	if e.Action == "" {
		return Entry{}, errors.New("audit: an entry needs an action")
	}
	who, where := Origin()
	if e.Who == "" {
		e.Who = who
	}
	if e.Where == "" {
		e.Where = where
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	// The time is kept as text to the millisecond, in UTC, so that what
	// is hashed is what is stored and read back.
	e.Time = e.Time.UTC().Truncate(time.Millisecond)
	details, err := canonical(e.Details)
	if err != nil {
		return Entry{}, fmt.Errorf("audit: details: %w", err)
	}
	e.Details = details
	var head struct {
		seq  int64
		hash string
	}
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.seq, &head.hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	// The head, not the last row, says where the chain continues: a
	// removed last entry then leaves a gap that Verify sees, instead of
	// being written over.
	e.Seq, e.Prev = head.seq+1, head.hash
	e.Hash = hashOf(e)
	hashes := hashesJSON(e.Hashes)
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, time, action, who, place, device, subject, ref, hashes, details, prev, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, timeText(e.Time), string(e.Action), e.Who, e.Where, e.Device, e.Subject, e.Ref, hashes, string(e.Details), e.Prev, e.Hash); err != nil {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_head(id, seq, hash) VALUES (1, ?, ?)
		ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, e.Seq, e.Hash); err != nil {
		return Entry{}, fmt.Errorf("audit: %w", err)
	}
	return e, nil
}

// Recorded reports whether an entry of action with ref exists, inside
// the caller's transaction: with AppendTx, it records an event once.
func Recorded(ctx context.Context, tx *sql.Tx, action Action, ref string) (bool, error) {
	var n int
	err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_log WHERE action = ? AND ref = ?`, string(action), ref).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("audit: %w", err)
	}
	return n > 0, nil
}

func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// canonical re-encodes a JSON object with sorted keys and no spaces, so
// that the same details always hash the same; empty is {}.
func canonical(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return json.RawMessage("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // big numbers stay exact
	var v map[string]any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("want a JSON object: %w", err)
	}
	out, err := json.Marshal(v) // maps marshal with sorted keys
	if err != nil {
		return nil, err
	}
	return out, nil
}

func hashesJSON(h map[string]string) string {
	if len(h) == 0 {
		return "{}"
	}
	b, _ := json.Marshal(h) // sorted keys
	return string(b)
}

// hashOf is the entry's SHA-256 over a canonical encoding: a version tag,
// then every field but Hash as its length and bytes, so that no two
// different entries encode alike.
func hashOf(e Entry) string {
	return hashFields(strconv.FormatInt(e.Seq, 10), timeText(e.Time), string(e.Action), e.Who, e.Where,
		e.Device, e.Subject, e.Ref, hashesJSON(e.Hashes), string(e.Details), e.Prev)
}

func hashFields(fields ...string) string {
	h := sha256.New()
	h.Write([]byte("demat-audit/1\n"))
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		h.Write(n[:])
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// rowHash recomputes a stored row's hash from its columns as stored.
func rowHash(r row) string {
	return hashFields(strconv.FormatInt(r.seq, 10), r.time, r.action, r.who, r.where, r.device, r.subject, r.ref,
		r.hashes, r.details, r.prev)
}

// row is an entry's columns as stored.
type row struct {
	seq                                                             int64
	time, action, who, where, device, subject, ref, hashes, details string
	prev, hash                                                      string
}

const columns = `seq, time, action, who, place, device, subject, ref, hashes, details, prev, hash`

func scanRow(s interface{ Scan(...any) error }) (row, error) {
	var r row
	err := s.Scan(&r.seq, &r.time, &r.action, &r.who, &r.where, &r.device, &r.subject, &r.ref, &r.hashes, &r.details, &r.prev, &r.hash)
	return r, err
}

func (r row) entry() Entry {
	e := Entry{Seq: r.seq, Action: Action(r.action), Who: r.who, Where: r.where, Device: r.device, Subject: r.subject,
		Ref: r.ref, Details: json.RawMessage(r.details), Prev: r.prev, Hash: r.hash}
	e.Time, _ = time.Parse(time.RFC3339Nano, r.time)
	json.Unmarshal([]byte(r.hashes), &e.Hashes)
	return e
}

// Filter narrows List.
type Filter struct {
	// Subject keeps the entries about this subject (a registration
	// number); empty for all.
	Subject string
}

// List gives the entries in order.
func (l *Log) List(ctx context.Context, f Filter) ([]Entry, error) {
	q, args := `SELECT `+columns+` FROM audit_log`, []any{}
	if f.Subject != "" {
		q += ` WHERE subject = ?`
		args = append(args, f.Subject)
	}
	rows, err := l.db.QueryContext(ctx, q+` ORDER BY seq`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		out = append(out, r.entry())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// Report is what Verify found.
type Report struct {
	// Count is the number of entries checked, Head the last one's hash.
	Count int64  `json:"count"`
	Head  string `json:"head"`
	// Broken, when set, is the first entry found altered, removed or out
	// of place, and Problem says what is wrong with it.
	Broken  int64  `json:"broken,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// OK reports whether the chain is intact.
func (r Report) OK() bool { return r.Problem == "" }

// Verify walks the chain from the first entry and stops at the first
// one that is not as it was recorded. An error is returned only when the
// database cannot be read.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	// One read transaction: a concurrent append cannot move the head
	// between reading the rows and reading it.
	tx, err := l.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return Report{}, fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT `+columns+` FROM audit_log ORDER BY seq`)
	if err != nil {
		return Report{}, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	var rep Report
	prev := ""
	for rows.Next() {
		r, err := scanRow(rows)
		if err != nil {
			return Report{}, fmt.Errorf("audit: %w", err)
		}
		want := rep.Count + 1
		switch {
		case r.seq != want:
			return broken(rep, want, fmt.Sprintf("entry %d is missing: removed (the next one is %d)", want, r.seq)), nil
		case rowHash(r) != r.hash:
			return broken(rep, want, fmt.Sprintf("entry %d was altered: its content does not match its hash", want)), nil
		case r.prev != prev:
			if want == 1 {
				return broken(rep, want, "entry 1 does not start the chain: entries before it were removed"), nil
			}
			return broken(rep, want-1, fmt.Sprintf("entry %d does not chain to entry %d: entry %d was altered or replaced, or entries were reordered", want, want-1, want-1)), nil
		}
		rep.Count, rep.Head, prev = r.seq, r.hash, r.hash
	}
	if err := rows.Err(); err != nil {
		return Report{}, fmt.Errorf("audit: %w", err)
	}
	rows.Close()
	var head struct {
		seq  int64
		hash string
	}
	err = tx.QueryRowContext(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&head.seq, &head.hash)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if rep.Count > 0 {
			return broken(rep, 1, "the chain's head record was removed"), nil
		}
	case err != nil:
		return Report{}, fmt.Errorf("audit: %w", err)
	case head.seq > rep.Count:
		return broken(rep, rep.Count+1, fmt.Sprintf("entries %d to %d were removed from the end", rep.Count+1, head.seq)), nil
	case head.seq < rep.Count || head.hash != rep.Head:
		return broken(rep, rep.Count, fmt.Sprintf("entry %d was altered or added behind the log's back: it does not match the chain's head", rep.Count)), nil
	}
	return rep, nil
}

func broken(rep Report, seq int64, problem string) Report {
	rep.Broken, rep.Problem = seq, problem
	return rep
}
