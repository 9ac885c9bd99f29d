package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

type reportOptions struct {
	streams    streams
	path       string
	format     string
	out        string
	thresholds []string
}

func newReportCmd(s streams) *cobra.Command {
	o := &reportOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "report RESULT",
		Short: "Render a saved result file (same numbers as the live summary)",
		Long: `Render a result file written by 'perfkit run -o'. The numbers are computed
from the file alone, so they equal the live summary. Thresholds are judged
and shown, but do not change the exit code: report only renders.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.path = args[0]
			return failure(runReport(o))
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "text, json, markdown, html (one self-contained page) or junit (one test case per threshold)")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "write the report to this file instead of stdout")
	cmd.Flags().StringArrayVar(&o.thresholds, "threshold", nil, "judge an extra threshold (repeatable)")
	return cmd
}

func runReport(o *reportOptions) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	if err := checkThresholds(o.thresholds); err != nil {
		return err
	}
	res, err := results.ReadFile(o.path)
	if err != nil {
		return failureError(err)
	}
	sum, err := summarize(res, o.thresholds...)
	if err != nil {
		return failureError(fmt.Errorf("summarize %s: %w", o.path, err))
	}
	return writeOutput(o.streams, o.out, func(w *outputWriter) error {
		return report.Render(w, sum, format, report.Options{Title: o.path, Color: w.color})
	})
}
