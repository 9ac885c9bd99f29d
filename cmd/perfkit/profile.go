package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/pprof/profile"
	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

func newProfileCmd(s streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "profile",
		Short: "Inspect, diff and export the target's profiles stored in result files",
		Long: `Profiles are pulled with 'perfkit run --profile URL' and stored in the result
file with the requests served in their windows, so every figure here is a cost
per request: CPU time, bytes and objects allocated, lock delay.

Types: ` + strings.Join(pprofcollect.Types(), ", "),
	}
	cmd.AddCommand(newProfileTopCmd(s), newProfileDiffCmd(s), newProfileExportCmd(s), newProfileWebCmd(s), newProfileFetchCmd(s))
	return cmd
}

// profileTypeFlag and friends are shared by the subcommands.
type profileFlags struct {
	typ    string
	top    int
	format string
}

func (f *profileFlags) add(cmd *cobra.Command, withTop bool) {
	cmd.Flags().StringVar(&f.typ, "type", "cpu", "profile type: "+strings.Join(pprofcollect.Types(), ", "))
	if withTop {
		cmd.Flags().IntVar(&f.top, "top", 20, "how many functions to show")
		cmd.Flags().StringVar(&f.format, "format", "text", "text, markdown or json")
	}
}

func (f *profileFlags) check() (report.Format, error) {
	if !contains(pprofcollect.Types(), f.typ) {
		return "", usagef("--type: unknown profile type %q: want one of %s", f.typ, strings.Join(pprofcollect.Types(), ", "))
	}
	if f.top < 0 {
		return "", usagef("--top: %d, want >= 0", f.top)
	}
	if f.format == "" {
		return "", nil
	}
	format, err := report.ParseFormat(f.format, report.FormatText, report.FormatMarkdown, report.FormatJSON)
	if err != nil {
		return "", usageError(fmt.Errorf("--format: %w", err))
	}
	return format, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// profileItems reads a result file's profiles, pooled over its runs.
func profileItems(path string) ([]results.Profile, error) {
	r, err := results.ReadFile(path)
	if err != nil {
		return nil, failureError(err)
	}
	items := profilesOf(r)
	if len(items) == 0 {
		return nil, failureError(fmt.Errorf("%s has no profiles: record them with perfkit run --profile http://HOST:PORT/debug/pprof", path))
	}
	return items, nil
}

func normalizeFile(path, typ string) (*pprofcollect.Table, error) {
	items, err := profileItems(path)
	if err != nil {
		return nil, err
	}
	t, err := pprofcollect.Normalize(items, typ, pprofcollect.Limits{})
	if err != nil {
		return nil, failureError(fmt.Errorf("%s: %w", path, err))
	}
	return t, nil
}

func newProfileTopCmd(s streams) *cobra.Command {
	var f profileFlags
	cmd := &cobra.Command{
		Use:     "top RESULT",
		Short:   "Top functions by flat cost per request",
		Example: "  perfkit profile top run.json --type cpu\n  perfkit profile top run.json --type alloc_space --top 10 --format markdown",
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			format, err := f.check()
			if err != nil {
				return err
			}
			t, err := normalizeFile(args[0], f.typ)
			if err != nil {
				return err
			}
			return failure(report.RenderTop(s.Out, t, f.top, format))
		},
	}
	f.add(cmd, true)
	return cmd
}

func newProfileDiffCmd(s streams) *cobra.Command {
	var f profileFlags
	cmd := &cobra.Command{
		Use:   "diff BASE CANDIDATE",
		Short: "Functions whose cost per request changed, largest increase first",
		Long: `diff puts both sides per request (each side's profiles divided by the requests
served in their windows), matches functions by name so different builds
compare, and ranks them by the change in flat cost. Δ cum shows the change
including callees; NEW and GONE mark functions on one side only.`,
		Example: "  perfkit profile diff base.json cand.json --type cpu --top 15\n  perfkit profile diff base.json cand.json --type alloc_space --format markdown",
		Args:    cobra.ExactArgs(2),
		RunE: func(_ *cobra.Command, args []string) error {
			format, err := f.check()
			if err != nil {
				return err
			}
			base, err := normalizeFile(args[0], f.typ)
			if err != nil {
				return err
			}
			cand, err := normalizeFile(args[1], f.typ)
			if err != nil {
				return err
			}
			return failure(report.RenderDiff(s.Out, pprofcollect.DiffTables(base, cand), f.top, format))
		},
	}
	f.add(cmd, true)
	return cmd
}

// exportProfile builds the profile of typ from a result file, or the
// difference candidate − base with the base scaled to the candidate's
// requests, which pprof reads as a diff (negative samples are the base).
func exportProfile(path, diffBase, typ string) (*profile.Profile, error) {
	items, err := profileItems(path)
	if err != nil {
		return nil, err
	}
	p, err := pprofcollect.Export(items, typ, pprofcollect.Limits{})
	if err != nil {
		return nil, failureError(fmt.Errorf("%s: %w", path, err))
	}
	if diffBase == "" {
		return p, nil
	}
	baseItems, err := profileItems(diffBase)
	if err != nil {
		return nil, err
	}
	base, err := pprofcollect.Export(baseItems, typ, pprofcollect.Limits{})
	if err != nil {
		return nil, failureError(fmt.Errorf("%s: %w", diffBase, err))
	}
	ct, err1 := pprofcollect.Normalize(items, typ, pprofcollect.Limits{})
	bt, err2 := pprofcollect.Normalize(baseItems, typ, pprofcollect.Limits{})
	ratio := 1.0
	if err1 == nil && err2 == nil && bt.Requests > 0 && ct.PerRequest {
		ratio = float64(ct.Requests) / float64(bt.Requests)
	}
	base.Scale(-ratio)
	diff, err := profile.Merge([]*profile.Profile{p, base})
	if err != nil {
		return nil, failureError(fmt.Errorf("diff %s against %s: %w", path, diffBase, err))
	}
	return diff, nil
}

func newProfileExportCmd(s streams) *cobra.Command {
	var f profileFlags
	var out, diffBase string
	cmd := &cobra.Command{
		Use:   "export RESULT -o FILE",
		Short: "Write a stored profile as a standard .pb.gz for go tool pprof",
		Example: `  perfkit profile export run.json --type cpu -o cpu.pb.gz && go tool pprof -top cpu.pb.gz
  perfkit profile export cand.json --diff-base base.json --type cpu -o diff.pb.gz`,
		Args: cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			if _, err := f.check(); err != nil {
				return err
			}
			if out == "" {
				return usagef("profile export: -o FILE is required")
			}
			p, err := exportProfile(args[0], diffBase, f.typ)
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := p.Write(&buf); err != nil {
				return failureError(fmt.Errorf("encode profile: %w", err))
			}
			if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
				return failureError(fmt.Errorf("write %s: %w", out, err))
			}
			_, err = fmt.Fprintf(s.Err, "perfkit: wrote %s (%s); open it with: go tool pprof %s\n", out, f.typ, out)
			return failure(err)
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVarP(&out, "out", "o", "", "output .pb.gz file")
	cmd.Flags().StringVar(&diffBase, "diff-base", "", "export the difference from this baseline result (scaled per request)")
	return cmd
}

func newProfileWebCmd(s streams) *cobra.Command {
	var f profileFlags
	var diffBase, addr string
	cmd := &cobra.Command{
		Use:   "web RESULT [--diff-base BASE]",
		Short: "Open pprof's web UI (flame graph, top, source) on a stored profile",
		Long: `web serves pprof's own web UI for a stored profile on 127.0.0.1 (a random port
unless --addr says otherwise) until Ctrl-C. With --diff-base the baseline is
scaled by the ratio of requests, so the diff compares cost per request. The
flame graph, top, peek and source views work without graphviz.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := f.check(); err != nil {
				return err
			}
			items, err := profileItems(args[0])
			if err != nil {
				return err
			}
			cand, err := pprofcollect.Export(items, f.typ, pprofcollect.Limits{})
			if err != nil {
				return failureError(fmt.Errorf("%s: %w", args[0], err))
			}
			var base *profile.Profile
			if diffBase != "" {
				bi, err := profileItems(diffBase)
				if err != nil {
					return err
				}
				if base, err = pprofcollect.Export(bi, f.typ, pprofcollect.Limits{}); err != nil {
					return failureError(fmt.Errorf("%s: %w", diffBase, err))
				}
			}
			err = pprofcollect.Web(cmd.Context(), cand, base, addr, func(url string) {
				fmt.Fprintf(s.Err, "perfkit: pprof web UI on %s (Ctrl-C stops it)\n", url)
				fmt.Fprintln(s.Out, url)
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				return failureError(fmt.Errorf("profile web: %w", err))
			}
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().StringVar(&diffBase, "diff-base", "", "baseline result to diff against")
	cmd.Flags().StringVar(&addr, "addr", pprofcollect.DefaultWebAddr, "listen address")
	return cmd
}

func newProfileFetchCmd(s streams) *cobra.Command {
	var kind, out string
	var seconds int
	cmd := &cobra.Command{
		Use:     "fetch PPROF_URL -o FILE",
		Short:   "Capture one profile from a target now, with the same size bounds as a run",
		Example: "  perfkit profile fetch http://127.0.0.1:6060/debug/pprof --type cpu --seconds 10 -o cpu.pb.gz",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !contains(pprofcollect.DefaultKinds(), kind) {
				return usagef("--type: %q: want one of %s", kind, strings.Join(pprofcollect.DefaultKinds(), ", "))
			}
			if out == "" {
				return usagef("profile fetch: -o FILE is required")
			}
			if seconds < 1 && kind == "cpu" {
				return usagef("--seconds: %d, want >= 1 for a CPU profile", seconds)
			}
			f, err := pprofcollect.NewFetcher(args[0], pprofcollect.Endpoint{}, pprofcollect.Limits{})
			if err != nil {
				return usageError(err)
			}
			secs := seconds
			if kind != "cpu" {
				secs = 0
			}
			data, status, err := f.Fetch(cmd.Context(), kind, secs)
			if err != nil || status != results.ProfileOK {
				return failureError(fmt.Errorf("fetch %s profile: %s: %v", kind, status, err))
			}
			if _, err := pprofcollect.Parse(data, pprofcollect.Limits{}); err != nil {
				return failureError(fmt.Errorf("fetched %s profile is not usable: %w", kind, err))
			}
			if err := os.WriteFile(out, data, 0o644); err != nil {
				return failureError(fmt.Errorf("write %s: %w", out, err))
			}
			_, err = fmt.Fprintf(s.Err, "perfkit: wrote %s (%d bytes)\n", out, len(data))
			return failure(err)
		},
	}
	cmd.Flags().StringVar(&kind, "type", "cpu", "profile kind: "+strings.Join(pprofcollect.DefaultKinds(), ", "))
	cmd.Flags().IntVar(&seconds, "seconds", 10, "CPU profile length")
	cmd.Flags().StringVarP(&out, "out", "o", "", "output .pb.gz file")
	return cmd
}
