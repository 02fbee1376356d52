package escltest

import (
	"fmt"
	"strings"
)

// UUID is the device UUID DefaultCaps states.
const UUID = "6f1c2a0e-4b1d-4e55-9c1e-0e5ca77e5700"

// MakeAndModel is the name DefaultCaps states.
const MakeAndModel = "Demat eSCL Test Scanner"

// DefaultCaps is the capabilities document of the default scanner: a
// flatbed (A4, 2550×3508) and a duplex feeder (up to 14 inches), colour,
// grey and black and white, JPEG and PNG (and PDF, which a client should
// not choose), 75 to 600 dpi, eSCL 2.63 as Mopria-certified devices
// write it.
func DefaultCaps() []byte {
	return []byte(Caps(CapsConfig{Platen: true, Feeder: true, Duplex: true}))
}

// CapsConfig describes a capabilities document to write.
type CapsConfig struct {
	Platen, Feeder, Duplex bool
	// Formats are the MIME types offered; nil means JPEG, PNG and PDF.
	Formats []string
	// Resolutions are the discrete resolutions; nil means 75 to 600.
	Resolutions []int
	// Range, when set, offers resolutions as a range {min, max, step}
	// instead.
	Range [3]int
}

// Caps writes a capabilities document.
func Caps(c CapsConfig) string {
	if c.Formats == nil {
		c.Formats = []string{"image/jpeg", "image/png", "application/pdf"}
	}
	if c.Resolutions == nil {
		c.Resolutions = []int{75, 100, 150, 200, 300, 600}
	}
	input := func(tag string, maxHeight int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "    <scan:%s>\n", tag)
		fmt.Fprintf(&b, "      <scan:MinWidth>16</scan:MinWidth>\n      <scan:MaxWidth>2550</scan:MaxWidth>\n")
		fmt.Fprintf(&b, "      <scan:MinHeight>16</scan:MinHeight>\n      <scan:MaxHeight>%d</scan:MaxHeight>\n", maxHeight)
		b.WriteString("      <scan:MaxScanRegions>1</scan:MaxScanRegions>\n")
		b.WriteString("      <scan:SettingProfiles>\n        <scan:SettingProfile>\n")
		b.WriteString("          <scan:ColorModes>\n")
		for _, m := range []string{"BlackAndWhite1", "Grayscale8", "RGB24"} {
			fmt.Fprintf(&b, "            <scan:ColorMode>%s</scan:ColorMode>\n", m)
		}
		b.WriteString("          </scan:ColorModes>\n          <scan:DocumentFormats>\n")
		for _, f := range c.Formats {
			fmt.Fprintf(&b, "            <pwg:DocumentFormat>%s</pwg:DocumentFormat>\n", f)
		}
		for _, f := range c.Formats {
			fmt.Fprintf(&b, "            <scan:DocumentFormatExt>%s</scan:DocumentFormatExt>\n", f)
		}
		b.WriteString("          </scan:DocumentFormats>\n          <scan:SupportedResolutions>\n")
		if c.Range != [3]int{} {
			fmt.Fprintf(&b, "            <scan:ResolutionRange>\n")
			for _, axis := range []string{"X", "Y"} {
				fmt.Fprintf(&b, "              <scan:%sResolutionRange><scan:Min>%d</scan:Min><scan:Max>%d</scan:Max><scan:Normal>300</scan:Normal><scan:Step>%d</scan:Step></scan:%sResolutionRange>\n",
					axis, c.Range[0], c.Range[1], c.Range[2], axis)
			}
			fmt.Fprintf(&b, "            </scan:ResolutionRange>\n")
		} else {
			b.WriteString("            <scan:DiscreteResolutions>\n")
			for _, r := range c.Resolutions {
				fmt.Fprintf(&b, "              <scan:DiscreteResolution><scan:XResolution>%d</scan:XResolution><scan:YResolution>%d</scan:YResolution></scan:DiscreteResolution>\n", r, r)
			}
			b.WriteString("            </scan:DiscreteResolutions>\n")
		}
		b.WriteString("          </scan:SupportedResolutions>\n        </scan:SettingProfile>\n      </scan:SettingProfiles>\n")
		b.WriteString("      <scan:SupportedIntents>\n")
		for _, i := range []string{"Document", "TextAndGraphic", "Photo", "Preview"} {
			fmt.Fprintf(&b, "        <scan:Intent>%s</scan:Intent>\n", i)
		}
		fmt.Fprintf(&b, "      </scan:SupportedIntents>\n    </scan:%s>\n", tag)
		return b.String()
	}
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>
<scan:ScannerCapabilities xmlns:scan="http://schemas.hp.com/imaging/escl/2011/05/03" xmlns:pwg="http://www.pwg.org/schemas/2010/12/sm">
  <pwg:Version>2.63</pwg:Version>
  <pwg:MakeAndModel>` + MakeAndModel + `</pwg:MakeAndModel>
  <scan:Manufacturer>Demat</scan:Manufacturer>
  <scan:UUID>` + UUID + `</scan:UUID>
`)
	if c.Platen {
		b.WriteString("  <scan:Platen>\n" + input("PlatenInputCaps", 3508) + "  </scan:Platen>\n")
	}
	if c.Feeder {
		b.WriteString("  <scan:Adf>\n" + input("AdfSimplexInputCaps", 4200))
		if c.Duplex {
			b.WriteString(input("AdfDuplexInputCaps", 4200))
		}
		b.WriteString("    <scan:FeederCapacity>50</scan:FeederCapacity>\n")
		b.WriteString("    <scan:AdfOptions>\n      <scan:AdfOption>DetectPaperLoaded</scan:AdfOption>\n")
		if c.Duplex {
			b.WriteString("      <scan:AdfOption>Duplex</scan:AdfOption>\n")
		}
		b.WriteString("    </scan:AdfOptions>\n  </scan:Adf>\n")
	}
	b.WriteString("</scan:ScannerCapabilities>\n")
	return b.String()
}
