package webdav

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/credentials"
)

// Options configure a WebDAV target.
type Options struct {
	// URL is the collection documents go under, http or https
	// ("https://cloud.example.org/remote.php/dav/files/courrier/Arrivée/").
	// It must not carry a password: that comes from Credential. A user
	// name in it is used when User is empty.
	URL string
	// User is the account for Basic authentication; with no User and no
	// Credential, requests are sent without authentication.
	User string
	// Credential gives the password (or app password, or token used as
	// a password). It is called at each operation, so that a password
	// fixed with `demat credentials set` works without a restart; an
	// error wrapping credentials.ErrNotFound comes back from Put wrapping
	// upload.ErrAuth.
	Credential func() (credentials.Secret, error)
	// Net is how the server is reached: trusted CAs, pinned
	// certificates, stall timeout.
	Net upload.Net
	// ChunkSize is how many bytes each PUT of the temporary file
	// carries; each acknowledged chunk is a checkpoint.
	ChunkSize int64
	// Number is where the server's answer gives the registration number
	// it gave the document: read from the answer to the MOVE that puts
	// the document in place, else to the PUT that completed it, else
	// (a retry after a lost answer) from the headers of the GET that
	// reads the document back. Zero for a server that gives none.
	Number upload.NumberSource
}

// applyDefaults fills what was not set.
func (o *Options) applyDefaults() {
	if o.ChunkSize <= 0 {
		// 1 MiB: a server that drops a cut chunk (rather than keeping
		// what it received, as mod_dav does) costs at most a MiB sent
		// again, and the round trip each chunk adds is a few percent of
		// its transfer time even on a slow, distant link.
		o.ChunkSize = 1 << 20
	}
}

// Target delivers to a WebDAV collection. It is safe for concurrent
// use: its only mutable state is whether the server takes ranged PUTs,
// an atomic flag that only ever goes from true to false.
type Target struct {
	base   *url.URL // the collection, path ending in '/', no user information
	user   string
	cred   func() (credentials.Secret, error)
	client *http.Client
	chunk  int64
	number upload.NumberSource
	// noRanges is set once the server refused or ignored a ranged PUT.
	noRanges atomic.Bool
}

var (
	_ upload.Target   = (*Target)(nil)
	_ upload.Stater   = (*Target)(nil)
	_ upload.Opener   = (*Target)(nil)
	_ upload.Deleter  = (*Target)(nil)
	_ upload.Numberer = (*Target)(nil)
)

// New gives a target for the collection at opts.URL. It does not
// connect: the first Put, Stat, Open or Delete does.
func New(opts Options) (*Target, error) {
	opts.applyDefaults()
	u, err := url.Parse(strings.TrimSpace(opts.URL))
	if err != nil {
		// Not err itself: it quotes the URL, password and all.
		return nil, errors.New("webdav: the URL cannot be read: check its spelling and its %-escapes")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("webdav: URL %s: the scheme must be http or https", upload.Redact(opts.URL))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("webdav: URL %s names no server", upload.Redact(opts.URL))
	}
	if u.User != nil {
		if _, has := u.User.Password(); has {
			return nil, fmt.Errorf("webdav: URL %s carries a password: remove it from the URL and store it with `demat credentials set`", upload.Redact(opts.URL))
		}
		if opts.User == "" {
			opts.User = u.User.Username()
		}
		u.User = nil
	}
	if u.RawQuery != "" || u.ForceQuery {
		return nil, fmt.Errorf("webdav: URL %s: a collection URL has no query", upload.Redact(opts.URL))
	}
	u.Fragment, u.RawFragment = "", ""
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	client, err := opts.Net.HTTPClient(u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("webdav: %w", err)
	}
	if err := opts.Number.Check(); err != nil {
		return nil, fmt.Errorf("webdav: registration number: %w", err)
	}
	return &Target{base: u, user: opts.User, cred: opts.Credential, client: client, chunk: opts.ChunkSize, number: opts.Number}, nil
}

// Numbers says where the server's answers give a registration number.
func (t *Target) Numbers() upload.NumberSource { return t.number }

// URL is the collection's URL, without user information.
func (t *Target) URL() string { return t.base.String() }

// Put delivers doc: see the package documentation for the steps.
func (t *Target) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	if err := checkName(doc.Name); err != nil {
		return upload.Receipt{}, err
	}
	s, err := t.session()
	if err != nil {
		return upload.Receipt{}, err
	}
	tmpName := upload.TempName(doc)
	dest, tmp := t.url(doc.Name), t.url(tmpName)
	if r, done, err := s.already(ctx, dest, tmp, doc); done || err != nil {
		return r, err
	}
	if err := s.mkcols(ctx, path.Dir(doc.Name)); err != nil {
		return upload.Receipt{}, err
	}
	if err := s.upload(ctx, doc, tmpName, tmp, body); err != nil {
		return upload.Receipt{}, err
	}
	return s.place(ctx, doc, tmp, dest)
}

// Stat describes the document at name.
func (t *Target) Stat(ctx context.Context, name string) (upload.Info, error) {
	if err := checkName(name); err != nil {
		return upload.Info{}, err
	}
	s, err := t.session()
	if err != nil {
		return upload.Info{}, err
	}
	p, err := s.propfind(ctx, t.url(name))
	if err != nil {
		return upload.Info{}, err
	}
	if p.collection {
		return upload.Info{}, upload.Permanent(fmt.Errorf("webdav: %s is a folder, not a document", redact(t.url(name))))
	}
	return upload.Info{Size: p.size, ModTime: p.modTime}, nil
}

// Open reads the document at name.
func (t *Target) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	s, err := t.session()
	if err != nil {
		return nil, err
	}
	resp, err := s.get(ctx, t.url(name))
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// Delete removes the document at name.
func (t *Target) Delete(ctx context.Context, name string) error {
	if err := checkName(name); err != nil {
		return err
	}
	s, err := t.session()
	if err != nil {
		return err
	}
	return s.delete(ctx, t.url(name))
}

// checkName refuses names that are not a relative '/'-separated path
// of real elements: the server would resolve ".." above the collection.
func checkName(name string) error {
	if name == "" {
		return upload.Permanent(errors.New("webdav: no document name"))
	}
	for _, e := range strings.Split(name, "/") {
		if e == "" || e == "." || e == ".." {
			return upload.Permanent(fmt.Errorf("webdav: %q is not a document name under the collection", name))
		}
	}
	return nil
}

// url is the URL of name under the collection, each element
// percent-encoded on its own ("#", "%", "?", spaces and every non-ASCII
// letter included) so that the server sees exactly the name given.
func (t *Target) url(name string) *url.URL {
	elems := strings.Split(name, "/")
	for i, e := range elems {
		elems[i] = url.PathEscape(e)
	}
	u := *t.base
	u.Path = t.base.Path + name
	u.RawPath = t.base.EscapedPath() + strings.Join(elems, "/")
	return &u
}

func redact(u *url.URL) string { return upload.Redact(u.String()) }

// session is one operation's view of the target: the credential read
// once for all its requests.
type session struct {
	t    *Target
	auth string // the Authorization header, or ""
	// number is the registration number the server's answers gave in
	// this operation, numberErr why a value given was refused.
	number    string
	numberErr error
}

// note reads the registration number from a successful answer, if the
// target looks for one; a later answer's number wins (the MOVE's over
// the PUT's).
func (s *session) note(resp *http.Response) {
	if s.t.number.IsZero() {
		return
	}
	n, err := s.t.number.Read(resp)
	switch {
	case err != nil:
		s.numberErr = err
	case n != "":
		s.number, s.numberErr = n, nil
	}
}

// session reads the credential.
func (t *Target) session() (*session, error) {
	s := &session{t: t}
	if t.cred == nil {
		if t.user != "" {
			s.auth = basic(t.user, "")
		}
		return s, nil
	}
	secret, err := t.cred()
	if err != nil {
		if errors.Is(err, credentials.ErrNotFound) {
			return nil, &missingCredential{user: t.user, server: t.base.Host, err: err}
		}
		return nil, fmt.Errorf("webdav: the password of %s on %s: %w", t.user, t.base.Host, err)
	}
	s.auth = basic(t.user, secret.Reveal())
	return s, nil
}

func basic(user, password string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password))
}

// missingCredential is a password that is not stored: it is
// upload.ErrAuth for the outbox (the delivery waits for `demat
// credentials set`), with a message that does not blame the server.
type missingCredential struct {
	user, server string
	err          error
}

func (e *missingCredential) Error() string {
	return fmt.Sprintf("webdav: no password for %s on %s: %v; store it with `demat credentials set`", e.user, e.server, e.err)
}

func (e *missingCredential) Unwrap() []error { return []error{e.err, upload.ErrAuth} }

// request sends one request. extra are header name, value pairs.
func (s *session) request(ctx context.Context, method string, u *url.URL, body io.Reader, length int64, extra ...string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, upload.Permanent(fmt.Errorf("webdav: %s %s: %w", method, redact(u), err))
	}
	if body != nil {
		req.ContentLength = length
		if length == 0 {
			req.Body = http.NoBody
		}
	}
	if s.auth != "" {
		req.Header.Set("Authorization", s.auth)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := s.t.client.Do(req)
	if err != nil {
		return nil, s.transport(ctx, method, u, err)
	}
	return resp, nil
}

// transport classifies an error that is not an answer from the server.
func (s *session) transport(ctx context.Context, op string, u *url.URL, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // its message repeats the method and URL
	}
	if cerr := ctx.Err(); cerr != nil {
		return fmt.Errorf("webdav: %s %s: %w", op, redact(u), cerr)
	}
	err = fmt.Errorf("webdav: %s %s: %w", op, redact(u), err)
	if errors.Is(err, upload.ErrUntrusted) {
		return upload.Permanent(err)
	}
	return upload.Temporary(err)
}

// status turns an answer that is not 2xx into a classified error (and
// closes its body), with a word on authentication schemes for a 401.
func (s *session) status(resp *http.Response, op string) error {
	challenge := resp.Header.Values("WWW-Authenticate")
	err := upload.CheckStatus(resp, op)
	if err == nil {
		return nil
	}
	if resp.StatusCode == http.StatusUnauthorized {
		switch {
		case s.auth == "":
			return fmt.Errorf("webdav: %w (no user is configured for this target)", err)
		case len(challenge) > 0 && !offersBasic(challenge):
			return fmt.Errorf("webdav: %w (the server offers %s authentication; demat uses Basic, which the server must allow, over HTTPS)", err, schemes(challenge))
		}
	}
	return fmt.Errorf("webdav: %w", err)
}

func offersBasic(challenge []string) bool {
	for _, c := range challenge {
		for _, part := range strings.Split(c, ",") {
			if f := strings.Fields(part); len(f) > 0 && strings.EqualFold(f[0], "Basic") {
				return true
			}
		}
	}
	return false
}

func schemes(challenge []string) string {
	var out []string
	for _, c := range challenge {
		if f := strings.Fields(c); len(f) > 0 {
			out = append(out, f[0])
		}
	}
	return strings.Join(out, ", ")
}

// drain reads what is left of a body and closes it, so the connection
// goes back to the pool.
func drain(resp *http.Response) {
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// notFound is a 404 as fs.ErrNotExist.
func notFound(resp *http.Response, op string, u *url.URL) error {
	drain(resp)
	return fmt.Errorf("webdav: %s %s: %w", op, redact(u), fs.ErrNotExist)
}

// props is what PROPFIND tells of a resource.
type props struct {
	size       int64
	modTime    time.Time
	etag       string
	collection bool
}

// propfindBody asks for the few properties used, rather than allprop,
// which some servers (Nextcloud, SharePoint) answer slowly or in part.
const propfindBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:getcontentlength/><D:getlastmodified/><D:getetag/></D:prop></D:propfind>`

// multistatus is the part of a 207 answer read.
type multistatus struct {
	Responses []struct {
		Propstats []struct {
			Status string `xml:"DAV: status"`
			Prop   struct {
				Length   string `xml:"DAV: getcontentlength"`
				Modified string `xml:"DAV: getlastmodified"`
				ETag     string `xml:"DAV: getetag"`
				Type     struct {
					Collection *struct{} `xml:"DAV: collection"`
				} `xml:"DAV: resourcetype"`
			} `xml:"DAV: prop"`
		} `xml:"DAV: propstat"`
	} `xml:"DAV: response"`
}

// propfind describes the resource at u (Depth 0); an error wrapping
// fs.ErrNotExist when there is none.
func (s *session) propfind(ctx context.Context, u *url.URL) (props, error) {
	resp, err := s.request(ctx, "PROPFIND", u, strings.NewReader(propfindBody), int64(len(propfindBody)),
		"Depth", "0", "Content-Type", `application/xml; charset="utf-8"`)
	if err != nil {
		return props{}, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return props{}, notFound(resp, "PROPFIND", u)
	}
	if err := s.status(resp, "PROPFIND"); err != nil {
		return props{}, err
	}
	defer drain(resp)
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return props{}, s.transport(ctx, "PROPFIND", u, err)
	}
	var ms multistatus
	if err := xml.Unmarshal(data, &ms); err != nil || len(ms.Responses) == 0 {
		return props{}, upload.Temporary(fmt.Errorf("webdav: PROPFIND %s: unreadable answer (%d %s): %v", redact(u), resp.StatusCode, http.StatusText(resp.StatusCode), err))
	}
	var p props
	length := ""
	for _, ps := range ms.Responses[0].Propstats {
		if !okStatus(ps.Status) {
			continue // the properties the server does not have
		}
		if ps.Prop.Length != "" {
			length = strings.TrimSpace(ps.Prop.Length)
		}
		if ps.Prop.Modified != "" {
			p.modTime, _ = http.ParseTime(strings.TrimSpace(ps.Prop.Modified))
		}
		if ps.Prop.ETag != "" {
			p.etag = strings.TrimSpace(ps.Prop.ETag)
		}
		if ps.Prop.Type.Collection != nil {
			p.collection = true
		}
	}
	if length != "" {
		if p.size, err = strconv.ParseInt(length, 10, 64); err != nil || p.size < 0 {
			return props{}, upload.Temporary(fmt.Errorf("webdav: PROPFIND %s: unreadable size %q", redact(u), length))
		}
	} else if !p.collection {
		return props{}, upload.Permanent(fmt.Errorf("webdav: PROPFIND %s: the server gives no size (getcontentlength), which delivery needs to check and resume", redact(u)))
	}
	return p, nil
}

// okStatus reads a propstat's "HTTP/1.1 200 OK".
func okStatus(s string) bool {
	f := strings.Fields(s)
	return len(f) >= 2 && len(f[1]) == 3 && f[1][0] == '2'
}

// get starts reading the resource at u; an error wrapping
// fs.ErrNotExist when there is none.
func (s *session) get(ctx context.Context, u *url.URL) (*http.Response, error) {
	resp, err := s.request(ctx, http.MethodGet, u, nil, 0)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode == http.StatusNotFound {
		return nil, notFound(resp, "GET", u)
	}
	if err := s.status(resp, "GET"); err != nil {
		return nil, err
	}
	return resp, nil
}

// hash reads the resource at u back and gives its size and SHA-256.
func (s *session) hash(ctx context.Context, u *url.URL) (int64, string, error) {
	n, sum, _, err := s.hashAnswer(ctx, u)
	return n, sum, err
}

// hashAnswer is hash, also giving the GET answer's headers.
func (s *session) hashAnswer(ctx context.Context, u *url.URL) (int64, string, http.Header, error) {
	resp, err := s.get(ctx, u)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		return 0, "", nil, s.transport(ctx, "GET", u, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), resp.Header, nil
}

// delete removes the resource at u; an error wrapping fs.ErrNotExist
// when there is none.
func (s *session) delete(ctx context.Context, u *url.URL) error {
	resp, err := s.request(ctx, http.MethodDelete, u, nil, 0)
	if err != nil {
		return err
	}
	if resp.StatusCode == http.StatusNotFound {
		return notFound(resp, "DELETE", u)
	}
	if err := s.status(resp, "DELETE"); err != nil {
		return err
	}
	drain(resp)
	return nil
}

// held says whether the resource at u is doc: same size, then same
// SHA-256 read back (upload.Same's rule). It returns what PROPFIND said.
func (s *session) held(ctx context.Context, u *url.URL, doc upload.Doc) (bool, props, error) {
	p, err := s.propfind(ctx, u)
	if err != nil || p.collection || p.size != doc.Size {
		return false, p, err
	}
	n, sum, hdr, err := s.hashAnswer(ctx, u)
	if err != nil {
		return false, p, err
	}
	same := n == doc.Size && strings.EqualFold(sum, doc.SHA256)
	if same && s.t.number.Header != "" && s.number == "" {
		// The document is there but the answer that numbered it was
		// lost: a server that also says the number when the document is
		// read gives it back. (The body is the document, not JSON.)
		s.note(&http.Response{Header: hdr})
	}
	return same, p, nil
}

// already says whether the destination holds doc already (done, with a
// receipt) or something else (ErrExists). A document already there is
// the answer of a MOVE that was lost: the temporary file, if an attempt
// left one, goes.
func (s *session) already(ctx context.Context, dest, tmp *url.URL, doc upload.Doc) (upload.Receipt, bool, error) {
	same, p, err := s.held(ctx, dest, doc)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return upload.Receipt{}, false, nil
	case err != nil:
		return upload.Receipt{}, false, err
	case !same:
		what := fmt.Sprintf("another document (%d bytes)", p.size)
		if p.collection {
			what = "a folder"
		}
		return upload.Receipt{}, false, upload.Permanent(fmt.Errorf("webdav: %s holds %s: %w", redact(dest), what, upload.ErrExists))
	}
	if err := s.delete(ctx, tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return upload.Receipt{}, false, err
	}
	return s.receipt(dest, doc, p, true), true, nil
}

func (s *session) receipt(dest *url.URL, doc upload.Doc, p props, already bool) upload.Receipt {
	r := upload.Receipt{
		Location: redact(dest), Size: p.size, SHA256: strings.ToLower(doc.SHA256),
		Time: time.Now().UTC(), Verified: "sha256", ServerID: p.etag, Already: already,
	}
	if src := s.t.number; !src.IsZero() {
		r.Number = s.number
		if r.Number == "" && s.numberErr == nil {
			r.Number = doc.Resume.Number // an earlier attempt's answer gave it
		}
		if r.Number == "" {
			r.NumberNote = upload.NumberNote(src, s.numberErr)
		}
	}
	return r
}

// mkcols makes the collection dir (a '/'-separated name under the
// target's collection) and its missing parents: the deepest first, as
// it usually exists or only it is missing, then upwards on 409.
func (s *session) mkcols(ctx context.Context, dir string) error {
	if dir == "." || dir == "" {
		return nil
	}
	u := s.t.url(dir)
	u.Path += "/"
	u.RawPath += "/"
	for try := 0; ; try++ {
		resp, err := s.request(ctx, "MKCOL", u, nil, 0)
		if err != nil {
			return err
		}
		switch resp.StatusCode {
		case http.StatusCreated, http.StatusOK, http.StatusNoContent:
			drain(resp)
			return nil
		case http.StatusMethodNotAllowed:
			// RFC 4918 9.3.1: something is there already. A file would
			// make the PUT fail with 409, which says so.
			drain(resp)
			return nil
		case http.StatusConflict:
			if try > 0 || path.Dir(dir) == "." {
				break
			}
			drain(resp)
			if err := s.mkcols(ctx, path.Dir(dir)); err != nil {
				return err
			}
			continue
		}
		err = s.status(resp, "MKCOL")
		// Another delivery may have made it between the server's look
		// and its mkdir: Apache then answers 403 "File exists".
		if p, perr := s.propfind(ctx, u); perr == nil && p.collection {
			return nil
		}
		return err
	}
}

// upload writes doc to the temporary file tmp (named tmpName), from
// where an earlier attempt stopped, and checks by reading it back that
// it holds the document.
func (s *session) upload(ctx context.Context, doc upload.Doc, tmpName string, tmp *url.URL, body upload.Body) error {
	off, exists := int64(0), false
	p, err := s.propfind(ctx, tmp)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case p.collection || p.size > doc.Size:
		// Not a prefix of this document: start again.
		if err := s.delete(ctx, tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	default:
		off, exists = p.size, true
	}
	if off > 0 {
		if err := s.checkpoint(doc, tmpName, off); err != nil {
			return err
		}
	}
	for again := false; ; again = true {
		lastRanged := int64(-1)
		if !exists || off < doc.Size {
			lastRanged, err = s.send(ctx, doc, tmpName, tmp, body, off)
			if errors.Is(err, errRangeRefused) && !again {
				s.t.noRanges.Store(true)
				off = 0
				continue
			}
			if errors.Is(err, errRangeMismatch) && !again {
				// The server holds something other than what it said:
				// start the file again.
				if err := s.delete(ctx, tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
					return err
				}
				off, exists = 0, false
				continue
			}
			if err != nil {
				return err
			}
		}
		n, sum, err := s.hash(ctx, tmp)
		if err != nil {
			return err
		}
		if n == doc.Size && strings.EqualFold(sum, doc.SHA256) {
			return nil
		}
		if err := s.delete(ctx, tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if !again && lastRanged > 0 && n == lastRanged {
			// The server took each ranged PUT as a whole file and holds
			// only the last chunk: it ignores Content-Range.
			s.t.noRanges.Store(true)
			off, exists = 0, false
			continue
		}
		return upload.Temporary(fmt.Errorf("webdav: %s holds %d bytes (sha256 %s) after the upload, not the document's %d (%s): it was removed and will be sent again", redact(tmp), n, sum, doc.Size, doc.SHA256))
	}
}

var (
	// errRangeRefused is a server refusing a PUT with Content-Range.
	errRangeRefused = errors.New("the server refuses ranged PUT")
	// errRangeMismatch is a server refusing a range as not following
	// what it holds (416).
	errRangeMismatch = errors.New("the server does not hold what it said")
)

// send PUTs doc's bytes from off to the end into tmp, one chunk per
// request, checkpointing each. The first chunk of a file is a plain PUT
// (which the server writes atomically, so a cut leaves nothing); the
// others carry Content-Range. It gives the length of the last ranged
// chunk sent, or -1 when none was.
func (s *session) send(ctx context.Context, doc upload.Doc, tmpName string, tmp *url.URL, body upload.Body, off int64) (int64, error) {
	chunk := s.t.chunk
	if s.t.noRanges.Load() {
		off, chunk = 0, max(doc.Size, 1)
	}
	rc, err := body(off)
	if err != nil {
		return -1, upload.Permanent(fmt.Errorf("webdav: open the document at %d: %w", off, err))
	}
	defer rc.Close()
	lastRanged := int64(-1)
	for first := true; first || off < doc.Size; first = false {
		n := min(chunk, doc.Size-off)
		var extra []string
		if off > 0 {
			extra = []string{"Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, doc.Size)}
		}
		if doc.ContentType != "" {
			extra = append(extra, "Content-Type", doc.ContentType)
		}
		part := &counted{r: io.LimitReader(rc, n)}
		resp, err := s.request(ctx, http.MethodPut, tmp, part, n, extra...)
		if err != nil {
			if part.err != nil && !errors.Is(part.err, io.EOF) && ctx.Err() == nil {
				return lastRanged, upload.Temporary(fmt.Errorf("webdav: read the document at %d: %w", off+part.n, part.err))
			}
			if part.n < n && part.err != nil && errors.Is(part.err, io.EOF) {
				return lastRanged, upload.Permanent(fmt.Errorf("webdav: the document gave %d bytes, %d expected: it changed since it was queued", off+part.n, doc.Size))
			}
			return lastRanged, err
		}
		if off > 0 {
			switch resp.StatusCode {
			case http.StatusBadRequest, http.StatusNotImplemented:
				drain(resp)
				return lastRanged, errRangeRefused
			case http.StatusRequestedRangeNotSatisfiable:
				drain(resp)
				return lastRanged, fmt.Errorf("webdav: PUT %s at %d: %w", redact(tmp), off, errRangeMismatch)
			}
		}
		if err := s.status(resp, "PUT"); err != nil {
			return lastRanged, err
		}
		if off+n == doc.Size {
			s.note(resp)
		}
		drain(resp)
		if off > 0 {
			lastRanged = n
		}
		off += n
		if err := s.checkpoint(doc, tmpName, off); err != nil {
			return lastRanged, err
		}
	}
	return lastRanged, nil
}

// checkpoint tells the outbox how much the server holds.
func (s *session) checkpoint(doc upload.Doc, tmpName string, off int64) error {
	if doc.Progress != nil {
		doc.Progress(off)
	}
	if doc.Checkpoint != nil {
		if err := doc.Checkpoint(upload.Resume{Token: tmpName, Offset: off, Number: s.number}); err != nil {
			return fmt.Errorf("webdav: save the delivery's progress: %w", err)
		}
	}
	return nil
}

// counted is a request body that remembers how far it got and why it
// stopped, to tell a failing document from a failing connection.
type counted struct {
	r   io.Reader
	n   int64
	err error
}

func (c *counted) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

// place moves the checked temporary file into place without overwriting
// anything, and checks the size the destination then holds.
func (s *session) place(ctx context.Context, doc upload.Doc, tmp, dest *url.URL) (upload.Receipt, error) {
	resp, err := s.request(ctx, "MOVE", tmp, nil, 0, "Destination", dest.String(), "Overwrite", "F")
	if err != nil {
		return upload.Receipt{}, err
	}
	switch resp.StatusCode {
	case http.StatusPreconditionFailed, http.StatusNotFound:
		// 412: someone put a document there since we looked; 404: the
		// temporary file went, moved by a concurrent attempt.
		drain(resp)
		same, p, err := s.held(ctx, dest, doc)
		if errors.Is(err, fs.ErrNotExist) && resp.StatusCode == http.StatusNotFound {
			return upload.Receipt{}, upload.Temporary(fmt.Errorf("webdav: MOVE %s: the temporary file vanished before it was moved: the document will be sent again", redact(tmp)))
		}
		if err != nil {
			return upload.Receipt{}, err
		}
		if resp.StatusCode == http.StatusPreconditionFailed {
			if err := s.delete(ctx, tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return upload.Receipt{}, err
			}
		}
		if !same {
			return upload.Receipt{}, upload.Permanent(fmt.Errorf("webdav: %s holds another document (%d bytes): %w", redact(dest), p.size, upload.ErrExists))
		}
		return s.receipt(dest, doc, p, true), nil
	}
	if err := s.status(resp, "MOVE"); err != nil {
		return upload.Receipt{}, err
	}
	s.note(resp)
	drain(resp)
	if s.number != "" {
		// Keep the number before checking: if the check fails, the next
		// attempt finds the document in place and the answer gone.
		if err := s.checkpoint(doc, upload.TempName(doc), doc.Size); err != nil {
			return upload.Receipt{}, err
		}
	}
	p, err := s.propfind(ctx, dest)
	if err != nil {
		return upload.Receipt{}, err
	}
	if p.size != doc.Size {
		return upload.Receipt{}, upload.Temporary(fmt.Errorf("webdav: %s holds %d bytes after the move, not the %d checked before it", redact(dest), p.size, doc.Size))
	}
	return s.receipt(dest, doc, p, false), nil
}
