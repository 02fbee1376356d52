package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/upload/outbox"
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

// checkSend fails early, before anything is scanned, when --send names
// no target.
func (d *docFlags) checkSend() error {
	if d.send == "" {
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if _, err := targetConfig(cfg, d.send); err != nil {
		return usageError{fmt.Errorf("--send: %w", err)}
	}
	return nil
}

// deliver sends the document just written with --send, through the
// outbox, and waits for it like demat send.
func (d *docFlags) deliver(cmd *cobra.Command, logger *slog.Logger, out string) error {
	if d.send == "" {
		return nil
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	ob, err := openOutbox(cmd.Context(), logger)
	if err != nil {
		return err
	}
	del, err := enqueue(cmd.Context(), ob, cfg, d.send, out, nil)
	ob.Close()
	if err != nil {
		return fmt.Errorf("%w; the PDF is at %s: send it with demat send --target %s", err, out, d.send)
	}
	w := cmd.OutOrStdout()
	if d.asJSON {
		w = cmd.ErrOrStderr() // standard output is JSON lines
	}
	fmt.Fprintf(w, "#%d %s → %s: queued as %s\n", del.ID, out, del.Target, del.Name)
	return runOutboxTo(cmd, logger, w, []int64{del.ID}, false, 0)
}

// watchSender delivers what demat watch makes, with --send: each PDF is
// queued as it is written and an outbox run in the background delivers
// it, so a slow or absent network never holds up the hot folder.
type watchSender struct {
	d      *docFlags
	cmd    *cobra.Command
	logger *slog.Logger
	cfg    *config.Config
	ob     *outbox.Outbox
	once   bool
	ids    []int64
	cancel context.CancelFunc
	done   chan struct{}
}

func (d *docFlags) startSending(cmd *cobra.Command, logger *slog.Logger, once bool) (*watchSender, error) {
	s := &watchSender{d: d, cmd: cmd, logger: logger, once: once}
	if d.send == "" {
		return s, nil
	}
	if err := d.checkSend(); err != nil {
		return nil, err
	}
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	ob, err := openOutbox(cmd.Context(), logger)
	if err != nil {
		return nil, err
	}
	s.cfg, s.ob = cfg, ob
	if !once {
		ctx, cancel := context.WithCancel(cmd.Context())
		s.cancel, s.done = cancel, make(chan struct{})
		rep := newReporter(cmd.OutOrStdout())
		go func() {
			defer close(s.done)
			err := ob.Run(ctx, outbox.RunOptions{Targets: newTargetSet(cfg), Mode: outbox.Forever, Notify: rep.notify})
			if err != nil && ctx.Err() == nil {
				logger.Error("delivery stopped", "err", err)
			}
		}()
	}
	return s, nil
}

// queue puts a PDF in the outbox; resumed, only when it is not there yet
// (demat stopped between writing it and queueing it).
func (s *watchSender) queue(ctx context.Context, pdfPath string, resumed bool) error {
	if s.ob == nil {
		return nil
	}
	if resumed {
		ds, err := s.ob.List(ctx)
		if err != nil {
			return err
		}
		for _, d := range ds {
			if d.Source == pdfPath {
				return nil
			}
		}
	}
	del, err := enqueue(ctx, s.ob, s.cfg, s.d.send, pdfPath, nil)
	if err != nil {
		return fmt.Errorf("%w; the PDF is at %s: send it with demat send --target %s", err, pdfPath, s.d.send)
	}
	fmt.Fprintf(s.cmd.OutOrStdout(), "#%d %s → %s: queued as %s\n", del.ID, pdfPath, del.Target, del.Name)
	s.ids = append(s.ids, del.ID)
	return nil
}

// finish, with --once, delivers what was queued before returning.
func (s *watchSender) finish() error {
	if s.ob == nil || !s.once || len(s.ids) == 0 {
		return nil
	}
	s.ob.Close()
	s.ob = nil
	return runOutbox(s.cmd, s.logger, s.ids, false, 0)
}

func (s *watchSender) stop() {
	if s.cancel != nil {
		s.cancel()
		<-s.done
	}
	if s.ob != nil {
		s.ob.Close()
	}
}
