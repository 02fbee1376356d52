package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/scan"
)

func newDevicesCmd(logger *slog.Logger) *cobra.Command {
	var (
		cfg    driverConfig
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "devices [--json] [--escl URL]...",
		Short: "List the scanners demat can use, with what each can do",
		Long: `Lists the scanners found by every driver: SANE (USB and network scanners with a
SANE backend) and eSCL/AirScan (network scanners and multifunction printers,
found by mDNS), with their sources, resolutions and colour modes.

A network scanner that is not found (another subnet, mDNS blocked) can be
probed by address with --escl. The ID in the first column is what
'demat scan --device' takes.`,
		Example: `  demat devices
  demat devices --escl http://192.168.1.20/eSCL --json`,
		Args: usageArgs(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			type entry struct {
				scan.Device
				Caps  *scan.Caps `json:"caps,omitempty"`
				Error string     `json:"error,omitempty"`
			}
			ctx := cmd.Context()
			srcs, err := sources(cfg, logger)
			if err != nil {
				return err
			}
			var list []entry
			var problems []string
			for _, drv := range srcs {
				name, src := drv.name, drv.src
				devs, err := src.Devices(ctx)
				if err != nil {
					// One driver failing must not hide the others' devices.
					problems = append(problems, fmt.Sprintf("%s: %v", name, err))
					continue
				}
				for _, d := range devs {
					e := entry{Device: d}
					if caps, err := src.Caps(ctx, d); err != nil {
						e.Error = err.Error()
					} else {
						e.Caps = &caps
					}
					list = append(list, e)
				}
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w := cmd.OutOrStdout()
			if asJSON {
				if list == nil {
					list = []entry{}
				}
				return json.NewEncoder(w).Encode(struct {
					Devices  []entry  `json:"devices"`
					Problems []string `json:"problems,omitempty"`
				}{list, problems})
			}
			for _, p := range problems {
				fmt.Fprintf(cmd.ErrOrStderr(), "demat: %s\n", p)
			}
			if len(list) == 0 {
				fmt.Fprintln(w, "No scanner found. Check that it is switched on and connected; for a network scanner, try --escl http://ADDRESS/eSCL; see README, Troubleshooting.")
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tSOURCES\tRESOLUTIONS\tMODES")
			for _, e := range list {
				if e.Caps == nil {
					fmt.Fprintf(tw, "%s\t%s\t(%s)\t\t\n", e.ID, e.Name, e.Error)
					continue
				}
				for i, in := range e.Caps.Inputs {
					id, name := e.ID, e.Name
					if i > 0 {
						id, name = "", ""
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", id, name, in.Input, resolutions(in.Resolutions), modes(in.Modes))
				}
			}
			return tw.Flush()
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print the devices and their capabilities as JSON")
	cfg.addFlags(f)
	return cmd
}

// resolutions shows a list of resolutions briefly: all of a short list,
// the ends of a long one.
func resolutions(r []int) string {
	if len(r) == 0 {
		return "-"
	}
	if len(r) > 6 {
		return fmt.Sprintf("%d–%d (%d steps)", r[0], r[len(r)-1], len(r))
	}
	s := make([]string, len(r))
	for i, v := range r {
		s[i] = fmt.Sprint(v)
	}
	return strings.Join(s, ",")
}

func modes(m []scan.Mode) string {
	if len(m) == 0 {
		return "-"
	}
	s := make([]string, len(m))
	for i, v := range m {
		s[i] = string(v)
	}
	return strings.Join(s, ",")
}
