// Package register keeps the registry desk's registers (bureau d'ordre):
// one entry per incoming, outgoing or internal item, under a number that
// is chronological, unique and gapless per register and year.
//
// Numbers are allocated in one immediate transaction of the shared
// database (internal/db): read the register's counter, insert the entry,
// bump the counter, and record the audit entry (internal/audit). Two
// demat processes on the same data therefore never take the same number,
// and a crash at any instant leaves either all of it or none of it.
//
// A scanned document is registered in two phases: Reserve gives the
// number (state pending) before the PDF that carries it in its metadata
// is written and signed; Complete records the final PDF's hash and page
// count. A number once given is never given again nor deleted: an entry
// whose PDF never came is kept and voided ("void: interrupted"), so the
// sequence keeps no gap and the register says what happened. Recover
// settles the pending entries of processes that died: completed when
// their PDF is in place with their number, voided otherwise.
//
// A server a document is delivered to may give it its own number (a
// national bureau d'ordre platform): RecordDelivery keeps it as the
// entry's ServerNumber, searchable and found by Get like the entry's
// own. An entry keeps its own number; under server numbering
// (Options.Numbering) the register's number is provisional, the entry
// waits in state awaiting-number once its document is complete, and the
// server's number becomes its number of record when a delivery gives
// it. Either way the register's own sequence stays gapless, and server
// numbers are unique: one that another entry already has is recorded
// with the delivery and in the audit trail, and reported, not taken.
//
// The package must not write PDFs nor talk to servers: it reads a PDF's
// metadata to recover an interrupted registration, and records the
// outbox's deliveries it is told about.
package register
