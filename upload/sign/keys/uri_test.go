package keys

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func slot(n uint) *uint { return &n }

func TestParsePKCS11URI(t *testing.T) {
	tests := []struct {
		name, uri string
		want      TokenRef
		err       string // a part of the error; "" for none
	}{
		{
			name: "full",
			uri:  "pkcs11:token=demat;object=signer;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so",
			want: TokenRef{Module: "/usr/lib/softhsm/libsofthsm2.so", Token: "demat", Object: "signer", ID: []byte{1}},
		},
		{
			name: "percent-encoding",
			uri:  "pkcs11:token=Carte%20agent%C3%A9;object=Cl%C3%A9%20de%20signature%3B1",
			want: TokenRef{Token: "Carte agenté", Object: "Clé de signature;1"},
		},
		{
			name: "plus stays a plus",
			uri:  "pkcs11:token=a+b",
			want: TokenRef{Token: "a+b"},
		},
		{
			name: "id as bytes",
			uri:  "pkcs11:token=demat;id=%00%a2%FF%10",
			want: TokenRef{Token: "demat", ID: []byte{0x00, 0xa2, 0xff, 0x10}},
		},
		{
			name: "slot-id alone",
			uri:  "pkcs11:slot-id=321845673;object=signer",
			want: TokenRef{Slot: slot(321845673), Object: "signer"},
		},
		{
			name: "serial alone",
			uri:  "pkcs11:serial=83b48e4b932ef9a9",
			want: TokenRef{Serial: "83b48e4b932ef9a9"},
		},
		{
			name: "what p11tool prints, descriptive attributes ignored",
			uri:  "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=83b48e4b932ef9a9;token=demat;object=signer;type=private",
			want: TokenRef{Token: "demat", Serial: "83b48e4b932ef9a9", Object: "signer"},
		},
		{
			name: "library and slot descriptions ignored",
			uri:  "pkcs11:library-manufacturer=OpenSC%20Project;library-description=OpenSC%20smartcard%20framework;library-version=0.25;slot-description=;slot-manufacturer=x;token=demat",
			want: TokenRef{Token: "demat"},
		},
		{
			name: "type cert",
			uri:  "pkcs11:token=demat;object=signer;type=cert",
			want: TokenRef{Token: "demat", Object: "signer"},
		},
		{
			name: "module-name",
			uri:  "pkcs11:token=demat?module-name=opensc-pkcs11",
			want: TokenRef{Token: "demat", ModuleName: "opensc-pkcs11"},
		},
		{
			name: "module-path with spaces and module-name",
			uri:  "pkcs11:token=demat?module-path=/opt/My%20Vendor/lib&module-name=vendor-p11",
			want: TokenRef{Token: "demat", Module: "/opt/My Vendor/lib", ModuleName: "vendor-p11"},
		},
		{
			name: "upper-case scheme, trailing separators",
			uri:  "PKCS11:token=demat;?module-name=x&",
			want: TokenRef{Token: "demat", ModuleName: "x"},
		},
		{name: "missing token", uri: "pkcs11:object=signer;id=%01", err: "names no token"},
		{name: "empty", uri: "pkcs11:", err: "names no token"},
		{name: "not pkcs11", uri: "https://demat.example/token", err: `must start with "pkcs11:"`},
		{name: "no scheme", uri: "token=demat", err: `must start with "pkcs11:"`},
		{name: "unknown path attribute", uri: "pkcs11:tokn=demat", err: `"tokn" is unknown`},
		{name: "vendor attribute", uri: "pkcs11:token=demat;x-vendor=1", err: `"x-vendor" is unknown`},
		{name: "unknown query attribute", uri: "pkcs11:token=demat?module=foo.so", err: `"module" is unknown`},
		{name: "pin-value refused without showing it", uri: "pkcs11:token=demat?pin-value=1234", err: "remove it, demat asks for the PIN"},
		{name: "pin-source refused", uri: "pkcs11:token=demat?pin-source=file:/etc/pin", err: "pin-source"},
		{name: "duplicate", uri: "pkcs11:token=demat;token=other", err: "token twice"},
		{name: "bad percent", uri: "pkcs11:token=demat;id=%zz", err: "bad percent-encoding"},
		{name: "attribute without value", uri: "pkcs11:token", err: "has no value"},
		{name: "empty token", uri: "pkcs11:token=;serial=1", err: "token is empty"},
		{name: "slot-id not a number", uri: "pkcs11:slot-id=0x1", err: "not a slot number"},
		{name: "type public", uri: "pkcs11:token=demat;type=public", err: "type=public"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePKCS11URI(tt.uri)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParsePKCS11URI(%q) = %+v, %v; want an error saying %q", tt.uri, got, err, tt.err)
				}
				if strings.Contains(err.Error(), "1234") {
					t.Errorf("error shows the PIN: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePKCS11URI(%q): %v", tt.uri, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParsePKCS11URI(%q) = %+v, want %+v", tt.uri, got, tt.want)
			}
			back, err := ParsePKCS11URI(got.String())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Fatalf("String() = %q reads back as %+v, %v; want %+v", got.String(), back, err, got)
			}
		})
	}
}

func FuzzParsePKCS11URI(f *testing.F) {
	for _, s := range []string{
		"pkcs11:token=demat;object=signer;id=%01?module-path=/usr/lib/softhsm/libsofthsm2.so",
		"pkcs11:slot-id=1;id=%00%ff",
		"pkcs11:serial=1;token=a%20b?module-name=opensc-pkcs11&module-path=/x",
		"pkcs11:token=demat?pin-value=1234",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		ref, err := ParsePKCS11URI(uri)
		if err != nil {
			return
		}
		back, err := ParsePKCS11URI(ref.String())
		if err != nil || !reflect.DeepEqual(back, ref) {
			t.Fatalf("%q: String() = %q reads back as %+v, %v; want %+v", uri, ref.String(), back, err, ref)
		}
	})
}

func TestResolveModule(t *testing.T) {
	dir := t.TempDir()
	touch := func(name string) string {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	proxy := filepath.Join(dir, "lib", "p11-kit-proxy.so") // absent
	opensc := touch("lib/opensc-pkcs11.so")
	vendor := touch("vendor/lib/vendor-p11.so")
	explicit := touch("softhsm/libsofthsm2.so")
	defaults := []string{proxy, opensc}
	dirs := []string{filepath.Join(dir, "lib"), filepath.Join(dir, "vendor", "lib")}

	tests := []struct {
		name string
		ref  TokenRef
		want string
		err  string
	}{
		{name: "module-path", ref: TokenRef{Module: explicit}, want: explicit},
		{name: "module-path missing", ref: TokenRef{Module: filepath.Join(dir, "gone.so")}, err: "fix module-path"},
		{name: "default: first that exists", want: opensc},
		{name: "module-name in the usual directories", ref: TokenRef{ModuleName: "vendor-p11"}, want: vendor},
		{name: "module-name with suffix", ref: TokenRef{ModuleName: "vendor-p11.so"}, want: vendor},
		{name: "module-name in module-path", ref: TokenRef{Module: filepath.Join(dir, "softhsm"), ModuleName: "libsofthsm2"}, want: explicit},
		{name: "module-name absent", ref: TokenRef{ModuleName: "nothing"}, err: "module-path=/path/to/module.so"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := resolveModule(tt.ref, defaults, dirs, ".so")
			if tt.err != "" {
				if !errors.Is(err, ErrNoModule) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("resolveModule = %q, %v; want ErrNoModule saying %q", got, err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("resolveModule = %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	// Nothing installed: the error names the places and what to add.
	os.Remove(opensc)
	_, err := resolveModule(TokenRef{}, defaults, dirs, ".so")
	if !errors.Is(err, ErrNoModule) || !strings.Contains(err.Error(), proxy) || !strings.Contains(err.Error(), "add ?module-path=") {
		t.Fatalf("resolveModule with nothing installed = %v", err)
	}
}
