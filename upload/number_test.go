package upload

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestNumberSource(t *testing.T) {
	answer := func(ct, body string, h ...string) *http.Response {
		r := &http.Response{Header: http.Header{}, Body: io.NopCloser(strings.NewReader(body))}
		if ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		for i := 0; i+1 < len(h); i += 2 {
			r.Header.Set(h[i], h[i+1])
		}
		return r
	}
	for _, tc := range []struct {
		name string
		src  NumberSource
		resp *http.Response
		want string
		err  string
	}{
		{"header", NumberSource{Header: "X-Number"}, answer("", "", "X-Number", " BO-1 "), "BO-1", ""},
		{"json string", NumberSource{JSON: "/registration/number"}, answer("application/json", `{"registration":{"number":"2026/A/7"}}`), "2026/A/7", ""},
		{"json integer", NumberSource{JSON: "/id"}, answer("application/json", `{"id":12345678901}`), "12345678901", ""},
		{"json array and escapes", NumberSource{JSON: "/a~1b/0/~0n"}, answer("application/problem+json", `{"a/b":[{"~n":"X"}]}`), "X", ""},
		{"json missing", NumberSource{JSON: "/n"}, answer("application/json", `{"m":1}`), "", ""},
		{"json null", NumberSource{JSON: "/n"}, answer("application/json", `{"n":null}`), "", ""},
		{"not json content", NumberSource{JSON: "/n"}, answer("text/html", `<p>ok</p>`), "", ""},
		{"json object", NumberSource{JSON: "/n"}, answer("application/json", `{"n":{"v":1}}`), "", "a string or a whole number"},
		{"json fraction", NumberSource{JSON: "/n"}, answer("application/json", `{"n":1.5}`), "", "not a whole number"},
		{"unreadable json", NumberSource{JSON: "/n"}, answer("application/json", `<html>`), "", "not JSON"},
		{"both agree", NumberSource{Header: "X-N", JSON: "/n"}, answer("application/json", `{"n":"7"}`, "X-N", "7"), "7", ""},
		{"both differ", NumberSource{Header: "X-N", JSON: "/n"}, answer("application/json", `{"n":"7"}`, "X-N", "8"), "", "two numbers"},
		{"json control character", NumberSource{JSON: "/n"}, answer("application/json", `{"n":"BO\u0001-1"}`), "", "control character"},
		{"header, empty body (204)", NumberSource{Header: "X-N", JSON: "/n"}, answer("", "", "X-N", "BO-9"), "BO-9", ""},
		{"header, body not json", NumberSource{Header: "X-N", JSON: "/n"}, answer("application/json", "ok", "X-N", "BO-9"), "BO-9", ""},
		{"empty body, no header", NumberSource{JSON: "/n"}, answer("", ""), "", ""},
		{"header too long", NumberSource{Header: "X-N"}, answer("", "", "X-N", strings.Repeat("1", 200)), "", "not a number"},
	} {
		got, err := tc.src.Read(tc.resp)
		if got != tc.want || (err == nil) != (tc.err == "") || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %q %v, want %q %q", tc.name, got, err, tc.want, tc.err)
		}
	}
	for _, bad := range []NumberSource{{Header: "X N"}, {Header: "X:N"}, {JSON: "n"}, {JSON: "/a~"}, {JSON: "/~2"}} {
		if bad.Check() == nil {
			t.Errorf("%+v was taken", bad)
		}
	}
}
