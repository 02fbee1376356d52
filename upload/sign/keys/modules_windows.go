package keys

import (
	"os"
	"path/filepath"
)

// moduleSuffix is the file suffix of a DLL.
const moduleSuffix = ".dll"

// moduleDirs are where OpenSC and card vendors install their modules.
func moduleDirs() []string {
	sys := filepath.Join(os.Getenv("SystemRoot"), "System32")
	pf := os.Getenv("ProgramFiles")
	return []string{sys, filepath.Join(pf, "OpenSC Project", "OpenSC", "pkcs11")}
}

// defaultModules are tried in order when a URI has no module: OpenSC, which
// drives most cards (p11-kit is not a Windows thing).
func defaultModules() []string {
	var mods []string
	for _, d := range moduleDirs() {
		mods = append(mods, filepath.Join(d, "opensc-pkcs11.dll"))
	}
	return mods
}
