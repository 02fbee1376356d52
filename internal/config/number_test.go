package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// number_header and number_json are for targets whose server answers a
// delivery; a folder or an SFTP drop is refused with a clear message.
func TestTargetNumber(t *testing.T) {
	for _, tc := range []struct {
		t    Target
		want string // in the error; "" for none
	}{
		{Target{Name: "bo", Kind: "tus", URL: "https://bo.example/files/", NumberHeader: "X-Registration-Number"}, ""},
		{Target{Name: "bo", Kind: "webdav", URL: "https://bo.example/dav/", NumberJSON: "/registration/number"}, ""},
		{Target{Name: "bo", Kind: "webdav", URL: "https://bo.example/dav/", NumberJSON: "/a~1b/~0c/0"}, ""},
		{Target{Name: "arch", Kind: "folder", URL: "/srv/arch", NumberHeader: "X-Registration-Number"}, "a folder target has no answer"},
		{Target{Name: "drop", Kind: "sftp", URL: "sftp://h/in", NumberJSON: "/n"}, "a sftp target has no answer"},
		{Target{Name: "bo", Kind: "tus", URL: "https://bo.example/files/", NumberHeader: "X Number"}, "not an HTTP header name"},
		{Target{Name: "bo", Kind: "tus", URL: "https://bo.example/files/", NumberJSON: "registration.number"}, "not a JSON pointer"},
		{Target{Name: "bo", Kind: "tus", URL: "https://bo.example/files/", NumberJSON: "/a~2"}, "not a JSON pointer"},
	} {
		err := tc.t.Check()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: %v", tc.t, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: %v, want %q", tc.t, err, tc.want)
		}
	}
}

func TestRegisterNumbering(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string]string{
		"[register]\nnumbering = \"server\"\n": "",
		"[register]\nnumbering = \"local\"\n":  "",
		"[register]\nnumbering = \"remote\"\n": "want local",
		"[[target]]\nname = \"arch\"\nkind = \"folder\"\nurl = \"/srv/arch\"\nnumber_header = \"X-Registration-Number\"\n": "has no answer to read it from",
	} {
		p := filepath.Join(dir, "config.toml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadFile(p)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q: %v", text, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
}
