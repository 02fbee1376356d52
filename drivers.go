package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/demat-app/demat/scan"
	"github.com/demat-app/demat/scan/escl"
	"github.com/demat-app/demat/scan/file"
	"github.com/demat-app/demat/scan/sane"
)

// driverConfig is what the command line says about devices.
type driverConfig struct {
	escl []string // eSCL addresses to probe besides those discovered
	dpi  float64  // forced resolution of file pages
}

// sources lists the scanner drivers, in the order devices are listed.
func sources(cfg driverConfig, logger *slog.Logger) map[string]scan.Source {
	return map[string]scan.Source{
		"sane": sane.New(sane.Options{Logger: logger}),
		"escl": escl.New(escl.Options{Addresses: cfg.escl, Logger: logger}),
		"file": &file.Source{Options: file.Options{DPI: cfg.dpi}},
	}
}

// driverOrder is the order in which devices are listed.
var driverOrder = []string{"sane", "escl", "file"}

// deviceFor turns a device ID typed by a person into the device and its
// driver.
func deviceFor(id string, srcs map[string]scan.Source) (scan.Device, scan.Source, error) {
	drv := scan.Driver(id)
	src, ok := srcs[drv]
	if !ok {
		var names []string
		for _, d := range driverOrder {
			if srcs[d] != nil {
				names = append(names, d+":…")
			}
		}
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
