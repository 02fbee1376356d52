package credentials

import (
	"fmt"
	"os"
	"testing"

	"github.com/demat-app/demat/internal/testenv"
)

// TestMain runs the tests against a throwaway gnome-keyring on a private
// session bus, never the developer's own keyring.
func TestMain(m *testing.M) {
	stop, err := testenv.SecretService()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}
