package webdav

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/uploadtest"
)

// registry is a bureau d'ordre platform in front of Apache: it answers
// the request methods in number with the registration number it gives
// (a header, or a JSON body), as modify says.
func registry(t *testing.T, dav *testenv.WebDAV, modify func(*http.Response) error) string {
	t.Helper()
	target, _ := url.Parse(dav.URL)
	target.Path = "/"
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.ModifyResponse = modify
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return through(dav, strings.TrimPrefix(srv.URL, "http://"))
}

func TestServerNumber(t *testing.T) {
	dav := testenv.StartWebDAV(t, testenv.WebDAVOptions{})

	t.Run("HeaderOnPut", func(t *testing.T) {
		// Every PUT is answered with a number; the one that completes the
		// document is the one that counts.
		var puts atomic.Int32
		u := registry(t, dav, func(r *http.Response) error {
			if r.Request.Method == http.MethodPut && r.StatusCode < 300 {
				r.Header.Set("X-Registration-Number", fmt.Sprintf("BO-2026-%d", puts.Add(1)))
			}
			return nil
		})
		tg := newTarget(t, dav, u, func(o *Options) {
			o.ChunkSize = 64 << 10
			o.Number = upload.NumberSource{Header: "X-Registration-Number"}
		})
		doc, data := uploadtest.NewDoc("n1", "n/1.pdf", 200_000, 1)
		cp := &uploadtest.Checkpoints{}
		doc.Checkpoint = cp.Save
		rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err != nil {
			t.Fatal(err)
		}
		if rec.Number != "BO-2026-4" || rec.NumberNote != "" || cp.Last().Number != "BO-2026-4" {
			t.Errorf("receipt %+v, checkpoint %+v: want the fourth PUT's number", rec, cp.Last())
		}
		// Sent again after a lost answer: the document is found in place,
		// and the number comes from what the first attempt saved.
		doc.Resume = cp.Last()
		rec, err = tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err != nil || !rec.Already || rec.Number != "BO-2026-4" {
			t.Errorf("again: %+v %v", rec, err)
		}
	})

	t.Run("JSONOnMove", func(t *testing.T) {
		u := registry(t, dav, func(r *http.Response) error {
			if r.Request.Method == "MOVE" && r.StatusCode < 300 {
				body := `{"registration":{"number":"2026/BO/000042","date":"2026-03-01"}}`
				r.Body = io.NopCloser(strings.NewReader(body))
				r.ContentLength = int64(len(body))
				r.Header.Set("Content-Length", fmt.Sprint(len(body)))
				r.Header.Set("Content-Type", "application/json; charset=utf-8")
			}
			return nil
		})
		tg := newTarget(t, dav, u, func(o *Options) { o.Number = upload.NumberSource{JSON: "/registration/number"} })
		doc, data := uploadtest.NewDoc("n2", "n/2.pdf", 5000, 2)
		rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err != nil || rec.Number != "2026/BO/000042" {
			t.Fatalf("%+v %v", rec, err)
		}
		if got := dav.Files(t)["n/2.pdf"]; !bytes.Equal(got, data) {
			t.Error("the document is not in place")
		}
	})

	t.Run("NoneOrBad", func(t *testing.T) {
		for _, tc := range []struct{ value, note string }{
			{"", "gave no registration number (header X-Registration-Number)"},
			{strings.Repeat("9", 300), "refused"},
		} {
			u := registry(t, dav, func(r *http.Response) error {
				if r.Request.Method == "MOVE" && tc.value != "" {
					r.Header["X-Registration-Number"] = []string{tc.value}
				}
				return nil
			})
			tg := newTarget(t, dav, u, func(o *Options) { o.Number = upload.NumberSource{Header: "X-Registration-Number"} })
			doc, data := uploadtest.NewDoc("n3", fmt.Sprintf("n/3-%d.pdf", len(tc.value)), 1000, 3)
			rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
			if err != nil {
				t.Fatalf("%q: a delivery without a number still is one: %v", tc.value, err)
			}
			if rec.Number != "" || !strings.Contains(rec.NumberNote, tc.note) {
				t.Errorf("%q: %+v, want a note saying %q", tc.value, rec, tc.note)
			}
		}
	})

	t.Run("NotLooked", func(t *testing.T) {
		u := registry(t, dav, func(r *http.Response) error {
			r.Header.Set("X-Registration-Number", "BO-1")
			return nil
		})
		tg := newTarget(t, dav, u, nil)
		doc, data := uploadtest.NewDoc("n4", "n/4.pdf", 1000, 4)
		if rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err != nil || rec.Number != "" || rec.NumberNote != "" {
			t.Errorf("%+v %v", rec, err)
		}
	})
}
