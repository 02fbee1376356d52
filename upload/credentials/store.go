package credentials

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	keyring "github.com/zalando/go-keyring"
)

// service is the keyring service every demat entry is filed under, as
// people see it in Seahorse, Keychain Access or the Credential Manager.
const service = "demat"

// maxName bounds a name in bytes: keyrings limit an entry's names (macOS
// to about 3000 bytes with the value, Windows to 32 KiB), and a name is a
// target's or a certificate's, never a document.
const maxName = 200

// callTimeout bounds one keyring call: long enough for a person to answer
// the unlock prompt a locked keyring shows, short enough that a stuck
// keyring daemon does not hang a batch for ever.
const callTimeout = 2 * time.Minute

var (
	// ErrNotFound means the keyring holds nothing under that name.
	ErrNotFound = errors.New("not in the OS keyring")
	// ErrUnavailable means there is no OS keyring to use, or it is locked
	// and stayed locked. Its errors say how to get one; demat never falls
	// back to keeping secrets anywhere else.
	ErrUnavailable = errors.New("the OS keyring is not available")
	// ErrInvalidName means a name was empty, too long, or held characters
	// a keyring entry should not be named with.
	ErrInvalidName = errors.New("invalid credential name")
	// ErrTooBig means the value is larger than this OS keyring takes
	// (Windows: 2560 bytes; macOS: about 3000 with the names).
	ErrTooBig = errors.New("value too big for the OS keyring")
)

// Store keeps credentials in the OS keyring under the service "demat",
// one entry per name: a target ("webdav-mairie"), a certificate
// ("agent.p12"), a timestamp authority ("tsa"). On the Secret Service an
// entry has the attributes service=demat and username=NAME.
//
// A Store holds no state of its own and is safe for concurrent use; the
// keyring is the only owner of the values. Every call reaches the keyring
// (no cache), so a value changed or deleted outside demat is seen at once.
// A call the keyring leaves unanswered for two minutes (an unlock prompt
// nobody answers, a stuck daemon) returns ErrUnavailable; the abandoned
// request may still complete later, as go-keyring cannot be cancelled.
type Store struct {
	service string
}

// New returns the Store of demat's credentials. The zero Store works too.
func New() *Store { return &Store{service: service} }

func (s *Store) svc() string {
	if s == nil || s.service == "" {
		return service
	}
	return s.service
}

// Get returns the value stored under name, ErrNotFound when there is none.
func (s *Store) Get(name string) (Secret, error) {
	v, err := s.call("get", name, "", func() (string, error) { return keyring.Get(s.svc(), name) })
	if err != nil {
		return Secret{}, err
	}
	return NewSecret(v), nil
}

// Set stores v under name, replacing any value there. An empty v is
// stored as such (a PKCS#12 file may have an empty passphrase); Delete
// removes an entry.
func (s *Store) Set(name string, v Secret) error {
	_, err := s.call("set", name, v.Reveal(), func() (string, error) {
		return "", keyring.Set(s.svc(), name, v.Reveal())
	})
	return err
}

// Delete removes the value stored under name, ErrNotFound when there is
// none: a caller that only wants it gone can ignore that one.
func (s *Store) Delete(name string) error {
	_, err := s.call("delete", name, "", func() (string, error) { return "", keyring.Delete(s.svc(), name) })
	return err
}

// Has reports whether a value is stored under name. It reads the value
// (keyrings have no cheaper portable question) and drops it.
func (s *Store) Has(name string) (bool, error) {
	_, err := s.Get(name)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// call checks name and that a keyring is there, runs fn within
// callTimeout, and turns its error into one of ours; value is what must
// not appear in that error.
func (s *Store) call(op, name, value string, fn func() (string, error)) (string, error) {
	if err := checkName(name); err != nil {
		return "", fmt.Errorf("credentials: %s %s: %w", op, quoteName(name), err)
	}
	if err := check(); err != nil {
		return "", s.fail(op, name, err, value)
	}
	type result struct {
		v   string
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned call can still finish and exit
	go func() {
		v, err := fn()
		done <- result{v, err}
	}()
	t := time.NewTimer(callTimeout)
	defer t.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			return "", s.fail(op, name, r.err, value)
		}
		return r.v, nil
	case <-t.C:
		return "", s.fail(op, name, &unavailableError{
			reason: fmt.Sprintf("the keyring did not answer within %v", callTimeout),
			fix:    fixUnanswered,
		}, value)
	}
}

// fail turns an error from the keyring into one of ours, with the
// sentence that says what to do, and without value in it.
func (s *Store) fail(op, name string, err error, value string) error {
	prefix := fmt.Sprintf("credentials: %s %q", op, name)
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		what := "store it first"
		if op == "delete" {
			what = "nothing to delete"
		}
		return fmt.Errorf("%s: %w (service %q): %s", prefix, ErrNotFound, s.svc(), what)
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return fmt.Errorf("%s: %w: store a shorter value", prefix, ErrTooBig)
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		err = &unavailableError{reason: "go-keyring knows no keyring on this system", cause: err, fix: fixNoKeyring}
	}
	u, ok := errors.AsType[*unavailableError](err)
	if !ok {
		u = classify(err)
	}
	if u != nil {
		return fmt.Errorf("%s: %w", prefix, &unavailableError{u.reason, scrub(u.cause, value), u.fix})
	}
	return fmt.Errorf("%s: %w", prefix, scrub(err, value))
}

// errDropped stands for a keyring error whose text held the value.
var errDropped = errors.New("the keyring's error message held the value and was dropped")

// scrub returns err, or errDropped when err's text holds value: the
// keyring's messages are not ours, and a secret must not reach a log line
// through one of them.
func scrub(err error, value string) error {
	if err != nil && value != "" && strings.Contains(err.Error(), value) {
		return errDropped
	}
	return err
}

// unavailableError says why the keyring cannot be used and what to do
// about it; it matches ErrUnavailable.
type unavailableError struct {
	reason string // what is wrong, in a person's words
	cause  error  // what the keyring or the bus said, if anything
	fix    string // the sentence that says what to do
}

func (e *unavailableError) Error() string {
	s := ErrUnavailable.Error() + ": " + e.reason
	if e.cause != nil {
		s += " (" + e.cause.Error() + ")"
	}
	return s + ": " + e.fix
}

func (e *unavailableError) Is(target error) bool { return target == ErrUnavailable }

func (e *unavailableError) Unwrap() error { return e.cause }

// checkName refuses names that would be invisible, ambiguous or
// unreadable in a keyring manager: empty, longer than maxName bytes, not
// UTF-8, with control characters or line breaks, or with white space at
// either end (" tsa" and "tsa" would be two entries that look alike).
func checkName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: it is empty: give the credential a name (a target's or a certificate's)", ErrInvalidName)
	case len(name) > maxName:
		return fmt.Errorf("%w: it is %d bytes long: keep it within %d", ErrInvalidName, len(name), maxName)
	case !utf8.ValidString(name):
		return fmt.Errorf("%w: it is not valid UTF-8: use text", ErrInvalidName)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("%w: it starts or ends with white space: remove it", ErrInvalidName)
	}
	for _, r := range name {
		if unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp) {
			return fmt.Errorf("%w: it holds a control character (%U): use printable characters", ErrInvalidName, r)
		}
	}
	return nil
}

// quoteName quotes a name for an error, cut short when it is too long to
// read.
func quoteName(name string) string {
	if len(name) <= maxName {
		return fmt.Sprintf("%q", name)
	}
	return fmt.Sprintf("%q…", name[:40])
}
