package upload

import (
	"context"
	"io"
	"time"
)

// Target is a place documents are delivered to: a folder, a WebDAV
// space, an SFTP drop, a tus deposit service.
//
// Put must be idempotent for the same Doc.ID: a second Put after a lost
// response, a crash or a cut connection leaves exactly one copy at the
// destination. Targets that write in place upload to a temporary name
// derived from Doc.ID and rename it into place; a target that finds the
// destination already holding the same bytes (same size, and the same
// SHA-256 where it can tell) reports success without writing again. A
// destination holding other bytes is not overwritten: Put returns an
// error wrapping ErrExists and the outbox picks another name.
//
// Before returning a Receipt, Put checks what the server holds (at least
// its size) and says how in Receipt.Verified.
type Target interface {
	// Put delivers doc, whose bytes body gives.
	Put(ctx context.Context, doc Doc, body Body) (Receipt, error)
}

// Stater is a Target that can say what it holds at a name.
type Stater interface {
	// Stat describes what is at name (a Doc.Name); an error wrapping
	// fs.ErrNotExist when there is nothing.
	Stat(ctx context.Context, name string) (Info, error)
}

// Deleter is a Target that can remove what it holds at a name (used by
// `demat target test` to remove its probe, and by tests).
type Deleter interface {
	Delete(ctx context.Context, name string) error
}

// Opener is a Target that can read back what it holds at a name, so
// that a delivery can be checked byte for byte.
type Opener interface {
	Open(ctx context.Context, name string) (io.ReadCloser, error)
}

// Doc is one document to deliver.
type Doc struct {
	// ID identifies the delivery; it is the same on every attempt, so
	// temporary names and resumable uploads derived from it are found
	// again after a crash. Letters, digits and '-' only.
	ID string
	// Name is where the document goes, relative to the target's root:
	// '/'-separated, each element already sanitised (see Path). Targets
	// create the folders it names.
	Name string
	// Size is the document's length in bytes.
	Size int64
	// SHA256 is the hex SHA-256 of the document's bytes.
	SHA256 string
	// ContentType is the document's media type ("application/pdf").
	ContentType string
	// Meta is the document's metadata (registry fields, title…), sent
	// where the protocol has a place for it (tus Upload-Metadata).
	Meta map[string]string
	// Resume is what this target saved with Checkpoint on an earlier
	// attempt (a tus upload URL, say); zero on the first attempt.
	Resume Resume
	// Checkpoint, when not nil, saves resume state durably; a resuming
	// target calls it as soon as it has state worth keeping (right after
	// a tus upload is created) and as bytes are acknowledged. An error
	// from it stops the transfer.
	Checkpoint func(Resume) error
	// Progress, when not nil, is told how many bytes the server has
	// acknowledged so far. It must not block.
	Progress func(sent int64)
}

// Resume is a target's resume state for one delivery.
type Resume struct {
	// Token is the target's own state (a tus upload URL); opaque to the
	// outbox.
	Token string
	// Offset is how many bytes the server is known to hold.
	Offset int64
	// Number is the registration number the server gave in an earlier
	// attempt's answer (NumberSource), kept so that an attempt whose
	// last answers carry none (the first attempt's were received, the
	// check after them failed) still reports it. The outbox never clears
	// a number once saved.
	Number string
}

// Body opens the document's bytes starting at offset. Each call gives a
// fresh reader; the caller closes it.
type Body func(offset int64) (io.ReadCloser, error)

// Info is what a target holds at a name.
type Info struct {
	Size int64
	// SHA256 is the hex SHA-256 of what is held, when the target can
	// tell without reading it all back; empty otherwise.
	SHA256  string
	ModTime time.Time
}

// Receipt is the proof of a delivery.
type Receipt struct {
	// Location is where the document now is: a path, or a URL without
	// credentials.
	Location string `json:"location"`
	// Size is the size the server holds.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of the document delivered.
	SHA256 string `json:"sha256"`
	// Time is when the delivery was confirmed.
	Time time.Time `json:"time"`
	// Verified says how the delivery was checked: "size" or "sha256".
	Verified string `json:"verified"`
	// ServerID is what the server calls the document (an ETag, a tus
	// upload URL, a file id), when it says.
	ServerID string `json:"server_id,omitempty"`
	// Already is true when the destination already held the document
	// (an earlier attempt had delivered it but its answer was lost).
	Already bool `json:"already,omitempty"`
	// Number is the registration number the server gave the document
	// (a bureau d'ordre platform registers what it receives), read from
	// its answer where the target's NumberSource says; empty when the
	// target reads none.
	Number string `json:"number,omitempty"`
	// NumberNote says why Number is empty although the target expects
	// one (the answer lacked it, or held a value that is not a number).
	// The delivery still counts: the document is there.
	NumberNote string `json:"number_note,omitempty"`
}

// Numberer is a Target whose server may give a registration number in
// its answer to a delivery (Receipt.Number).
type Numberer interface {
	// Numbers says where the target looks for the number; the zero
	// NumberSource when it looks for none.
	Numbers() NumberSource
}
