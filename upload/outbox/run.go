package outbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/demat-app/demat/upload"
)

// Targets finds a target by name (from the configuration).
type Targets interface {
	Target(name string) (upload.Target, Limits, error)
}

// TargetsFunc adapts a function to Targets.
type TargetsFunc func(name string) (upload.Target, Limits, error)

// Target calls f.
func (f TargetsFunc) Target(name string) (upload.Target, Limits, error) { return f(name) }

// Limits are a target's delivery settings.
type Limits struct {
	// Parallel is how many documents go to the target at once.
	Parallel int
	// Credential names the keyring entry the target's password is in,
	// for the message that tells a person how to fix refused
	// credentials; empty when the target has none.
	Credential string
}

// Mode says when Run returns.
type Mode int

const (
	// Settled: when every delivery considered is delivered, failed or
	// needs credentials (waiting out back-offs meanwhile). `demat send`,
	// `demat outbox run`.
	Settled Mode = iota
	// Due: after one pass over the deliveries due now.
	Due
	// Forever: until the context ends, taking new deliveries as they
	// are queued (the desktop app).
	Forever
)

// Backoff is the wait after a failure that made no progress: Base after
// the first, doubling, at most Max, each wait drawn between half and all
// of it (jitter, so that many desks coming back online do not retry in
// step).
type Backoff struct {
	Base, Max time.Duration
}

// RunOptions tune Run.
type RunOptions struct {
	Targets Targets
	// IDs restricts the run to these deliveries; none means all.
	IDs  []int64
	Mode Mode
	// Workers bounds transfers across all targets.
	Workers int
	Backoff Backoff
	// Poll is how often Run looks for deliveries queued by someone else
	// and for orphaned ones.
	Poll time.Duration
	// Notify hears every state change and progress (throttled to 10 Hz
	// per delivery). It must not block.
	Notify func(Delivery)
}

func (r *RunOptions) applyDefaults() {
	if r.Workers <= 0 {
		// Uploads are network-bound; four keep a desk's link busy
		// without starving the scanner's own traffic.
		r.Workers = 4
	}
	if r.Backoff.Base <= 0 {
		// Long enough for a dropped Wi-Fi to come back, short enough that
		// a person waiting on "send" sees it go.
		r.Backoff.Base = 10 * time.Second
	}
	if r.Backoff.Max <= 0 {
		// A desk offline for a day still tries every hour, so documents
		// leave soon after the link returns.
		r.Backoff.Max = time.Hour
	}
	if r.Poll <= 0 {
		// The window and a CLI batch may share a queue: notice the
		// other's additions within seconds.
		r.Poll = 5 * time.Second
	}
	if r.Notify == nil {
		r.Notify = func(Delivery) {}
	}
}

// Lease timing: a sending delivery is renewed every leaseRenew; another
// process takes it over once leaseTime has passed without renewal (or at
// once when its owner on this machine is dead).
const (
	leaseTime  = 45 * time.Second
	leaseRenew = 10 * time.Second
)

// Run delivers queued documents until opt.Mode says to stop or ctx ends.
// Transfers cut short by ctx are put back to pending, to resume later.
func (o *Outbox) Run(ctx context.Context, opt RunOptions) error {
	opt.applyDefaults()
	if opt.Targets == nil {
		return errors.New("outbox: run: no targets")
	}
	r := &runner{o: o, opt: opt, perTarget: map[string]int{}, running: map[int64]bool{}, done: make(chan struct{}, 64)}
	return r.loop(ctx)
}

// runner is one Run. Its fields are owned by the loop goroutine, except
// what mu guards (touched by workers as they finish).
type runner struct {
	o   *Outbox
	opt RunOptions

	mu        sync.Mutex
	perTarget map[string]int
	running   map[int64]bool
	wg        sync.WaitGroup
	done      chan struct{}
}

func (r *runner) loop(ctx context.Context) error {
	r.o.Sweep(ctx)
	defer r.wg.Wait()
	for {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		started, nextDue, open, err := r.pass(ctx)
		if err != nil {
			return err
		}
		r.mu.Lock()
		busy := len(r.running)
		r.mu.Unlock()
		switch r.opt.Mode {
		case Due:
			if started == 0 && busy == 0 {
				return nil
			}
		case Settled:
			if open == 0 && busy == 0 {
				return nil
			}
		}
		wait := r.opt.Poll
		if !nextDue.IsZero() {
			wait = min(wait, max(time.Until(nextDue), 0))
		}
		if open > busy {
			// Some are being sent by another demat: look again soon.
			wait = min(wait, time.Second)
		}
		if started > 0 && wait > 0 {
			wait = min(wait, 50*time.Millisecond)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-r.done:
			t.Stop()
		case <-t.C:
		}
	}
}

// pass claims and starts what is due; it reports how many it started,
// when the next pending delivery is due, and how many considered
// deliveries are still open (pending or sending).
func (r *runner) pass(ctx context.Context) (started int, nextDue time.Time, open int, err error) {
	q := `SELECT ` + columns + `, owner, lease_until FROM deliveries WHERE state IN (?, ?)`
	args := []any{Pending, Sending}
	if len(r.opt.IDs) > 0 {
		q += ` AND id IN (?` + strings.Repeat(`, ?`, len(r.opt.IDs)-1) + `)`
		for _, id := range r.opt.IDs {
			args = append(args, id)
		}
	}
	rows, err := r.o.db.QueryContext(ctx, q+` ORDER BY next_at, id`, args...)
	if err != nil {
		return 0, nextDue, 0, fmt.Errorf("outbox: %w", err)
	}
	type cand struct {
		d     Delivery
		owner string
		lease int64
	}
	var cands []cand
	for rows.Next() {
		var c cand
		var meta, receipt string
		var next, created, updated int64
		d := &c.d
		if err := rows.Scan(&d.ID, &d.Key, &d.Target, &d.Name, &d.suffix, &d.Source, &d.spool, &d.Size, &d.SHA256,
			&meta, &d.State, &d.Attempts, &d.failures, &next, &d.Error, &d.resume.Token, &d.resume.Offset,
			&d.resume.Number, &receipt, &created, &updated, &c.owner, &c.lease); err != nil {
			rows.Close()
			return 0, nextDue, 0, fmt.Errorf("outbox: %w", err)
		}
		json.Unmarshal([]byte(meta), &d.Meta)
		d.NextAt, d.Created, d.Updated = time.UnixMilli(next), time.UnixMilli(created), time.UnixMilli(updated)
		d.Dest = upload.Suffixed(d.Name, d.suffix)
		d.Sent = d.resume.Offset
		cands = append(cands, c)
	}
	rows.Close()
	now := r.o.now()
	open = len(cands)
	for _, c := range cands {
		r.mu.Lock()
		mine := r.running[c.d.ID]
		r.mu.Unlock()
		if mine {
			continue
		}
		switch {
		case c.d.State == Pending && c.d.NextAt.After(now):
			if nextDue.IsZero() || c.d.NextAt.Before(nextDue) {
				nextDue = c.d.NextAt
			}
			continue
		case c.d.State == Sending && !ownerGone(c.owner, c.lease, now):
			continue // another process is on it
		}
		target, limits, terr := r.opt.Targets.Target(c.d.Target)
		if !r.reserve(c.d, limits) {
			continue
		}
		claimed, err := r.claim(ctx, c.d, c.owner)
		if err != nil || !claimed {
			r.release(c.d)
			if err != nil {
				return started, nextDue, open, err
			}
			continue
		}
		c.d.State = Sending
		c.d.Attempts++
		started++
		r.wg.Add(1)
		go func(d Delivery) {
			defer r.wg.Done()
			defer func() {
				r.release(d)
				select {
				case r.done <- struct{}{}:
				default:
				}
			}()
			r.opt.Notify(d)
			if terr != nil {
				r.finish(d, d.resume.Offset, upload.Permanent(fmt.Errorf("target %q: %w", d.Target, terr)), nil, false)
				return
			}
			r.deliver(ctx, d, target, limits)
		}(c.d)
	}
	return started, nextDue, open, nil
}

// reserve takes a worker slot and one of the target's; false when
// either is full.
func (r *runner) reserve(d Delivery, l Limits) bool {
	par := l.Parallel
	if par <= 0 {
		// Two transfers per server: a second document does not wait
		// behind a large one, and no server sees a flood.
		par = 2
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.running) >= r.opt.Workers || r.perTarget[d.Target] >= par {
		return false
	}
	r.running[d.ID] = true
	r.perTarget[d.Target]++
	return true
}

func (r *runner) release(d Delivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, d.ID)
	r.perTarget[d.Target]--
}

// claim marks a delivery as being sent by this process, in one
// transaction that only succeeds if nobody else took it meanwhile.
func (r *runner) claim(ctx context.Context, d Delivery, prevOwner string) (bool, error) {
	now := r.o.now()
	res, err := r.o.db.ExecContext(ctx, `UPDATE deliveries
		SET state = ?, owner = ?, lease_until = ?, attempts = attempts + 1, updated = ?
		WHERE id = ? AND state = ? AND owner = ?`,
		Sending, r.o.owner, now.Add(leaseTime).UnixMilli(), now.UnixMilli(), d.ID, d.State, prevOwner)
	if err != nil {
		return false, fmt.Errorf("outbox: claim %d: %w", d.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// deliver makes one attempt.
func (r *runner) deliver(ctx context.Context, d Delivery, t upload.Target, limits Limits) {
	log := r.o.logger.With("delivery", d.ID, "target", d.Target, "attempt", d.Attempts)
	tctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The lease: renewed while the transfer runs; if another process has
	// taken the delivery over (this one was suspended past its lease),
	// stop at once rather than send twice in parallel.
	go func() {
		tick := time.NewTicker(leaseRenew)
		defer tick.Stop()
		for {
			select {
			case <-tctx.Done():
				return
			case <-tick.C:
				res, err := r.o.db.ExecContext(tctx, `UPDATE deliveries SET lease_until = ? WHERE id = ? AND owner = ? AND state = ?`,
					r.o.now().Add(leaseTime).UnixMilli(), d.ID, r.o.owner, Sending)
				if err == nil {
					if n, _ := res.RowsAffected(); n == 0 {
						log.Warn("delivery taken over by another demat; stopping this transfer")
						cancel()
						return
					}
				}
			}
		}
	}()
	spool := filepath.Join(r.o.spool, d.spool)
	if _, err := os.Stat(spool); err != nil {
		r.finish(d, d.resume.Offset, upload.Permanent(fmt.Errorf("the queued copy of %s is missing from %s: queue the document again", d.Source, r.o.spool)), nil, false)
		return
	}
	body := func(off int64) (io.ReadCloser, error) {
		f, err := os.Open(spool)
		if err != nil {
			return nil, err
		}
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
		return f, nil
	}
	var mu sync.Mutex
	offset := d.resume.Offset
	var lastNote time.Time
	doc := upload.Doc{
		ID: d.Key, Name: d.Dest, Size: d.Size, SHA256: d.SHA256, ContentType: "application/pdf",
		Meta: d.Meta, Resume: d.resume,
		Checkpoint: func(res upload.Resume) error {
			mu.Lock()
			offset = res.Offset
			mu.Unlock()
			// A number once given is kept: a later checkpoint without
			// one does not clear it.
			_, err := r.o.db.ExecContext(context.WithoutCancel(tctx), `UPDATE deliveries SET resume_token = ?, resume_offset = ?,
				resume_number = CASE WHEN ? != '' THEN ? ELSE resume_number END, updated = ?
				WHERE id = ? AND owner = ?`, res.Token, res.Offset, res.Number, res.Number, r.o.now().UnixMilli(), d.ID, r.o.owner)
			if err != nil {
				return fmt.Errorf("outbox: save the transfer's position: %w", err)
			}
			return nil
		},
		Progress: func(sent int64) {
			if time.Since(lastNote) < 100*time.Millisecond {
				return
			}
			lastNote = time.Now()
			nd := d
			nd.Sent = sent
			r.opt.Notify(nd)
		},
	}
	log.Debug("sending", "dest", d.Dest, "from", d.resume.Offset)
	rec, err := t.Put(tctx, doc, body)
	mu.Lock()
	end := offset
	mu.Unlock()
	if err == nil && ctx.Err() == nil {
		if rec.SHA256 == "" {
			rec.SHA256 = d.SHA256
		}
		if rec.Size != d.Size || !strings.EqualFold(rec.SHA256, d.SHA256) {
			err = upload.Temporary(fmt.Errorf("the server reports %d bytes (sha256 %s), not the %d sent (%s)", rec.Size, rec.SHA256, d.Size, d.SHA256))
		}
	}
	// Stopped by the caller, or taken over by another demat: not a
	// failure of the delivery.
	stopped := err != nil && tctx.Err() != nil
	r.finish(d, end, err, &rec, stopped)
}

// finish records the outcome of an attempt.
func (r *runner) finish(d Delivery, offset int64, err error, rec *upload.Receipt, stopped bool) {
	ctx := context.Background()
	o := r.o
	now := o.now()
	log := o.logger.With("delivery", d.ID, "target", d.Target, "attempt", d.Attempts)
	var q string
	var args []any
	switch {
	case err == nil:
		rec.Time = rec.Time.UTC()
		rj, _ := json.Marshal(rec)
		q = `UPDATE deliveries SET state = ?, receipt = ?, error = '', owner = '', lease_until = 0, resume_offset = size, updated = ? WHERE id = ?`
		args = []any{Delivered, string(rj), now.UnixMilli(), d.ID}
		d.State, d.Receipt, d.Error, d.Sent = Delivered, rec, "", d.Size
		log.Info("delivered", "location", rec.Location, "bytes", rec.Size, "verified", rec.Verified, "already", rec.Already)
		if rec.Number != "" {
			log.Info("numbered by the server", "number", rec.Number)
		} else if rec.NumberNote != "" {
			log.Warn("no registration number from the server", "note", rec.NumberNote)
		}
	case stopped:
		// Stopped, not failed: the attempt does not count.
		q = `UPDATE deliveries SET state = ?, owner = '', lease_until = 0, attempts = max(attempts - 1, 0), updated = ? WHERE id = ? AND owner = ?`
		args = []any{Pending, now.UnixMilli(), d.ID, o.owner}
		d.State = Pending
		log.Info("stopped; will resume", "sent", offset)
	case errors.Is(err, upload.ErrExists):
		if d.suffix >= 99 {
			q, args = failQ(Failed, err.Error()+": 99 names tried", now, d.ID)
			d.State, d.Error = Failed, err.Error()
			break
		}
		// Another document holds the name: try the next one at once.
		q = `UPDATE deliveries SET state = ?, suffix = suffix + 1, resume_token = '', resume_offset = 0, resume_number = '', next_at = ?, owner = '', lease_until = 0, updated = ? WHERE id = ?`
		args = []any{Pending, now.UnixMilli(), now.UnixMilli(), d.ID}
		d.State = Pending
		log.Info("destination taken; trying the next name", "dest", d.Dest, "next", upload.Suffixed(d.Name, d.suffix+1))
	case errors.Is(err, upload.ErrAuth):
		msg := fmt.Sprintf("%s refused the credentials (%v)", d.Target, err)
		if cred := r.credential(d.Target); cred != "" {
			msg += fmt.Sprintf(": set the password with `demat credentials set %s`, then `demat outbox retry %d`", cred, d.ID)
		}
		q, args = failQ(NeedsCredentials, msg, now, d.ID)
		d.State, d.Error = NeedsCredentials, msg
		log.Warn("needs credentials", "err", err)
	case upload.IsTemporary(err):
		progressed := offset > d.resume.Offset
		failures := d.failures + 1
		if progressed {
			failures = 0
		}
		wait := r.backoff(failures)
		if ra, ok := upload.Delay(err); ok {
			wait = ra
		} else if progressed {
			wait = 0 // the link works, if only in bursts: continue at once
		}
		q = `UPDATE deliveries SET state = ?, error = ?, failures = ?, next_at = ?, owner = '', lease_until = 0, updated = ? WHERE id = ?`
		args = []any{Pending, err.Error(), failures, now.Add(wait).UnixMilli(), now.UnixMilli(), d.ID}
		d.State, d.Error, d.NextAt = Pending, err.Error(), now.Add(wait)
		log.Info("will retry", "err", err, "in", wait.Round(time.Millisecond), "sent", offset)
	default:
		q, args = failQ(Failed, err.Error(), now, d.ID)
		d.State, d.Error = Failed, err.Error()
		log.Warn("failed", "err", err)
	}
	if _, dbErr := o.db.ExecContext(ctx, q, args...); dbErr != nil {
		// The database is gone (disk removed?): the row stays "sending"
		// and the next run takes it up again; the target's idempotence
		// makes that safe.
		log.Error("could not record the outcome", "err", dbErr)
		return
	}
	if d.State == Delivered {
		os.Remove(filepath.Join(o.spool, d.spool))
	}
	d.Sent = offset
	if d.State == Delivered {
		d.Sent = d.Size
	}
	r.opt.Notify(d)
}

func failQ(s State, msg string, now time.Time, id int64) (string, []any) {
	return `UPDATE deliveries SET state = ?, error = ?, owner = '', lease_until = 0, updated = ? WHERE id = ?`,
		[]any{s, msg, now.UnixMilli(), id}
}

func (r *runner) credential(target string) string {
	_, l, err := r.opt.Targets.Target(target)
	if err != nil {
		return ""
	}
	return l.Credential
}

// backoff is the wait after the n-th failure in a row.
func (r *runner) backoff(n int) time.Duration {
	d := r.opt.Backoff.Base
	for i := 1; i < n && d < r.opt.Backoff.Max; i++ {
		d *= 2
	}
	d = min(d, r.opt.Backoff.Max)
	return d/2 + rand.N(d/2+1)
}

// Counts gives how many deliveries are in each state.
func (o *Outbox) Counts(ctx context.Context) (map[State]int, error) {
	rows, err := o.db.QueryContext(ctx, `SELECT state, count(*) FROM deliveries GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	defer rows.Close()
	out := map[State]int{}
	for rows.Next() {
		var s State
		var n int
		if err := rows.Scan(&s, &n); err != nil {
			return nil, err
		}
		out[s] = n
	}
	return out, rows.Err()
}
