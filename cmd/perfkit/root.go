package main

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// run executes perfkit with args and returns the process exit code. It is
// what main calls and what the CLI tests call.
func run(ctx context.Context, args []string, s streams) int {
	root := newRootCmd(s)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var quiet silentExit
		if !errors.As(err, &quiet) {
			fmt.Fprintf(s.Err, "perfkit: %v\n", err)
			if exitCode(err) == exitUsage {
				fmt.Fprintln(s.Err, "Run 'perfkit --help' for usage.")
			}
		}
	}
	return exitCode(err)
}

func newRootCmd(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "perfkit",
		Short: "Load-test HTTP services, record exact latency distributions, compare runs",
		Long: `perfkit drives load against an HTTP service (closed model: virtual users;
open model: a fixed arrival rate, with latency measured from each request's
intended send time), records every latency in HDR histograms, and writes a
result file that reports and comparisons are made from.

Exit codes: 0 ok · 1 perfkit could not do its job · 2 invalid usage, flag,
plan or expression · 3 a threshold failed · 130 interrupted (the partial
result was still written).`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetIn(s.In)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError(err) })
	root.AddCommand(
		newRunCmd(s),
		newReportCmd(s),
		newCompareCmd(s),
		newProfileCmd(s),
		newABCmd(s),
		newValidateCmd(s),
		newMergeCmd(s),
		newDemoCmd(s),
		newVersionCmd(s),
	)
	return root
}

// failure gives an error without an exit code the code for "perfkit could
// not do its job", so only cobra's own parse errors default to usage.
func failure(err error) error {
	if err == nil {
		return nil
	}
	var e *exitError
	var q silentExit
	if errors.As(err, &e) || errors.As(err, &q) {
		return err
	}
	return failureError(err)
}

// perfkitVersion is the module version when built from a tagged module,
// else "dev".
func perfkitVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

func newVersionCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print perfkit's version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := fmt.Fprintf(s.Out, "perfkit %s\n", perfkitVersion())
			return failure(err)
		},
	}
}
