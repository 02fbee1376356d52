// Package webdav is the upload target for WebDAV servers (RFC 4918):
// Nextcloud and ownCloud, SharePoint, Alfresco, Apache mod_dav, and the
// many NAS boxes that speak it. It uses net/http through upload.Net, so
// trust (CA file, pinned certificates) and stall detection are the same
// as every other HTTP target's.
//
// A delivery looks at the destination first (PROPFIND, then a read back
// when the sizes agree, so a retry after a lost answer reports the
// document as already there and a different document is never
// overwritten), creates the missing collections (MKCOL), uploads to a
// hidden temporary name derived from the delivery id, reads that back
// and hashes it, moves it into place with "Overwrite: F" and checks the
// size the final name then holds. The read back comes before the move so
// that the final name only ever holds a complete, checked document: a
// temporary file that is not the document is removed and sent again.
//
// The temporary file is written in chunks: the first with a plain PUT,
// the others with a ranged PUT (Content-Range: bytes a-b/total), which
// Apache mod_dav honours. An attempt that is cut leaves on the server
// what it received; the next attempt asks the temporary file's size
// (PROPFIND getcontentlength) and continues from there. A server that
// refuses ranged PUTs (400, 501), or ignores the range and keeps only
// the last chunk, is detected and from then on gets whole-file PUTs for
// the Target's lifetime: correct, but a cut transfer starts again.
//
// Authentication is HTTP Basic, sent with every request. Basic sends the
// password in the clear: use https:// with any server that is not on the
// same machine. Digest, NTLM and Negotiate are not implemented (Basic
// over TLS is what Nextcloud, SharePoint Online's app passwords, Alfresco
// and mod_dav deployments offer); a server that offers only those is
// refused with an error that says so.
//
// A server that registers what it receives (a bureau d'ordre platform)
// may say the registration number it gave in its answer: in a header or
// a JSON body, where Options.Number says. It is read from the answer to
// the MOVE, else to the PUT that completed the document, else, when an
// earlier attempt's answer was lost, from the headers of the GET that
// reads the document back or from what that attempt saved
// (upload.Resume.Number); it goes in Receipt.Number. A delivery whose
// answers carry no number still succeeds: the document is there, and
// Receipt.NumberNote says what was missing.
//
// It must not know about the outbox, retries or the keyring: it is given
// a Credential function, called at each operation so that a password
// changed with `demat credentials set` is used at once, and it never
// puts the password in an error, a receipt or a URL.
package webdav
