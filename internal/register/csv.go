package register

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader names the columns WriteCSV writes. number is the number of
// record; server_number the one a server gave, local_number the
// register's own (the gapless sequence, the same as number unless the
// server numbers the register).
var CSVHeader = []string{"number", "register", "state", "registered", "received", "sender", "recipient", "subject",
	"reference", "confidentiality", "document_type", "title", "pages", "sha256", "file", "operator", "workstation",
	"note", "delivered_to", "server_number", "local_number"}

// WriteCSV writes entries as CSV: UTF-8 with a byte-order mark, which is
// how Excel knows the file is UTF-8 (without it Arabic comes out as
// mojibake), RFC 4180 quoting and CRLF line ends. A value that a
// spreadsheet would run as a formula (=, @, or + and - not followed by a
// number) gets a leading apostrophe, so that a sender's name cannot be
// made into a formula on the clerk's machine.
func WriteCSV(w io.Writer, es []Entry) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range es {
		var to []string
		for _, d := range e.Deliveries {
			to = append(to, d.Target+": "+d.Location)
		}
		rec := []string{e.Number, string(e.Kind), string(e.State), e.Registered.Format(time.RFC3339), e.Received,
			e.Sender, e.Recipient, e.Subject, e.Reference, e.Confidentiality, e.DocumentType, e.Title,
			strconv.Itoa(e.Pages), e.SHA256, e.File, e.Operator, e.Workstation, e.Note, strings.Join(to, "; "),
			e.ServerNumber, e.Local()}
		for i := range rec {
			rec[i] = defuse(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// defuse keeps a spreadsheet from reading a text as a formula.
func defuse(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if _, err := strconv.ParseFloat(strings.ReplaceAll(s[1:], " ", ""), 64); err != nil {
			return "'" + s
		}
	}
	return s
}
