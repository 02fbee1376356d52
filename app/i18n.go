package app

import (
	"os"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"github.com/demat-app/demat/assets"
)

// Languages are the interface languages, by code, in the order the
// settings offer them; each is named in its own language, so a person
// finds theirs whatever the window speaks now.
var Languages = []struct{ Code, Name string }{
	{"en", "English"},
	{"fr", "Français"},
	{"ar", "العربية"},
}

// prefLanguage is the preference holding the chosen interface language;
// empty follows the system's.
const prefLanguage = "language"

var (
	langMu sync.Mutex
	// systemLanguage is LANGUAGE as the process started with it, to go
	// back to when the setting returns to the system's language.
	systemLanguage, systemSet = os.LookupEnv("LANGUAGE")
)

// SetLanguage makes code ("en", "fr", "ar") the interface language, or
// the system's when code is "". Windows built afterwards speak it.
//
// Fyne picks its language from the locale environment variables, once
// per loaded bundle, and has no other setter: so the choice is written to
// LANGUAGE (which gettext, and Fyne's locale lookup, read before LANG)
// and the bundle reloaded. A C or POSIX locale makes LANGUAGE ignored, so
// such a variable is removed while a language is chosen; the C library's
// own locale is not affected (Go never calls setlocale from the
// environment, and Tesseract needs "C").
func SetLanguage(code string) error {
	langMu.Lock()
	defer langMu.Unlock()
	if code == "" {
		if systemSet {
			os.Setenv("LANGUAGE", systemLanguage)
		} else {
			os.Unsetenv("LANGUAGE")
		}
	} else {
		os.Setenv("LANGUAGE", code)
		for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
			val := os.Getenv(v)
			if val == "C" || val == "POSIX" {
				os.Unsetenv(v)
			} else if val != "" {
				break // the variable in force: LANGUAGE is read after it
			}
		}
	}
	return lang.AddTranslationsFS(assets.Translations, "translations")
}

// CurrentLanguage is the code of the language the interface speaks now,
// one of Languages.
func CurrentLanguage() string {
	// The translation of this key is the language's own code: what Fyne
	// resolved, without reimplementing its matching.
	return lang.X("lang.code", "en")
}

// RightToLeft says whether the current language is written right to
// left.
func RightToLeft() bool { return CurrentLanguage() == "ar" }

// applyLanguagePref applies the language saved in prefs.
func applyLanguagePref(prefs fyne.Preferences) error {
	return SetLanguage(strings.TrimSpace(prefs.String(prefLanguage)))
}
