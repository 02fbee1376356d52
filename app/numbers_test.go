package app

import (
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/upload"
	"github.com/demat-app/demat/upload/outbox"
)

// The number a server gave a document shows in the outbox's receipt
// and in the register's entry, with the provisional number it replaced,
// in each language.
func TestServerNumberShown(t *testing.T) {
	for _, l := range Languages {
		t.Run(l.Code, func(t *testing.T) {
			newFixture(t, l.Code, nil)
			d := outbox.Delivery{State: outbox.Delivered, Receipt: &upload.Receipt{Location: "https://bo.example/doc/1", Number: "BO-2026-0042"}}
			if got := receiptText(d); !strings.Contains(got, "BO-2026-0042") {
				t.Errorf("receipt %q", got)
			}
			d.Receipt = &upload.Receipt{Location: "https://bo.example/doc/1", NumberNote: "no X-Number header"}
			if got := receiptText(d); !strings.Contains(got, "no X-Number header") {
				t.Errorf("receipt %q", got)
			}
			e := register.Entry{Number: "BO-2026-0042", Provisional: "2026/A/000007", ServerNumber: "BO-2026-0042", State: register.Registered,
				Deliveries: []register.Delivery{{Target: "bo", Location: "https://bo.example/doc/1", Number: "BO-2026-0042"}}}
			got := entryText(e)
			if !strings.Contains(got, tr(l.Code, "register.provisional")) || !strings.Contains(got, "2026/A/000007") ||
				strings.Contains(got, tr(l.Code, "register.server_number")) || strings.Count(got, "BO-2026-0042") != 2 {
				t.Errorf("entry under server numbering:\n%s", got)
			}
			e = register.Entry{Number: "2026/A/000008", ServerNumber: "BO-2026-0043", State: register.Registered}
			if got := entryText(e); !strings.Contains(got, tr(l.Code, "register.server_number")) || !strings.Contains(got, "BO-2026-0043") {
				t.Errorf("entry numbered locally:\n%s", got)
			}
			e = register.Entry{Number: "2026/A/000009", State: register.AwaitingNumber}
			if got := entryStateText(e); got != tr(l.Code, "register.awaiting") {
				t.Errorf("state %q", got)
			}
		})
	}
}
