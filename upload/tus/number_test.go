package tus

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/uploadtest"
)

// depot is a deposit service built on tusd: the answer to the PATCH
// that completes an upload gives the registration number, in a header,
// or (json) as a 200 answer with a JSON body, as a tusd pre-finish hook
// makes it.
func depot(number string, json bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodPatch {
				next.ServeHTTP(w, r)
				return
			}
			next.ServeHTTP(&finishWriter{ResponseWriter: w, number: number, json: json}, r)
		})
	}
}

// finishWriter adds the number to an answer saying the upload is
// complete (Upload-Offset equals Upload-Length, which tusd's HEAD says;
// the test's documents are all finished by their last PATCH).
type finishWriter struct {
	http.ResponseWriter
	number string
	json   bool
	done   bool
}

func (f *finishWriter) WriteHeader(code int) {
	h := f.Header()
	off, _ := strconv.ParseInt(h.Get("Upload-Offset"), 10, 64)
	if code == http.StatusNoContent && off == finalSize {
		if f.json {
			body := fmt.Sprintf(`{"status":"registered","registration":{"number":%q}}`, f.number)
			h.Set("Content-Type", "application/json")
			h.Set("Content-Length", strconv.Itoa(len(body)))
			f.ResponseWriter.WriteHeader(http.StatusOK)
			f.ResponseWriter.Write([]byte(body))
			f.done = true
			return
		}
		h.Set("X-Registration-Number", f.number)
	}
	f.ResponseWriter.WriteHeader(code)
}

func (f *finishWriter) Write(b []byte) (int, error) {
	if f.done {
		return len(b), nil
	}
	return f.ResponseWriter.Write(b)
}

const finalSize = 150_000

func TestServerNumber(t *testing.T) {
	for _, json := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", json), func(t *testing.T) {
			srv := startTusd(t, testenv.TusdOptions{Wrap: depot("BO/2026/000077", json)})
			src := upload.NumberSource{Header: "X-Registration-Number"}
			if json {
				src = upload.NumberSource{JSON: "/registration/number"}
			}
			tg := newTarget(t, srv.URL, Options{ChunkSize: 64 << 10, Number: src})
			doc, data := uploadtest.NewDoc("t1", "t1.pdf", finalSize, 1)
			cp := &uploadtest.Checkpoints{}
			doc.Checkpoint = cp.Save
			rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Number != "BO/2026/000077" || rec.NumberNote != "" || cp.Last().Number != rec.Number {
				t.Errorf("receipt %+v, checkpoint %+v", rec, cp.Last())
			}
			checkOne(t, srv, data)
		})
	}

	t.Run("CheckFailsAfterTheNumber", func(t *testing.T) {
		// The completing answer gave the number, the check after it
		// failed: the next attempt finds the upload complete and reports
		// the number the first one saved.
		head := &fault{method: http.MethodHead, nth: 1, code: http.StatusServiceUnavailable}
		srv := startTusd(t, testenv.TusdOptions{Wrap: func(h http.Handler) http.Handler { return head.wrap(depot("BO-9", false)(h)) }})
		tg := newTarget(t, srv.URL, Options{Number: upload.NumberSource{Header: "X-Registration-Number"}})
		doc, data := uploadtest.NewDoc("t2", "t2.pdf", finalSize, 2)
		cp := &uploadtest.Checkpoints{}
		doc.Checkpoint = cp.Save
		if _, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open); err == nil || !upload.IsTemporary(err) {
			t.Fatalf("Put with a failing check: %v", err)
		}
		doc.Resume = cp.Last()
		rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err != nil || !rec.Already || rec.Number != "BO-9" {
			t.Fatalf("%+v %v", rec, err)
		}
	})

	t.Run("None", func(t *testing.T) {
		srv := startTusd(t, testenv.TusdOptions{})
		tg := newTarget(t, srv.URL, Options{Number: upload.NumberSource{Header: "X-Registration-Number"}})
		doc, data := uploadtest.NewDoc("t3", "t3.pdf", 1000, 3)
		rec, err := tg.Put(ctx(t), doc, uploadtest.NewBody(data).Open)
		if err != nil || rec.Number != "" || !strings.Contains(rec.NumberNote, "no registration number") {
			t.Fatalf("%+v %v", rec, err)
		}
	})
}
