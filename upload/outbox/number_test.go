package outbox

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/demat-app/demat/upload"
)

// numbering is a target whose server gives a registration number in the
// answer that completes a delivery, after which its first attempt fails
// (the check after the answer is cut).
type numbering struct {
	upload.Target
	mu      sync.Mutex
	resumed []upload.Resume
}

func (n *numbering) Put(ctx context.Context, doc upload.Doc, body upload.Body) (upload.Receipt, error) {
	n.mu.Lock()
	n.resumed = append(n.resumed, doc.Resume)
	first := len(n.resumed) == 1
	n.mu.Unlock()
	if first {
		if err := doc.Checkpoint(upload.Resume{Token: "u/1", Offset: doc.Size, Number: "BO-77"}); err != nil {
			return upload.Receipt{}, err
		}
		// A later checkpoint without a number keeps the one saved.
		if err := doc.Checkpoint(upload.Resume{Token: "u/1", Offset: doc.Size}); err != nil {
			return upload.Receipt{}, err
		}
		return upload.Receipt{}, upload.Temporary(errors.New("check: connection reset"))
	}
	return upload.Receipt{Location: "https://bo/u/1", Size: doc.Size, SHA256: doc.SHA256, Verified: "size",
		Already: true, Number: doc.Resume.Number}, nil
}

// The number a server gave reaches the receipt the outbox keeps, also
// when the attempt that was given it failed after.
func TestServerNumberKept(t *testing.T) {
	o := newOutbox(t, t.TempDir())
	src, _ := writeDoc(t, t.TempDir(), "courrier.pdf", 10_000, 1)
	d, err := o.Add(t.Context(), "depot", src, "courrier.pdf", nil)
	if err != nil {
		t.Fatal(err)
	}
	tg := &numbering{}
	if err := o.Run(t.Context(), RunOptions{Targets: targets(tg, Limits{}), Backoff: fast}); err != nil {
		t.Fatal(err)
	}
	got, _ := o.Get(t.Context(), d.ID)
	if got.State != Delivered || got.Receipt.Number != "BO-77" {
		t.Fatalf("%+v receipt %+v", got, got.Receipt)
	}
	if len(tg.resumed) != 2 || tg.resumed[1].Number != "BO-77" || tg.resumed[1].Token != "u/1" {
		t.Errorf("resume states given: %+v", tg.resumed)
	}
	// Read back from the database, as another process would.
	o2 := newOutbox(t, o.Dir())
	if again, _ := o2.Get(t.Context(), d.ID); again.Receipt == nil || again.Receipt.Number != "BO-77" {
		t.Errorf("stored receipt %+v", again.Receipt)
	}
}
