package main

import (
	"fmt"

	"github.com/demat-app/demat/app"
	"github.com/demat-app/demat/internal/config"
	"github.com/demat-app/demat/scan/separate"
)

// wireBatch gives the window's Batch screen the configuration's
// [separator] rules. They are read from the file each time a batch
// starts, so that a pattern added meanwhile applies to the next batch,
// as it would to the next demat process --split.
func (g *guiConfig) wireBatch(svc *app.Services) {
	svc.SeparatorRules = func() (*separate.Rules, error) {
		file := g.get().File()
		cfg, err := config.LoadFile(file)
		if err != nil {
			return nil, err
		}
		r, err := cfg.Separator.Rules()
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", file, err)
		}
		return r, nil
	}
}
