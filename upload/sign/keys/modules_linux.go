package keys

import "runtime"

// moduleSuffix is the file suffix of a shared library here.
const moduleSuffix = ".so"

// multiarch is Debian's directory name for this architecture's libraries.
var multiarch = map[string]string{
	"amd64": "x86_64-linux-gnu", "arm64": "aarch64-linux-gnu", "386": "i386-linux-gnu",
	"arm": "arm-linux-gnueabihf", "ppc64le": "powerpc64le-linux-gnu", "riscv64": "riscv64-linux-gnu",
	"s390x": "s390x-linux-gnu", "loong64": "loongarch64-linux-gnu",
}

// moduleDirs are where distributions put libraries and PKCS#11 modules:
// Debian's multiarch directories first, then Fedora's lib64, then the rest.
func moduleDirs() []string {
	var dirs []string
	if m, ok := multiarch[runtime.GOARCH]; ok {
		dirs = append(dirs, "/usr/lib/"+m, "/usr/lib/"+m+"/pkcs11")
	}
	return append(dirs, "/usr/lib64", "/usr/lib64/pkcs11", "/usr/lib", "/usr/lib/pkcs11", "/usr/local/lib")
}

// defaultModules are tried in order when a URI has no module: the p11-kit
// proxy first, because it loads every module registered with p11-kit (OpenSC,
// vendor drivers, SoftHSM) so any token is reachable; then OpenSC itself,
// which drives most smart cards, for systems without p11-kit.
func defaultModules() []string {
	var mods []string
	for _, name := range []string{"p11-kit-proxy.so", "opensc-pkcs11.so"} {
		for _, d := range moduleDirs() {
			mods = append(mods, d+"/"+name)
		}
	}
	return mods
}
