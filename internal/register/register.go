package register

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"github.com/demat-app/demat/internal/audit"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/db"
	"github.com/demat-app/demat/pdf"
)

// State is where an entry stands.
type State string

// The states of an entry.
const (
	// Pending: the number is given, the document carrying it is being
	// made.
	Pending State = "pending"
	// Registered: the entry is complete.
	Registered State = "registered"
	// Void: the number is used but stands for nothing (the document
	// never came, or the entry was a mistake); Note says why.
	Void State = "void"
	// AwaitingNumber: the document is complete, and its number is the
	// server's to give ([register] numbering = "server"): the entry
	// becomes Registered when a delivery's answer gives it.
	AwaitingNumber State = "awaiting-number"
)

// Numberings: who gives an entry its number of record.
const (
	// LocalNumbering: the register's own gapless sequence.
	LocalNumbering = "local"
	// ServerNumbering: the server the document is delivered to; the
	// register's own number is provisional until then.
	ServerNumbering = "server"
)

// ErrNotFound is returned for a number the register does not hold.
var ErrNotFound = errors.New("register: no such number")

// ErrServerNumberTaken is a server's number that another entry already
// has: it is recorded with the delivery and in the audit trail, but not
// given to the entry, since numbers are unique.
var ErrServerNumberTaken = errors.New("register: the server gave a number another entry already has")

// ErrServerNumbering is Add under server numbering: an item gets its
// number when its document, carrying the provisional number in its
// metadata, is delivered, and Add's document (if any) carries none.
var ErrServerNumbering = errors.New("register: numbers come from the server the document is delivered to ([register] numbering = \"server\")")

// Description is what the desk says about an item, as in the PDF's
// metadata (pdf.Metadata's registry properties).
type Description struct {
	// Received is when the item arrived, an XMP date (YYYY-MM-DD or a
	// date and time with its zone).
	Received        string `json:"received,omitempty"`
	Sender          string `json:"sender,omitempty"`
	Recipient       string `json:"recipient,omitempty"`
	Subject         string `json:"subject,omitempty"`
	Reference       string `json:"reference,omitempty"`
	Confidentiality string `json:"confidentiality,omitempty"`
	DocumentType    string `json:"document_type,omitempty"`
	Title           string `json:"title,omitempty"`
}

// Describe takes the registry's properties from a PDF's metadata.
func Describe(m pdf.Metadata) Description {
	return Description{Received: m.Received, Sender: m.Sender, Recipient: m.Recipient, Subject: m.Subject,
		Reference: m.Reference, Confidentiality: m.Confidentiality, DocumentType: m.DocumentType, Title: m.Title}
}

// Delivery is a delivery of the registered document by the outbox: what
// a depositor's or sender's receipt will quote.
type Delivery struct {
	// ID and Key identify the outbox's delivery.
	ID       int64  `json:"id"`
	Key      string `json:"key"`
	Target   string `json:"target"`
	Location string `json:"location"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
	Verified string `json:"verified,omitempty"`
	ServerID string `json:"server_id,omitempty"`
	// Number is the registration number the server gave in its answer
	// (upload.Receipt.Number).
	Number string `json:"number,omitempty"`
	// NumberNote says why the server gave no number although the target
	// expects one, or why the register did not take the one it gave.
	NumberNote string    `json:"number_note,omitempty"`
	Time       time.Time `json:"time"`
}

// Entry is one registered item. It holds all a depositor's receipt
// needs: number, date and time, depositor, subject, pages, hash.
type Entry struct {
	// Number is the entry's number of record: the register's own, or,
	// for an entry numbered by the server, the server's once a delivery
	// gave it (until then the provisional one).
	Number string `json:"number"`
	// Provisional is, for an entry numbered by the server, the
	// register's own number from its gapless sequence: the id the PDF's
	// metadata, its stamp, the audit trail and the outbox know it by.
	// Empty for an entry numbered locally.
	Provisional string `json:"provisional_number,omitempty"`
	// ServerNumber is the number the server a delivery went to gave the
	// document (the first one given; unique among the entries). An entry
	// numbered locally keeps its own number and has this one too.
	ServerNumber string `json:"server_number,omitempty"`
	Kind         Kind   `json:"register"`
	Year         int    `json:"year"`
	Seq          int64  `json:"seq"`
	// Registered is when the number was given.
	Registered time.Time `json:"registered"`
	Description
	Pages int `json:"pages,omitempty"`
	// SHA256 is the hex SHA-256 of the registered PDF, File where it was
	// written.
	SHA256 string `json:"sha256,omitempty"`
	File   string `json:"file,omitempty"`
	// Operator is the OS user who registered it, Workstation the host.
	Operator    string     `json:"operator"`
	Workstation string     `json:"workstation"`
	State       State      `json:"state"`
	Note        string     `json:"note,omitempty"`
	Deliveries  []Delivery `json:"deliveries,omitempty"`
	Updated     time.Time  `json:"updated"`
	// local is the register's own number, the entry's key.
	local string
	// numbering is who gives the number of record.
	numbering string
}

// Local is the register's own number of the entry (from its gapless
// sequence): Number, unless the server numbered the entry.
func (e Entry) Local() string {
	switch {
	case e.local != "":
		return e.local
	case e.Provisional != "":
		return e.Provisional
	}
	return e.Number
}

// Draft is an item to register.
type Draft struct {
	Kind Kind
	Description
	// File, SHA256 and Pages describe the PDF: the final one for Add,
	// the one about to be written (File only) for Reserve. All empty for
	// paper that is registered without being scanned.
	File   string
	SHA256 string
	Pages  int
	// Device is the scanner the pages came from, for the audit trail.
	Device string
}

// Options tune a Register.
type Options struct {
	// Format writes the numbers; the zero Format is NewFormat of an empty
	// configuration.
	Format Format
	// Now is the clock; nil for time.Now (tests set it to cross a year).
	Now func() time.Time
	// Numbering is who gives new entries their number of record:
	// LocalNumbering (the default, also for "") or ServerNumbering.
	Numbering string
}

func (o *Options) applyDefaults() error {
	if o.Format.parts == nil {
		f, err := NewFormat(config.Register{})
		if err != nil {
			return err
		}
		o.Format = f // the desk has not chosen one: DefaultFormat
	}
	if o.Now == nil {
		o.Now = time.Now // the real time: numbers are chronological
	}
	switch o.Numbering {
	case "":
		o.Numbering = LocalNumbering // numbers are the desk's own unless it says
	case LocalNumbering, ServerNumbering:
	default:
		return fmt.Errorf("register: numbering %q: want local or server", o.Numbering)
	}
	return nil
}

// Register is the registers of one data folder. It is safe for
// concurrent use, also by several processes: the database arbitrates.
type Register struct {
	db    *sql.DB
	audit *audit.Log
	opt   Options
	host  string
	pid   int
}

var schema = []string{
	`CREATE TABLE register_counters (
		register TEXT NOT NULL,
		year INTEGER NOT NULL,
		next INTEGER NOT NULL,
		PRIMARY KEY (register, year)
	);
	CREATE TABLE register_entries (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		number TEXT NOT NULL UNIQUE,
		register TEXT NOT NULL,
		year INTEGER NOT NULL,
		seq INTEGER NOT NULL,
		registered INTEGER NOT NULL,
		received TEXT NOT NULL DEFAULT '',
		sender TEXT NOT NULL DEFAULT '',
		recipient TEXT NOT NULL DEFAULT '',
		subject TEXT NOT NULL DEFAULT '',
		reference TEXT NOT NULL DEFAULT '',
		confidentiality TEXT NOT NULL DEFAULT '',
		document_type TEXT NOT NULL DEFAULT '',
		title TEXT NOT NULL DEFAULT '',
		pages INTEGER NOT NULL DEFAULT 0,
		sha256 TEXT NOT NULL DEFAULT '',
		file TEXT NOT NULL DEFAULT '',
		operator TEXT NOT NULL DEFAULT '',
		workstation TEXT NOT NULL DEFAULT '',
		state TEXT NOT NULL,
		note TEXT NOT NULL DEFAULT '',
		owner_host TEXT NOT NULL DEFAULT '',
		owner_pid INTEGER NOT NULL DEFAULT 0,
		deliveries TEXT NOT NULL DEFAULT '[]',
		updated INTEGER NOT NULL,
		UNIQUE (register, year, seq)
	);
	CREATE INDEX register_entries_state ON register_entries(state);
	CREATE INDEX register_entries_registered ON register_entries(registered);`,
	// The number a server gave (unique), and who gives the number of
	// record.
	`ALTER TABLE register_entries ADD COLUMN server_number TEXT NOT NULL DEFAULT '';
	ALTER TABLE register_entries ADD COLUMN numbering TEXT NOT NULL DEFAULT 'local';
	CREATE UNIQUE INDEX register_entries_server_number ON register_entries(server_number) WHERE server_number != '';`,
}

// Open opens the registers kept in the data folder dir
// (config.DataDir), in the database the outbox and the audit trail use.
func Open(ctx context.Context, dir string, opt Options) (*Register, error) {
	if err := opt.applyDefaults(); err != nil {
		return nil, err
	}
	d, err := db.Open(filepath.Join(dir, audit.DBName))
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	if err := audit.Migrate(ctx, d); err != nil {
		d.Close()
		return nil, err
	}
	if err := db.Migrate(ctx, d, "register", schema); err != nil {
		d.Close()
		return nil, fmt.Errorf("register: %w", err)
	}
	_, host := audit.Origin()
	return &Register{db: d, audit: audit.New(d), opt: opt, host: host, pid: os.Getpid()}, nil
}

// Close closes the database.
func (r *Register) Close() error { return r.db.Close() }

// Audit is the audit trail kept in the same database.
func (r *Register) Audit() *audit.Log { return r.audit }

// Reserve gives the draft a number, as a pending entry owned by this
// process, before the document that carries the number is written:
// Complete or Void it next. If the process dies first, Recover (in any
// later demat) settles it.
func (r *Register) Reserve(ctx context.Context, d Draft) (Entry, error) {
	return r.allocate(ctx, d, Pending)
}

// Add registers an item whose document is final (or that has none:
// paper registered without being scanned).
//
// Under server numbering it fails with ErrServerNumbering: the item
// would never get its number.
func (r *Register) Add(ctx context.Context, d Draft) (Entry, error) {
	if r.opt.Numbering == ServerNumbering {
		return Entry{}, ErrServerNumbering
	}
	return r.allocate(ctx, d, Registered)
}

// Numbering is who gives new entries their number of record.
func (r *Register) Numbering() string { return r.opt.Numbering }

// allocate is the one transaction that gives a number: read the
// counter, insert the entry, bump the counter, record it in the audit
// trail. Either all of it commits or none.
func (r *Register) allocate(ctx context.Context, d Draft, state State) (Entry, error) {
	if _, err := ParseKind(string(d.Kind)); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	who, where := audit.Origin()
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	defer tx.Rollback()
	// The clock is read under the write lock, so that numbers and times
	// go up together even across processes.
	now := r.opt.Now()
	year := now.Year()
	var seq int64 = 1
	err = tx.QueryRowContext(ctx, `SELECT next FROM register_counters WHERE register = ? AND year = ?`, string(d.Kind), year).Scan(&seq)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	e := Entry{
		Number: r.opt.Format.Number(d.Kind, year, seq), Kind: d.Kind, Year: year, Seq: seq, numbering: r.opt.Numbering,
		Registered: now.Truncate(time.Millisecond), Description: d.Description,
		Pages: d.Pages, SHA256: d.SHA256, File: d.File, Operator: who, Workstation: where, State: state, Updated: now.Truncate(time.Millisecond),
	}
	e.local = e.Number
	if e.numbering == ServerNumbering {
		e.Provisional = e.Number
	}
	ownerHost, ownerPID := "", 0
	if state == Pending {
		ownerHost, ownerPID = r.host, r.pid
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO register_entries
		(number, register, year, seq, registered, received, sender, recipient, subject, reference, confidentiality,
		 document_type, title, pages, sha256, file, operator, workstation, state, owner_host, owner_pid, updated, numbering)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Number, string(e.Kind), year, seq, e.Registered.UnixMilli(), e.Received, e.Sender, e.Recipient, e.Subject,
		e.Reference, e.Confidentiality, e.DocumentType, e.Title, e.Pages, e.SHA256, e.File, e.Operator, e.Workstation,
		string(state), ownerHost, ownerPID, e.Updated.UnixMilli(), e.numbering)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE") {
			return Entry{}, fmt.Errorf("register: number %s is already taken (was the number format changed during the year?): %w", e.Number, err)
		}
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO register_counters(register, year, next) VALUES (?, ?, ?)
		ON CONFLICT(register, year) DO UPDATE SET next = excluded.next`, string(d.Kind), year, seq+1); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	action := audit.Registered
	if state == Pending {
		action = audit.Numbered
	}
	if _, err := audit.AppendTx(ctx, tx, audit.Entry{
		Time: now, Action: action, Subject: e.Number, Device: d.Device, Hashes: pdfHash(e.SHA256), Details: details(e, nil),
	}); err != nil {
		return Entry{}, err
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	return e, nil
}

func pdfHash(sum string) map[string]string {
	if sum == "" {
		return nil
	}
	return map[string]string{"pdf": sum}
}

// details is what the audit trail keeps of an entry: its description
// and where it stands, plus extra.
func details(e Entry, extra map[string]any) json.RawMessage {
	m := map[string]any{"register": e.Kind, "seq": e.Seq, "state": e.State}
	for k, v := range map[string]any{
		"received": e.Received, "sender": e.Sender, "recipient": e.Recipient, "subject": e.Subject,
		"reference": e.Reference, "confidentiality": e.Confidentiality, "document_type": e.DocumentType,
		"title": e.Title, "file": e.File, "note": e.Note,
	} {
		if v != "" {
			m[k] = v
		}
	}
	if e.Pages > 0 {
		m["pages"] = e.Pages
	}
	if e.numbering == ServerNumbering {
		m["numbering"] = ServerNumbering
	}
	if e.ServerNumber != "" {
		m["server_number"] = e.ServerNumber
	}
	for k, v := range extra {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return b
}

// Complete records the final document of a pending entry: its file,
// SHA-256 and page count. Completing again with the same hash is a
// no-op, so a retried call is harmless.
func (r *Register) Complete(ctx context.Context, number, file, sum string, pages int) (Entry, error) {
	return r.complete(ctx, number, file, sum, pages, nil)
}

// complete completes number; extra (recovery's) leaves an entry alone
// once it is no longer pending (someone else settled it).
func (r *Register) complete(ctx context.Context, number, file, sum string, pages int, extra map[string]any) (Entry, error) {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	defer tx.Rollback()
	e, err := get(ctx, tx, number)
	if err != nil {
		return Entry{}, err
	}
	switch {
	case (e.State == Registered || e.State == AwaitingNumber) && e.SHA256 == sum, extra != nil && e.State != Pending:
		return e, nil
	case e.State != Pending:
		return Entry{}, fmt.Errorf("register: %s is %s, not waiting for its document", number, e.State)
	}
	now := r.opt.Now()
	state := Registered
	if e.numbering == ServerNumbering && e.ServerNumber == "" {
		state = AwaitingNumber // registered once a delivery's answer gives the number
	}
	e.File, e.SHA256, e.Pages, e.State, e.Updated = file, sum, pages, state, now.Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `UPDATE register_entries SET file = ?, sha256 = ?, pages = ?, state = ?,
		owner_host = '', owner_pid = 0, updated = ? WHERE number = ?`,
		e.File, e.SHA256, e.Pages, string(e.State), e.Updated.UnixMilli(), e.local); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	action := audit.Registered
	if state == AwaitingNumber {
		action = audit.AwaitingNumber
	}
	if _, err := audit.AppendTx(ctx, tx, audit.Entry{Time: now, Action: action, Subject: e.local,
		Hashes: pdfHash(sum), Details: details(e, extra)}); err != nil {
		return Entry{}, err
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	return e, nil
}

// Void marks an entry void, saying why. The number stays used: the
// register keeps no gap, and says what became of every number.
func (r *Register) Void(ctx context.Context, number, reason string) (Entry, error) {
	return r.void(ctx, number, reason, false)
}

// void voids number; onlyPending leaves an entry alone once it is no
// longer pending (someone else settled it).
func (r *Register) void(ctx context.Context, number, reason string, onlyPending bool) (Entry, error) {
	if strings.TrimSpace(reason) == "" {
		return Entry{}, errors.New("register: say why the entry is void")
	}
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	defer tx.Rollback()
	e, err := get(ctx, tx, number)
	if err != nil {
		return Entry{}, err
	}
	switch {
	case e.State == Void:
		return e, nil
	case onlyPending && e.State != Pending:
		return e, nil
	}
	now := r.opt.Now()
	e.State, e.Note, e.Updated = Void, reason, now.Truncate(time.Millisecond)
	if _, err := tx.ExecContext(ctx, `UPDATE register_entries SET state = ?, note = ?, owner_host = '', owner_pid = 0, updated = ? WHERE number = ?`,
		string(Void), reason, e.Updated.UnixMilli(), e.local); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	if _, err := audit.AppendTx(ctx, tx, audit.Entry{Time: now, Action: audit.Voided, Subject: e.local,
		Hashes: pdfHash(e.SHA256), Details: details(e, nil)}); err != nil {
		return Entry{}, err
	}
	if err := tx.Commit(); err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	return e, nil
}

// Recover settles the pending entries of demat processes on this
// workstation that are no longer running (killed, crashed, the machine
// stopped): an entry whose PDF is in place and carries its number is
// completed from it; any other is voided as interrupted. Entries of
// running processes, and of other workstations, are left alone. It
// returns the entries it settled.
func (r *Register) Recover(ctx context.Context) ([]Entry, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT number, file, owner_pid FROM register_entries WHERE state = ? AND owner_host = ? ORDER BY id`,
		string(Pending), r.host)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	type pending struct {
		number, file string
		pid          int
	}
	var ps []pending
	for rows.Next() {
		var p pending
		if err := rows.Scan(&p.number, &p.file, &p.pid); err != nil {
			rows.Close()
			return nil, fmt.Errorf("register: %w", err)
		}
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	var out []Entry
	for _, p := range ps {
		if p.pid == r.pid || alive(p.pid) {
			continue
		}
		var e Entry
		if sum, pages, ok := finished(p.file, p.number); ok {
			e, err = r.complete(ctx, p.number, p.file, sum, pages, map[string]any{"recovered": true})
		} else {
			e, err = r.void(ctx, p.number, "interrupted: the document was never finished", true)
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

// finished reports whether file is a PDF carrying number in its
// metadata, and gives its hash and page count.
func finished(file, number string) (sum string, pages int, ok bool) {
	if file == "" {
		return "", 0, false
	}
	d, err := pdf.Describe(file)
	if err != nil || d.Meta.RegistrationNumber != number {
		return "", 0, false
	}
	sum, _, err = HashFile(file)
	if err != nil {
		return "", 0, false
	}
	return sum, d.Pages, true
}

// HashFile gives a file's hex SHA-256 and size.
func HashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// RecordDelivery attaches a delivery of the document registered as
// number (if the register holds it; "" for none) and records it in the
// audit trail, once per delivery key however often it is reported. It
// reports whether it recorded anything.
//
// A number the server gave (d.Number) becomes the entry's ServerNumber,
// and the number of record of an entry numbered by the server, which is
// then registered. Server numbers are unique: one another entry already
// has is recorded with the delivery (NumberNote says why it was not
// taken) and in the audit trail, and RecordDelivery then reports true
// with an error wrapping ErrServerNumberTaken. An entry that already has
// a server number keeps it; a different one from another delivery is
// only recorded with that delivery.
func (r *Register) RecordDelivery(ctx context.Context, number string, d Delivery) (bool, error) {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("register: %w", err)
	}
	defer tx.Rollback()
	if done, err := audit.Recorded(ctx, tx, audit.Delivered, d.Key); err != nil || done {
		return false, err
	}
	now := r.opt.Now()
	subject := d.Location
	var taken error
	var numbered *Entry
	if number != "" {
		e, err := get(ctx, tx, number)
		switch {
		case errors.Is(err, ErrNotFound):
		case err != nil:
			return false, err
		default:
			subject = e.local
			if d.Number != "" {
				switch {
				case e.ServerNumber == d.Number:
				case e.ServerNumber != "":
					d.NumberNote = fmt.Sprintf("not taken: the entry has %s from an earlier delivery", e.ServerNumber)
				default:
					other, err := holder(ctx, tx, d.Number, e.local)
					if err != nil {
						return false, err
					}
					if other != "" {
						d.NumberNote = "refused: already the number of " + other
						taken = fmt.Errorf("%w: %s gave %s to %s, but it is already the number of %s", ErrServerNumberTaken, d.Target, d.Number, e.local, other)
						break
					}
					e.ServerNumber = d.Number
					if e.State == AwaitingNumber {
						e.State = Registered
						e.Number = d.Number
						numbered = &e
					}
					if _, err := tx.ExecContext(ctx, `UPDATE register_entries SET server_number = ?, state = ? WHERE number = ?`,
						e.ServerNumber, string(e.State), e.local); err != nil {
						return false, fmt.Errorf("register: %w", err)
					}
				}
			}
			e.Deliveries = append(e.Deliveries, d)
			dj, _ := json.Marshal(e.Deliveries)
			if _, err := tx.ExecContext(ctx, `UPDATE register_entries SET deliveries = ?, updated = ? WHERE number = ?`,
				string(dj), now.UnixMilli(), e.local); err != nil {
				return false, fmt.Errorf("register: %w", err)
			}
		}
	}
	dj, _ := json.Marshal(d)
	if _, err := audit.AppendTx(ctx, tx, audit.Entry{Action: audit.Delivered, Subject: subject, Ref: d.Key,
		Hashes: pdfHash(d.SHA256), Details: dj}); err != nil {
		return false, err
	}
	if numbered != nil {
		if _, err := audit.AppendTx(ctx, tx, audit.Entry{Time: now, Action: audit.Registered, Subject: numbered.local,
			Hashes: pdfHash(numbered.SHA256), Details: details(*numbered, map[string]any{"delivery": d.Key})}); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("register: %w", err)
	}
	return true, taken
}

// holder gives the local number of the entry other than self that has
// number as its server number or as its own: "" when none has.
func holder(ctx context.Context, q querier, number, self string) (string, error) {
	var other string
	err := q.QueryRowContext(ctx, `SELECT number FROM register_entries WHERE (server_number = ? OR number = ?) AND number != ? LIMIT 1`,
		number, number, self).Scan(&other)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("register: %w", err)
	}
	return other, nil
}

const columns = `number, register, year, seq, registered, received, sender, recipient, subject, reference,
	confidentiality, document_type, title, pages, sha256, file, operator, workstation, state, note, deliveries, updated,
	server_number, numbering`

func scan(s interface{ Scan(...any) error }) (Entry, error) {
	var e Entry
	var registered, updated int64
	var deliveries string
	err := s.Scan(&e.Number, &e.Kind, &e.Year, &e.Seq, &registered, &e.Received, &e.Sender, &e.Recipient, &e.Subject,
		&e.Reference, &e.Confidentiality, &e.DocumentType, &e.Title, &e.Pages, &e.SHA256, &e.File, &e.Operator,
		&e.Workstation, &e.State, &e.Note, &deliveries, &updated, &e.ServerNumber, &e.numbering)
	if err != nil {
		return e, err
	}
	e.local = e.Number
	if e.numbering == ServerNumbering {
		e.Provisional = e.local
		if e.ServerNumber != "" {
			e.Number = e.ServerNumber
		}
	}
	e.Registered, e.Updated = time.UnixMilli(registered), time.UnixMilli(updated)
	json.Unmarshal([]byte(deliveries), &e.Deliveries)
	return e, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row
}

// get finds an entry by its own number, else by the number a server
// gave it.
func get(ctx context.Context, q querier, number string) (Entry, error) {
	e, err := scan(q.QueryRowContext(ctx, `SELECT `+columns+` FROM register_entries
		WHERE number = ? OR (server_number = ? AND server_number != '') ORDER BY number = ? DESC LIMIT 1`, number, number, number))
	if errors.Is(err, sql.ErrNoRows) {
		return Entry{}, fmt.Errorf("%w: %s", ErrNotFound, number)
	}
	if err != nil {
		return Entry{}, fmt.Errorf("register: %w", err)
	}
	return e, nil
}

// Get gives the entry of a number: the register's own, or one a server
// gave.
func (r *Register) Get(ctx context.Context, number string) (Entry, error) {
	return get(ctx, r.db, strings.TrimSpace(number))
}

// Filter narrows List; the zero Filter lists everything.
type Filter struct {
	// Kind keeps one register; empty for all.
	Kind Kind
	// From and To keep the entries registered in [From, To); zero for no
	// bound.
	From, To time.Time
	// Text keeps the entries where it appears in the number (its own or
	// the server's) or the description, ignoring case and accents (French é, Arabic
	// diacritics).
	Text string
	// State keeps the entries in one state; empty for all.
	State State
}

// List gives the entries that match f, in the order they were
// registered.
func (r *Register) List(ctx context.Context, f Filter) ([]Entry, error) {
	q := `SELECT ` + columns + ` FROM register_entries WHERE 1 = 1`
	var args []any
	if f.Kind != "" {
		q += ` AND register = ?`
		args = append(args, string(f.Kind))
	}
	if f.State != "" {
		q += ` AND state = ?`
		args = append(args, string(f.State))
	}
	if !f.From.IsZero() {
		q += ` AND registered >= ?`
		args = append(args, f.From.UnixMilli())
	}
	if !f.To.IsZero() {
		q += ` AND registered < ?`
		args = append(args, f.To.UnixMilli())
	}
	rows, err := r.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	defer rows.Close()
	text := fold(f.Text)
	var out []Entry
	for rows.Next() {
		e, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("register: %w", err)
		}
		// Text is matched here rather than with LIKE, which folds only
		// ASCII letters.
		if text != "" && !strings.Contains(fold(strings.Join([]string{e.Number, e.local, e.ServerNumber, e.Sender, e.Recipient, e.Subject,
			e.Reference, e.DocumentType, e.Title, e.Confidentiality, e.Note, e.File}, "\x00")), text) {
			continue
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("register: %w", err)
	}
	return out, nil
}

// fold lowers case and drops combining marks: é matches e, and Arabic
// with or without its short vowels matches alike.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	return strings.ToLower(out)
}
