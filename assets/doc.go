// Package assets holds the files demat ships inside its binary: fonts, icons,
// translations and the sample page, embedded with go:embed.
//
// It owns bytes only; it must not hold logic beyond handing them out.
package assets
