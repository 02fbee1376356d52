//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

// The platforms where go-keyring talks to the Secret Service over D-Bus
// (its keyring_unix.go).

package credentials

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

// secretsName is the bus name of whatever provides the Secret Service:
// gnome-keyring, KWallet, KeePassXC.
const secretsName = "org.freedesktop.secrets"

// checkTimeout bounds the check that a Secret Service is there: a bus
// answers in milliseconds, so this only matters when the bus is stuck,
// which must not look like a hang.
const checkTimeout = 5 * time.Second

const (
	// fixNoKeyring says how to get a Secret Service.
	fixNoKeyring = "log in to a desktop session (GNOME, KDE), or start one: " +
		"dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; demat …'"
	// fixLocked says how to unlock it.
	fixLocked = "unlock it (log in to the desktop session, or unlock the \"Login\" keyring in Passwords and Keys), " +
		"or start a session with an unlocked one: " +
		"dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon --unlock --components=secrets; demat …'"
	// fixUnanswered covers an unlock prompt nobody answered and a stuck
	// daemon alike.
	fixUnanswered = "answer the keyring's unlock prompt, or restart the keyring (log out and in again)"
)

// runtimeDir is where godbus looks for the session bus when
// DBUS_SESSION_BUS_ADDRESS is unset; a variable so tests can point it at an
// empty folder on machines that have a bus there.
var runtimeDir = func() string { return "/run/user/" + strconv.Itoa(os.Getuid()) }

// check makes sure a Secret Service can answer before go-keyring is called:
// when godbus finds no session bus address it runs dbus-launch, which
// starts a stray bus (or waits on X11) instead of failing, and a bus with
// nothing behind org.freedesktop.secrets is better told in a sentence than
// in a D-Bus error name.
func check() error {
	addr, err := sessionBusAddress()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), checkTimeout)
	defer cancel() // closes the connection
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return &unavailableError{reason: "no Secret Service in this session: cannot reach the D-Bus session bus", cause: err, fix: fixNoKeyring}
	}
	defer conn.Close()
	var owned bool
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil {
		return &unavailableError{reason: "no Secret Service in this session: the D-Bus session bus does not answer", cause: err, fix: fixNoKeyring}
	}
	if owned {
		return nil
	}
	// Not running yet, but the bus starts it on the first call.
	var activatable []string
	if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return &unavailableError{reason: "no Secret Service in this session: the D-Bus session bus does not answer", cause: err, fix: fixNoKeyring}
	}
	if slices.Contains(activatable, secretsName) {
		return nil
	}
	return &unavailableError{reason: "no Secret Service in this session: nothing provides " + secretsName + " on the D-Bus session bus", fix: fixNoKeyring}
}

// sessionBusAddress finds the session bus the way godbus does, minus
// dbus-launch.
func sessionBusAddress() (string, error) {
	if addr := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); addr != "" && addr != "autolaunch:" {
		return addr, nil
	}
	dir := runtimeDir()
	if p := filepath.Join(dir, "bus"); exists(p) {
		return "unix:path=" + dbus.EscapeBusAddressValue(p), nil
	}
	if b, err := os.ReadFile(filepath.Join(dir, "dbus-session")); err == nil {
		if addr, ok := strings.CutPrefix(string(b), "DBUS_SESSION_BUS_ADDRESS="); ok {
			return strings.TrimRight(addr, "\r\n"), nil
		}
	}
	return "", &unavailableError{reason: "no Secret Service in this session: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is unset)", fix: fixNoKeyring}
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// classify recognises go-keyring's errors that mean the Secret Service
// cannot be used, and says why; nil for the others.
func classify(err error) *unavailableError {
	if dbusErr, ok := errors.AsType[dbus.Error](err); ok {
		switch name := dbusErr.Name; {
		case name == "org.freedesktop.Secret.Error.IsLocked":
			return &unavailableError{reason: "the keyring is locked", cause: err, fix: fixLocked}
		case name == "org.freedesktop.Secret.Error.NoSuchObject",
			name == "org.freedesktop.DBus.Error.UnknownObject":
			return &unavailableError{reason: "the keyring has no default collection", cause: err, fix: fixLocked}
		case strings.HasPrefix(name, "org.freedesktop.DBus.Error."):
			// ServiceUnknown, NameHasNoOwner, NoReply, Spawn.*…: the
			// service left, or could not be started.
			return &unavailableError{reason: "no Secret Service in this session: " + secretsName + " does not answer", cause: err, fix: fixNoKeyring}
		}
	}
	// go-keyring's own text when the collection stayed locked: the unlock
	// prompt was dismissed or could not be shown (no display), or there
	// is no collection to unlock.
	if strings.HasPrefix(err.Error(), "failed to unlock correct collection") {
		return &unavailableError{reason: "the keyring is locked, or has no default collection, and was not unlocked", cause: err, fix: fixLocked}
	}
	if errors.Is(err, dbus.ErrClosed) {
		return &unavailableError{reason: "no Secret Service in this session: the D-Bus session bus went away", cause: err, fix: fixNoKeyring}
	}
	if _, ok := errors.AsType[*net.OpError](err); ok {
		return &unavailableError{reason: "no Secret Service in this session: cannot reach the D-Bus session bus", cause: err, fix: fixNoKeyring}
	}
	if _, ok := errors.AsType[*exec.Error](err); ok { // dbus-launch, had check let it through
		return &unavailableError{reason: "no Secret Service in this session: no D-Bus session bus", cause: err, fix: fixNoKeyring}
	}
	return nil
}
