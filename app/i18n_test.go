package app

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"github.com/demat-app/demat/assets"
)

func translations(code string) map[string]any {
	data, err := assets.Translations.ReadFile("translations/" + code + ".json")
	if err != nil {
		panic(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(data, &m); err != nil {
		panic(err)
	}
	return m
}

var (
	keyCall     = regexp.MustCompile(`lang\.X\(\s*"([^"]+)",\s*"((?:[^"\\]|\\.)*)"`)
	placeholder = regexp.MustCompile(`\{\{\s*\.(\w+)\s*\}\}`)
)

// TestTranslations: every string the window shows is in every language,
// with the same placeholders, and no translation is left unused.
func TestTranslations(t *testing.T) {
	used := map[string]string{}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if filepath.Ext(f) == ".go" && !regexp.MustCompile(`_test\.go$`).MatchString(f) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range keyCall.FindAllStringSubmatch(string(src), -1) {
				used[m[1]] = m[2]
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d strings: the pattern is broken", len(used))
	}
	names := func(s string) []string {
		var out []string
		for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
			out = append(out, m[1])
		}
		slices.Sort(out)
		return out
	}
	for _, l := range Languages {
		tr := translations(l.Code)
		for key, fallback := range used {
			v, ok := tr[key].(string)
			if !ok {
				t.Errorf("%s.json: no %q (%q)", l.Code, key, fallback)
				continue
			}
			if !slices.Equal(names(v), names(fallback)) {
				t.Errorf("%s.json: %q has placeholders %v, the English %v", l.Code, key, names(v), names(fallback))
			}
		}
		for key := range tr {
			// Arabic also translates Fyne's own words (plain English
			// keys and a few lower-case ids of its dialogs).
			if _, ok := used[key]; !ok && !(l.Code == "ar" && !regexp.MustCompile(`^[a-z_]+\.[a-z_]+$`).MatchString(key)) && !(l.Code == "ar" && regexp.MustCompile(`^(file|\w+day)\.`).MatchString(key)) {
				t.Errorf("%s.json: %q is not used", l.Code, key)
			}
		}
	}
	if got := translations("en")["lang.code"]; got != "en" {
		t.Errorf("en.json lang.code %q", got)
	}
}
