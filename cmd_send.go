package main

import (
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/config"
)

func newSendCmd(logger *slog.Logger) *cobra.Command {
	var (
		target string
		meta   []string
		noWait bool
		wait   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "send FILE.pdf…",
		Short: "Deliver PDFs to a target, through the outbox",
		Long: `Queues each PDF in the outbox for the target, then delivers them, retrying
through lost connections and busy servers. Each document's place at the target
comes from the target's path template and the PDF's metadata (--meta adds or
overrides values). A copy is kept in the outbox until delivered, so the file
may be moved once queued; nothing is lost if demat or the machine stops.

Exit status: 0 when every document is delivered; 1 when one failed or the
server refused the credentials; 3 when some are still waiting (after --wait,
or with --no-wait): demat outbox run, or the window, carries on.`,
		Example: `  demat send --target archives courrier.pdf
  demat send --target cloud --meta reference=AJR/2026/15 --meta direction=incoming scan-*.pdf
  demat send --no-wait --target depot *.pdf && demat outbox run`,
		Args: usageArgs(cobra.MinimumNArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := config.Load()
			if err != nil {
				return err
			}
			m := map[string]string{}
			for _, kv := range meta {
				k, v, ok := strings.Cut(kv, "=")
				if !ok || strings.TrimSpace(k) == "" {
					return usageError{fmt.Errorf("--meta %q: write key=value", kv)}
				}
				m[strings.ToLower(strings.TrimSpace(k))] = v
			}
			if target == "" {
				target = defaultTargetName(cfg)
			}
			ob, err := openOutbox(cmd.Context(), logger)
			if err != nil {
				return err
			}
			var ids []int64
			for _, f := range args {
				d, err := enqueue(cmd.Context(), ob, cfg, target, f, m)
				if err != nil {
					ob.Close()
					if len(ids) > 0 {
						return fmt.Errorf("%w (the %d file(s) before it are queued)", err, len(ids))
					}
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "#%d %s → %s: queued as %s\n", d.ID, f, d.Target, d.Name)
				ids = append(ids, d.ID)
			}
			ob.Close()
			if noWait {
				return exitError{code: 3, err: fmt.Errorf("%d document(s) queued: demat outbox run delivers them", len(ids))}
			}
			return runOutbox(cmd, logger, ids, false, wait)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&target, "target", "t", "", "the target's `name` (default: the configuration's default_target, the only target, or the documents folder)")
	f.StringArrayVar(&meta, "meta", nil, "a metadata value for the path template and the server, `key=value` (repeatable)")
	f.BoolVar(&noWait, "no-wait", false, "only queue; demat outbox run delivers")
	f.DurationVar(&wait, "wait", 0, "give up waiting after this long (e.g. 5m), leaving the rest queued (default: until each is delivered or fails)")
	return cmd
}
