package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/demo"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

type demoOptions struct {
	streams  streams
	duration time.Duration
	vus      int
	rounds   int
	quiet    bool
	serve    bool
	mode     string
}

func newDemoCmd(s streams) *cobra.Command {
	o := &demoOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Load-test an embedded orders service in its N+1 and batched modes and show the difference",
		Long: `perfkit demo starts a small orders service on 127.0.0.1 (a random port), drives
load against it while it answers "list a customer's orders" with one query per
order (the N+1 pattern), then again with one batched query and a cache, and
prints both summaries and what changed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return failure(runDemo(cmd.Context(), o))
		},
	}
	cmd.Flags().DurationVarP(&o.duration, "duration", "d", 2500*time.Millisecond, "load duration of each round")
	cmd.Flags().IntVar(&o.rounds, "rounds", 4, "rounds per mode (compare needs >= 4 to judge significance)")
	cmd.Flags().IntVarP(&o.vus, "vus", "u", 16, "virtual users")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no live progress on stderr")
	cmd.Flags().BoolVar(&o.serve, "serve", false, "only start the orders service (with /debug/pprof) and wait for Ctrl-C, to point your own runs at")
	cmd.Flags().StringVar(&o.mode, "mode", "n+1", "with --serve: n+1 or batched")
	return cmd
}

type demoPhase struct {
	title      string
	mode       demo.Mode
	cache      bool
	res        *results.Result // every round of this mode
	sum        *results.Summary
	requests   int64
	queryCount int64
	queries    float64 // database queries per request, from the service's own counters
}

func runDemo(ctx context.Context, o *demoOptions) error {
	if o.duration <= demoWarmup || o.vus <= 0 || o.rounds <= 0 {
		return usagef("demo: --duration must exceed %s, --vus and --rounds must be positive", demoWarmup)
	}
	if o.serve {
		return serveDemo(ctx, o)
	}
	srv := demo.New(demo.Options{})
	baseURL, err := srv.Start()
	if err != nil {
		return failureError(fmt.Errorf("start demo service: %w", err))
	}
	defer srv.Close()
	fmt.Fprintf(o.streams.Err, "perfkit demo: orders service listening on %s\n", baseURL)

	customers := srv.CustomerIDs()
	p := &plan.Plan{
		Name:     "demo",
		VUs:      o.vus,
		Duration: o.duration,
		Warmup:   demoWarmup,
		Endpoints: []plan.Endpoint{
			{Name: "customer-orders", URL: fmt.Sprintf("%s/api/customers/%d/orders", baseURL, customers[len(customers)/2]), Weight: 4},
			{Name: "customer-orders-2", URL: fmt.Sprintf("%s/api/customers/%d/orders", baseURL, customers[len(customers)/3]), Weight: 4},
			{Name: "health", URL: baseURL + "/healthz", Weight: 1},
		},
		Thresholds: []string{"error_rate<1%"},
		Profile:    &plan.Profile{URL: baseURL + "/debug/pprof", Chunk: time.Second},
	}
	p.SetDefaults()
	if err := p.Validate(); err != nil {
		return failureError(fmt.Errorf("demo plan: %w", err))
	}
	profiler, err := pprofcollect.NewFetcher(p.Profile.URL, pprofcollect.Endpoint{}, pprofcollect.Limits{})
	if err != nil {
		return failureError(err)
	}

	phases := []*demoPhase{
		{title: "N+1 queries (one query per order)", mode: demo.ModeNPlus1},
		{title: "batched query + cache", mode: demo.ModeBatched, cache: true},
	}
	fmt.Fprintf(o.streams.Err, "perfkit demo: %d rounds of %s per mode, alternating N+1 and batched+cache, %d VUs, profiling the service\n", o.rounds, o.duration, o.vus)
	// Rounds alternate the modes (A B A B …) so drift in a shared machine
	// hits both alike, and give compare one replicate per round.
	for round := range o.rounds {
		for _, ph := range phases {
			srv.SetMode(ph.mode, ph.cache)
			before := srv.Stats()
			x := execution{plan: p, streams: o.streams, quiet: o.quiet, profiler: profiler,
				label: fmt.Sprintf("%s %d/%d", ph.mode, round+1, o.rounds)}
			res, err := x.run(ctx)
			if err != nil {
				return err
			}
			after := srv.Stats()
			ph.requests += after.Requests() - before.Requests()
			ph.queryCount += after.Queries - before.Queries
			if ph.res == nil {
				ph.res = res
			} else {
				ph.res.Runs = append(ph.res.Runs, res.Runs...)
			}
			if res.Runs[0].Status == results.StatusInterrupted {
				return silentExit(exitInterrupted)
			}
		}
	}
	color := o.streams.OutTTY && !o.streams.NoColor
	for _, ph := range phases {
		if ph.sum, err = summarize(ph.res); err != nil {
			return failureError(err)
		}
		if ph.requests > 0 {
			ph.queries = float64(ph.queryCount) / float64(ph.requests)
		}
		fmt.Fprintf(o.streams.Out, "\n== %s ==\n", ph.title)
		if err := report.Render(o.streams.Out, ph.sum, report.FormatText, report.Options{Title: "demo: " + ph.title, Color: color}); err != nil {
			return failureError(err)
		}
	}
	a, b := phases[0], phases[1]
	out := o.streams.Out
	fmt.Fprintf(out, "\n== What changed: %s → %s ==\n", a.title, b.title)
	fmt.Fprintf(out, "  throughput        %s → %s (%.1f×)\n", report.FormatRate(a.sum.RPS), report.FormatRate(b.sum.RPS), safeRatio(b.sum.RPS, a.sum.RPS))
	fmt.Fprintf(out, "  latency p50       %s → %s\n", report.FormatDuration(a.sum.LatencyMs.P50), report.FormatDuration(b.sum.LatencyMs.P50))
	fmt.Fprintf(out, "  latency p99       %s → %s\n", report.FormatDuration(a.sum.LatencyMs.P99), report.FormatDuration(b.sum.LatencyMs.P99))
	fmt.Fprintf(out, "  queries/request   %.1f → %.1f (counted by the service)\n", a.queries, b.queries)
	pa, pb := profileOf(a.sum), profileOf(b.sum)
	if pa != nil && pb != nil && pa.CPUUsPerRequest != nil && pb.CPUUsPerRequest != nil {
		fmt.Fprintf(out, "  CPU/request       %s → %s (service profile; perfkit shares the process)\n",
			report.FormatDuration(*pa.CPUUsPerRequest/1000), report.FormatDuration(*pb.CPUUsPerRequest/1000))
	}
	if pa != nil && pb != nil && pa.AllocBytesPerRequest != nil && pb.AllocBytesPerRequest != nil {
		fmt.Fprintf(out, "  allocated/request %s → %s\n", report.FormatBytes(int64(*pa.AllocBytesPerRequest)), report.FormatBytes(int64(*pb.AllocBytesPerRequest)))
	}
	if f, d, ok := mainChange(a.res, b.res); ok {
		fmt.Fprintf(out, "  most of the change: %s (%s CPU/request, runs only in the %s mode)\n", f, signedDuration(d), map[bool]string{true: "N+1", false: "batched"}[d < 0])
	}

	c, err := judge([]*results.Result{a.res}, []*results.Result{b.res}, nil, false, compare.DefaultAlpha, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "\n== perfkit compare: N+1 (base) vs batched+cache (candidate), %d runs each ==\n", o.rounds)
	if err := report.RenderComparison(out, c, report.FormatText, report.Options{Color: color, Title: "demo"}); err != nil {
		return failureError(err)
	}
	fmt.Fprintln(out, "\nNext: point perfkit at your own service: perfkit run http://127.0.0.1:8080/ -u 50 -d 30s --profile http://127.0.0.1:8080/debug/pprof")
	return nil
}

// demoWarmup keeps connection set-up and the cold cache out of each round.
const demoWarmup = 500 * time.Millisecond

func profileOf(s *results.Summary) *results.ProfileSummary {
	if s.Target == nil {
		return nil
	}
	return s.Target.Profile
}

// mainChange names the function that accounts for most of the CPU change
// between two results. Candidates are the functions that run in only one
// of them (the code the change added or removed); of those that carry at
// least mainShare of the largest cumulative change, it takes the one with
// the smallest: the narrowest code path that still explains the change.
// Shared machinery under every query (a driver's exec function) then loses
// to the query the change actually removed.
func mainChange(base, cand *results.Result) (string, float64, bool) {
	bt, err1 := pprofcollect.Normalize(profilesOf(base), "cpu", pprofcollect.Limits{})
	ct, err2 := pprofcollect.Normalize(profilesOf(cand), "cpu", pprofcollect.Limits{})
	if err1 != nil || err2 != nil {
		return "", 0, false
	}
	var only []pprofcollect.DiffRow
	largest := 0.0
	for _, r := range pprofcollect.DiffTables(bt, ct).Rows {
		if r.New || r.Gone {
			only = append(only, r)
			largest = max(largest, abs(r.DeltaCum))
		}
	}
	var best pprofcollect.DiffRow
	found := false
	for _, r := range only {
		if abs(r.DeltaCum) >= mainShare*largest && (!found || abs(r.DeltaCum) < abs(best.DeltaCum)) {
			best, found = r, true
		}
	}
	return best.Function, best.DeltaCum, found && largest > 0
}

// mainShare is how much of the largest change a function must carry to
// be named as its cause.
const mainShare = 0.9

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

func signedDuration(ns float64) string {
	if ns < 0 {
		return "−" + report.FormatDuration(-ns/1e6)
	}
	return "+" + report.FormatDuration(ns/1e6)
}

func safeRatio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// serveDemo runs only the service, until interrupted.
func serveDemo(ctx context.Context, o *demoOptions) error {
	mode, err := demo.ParseMode(o.mode)
	if err != nil {
		return usageError(fmt.Errorf("--mode: %w", err))
	}
	srv := demo.New(demo.Options{Mode: mode, Cache: mode == demo.ModeBatched})
	baseURL, err := srv.Start()
	if err != nil {
		return failureError(fmt.Errorf("start demo service: %w", err))
	}
	defer srv.Close()
	ids := srv.CustomerIDs()
	fmt.Fprintf(o.streams.Out, "%s\n", baseURL)
	fmt.Fprintf(o.streams.Err, "perfkit demo: orders service (%s) on %s — try:\n  perfkit run %s/api/customers/%d/orders -d 20s --profile %s/debug/pprof\nCtrl-C stops it.\n",
		mode, baseURL, baseURL, ids[0], baseURL)
	<-ctx.Done()
	return nil
}
