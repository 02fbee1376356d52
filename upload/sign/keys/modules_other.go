//go:build !linux && !darwin && !windows

package keys

// moduleSuffix is the file suffix of a shared library here.
const moduleSuffix = ".so"

// moduleDirs are the BSDs' library directories (ports install under
// /usr/local).
func moduleDirs() []string {
	return []string{"/usr/local/lib", "/usr/local/lib/pkcs11", "/usr/lib", "/usr/pkg/lib"}
}

// defaultModules are tried in order when a URI has no module: the p11-kit
// proxy (every registered module), then OpenSC, which drives most cards.
func defaultModules() []string {
	var mods []string
	for _, name := range []string{"p11-kit-proxy.so", "opensc-pkcs11.so"} {
		for _, d := range moduleDirs() {
			mods = append(mods, d+"/"+name)
		}
	}
	return mods
}
