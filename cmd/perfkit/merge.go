package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/results"
)

type mergeOptions struct {
	streams streams
	parts   []string
	out     string
	align   string
}

func newMergeCmd(s streams) *cobra.Command {
	o := &mergeOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "merge PART... -o OUT",
		Short: "Combine result files of segments of one distributed run, exactly",
		Long: `merge combines the result files of one plan run at the same time on several
machines. Counts add and latency histograms merge exactly (percentiles are
never averaged); the measured window spans every segment, so rates are total
requests over it; the merged run is interrupted when any part was.

Each file records the worker (host and process) that ran it: the same segment
given twice is refused, since it would count its requests twice. Histograms
recorded with other settings than this perfkit's are refused too.

When the parts' starts differ by more than a second (or one timeline
interval), the merge warns. --align wall (the default) keeps each worker's
clock: right when clocks are synchronised and the workers really started
apart, which is how load reached the target. --align start shifts each
segment to start with the first part: right when the workers started together
but their clocks disagree.`,
		Example: `  perfkit merge worker-*.json -o run.json
  perfkit merge a.json b.json --align start -o run.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			o.parts = args
			return failure(runMerge(o))
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "merged result file")
	f.StringVar(&o.align, "align", string(results.AlignWall), "place segments by their wall-clock time (wall) or by their own start (start)")
	return cmd
}

func runMerge(o *mergeOptions) error {
	if o.out == "" {
		return usagef("merge: -o OUT is required")
	}
	align := results.Align(o.align)
	if align != results.AlignWall && align != results.AlignStart {
		return usagef("merge: --align %q: want %s or %s", o.align, results.AlignWall, results.AlignStart)
	}
	var parts []*results.Result
	for _, path := range o.parts {
		r, err := results.ReadFile(path)
		if err != nil {
			return failureError(err)
		}
		parts = append(parts, r)
	}
	merged, err := results.Merger{Align: align, Names: o.parts}.Results(parts)
	if err != nil {
		return failureError(fmt.Errorf("merge: %w", err))
	}
	if err := results.WriteFile(o.out, merged); err != nil {
		return failureError(err)
	}
	// Warnings the parts already carried reach every report of the merged
	// file; the ones this merge raised (skew, interrupted workers) are said
	// now too, because they may call for merging again differently.
	var known []string
	for _, p := range parts {
		for _, r := range p.Runs {
			known = append(known, r.Warnings...)
		}
	}
	for _, r := range merged.Runs {
		for _, w := range r.Warnings {
			if !slices.Contains(known, w) {
				known = append(known, w)
				if _, err := fmt.Fprintf(o.streams.Err, "perfkit: warning: %s\n", w); err != nil {
					return failure(err)
				}
			}
		}
	}
	_, err = fmt.Fprintf(o.streams.Err, "perfkit: merged %d parts into %s\n", len(parts), o.out)
	return failure(err)
}
