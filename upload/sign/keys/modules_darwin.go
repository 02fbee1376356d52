package keys

// moduleSuffix is the file suffix OpenSC and p11-kit use for modules on
// macOS (OpenSC ships .so, Homebrew's p11-kit .dylib; ModuleName lookups
// try this suffix).
const moduleSuffix = ".so"

// moduleDirs are where the OpenSC installer and Homebrew put modules.
func moduleDirs() []string {
	return []string{"/Library/OpenSC/lib", "/opt/homebrew/lib", "/usr/local/lib", "/Library/OpenSC/lib/pkcs11"}
}

// defaultModules are tried in order when a URI has no module: the p11-kit
// proxy (every registered module), then OpenSC, which drives most cards.
func defaultModules() []string {
	return []string{
		"/opt/homebrew/lib/p11-kit-proxy.dylib", "/usr/local/lib/p11-kit-proxy.dylib",
		"/Library/OpenSC/lib/opensc-pkcs11.so", "/opt/homebrew/lib/opensc-pkcs11.so", "/usr/local/lib/opensc-pkcs11.so",
	}
}
