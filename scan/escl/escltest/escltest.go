// Package escltest is an eSCL scanner on loopback for tests: it speaks the
// protocol as devices do (ScannerCapabilities, ScannerStatus, POST
// ScanJobs answered 201 with a Location, NextDocument, DELETE of a job),
// renders real JPEG or PNG pages at the size and resolution a job asks
// for, and misbehaves on request the ways devices do (503 before a page,
// a jam, a connection dropped mid-image, a job that never ends, a device
// that never answers).
//
// It checks the ScanSettings it receives on its own terms, without the
// driver's code, so a test also checks what the driver sends. It must not
// import the driver it serves.
package escltest

import (
	"crypto/x509"
	"encoding/xml"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Config describes the scanner to serve. The zero Config is a flatbed and
// duplex feeder scanner holding five sheets, over http.
type Config struct {
	// Caps is the ScannerCapabilities document served; nil serves
	// DefaultCaps.
	Caps []byte
	// Status, when set, is served as ScannerStatus as it is (a capture
	// from a real device); nil serves the state the server keeps.
	Status []byte
	// Pages are the files a feeder job delivers, in order; a flatbed job
	// delivers the first. Nil renders Sheets pages in the format, size
	// and resolution each job asks for.
	Pages [][]byte
	// Sheets is how many pages a feeder job renders when Pages is nil;
	// 0 means 5. A negative value means an empty feeder.
	Sheets int
	// TLS serves https with httptest's self-signed certificate.
	TLS bool
	// Location is how job locations are written.
	Location Location
	// Server is the Server header of every response.
	Server string
	// RequireLocalhost refuses POST ScanJobs with 403 unless its Host
	// header is "localhost", as HP devices whose Server is
	// HP_Compact_Server do.
	RequireLocalhost bool
	// Faults make the scanner misbehave.
	Faults Faults
}

// Location is how the server writes a new job's Location header.
type Location int

// Location forms devices use.
const (
	// Absolute is the full URL: "http://127.0.0.1:PORT/eSCL/ScanJobs/ID".
	Absolute Location = iota
	// AbsolutePath is the path alone: "/eSCL/ScanJobs/ID".
	AbsolutePath
	// Relative is relative to the request: "ScanJobs/ID".
	Relative
	// OtherHost names another address and ends with a slash:
	// "http://localhost:1/eSCL/ScanJobs/ID/", as HP devices reached
	// with Host: localhost do; a client must keep the device's address.
	OtherHost
)

// Faults are the ways the scanner misbehaves. Pages are numbered from 1.
type Faults struct {
	// Busy is how many times NextDocument answers 503 before each page.
	Busy int
	// RetryAfter, in seconds, goes with each 503 when set.
	RetryAfter int
	// BusyForever answers every NextDocument with 503: a job that never
	// ends.
	BusyForever bool
	// HangPages holds every NextDocument open without answering until the
	// client gives up.
	HangPages bool
	// Hang holds every request open: a device that accepts connections
	// and never answers.
	Hang bool
	// JamAfter jams the feeder after this many pages: the next
	// NextDocument answers 409 Conflict, and the status says
	// ScannerAdfJam until the job is deleted.
	JamAfter int
	// DropPage breaks the connection halfway through this page.
	DropPage int
	// TruncatePage sends the first half of this page as a complete HTTP
	// response: firmware that loses the end of the image.
	TruncatePage int
	// ScanDPI renders pages at this resolution whatever the job asks, and
	// says so in the file, as devices that ignore the resolution do.
	ScanDPI int
	// StatedDPI writes this resolution in the file, though the page is
	// rendered at the one asked: firmware writing a constant 72.
	StatedDPI int
	// CreateStatus answers POST ScanJobs with this HTTP status.
	CreateStatus int
	// Create503 answers POST ScanJobs with 503 this many times before
	// creating the job.
	Create503 int
}

// Settings is what a job asked for, as the server read it.
type Settings struct {
	Version, Intent                   string
	InputSource                       string // Platen or Feeder
	Duplex                            *bool  // nil when not sent
	ColorMode                         string
	XResolution, YResolution          int
	Units                             string
	Width, Height, XOffset, YOffset   int
	DocumentFormat, DocumentFormatExt string
	Host                              string // Host header of the POST
	XML                               []byte // the document as sent
	format                            string // what the server renders
}

// Server is a running test scanner. Its methods are safe for concurrent
// use; its state is guarded by mu.
type Server struct {
	// URL is the base URL of the eSCL resource: "http://127.0.0.1:PORT/eSCL".
	URL string
	// ID is the device ID a driver gives it: "escl:http://127.0.0.1:PORT/eSCL".
	ID string
	// Certificate is the server's certificate when it serves https.
	Certificate *x509.Certificate

	cfg     Config
	srv     *httptest.Server
	closing chan struct{}

	mu       sync.Mutex
	jobs     map[string]*job
	order    []string
	next     int
	deletes  int
	creates  int
	nextDocs int
	settings []Settings
}

type job struct {
	id       string
	set      Settings
	pages    int // pages the job delivers
	served   int
	busyLeft int
	done     bool // ended on its own
	deleted  bool
	jammed   bool
}

// Resource is the path of the eSCL resource on the server.
const Resource = "/eSCL"

// New starts a scanner for the test; it stops when the test ends.
func New(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Caps == nil {
		cfg.Caps = DefaultCaps()
	}
	if cfg.Sheets == 0 {
		cfg.Sheets = 5
	}
	s := &Server{cfg: cfg, closing: make(chan struct{}), jobs: map[string]*job{}}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	// Refused certificates and dropped connections are what the tests
	// provoke: the server's own complaints about them are noise.
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	if cfg.TLS {
		s.srv.StartTLS()
		s.Certificate = s.srv.Certificate()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL + Resource
	s.ID = "escl:" + s.URL
	t.Cleanup(func() {
		close(s.closing)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
	return s
}

// Deletes counts the DELETE requests for jobs.
func (s *Server) Deletes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deletes
}

// Jobs counts the jobs created.
func (s *Server) Jobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.creates
}

// NextDocuments counts the NextDocument requests.
func (s *Server) NextDocuments() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextDocs
}

// ActiveJobs counts the jobs neither ended nor deleted: what keeps a real
// device busy.
func (s *Server) ActiveJobs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.activeLocked()
}

func (s *Server) activeLocked() int {
	n := 0
	for _, j := range s.jobs {
		if !j.done && !j.deleted {
			n++
		}
	}
	return n
}

// Settings returns what each job asked for, in order.
func (s *Server) Settings() []Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Settings(nil), s.settings...)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if s.cfg.Server != "" {
		w.Header().Set("Server", s.cfg.Server)
	}
	if s.cfg.Faults.Hang {
		s.hang(r)
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, Resource+"/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch {
	case rest == "ScannerCapabilities" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/xml")
		w.Write(s.cfg.Caps)
	case rest == "ScannerStatus" && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/xml")
		w.Write(s.status())
	case rest == "ScanJobs" && r.Method == http.MethodPost:
		s.create(w, r)
	case strings.HasPrefix(rest, "ScanJobs/"):
		id, tail, _ := strings.Cut(strings.TrimPrefix(rest, "ScanJobs/"), "/")
		switch {
		case tail == "NextDocument" && r.Method == http.MethodGet:
			s.nextDocument(w, r, id)
		case tail == "" && r.Method == http.MethodDelete:
			s.delete(w, id)
		default:
			http.Error(w, "unknown request", http.StatusNotFound)
		}
	default:
		http.Error(w, "unknown request", http.StatusNotFound)
	}
}

// hang holds a request until the client gives up or the test ends.
func (s *Server) hang(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-s.closing:
	}
}

func (s *Server) create(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return
	}
	set, err := parseSettings(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	set.Host = r.Host
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settings = append(s.settings, set)
	f := s.cfg.Faults
	switch {
	case s.cfg.RequireLocalhost && set.Host != "localhost":
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	case f.Create503 > 0:
		s.cfg.Faults.Create503--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	case f.CreateStatus != 0:
		w.WriteHeader(f.CreateStatus)
		return
	case s.activeLocked() > 0:
		http.Error(w, "busy with another job", http.StatusServiceUnavailable)
		return
	}
	if err := s.check(&set); err != nil {
		http.Error(w, err.Error(), http.StatusConflict)
		return
	}
	s.next++
	s.creates++
	j := &job{id: strconv.Itoa(1000 + s.next), set: set, busyLeft: f.Busy}
	switch {
	case set.InputSource == "Platen":
		j.pages = 1
	case s.cfg.Pages != nil:
		j.pages = len(s.cfg.Pages)
	default:
		j.pages = max(s.cfg.Sheets, 0)
	}
	s.jobs[j.id] = j
	s.order = append(s.order, j.id)
	w.Header().Set("Location", s.location(j.id))
	w.WriteHeader(http.StatusCreated)
}

func (s *Server) location(id string) string {
	path := Resource + "/ScanJobs/" + id
	switch s.cfg.Location {
	case AbsolutePath:
		return path
	case Relative:
		return "ScanJobs/" + id
	case OtherHost:
		scheme := "http"
		if s.cfg.TLS {
			scheme = "https"
		}
		return scheme + "://localhost:1" + path + "/"
	}
	return s.srv.URL + path
}

// check compares settings with what the scanner can do, as strict
// devices do (409 Conflict).
func (s *Server) check(set *Settings) error {
	caps := string(s.cfg.Caps)
	switch set.InputSource {
	case "Platen":
		if !strings.Contains(caps, "PlatenInputCaps") {
			return fmt.Errorf("no platen")
		}
		if set.Duplex != nil {
			return fmt.Errorf("duplex sent for the platen")
		}
	case "Feeder":
		if !strings.Contains(caps, "AdfSimplexInputCaps") {
			return fmt.Errorf("no feeder")
		}
		if set.Duplex != nil && *set.Duplex && !strings.Contains(caps, "AdfDuplexInputCaps") && !strings.Contains(caps, ">Duplex</") {
			return fmt.Errorf("no duplex")
		}
	default:
		return fmt.Errorf("input source %q", set.InputSource)
	}
	switch set.ColorMode {
	case "RGB24", "Grayscale8", "BlackAndWhite1":
	default:
		return fmt.Errorf("colour mode %q", set.ColorMode)
	}
	if !strings.Contains(caps, ">"+set.ColorMode+"<") {
		return fmt.Errorf("colour mode %q not offered", set.ColorMode)
	}
	if set.XResolution <= 0 || set.XResolution != set.YResolution {
		return fmt.Errorf("resolution %d×%d", set.XResolution, set.YResolution)
	}
	if set.Units != "escl:ThreeHundredthsOfInches" {
		return fmt.Errorf("region units %q", set.Units)
	}
	if set.Width <= 0 || set.Height <= 0 || set.XOffset < 0 || set.YOffset < 0 {
		return fmt.Errorf("region %d×%d+%d+%d", set.Width, set.Height, set.XOffset, set.YOffset)
	}
	if set.Version == "" {
		return fmt.Errorf("no version")
	}
	set.format = set.DocumentFormat
	if set.DocumentFormatExt != "" {
		set.format = set.DocumentFormatExt
	}
	switch set.format {
	case "image/jpeg", "image/png":
	default:
		return fmt.Errorf("document format %q", set.format)
	}
	if !strings.Contains(caps, ">"+set.format+"<") {
		return fmt.Errorf("document format %q not offered", set.format)
	}
	return nil
}

func (s *Server) delete(w http.ResponseWriter, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deletes++
	j, ok := s.jobs[id]
	if !ok || j.deleted {
		http.NotFound(w, nil)
		return
	}
	j.deleted = true
	w.WriteHeader(http.StatusOK)
}

func (s *Server) nextDocument(w http.ResponseWriter, r *http.Request, id string) {
	f := s.cfg.Faults
	s.mu.Lock()
	s.nextDocs++
	j, ok := s.jobs[id]
	if !ok || j.deleted || j.done {
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	if f.HangPages {
		s.mu.Unlock()
		s.hang(r)
		return
	}
	if f.BusyForever {
		s.mu.Unlock()
		s.busy(w)
		return
	}
	if j.jammed || (f.JamAfter > 0 && j.set.InputSource == "Feeder" && j.served == f.JamAfter) {
		j.jammed = true
		s.mu.Unlock()
		http.Error(w, "paper jam", http.StatusConflict)
		return
	}
	if j.served >= j.pages {
		j.done = true
		s.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	if j.busyLeft > 0 {
		j.busyLeft--
		s.mu.Unlock()
		s.busy(w)
		return
	}
	j.busyLeft = f.Busy
	j.served++
	n := j.served
	set := j.set
	if set.InputSource == "Platen" {
		// A flatbed job is complete once its page is sent.
		j.done = true
	}
	s.mu.Unlock()

	data, ctype := s.page(n, set)
	switch n {
	case f.DropPage:
		s.drop(w, data, ctype)
		return
	case f.TruncatePage:
		data = data[:len(data)/2]
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

func (s *Server) busy(w http.ResponseWriter) {
	if s.cfg.Faults.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(s.cfg.Faults.RetryAfter))
	}
	http.Error(w, "busy", http.StatusServiceUnavailable)
}

// drop sends the headers and half the page, then breaks the connection.
func (s *Server) drop(w http.ResponseWriter, data []byte, ctype string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("escltest: the connection cannot be taken over")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", ctype, len(data))
	buf.Write(data[:len(data)/2])
	buf.Flush()
	if tc, ok := conn.(*net.TCPConn); ok {
		// A reset, as a device that crashed or lost its link sends.
		tc.SetLinger(0)
	}
}

// page returns page n of a job and its content type.
func (s *Server) page(n int, set Settings) ([]byte, string) {
	if s.cfg.Pages != nil {
		data := s.cfg.Pages[n-1]
		return data, http.DetectContentType(data)
	}
	dpi := set.XResolution
	if s.cfg.Faults.ScanDPI > 0 {
		dpi = s.cfg.Faults.ScanDPI
	}
	stated := dpi
	if s.cfg.Faults.StatedDPI > 0 {
		stated = s.cfg.Faults.StatedDPI
	}
	w, h := set.Width*dpi/300, set.Height*dpi/300
	return RenderPage(set.format, w, h, stated, set.ColorMode, PageLabel(n)), set.format
}

// PageLabel is the text page n carries, in its pixels and in a comment of
// its file (bytes.Contains(page.File, PageLabel(n)) tells pages apart).
func PageLabel(n int) string { return fmt.Sprintf("escltest page %d", n) }

func (s *Server) status() []byte {
	if s.cfg.Status != nil {
		return s.cfg.Status
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	state := "Idle"
	if s.activeLocked() > 0 {
		state = "Processing"
	}
	adf := "ScannerAdfLoaded"
	if s.cfg.Sheets < 0 && s.cfg.Pages == nil || s.cfg.Pages != nil && len(s.cfg.Pages) == 0 {
		adf = "ScannerAdfEmpty"
	}
	var jobs strings.Builder
	for _, id := range s.order {
		j := s.jobs[id]
		js := "Processing"
		switch {
		case j.deleted:
			js = "Canceled"
		case j.jammed:
			adf = "ScannerAdfJam"
			js = "Aborted"
		case j.done:
			js = "Completed"
		}
		fmt.Fprintf(&jobs, "    <scan:JobInfo>\n      <pwg:JobUri>%s/ScanJobs/%s</pwg:JobUri>\n      <pwg:JobUuid>%s</pwg:JobUuid>\n"+
			"      <pwg:ImagesCompleted>%d</pwg:ImagesCompleted>\n      <pwg:JobState>%s</pwg:JobState>\n    </scan:JobInfo>\n",
			Resource, id, id, j.served, js)
	}
	return fmt.Appendf(nil, `<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerStatus xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
  <pwg:Version>2.63</pwg:Version>
  <pwg:State>%s</pwg:State>
  <scan:AdfState>%s</scan:AdfState>
  <scan:Jobs>
%s  </scan:Jobs>
</scan:ScannerStatus>
`, state, adf, jobs.String())
}

// parseSettings reads a ScanSettings document by local names, the way
// devices do.
func parseSettings(data []byte) (Settings, error) {
	set := Settings{XML: data}
	dec := xml.NewDecoder(strings.NewReader(string(data)))
	var path []string
	root := ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return set, fmt.Errorf("malformed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = t.Name.Local
			}
			path = append(path, t.Name.Local)
		case xml.EndElement:
			path = path[:len(path)-1]
		case xml.CharData:
			if len(path) == 0 {
				continue
			}
			v := strings.TrimSpace(string(t))
			n, _ := strconv.Atoi(v)
			switch path[len(path)-1] {
			case "Version":
				set.Version = v
			case "Intent":
				set.Intent = v
			case "InputSource":
				set.InputSource = v
			case "Duplex":
				b := v == "true" || v == "1"
				set.Duplex = &b
			case "ColorMode":
				set.ColorMode = v
			case "XResolution":
				set.XResolution = n
			case "YResolution":
				set.YResolution = n
			case "ContentRegionUnits":
				set.Units = v
			case "Width":
				set.Width = n
			case "Height":
				set.Height = n
			case "XOffset":
				set.XOffset = n
			case "YOffset":
				set.YOffset = n
			case "DocumentFormat":
				set.DocumentFormat = v
			case "DocumentFormatExt":
				set.DocumentFormatExt = v
			}
		}
	}
	if root != "ScanSettings" {
		return set, fmt.Errorf("root element %q, want ScanSettings", root)
	}
	return set, nil
}
