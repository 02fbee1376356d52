package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/internal/register"
	"github.com/demat-app/demat/upload/outbox"
)

// serverNumbering reads the configuration's [register] numbering for a
// document about to be registered, and checks the flags
// against it: true when the server gives the number. The number is then
// known only once the document is delivered, after it was stamped,
// signed and its receipt written, so neither the arrival stamp nor the
// receipt can carry it: --stamp and --receipt are refused (the stamp,
// on by default for incoming mail, is left out), and --send must name a
// target that reads the number from its server's answer.
func (d *docFlags) serverNumbering(f *pflag.FlagSet) (bool, error) {
	cfg, err := config.Load()
	if err != nil {
		return false, err
	}
	if cfg.Register.Numbering != register.ServerNumbering {
		return false, nil
	}
	const why = serverNumberingWhy
	if (f.Changed("stamp") && d.stampFlags.on) || f.Changed("stamp-place") || f.Changed("stamp-lang") {
		return false, usageError{fmt.Errorf("--stamp: %s, after the stamp is drawn: the stamp cannot show it (leave --stamp out)", why)}
	}
	if d.receipt != "" {
		return false, usageError{fmt.Errorf("--receipt: %s: write the receipt then, with demat register receipt NUMBER", why)}
	}
	if d.send != "" {
		if err := numberingTarget(cfg, d.send); err != nil {
			return false, usageError{fmt.Errorf("--send %s: %w", d.send, err)}
		}
	}
	return true, nil
}

// serverNumberingWhy is why, under server numbering, what comes before
// the delivery cannot carry the number.
const serverNumberingWhy = "the server gives the register's numbers ([register] numbering = \"server\"), known only once the document is delivered"

// numberingTarget checks that the named target reads the registration
// number from its server's answer, as server numbering needs.
func numberingTarget(cfg *config.Config, name string) error {
	t, err := targetConfig(cfg, name)
	if err != nil {
		return err
	}
	if t.NumberHeader == "" && t.NumberJSON == "" {
		return fmt.Errorf("%s, and target %s reads no number from its server (number_header or number_json): send it to the target that numbers it", serverNumberingWhy, t.Name)
	}
	return nil
}

// deliveryProblems records the outbox's deliveries in the register (as
// recordDeliveries) and gives, for the caller to report, the ones the
// register could not take as they are: a server number another entry
// already has (recorded with the delivery and in the audit trail).
func deliveryProblems(ctx context.Context, logger *slog.Logger, ob *outbox.Outbox, r *register.Register) []error {
	ctx = context.WithoutCancel(ctx)
	ds, err := ob.List(ctx, outbox.Delivered)
	if err != nil {
		logger.Warn("could not record the deliveries in the audit trail", "err", err)
		return nil
	}
	var problems []error
	for _, d := range ds {
		if d.Receipt == nil {
			continue
		}
		rd := register.Delivery{ID: d.ID, Key: d.Key, Target: d.Target, Location: d.Receipt.Location, Size: d.Receipt.Size,
			SHA256: d.SHA256, Verified: d.Receipt.Verified, ServerID: d.Receipt.ServerID, Time: d.Receipt.Time,
			Number: d.Receipt.Number, NumberNote: d.Receipt.NumberNote}
		_, err := r.RecordDelivery(ctx, d.Meta["registration_number"], rd)
		switch {
		case errors.Is(err, register.ErrServerNumberTaken):
			problems = append(problems, fmt.Errorf("delivery #%d: %w", d.ID, err))
		case err != nil:
			logger.Warn("could not record a delivery in the audit trail", "delivery", d.ID, "err", err)
		}
	}
	return problems
}
