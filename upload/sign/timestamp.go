package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/digitorus/timestamp"
)

// TSA is an RFC 3161 timestamp authority: with one, signatures are PAdES
// B-T, their time proven by a third party instead of claimed by the
// signer's computer.
type TSA struct {
	// URL is where timestamp queries are posted.
	URL string
	// Username and Password are sent with HTTP basic authentication when
	// Username is set. The caller fetches the password from the keyring;
	// it is never logged (see LogValue) nor put in an error.
	Username string
	Password string
	// Client sends the query; nil means a client with Timeout.
	Client *http.Client
	// Timeout bounds one query when Client is nil; 0 means 30 s, long
	// enough for a slow public TSA, short enough that a person waiting
	// for a signed document is not left guessing.
	Timeout time.Duration
}

// LogValue keeps the password, and any credentials in the URL, out of
// logs.
func (t TSA) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("url", redactURL(t.URL))}
	if t.Username != "" {
		attrs = append(attrs, slog.String("username", t.Username), slog.String("password", "REDACTED"))
	}
	return slog.GroupValue(attrs...)
}

func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// ErrTSA is what every error that comes from the timestamp authority is
// (errors.Is): unreachable, refusing the credentials or the query, or
// answering with a token that does not match. Sign writes nothing then.
var ErrTSA = errors.New("sign: timestamp authority failed")

// tsaError is an ErrTSA with its own sentence.
type tsaError struct{ msg string }

func (e *tsaError) Error() string        { return e.msg }
func (e *tsaError) Is(target error) bool { return target == ErrTSA }

// maxTSAResponse bounds what is read from a TSA: a token with its
// certificates is a few kilobytes.
const maxTSAResponse = 1 << 20

// timestampSignature asks the TSA for a token over the signature value
// (the signature-time-stamp of CAdES), hashed with h, and checks that the
// token is signed, covers that value and answers this query.
func (t *TSA) timestampSignature(ctx context.Context, sig []byte, h crypto.Hash) ([]byte, error) {
	where := redactURL(t.URL)
	fail := func(format string, a ...any) error {
		return &tsaError{fmt.Sprintf("sign: timestamp authority %s %s; nothing was written", where, fmt.Sprintf(format, a...))}
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	query, err := timestamp.CreateRequest(bytes.NewReader(sig), &timestamp.RequestOptions{Hash: h, Certificates: true, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("sign: build the timestamp query: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(query))
	if err != nil {
		return nil, fail("is not a valid address: check the TSA URL in the settings")
	}
	req.Header.Set("Content-Type", "application/timestamp-query")
	if t.Username != "" {
		req.SetBasicAuth(t.Username, t.Password)
	}
	client := t.Client
	if client == nil {
		timeout := t.Timeout
		if timeout == 0 {
			timeout = 30 * time.Second
		}
		client = &http.Client{Timeout: timeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// The client's error holds the URL: say it without credentials.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fail("could not be reached (%v): check the network and the TSA address, or sign without a timestamp", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTSAResponse))
	if err != nil {
		return nil, fail("broke off its answer (%v): try again", err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return nil, fail("refused the credentials (HTTP %d): check the TSA user name and password", resp.StatusCode)
	case resp.StatusCode != http.StatusOK:
		return nil, fail("answered HTTP %d: try again later, or check the TSA address", resp.StatusCode)
	}
	token, err := parseTimeStampResp(body)
	if err != nil {
		return nil, fail("%v", err)
	}
	ts, err := checkToken(token, sig)
	if err != nil {
		return nil, fail("sent a token that is not usable (%v): check the TSA address, or tell its operator", err)
	}
	if ts.nonce == nil || ts.nonce.Cmp(nonce) != 0 {
		return nil, fail("sent a token that answers another query (its nonce differs): try again")
	}
	return token, nil
}

// timeStampResp is TimeStampResp (RFC 3161 §2.4.2).
type timeStampResp struct {
	Status struct {
		Status       int
		StatusString []asn1.RawValue `asn1:"optional"`
		FailInfo     asn1.BitString  `asn1:"optional"`
	}
	TimeStampToken asn1.RawValue `asn1:"optional"`
}

// parseTimeStampResp gives the token of a granted response, or says why
// the TSA refused.
func parseTimeStampResp(body []byte) ([]byte, error) {
	var r timeStampResp
	if _, err := asn1.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("sent an answer that is not a timestamp response (%v): check the TSA address", err)
	}
	if s := r.Status.Status; s != 0 && s != 1 {
		var texts []string
		for _, v := range r.Status.StatusString {
			var str string
			if _, err := asn1.UnmarshalWithParams(v.FullBytes, &str, "utf8"); err == nil {
				texts = append(texts, str)
			}
		}
		var fails []string
		for bit, name := range map[int]string{0: "bad algorithm", 2: "bad request", 5: "bad data format", 14: "time not available", 15: "unaccepted policy", 16: "unaccepted extension", 17: "add info not available", 25: "system failure"} {
			if r.Status.FailInfo.At(bit) == 1 {
				fails = append(fails, name)
			}
		}
		return nil, fmt.Errorf("refused the query (status %d: %s): check the TSA settings, or tell its operator", s, strings.TrimSpace(strings.Join(append(fails, texts...), ", ")))
	}
	if len(r.TimeStampToken.FullBytes) == 0 {
		return nil, errors.New("sent an answer without a token: tell its operator")
	}
	return r.TimeStampToken.FullBytes, nil
}

// tstInfo is TSTInfo (RFC 3161 §2.4.2).
type tstInfo struct {
	Version        int
	Policy         asn1.ObjectIdentifier
	MessageImprint messageImprint
	SerialNumber   *big.Int
	GenTime        time.Time     `asn1:"generalized"`
	Accuracy       accuracy      `asn1:"optional"`
	Ordering       bool          `asn1:"optional,default:false"`
	Nonce          *big.Int      `asn1:"optional"`
	TSA            asn1.RawValue `asn1:"optional,explicit,tag:0"`
	Extensions     asn1.RawValue `asn1:"optional,tag:1"`
}

type messageImprint struct {
	HashAlgorithm pkix.AlgorithmIdentifier
	HashedMessage []byte
}

type accuracy struct {
	Seconds int `asn1:"optional"`
	Millis  int `asn1:"optional,tag:0"`
	Micros  int `asn1:"optional,tag:1"`
}

// token is a parsed timestamp token; verify and imprint check it.
type token struct {
	cms   *cms
	time  time.Time
	nonce *big.Int
	tsa   *x509.Certificate // the certificate its SignerInfo names, nil when absent
}

// checkToken parses an RFC 3161 token and checks that its signature
// verifies and that its imprint is the digest of data. The TSA's
// certificate chain is not checked here.
func checkToken(der, data []byte) (*token, error) {
	t, err := parseToken(der)
	if err != nil {
		return nil, err
	}
	if err := t.verify(); err != nil {
		return nil, err
	}
	if !t.imprint(data) {
		return nil, errors.New("its imprint is not the digest of the signature value")
	}
	return t, nil
}

func parseToken(der []byte) (*token, error) {
	c, err := parseCMS(der)
	if err != nil {
		return nil, err
	}
	if !c.eContentType.Equal(oidTSTInfo) || c.eContent == nil {
		return nil, errors.New("not a timestamp token (no TSTInfo)")
	}
	var info tstInfo
	if _, err := asn1.Unmarshal(c.eContent, &info); err != nil {
		return nil, fmt.Errorf("TSTInfo: %v", err)
	}
	return &token{cms: c, time: info.GenTime, nonce: info.Nonce, tsa: c.signer}, nil
}

// verify checks the token's signature: the message digest of its TSTInfo
// and the signature over its signed attributes.
func (t *token) verify() error {
	c := t.cms
	if c.signedAttrs == nil {
		return errors.New("the token has no signed attributes")
	}
	h := c.hash.New()
	h.Write(c.eContent)
	d := h.Sum(nil)
	ok, err := c.checkDigest(d)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("the token's TSTInfo does not match its message digest")
	}
	if err := c.checkSignature(d); err != nil {
		return fmt.Errorf("the token's signature: %v", err)
	}
	return nil
}

// imprint says whether the token's message imprint is the digest of data.
func (t *token) imprint(data []byte) bool {
	var info tstInfo
	if _, err := asn1.Unmarshal(t.cms.eContent, &info); err != nil {
		return false
	}
	h := hashForOID(info.MessageImprint.HashAlgorithm.Algorithm)
	if h == 0 || !h.Available() {
		return false
	}
	hh := h.New()
	hh.Write(data)
	return bytes.Equal(hh.Sum(nil), info.MessageImprint.HashedMessage)
}
