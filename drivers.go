package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/spf13/pflag"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/scan/file"
	"github.com/demat-app/demat/scan/sane"
)

// driverConfig is what the command line says about devices.
type driverConfig struct {
	escl []string // eSCL addresses to probe besides those discovered
	pins []string // HOST:PORT=FINGERPRINT of self-signed eSCL devices to trust
	dpi  float64  // forced resolution of file pages
}

// addFlags adds the flags that configure the drivers.
func (c *driverConfig) addFlags(f *pflag.FlagSet) {
	f.StringArrayVar(&c.escl, "escl", nil, "also reach the eSCL scanner at this `URL` (repeatable), e.g. http://192.168.1.20/eSCL")
	f.StringArrayVar(&c.pins, "pin", nil, "trust the self-signed certificate of an eSCL scanner: `HOST:PORT=SHA256` (repeatable; the fingerprint is on the scanner's own page, and in demat's message)")
}

// pinMap checks and gathers the --pin flags.
func (c *driverConfig) pinMap() (map[string]string, error) {
	pins := map[string]string{}
	for _, p := range c.pins {
		host, fp, ok := strings.Cut(p, "=")
		if !ok || host == "" || fp == "" {
			return nil, usageError{fmt.Errorf("--pin %q: write it as HOST:PORT=FINGERPRINT", p)}
		}
		pins[host] = fp
	}
	return pins, nil
}

// driver is a scanner driver under the name its device IDs start with.
type driver struct {
	name string
	src  scan.Source
}

// sources lists the scanner drivers, in the order devices are listed.
func sources(cfg driverConfig, logger *slog.Logger) ([]driver, error) {
	pins, err := cfg.pinMap()
	if err != nil {
		return nil, err
	}
	return []driver{
		{"sane", sane.New(sane.Options{Logger: logger})},
		{"escl", escl.New(escl.Options{Addresses: cfg.escl, Pins: pins, Logger: logger})},
		{"file", &file.Source{Options: file.Options{DPI: cfg.dpi}}},
	}, nil
}

// deviceFor turns a device ID typed by a person into the device and its
// driver.
func deviceFor(id string, drivers []driver) (scan.Device, scan.Source, error) {
	drv := scan.Driver(id)
	var src scan.Source
	var names []string
	for _, d := range drivers {
		if d.name == drv {
			src = d.src
		}
		names = append(names, d.name+":…")
	}
	if src == nil {
		return scan.Device{}, nil, usageError{fmt.Errorf("device %q: IDs start with the driver (%s); run 'demat devices' to list them", id, strings.Join(names, ", "))}
	}
	switch drv {
	case "file":
		dev, err := file.DeviceFor(strings.TrimPrefix(id, "file:"))
		return dev, src, err
	case "escl":
		dev, err := escl.DeviceFor(id)
		if err != nil {
			return dev, src, usageError{err}
		}
		return dev, src, nil
	}
	return scan.Device{ID: id, Name: strings.TrimPrefix(id, drv+":"), Driver: drv}, src, nil
}
