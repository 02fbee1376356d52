//go:build cgo

package keys

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/miekg/pkcs11"
)

// modules holds the PKCS#11 libraries loaded in this process. C_Initialize
// and C_Finalize act on the whole process for a library, so every Key using
// a library shares one module: the first OpenToken initialises it, the last
// Close finalises and unloads it, and a later OpenToken starts afresh (which
// also makes SoftHSM2 read SOFTHSM2_CONF again). The mutex guards the map and
// every field of every module; OpenToken holds it for its whole duration, so
// two opens of the same token do not race on its login state (a login on a
// PIN-pad reader holds it while the person types).
var modules struct {
	sync.Mutex
	m map[string]*module
}

// module is one loaded PKCS#11 library. Its fields are guarded by
// modules.Mutex.
type module struct {
	path string
	ctx  *pkcs11.Ctx
	refs int
	// finalize is false when the library was already initialised by someone
	// else in this process (crypto11, another package): then that owner
	// finalises it, not us.
	finalize bool
	// logins are the slots this process is logged in to, by slot ID.
	logins map[uint]*login
}

// login is the login state of one token, shared by the Keys open on it:
// PKCS#11 logs an application in per token, not per session, so the last
// Key to close logs out.
type login struct {
	keys int
	// user is false for tokens that need no login.
	user bool
	// logout is false when someone else in the process had logged the
	// token in already: logging out would pull it from under them.
	logout bool
	// salt and pinHash let a second OpenToken on a token that is already
	// logged in check its PIN without asking the token (which would answer
	// "already logged in" to any PIN) and without keeping the PIN itself.
	salt    [16]byte
	pinHash [32]byte
}

func (l *login) hash(pin string) [32]byte {
	h := sha256.New()
	h.Write(l.salt[:])
	h.Write([]byte(pin))
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

func (l *login) samePIN(pin string) bool {
	h := l.hash(pin)
	return subtle.ConstantTimeCompare(h[:], l.pinHash[:]) == 1
}

// acquireModule loads and initialises the library at path, or takes another
// reference on it when it is loaded already. The caller holds modules.Mutex.
func acquireModule(path string) (*module, error) {
	if real, err := filepath.EvalSymlinks(path); err == nil {
		// Two names for one library are one library for the dynamic
		// loader, and so must be one module here.
		path = real
	}
	if m := modules.m[path]; m != nil {
		m.refs++
		return m, nil
	}
	ctx := pkcs11.New(path)
	if ctx == nil {
		return nil, fmt.Errorf("keys: %w: cannot load %s: it is not a PKCS#11 module for this system (or a library it needs is missing); check module-path, or reinstall the token's software", ErrNoModule, path)
	}
	m := &module{path: path, ctx: ctx, refs: 1, finalize: true, logins: map[uint]*login{}}
	if err := ctx.Initialize(); err != nil {
		if !isRV(err, pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED) {
			ctx.Destroy()
			return nil, fmt.Errorf("keys: %w: initialise %s: %v; check the module's configuration (for SoftHSM2, SOFTHSM2_CONF)", ErrNoModule, path, err)
		}
		m.finalize = false
	}
	if modules.m == nil {
		modules.m = map[string]*module{}
	}
	modules.m[path] = m
	return m, nil
}

// release drops a reference; the last one finalises and unloads the
// library. The caller holds modules.Mutex.
func (m *module) release() {
	m.refs--
	if m.refs > 0 {
		return
	}
	if m.finalize {
		_ = m.ctx.Finalize()
	}
	m.ctx.Destroy()
	delete(modules.m, m.path)
}

// logout ends a Key's share of the login on slot, logging the token out
// with the last one. The caller holds modules.Mutex.
func (m *module) logout(sh pkcs11.SessionHandle, slot uint) {
	l := m.logins[slot]
	if l == nil {
		return
	}
	l.keys--
	if l.keys > 0 {
		return
	}
	delete(m.logins, slot)
	if l.logout {
		// Errors are moot: closing the last session logs out anyway.
		_ = m.ctx.Logout(sh)
	}
}

// newLogin records a successful login on slot with pin; logout says whether
// the last Key to close must log out.
func (m *module) newLogin(slot uint, user, logout bool, pin string) error {
	l := &login{keys: 1, user: user, logout: logout}
	if user {
		if _, err := rand.Read(l.salt[:]); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		l.pinHash = l.hash(pin)
	}
	m.logins[slot] = l
	return nil
}

// isRV reports whether err is the PKCS#11 return value rv.
func isRV(err error, rv uint) bool {
	var e pkcs11.Error
	return errors.As(err, &e) && uint(e) == rv
}
