// Package audit keeps demat's audit trail: an append-only, hash-chained
// log of what happened to documents (captured, numbered, registered,
// signed, delivered, voided), by whom, on which workstation, with which
// device and which document hashes.
//
// The log lives in the shared database (internal/db), in its own tables.
// Each entry's hash is a SHA-256 over a canonical encoding of its fields
// and of the previous entry's hash, and a one-row head remembers the last
// sequence and hash, so that Verify finds an entry altered, removed
// (anywhere, including at the end) or moved. It makes tampering evident,
// not impossible: whoever can write the database can rewrite the whole
// chain, which is why the head hash is printed for people to note
// elsewhere (a paper register, a message to the archives).
//
// The package must not know what the register or the outbox are: callers
// tell it what to record, and may record inside their own transaction
// (AppendTx) so that a state change and its audit entry commit together.
package audit
