//go:build unix

package sane_test

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/sane"
)

// A child frozen (SIGSTOP) after page 2, as a backend stuck in a USB call
// would be: the two pages are delivered, then ErrOffline after Timeout,
// and the child is killed.
func TestChildStopsAnswering(t *testing.T) {
	const timeout = time.Second
	d, kids := newDriver(t, func(o *sane.Options) { o.Timeout = timeout })
	var pages []scan.Page
	var stopped time.Time
	err := d.Scan(context.Background(), testDev, scan.Options{Input: scan.Feeder, Mode: scan.Gray, Resolution: 50}, func(p scan.Page) error {
		pages = append(pages, p)
		if len(pages) == 2 {
			if err := kids.last().Process.Signal(syscall.SIGSTOP); err != nil {
				t.Errorf("stop the child: %v", err)
			}
			stopped = time.Now()
		}
		return nil
	})
	if !errors.Is(err, scan.ErrOffline) || !strings.Contains(err.Error(), "after page 2") {
		t.Fatalf("error %v, want ErrOffline after page 2", err)
	}
	if len(pages) != 2 {
		t.Fatalf("%d pages, want 2", len(pages))
	}
	if el := time.Since(stopped); el < timeout {
		t.Errorf("gave up %v after the child froze, before the %v timeout", el, timeout)
	}
	if st := kids.last().ProcessState; st == nil {
		t.Error("the frozen child was left behind")
	}
}
