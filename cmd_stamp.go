package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/internal/stamp"
	"github.com/demat-app/demat/pipeline"
)

// stampFlags are --stamp, --stamp-place and --stamp-lang: the arrival
// stamp a registered document carries on its first page.
type stampFlags struct {
	on          bool
	place, lang string
}

func (s *stampFlags) add(f *pflag.FlagSet) {
	f.BoolVar(&s.on, "stamp", false, "with --register, draw the arrival stamp on the first page where it covers no text: number, date and time received, service, QR code (default: on for --register incoming; --stamp=false leaves it out)")
	f.StringVar(&s.place, "stamp-place", "auto", "`where` the stamp goes: auto (a free area, the top-right corner first), top-right, top-left, bottom-right or bottom-left (implies --stamp)")
	f.StringVar(&s.lang, "stamp-lang", "", "the stamp's `language`: fr, ar (right to left) or en (default: the document's, else fr; implies --stamp)")
}

// stamp reads the stamp flags for a document of register k (empty
// without --register): the stamp to draw, its number and time still to
// come, or nil for none. Desks register incoming mail to stamp it, so
// the stamp is on for incoming unless --stamp=false; outgoing and
// internal items are the administration's own, stamped when asked.
func (d *docFlags) stamp(f *pflag.FlagSet, k register.Kind, opt pipeline.Options) (*stamp.Stamp, error) {
	s := d.stampFlags
	asked := f.Changed("stamp-place") || f.Changed("stamp-lang")
	if k == "" {
		if (f.Changed("stamp") && s.on) || asked {
			return nil, usageError{errors.New("--stamp needs --register: the stamp shows the registration number")}
		}
		return nil, nil
	}
	on := k == register.Incoming || asked
	if f.Changed("stamp") {
		on = s.on
		if !on && asked {
			return nil, usageError{errors.New("--stamp=false, but --stamp-place or --stamp-lang asks for a stamp")}
		}
	}
	if !on {
		return nil, nil
	}
	place, err := stamp.ParsePlace(s.place)
	if err != nil {
		return nil, usageError{fmt.Errorf("--stamp-place: %w", err)}
	}
	lang := s.lang
	if lang == "" {
		lang = stampLang(opt)
	}
	switch lang {
	case "fr", "ar", "en":
	default:
		return nil, usageError{fmt.Errorf("--stamp-lang %q: want fr, ar or en", s.lang)}
	}
	st, err := arrivalStamp(k, lang, place)
	if err != nil {
		return nil, err
	}
	if d.sign.cert != "" {
		// A visible signature block on the first page is drawn after
		// the stamp: the stamp keeps clear of where it will be.
		app, err := d.sign.appearance()
		if err != nil {
			return nil, err
		}
		if app != nil && (app.Page == 1 || app.Page == -1) {
			st.Reserve = func(w, h float64) []stamp.Rect {
				x, y, bw, bh, err := app.Shown(w, h)
				if err != nil {
					return nil // signing will say the page cannot take the block
				}
				return []stamp.Rect{{X: x, Y: h - y - bh, W: bw, H: bh}}
			}
		}
	}
	return st, nil
}

// arrivalStamp is the stamp of an item of register k, in lang, at
// place, naming the configuration's [register] service; its number and
// time come when reserved (stamped). The window's registry desk stamps
// with it too.
func arrivalStamp(k register.Kind, lang string, place stamp.Place) (*stamp.Stamp, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	return &stamp.Stamp{Kind: string(k), Service: cfg.Register.Service, Lang: lang, Place: place}, nil
}

// stampLang is the document's language as a stamp's: its metadata's
// language if it is French, Arabic or English, else its first OCR
// language's if that is one of them, else French, the desk's working
// language.
func stampLang(opt pipeline.Options) string {
	tag := ""
	if len(opt.Languages) > 0 {
		tag = pipeline.LangTag(opt.Languages[0])
	}
	return docLang(opt.PDF.Meta.Language, tag)
}

// docLang is fr, ar or en: the first of the BCP 47 tags given that is one
// of them (ar-MA is ar), else French, the desk's working language.
func docLang(tags ...string) string {
	for _, tag := range tags {
		tag, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		switch tag {
		case "fr", "ar", "en":
			return tag
		}
	}
	return "fr"
}

// stamped gives the stamp to draw on registered document e, received
// when the metadata's received date says (or, when it gives only a
// year or a month, when the number was given).
func stamped(s *stamp.Stamp, e register.Entry, received string) *stamp.Stamp {
	out := *s
	out.Number, out.Kind = e.Number, string(e.Kind)
	out.Received = e.Registered
	for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(l, received); err == nil {
			out.Received = t
			return &out
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, received, time.Local); err == nil {
		out.Received, out.DateOnly = t, true
	}
	return &out
}
