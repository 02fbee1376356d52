// Package outbox is the durable queue between a finished document and its
// target: a table in demat's SQLite database and a spool folder holding a
// copy of every document not yet delivered.
//
// A delivery goes pending → sending → delivered, or to failed (a permanent
// refusal) or needs-credentials (the target refused or lacks its
// password); a temporary failure puts it back to pending with an
// exponential, jittered back-off (or the server's Retry-After). Every
// state change is one SQLite transaction and every spooled file is
// written temp → sync → rename, so a crash or a kill -9 at any instant
// leaves either the old state or the new one: a delivery left "sending"
// by a process that died is taken up again by the next run (the owner's
// process is gone, or its lease ran out), and the target's idempotent Put
// (upload.Target) makes that retry neither lose nor duplicate the
// document. Resumable targets save their position through Checkpoint, so
// a transfer continues where it stopped, even after a restart.
//
// It must not know target protocols (it sees upload.Target only), hold a
// secret, or import fyne.
package outbox
