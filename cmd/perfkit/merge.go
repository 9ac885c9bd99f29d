package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/results"
)

func newMergeCmd(s streams) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "merge PART... -o OUT",
		Short: "Combine result files of segments of one distributed run, exactly",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if out == "" {
				return usagef("merge: -o OUT is required")
			}
			var parts []*results.Result
			for _, path := range args {
				r, err := results.ReadFile(path)
				if err != nil {
					return failureError(err)
				}
				parts = append(parts, r)
			}
			merged, err := results.MergeResults(parts)
			if err != nil {
				return failureError(fmt.Errorf("merge: %w", err))
			}
			if err := results.WriteFile(out, merged); err != nil {
				return failureError(err)
			}
			_, err = fmt.Fprintf(s.Err, "perfkit: merged %d parts into %s\n", len(parts), out)
			return failure(err)
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "merged result file")
	return cmd
}
