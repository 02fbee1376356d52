//go:build cgo

package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/miekg/pkcs11"
)

// softhsmModule is where Debian's softhsm2 package puts the module.
const softhsmModule = "/usr/lib/softhsm/libsofthsm2.so"

const (
	userPIN  = "1234"
	wrongPIN = "9876"
)

// testToken is a SoftHSM2 token "demat" in a throwaway directory holding
// RSA and ECDSA keys with their certificates, the CA certificates, a
// stranger's certificate and a key without a certificate; plus a second,
// empty token "spare".
type testToken struct {
	slot  uint
	certs map[string]*x509.Certificate
}

// newSoftHSM writes a softhsm2.conf whose token directory is a temporary
// one, points SOFTHSM2_CONF at it for this test (the module reads it at
// C_Initialize, so the test must not leave a Key open across tests), and
// fills the token with the real softhsm2-util and pkcs11-tool.
func newSoftHSM(t *testing.T) testToken {
	t.Helper()
	need(t, "softhsm2-util", "pkcs11-tool")
	if _, err := os.Stat(softhsmModule); err != nil {
		t.Fatalf("the SoftHSM2 module is needed (%v): run make deps", err)
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n", tokens), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)

	out := run(t, nil, "softhsm2-util", "--init-token", "--free", "--label", "demat", "--pin", userPIN, "--so-pin", "5678")
	m := regexp.MustCompile(`reassigned to slot (\d+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("softhsm2-util did not say the token's slot:\n%s", out)
	}
	var tok testToken
	fmt.Sscan(m[1], &tok.slot)
	run(t, nil, "softhsm2-util", "--init-token", "--free", "--label", "spare", "--pin", "1111", "--so-pin", "2222")

	pki := newPKI()
	k := testKeys()
	tok.certs = map[string]*x509.Certificate{}
	writeCert := func(c *x509.Certificate, id, label string) {
		der := filepath.Join(dir, label+".der")
		if err := os.WriteFile(der, c.Raw, 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, nil, "pkcs11-tool", "--module", softhsmModule, "--token-label", "demat", "--login", "--pin", userPIN,
			"--write-object", der, "--type", "cert", "--id", id, "--label", label)
	}
	for _, key := range []struct{ name, id string }{{"rsa2048", "01"}, {"p256", "02"}, {"p384", "03"}, {"orphan", "09"}} {
		signer := k[key.name]
		if key.name == "orphan" {
			signer = k["rsa3072"]
		}
		pemPath := writePEM(t, dir, key.name+".pem", keyPEM(t, signer))
		run(t, nil, "softhsm2-util", "--import", pemPath, "--token", "demat", "--label", key.name, "--id", key.id, "--pin", userPIN)
		if key.name != "orphan" {
			tok.certs[key.name] = pki.leaf(t, signer, "Agent "+key.name)
			writeCert(tok.certs[key.name], key.id, key.name)
		}
	}
	// A key that wants the PIN again before each signature, as qualified
	// signature cards do (SoftHSM2 enforces CKA_ALWAYS_AUTHENTICATE).
	der, err := x509.MarshalPKCS8PrivateKey(k["always"])
	if err != nil {
		t.Fatal(err)
	}
	alwaysDER := filepath.Join(dir, "always.der")
	if err := os.WriteFile(alwaysDER, der, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, nil, "pkcs11-tool", "--module", softhsmModule, "--token-label", "demat", "--login", "--pin", userPIN,
		"--write-object", alwaysDER, "--type", "privkey", "--id", "05", "--label", "always", "--usage-sign", "--always-auth")
	tok.certs["always"] = pki.leaf(t, k["always"], "Agent always")
	writeCert(tok.certs["always"], "05", "always")
	writeCert(pki.root, "a2", "Demat Test Root CA")
	writeCert(pki.stranger, "ff", "stranger")
	writeCert(pki.intermediate, "a1", "Demat Test Issuing CA")
	return tok
}

func mustParse(t *testing.T, uri string) TokenRef {
	t.Helper()
	ref, err := ParsePKCS11URI(uri)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func TestOpenToken(t *testing.T) {
	tok := newSoftHSM(t)
	pki := newPKI()
	mod := "?module-path=" + softhsmModule
	tests := []struct {
		name, uri, cert string
	}{
		{"rsa by label and id", "pkcs11:token=demat;object=rsa2048;id=%01" + mod, "rsa2048"},
		{"p256 by label", "pkcs11:token=demat;object=p256" + mod, "p256"},
		{"p384 by id", "pkcs11:token=demat;id=%03" + mod, "p384"},
		{"by slot-id", fmt.Sprintf("pkcs11:slot-id=%d;object=p256;type=private%s", tok.slot, mod), "p256"},
		{"always-authenticate key", "pkcs11:token=demat;object=always" + mod, "always"},
		{"by module-name in module-path", "pkcs11:token=demat;object=p384?module-path=/usr/lib/softhsm&module-name=libsofthsm2", "p384"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := OpenToken(mustParse(t, tt.uri), userPIN)
			if err != nil {
				t.Fatal(err)
			}
			defer key.Close()
			if !key.Certificate.Equal(tok.certs[tt.cert]) {
				t.Errorf("certificate = %s, want %s", key.Certificate.Subject, tok.certs[tt.cert].Subject)
			}
			if key.Label != "demat" {
				t.Errorf("label = %q, want the token's label", key.Label)
			}
			checkChain(t, key.Chain, pki.intermediate, pki.root)
			checkSigns(t, key)
			if s := fmt.Sprintf("%v %+v", key.Signer, key); strings.Contains(s, userPIN) {
				t.Errorf("printing the key shows the PIN: %s", s)
			}
			if err := key.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			if err := key.Close(); err != nil {
				t.Errorf("second Close: %v", err)
			}
			if _, err := key.Signer.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); err == nil || !strings.Contains(err.Error(), "closed") {
				t.Errorf("Sign after Close = %v, want a closed-key error", err)
			}
		})
	}
	if n := openModules(); n != 0 {
		t.Fatalf("%d modules still loaded after every Key closed", n)
	}
}

// TestOpenTokenDefaultModule opens the token with a URI that names no
// module, as most people's will: the p11-kit proxy is found and reaches
// SoftHSM2 through its p11-kit registration (softhsm2.module).
func TestOpenTokenDefaultModule(t *testing.T) {
	newSoftHSM(t)
	ref := mustParse(t, "pkcs11:token=demat;object=p256")
	path, err := resolveModule(ref, defaultModules(), moduleDirs(), moduleSuffix)
	if err != nil || !strings.Contains(path, "p11-kit-proxy") {
		t.Fatalf("default module = %q, %v; p11-kit's proxy module is needed: run make deps", path, err)
	}
	if _, err := os.Stat("/usr/share/p11-kit/modules/softhsm2.module"); err != nil {
		t.Fatalf("SoftHSM2 is not registered with p11-kit (%v): run make deps", err)
	}
	key, err := OpenToken(ref, userPIN)
	if err != nil {
		t.Fatal(err)
	}
	defer key.Close()
	if key.Label != "demat" || key.Certificate.Subject.CommonName != "Agent p256" {
		t.Errorf("opened %q %s, want token demat's p256 key", key.Label, key.Certificate.Subject)
	}
	checkSigns(t, key)
}

func TestOpenTokenErrors(t *testing.T) {
	newSoftHSM(t)
	mod := "?module-path=" + softhsmModule
	notModule := filepath.Join(t.TempDir(), "libnothing.so")
	if err := os.WriteFile(notModule, []byte("not an ELF file"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, uri, pin string
		want           error
		says           []string
	}{
		{"wrong PIN", "pkcs11:token=demat;object=rsa2048" + mod, wrongPIN, ErrWrongPIN, []string{"wrong PIN", "lock"}},
		{"no PIN", "pkcs11:token=demat;object=rsa2048" + mod, "", ErrWrongPIN, []string{"no PIN was given"}},
		{"unknown token", "pkcs11:token=nope;object=rsa2048" + mod, userPIN, ErrNoToken, []string{`token="nope"`, `"demat"`, `"spare"`}},
		{"unknown serial", "pkcs11:token=demat;serial=0000" + mod, userPIN, ErrNoToken, []string{`"demat" (serial `}},
		{"unknown key", "pkcs11:token=demat;object=nope" + mod, userPIN, ErrNoKey, []string{`"nope"`, `"rsa2048" (id 01)`, `"p384" (id 03)`}},
		{"key without certificate", "pkcs11:token=demat;object=orphan" + mod, userPIN, ErrNoCertificate, []string{`"orphan" (id 09)`, "--write-object"}},
		{"module missing", "pkcs11:token=demat?module-path=/nonexistent/libp11.so", userPIN, ErrNoModule, []string{"/nonexistent/libp11.so"}},
		{"not a module", "pkcs11:token=demat?module-path=" + notModule, userPIN, ErrNoModule, []string{"not a PKCS#11 module"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := OpenToken(mustParse(t, tt.uri), tt.pin)
			if err == nil {
				key.Close()
				t.Fatal("OpenToken succeeded")
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("OpenToken = %v, want %v", err, tt.want)
			}
			for _, s := range tt.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not say %q", err, s)
				}
			}
			for _, pin := range []string{userPIN, wrongPIN} {
				if strings.Contains(err.Error(), pin) {
					t.Errorf("error shows a PIN: %v", err)
				}
			}
			t.Log(err)
		})
	}
	t.Run("several keys match", func(t *testing.T) {
		_, err := OpenToken(mustParse(t, "pkcs11:token=demat"+mod), userPIN)
		if err == nil || !strings.Contains(err.Error(), "5 private keys match") || !strings.Contains(err.Error(), "add object=") {
			t.Fatalf("OpenToken without object = %v, want an error asking for object=", err)
		}
	})
	if n := openModules(); n != 0 {
		t.Fatalf("%d modules still loaded after failed opens", n)
	}
}

// TestTokenLifecycle checks what crypto11 users trip on: PKCS#11 is
// initialised once per process and library, and logged in once per token.
func TestTokenLifecycle(t *testing.T) {
	newSoftHSM(t)
	ref := mustParse(t, "pkcs11:token=demat;object=rsa2048?module-path="+softhsmModule)
	open := func(pin string) (*Key, error) { return OpenToken(ref, pin) }

	// SoftHSM2 counts wrong PINs but never blocks (it only raises "count
	// low"), so wrong tries here cannot break the tests after them; a
	// real card would block after 3.
	for i := range 4 {
		if _, err := open(wrongPIN); !errors.Is(err, ErrWrongPIN) {
			t.Fatalf("wrong PIN, try %d: %v", i+1, err)
		}
	}
	a, err := open(userPIN)
	if err != nil {
		t.Fatalf("right PIN after wrong ones: %v", err)
	}
	b, err := open(userPIN)
	if err != nil {
		t.Fatalf("second Key on an open token: %v", err)
	}
	// The token is logged in already, so it would accept any PIN: the
	// package must check it itself.
	if c, err := open(wrongPIN); !errors.Is(err, ErrWrongPIN) {
		if c != nil {
			c.Close()
		}
		t.Fatalf("wrong PIN on an open token = %v, want ErrWrongPIN", err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	// Closing a must not log b out.
	checkSigns(t, b)
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if n := openModules(); n != 0 {
		t.Fatalf("%d modules still loaded after every Key closed", n)
	}
	// Finalised and unloaded: a new OpenToken loads and initialises again.
	for i := range 3 {
		k, err := open(userPIN)
		if err != nil {
			t.Fatalf("reopen %d: %v", i+1, err)
		}
		checkSigns(t, k)
		if err := k.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTokenConcurrentSign signs from many goroutines at once on one Key,
// which a CMS library or a batch may do; run with -race.
func TestTokenConcurrentSign(t *testing.T) {
	newSoftHSM(t)
	for _, object := range []string{"rsa2048", "p256"} {
		t.Run(object, func(t *testing.T) {
			key, err := OpenToken(mustParse(t, "pkcs11:token=demat;object="+object+"?module-path="+softhsmModule), userPIN)
			if err != nil {
				t.Fatal(err)
			}
			defer key.Close()
			var wg sync.WaitGroup
			errs := make(chan error, 16)
			for i := range 16 {
				wg.Go(func() {
					digest := hashOf(crypto.SHA256, fmt.Append(nil, "page", i))
					var opts crypto.SignerOpts = crypto.SHA256
					if i%2 == 1 && object == "rsa2048" {
						opts = &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: crypto.SHA256}
					}
					sig, err := key.Signer.Sign(rand.Reader, digest, opts)
					if err == nil {
						err = verify(key.Certificate, digest, sig, opts)
					}
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// verify checks a SHA-256 signature with cert's key.
func verify(cert *x509.Certificate, digest, sig []byte, opts crypto.SignerOpts) error {
	switch pub := cert.PublicKey.(type) {
	case *rsa.PublicKey:
		if pss, ok := opts.(*rsa.PSSOptions); ok {
			return rsa.VerifyPSS(pub, crypto.SHA256, digest, sig, pss)
		}
		return rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest, sig)
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(pub, digest, sig) {
			return errors.New("ECDSA signature does not verify")
		}
		return nil
	}
	return fmt.Errorf("unexpected key %T", cert.PublicKey)
}

// TestModuleInitialisedElsewhere opens a token whose module another part of
// the process (crypto11, say) has initialised already: OpenToken must use it
// and must not finalise it under the other user's feet.
func TestModuleInitialisedElsewhere(t *testing.T) {
	newSoftHSM(t)
	other := pkcs11.New(softhsmModule)
	if other == nil {
		t.Fatal("cannot load the SoftHSM2 module")
	}
	if err := other.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		other.Finalize()
		other.Destroy()
	}()
	key, err := OpenToken(mustParse(t, "pkcs11:token=demat;object=p256?module-path="+softhsmModule), userPIN)
	if err != nil {
		t.Fatal(err)
	}
	modules.Lock()
	for _, m := range modules.m {
		if m.finalize {
			t.Errorf("%s: OpenToken did not see the module was initialised already, and will finalise it", m.path)
		}
	}
	modules.Unlock()
	checkSigns(t, key)
	if err := key.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetSlotList(true); err != nil {
		t.Fatalf("the other user's module was finalised: %v", err)
	}
}

func TestLoginError(t *testing.T) {
	tests := []struct {
		name  string
		rv    uint
		flags uint
		want  error
		says  string
	}{
		{"wrong", pkcs11.CKR_PIN_INCORRECT, 0, ErrWrongPIN, "tokens lock after a few wrong tries"},
		{"wrong, count low", pkcs11.CKR_PIN_INCORRECT, pkcs11.CKF_USER_PIN_COUNT_LOW, ErrWrongPIN, "only a few tries are left"},
		{"wrong, final try next", pkcs11.CKR_PIN_INCORRECT, pkcs11.CKF_USER_PIN_FINAL_TRY, ErrWrongPIN, "one more wrong PIN locks"},
		{"wrong, now locked", pkcs11.CKR_PIN_INCORRECT, pkcs11.CKF_USER_PIN_LOCKED, ErrPINLocked, "unblock it with the PUK"},
		{"bad length", pkcs11.CKR_PIN_LEN_RANGE, 0, ErrWrongPIN, "wrong PIN"},
		{"locked", pkcs11.CKR_PIN_LOCKED, 0, ErrPINLocked, "unblock it with the PUK"},
		{"removed", pkcs11.CKR_DEVICE_REMOVED, 0, ErrNoToken, "insert it"},
		{"expired", pkcs11.CKR_PIN_EXPIRED, 0, nil, "--change-pin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := loginError(pkcs11.Error(tt.rv), tt.flags, `token "demat"`)
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("loginError = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Fatalf("loginError = %q, want it to say %q", err, tt.says)
			}
		})
	}
}

// openModules is how many PKCS#11 libraries this package has loaded.
func openModules() int {
	modules.Lock()
	defer modules.Unlock()
	return len(modules.m)
}
