package natsort_test

import (
	"strings"
	"testing"

	"github.com/demat-app/demat/internal/natsort"
)

func TestSort(t *testing.T) {
	in := []string{"scan 10.png", "scan 9.png", "Scan 1.png", "scan 009b.png", "a", "scan 1.png"}
	natsort.Sort(in)
	if got := strings.Join(in, "|"); got != "a|Scan 1.png|scan 1.png|scan 9.png|scan 009b.png|scan 10.png" {
		t.Errorf("Sort = %s", got)
	}
}
