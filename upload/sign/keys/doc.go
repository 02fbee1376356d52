// Package keys opens the keys demat signs with: a PKCS#12 file (.p12/.pfx)
// unlocked with its passphrase, or a key on a PKCS#11 token (smart card, USB
// token, HSM) named by an RFC 7512 URI and unlocked with its PIN. Either way
// the caller gets a Key: a crypto.Signer, the signer's certificate and the
// issuers found next to it, which is everything a CMS/PAdES signature needs.
//
// Supported keys are RSA of 2048 bits or more (PKCS#1 v1.5, or PSS when the
// caller passes *rsa.PSSOptions) and ECDSA on P-256, P-384 and P-521; the
// digest is always computed by the caller (SHA-256, SHA-384 or SHA-512) and
// passed with its hash as the crypto.SignerOpts, as CMS libraries do.
//
// Tokens are reached through github.com/miekg/pkcs11 directly rather than
// crypto11: demat needs to list the tokens present when the wanted one is
// missing, to collect the CA certificates stored on the token, to use
// read-only tokens and keys without a public-key object, and to tell a wrong
// PIN from a locked one, none of which crypto11 exposes. The PKCS#11 part
// needs cgo; without cgo OpenToken returns ErrNoCgo and the rest works.
//
// It owns no secret: passphrases and PINs come from the caller (who keeps
// them in the OS keyring) and never appear in an error or a log line. It
// must not sign documents (that is upload/sign) nor store credentials.
package keys
