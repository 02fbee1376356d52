package app

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/ocr"
	"github.com/demat-app/demat/pipeline"
	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/file"
	"github.com/demat-app/demat/scan/separate"
	"github.com/demat-app/demat/upload/credentials"
	"github.com/demat-app/demat/upload/outbox"
	"github.com/demat-app/demat/upload/sign"
)

// Services are what the window asks of the rest of demat. The program's
// wiring (gui.go) builds them from the configuration; tests build them
// over temporary folders. Every func may be called from any goroutine and
// may block: the window calls them off the UI goroutine.
type Services struct {
	// Read delivers the pages of files and folders in order, as
	// scan.Source.Scan does: the good pages, then the error.
	Read func(ctx context.Context, paths []string, emit func(scan.Page) error) error
	// Scanners are the scanner drivers the Pages screen scans with, in
	// the order their devices are listed; none hides scanning.
	Scanners []Driver
	// DeviceAt makes the device of a network scanner from the address a
	// person typed (eSCL); nil hides adding a scanner by its address.
	DeviceAt func(address string) (scan.Device, error)
	// Build makes the searchable PDF at out from pages, in their order.
	Build func(ctx context.Context, pages []scan.Page, out string, opt pipeline.Options) (*pipeline.Result, error)
	// Targets lists the names of the targets documents can be sent to,
	// the default first. Nil: sending is not offered.
	Targets func() []string
	// Send queues the PDF at path for target, with the document's
	// metadata; path may be removed once it returns.
	Send func(ctx context.Context, target, path string, meta map[string]string) (outbox.Delivery, error)
	// Outbox shows the deliveries; nil hides the Outbox tab.
	Outbox Outbox
	// Register shows the registry desk's entries; nil hides the Register
	// tab.
	Register Register
	// Registry registers an item at the registry desk: see
	// RegistryRequest. A failure before the entry is complete voids its
	// number (the result's entry says so); after, the entry stays
	// registered and the error says what is left. Nil hides the
	// Registry desk tab.
	Registry func(ctx context.Context, req RegistryRequest) (RegistryResult, error)
	// DeskCertificate names the certificate that signs receipts when
	// none is chosen to sign with (the configuration's [register]
	// certificate); "" for none.
	DeskCertificate func() string
	// PrintReceipt prints a receipt's PDF on the default printer; nil
	// opens it in the system's PDF viewer instead.
	PrintReceipt func(path string) error
	// Certificates lists the signing certificates of the configuration.
	// Nil: signing is not offered.
	Certificates func() []Certificate
	// OpenCertificate opens the named certificate's key with its
	// passphrase or PIN; a wrong one is keys.ErrWrongPassphrase or
	// keys.ErrWrongPIN.
	OpenCertificate func(ctx context.Context, name string, secret credentials.Secret) (Signer, error)
	// TargetList lists the targets, the configured ones and the built-in
	// documents folder. Nil hides targets in the settings.
	TargetList func() ([]Target, error)
	// AddTarget adds a target to the configuration, checked as demat
	// target add checks it.
	AddTarget func(t Target) error
	// RemoveTarget removes a target from the configuration; it refuses
	// while documents wait to be delivered there. Nil: targets are not
	// removed from the window.
	RemoveTarget func(ctx context.Context, name string) error
	// TestTarget connects to the named target, writes a small probe and
	// removes it; it says where the probe was written.
	TestTarget func(ctx context.Context, name string) (string, error)
	// AddCertificate adds a signing certificate to the configuration:
	// where is a PKCS#12 file or a pkcs11: URI. Nil: certificates are not
	// added from the window.
	AddCertificate func(name, where string) error
	// RemoveCertificate removes a certificate from the configuration (its
	// passphrase or PIN from the keyring too). Nil: not offered.
	RemoveCertificate func(name string) error
	// DocTypes lists the document types of the configuration, whose
	// fields the Describe screen shows; nil or none: every field, none
	// required.
	DocTypes func() []config.DocType
	// Verify checks the signatures of the PDF at path.
	Verify func(path string) (*sign.Report, error)
	// Keyring keeps the passphrases, PINs and passwords.
	Keyring Keyring
	// Recognise reads the text of one page in langs, for the page
	// view; the text is as ocr.Result.Text gives it.
	Recognise func(ctx context.Context, p scan.Page, langs []string) (string, error)
	// SeparatorRules are the configuration's [separator] rules: the
	// marker separator codes start with, the patterns that turn their
	// values into metadata, Patch T. Nil: demat's own sheets (marker
	// SEP:, Patch T) without patterns.
	SeparatorRules func() (*separate.Rules, error)
	// Detect looks at one page of a batch for what sp can cut it at
	// (pipeline.Split.Look by default).
	Detect func(ctx context.Context, p scan.Page, sp pipeline.Split) (pipeline.Mark, error)
	// Languages are the OCR languages when the settings name none.
	Languages []string
	// Now is the clock forms are prefilled from.
	Now    func() time.Time
	Logger *slog.Logger
}

// Target is a place documents are delivered to, as the settings show
// and add it. It holds no secret.
type Target struct {
	Name string
	// Kind is folder, webdav, sftp or tus.
	Kind string
	// URL is where, without any password.
	URL  string
	User string
	// Path is the destination template, e.g. {year}/{reference}.pdf.
	Path string
	// Credential is the keyring entry of its password; empty when it
	// needs none.
	Credential string
	// Default: documents go there when no target is chosen.
	Default bool
	// BuiltIn is the documents folder that is there with no
	// configuration: it cannot be removed.
	BuiltIn bool
}

// TargetKinds are the kinds of target that can be added.
var TargetKinds = []string{"folder", "webdav", "sftp", "tus"}

// Outbox is the part of *outbox.Outbox the window uses.
type Outbox interface {
	// List gives the deliveries, newest first.
	List(ctx context.Context, states ...outbox.State) ([]outbox.Delivery, error)
	// Retry makes a failed or waiting delivery due now.
	Retry(ctx context.Context, id int64) error
}

var _ Outbox = (*outbox.Outbox)(nil)

// Register is the part of *register.Register the window uses.
type Register interface {
	// List gives the entries that match f, in the order they were
	// registered; the window shows them newest first.
	List(ctx context.Context, f register.Filter) ([]register.Entry, error)
}

var _ Register = (*register.Register)(nil)

func (s *Services) applyDefaults() {
	if s.Read == nil {
		// Importing files is the capture that works with no scanner and
		// no configuration.
		s.Read = func(ctx context.Context, paths []string, emit func(scan.Page) error) error {
			files, err := file.Expand(paths)
			if err != nil {
				return err
			}
			return file.Read(ctx, files, file.Options{}, emit)
		}
	}
	if s.Build == nil {
		// The pages as the window holds them (reordered, rotated) go
		// through the same pipeline as a scan job.
		s.Build = BuildPages
	}
	if s.Recognise == nil {
		// Tesseract, as the pipeline reads pages.
		s.Recognise = recognisePage
	}
	if s.SeparatorRules == nil {
		// What demat separator prints reads with no configuration.
		s.SeparatorRules = func() (*separate.Rules, error) {
			return &separate.Rules{Marker: separate.DefaultMarker, Patch: true}, nil
		}
	}
	if s.Detect == nil {
		// The detection the CLI's --split runs on each page.
		s.Detect = func(ctx context.Context, p scan.Page, sp pipeline.Split) (pipeline.Mark, error) {
			if err := ctx.Err(); err != nil {
				return pipeline.Mark{}, err
			}
			return sp.Look(&p), nil
		}
	}
	if s.Verify == nil {
		// Against the system's trusted roots, as a reader's PDF viewer
		// would check it.
		s.Verify = verifyFile
	}
	if s.Keyring == nil {
		// The OS keyring: the only place secrets are kept.
		s.Keyring = credentials.New()
	}
	if len(s.Languages) == 0 {
		// What the CLI reads by default: the two languages of the desks
		// demat is made for.
		s.Languages = ocr.DefaultLanguages
	}
	if s.Now == nil {
		// The date a document is described on is today's.
		s.Now = time.Now
	}
	if s.Logger == nil {
		// The window reports to the person; logging is optional.
		s.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
}

// BuildPages makes the searchable PDF at out from pages with
// pipeline.Scan, as if a scanner delivered them in this order.
func BuildPages(ctx context.Context, pages []scan.Page, out string, opt pipeline.Options) (*pipeline.Result, error) {
	return pipeline.Scan(ctx, replay(pages), scan.Device{ID: "app:pages", Name: "pages", Driver: "app"}, scan.Options{}, out, opt)
}

// replay is a scan.Source that delivers pages already captured.
type replay []scan.Page

var _ scan.Source = replay(nil)

// Devices lists none: replay is never discovered.
func (r replay) Devices(context.Context) ([]scan.Device, error) { return nil, nil }

// Caps says replay is a feeder holding the pages.
func (r replay) Caps(context.Context, scan.Device) (scan.Caps, error) {
	return scan.Caps{Inputs: []scan.InputCaps{{Input: scan.Feeder}}}, nil
}

// Scan emits every page in order.
func (r replay) Scan(ctx context.Context, _ scan.Device, _ scan.Options, emit func(scan.Page) error) error {
	for _, p := range r {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := emit(p); err != nil {
			return err
		}
	}
	return nil
}
