package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/perfkit/perfkit/internal/demo"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

type demoOptions struct {
	streams  streams
	duration time.Duration
	vus      int
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
	cmd.Flags().DurationVarP(&o.duration, "duration", "d", 6*time.Second, "load duration per mode")
	cmd.Flags().IntVarP(&o.vus, "vus", "u", 16, "virtual users")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no live progress on stderr")
	cmd.Flags().BoolVar(&o.serve, "serve", false, "only start the orders service (with /debug/pprof) and wait for Ctrl-C, to point your own runs at")
	cmd.Flags().StringVar(&o.mode, "mode", "n+1", "with --serve: n+1 or batched")
	return cmd
}

type demoPhase struct {
	title   string
	mode    demo.Mode
	cache   bool
	sum     *results.Summary
	queries float64 // database queries per request, from the service's own counters
}

func runDemo(ctx context.Context, o *demoOptions) error {
	if o.duration <= 0 || o.vus <= 0 {
		return usagef("demo: --duration and --vus must be positive")
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
		Warmup:   time.Second,
		Endpoints: []plan.Endpoint{
			{Name: "customer-orders", URL: fmt.Sprintf("%s/api/customers/%d/orders", baseURL, customers[len(customers)/2]), Weight: 4},
			{Name: "customer-orders-2", URL: fmt.Sprintf("%s/api/customers/%d/orders", baseURL, customers[len(customers)/3]), Weight: 4},
			{Name: "health", URL: baseURL + "/healthz", Weight: 1},
		},
		Thresholds: []string{"error_rate<1%"},
	}
	p.SetDefaults()
	if err := p.Validate(); err != nil {
		return failureError(fmt.Errorf("demo plan: %w", err))
	}

	phases := []*demoPhase{
		{title: "N+1 queries (one query per order)", mode: demo.ModeNPlus1},
		{title: "batched query + cache", mode: demo.ModeBatched, cache: true},
	}
	for _, ph := range phases {
		srv.SetMode(ph.mode, ph.cache)
		before := srv.Stats()
		fmt.Fprintf(o.streams.Err, "\n== %s: %d VUs for %s ==\n", ph.title, o.vus, o.duration)
		res, err := execution{plan: p, streams: o.streams, quiet: o.quiet, label: "demo"}.run(ctx)
		if err != nil {
			return err
		}
		after := srv.Stats()
		ph.sum, err = summarize(res)
		if err != nil {
			return failureError(err)
		}
		if n := after.Requests() - before.Requests(); n > 0 {
			ph.queries = float64(after.Queries-before.Queries) / float64(n)
		}
		fmt.Fprintf(o.streams.Out, "\n== %s ==\n", ph.title)
		if err := report.Render(o.streams.Out, ph.sum, report.FormatText, report.Options{Title: "demo: " + ph.title, Color: o.streams.OutTTY && !o.streams.NoColor}); err != nil {
			return failureError(err)
		}
		if ph.sum.Status == results.StatusInterrupted {
			return silentExit(exitInterrupted)
		}
	}
	a, b := phases[0], phases[1]
	fmt.Fprintf(o.streams.Out, "\n== What changed: %s → %s ==\n", a.title, b.title)
	fmt.Fprintf(o.streams.Out, "  throughput   %s → %s (%.1f×)\n", report.FormatRate(a.sum.RPS), report.FormatRate(b.sum.RPS), safeRatio(b.sum.RPS, a.sum.RPS))
	fmt.Fprintf(o.streams.Out, "  latency p50  %s → %s\n", report.FormatDuration(a.sum.LatencyMs.P50), report.FormatDuration(b.sum.LatencyMs.P50))
	fmt.Fprintf(o.streams.Out, "  latency p99  %s → %s\n", report.FormatDuration(a.sum.LatencyMs.P99), report.FormatDuration(b.sum.LatencyMs.P99))
	fmt.Fprintf(o.streams.Out, "  queries/req  %.1f → %.1f (counted by the service)\n", a.queries, b.queries)
	fmt.Fprintf(o.streams.Out, "  errors       %d → %d\n", a.sum.Errors, b.sum.Errors)
	fmt.Fprintln(o.streams.Out, "\nNext: point perfkit at your own service: perfkit run http://127.0.0.1:8080/ -u 50 -d 30s")
	return nil
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
