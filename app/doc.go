// Package app is demat's window, built with Fyne. It turns what a person
// asks for into pipeline calls and pipeline events into widget state
// (through fyne.Do), and holds no business logic of its own.
//
// It must not be imported by the core packages; the Fyne GL driver
// (fyne.io/fyne/v2/app) stays in cmd code so views test headless.
package app
