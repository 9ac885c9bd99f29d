package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

type compareOptions struct {
	streams streams
	base    []string
	cand    []string
	gates   []string
	strict  bool
	alpha   float64
	format  string
	out     string
	ab      string // a result of perfkit ab holding both sides
}

func newCompareCmd(s streams) *cobra.Command {
	o := &compareOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "compare BASE CANDIDATE | compare AB_RESULT",
		Short: "Judge a candidate against a baseline, with significance, for terminals, PRs and CI gates",
		Long: `compare reads two sides — each one result file, or several separated by commas —
and shows every metric's center and spread per side, the change, and whether it
is significant (Mann-Whitney U over per-run values: the run is the unit of
replication, so record several with 'perfkit run --count 5').

Gates bound the change (--gate 'p99<+10%', 'rps>-5%', 'cpu_per_request<+10%',
'alloc_bytes_per_request<+15%', 'error_rate<+1pp'; also 'gates:' in the plan).
A gate fails only when the change is beyond its bound and significant; one that
cannot be judged (too few runs, no profiles) is inconclusive and fails only with
--strict. The candidate's thresholds count too. Exit 3 when the verdict is fail.`,
		Example: `  perfkit compare base.json cand.json
  perfkit compare base.json cand.json --gate 'p99<+10%' --gate 'rps>-5%' --format markdown
  perfkit compare base.json cand.json --format html -o compare.html
  perfkit compare a1.json,a2.json b1.json,b2.json --format junit -o perf-junit.xml`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(_ *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.ab = args[0]
			} else {
				o.base, o.cand = splitList(args[0]), splitList(args[1])
			}
			return failure(runCompare(o))
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&o.gates, "gate", nil, "bound on the change from the baseline, e.g. 'p99<+10%' (repeatable)")
	f.BoolVar(&o.strict, "strict", false, "an inconclusive gate fails the comparison")
	f.Float64Var(&o.alpha, "alpha", compare.DefaultAlpha, "significance level")
	f.StringVar(&o.format, "format", "text", "text, json, markdown, html (one self-contained page) or junit (one test case per threshold and gate)")
	f.StringVarP(&o.out, "out", "o", "", "write the comparison to this file instead of stdout")
	return cmd
}

func splitList(arg string) []string {
	var out []string
	for _, p := range strings.Split(arg, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runCompare(o *compareOptions) error {
	format, err := report.ParseFormat(o.format, report.FormatText, report.FormatJSON, report.FormatMarkdown, report.FormatHTML, report.FormatJUnit)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	if o.alpha <= 0 || o.alpha >= 1 {
		return usagef("--alpha: %v out of range (0, 1)", o.alpha)
	}
	gates, err := parseGates(o.gates, "--gate")
	if err != nil {
		return err
	}
	var base, cand []*results.Result
	var ignore []string
	if o.ab != "" {
		both, err := readResults([]string{o.ab})
		if err != nil {
			return err
		}
		b, c, ok := splitSides(both[0])
		if !ok {
			return usagef("compare %s: not a result of perfkit ab (no base and candidate runs); give a BASE and a CANDIDATE file", o.ab)
		}
		base, cand, ignore = []*results.Result{b}, []*results.Result{c}, abPlanKeys
		o.base, o.cand = []string{o.ab + " (base)"}, []string{"(candidate)"}
	} else {
		if base, err = readResults(o.base); err != nil {
			return err
		}
		if cand, err = readResults(o.cand); err != nil {
			return err
		}
	}
	planGates, err := gatesOfPlan(cand[0])
	if err != nil {
		return err
	}
	c, err := judge(base, cand, append(gates, planGates...), o.strict, o.alpha, ignore)
	if err != nil {
		return err
	}
	if err := writeOutput(o.streams, o.out, func(w *outputWriter) error {
		return report.RenderComparison(w, c, format, report.Options{Color: w.color, Title: strings.Join(o.base, ",") + " → " + strings.Join(o.cand, ",")})
	}); err != nil {
		return err
	}
	if c.Verdict == compare.Fail {
		return silentExit(exitThreshold)
	}
	return nil
}

// judge compares two sides with the candidate's thresholds, profile costs
// and profile diffs.
func judge(base, cand []*results.Result, gates []compare.Gate, strict bool, alpha float64, ignorePlanKeys []string) (*compare.Comparison, error) {
	var candRuns []*results.Run
	for _, r := range cand {
		candRuns = append(candRuns, r.Runs...)
	}
	sum, err := summarize(&results.Result{Schema: results.Schema, PerfkitVersion: cand[0].PerfkitVersion, Plan: cand[0].Plan, Runs: candRuns})
	if err != nil {
		return nil, failureError(fmt.Errorf("summarize the candidate: %w", err))
	}
	c, err := compare.Compare(base, cand, compare.Options{
		Alpha:          alpha,
		Gates:          gates,
		Thresholds:     sum.Thresholds,
		Strict:         strict,
		Extra:          runCosts,
		IgnorePlanKeys: ignorePlanKeys,
		Profiles:       profileDiffs(base, cand),
	})
	if err != nil {
		return nil, failureError(fmt.Errorf("compare: %w", err))
	}
	return c, nil
}

func parseGates(exprs []string, source string) ([]compare.Gate, error) {
	var gates []compare.Gate
	var errs []error
	for _, e := range exprs {
		g, err := compare.ParseGate(e)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", source, err))
			continue
		}
		gates = append(gates, g)
	}
	if len(errs) > 0 {
		return nil, usageError(errors.Join(errs...))
	}
	return gates, nil
}

// gatesOfPlan reads `gates:` from the candidate's plan echo.
func gatesOfPlan(r *results.Result) ([]compare.Gate, error) {
	var p struct {
		Gates []string `json:"gates"`
	}
	if err := json.Unmarshal(r.Plan, &p); err != nil {
		return nil, failureError(fmt.Errorf("read the candidate's plan: %w", err))
	}
	return parseGates(p.Gates, "plan gates")
}

func readResults(paths []string) ([]*results.Result, error) {
	if len(paths) == 0 {
		return nil, usagef("no result files given")
	}
	var out []*results.Result
	for _, p := range paths {
		r, err := results.ReadFile(p)
		if err != nil {
			return nil, failureError(err)
		}
		out = append(out, r)
	}
	return out, nil
}
