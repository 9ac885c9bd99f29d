package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/threshold"
)

func newValidateCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "validate PLAN",
		Short: "Check a plan file without sending traffic",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			p, err := plan.Load(args[0])
			if err != nil {
				return usageError(err)
			}
			if _, err := parseGates(p.Gates, args[0]+": gates"); err != nil {
				return err
			}
			_, err = fmt.Fprintf(s.Out, "%s: ok (%s, %d endpoint(s), %s, %d threshold(s))\n",
				args[0], p.Model(), len(p.Endpoints), p.TotalDuration(), len(p.Thresholds))
			return failure(err)
		},
	}
}

// checkThresholds parses threshold flags up front so a typo is a usage
// error before any work is done.
func checkThresholds(exprs []string) error {
	for _, e := range exprs {
		if _, err := threshold.Parse(e); err != nil {
			return usageError(fmt.Errorf("--threshold: %w", err))
		}
	}
	return nil
}
