// Package db opens demat's SQLite database (modernc.org/sqlite, pure Go):
// one file in the data folder shared by the outbox, and later the
// register and the audit trail, each owning its own tables and
// migrations.
//
// It sets what every user of the database relies on: WAL, so that a
// reader never blocks the writer; synchronous=FULL, so that a committed
// state change survives a power cut; a busy timeout, so that two demat
// processes on the same data wait for each other instead of failing;
// and immediate transactions, so that read-then-write sequences (claim a
// delivery, allocate a number) cannot interleave. It must not know any
// table.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Open opens (creating if needed) the database at path.
func Open(path string) (*sql.DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"synchronous(FULL)",
		// Another demat (the window and a CLI batch) may hold the write
		// lock for a moment; waiting up to 15 s is invisible next to a
		// network transfer and far better than a spurious failure.
		"busy_timeout(15000)",
		"foreign_keys(ON)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + filepath.ToSlash(path) + "?" + q.Encode()
	d, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	if err := d.PingContext(context.Background()); err != nil {
		d.Close()
		return nil, fmt.Errorf("db: open %s: %w", path, err)
	}
	return d, nil
}

// Migrate brings a component's tables up to date: steps[i] takes its
// schema from version i to i+1. Versions are kept per component in the
// table schema_versions, so components migrate independently.
func Migrate(ctx context.Context, d *sql.DB, component string, steps []string) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: migrate %s: %w", component, err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("db: migrate %s: %w", component, err)
	}
	var v int
	err = tx.QueryRowContext(ctx, `SELECT version FROM schema_versions WHERE component = ?`, component).Scan(&v)
	if err != nil && err != sql.ErrNoRows {
		return fmt.Errorf("db: migrate %s: %w", component, err)
	}
	if v > len(steps) {
		return fmt.Errorf("db: the %s tables are at version %d, newer than this demat knows (%d): use a newer demat", component, v, len(steps))
	}
	for i := v; i < len(steps); i++ {
		if _, err := tx.ExecContext(ctx, steps[i]); err != nil {
			return fmt.Errorf("db: migrate %s to version %d: %w", component, i+1, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_versions(component, version) VALUES(?, ?)
		ON CONFLICT(component) DO UPDATE SET version = excluded.version`, component, len(steps)); err != nil {
		return fmt.Errorf("db: migrate %s: %w", component, err)
	}
	return tx.Commit()
}
