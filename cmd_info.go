package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/pdf"
)

func newInfoCmd(logger *slog.Logger) *cobra.Command {
	var asJSON, check bool
	cmd := &cobra.Command{
		Use:   "info [flags] FILE.pdf",
		Short: "Print a PDF's metadata, PDF/A level and attachments",
		Long: `Prints what a PDF says about itself: its pages, the PDF/A level it claims,
its metadata (the standard properties and the registry's, read from the XMP
packet, else from the Info dictionary) and the files attached to it.

With --check, also runs demat's structural PDF/A check (see the README: it is
not a full validator) and exits with status 1 when it finds a problem.`,
		Example: `  demat info letter.pdf
  demat info --json letter.pdf | jq .metadata.sender
  demat info --check archive.pdf`,
		Args: usageArgs(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			d, err := pdf.Describe(args[0])
			if err != nil {
				return err
			}
			var problems error
			if check {
				problems = pdf.CheckPDFA(args[0])
			}
			w := cmd.OutOrStdout()
			if asJSON {
				out := struct {
					*pdf.Description
					Check []string `json:"pdfa_problems,omitempty"`
				}{Description: d}
				if problems != nil {
					out.Check = strings.Split(problems.Error(), "\n")
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				if err := enc.Encode(out); err != nil {
					return err
				}
			} else {
				printInfo(w, args[0], d)
				if check {
					if problems == nil {
						fmt.Fprintln(w, "PDF/A check:    no problem found")
					} else {
						fmt.Fprintf(w, "PDF/A check:    problems found:\n  %s\n", strings.ReplaceAll(problems.Error(), "\n", "\n  "))
					}
				}
			}
			if problems != nil {
				return exitError{code: 1, err: fmt.Errorf("%s: the PDF/A check found problems (listed above)", args[0])}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.Flags().BoolVar(&check, "check", false, "also check the PDF/A structure; exit 1 on a problem")
	return cmd
}

// printInfo prints a description as aligned "Key: value" lines, leaving
// out what is empty.
func printInfo(w io.Writer, path string, d *pdf.Description) {
	line := func(k, v string) {
		if v != "" {
			fmt.Fprintf(w, "%-15s %s\n", k+":", v)
		}
	}
	line("File", path)
	line("Pages", fmt.Sprint(d.Pages))
	pdfa := "none claimed"
	if d.PDFA != "" {
		pdfa = "PDF/A-" + d.PDFA + " (claimed)"
	}
	line("PDF/A", pdfa)
	m := d.Meta
	for _, k := range []struct{ label, key string }{
		{"Title", "title"}, {"Author", "author"}, {"Subject", "subject"}, {"Keywords", "keywords"},
		{"Language", "language"}, {"Date", "date"}, {"Reference", "reference"}, {"Sender", "sender"},
		{"Recipient", "recipient"}, {"Direction", "direction"}, {"Document type", "document_type"},
		{"Confidential.", "confidentiality"}, {"Registration", "registration_number"}, {"Received", "received"},
		{"Box", "box"}, {"Folder", "folder"}, {"Dates", "dates"},
	} {
		line(k.label, m.Get(k.key))
	}
	line("Producer", d.Producer)
	if d.Creator != d.Producer {
		line("Creator", d.Creator)
	}
	line("Created", d.Created)
	if d.Modified != d.Created {
		line("Modified", d.Modified)
	}
	for i, a := range d.Attachments {
		k := ""
		if i == 0 {
			k = "Attachments"
		}
		desc := fmt.Sprintf("%s (%s, %d bytes", a.Name, a.MIME, a.Size)
		if a.Relationship != "" {
			desc += ", " + a.Relationship
		}
		desc += ")"
		if k == "" {
			fmt.Fprintf(w, "%-15s %s\n", "", desc)
		} else {
			line(k, desc)
		}
	}
}

// newMetadataHelp is the help topic on metadata keys.
func newMetadataHelp() *cobra.Command {
	return &cobra.Command{
		Use:   "metadata",
		Short: "The metadata keys of --meta and --meta-file",
		Long: `--meta key=value sets one property of the document (repeat it for more);
--meta-file reads a JSON object of the same keys ("keywords" may be a list).
Values are kept exactly, in any script. The standard properties go into the
PDF's Info dictionary and XMP Dublin Core; the registry's into demat's XMP
namespace (` + pdf.NSRegistry + `).
Any metadata given is also attached as a JSON record (` + pdf.RecordName + `),
which makes the file PDF/A-3b.

Keys:
  ` + strings.Join(pdf.MetadataKeys(), "\n  ") + `

Example:
  demat process --meta "sender=وزارة الداخلية" --meta direction=incoming \
      --meta received=2026-11-23 --meta reference=REF/2026/17 -o letter.pdf scan.jpg`,
	}
}
