package credentials

import (
	"testing"

	"github.com/demat-app/demat/internal/testenv"
)

// TestMain runs the tests against a throwaway gnome-keyring on a private
// session bus, never the developer's own keyring.
func TestMain(m *testing.M) { testenv.MainWithSecretService(m) }
