package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/lang"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/demat-app/demat/scan"
)

// Driver is a scanner driver the window scans with, under the name its
// device IDs start with ("sane", "escl").
type Driver struct {
	Name   string
	Source scan.Source
}

// searchTimeout bounds one driver's device search: an mDNS browse or a
// SANE network backend that never answers must not leave the list
// waiting for ever.
const searchTimeout = 30 * time.Second

// scanners is what the window knows of the scanners. It belongs to the
// UI goroutine and outlives the views, which are rebuilt when the
// language changes.
type scanners struct {
	devices []scan.Device
	// problems are the drivers whose search failed, with why.
	problems []string
	// searching is set while a device search runs; searches numbers
	// them, so that a late answer cannot replace a newer one.
	searching bool
	searches  int
	// caps of the devices asked, by device ID; asking says which are
	// being asked.
	caps   map[string]scan.Caps
	asking map[string]bool
	// device is the ID of the chosen device; opt the chosen settings.
	device string
	opt    scan.Options
	// typed are the network scanners added by their address, listed
	// with those found (a scanner on another subnet is not announced).
	typed []scan.Device
}

// prefScannerAddresses is the preference holding the addresses of the
// network scanners added by hand, so that they are listed again at the
// next start.
const prefScannerAddresses = "scan.addresses"

// scanBar is the row of the Pages screen that scans: device, source,
// resolution, colour, and the Scan button.
type scanBar struct {
	w       *Window
	content fyne.CanvasObject

	device *widget.Select
	find   *widget.Button
	// byAddress adds a network scanner by its address; nil when the
	// window cannot (no Services.DeviceAt).
	byAddress *widget.Button
	// The address dialog's parts, named for the tests.
	addrDialog dialog.Dialog
	addrEntry  *widget.Entry
	addrOK     *widget.Button
	addrError  *widget.Label
	input      *widget.Select
	resolution *widget.Select
	mode       *widget.Select
	scan       *widget.Button
	// filling is set while the selects are filled from the state, so
	// that their OnChanged do not write it back half done.
	filling bool
}

func newScanBar(w *Window) *scanBar {
	b := &scanBar{w: w}
	b.device = widget.NewSelect(nil, b.chooseDevice)
	b.device.PlaceHolder = lang.X("scan.no_device", "(no scanner)")
	b.find = widget.NewButtonWithIcon("", theme.SearchIcon(), w.FindDevices)
	var left fyne.CanvasObject = b.find
	if w.svc.DeviceAt != nil && w.driverFor("escl:") != nil {
		b.byAddress = widget.NewButtonWithIcon(lang.X("scan.by_address", "Address…"), theme.ContentAddIcon(), b.askAddress)
		left = container.NewHBox(b.find, b.byAddress)
		if RightToLeft() {
			left = container.NewHBox(b.byAddress, b.find)
		}
	}
	b.input = widget.NewSelect(nil, func(string) { b.chosen() })
	b.input.PlaceHolder = lang.X("scan.source", "Source")
	b.resolution = widget.NewSelect(nil, func(string) { b.chosen() })
	b.resolution.PlaceHolder = lang.X("scan.resolution", "Resolution")
	b.mode = widget.NewSelect(nil, func(string) { b.chosen() })
	b.mode.PlaceHolder = lang.X("scan.mode", "Colour")
	b.scan = widget.NewButtonWithIcon(lang.X("scan.scan", "Scan"), theme.MediaRecordIcon(), w.Scan)
	b.scan.Importance = widget.HighImportance
	// A select is as wide as its placeholder, which cuts the longer
	// choices ("Chargeur, recto verso"): each is made as wide as the
	// longest thing it can show in this language.
	input := fixedWidth(b.input, inputLabel(scan.Flatbed), inputLabel(scan.Feeder), inputLabel(scan.Duplex))
	resolution := fixedWidth(b.resolution, resolutionLabel(1200))
	mode := fixedWidth(b.mode, modeLabel(scan.Color), modeLabel(scan.Gray), modeLabel(scan.BW))
	settings := container.NewHBox(input, resolution, mode, b.scan)
	if RightToLeft() {
		// Read from the right: the scanner, then its settings, then
		// Scan at the left end of the row.
		settings = container.NewHBox(b.scan, mode, resolution, input)
		b.content = container.NewBorder(nil, nil, settings, left, b.device)
	} else {
		b.content = container.NewBorder(nil, nil, left, settings, b.device)
	}
	b.fill()
	return b
}

// fixedWidth gives a select the width that shows the longest of
// labels whole.
func fixedWidth(sel *widget.Select, labels ...string) fyne.CanvasObject {
	w := float32(0)
	for _, l := range append(labels, sel.PlaceHolder) {
		w = max(w, fyne.MeasureText(l, theme.TextSize(), fyne.TextStyle{}).Width)
	}
	// The text's own padding on both sides, the drop-down arrow, and the
	// select's inner padding.
	w += 4*theme.InnerPadding() + theme.IconInlineSize() + 2*theme.Padding()
	return container.New(layout.NewGridWrapLayout(fyne.NewSize(w, sel.MinSize().Height)), sel)
}

// inputLabel names an input in the window's language.
func inputLabel(in scan.Input) string {
	switch in {
	case scan.Flatbed:
		return lang.X("scan.flatbed", "Flatbed")
	case scan.Feeder:
		return lang.X("scan.feeder", "Feeder")
	case scan.Duplex:
		return lang.X("scan.duplex", "Feeder, both sides")
	}
	return string(in)
}

// modeLabel names a colour mode in the window's language.
func modeLabel(m scan.Mode) string {
	switch m {
	case scan.Color:
		return lang.X("scan.color", "Colour")
	case scan.Gray:
		return lang.X("scan.gray", "Grey")
	case scan.BW:
		return lang.X("scan.bw", "Black and white")
	}
	return string(m)
}

// resolutionLabel shows a resolution.
func resolutionLabel(dpi int) string {
	return lang.X("scan.dpi", "{{.DPI}} dpi", map[string]any{"DPI": dpi})
}

// deviceLabel names a device so that two of one model stay apart.
func deviceLabel(d scan.Device) string {
	return fmt.Sprintf("%s (%s)", d.Name, d.ID)
}

// fill shows the state of w.scanners in the selects; it is called on the
// UI goroutine whenever that state changes.
func (b *scanBar) fill() {
	s := &b.w.scanners
	b.filling = true
	defer func() { b.filling = false }()

	var names []string
	sel := ""
	for _, d := range s.devices {
		names = append(names, deviceLabel(d))
		if d.ID == s.device {
			sel = deviceLabel(d)
		}
	}
	b.device.Options = names
	switch {
	case s.searching:
		b.device.PlaceHolder = lang.X("scan.searching", "Looking for scanners…")
	case len(names) == 0:
		b.device.PlaceHolder = lang.X("scan.no_device", "(no scanner)")
	}
	b.device.Selected = sel
	b.device.Refresh()

	caps, ok := s.caps[s.device]
	in, _ := caps.Input(s.opt.Input)
	b.input.Options, b.resolution.Options, b.mode.Options = nil, nil, nil
	b.input.Selected, b.resolution.Selected, b.mode.Selected = "", "", ""
	if ok && in != nil {
		for _, i := range caps.Inputs {
			b.input.Options = append(b.input.Options, inputLabel(i.Input))
		}
		b.input.Selected = inputLabel(in.Input)
		for _, r := range in.Resolutions {
			if r >= 50 { // below, no page is readable: not worth a line
				b.resolution.Options = append(b.resolution.Options, resolutionLabel(r))
			}
		}
		b.resolution.Selected = resolutionLabel(s.opt.Resolution)
		for _, m := range in.Modes {
			b.mode.Options = append(b.mode.Options, modeLabel(m))
		}
		b.mode.Selected = modeLabel(s.opt.Mode)
	}
	b.input.Refresh()
	b.resolution.Refresh()
	b.mode.Refresh()
	b.refresh()
}

// refresh shows what can be done now.
func (b *scanBar) refresh() {
	s := &b.w.scanners
	busy := b.w.busy()
	_, known := s.caps[s.device]
	for _, sel := range []*widget.Select{b.device, b.input, b.resolution, b.mode} {
		if busy || len(sel.Options) == 0 {
			sel.Disable()
		} else {
			sel.Enable()
		}
	}
	setEnabled(b.find, !busy && !s.searching)
	if b.byAddress != nil {
		setEnabled(b.byAddress, !busy)
	}
	setEnabled(b.scan, !busy && known)
}

// chooseDevice is the device select's OnChanged.
func (b *scanBar) chooseDevice(label string) {
	if b.filling {
		return
	}
	for _, d := range b.w.scanners.devices {
		if deviceLabel(d) == label {
			b.w.ChooseDevice(d.ID)
		}
	}
}

// chosen reads the settings back from the selects.
func (b *scanBar) chosen() {
	if b.filling {
		return
	}
	s := &b.w.scanners
	caps := s.caps[s.device]
	for _, i := range caps.Inputs {
		if inputLabel(i.Input) == b.input.Selected && i.Input != s.opt.Input {
			// Another input may offer other resolutions and modes:
			// keep what it can do, nearest to what was chosen.
			s.opt.Input = i.Input
			s.opt = settle(caps, s.opt)
		}
	}
	if in, ok := caps.Input(s.opt.Input); ok {
		for _, r := range in.Resolutions {
			if resolutionLabel(r) == b.resolution.Selected {
				s.opt.Resolution = r
			}
		}
		for _, m := range in.Modes {
			if modeLabel(m) == b.mode.Selected {
				s.opt.Mode = m
			}
		}
	}
	b.fill()
}

// settle makes opt something the device can do: its input if it has
// it, else its first, and the nearest resolution and a mode it offers.
func settle(caps scan.Caps, opt scan.Options) scan.Options {
	if _, ok := caps.Input(opt.Input); !ok {
		opt.Input = ""
	}
	want := opt
	opt = scan.Options{Input: opt.Input}.WithDefaults(caps)
	in, ok := caps.Input(opt.Input)
	if !ok {
		return opt
	}
	if want.Resolution > 0 {
		opt.Resolution = in.Nearest(want.Resolution)
	}
	if want.Mode != "" && in.HasMode(want.Mode) {
		opt.Mode = want.Mode
	}
	return opt
}

// driverFor is the driver of a device.
func (w *Window) driverFor(id string) scan.Source {
	for _, d := range w.svc.Scanners {
		if d.Name == scan.Driver(id) {
			return d.Source
		}
	}
	return nil
}

// FindDevices looks for scanners with every driver in the background;
// the device list shows them when all have answered. One driver failing
// does not hide the others' devices.
func (w *Window) FindDevices() {
	s := &w.scanners
	if len(w.svc.Scanners) == 0 || s.searching {
		return
	}
	s.searching = true
	s.searches++
	n := s.searches
	w.pages.scanBar.fill()
	drivers := w.svc.Scanners
	go func() {
		var devs []scan.Device
		var problems []string
		for _, d := range drivers {
			ctx, cancel := context.WithTimeout(context.Background(), searchTimeout)
			found, err := d.Source.Devices(ctx)
			cancel()
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", d.Name, err))
				continue
			}
			devs = append(devs, found...)
		}
		fyne.Do(func() {
			if n != s.searches {
				return
			}
			for _, d := range s.typed {
				if !containsDevice(devs, d.ID) {
					devs = append(devs, d)
				}
			}
			s.searching = false
			s.devices, s.problems = devs, problems
			for _, p := range problems {
				w.svc.Logger.Warn("devices", "err", p)
			}
			id := s.device
			if !containsDevice(devs, id) {
				id = ""
				if len(devs) > 0 {
					id = devs[0].ID
				}
			}
			w.ChooseDevice(id)
			if len(devs) == 0 {
				w.pages.status.SetText(lang.X("scan.none_found", "No scanner found. Check that it is switched on and connected, then look again with the magnifier; files can be added meanwhile."))
			}
		})
	}()
}

// loadTypedScanners reads the addresses of the network scanners added
// by hand in an earlier session.
func (w *Window) loadTypedScanners() {
	if w.svc.DeviceAt == nil {
		return
	}
	for _, a := range w.app.Preferences().StringList(prefScannerAddresses) {
		if d, err := w.svc.DeviceAt(a); err == nil && !containsDevice(w.scanners.typed, d.ID) {
			w.scanners.typed = append(w.scanners.typed, d)
		}
	}
}

// askAddress asks for a network scanner's address, checks that an eSCL
// scanner answers there, and adds it to the list, for this session and
// the next ones.
func (b *scanBar) askAddress() {
	w := b.w
	b.addrEntry = widget.NewEntry()
	b.addrEntry.SetPlaceHolder("192.168.1.20")
	b.addrError = widget.NewLabel("")
	b.addrError.Wrapping = fyne.TextWrapWord
	b.addrError.Importance = widget.DangerImportance
	b.addrError.Hide()
	help := widget.NewLabel(lang.X("scan.address_help", "The scanner's network address, as its panel or its web page shows it: 192.168.1.20, or a whole address such as https://scanner.example/eSCL. It must understand eSCL (AirScan, Mopria)."))
	help.Wrapping = fyne.TextWrapWord
	b.addrOK = widget.NewButtonWithIcon(lang.X("scan.address_add", "Add"), theme.ConfirmIcon(), nil)
	b.addrOK.Importance = widget.HighImportance
	cancel := widget.NewButtonWithIcon(lang.X("common.cancel", "Cancel"), theme.CancelIcon(), func() { b.addrDialog.Hide() })
	ok, entry, problem := b.addrOK, b.addrEntry, b.addrError
	b.addrOK.OnTapped = func() {
		address := strings.TrimSpace(entry.Text)
		dev, err := w.svc.DeviceAt(address)
		if err != nil {
			problem.SetText(lang.X("scan.address_bad", "That is not an address: {{.Error}}", map[string]any{"Error": err.Error()}))
			problem.Show()
			return
		}
		src := w.driverFor(dev.ID)
		if src == nil {
			problem.SetText(lang.X("scan.address_bad", "That is not an address: {{.Error}}", map[string]any{"Error": dev.ID}))
			problem.Show()
			return
		}
		ok.Disable()
		problem.SetText(lang.X("scan.address_trying", "Asking {{.Address}}…", map[string]any{"Address": dev.Name}))
		problem.Show()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), searchTimeout)
			defer cancel()
			caps, err := src.Caps(ctx, dev)
			fyne.Do(func() {
				ok.Enable()
				if err != nil {
					problem.SetText(lang.X("scan.address_failed", "No scanner answers at {{.Address}}: {{.Error}}. Check the address, and that the scanner is on and on this network.",
						map[string]any{"Address": dev.Name, "Error": deviceError(err)}))
					return
				}
				s := &w.scanners
				s.caps[dev.ID] = caps
				if !containsDevice(s.typed, dev.ID) {
					s.typed = append(s.typed, dev)
					prefs := w.app.Preferences()
					prefs.SetStringList(prefScannerAddresses, append(prefs.StringList(prefScannerAddresses), address))
				}
				if !containsDevice(s.devices, dev.ID) {
					s.devices = append(s.devices, dev)
				}
				b.addrDialog.Hide()
				w.ChooseDevice(dev.ID)
			})
		}()
	}
	entry.OnSubmitted = func(string) { ok.OnTapped() }
	content := container.NewVBox(help, entry, problem, container.NewHBox(layout.NewSpacer(), cancel, ok))
	b.addrDialog = dialog.NewCustomWithoutButtons(lang.X("scan.address_title", "A network scanner by its address"), content, w.win)
	b.addrDialog.Resize(fyne.NewSize(min(560, w.win.Canvas().Size().Width*0.9), 0))
	b.addrDialog.Show()
	w.win.Canvas().Focus(entry)
}

func containsDevice(devs []scan.Device, id string) bool {
	for _, d := range devs {
		if d.ID == id {
			return true
		}
	}
	return false
}

// ChooseDevice makes id the device to scan with, asking what it can do
// in the background the first time.
func (w *Window) ChooseDevice(id string) {
	s := &w.scanners
	if w.pages.scanBar == nil {
		return
	}
	s.device = id
	if id == "" {
		w.pages.scanBar.fill()
		return
	}
	if caps, ok := s.caps[id]; ok {
		s.opt = settle(caps, s.opt)
		w.pages.scanBar.fill()
		return
	}
	w.pages.scanBar.fill()
	src := w.driverFor(id)
	if src == nil || s.asking[id] {
		return
	}
	dev := w.deviceByID(id)
	s.asking[id] = true
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), searchTimeout)
		defer cancel()
		caps, err := src.Caps(ctx, dev)
		fyne.Do(func() {
			delete(s.asking, id)
			if err != nil {
				w.svc.Logger.Warn("caps", "device", id, "err", err)
				if s.device == id {
					w.pages.status.SetText(lang.X("scan.caps_failed", "This scanner did not say what it can do: {{.Error}}", map[string]any{"Error": deviceError(err)}))
				}
				return
			}
			s.caps[id] = caps
			if s.device == id {
				s.opt = settle(caps, s.opt)
				w.pages.scanBar.fill()
			}
		})
	}()
}

func (w *Window) deviceByID(id string) scan.Device {
	for _, d := range w.scanners.devices {
		if d.ID == id {
			return d
		}
	}
	return scan.Device{ID: id, Name: id, Driver: scan.Driver(id)}
}

// Scan scans with the chosen device and settings; pages appear as the
// scanner delivers them, and Cancel stops the scanner keeping the pages
// already delivered.
func (w *Window) Scan() { w.scanInto(placement{}) }

// Rescan scans one sheet to replace page i, keeping its place.
func (w *Window) Rescan(i int) {
	if i >= 0 && i < len(w.doc.pages) {
		w.scanInto(placement{at: i, replace: true})
	}
}

// ScanAfter scans pages to insert after page i.
func (w *Window) ScanAfter(i int) {
	if i >= 0 && i < len(w.doc.pages) {
		w.scanInto(placement{at: i + 1, insert: true})
	}
}

// canScan says whether a scan can start now: a device whose abilities
// are known, and no job running.
func (w *Window) canScan() bool {
	s := &w.scanners
	_, ok := s.caps[s.device]
	return ok && !w.busy() && w.driverFor(s.device) != nil
}

func (w *Window) scanInto(place placement) {
	s := &w.scanners
	caps, ok := s.caps[s.device]
	src := w.driverFor(s.device)
	if w.busy() || !ok || src == nil {
		return
	}
	dev, opt := w.deviceByID(s.device), settle(caps, s.opt)
	w.pages.capture(lang.X("scan.scanning", "Scanning…"), true, place, func(ctx context.Context, emit func(scan.Page) error) error {
		return src.Scan(ctx, dev, opt, emit)
	})
}

// deviceError says what went wrong with a scanner, and what to do, in
// the window's language when it is one of the shared device errors.
func deviceError(err error) string {
	de := scan.AsDeviceError(err)
	if de == nil {
		return err.Error()
	}
	switch de {
	case scan.ErrFeederEmpty:
		return lang.X("device.feeder_empty", "The document feeder is empty: put the pages in the feeder, face as the scanner shows, and scan again.")
	case scan.ErrPaperJam:
		return lang.X("device.paper_jam", "Paper jam: open the feeder cover, gently remove the stuck sheet, put the pages not yet scanned back in the feeder and scan again.")
	case scan.ErrCoverOpen:
		return lang.X("device.cover_open", "The scanner cover is open: close the cover (and the feeder's lid) and scan again.")
	case scan.ErrBusy:
		return lang.X("device.busy", "The scanner is busy with another job: wait until it is free (or cancel the job on its panel) and scan again.")
	case scan.ErrWarmingUp:
		return lang.X("device.warming_up", "The scanner is warming up: wait a minute and scan again.")
	case scan.ErrOffline:
		return lang.X("device.offline", "The scanner does not answer: check that it is switched on, awake and connected (cable or network), then scan again.")
	case scan.ErrNotFound:
		return lang.X("device.not_found", "Scanner not found: check that it is switched on and connected, then look for scanners again.")
	case scan.ErrCommunication:
		return lang.X("device.communication", "The connection to the scanner broke: check the cable or the network, switch the scanner off and on if it persists, and scan the remaining pages again.")
	case scan.ErrDevice:
		return lang.X("device.device_error", "The scanner reported an error: look at its panel for a message, switch it off and on if it persists, and scan the remaining pages again.")
	case scan.ErrInvalidOption:
		return lang.X("device.invalid_option", "The scanner refused the settings: choose another source, resolution or colour.")
	case scan.ErrDenied:
		return lang.X("device.access_denied", "The scanner refused access: check its password or permissions (on Linux, membership of the scanner group).")
	}
	return de.Error()
}

// captureError is the status line of a capture that ended with err after
// read pages.
func captureError(err error, read int, scanning bool) string {
	if scanning {
		return lang.X("scan.failed", "The scan stopped after {{.N}} page(s): {{.Error}}", map[string]any{"N": read, "Error": deviceError(err)})
	}
	return lang.X("pages.import_failed", "Some files could not be read: {{.Error}}", map[string]any{"Error": err.Error()})
}
