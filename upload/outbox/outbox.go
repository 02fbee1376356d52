package outbox

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/demat-app/demat/internal/db"
	"github.com/demat-app/demat/upload"
)

// State is where a delivery stands.
type State string

// The states of a delivery.
const (
	Pending          State = "pending"
	Sending          State = "sending"
	Delivered        State = "delivered"
	Failed           State = "failed"
	NeedsCredentials State = "needs-credentials"
)

// Delivery is one document on its way to one target.
type Delivery struct {
	ID int64 `json:"id"`
	// Key is the stable id targets derive temporary names and resumable
	// uploads from (upload.Doc.ID).
	Key    string `json:"key"`
	Target string `json:"target"`
	// Name is the destination path the document was queued for; Dest is
	// the one used, which differs when Name was taken ("a-2.pdf").
	Name string `json:"name"`
	Dest string `json:"dest"`
	// Source is the file the document was queued from, for people.
	Source string            `json:"source"`
	Size   int64             `json:"size"`
	SHA256 string            `json:"sha256"`
	Meta   map[string]string `json:"meta,omitempty"`
	State  State             `json:"state"`
	// Attempts counts the tries so far.
	Attempts int `json:"attempts"`
	// NextAt is when a pending delivery is tried next.
	NextAt time.Time `json:"next_at"`
	// Error is the last failure, in words fit to show.
	Error string `json:"error,omitempty"`
	// Sent is how many bytes the target is known to hold (resumable
	// targets).
	Sent     int64           `json:"sent"`
	Receipt  *upload.Receipt `json:"receipt,omitempty"`
	Created  time.Time       `json:"created"`
	Updated  time.Time       `json:"updated"`
	resume   upload.Resume
	suffix   int
	spool    string
	failures int
}

// Outbox is the queue. It is safe for concurrent use, and several
// processes may open the same data folder: the database arbitrates.
type Outbox struct {
	db     *sql.DB
	dir    string
	spool  string
	owner  string
	logger *slog.Logger
	now    func() time.Time
}

// Options tune an Outbox.
type Options struct {
	// Logger gets one line per state change; nil for none.
	Logger *slog.Logger
}

var schema = []string{
	`CREATE TABLE deliveries (
		id INTEGER PRIMARY KEY AUTOINCREMENT,
		key TEXT NOT NULL UNIQUE,
		target TEXT NOT NULL,
		name TEXT NOT NULL,
		suffix INTEGER NOT NULL DEFAULT 1,
		source TEXT NOT NULL DEFAULT '',
		spool TEXT NOT NULL,
		size INTEGER NOT NULL,
		sha256 TEXT NOT NULL,
		meta TEXT NOT NULL DEFAULT '{}',
		state TEXT NOT NULL,
		attempts INTEGER NOT NULL DEFAULT 0,
		failures INTEGER NOT NULL DEFAULT 0,
		next_at INTEGER NOT NULL,
		error TEXT NOT NULL DEFAULT '',
		resume_token TEXT NOT NULL DEFAULT '',
		resume_offset INTEGER NOT NULL DEFAULT 0,
		owner TEXT NOT NULL DEFAULT '',
		lease_until INTEGER NOT NULL DEFAULT 0,
		receipt TEXT NOT NULL DEFAULT '',
		created INTEGER NOT NULL,
		updated INTEGER NOT NULL
	);
	CREATE INDEX deliveries_due ON deliveries(state, next_at);`,
	// The registration number a server gave in an attempt's answer
	// (upload.Resume.Number), kept for the attempt that ends it.
	`ALTER TABLE deliveries ADD COLUMN resume_number TEXT NOT NULL DEFAULT '';`,
}

// DBName is the database's file name in the data folder.
const DBName = "demat.db"

// Open opens the outbox kept in dir (the data folder: config.DataDir).
func Open(ctx context.Context, dir string, opt Options) (*Outbox, error) {
	d, err := db.Open(filepath.Join(dir, DBName))
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	if err := db.Migrate(ctx, d, "outbox", schema); err != nil {
		d.Close()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	spool := filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		d.Close()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	logger := opt.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	host, _ := os.Hostname()
	o := &Outbox{
		db: d, dir: dir, spool: spool, logger: logger, now: time.Now,
		owner: fmt.Sprintf("%s:%d:%s", host, os.Getpid(), randomHex(4)),
	}
	return o, nil
}

// Close closes the database.
func (o *Outbox) Close() error { return o.db.Close() }

// Dir is the data folder.
func (o *Outbox) Dir() string { return o.dir }

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Add queues the file at path for target, to be delivered at name (a
// destination built with upload.Path). The file is copied into the
// spool first, so it may be moved or deleted afterwards; the delivery
// exists once Add returns, and not before.
func (o *Outbox) Add(ctx context.Context, target, path, name string, meta map[string]string) (Delivery, error) {
	if target == "" || name == "" {
		return Delivery{}, errors.New("outbox: a delivery needs a target and a name")
	}
	key := time.Now().UTC().Format("20060102T150405") + "-" + randomHex(6)
	spool := filepath.Join(o.spool, key+".pdf")
	size, sum, err := copyFile(path, spool)
	if err != nil {
		return Delivery{}, fmt.Errorf("outbox: queue %s: %w", path, err)
	}
	if meta == nil {
		meta = map[string]string{}
	}
	mj, _ := json.Marshal(meta)
	now := o.now()
	res, err := o.db.ExecContext(ctx, `INSERT INTO deliveries
		(key, target, name, source, spool, size, sha256, meta, state, next_at, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		key, target, name, path, filepath.Base(spool), size, sum, string(mj), Pending, now.UnixMilli(), now.UnixMilli(), now.UnixMilli())
	if err != nil {
		os.Remove(spool)
		return Delivery{}, fmt.Errorf("outbox: queue %s: %w", path, err)
	}
	id, _ := res.LastInsertId()
	o.logger.Info("queued", "delivery", id, "target", target, "dest", name, "bytes", size)
	return o.Get(ctx, id)
}

// copyFile copies src into dst (temp, sync, rename, sync folder) and
// returns its size and SHA-256.
func copyFile(src, dst string) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", err
	}
	defer in.Close()
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err == nil {
		err = out.Sync()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, "", err
	}
	if d, err := os.Open(filepath.Dir(dst)); err == nil {
		d.Sync()
		d.Close()
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

const columns = `id, key, target, name, suffix, source, spool, size, sha256, meta, state, attempts, failures,
	next_at, error, resume_token, resume_offset, resume_number, receipt, created, updated`

func scan(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var meta, receipt string
	var next, created, updated int64
	err := row.Scan(&d.ID, &d.Key, &d.Target, &d.Name, &d.suffix, &d.Source, &d.spool, &d.Size, &d.SHA256,
		&meta, &d.State, &d.Attempts, &d.failures, &next, &d.Error, &d.resume.Token, &d.resume.Offset,
		&d.resume.Number, &receipt, &created, &updated)
	if err != nil {
		return d, err
	}
	json.Unmarshal([]byte(meta), &d.Meta)
	if receipt != "" {
		d.Receipt = new(upload.Receipt)
		json.Unmarshal([]byte(receipt), d.Receipt)
	}
	d.NextAt, d.Created, d.Updated = time.UnixMilli(next), time.UnixMilli(created), time.UnixMilli(updated)
	d.Dest = upload.Suffixed(d.Name, d.suffix)
	d.Sent = d.resume.Offset
	if d.State == Delivered {
		d.Sent = d.Size
	}
	return d, nil
}

// ErrNotFound: no delivery has that id.
var ErrNotFound = errors.New("no such delivery")

// Get gives one delivery.
func (o *Outbox) Get(ctx context.Context, id int64) (Delivery, error) {
	d, err := scan(o.db.QueryRowContext(ctx, `SELECT `+columns+` FROM deliveries WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("outbox: delivery %d: %w (demat outbox list shows them)", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("outbox: delivery %d: %w", id, err)
	}
	return d, nil
}

// List gives the deliveries, newest first; with states, only those in
// one of them.
func (o *Outbox) List(ctx context.Context, states ...State) ([]Delivery, error) {
	q := `SELECT ` + columns + ` FROM deliveries`
	var args []any
	if len(states) > 0 {
		q += ` WHERE state IN (?` + strings.Repeat(`, ?`, len(states)-1) + `)`
		for _, s := range states {
			args = append(args, s)
		}
	}
	rows, err := o.db.QueryContext(ctx, q+` ORDER BY id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		d, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("outbox: list: %w", err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Retry makes a failed, needs-credentials or waiting delivery due now,
// with its back-off reset.
func (o *Outbox) Retry(ctx context.Context, id int64) error {
	res, err := o.db.ExecContext(ctx, `UPDATE deliveries SET state = ?, next_at = ?, failures = 0, updated = ?
		WHERE id = ? AND state IN (?, ?, ?)`,
		Pending, o.now().UnixMilli(), o.now().UnixMilli(), id, Failed, NeedsCredentials, Pending)
	if err != nil {
		return fmt.Errorf("outbox: retry %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		d, err := o.Get(ctx, id)
		if err != nil {
			return err
		}
		return fmt.Errorf("outbox: delivery %d is %s: nothing to retry", id, d.State)
	}
	o.logger.Info("retry", "delivery", id)
	return nil
}

// Forget removes a delivery and its spooled copy. A delivery being sent
// by a live process cannot be forgotten; one not yet delivered can, but
// the document then goes nowhere: the caller says so to the person.
func (o *Outbox) Forget(ctx context.Context, id int64) error {
	d, err := o.Get(ctx, id)
	if err != nil {
		return err
	}
	if d.State == Sending && !o.orphaned(ctx, id) {
		return fmt.Errorf("outbox: delivery %d is being sent right now: wait for it, or stop the demat that sends it", id)
	}
	if _, err := o.db.ExecContext(ctx, `DELETE FROM deliveries WHERE id = ?`, id); err != nil {
		return fmt.Errorf("outbox: forget %d: %w", id, err)
	}
	os.Remove(filepath.Join(o.spool, d.spool))
	o.logger.Info("forgotten", "delivery", id, "state", string(d.State))
	return nil
}

// orphaned says whether a sending delivery's owner is gone.
func (o *Outbox) orphaned(ctx context.Context, id int64) bool {
	var owner string
	var lease int64
	if err := o.db.QueryRowContext(ctx, `SELECT owner, lease_until FROM deliveries WHERE id = ?`, id).Scan(&owner, &lease); err != nil {
		return false
	}
	return ownerGone(owner, lease, o.now())
}

// ownerGone: the lease has run out, or the owner is a process on this
// machine that no longer exists (killed), so there is no need to wait
// for its lease.
func ownerGone(owner string, lease int64, now time.Time) bool {
	if lease < now.UnixMilli() {
		return true
	}
	host, rest, ok := strings.Cut(owner, ":")
	if !ok {
		return true
	}
	me, _ := os.Hostname()
	if host != me {
		return false
	}
	var pid int
	fmt.Sscanf(rest, "%d", &pid)
	return pid > 0 && pid != os.Getpid() && !processAlive(pid)
}

// Sweep removes spooled files no delivery refers to (a crash between
// copying a document in and recording it) and the spool of delivered
// documents.
func (o *Outbox) Sweep(ctx context.Context) error {
	rows, err := o.db.QueryContext(ctx, `SELECT spool FROM deliveries WHERE state != ?`, Delivered)
	if err != nil {
		return fmt.Errorf("outbox: sweep: %w", err)
	}
	keep := map[string]bool{}
	for rows.Next() {
		var s string
		rows.Scan(&s)
		keep[s] = true
	}
	rows.Close()
	ents, err := os.ReadDir(o.spool)
	if err != nil {
		return fmt.Errorf("outbox: sweep: %w", err)
	}
	cutoff := o.now().Add(-time.Hour)
	for _, e := range ents {
		if keep[e.Name()] {
			continue
		}
		// A file being added right now has no row yet: leave young ones.
		if info, err := e.Info(); err == nil && info.ModTime().After(cutoff) {
			continue
		}
		os.Remove(filepath.Join(o.spool, e.Name()))
	}
	return nil
}
