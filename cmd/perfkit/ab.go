package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

type abOptions struct {
	run       runOptions
	base      string
	candidate string
	gates     []string
	strict    bool
	format    string
	out       string
	// The pprof bases of the two targets: profiles need one URL per side.
	baseProfile      string
	candidateProfile string
}

func newABCmd(s streams) *cobra.Command {
	o := &abOptions{run: runOptions{streams: s}}
	cmd := &cobra.Command{
		Use:   "ab --base URL --candidate URL [-f plan.yaml | flags]",
		Short: "Run one plan against two targets interleaved (A B A B …) and compare them",
		Long: `ab is the comparison for noisy machines: it runs the same plan against a
baseline and a candidate target alternately, --count times each, so drift in
the machine hits both sides equally, then compares them like 'perfkit compare'.
Endpoint URLs keep their paths; their scheme and host are replaced by --base
or --candidate. The result file (-o) keeps both sides' runs; 'perfkit compare
FILE' compares them again later.

With --base-profile and --candidate-profile (each side's pprof base), every
run pulls that side's profiles, the comparison adds cpu_per_request and
alloc_*_per_request (gates can bound them) and the profile diffs that say
which functions changed. A plan's profile: key supplies the headers, chunk
and insecure setting both sides share.`,
		Example: `  perfkit ab --base http://127.0.0.1:8081 --candidate http://127.0.0.1:8082 -f plan.yaml --count 6 -o ab.json
  perfkit ab --base http://127.0.0.1:8081/api --candidate http://127.0.0.1:8082/api -u 20 -d 10s --count 5 --gate 'p99<+10%'
  perfkit ab --base http://127.0.0.1:8081 --candidate http://127.0.0.1:8082 -u 20 -d 15s --count 6 \
      --base-profile http://127.0.0.1:6061/debug/pprof --candidate-profile http://127.0.0.1:6062/debug/pprof \
      --gate 'cpu_per_request<+10%'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return failure(runAB(cmd.Context(), cmd, o))
		},
	}
	o.run.addPlanFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "baseline target: scheme://host:port (a path is prepended to the plan's paths)")
	f.StringVar(&o.candidate, "candidate", "", "candidate target, as --base")
	f.StringVar(&o.baseProfile, "base-profile", "", "the baseline's pprof base, e.g. http://127.0.0.1:6061/debug/pprof (with --candidate-profile)")
	f.StringVar(&o.candidateProfile, "candidate-profile", "", "the candidate's pprof base (with --base-profile)")
	o.run.addProfileSettingFlags(f)
	// Hidden: ab takes one pprof URL per side. It exists so that a
	// --profile given out of habit gets a message saying so, and so that
	// the shared settings attach to the base side's URL in resolvePlan.
	f.StringVar(&o.run.profileURL, "profile", "", "use --base-profile and --candidate-profile")
	_ = f.MarkHidden("profile") // the flag was registered on the line above
	f.StringArrayVar(&o.gates, "gate", nil, "bound on the change from base to candidate, e.g. 'p99<+10%' (repeatable)")
	f.BoolVar(&o.strict, "strict", false, "an inconclusive gate fails the comparison")
	f.StringVar(&o.format, "format", "text", "comparison format: text, json, markdown, html or junit")
	f.StringVarP(&o.out, "out", "o", "", "write the result file (both sides) here")
	return cmd
}

func runAB(ctx context.Context, cmd *cobra.Command, o *abOptions) error {
	format, err := report.ParseFormat(o.format, report.FormatText, report.FormatJSON, report.FormatMarkdown, report.FormatHTML, report.FormatJUnit)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	if o.base == "" || o.candidate == "" {
		return usagef("ab: both --base and --candidate are required")
	}
	gates, err := parseGates(o.gates, "--gate")
	if err != nil {
		return err
	}
	if o.run.planFile == "" {
		o.run.url = o.base // a plan from flags alone targets the origin's path
	}
	profiling := o.baseProfile != "" || o.candidateProfile != ""
	switch {
	case profiling && (o.baseProfile == "" || o.candidateProfile == ""):
		return usagef("ab: profiling needs both --base-profile and --candidate-profile, one pprof URL per side")
	case cmd.Flags().Changed("profile"):
		return usagef("ab: --profile names one pprof URL; give one per side with --base-profile and --candidate-profile")
	case profiling:
		for flag, u := range map[string]string{"--base-profile": o.baseProfile, "--candidate-profile": o.candidateProfile} {
			if _, err := pprofcollect.NewFetcher(u, pprofcollect.Endpoint{}, pprofcollect.Limits{}); err != nil {
				return usageError(fmt.Errorf("%s: %w", flag, err))
			}
		}
		// The shared settings (--profile-chunk, --profile-insecure, the
		// plan's headers) attach to a profile; each side replaces its URL.
		if err := cmd.Flags().Set("profile", o.baseProfile); err != nil {
			return usageError(fmt.Errorf("--base-profile: %w", err))
		}
	}
	p, err := resolvePlan(cmd.Flags(), &o.run)
	if err != nil {
		return err
	}
	if p.Profile != nil && !profiling {
		return usagef("ab: the plan's profile: key names one pprof URL; give one per side with --base-profile and --candidate-profile")
	}
	planGates, err := parseGates(p.Gates, "plan gates")
	if err != nil {
		return err
	}
	sides := map[string]*plan.Plan{}
	profilers := map[string]*pprofcollect.Fetcher{}
	for side, origin := range map[string]string{results.SideBase: o.base, results.SideCandidate: o.candidate} {
		q, err := retarget(p, origin)
		if err != nil {
			return usageError(fmt.Errorf("--%s: %w", map[string]string{results.SideBase: "base", results.SideCandidate: "candidate"}[side], err))
		}
		if profiling {
			flag, pr := "--base-profile", *p.Profile
			pr.URL = o.baseProfile
			if side == results.SideCandidate {
				flag, pr.URL = "--candidate-profile", o.candidateProfile
			}
			q.Profile = &pr
			if profilers[side], err = newProfiler(&pr); err != nil {
				return usageError(fmt.Errorf("%s: %w", flag, err))
			}
		}
		sides[side] = q
	}

	count := max(o.run.count, 1)
	res := map[string]*results.Result{}
	interrupted := false
	for i := 0; i < count && !interrupted; i++ {
		for _, side := range []string{results.SideBase, results.SideCandidate} {
			if (i > 0 || side == results.SideCandidate) && o.run.cooldownD > 0 {
				select {
				case <-ctx.Done():
				case <-time.After(o.run.cooldownD):
				}
			}
			if ctx.Err() != nil {
				interrupted = true
				break
			}
			x := execution{plan: sides[side], streams: o.run.streams, quiet: o.run.quiet, label: fmt.Sprintf("%s %d/%d", side, i+1, count), profiler: profilers[side]}
			r, err := x.run(ctx)
			if err != nil {
				return err
			}
			r.Runs[0].Side = side
			if res[side] == nil {
				res[side] = r
			} else {
				res[side].Runs = append(res[side].Runs, r.Runs...)
			}
			if r.Runs[0].Status == results.StatusInterrupted {
				interrupted = true
				break
			}
		}
	}
	if res[results.SideBase] == nil || res[results.SideCandidate] == nil {
		return silentExit(exitInterrupted)
	}
	if o.out != "" {
		both := &results.Result{Schema: results.Schema, PerfkitVersion: perfkitVersion(), Plan: res[results.SideBase].Plan}
		// Interleave as they ran, so the file reads in time order.
		b, c := res[results.SideBase].Runs, res[results.SideCandidate].Runs
		for i := 0; i < max(len(b), len(c)); i++ {
			if i < len(b) {
				both.Runs = append(both.Runs, b[i])
			}
			if i < len(c) {
				both.Runs = append(both.Runs, c[i])
			}
		}
		if err := results.WriteFile(o.out, both); err != nil {
			return failureError(err)
		}
		fmt.Fprintf(o.run.streams.Err, "perfkit: both sides written to %s\n", o.out)
	}
	c, err := judge([]*results.Result{res[results.SideBase]}, []*results.Result{res[results.SideCandidate]},
		append(gates, planGates...), o.strict, compare.DefaultAlpha, abPlanKeys)
	if err != nil {
		return err
	}
	if err := writeOutput(o.run.streams, "", func(w *outputWriter) error {
		return report.RenderComparison(w, c, format, report.Options{Color: w.color, Title: o.base + " → " + o.candidate})
	}); err != nil {
		return err
	}
	switch {
	case interrupted:
		return silentExit(exitInterrupted)
	case c.Verdict == compare.Fail:
		return silentExit(exitThreshold)
	}
	return nil
}

// abPlanKeys differ between the two sides of an A/B run by design.
var abPlanKeys = []string{"endpoints", "profile"}

// retarget returns a copy of p whose endpoint URLs point at origin: its
// scheme and host replace theirs, and its path, if any, is prepended.
func retarget(p *plan.Plan, origin string) (*plan.Plan, error) {
	o, err := url.Parse(origin)
	if err != nil || (o.Scheme != "http" && o.Scheme != "https") || o.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) origin such as http://127.0.0.1:8081", origin)
	}
	q := *p
	q.Endpoints = append([]plan.Endpoint(nil), p.Endpoints...)
	prefix := strings.TrimSuffix(o.Path, "/")
	for i := range q.Endpoints {
		u, err := url.Parse(q.Endpoints[i].URL)
		if err != nil {
			return nil, fmt.Errorf("endpoint %s: %w", q.Endpoints[i].Name, err)
		}
		u.Scheme, u.Host, u.User = o.Scheme, o.Host, o.User
		if prefix != "" && !strings.HasPrefix(u.Path, prefix) {
			u.Path = prefix + u.Path
		}
		q.Endpoints[i].URL = u.String()
	}
	return &q, nil
}

// splitSides separates the runs of an A/B result file into its two sides.
func splitSides(r *results.Result) (base, cand *results.Result, ok bool) {
	base = &results.Result{Schema: r.Schema, PerfkitVersion: r.PerfkitVersion, Plan: json.RawMessage(r.Plan)}
	cand = &results.Result{Schema: r.Schema, PerfkitVersion: r.PerfkitVersion, Plan: json.RawMessage(r.Plan)}
	for _, run := range r.Runs {
		switch run.Side {
		case results.SideBase:
			base.Runs = append(base.Runs, run)
		case results.SideCandidate:
			cand.Runs = append(cand.Runs, run)
		}
	}
	return base, cand, len(base.Runs) > 0 && len(cand.Runs) > 0
}
