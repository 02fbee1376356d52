//go:build cgo

package keys

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/miekg/pkcs11"
)

// OpenToken logs in to the token ref names with pin and finds the private
// key and its certificate.
//
// The module is ref.Module (or ref.ModuleName); without either, the first
// that exists of the p11-kit proxy (which reaches every module registered
// with p11-kit) and OpenSC, in the system's library directories. The key is
// the private key with ref.Object as label and ref.ID as CKA_ID (whichever
// are set; with neither, the only private key on the token). Its certificate
// is the X.509 certificate object with the key's CKA_ID, else with its
// label, else (RSA) with its modulus; the CA certificates on the token that
// issued it become the Chain.
//
// A wrong PIN is an error wrapping ErrWrongPIN that says tokens lock after a
// few wrong tries (and how few are left when the token says); a blocked PIN
// wraps ErrPINLocked, and OpenToken then does not try the PIN at all; an
// absent token wraps ErrNoToken and lists the tokens present. The PIN never
// appears in an error. An empty PIN is refused without asking the token
// (which would count it as a wrong try), except on readers with a PIN pad,
// where the PIN is typed on the reader.
//
// Several Keys may be open on one token: the token is logged in once and
// out when the last Key closes. As the token is already unlocked then, a
// second OpenToken checks its PIN against the one that unlocked it. The
// session is read-only, so write-protected cards work. Keys whose token
// demands the PIN before every signature (CKA_ALWAYS_AUTHENTICATE, common
// on qualified signature cards) keep the PIN in memory until Close to give
// it each time. The Signer is safe for concurrent use; signatures are
// serialised on the Key's session.
func OpenToken(ref TokenRef, pin string) (*Key, error) {
	path, err := resolveModule(ref, defaultModules(), moduleDirs(), moduleSuffix)
	if err != nil {
		return nil, err
	}
	modules.Lock()
	defer modules.Unlock()

	mod, err := acquireModule(path)
	if err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			mod.release()
		}
	}()
	slot, info, err := mod.findToken(ref)
	if err != nil {
		return nil, err
	}
	label := info.Label
	sh, err := mod.ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION)
	if err != nil {
		return nil, fmt.Errorf("keys: open a session on token %q: %w", label, tokenError(err))
	}
	defer func() {
		if !done {
			_ = mod.ctx.CloseSession(sh)
		}
	}()
	if err := mod.login(sh, slot, info, pin); err != nil {
		return nil, err
	}
	defer func() {
		if !done {
			mod.logout(sh, slot)
		}
	}()

	t := tokenSession{ctx: mod.ctx, sh: sh, label: label}
	priv, err := t.findKey(ref)
	if err != nil {
		return nil, err
	}
	cert, chain, err := t.findCertificate(priv)
	if err != nil {
		return nil, err
	}
	if err := checkSupported(cert.PublicKey); err != nil {
		return nil, fmt.Errorf("keys: key %s on token %q: %w", priv.describe(), label, err)
	}
	s := &tokenSigner{
		ctx:        mod.ctx,
		session:    sh,
		slot:       slot,
		key:        priv.handle,
		pub:        cert.PublicKey,
		alwaysAuth: priv.alwaysAuth,
		desc:       fmt.Sprintf("key %s on token %q", priv.describe(), label),
	}
	if priv.alwaysAuth {
		s.pin = secret(pin)
	}
	done = true
	return &Key{
		Signer:      s,
		Certificate: cert,
		Chain:       chain,
		Label:       label,
		close: func() error {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.closed {
				return nil
			}
			s.closed = true
			s.pin = ""
			modules.Lock()
			defer modules.Unlock()
			mod.logout(sh, slot)
			err := mod.ctx.CloseSession(sh)
			mod.release()
			if err != nil && !errors.Is(tokenError(err), ErrNoToken) {
				return fmt.Errorf("keys: close %s: %w", s.desc, err)
			}
			return nil
		},
	}, nil
}

// findToken returns the one initialised token matching ref, or an error
// listing the tokens present.
func (m *module) findToken(ref TokenRef) (uint, pkcs11.TokenInfo, error) {
	slots, err := m.ctx.GetSlotList(true)
	if err != nil {
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("keys: list the tokens of %s: %w", m.path, tokenError(err))
	}
	var present, matching []string
	var found []uint
	var infos []pkcs11.TokenInfo
	for _, slot := range slots {
		info, err := m.ctx.GetTokenInfo(slot)
		if err != nil || info.Flags&pkcs11.CKF_TOKEN_INITIALIZED == 0 {
			// A reader that just lost its card, or SoftHSM2's spare empty
			// slot: nothing to sign with there.
			continue
		}
		info.Label = strings.TrimRight(info.Label, " \x00")
		info.SerialNumber = strings.TrimRight(info.SerialNumber, " \x00")
		desc := fmt.Sprintf("%q (serial %s, slot-id %d)", info.Label, info.SerialNumber, slot)
		present = append(present, desc)
		if ref.Token != "" && info.Label != ref.Token ||
			ref.Serial != "" && info.SerialNumber != ref.Serial ||
			ref.Slot != nil && *ref.Slot != slot {
			continue
		}
		matching = append(matching, desc)
		found = append(found, slot)
		infos = append(infos, info)
	}
	switch {
	case len(found) == 1:
		return found[0], infos[0], nil
	case len(found) > 1:
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("keys: %d tokens match %s: %s; add serial= to the URI to pick one", len(found), ref.tokenWanted(), strings.Join(matching, ", "))
	case len(present) == 0:
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("keys: %w: no token is present in %s; insert the card or token (and check the reader is plugged in)", ErrNoToken, m.path)
	default:
		return 0, pkcs11.TokenInfo{}, fmt.Errorf("keys: %w: no token matches %s; present: %s; insert the right one or fix the URI", ErrNoToken, ref.tokenWanted(), strings.Join(present, ", "))
	}
}

// tokenWanted describes the token ref asks for, for messages.
func (ref TokenRef) tokenWanted() string {
	var parts []string
	if ref.Token != "" {
		parts = append(parts, fmt.Sprintf("token=%q", ref.Token))
	}
	if ref.Serial != "" {
		parts = append(parts, fmt.Sprintf("serial=%q", ref.Serial))
	}
	if ref.Slot != nil {
		parts = append(parts, fmt.Sprintf("slot-id=%d", *ref.Slot))
	}
	return strings.Join(parts, " ")
}

// login logs the session's application in to the token on slot, or joins
// the login of Keys already open there. The caller holds modules.Mutex.
func (m *module) login(sh pkcs11.SessionHandle, slot uint, info pkcs11.TokenInfo, pin string) error {
	if l := m.logins[slot]; l != nil {
		if l.user && !l.samePIN(pin) {
			return fmt.Errorf("keys: log in to token %q: %w: the token is already open in demat with another PIN; check the PIN (the token was not asked, so no try was used)", info.Label, ErrWrongPIN)
		}
		l.keys++
		return nil
	}
	if info.Flags&pkcs11.CKF_LOGIN_REQUIRED == 0 {
		return m.newLogin(slot, false, false, "")
	}
	if info.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0 {
		return loginError(pkcs11.Error(pkcs11.CKR_PIN_LOCKED), info.Flags, fmt.Sprintf("token %q", info.Label))
	}
	if info.Flags&pkcs11.CKF_USER_PIN_INITIALIZED == 0 {
		return loginError(pkcs11.Error(pkcs11.CKR_USER_PIN_NOT_INITIALIZED), info.Flags, fmt.Sprintf("token %q", info.Label))
	}
	if pin == "" && info.Flags&pkcs11.CKF_PROTECTED_AUTHENTICATION_PATH == 0 {
		return fmt.Errorf("keys: log in to token %q: %w: no PIN was given; enter the token's PIN", info.Label, ErrWrongPIN)
	}
	err := m.ctx.Login(sh, pkcs11.CKU_USER, pin)
	if isRV(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		// Another user of the module in this process logged in: the PIN
		// cannot be checked without logging them out, so it is taken as
		// it comes, and the token is left logged in for them.
		return m.newLogin(slot, true, false, pin)
	}
	if err != nil {
		flags := info.Flags
		if after, ierr := m.ctx.GetTokenInfo(slot); ierr == nil {
			// The counters moved with this try: report them as they are now.
			flags = after.Flags
		}
		return loginError(err, flags, fmt.Sprintf("token %q", info.Label))
	}
	return m.newLogin(slot, true, true, pin)
}

// loginError turns a failed C_Login on what (`token "demat"`, or a key for a
// per-signature login) into an error telling the person what to do, using
// the token's flags (read after the failure) to say how many tries are left.
func loginError(err error, flags uint, what string) error {
	var rv pkcs11.Error
	if !errors.As(err, &rv) {
		return fmt.Errorf("keys: log in to %s: %w", what, err)
	}
	switch uint(rv) {
	case pkcs11.CKR_PIN_INCORRECT, pkcs11.CKR_PIN_INVALID, pkcs11.CKR_PIN_LEN_RANGE:
		switch {
		case flags&pkcs11.CKF_USER_PIN_LOCKED != 0:
			return fmt.Errorf("keys: log in to %s: %w: that was the last try and the PIN is now locked; ask the token's administrator to unblock it with the PUK", what, ErrPINLocked)
		case flags&pkcs11.CKF_USER_PIN_FINAL_TRY != 0:
			return fmt.Errorf("keys: log in to %s: %w; one more wrong PIN locks the token, so make sure of the PIN before trying again", what, ErrWrongPIN)
		case flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0:
			return fmt.Errorf("keys: log in to %s: %w; only a few tries are left before the token locks, so make sure of the PIN before trying again", what, ErrWrongPIN)
		default:
			return fmt.Errorf("keys: log in to %s: %w; tokens lock after a few wrong tries, so make sure of the PIN before trying again", what, ErrWrongPIN)
		}
	case pkcs11.CKR_PIN_LOCKED:
		return fmt.Errorf("keys: log in to %s: %w after too many wrong tries; ask the token's administrator to unblock it with the PUK", what, ErrPINLocked)
	case pkcs11.CKR_PIN_EXPIRED:
		return fmt.Errorf("keys: log in to %s: the PIN has expired; change it with the token's tool (pkcs11-tool --change-pin), then try again", what)
	case pkcs11.CKR_USER_PIN_NOT_INITIALIZED:
		return fmt.Errorf("keys: log in to %s: the token has no user PIN yet; set one with the token's tool (pkcs11-tool --init-pin)", what)
	case pkcs11.CKR_FUNCTION_CANCELED:
		return fmt.Errorf("keys: log in to %s: PIN entry was cancelled on the reader; try again", what)
	}
	return fmt.Errorf("keys: log in to %s: %w", what, tokenError(err))
}

// tokenError wraps ErrNoToken around the return values that mean the token
// went away or was reset, so callers can ask for it again.
func tokenError(err error) error {
	var rv pkcs11.Error
	if errors.As(err, &rv) {
		switch uint(rv) {
		case pkcs11.CKR_DEVICE_REMOVED, pkcs11.CKR_TOKEN_NOT_PRESENT, pkcs11.CKR_SESSION_HANDLE_INVALID,
			pkcs11.CKR_SESSION_CLOSED, pkcs11.CKR_USER_NOT_LOGGED_IN, pkcs11.CKR_TOKEN_NOT_RECOGNIZED:
			return fmt.Errorf("%w (%v): the token was removed or reset; insert it and open it again", ErrNoToken, err)
		}
	}
	return err
}

// tokenSession reads objects on a logged-in session.
type tokenSession struct {
	ctx   *pkcs11.Ctx
	sh    pkcs11.SessionHandle
	label string
}

// privateKey is what OpenToken needs of a private key object.
type privateKey struct {
	handle     pkcs11.ObjectHandle
	keyType    uint
	id         []byte
	label      string
	alwaysAuth bool
	modulus    []byte // RSA; nil when the token does not say
	curve      asn1.ObjectIdentifier
}

func (k privateKey) describe() string { return describeObject(k.label, k.id) }

func describeObject(label string, id []byte) string {
	if len(id) == 0 {
		return fmt.Sprintf("%q", label)
	}
	return fmt.Sprintf("%q (id %s)", label, hex.EncodeToString(id))
}

// findObjects returns the handles of the objects matching tmpl.
func (t tokenSession) findObjects(tmpl []*pkcs11.Attribute) ([]pkcs11.ObjectHandle, error) {
	if err := t.ctx.FindObjectsInit(t.sh, tmpl); err != nil {
		return nil, fmt.Errorf("keys: search token %q: %w", t.label, tokenError(err))
	}
	var all []pkcs11.ObjectHandle
	for {
		hs, _, err := t.ctx.FindObjects(t.sh, 64)
		if err != nil {
			_ = t.ctx.FindObjectsFinal(t.sh)
			return nil, fmt.Errorf("keys: search token %q: %w", t.label, tokenError(err))
		}
		if len(hs) == 0 {
			break
		}
		all = append(all, hs...)
	}
	if err := t.ctx.FindObjectsFinal(t.sh); err != nil {
		return nil, fmt.Errorf("keys: search token %q: %w", t.label, tokenError(err))
	}
	return all, nil
}

// attr returns one attribute of an object, or nil when the token does not
// have it or will not tell (asked one at a time: one missing attribute
// fails a whole C_GetAttributeValue).
func (t tokenSession) attr(h pkcs11.ObjectHandle, typ uint) []byte {
	a, err := t.ctx.GetAttributeValue(t.sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(typ, nil)})
	if err != nil || len(a) != 1 {
		return nil
	}
	return a[0].Value
}

// ulong decodes a CK_ULONG attribute, which is in the host's byte order and
// 4 or 8 bytes long depending on the platform.
func ulong(b []byte) (uint, bool) {
	switch len(b) {
	case 4:
		return uint(binary.NativeEndian.Uint32(b)), true
	case 8:
		return uint(binary.NativeEndian.Uint64(b)), true
	}
	return 0, false
}

// findKey returns the one private key matching ref.
func (t tokenSession) findKey(ref TokenRef) (privateKey, error) {
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY)}
	if ref.Object != "" {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_LABEL, ref.Object))
	}
	if len(ref.ID) > 0 {
		tmpl = append(tmpl, pkcs11.NewAttribute(pkcs11.CKA_ID, ref.ID))
	}
	hs, err := t.findObjects(tmpl)
	if err != nil {
		return privateKey{}, err
	}
	if len(hs) != 1 {
		all, err := t.findObjects(tmpl[:1])
		if err != nil {
			return privateKey{}, err
		}
		var names []string
		for _, h := range all {
			names = append(names, describeObject(string(t.attr(h, pkcs11.CKA_LABEL)), t.attr(h, pkcs11.CKA_ID)))
		}
		there := "none"
		if len(names) > 0 {
			there = strings.Join(names, ", ")
		}
		if len(hs) == 0 && ref.Object == "" && len(ref.ID) == 0 {
			return privateKey{}, fmt.Errorf("keys: token %q: %w: the token holds no private key; check it is your signing token", t.label, ErrNoKey)
		}
		if len(hs) == 0 {
			return privateKey{}, fmt.Errorf("keys: token %q: %w matching %s (private keys there: %s); fix object= or id= in the URI", t.label, ErrNoKey, describeObject(ref.Object, ref.ID), there)
		}
		return privateKey{}, fmt.Errorf("keys: token %q: %d private keys match (%s); add object= or id= to the URI to pick one", t.label, len(hs), there)
	}
	k := privateKey{
		handle: hs[0],
		id:     t.attr(hs[0], pkcs11.CKA_ID),
		label:  string(t.attr(hs[0], pkcs11.CKA_LABEL)),
	}
	kt, ok := ulong(t.attr(hs[0], pkcs11.CKA_KEY_TYPE))
	if !ok {
		return privateKey{}, fmt.Errorf("keys: key %s on token %q: the token does not tell its type; %w", k.describe(), t.label, ErrUnsupportedKey)
	}
	k.keyType = kt
	if b := t.attr(hs[0], pkcs11.CKA_ALWAYS_AUTHENTICATE); len(b) == 1 && b[0] != 0 {
		k.alwaysAuth = true
	}
	switch kt {
	case pkcs11.CKK_RSA:
		k.modulus = t.attr(hs[0], pkcs11.CKA_MODULUS)
	case pkcs11.CKK_EC:
		if p := t.attr(hs[0], pkcs11.CKA_EC_PARAMS); p != nil {
			var oid asn1.ObjectIdentifier
			if _, err := asn1.Unmarshal(p, &oid); err == nil {
				k.curve = oid
			}
		}
	default:
		return privateKey{}, fmt.Errorf("keys: key %s on token %q: %w: PKCS#11 key type %#x; use an RSA key or ECDSA on P-256 or P-384", k.describe(), t.label, ErrUnsupportedKey, kt)
	}
	return k, nil
}

// curveOIDs are the named curves' OIDs (RFC 5480), to compare a token key's
// CKA_EC_PARAMS with a certificate's curve.
var curveOIDs = map[elliptic.Curve]asn1.ObjectIdentifier{
	elliptic.P256(): {1, 2, 840, 10045, 3, 1, 7},
	elliptic.P384(): {1, 3, 132, 0, 34},
	elliptic.P521(): {1, 3, 132, 0, 35},
}

// fits reports whether cert can be key's certificate: same algorithm, and
// same modulus or curve when the token tells them.
func (k privateKey) fits(cert *x509.Certificate) bool {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		return k.keyType == pkcs11.CKK_RSA && (k.modulus == nil || new(big.Int).SetBytes(k.modulus).Cmp(pub.N) == 0)
	case *ecdsa.PublicKey:
		return k.keyType == pkcs11.CKK_EC && (k.curve == nil || k.curve.Equal(curveOIDs[pub.Curve]))
	}
	return false
}

// findCertificate returns key's certificate and its issuers among the
// token's certificates.
func (t tokenSession) findCertificate(key privateKey) (*x509.Certificate, []*x509.Certificate, error) {
	hs, err := t.findObjects([]*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
	})
	if err != nil {
		return nil, nil, err
	}
	type object struct {
		cert  *x509.Certificate
		id    []byte
		label string
	}
	var objs []object
	for _, h := range hs {
		c, err := x509.ParseCertificate(t.attr(h, pkcs11.CKA_VALUE))
		if err != nil {
			// Not ours to judge: a card may carry certificates Go cannot
			// parse; they just cannot be the signer's.
			continue
		}
		objs = append(objs, object{c, t.attr(h, pkcs11.CKA_ID), string(t.attr(h, pkcs11.CKA_LABEL))})
	}
	leaf := -1
	for _, match := range []func(o object) bool{
		func(o object) bool { return len(key.id) > 0 && bytes.Equal(o.id, key.id) },
		func(o object) bool { return key.label != "" && o.label == key.label },
		func(o object) bool { return key.modulus != nil },
	} {
		for i, o := range objs {
			if match(o) && key.fits(o.cert) {
				leaf = i
				break
			}
		}
		if leaf >= 0 {
			break
		}
	}
	if leaf < 0 {
		return nil, nil, fmt.Errorf("keys: key %s on token %q: %w: no certificate object has its id or label; import it with `pkcs11-tool --write-object cert.der --type cert --id %s --login`", key.describe(), t.label, ErrNoCertificate, hex.EncodeToString(key.id))
	}
	var pool []*x509.Certificate
	for i, o := range objs {
		if i != leaf {
			pool = append(pool, o.cert)
		}
	}
	return objs[leaf].cert, issuerChain(objs[leaf].cert, pool), nil
}
