package sign_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"encoding/asn1"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/demat-app/demat/internal/pdftest"
	"github.com/demat-app/demat/upload/sign"
)

// tsa is a minimal RFC 3161 timestamp authority on loopback, signing
// with the test PKI's TSA certificate (digitorus/timestamp parses the
// queries and makes the tokens). It wants basic authentication when user
// is set; fault, when set, replaces the answer.
type tsa struct {
	*httptest.Server
	queries int
}

const tsaUser, tsaPassword = "demat", "s3cret:with:colons"

func newTSA(t testing.TB, p *pki, fault func(w http.ResponseWriter, q *timestamp.Request) bool) *tsa {
	t.Helper()
	s := &tsa{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.queries++
		if u, pw, ok := r.BasicAuth(); !ok || u != tsaUser || pw != tsaPassword {
			w.Header().Set("WWW-Authenticate", `Basic realm="tsa"`)
			http.Error(w, "who are you?", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/timestamp-query" {
			http.Error(w, "not a timestamp query", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		q, err := timestamp.ParseRequest(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if fault != nil && fault(w, q) {
			return
		}
		resp, err := (&timestamp.Timestamp{
			HashAlgorithm:     q.HashAlgorithm,
			HashedMessage:     q.HashedMessage,
			Time:              time.Now().UTC().Truncate(time.Second),
			Accuracy:          time.Second,
			Nonce:             q.Nonce,
			Policy:            asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1},
			Certificates:      p.tsaChain(),
			AddTSACertificate: q.Certificates,
		}).CreateResponseWithOpts(p.tsa, p.tsaKey, crypto.SHA256)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/timestamp-reply")
		w.Write(resp)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *tsa) config() *sign.TSA {
	return &sign.TSA{URL: s.URL + "/tsr", Username: tsaUser, Password: tsaPassword, Timeout: 10 * time.Second}
}

// TestTimestamp signs at level B-T with the loopback TSA: pdfsig still
// validates the signature, openssl sees the timestamp token among the
// unsigned attributes, and Verify checks the token (its signature, its
// imprint over the signature value, the TSA's chain) and reports B-T.
func TestTimestamp(t *testing.T) {
	p := testPKI(t)
	ts := newTSA(t, p, nil)
	for _, kind := range []string{"rsa", "ecdsa"} {
		t.Run(kind, func(t *testing.T) {
			before := time.Now().Add(-time.Second).Truncate(time.Second)
			data := dematPDF(t, 1)
			out := signPDF(t, data, p.key(t, kind, "Jeanne Dupont"), sign.Options{Reason: "Archivage", TSA: ts.config()})
			path := write(t, "bt.pdf", out)
			pdftest.Validate(t, path, true)

			report := pdfsig(t, path)
			if v := pdfsigField(report, 1, "Signature Validation"); v != "Signature is Valid." {
				t.Errorf("pdfsig: Signature Validation: %q\n%s", v, report)
			}
			cms, _ := signedParts(t, out, 0)
			printed := opensslPrint(t, cms)
			if !strings.Contains(printed, "id-smime-aa-timeStampToken") {
				t.Errorf("openssl does not show the timestamp token among the attributes:\n%s", printed)
			}

			rep, err := sign.Verify(out, p.trust)
			if err != nil {
				t.Fatal(err)
			}
			s := rep.Signatures[0]
			if rep.Verdict != sign.Valid || s.Level != "B-T" {
				t.Fatalf("Verify: verdict %v, level %q, want valid B-T; problems %v", rep.Verdict, s.Level, s.Problems)
			}
			tst := s.Timestamp
			if tst == nil || !tst.SignatureOK || !tst.ImprintOK || !tst.ChainOK {
				t.Fatalf("timestamp %+v", tst)
			}
			if tst.Time.Before(before) || tst.Time.After(time.Now()) {
				t.Errorf("timestamp time %v, want between %v and now", tst.Time, before)
			}
			if !strings.Contains(tst.TSA, "demat test TSA") {
				t.Errorf("TSA %q", tst.TSA)
			}
			if !s.ValidatedAt.Equal(tst.Time) {
				t.Errorf("the chain was checked at %v, want the timestamp's time %v", s.ValidatedAt, tst.Time)
			}
		})
	}
}

// TestTimestampFailure checks that a TSA that cannot be reached, refuses
// the credentials or the query, or sends a token that does not answer
// the query, makes Sign fail with ErrTSA and write nothing.
func TestTimestampFailure(t *testing.T) {
	p := testPKI(t)
	down := httptest.NewServer(http.NotFoundHandler())
	downURL := down.URL
	down.Close()
	tests := []struct {
		name  string
		fault func(w http.ResponseWriter, q *timestamp.Request) bool
		tsa   func(s *tsa) *sign.TSA
		want  string
	}{
		{name: "down", tsa: func(*tsa) *sign.TSA { return &sign.TSA{URL: downURL, Username: tsaUser, Password: tsaPassword} }, want: "could not be reached"},
		{name: "wrong password", tsa: func(s *tsa) *sign.TSA {
			c := s.config()
			c.Password = "wrong"
			return c
		}, want: "refused the credentials"},
		{name: "server error", fault: func(w http.ResponseWriter, _ *timestamp.Request) bool {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
			return true
		}, want: "HTTP 503"},
		{name: "rejection", fault: func(w http.ResponseWriter, _ *timestamp.Request) bool {
			resp, _ := timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadAlgorithm)
			w.Write(resp)
			return true
		}, want: "refused the query"},
		{name: "garbage", fault: func(w http.ResponseWriter, _ *timestamp.Request) bool {
			w.Write([]byte("<html>captive portal</html>"))
			return true
		}, want: "not a timestamp response"},
		{name: "other imprint", fault: func(w http.ResponseWriter, q *timestamp.Request) bool {
			other := sha256.Sum256([]byte("something else"))
			resp, _ := (&timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: other[:], Time: time.Now(), Nonce: q.Nonce,
				Policy: asn1.ObjectIdentifier{1, 2, 3}, AddTSACertificate: true}).CreateResponseWithOpts(p.tsa, p.tsaKey, crypto.SHA256)
			w.Write(resp)
			return true
		}, want: "imprint"},
		{name: "other nonce", fault: func(w http.ResponseWriter, q *timestamp.Request) bool {
			resp, _ := (&timestamp.Timestamp{HashAlgorithm: q.HashAlgorithm, HashedMessage: q.HashedMessage, Time: time.Now(),
				Policy: asn1.ObjectIdentifier{1, 2, 3}, AddTSACertificate: true}).CreateResponseWithOpts(p.tsa, p.tsaKey, crypto.SHA256)
			w.Write(resp)
			return true
		}, want: "nonce"},
	}
	data := dematPDF(t, 1)
	key := p.key(t, "ecdsa", "Jeanne Dupont")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTSA(t, p, tt.fault)
			cfg := s.config()
			if tt.tsa != nil {
				cfg = tt.tsa(s)
			}
			var out bytes.Buffer
			err := sign.Sign(context.Background(), bytes.NewReader(data), int64(len(data)), &out, key, sign.Options{TSA: cfg})
			if !errors.Is(err, sign.ErrTSA) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("Sign: %v; want an ErrTSA saying %q and that nothing was written", err, tt.want)
			}
			if strings.Contains(err.Error(), tsaPassword) || strings.Contains(err.Error(), "wrong") {
				t.Errorf("the error shows the password: %v", err)
			}
			if out.Len() != 0 {
				t.Errorf("Sign wrote %d bytes", out.Len())
			}
		})
	}
}

// TestTSALogValue checks the TSA's password never reaches a log.
func TestTSALogValue(t *testing.T) {
	cfg := sign.TSA{URL: "https://user:pw@tsa.example/tsr", Username: "demat", Password: "hunter2"}
	got := cfg.LogValue().String()
	if strings.Contains(got, "hunter2") || strings.Contains(got, ":pw@") || !strings.Contains(got, "REDACTED") {
		t.Errorf("LogValue = %s", got)
	}
}

// TestTimestampCancel checks a cancelled signing stops waiting for a slow
// TSA, and writes nothing.
func TestTimestampCancel(t *testing.T) {
	p := testPKI(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Once the query is read, the server notices the client leave.
		io.ReadAll(r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(slow.Close)
	data := dematPDF(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err := sign.Sign(ctx, bytes.NewReader(data), int64(len(data)), &out, p.key(t, "ecdsa", "Jeanne Dupont"), sign.Options{TSA: &sign.TSA{URL: slow.URL}})
	if !errors.Is(err, context.DeadlineExceeded) || out.Len() != 0 {
		t.Errorf("Sign: %v, %d bytes written; want the context's error and nothing written", err, out.Len())
	}
}
