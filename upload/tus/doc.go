// Package tus is the upload target for tus 1.0 resumable upload servers
// (tusd, and the deposit services built on it): the protocol written on
// net/http, with the Creation, Termination and Checksum extensions.
//
// A delivery is one tus upload. Its URL is the resume state the outbox
// keeps (upload.Resume.Token), saved as soon as the server has created
// it and again as each chunk is acknowledged, so a transfer cut at any
// byte continues from the server's offset on the next Put, in this
// process or after a restart. The server names uploads itself: there is
// no destination path, and a document is never overwritten.
//
// A deposit service that registers what it receives says the
// registration number in its answer to the PATCH that completes the
// upload (tusd's pre-finish hook can set that answer's headers and
// body): a header or a JSON body, where Options.Number says. The number
// is saved with the resume state as soon as it is read, so an attempt
// that fails after it (the final HEAD) does not lose it; it goes in
// Receipt.Number.
//
// It must not retry on its own beyond what the protocol asks for (an
// offset conflict, a checksum mismatch, an expired upload): waiting and
// trying again is the outbox's job. It must not send credentials to
// another host than the configured one, nor put them in an error, a log
// line, a Receipt or a URL it returns.
package tus
