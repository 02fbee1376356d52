package tus

import (
	"bytes"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
)

// version is the tus protocol version spoken, sent with every request.
const version = "1.0.0"

// statusChecksumMismatch is tus's own status for a chunk whose
// Upload-Checksum did not match what the server received.
const statusChecksumMismatch = 460

// maxProtocolRetries bounds the retries the protocol itself calls for
// within one Put (an offset conflict, a checksum mismatch): past that the
// server is confused or the link corrupts data, and the outbox's slower
// rhythm takes over.
const maxProtocolRetries = 3

// Options configure a tus target.
type Options struct {
	// URL is the server's creation endpoint ("https://depot.example/files/").
	URL string
	// User is the HTTP Basic user name; empty with Bearer, or for a
	// server that needs no credentials.
	User string
	// Credential gives the password (or, with Bearer, the token).
	// It is called at each Put, so a password fixed with `demat
	// credentials set` is used without restarting; nil when the server
	// needs none. An error wrapping credentials.ErrNotFound makes Put fail
	// with upload.ErrAuth.
	Credential func() (credentials.Secret, error)
	// Bearer sends the Credential as a bearer token ("Authorization:
	// Bearer <token>") instead of an HTTP Basic password for User.
	Bearer bool
	// Headers are extra request headers the server wants (a tenant, an
	// API version). Not for secrets: they live in the configuration.
	Headers map[string]string
	// Net is trust and patience: CA file, pinned certificates, how long a
	// stalled connection is waited for.
	Net upload.Net
	// ChunkSize is the most bytes sent in one PATCH request.
	ChunkSize int64
	// Number is where the server's answer gives the registration number
	// it gave the document: read from the answer to the PATCH that
	// completes the upload (where tusd's pre-finish hook puts what the
	// deposit service says), else from the headers of the HEAD that
	// checks it. Zero for a server that gives none.
	Number upload.NumberSource
}

// applyDefaults fills what was not set.
func (o *Options) applyDefaults() {
	if o.ChunkSize <= 0 {
		// Each acknowledged chunk is a checkpoint: small enough that a link
		// dropping every few megabytes still moves forward even with a
		// server that throws away a partly received chunk, large enough
		// that one round trip per chunk costs little beside its transfer.
		o.ChunkSize = 2 << 20
	}
}

// protocolHeaders are set by the target itself; Options.Headers may not
// override them.
var protocolHeaders = []string{
	"Authorization", "Proxy-Authorization", "Cookie", "Host", "Content-Length", "Content-Type",
	"Tus-Resumable", "Upload-Offset", "Upload-Length", "Upload-Metadata", "Upload-Checksum",
	"Upload-Defer-Length", "Upload-Concat", "X-Http-Method-Override",
}

// Target delivers documents to a tus server. It is safe for concurrent
// use: each Put is its own upload; what the server announced (OPTIONS)
// is learnt once and kept under mu.
type Target struct {
	opts   Options
	base   *url.URL // the creation endpoint
	dir    *url.URL // the endpoint as a folder, for upload names given relative to it
	client *http.Client

	mu   sync.Mutex
	caps *capabilities // nil until the server answered OPTIONS
}

// capabilities is what the server announced in answer to OPTIONS.
type capabilities struct {
	extensions map[string]bool
	// checksum is the algorithm for Upload-Checksum ("sha256", "sha1"), or
	// "" when the server does not check chunks.
	checksum string
	// maxSize is Tus-Max-Size, 0 when not said.
	maxSize int64
}

var (
	_ upload.Target   = (*Target)(nil)
	_ upload.Stater   = (*Target)(nil)
	_ upload.Opener   = (*Target)(nil)
	_ upload.Deleter  = (*Target)(nil)
	_ upload.Numberer = (*Target)(nil)
)

// New gives a target for the creation endpoint opts.URL.
func New(opts Options) (*Target, error) {
	opts.applyDefaults()
	u, err := url.Parse(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("tus: endpoint %s: %w", upload.Redact(opts.URL), err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("tus: endpoint %s is not an http:// or https:// URL", upload.Redact(opts.URL))
	}
	if u.User != nil {
		return nil, fmt.Errorf("tus: endpoint %s carries a user name or password: give the user as the user option and store the password with `demat credentials set`", upload.Redact(opts.URL))
	}
	if strings.Contains(opts.User, ":") {
		return nil, errors.New("tus: a user name for HTTP Basic cannot contain ':'")
	}
	if opts.Bearer && opts.Credential == nil {
		return nil, errors.New("tus: bearer token authentication needs a credential")
	}
	for k := range opts.Headers {
		for _, p := range protocolHeaders {
			if strings.EqualFold(k, p) {
				return nil, fmt.Errorf("tus: header %q cannot be set in the configuration: the target sets it (credentials go in the keyring)", k)
			}
		}
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return nil, fmt.Errorf("tus: %q is not a header name", k)
		}
	}
	u.Fragment = ""
	dir := *u
	if !strings.HasSuffix(dir.Path, "/") {
		dir.Path += "/"
		dir.RawPath = ""
	}
	client, err := opts.Net.HTTPClient(u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("tus: %w", err)
	}
	if err := opts.Number.Check(); err != nil {
		return nil, fmt.Errorf("tus: registration number: %w", err)
	}
	return &Target{opts: opts, base: u, dir: &dir, client: client}, nil
}

// Numbers says where the server's answers give a registration number.
func (t *Target) Numbers() upload.NumberSource { return t.opts.Number }

// Put delivers doc as one tus upload, continuing the one doc.Resume
// names when the server still has it.
func (t *Target) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	if doc.Size < 0 {
		return upload.Receipt{}, upload.Permanent(fmt.Errorf("tus: document %s has a negative size", doc.ID))
	}
	auth, err := t.authorization()
	if err != nil {
		return upload.Receipt{}, err
	}
	caps := t.discover(ctx, auth)
	if caps.maxSize > 0 && doc.Size > caps.maxSize {
		return upload.Receipt{}, t.tooLarge(doc, caps.maxSize, nil)
	}
	tr := &transfer{t: t, doc: doc, body: body, auth: auth, checksum: caps.checksum}
	return tr.run(ctx)
}

// transfer is one Put: owned by the goroutine that runs it.
type transfer struct {
	t        *Target
	doc      upload.Doc
	body     upload.Body
	auth     string
	checksum string
	loc      string // the upload's URL
	// number is the registration number the server's answers gave in
	// this Put, numberErr why a value given was refused.
	number    string
	numberErr error
}

// note reads the registration number from a successful answer, if the
// target looks for one.
func (tr *transfer) note(resp *http.Response) {
	src := tr.t.opts.Number
	if src.IsZero() {
		return
	}
	n, err := src.Read(resp)
	switch {
	case err != nil:
		tr.numberErr = err
	case n != "":
		tr.number, tr.numberErr = n, nil
	}
}

func (tr *transfer) run(ctx context.Context) (upload.Receipt, error) {
	t, doc := tr.t, tr.doc
	offset, resumed, err := tr.resume(ctx)
	if err != nil {
		return upload.Receipt{}, err
	}
	if resumed && offset == doc.Size {
		return tr.verify(ctx, true)
	}
	if !resumed {
		if err := tr.create(ctx); err != nil {
			return upload.Receipt{}, err
		}
		offset = 0
	} else {
		if offset != doc.Resume.Offset {
			// The server kept bytes of a cut chunk, or lost some: say so
			// now, so that an attempt cut again before the next chunk is
			// acknowledged still shows what the link achieved.
			if err := tr.checkpoint(offset); err != nil {
				return upload.Receipt{}, err
			}
		}
		if doc.Progress != nil {
			doc.Progress(offset)
		}
	}
	recreated, conflicts, mismatches := false, 0, 0
	for offset < doc.Size {
		next, err := tr.patch(ctx, offset)
		var se *upload.StatusError
		switch {
		case err == nil:
			conflicts, mismatches = 0, 0
			offset = next
			if err := tr.checkpoint(offset); err != nil {
				return upload.Receipt{}, err
			}
			if doc.Progress != nil {
				doc.Progress(offset)
			}
		case !errors.As(err, &se) || ctx.Err() != nil:
			return upload.Receipt{}, err
		case (se.Code == http.StatusConflict || interrupted(se)) && conflicts < maxProtocolRetries:
			// An earlier attempt's request, still arriving, moved the
			// offset or took the upload over: ask where the server is and
			// go on from there.
			conflicts++
			st, err := t.head(ctx, tr.loc, tr.auth, "check upload")
			if err != nil {
				return upload.Receipt{}, err
			}
			if err := st.fits(doc); err != nil {
				return upload.Receipt{}, err
			}
			offset = st.offset
		case se.Code == statusChecksumMismatch && mismatches < maxProtocolRetries:
			// The chunk was damaged on the way and the server dropped it:
			// send it again.
			mismatches++
		case (se.Code == http.StatusNotFound || se.Code == http.StatusGone) && !recreated:
			// The server expired the upload while we were sending it.
			recreated = true
			if err := tr.create(ctx); err != nil {
				return upload.Receipt{}, err
			}
			offset = 0
		default:
			return upload.Receipt{}, err
		}
	}
	return tr.verify(ctx, false)
}

// resume looks at the upload doc.Resume names: the offset to go on
// from, and whether it can be used at all (false: start a new upload).
func (tr *transfer) resume(ctx context.Context) (int64, bool, error) {
	tok := tr.doc.Resume.Token
	if tok == "" {
		return 0, false, nil
	}
	u, ok := tr.t.own(tok)
	if !ok {
		// Saved for another server (the endpoint was changed since):
		// the credentials must not go there.
		return 0, false, nil
	}
	st, err := tr.t.head(ctx, u, tr.auth, "check upload")
	switch {
	case errors.Is(err, fs.ErrNotExist):
		// Expired or removed by the server: start again.
		return 0, false, nil
	case err != nil:
		return 0, false, err
	case st.fits(tr.doc) != nil:
		// Not this document's upload any more (its bytes changed since):
		// leave it alone and make a new one.
		return 0, false, nil
	}
	tr.loc = u
	return st.offset, true, nil
}

// create makes a new upload and saves its URL before any byte is sent,
// so that whatever happens next, the next attempt continues it.
func (tr *transfer) create(ctx context.Context) error {
	t, doc := tr.t, tr.doc
	req, err := t.request(ctx, http.MethodPost, t.base.String(), tr.auth, http.NoBody)
	if err != nil {
		return err
	}
	req.Header.Set("Upload-Length", strconv.FormatInt(doc.Size, 10))
	if m := metadata(doc); m != "" {
		req.Header.Set("Upload-Metadata", m)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return t.transportError(ctx, "create upload", t.base.String(), err)
	}
	if resp.StatusCode == http.StatusRequestEntityTooLarge {
		limit, _ := strconv.ParseInt(resp.Header.Get("Tus-Max-Size"), 10, 64)
		return t.tooLarge(doc, limit, t.statusError(resp, "create upload"))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return t.statusError(resp, "create upload")
	}
	drain(resp)
	loc := resp.Header.Get("Location")
	if loc == "" {
		return upload.Temporary(fmt.Errorf("tus: create upload at %s: the server gave no Location", upload.Redact(t.base.String())))
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return upload.Temporary(fmt.Errorf("tus: create upload at %s: unreadable Location: %w", upload.Redact(t.base.String()), err))
	}
	abs := resp.Request.URL.ResolveReference(ref).String()
	u, ok := t.own(abs)
	if !ok {
		return upload.Permanent(fmt.Errorf("tus: the server put the upload on another server (%s): demat sends credentials only to %s; set that server's address as the endpoint", upload.Redact(abs), t.base.Host))
	}
	tr.loc = u
	return tr.checkpoint(0)
}

func (tr *transfer) checkpoint(offset int64) error {
	if tr.doc.Checkpoint == nil {
		return nil
	}
	if err := tr.doc.Checkpoint(upload.Resume{Token: tr.loc, Offset: offset, Number: tr.number}); err != nil {
		return fmt.Errorf("tus: save the resume state of %s: %w", tr.doc.ID, err)
	}
	return nil
}

// patch sends the chunk at offset and gives the server's new offset.
func (tr *transfer) patch(ctx context.Context, offset int64) (int64, error) {
	t, doc := tr.t, tr.doc
	n := min(t.opts.ChunkSize, doc.Size-offset)
	rc, err := tr.body(offset)
	if err != nil {
		return 0, upload.Permanent(fmt.Errorf("tus: open document %s at byte %d: %w", doc.ID, offset, err))
	}
	var sum string
	var reqBody io.ReadCloser
	src := &docReader{rc: rc, left: n}
	if tr.checksum != "" {
		// The checksum goes in a header, before the bytes: read the chunk
		// first.
		buf, err := io.ReadAll(src)
		src.Close()
		if err == nil {
			err = src.failure()
		}
		if err != nil {
			return 0, tr.readError(err)
		}
		h := newHash(tr.checksum)
		h.Write(buf)
		sum = tr.checksum + " " + base64.StdEncoding.EncodeToString(h.Sum(nil))
		reqBody = io.NopCloser(bytes.NewReader(buf))
	} else {
		// Read the first bytes before the request goes: a document that
		// cannot be read is not worth a request, which the server would
		// otherwise handle after this Put has given up, holding the
		// upload while the next attempt wants it.
		head := make([]byte, min(n, 64<<10))
		if _, err := io.ReadFull(src, head); err != nil {
			src.Close()
			return 0, tr.readError(err)
		}
		reqBody = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(head), src), src}
	}
	req, err := t.request(ctx, http.MethodPatch, tr.loc, tr.auth, reqBody)
	if err != nil {
		reqBody.Close()
		return 0, err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	if sum != "" {
		req.Header.Set("Upload-Checksum", sum)
	}
	resp, err := t.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			if rerr := src.failure(); rerr != nil {
				return 0, tr.readError(rerr)
			}
		}
		return 0, t.transportError(ctx, "send bytes to", tr.loc, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return 0, t.statusError(resp, "send bytes to")
	}
	if offset+n == doc.Size {
		tr.note(resp) // the answer that completes the upload
	}
	drain(resp)
	next, err := strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || next <= offset || next > offset+n {
		return 0, upload.Temporary(fmt.Errorf("tus: send bytes to %s: the server answered offset %q after %d bytes at %d", upload.Redact(tr.loc), resp.Header.Get("Upload-Offset"), n, offset))
	}
	return next, nil
}

// readError classes a failure to read the document itself.
func (tr *transfer) readError(err error) error {
	if errors.Is(err, errShort) {
		return upload.Permanent(fmt.Errorf("tus: document %s: %w: it changed since it was queued", tr.doc.ID, err))
	}
	return upload.Temporary(fmt.Errorf("tus: read document %s: %w", tr.doc.ID, err))
}

// verify asks the server what it holds, and gives the receipt when that
// is the whole document.
func (tr *transfer) verify(ctx context.Context, already bool) (upload.Receipt, error) {
	doc := tr.doc
	st, err := tr.t.head(ctx, tr.loc, tr.auth, "check upload")
	if err != nil {
		return upload.Receipt{}, err
	}
	if st.deferred || st.offset != doc.Size || st.length != doc.Size {
		return upload.Receipt{}, upload.Temporary(fmt.Errorf("tus: %s holds %d of %d bytes after the transfer of %d", upload.Redact(tr.loc), st.offset, st.length, doc.Size))
	}
	if tr.number == "" && tr.numberErr == nil && tr.t.opts.Number.Header != "" {
		// The completing answer was lost or had none: a server that
		// also says the number when asked about the upload gives it.
		tr.note(&http.Response{Header: st.header})
	}
	loc := stripUser(tr.loc)
	number, note := tr.number, ""
	if src := tr.t.opts.Number; !src.IsZero() {
		if number == "" && tr.numberErr == nil {
			number = doc.Resume.Number // an earlier attempt's answer gave it
		}
		if number == "" {
			note = upload.NumberNote(src, tr.numberErr)
		}
	}
	return upload.Receipt{
		Location: loc, ServerID: loc, Number: number, NumberNote: note,
		Size: st.offset, SHA256: doc.SHA256, Time: time.Now().UTC(),
		// Only the size: a tus server says how many bytes it holds, not
		// what they hash to. Upload-Checksum, when the server checks it,
		// protects each chunk on the way in, but a chunk sent by another
		// attempt, or kept from a cut request, was not covered, and the
		// check is the server's word, not something seen from here.
		Verified: "size",
		Already:  already,
	}, nil
}

// state is what HEAD says of an upload.
type state struct {
	offset, length int64
	deferred       bool
	meta           map[string]string
	header         http.Header
}

// fits says whether the upload can hold doc: same length, and the same
// SHA-256 when the server kept it in the metadata.
func (st state) fits(doc upload.Doc) error {
	switch {
	case st.deferred || st.length != doc.Size:
		return fmt.Errorf("tus: the upload is %d bytes long, the document %d", st.length, doc.Size)
	case st.offset < 0 || st.offset > st.length:
		return upload.Temporary(fmt.Errorf("tus: the server says it holds %d bytes of %d", st.offset, st.length))
	case st.meta["sha256"] != "" && !strings.EqualFold(st.meta["sha256"], doc.SHA256):
		return errors.New("tus: the upload is another document's")
	}
	return nil
}

// head asks the server about the upload at loc; an error wrapping
// fs.ErrNotExist when it has none (404, 410).
func (t *Target) head(ctx context.Context, loc, auth, op string) (state, error) {
	req, err := t.request(ctx, http.MethodHead, loc, auth, nil)
	if err != nil {
		return state{}, err
	}
	// Another attempt's bytes may still be arriving: ask the server, not a cache.
	req.Header.Set("Cache-Control", "no-store")
	resp, err := t.client.Do(req)
	if err != nil {
		return state{}, t.transportError(ctx, op, loc, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return state{}, t.statusError(resp, op)
	}
	drain(resp)
	var st state
	st.offset, err = strconv.ParseInt(resp.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return state{}, upload.Temporary(fmt.Errorf("tus: %s %s: no Upload-Offset in the answer", op, upload.Redact(loc)))
	}
	if l := resp.Header.Get("Upload-Length"); l != "" {
		if st.length, err = strconv.ParseInt(l, 10, 64); err != nil {
			return state{}, upload.Temporary(fmt.Errorf("tus: %s %s: unreadable Upload-Length %q", op, upload.Redact(loc), l))
		}
	} else {
		st.deferred = true
	}
	st.meta = parseMetadata(resp.Header.Get("Upload-Metadata"))
	st.header = resp.Header
	return st, nil
}

// Stat describes the upload at name: its URL, or its id relative to the
// endpoint. Size is how many bytes the server holds (the whole document
// once the upload is complete). An error wrapping fs.ErrNotExist when the
// server has no such upload.
func (t *Target) Stat(ctx context.Context, name string) (upload.Info, error) {
	loc, err := t.resolve(name)
	if err != nil {
		return upload.Info{}, err
	}
	auth, err := t.authorization()
	if err != nil {
		return upload.Info{}, err
	}
	st, err := t.head(ctx, loc, auth, "stat")
	if err != nil {
		return upload.Info{}, err
	}
	return upload.Info{Size: st.offset}, nil
}

// Open reads back the upload at name (tusd serves uploads with GET; the
// core protocol does not require it).
func (t *Target) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	loc, err := t.resolve(name)
	if err != nil {
		return nil, err
	}
	auth, err := t.authorization()
	if err != nil {
		return nil, err
	}
	req, err := t.request(ctx, http.MethodGet, loc, auth, nil)
	if err != nil {
		return nil, err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return nil, t.transportError(ctx, "read back", loc, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, t.statusError(resp, "read back")
	}
	return resp.Body, nil
}

// Delete removes the upload at name (the Termination extension).
func (t *Target) Delete(ctx context.Context, name string) error {
	loc, err := t.resolve(name)
	if err != nil {
		return err
	}
	auth, err := t.authorization()
	if err != nil {
		return err
	}
	req, err := t.request(ctx, http.MethodDelete, loc, auth, nil)
	if err != nil {
		return err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return t.transportError(ctx, "delete", loc, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return t.statusError(resp, "delete")
	}
	drain(resp)
	return nil
}

// discover asks the server which extensions it has (OPTIONS), once per
// Target. The answer is an optimisation (checksums, an early size
// check): a server that does not do discovery is spoken to with the core
// protocol; one that could not answer (no connection, 5xx, 401) is asked
// again at the next Put.
func (t *Target) discover(ctx context.Context, auth string) capabilities {
	t.mu.Lock()
	if t.caps != nil {
		c := *t.caps
		t.mu.Unlock()
		return c
	}
	t.mu.Unlock()
	req, err := t.request(ctx, http.MethodOptions, t.base.String(), auth, nil)
	if err != nil {
		return capabilities{}
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return capabilities{}
	}
	drain(resp)
	switch resp.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden, http.StatusRequestTimeout, http.StatusTooManyRequests:
		return capabilities{} // no answer yet: ask again next time
	}
	if resp.StatusCode >= 500 {
		return capabilities{}
	}
	c := capabilities{extensions: map[string]bool{}}
	if resp.StatusCode > 299 || resp.Header.Get("Tus-Version") == "" && resp.Header.Get("Tus-Resumable") == "" {
		// The server does not do discovery: the core protocol it is, for
		// this Target's life.
		t.mu.Lock()
		t.caps = &c
		t.mu.Unlock()
		return c
	}
	for _, e := range strings.Split(resp.Header.Get("Tus-Extension"), ",") {
		if e = strings.TrimSpace(strings.ToLower(e)); e != "" {
			c.extensions[e] = true
		}
	}
	if c.extensions["checksum"] {
		algs := map[string]bool{}
		for _, a := range strings.Split(resp.Header.Get("Tus-Checksum-Algorithm"), ",") {
			algs[strings.TrimSpace(strings.ToLower(a))] = true
		}
		// The strongest the server offers.
		for _, a := range []string{"sha256", "sha1"} {
			if algs[a] {
				c.checksum = a
				break
			}
		}
	}
	c.maxSize, _ = strconv.ParseInt(resp.Header.Get("Tus-Max-Size"), 10, 64)
	t.mu.Lock()
	t.caps = &c
	t.mu.Unlock()
	return c
}

// request makes a tus request with the configured headers and
// credentials.
func (t *Target) request(ctx context.Context, method, loc, auth string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, loc, body)
	if err != nil {
		return nil, upload.Permanent(fmt.Errorf("tus: %s %s: %w", method, upload.Redact(loc), err))
	}
	for k, v := range t.opts.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Tus-Resumable", version)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	return req, nil
}

// authorization gives the Authorization header's value, "" when the
// server needs none. It holds the secret: it goes in requests only.
func (t *Target) authorization() (string, error) {
	if t.opts.Credential == nil {
		if t.opts.User == "" {
			return "", nil
		}
		return basic(t.opts.User, ""), nil
	}
	s, err := t.opts.Credential()
	switch {
	case errors.Is(err, upload.ErrAuth):
		return "", fmt.Errorf("tus: %s: %w", upload.Redact(t.base.String()), err)
	case errors.Is(err, credentials.ErrNotFound):
		return "", fmt.Errorf("tus: %s: %w: %w", upload.Redact(t.base.String()), upload.ErrAuth, err)
	}
	if err != nil {
		return "", fmt.Errorf("tus: %s: read the credential: %w", upload.Redact(t.base.String()), err)
	}
	if s.IsZero() {
		return "", fmt.Errorf("tus: %s: %w: the stored credential is empty", upload.Redact(t.base.String()), upload.ErrAuth)
	}
	if t.opts.Bearer {
		return "Bearer " + s.Reveal(), nil
	}
	return basic(t.opts.User, s.Reveal()), nil
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// own gives loc as an absolute URL when it is on the endpoint's server
// (same scheme and host), the only one credentials are sent to.
func (t *Target) own(loc string) (string, bool) {
	u, err := url.Parse(loc)
	if err != nil || !u.IsAbs() || u.User != nil || u.Opaque != "" {
		return "", false
	}
	if !strings.EqualFold(u.Scheme, t.base.Scheme) || !strings.EqualFold(u.Host, t.base.Host) {
		return "", false
	}
	u.Fragment = ""
	return u.String(), true
}

// resolve turns an upload name (its URL, or its id relative to the
// endpoint) into the upload's URL.
func (t *Target) resolve(name string) (string, error) {
	ref, err := url.Parse(name)
	if err != nil || name == "" {
		return "", upload.Permanent(fmt.Errorf("tus: %q is not an upload URL", name))
	}
	if ref.IsAbs() {
		loc, ok := t.own(name)
		if !ok {
			return "", upload.Permanent(fmt.Errorf("tus: %s is not on %s", upload.Redact(name), t.base.Host))
		}
		return loc, nil
	}
	return t.dir.ResolveReference(ref).String(), nil
}

// statusError classes a failed answer. It reads and closes the body.
func (t *Target) statusError(resp *http.Response, op string) error {
	err := upload.CheckStatus(resp, op)
	var se *upload.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("tus: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusNotFound, http.StatusGone:
		return upload.Permanent(fmt.Errorf("tus: %w: the upload expired or was removed (%w)", se, fs.ErrNotExist))
	case http.StatusLocked:
		// Another request (an earlier attempt still arriving) holds the
		// upload: it lets go shortly.
		return upload.Temporary(fmt.Errorf("tus: %w", se))
	case statusChecksumMismatch:
		return upload.Temporary(fmt.Errorf("tus: %w: the server received other bytes than were sent (checksum mismatch)", se))
	case http.StatusConflict:
		return upload.Temporary(fmt.Errorf("tus: %w: the server holds another offset than expected", se))
	}
	if interrupted(se) {
		return upload.Temporary(fmt.Errorf("tus: %w", se))
	}
	return fmt.Errorf("tus: %w", err)
}

// interrupted says whether the server stopped a request because another
// one for the same upload came in (tusd answers 400 ERR_UPLOAD_INTERRUPTED
// when a request from a connection that was given up arrives late and
// takes the upload's lock).
func interrupted(se *upload.StatusError) bool {
	return se.Code == http.StatusBadRequest && strings.Contains(se.Body, "ERR_UPLOAD_INTERRUPTED")
}

// tooLarge is the refusal of a document bigger than the server takes:
// permanent, and not ErrNoSpace (making room will not help).
func (t *Target) tooLarge(doc upload.Doc, maxSize int64, cause error) error {
	limit := "its maximum"
	if maxSize > 0 {
		limit = fmt.Sprintf("its maximum of %d bytes", maxSize)
	}
	msg := fmt.Sprintf("tus: %s refuses document %s: it is %d bytes, more than %s; ask the server's administrator to raise the limit, or send a smaller document", t.base.Host, doc.ID, doc.Size, limit)
	if cause != nil {
		msg += " (" + cause.Error() + ")"
	}
	return upload.Permanent(errors.New(msg))
}

// transportError classes a request that got no answer.
func (t *Target) transportError(ctx context.Context, op, loc string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("tus: %s %s: %w", op, upload.Redact(loc), cerr)
	}
	// url.Error repeats the whole URL, query included: say it redacted.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	e := fmt.Errorf("tus: %s %s: %w", op, upload.Redact(loc), err)
	if errors.Is(err, upload.ErrUntrusted) {
		return e // not temporary: someone must decide to trust the server
	}
	return upload.Temporary(e)
}

// drain reads what is left of a small answer so the connection can be
// used again, and closes it.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// stripUser gives loc without user information.
func stripUser(loc string) string {
	u, err := url.Parse(loc)
	if err != nil {
		return upload.Redact(loc)
	}
	u.User = nil
	return u.String()
}

// metadata is the Upload-Metadata header: the document's file name, type
// and SHA-256, and its metadata, keys made ASCII without spaces or commas
// as the protocol wants, values base64.
func metadata(doc upload.Doc) string {
	m := map[string]string{}
	names := make([]string, 0, len(doc.Meta))
	for k := range doc.Meta {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		// The first of two keys that clean to the same one wins, so the
		// header is the same at every attempt.
		if key := metaKey(k); key != "" {
			if _, dup := m[key]; !dup {
				m[key] = doc.Meta[k]
			}
		}
	}
	for k, v := range map[string]string{"filename": doc.Name, "filetype": doc.ContentType, "sha256": doc.SHA256} {
		if v != "" {
			m[k] = v
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		if m[k] == "" {
			parts = append(parts, k)
		} else {
			parts = append(parts, k+" "+base64.StdEncoding.EncodeToString([]byte(m[k])))
		}
	}
	return strings.Join(parts, ",")
}

// metaKey makes a metadata key the protocol accepts: printable ASCII
// without space or comma, others replaced by '_'.
func metaKey(k string) string {
	var b strings.Builder
	for _, r := range strings.TrimSpace(k) {
		if r > ' ' && r < 0x7f && r != ',' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// parseMetadata reads an Upload-Metadata header; pairs it cannot read
// are left out.
func parseMetadata(h string) map[string]string {
	out := map[string]string{}
	for _, pair := range strings.Split(h, ",") {
		f := strings.Fields(pair)
		switch len(f) {
		case 1:
			out[f[0]] = ""
		case 2:
			if v, err := base64.StdEncoding.DecodeString(f[1]); err == nil {
				out[f[0]] = string(v)
			}
		}
	}
	return out
}

func newHash(alg string) hash.Hash {
	if alg == "sha1" {
		return sha1.New()
	}
	return sha256.New()
}

// errShort is a document that ends before its size.
var errShort = errors.New("the document ended before its size")

// docReader gives one chunk of the document to a request and remembers
// why reading it failed, which the transport does not always say.
type docReader struct {
	rc   io.ReadCloser
	left int64

	mu  sync.Mutex // the transport reads and closes on its own goroutine
	err error
}

func (d *docReader) Read(p []byte) (int, error) {
	if d.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > d.left {
		p = p[:d.left]
	}
	n, err := d.rc.Read(p)
	d.left -= int64(n)
	if err == io.EOF && d.left > 0 {
		err = errShort
	}
	if err != nil && err != io.EOF {
		d.mu.Lock()
		d.err = err
		d.mu.Unlock()
	}
	if err == io.EOF && d.left == 0 {
		err = nil
	}
	return n, err
}

func (d *docReader) Close() error { return d.rc.Close() }

func (d *docReader) failure() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.err
}
