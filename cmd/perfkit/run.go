package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/progress"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
	"github.com/perfkit/perfkit/internal/targetmetrics"
)

// maxCount bounds --count: enough repetitions for any statistic, few
// enough that a typo cannot queue a week of load.
const maxCount = 1000

// defaultDuration applies when neither a duration nor stages are given.
const defaultDuration = 10 * time.Second

type runOptions struct {
	streams streams

	planFile        string
	url             string
	name            string
	vus             int
	duration        string
	rate            float64
	stages          string
	maxVUs          int
	warmup          string
	gracefulStop    string
	timeout         string
	thinkTime       string
	method          string
	headers         []string
	body            string
	noKeepAlive     bool
	http2           bool
	insecure        bool
	maxBody         int64
	dnsTTL          string
	proxy           string
	thresholds      []string
	out             string
	format          string
	quiet           bool
	dryRun          bool
	metricsURL      string
	profileURL      string
	profileChunk    string
	profileInsecure bool
	count           int
	cooldown        string
	cooldownD       time.Duration
}

func newRunCmd(s streams) *cobra.Command {
	o := &runOptions{streams: s}
	cmd := &cobra.Command{
		Use:   "run [URL]",
		Short: "Drive load against a URL or a plan file and print the summary",
		Example: `  perfkit run http://127.0.0.1:8080/api/orders -u 50 -d 30s
  perfkit run URL --rate 2000 -d 1m --max-vus 500
  perfkit run URL --rate 500 --stages 30s:2000,1m:2000,10s:0
  perfkit run -f plan.yaml -o run.json --threshold 'p99<250ms' --threshold 'error_rate<1%'`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.url = args[0]
			}
			return failure(runRun(cmd.Context(), cmd.Flags(), o))
		},
	}
	o.addPlanFlags(cmd.Flags())
	f := cmd.Flags()
	f.StringVarP(&o.out, "out", "o", "", "write the result file here")
	f.StringVar(&o.format, "format", "text", "summary format: text, json or markdown")
	f.StringVar(&o.profileURL, "profile", "", "pull pprof profiles from the target during the measured window, e.g. http://127.0.0.1:6060/debug/pprof")
	o.addProfileSettingFlags(f)
	f.StringVar(&o.metricsURL, "metrics", "", "poll the target's Prometheus /metrics or expvar /debug/vars each second (CPU, memory, goroutines per request)")
	f.BoolVar(&o.dryRun, "dry-run", false, "print the resolved plan (secrets redacted) and exit without sending traffic")
	return cmd
}

// addProfileSettingFlags registers the profile settings run and ab share;
// the pprof URL itself is --profile in run and one flag per side in ab.
func (o *runOptions) addProfileSettingFlags(f *pflag.FlagSet) {
	f.StringVar(&o.profileChunk, "profile-chunk", "", "CPU profile chunk length, whole seconds (default 10s)")
	f.BoolVar(&o.profileInsecure, "profile-insecure", false, "skip TLS certificate verification of the pprof endpoint only (a self-signed debug port); --insecure does not extend to it")
}

// addPlanFlags registers the flags that build a plan and repeat it; run
// and ab share them.
func (o *runOptions) addPlanFlags(f *pflag.FlagSet) {
	f.StringVarP(&o.planFile, "file", "f", "", "plan file (YAML); flags override its keys")
	f.StringVar(&o.name, "name", "", "name of the run (shown in reports)")
	f.IntVarP(&o.vus, "vus", "u", 0, "closed model: virtual users (with --stages: the starting count)")
	f.StringVarP(&o.duration, "duration", "d", "", "how long to run, e.g. 30s, 2m (default 10s)")
	f.Float64Var(&o.rate, "rate", 0, "open model: requests per second (with --stages: the starting rate)")
	f.StringVar(&o.stages, "stages", "", "ramp as DURATION:TARGET,... e.g. 30s:50,1m:50,10s:0 (target is VUs, or req/s with --rate)")
	f.IntVar(&o.maxVUs, "max-vus", 0, "open model: most requests in flight at once; a request due when all are busy is dropped and counted")
	f.StringVar(&o.warmup, "warmup", "", "leading window kept out of the summary (still in the timeline)")
	f.StringVar(&o.gracefulStop, "graceful-stop", "", "time in-flight requests get to finish after the duration (default 10s)")
	f.StringVar(&o.timeout, "timeout", "", "per-request timeout, dial through last body byte (default 30s)")
	f.StringVar(&o.thinkTime, "think-time", "", "closed model: pause between a VU's requests")
	f.StringVarP(&o.method, "method", "X", "", "HTTP method (default GET)")
	f.StringArrayVarP(&o.headers, "header", "H", nil, `request header "Name: value" (repeatable; applies to every endpoint)`)
	f.StringVar(&o.body, "body", "", "request body; @file reads a file")
	f.BoolVar(&o.noKeepAlive, "no-keepalive", false, "dial a new connection for every request")
	f.BoolVar(&o.http2, "http2", false, "use HTTP/2 (h2 over TLS, h2c prior knowledge over http)")
	f.BoolVar(&o.insecure, "insecure", false, "skip TLS certificate verification (recorded in the result)")
	f.Int64Var(&o.maxBody, "max-body-bytes", 0, "cap on response body bytes read per response (default 10 MiB)")
	f.StringVar(&o.dnsTTL, "dns-ttl", "", "how long a DNS answer serves new connections: 0 looks up for every one (default; vegeta's -1), a duration such as 30s, or forever (vegeta's 0); new connections rotate over the answer's addresses, kept-alive ones stay on theirs")
	f.StringVar(&o.proxy, "proxy", "", "send every request through this proxy (http, https, socks5 URL), or none to go direct (default: HTTP_PROXY, HTTPS_PROXY and NO_PROXY from the environment; the result records the proxy used)")
	f.StringArrayVar(&o.thresholds, "threshold", nil, "pass/fail criterion, e.g. 'p99<250ms', 'error_rate<1%' (repeatable)")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no live progress on stderr")
	f.IntVar(&o.count, "count", 1, "run the plan N times; every repetition is kept in the one result file (compare needs >= 4)")
	f.StringVar(&o.cooldown, "cooldown", "", "pause between repetitions, e.g. 10s")
}

// resolvePlan builds the plan from the file (if any) and the flags that
// were set, then fills defaults and validates. Every problem is a usage
// error that names its input.
func resolvePlan(flags *pflag.FlagSet, o *runOptions) (*plan.Plan, error) {
	p := &plan.Plan{}
	if o.planFile != "" {
		loaded, err := plan.Load(o.planFile)
		if err != nil {
			return nil, usageError(err)
		}
		p = loaded
	}
	var errs []error
	dur := func(flag, value string, into *time.Duration) {
		if !flags.Changed(flag) {
			return
		}
		d, err := plan.ParseDuration(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", flag, err))
			return
		}
		*into = d
	}
	if flags.Changed("name") {
		p.Name = o.name
	}
	if flags.Changed("vus") {
		p.VUs = o.vus
	}
	if flags.Changed("rate") {
		p.Rate = o.rate
		p.OpenModel = true
	}
	if flags.Changed("max-vus") {
		p.MaxVUs = o.maxVUs
	}
	if flags.Changed("stages") {
		st, err := plan.ParseStages(o.stages)
		if err != nil {
			errs = append(errs, fmt.Errorf("--stages: %w", err))
		}
		p.Stages = st
		if !flags.Changed("duration") {
			p.Duration = 0
		}
	}
	dur("duration", o.duration, &p.Duration)
	dur("warmup", o.warmup, &p.Warmup)
	dur("graceful-stop", o.gracefulStop, &p.GracefulStop)
	dur("timeout", o.timeout, &p.Timeout)
	dur("think-time", o.thinkTime, &p.ThinkTime)
	if flags.Changed("no-keepalive") {
		p.NoKeepAlive = o.noKeepAlive
	}
	if flags.Changed("http2") {
		p.HTTP2 = o.http2
	}
	if flags.Changed("insecure") {
		p.Insecure = o.insecure
	}
	if flags.Changed("max-body-bytes") {
		p.MaxBodyBytes = o.maxBody
	}
	if flags.Changed("dns-ttl") {
		ttl, err := plan.ParseDNSTTL(o.dnsTTL)
		if err != nil {
			errs = append(errs, fmt.Errorf("--dns-ttl: %w", err))
		}
		p.DNSTTL = ttl
	}
	if flags.Changed("proxy") {
		p.Proxy = o.proxy
	}
	p.Thresholds = append(p.Thresholds, o.thresholds...)
	if flags.Changed("profile") {
		if p.Profile == nil {
			p.Profile = &plan.Profile{}
		}
		p.Profile.URL = o.profileURL
	}
	if flags.Changed("profile-chunk") {
		if p.Profile == nil {
			errs = append(errs, errors.New("--profile-chunk: needs --profile (or profile: in the plan)"))
		} else {
			dur("profile-chunk", o.profileChunk, &p.Profile.Chunk)
		}
	}
	if flags.Changed("profile-insecure") {
		if p.Profile == nil {
			errs = append(errs, errors.New("--profile-insecure: needs --profile (or profile: in the plan)"))
		} else {
			p.Profile.Insecure = o.profileInsecure
		}
	}

	if o.url != "" {
		switch len(p.Endpoints) {
		case 0:
			p.Endpoints = []plan.Endpoint{{URL: o.url}}
		case 1:
			p.Endpoints[0].URL = o.url
		default:
			errs = append(errs, fmt.Errorf("URL argument: the plan has %d endpoints; set URLs in the plan file instead", len(p.Endpoints)))
		}
	}
	if len(p.Endpoints) == 0 && o.planFile == "" {
		return nil, usagef("no target: give a URL (perfkit run http://127.0.0.1:8080/) or a plan file (-f plan.yaml)")
	}
	single := func(flag string) bool {
		if len(p.Endpoints) != 1 {
			errs = append(errs, fmt.Errorf("--%s: the plan has %d endpoints; set it per endpoint in the plan file", flag, len(p.Endpoints)))
			return false
		}
		return true
	}
	if flags.Changed("method") && single("method") {
		p.Endpoints[0].Method = o.method
	}
	if flags.Changed("body") && single("body") {
		body, file, err := plan.ParseBody(o.body)
		if err != nil {
			errs = append(errs, fmt.Errorf("--body: %w", err))
		}
		p.Endpoints[0].Body, p.Endpoints[0].BodyFile = body, file
	}
	for _, h := range o.headers {
		hd, err := plan.ParseHeader(h)
		if err != nil {
			errs = append(errs, fmt.Errorf("--header: %w", err))
			continue
		}
		for i := range p.Endpoints {
			p.Endpoints[i].Headers = append(p.Endpoints[i].Headers, hd)
		}
	}
	if o.count < 1 || o.count > maxCount {
		errs = append(errs, fmt.Errorf("--count: %d out of range 1..%d", o.count, maxCount))
	}
	dur("cooldown", o.cooldown, &o.cooldownD)
	if len(errs) > 0 {
		return nil, usageError(errors.Join(errs...))
	}
	if !flags.Changed("duration") && p.Duration == 0 && len(p.Stages) == 0 {
		p.Duration = defaultDuration
	}
	p.SetDefaults()
	if err := p.Validate(); err != nil {
		return nil, usageError(err)
	}
	if _, err := parseGates(p.Gates, "gates"); err != nil {
		return nil, err
	}
	return p, nil
}

func runRun(ctx context.Context, flags *pflag.FlagSet, o *runOptions) error {
	format, err := report.ParseFormat(o.format, report.FormatText, report.FormatJSON, report.FormatMarkdown)
	if err != nil {
		return usageError(fmt.Errorf("--format: %w", err))
	}
	p, err := resolvePlan(flags, o)
	if err != nil {
		return err
	}
	if o.dryRun {
		return printPlan(o.streams.Out, p)
	}
	x := execution{plan: p, streams: o.streams, quiet: o.quiet, count: o.count, cooldown: o.cooldownD}
	if p.Profile != nil {
		if x.profiler, err = newProfiler(p.Profile); err != nil {
			return usageError(fmt.Errorf("--profile: %w", err))
		}
	}
	if o.metricsURL != "" {
		if x.metrics, err = targetmetrics.New(o.metricsURL); err != nil {
			return usageError(err)
		}
	}
	res, err := x.run(ctx)
	if err != nil {
		return err
	}
	return finish(o.streams, res, o.out, format, titleOf(p))
}

// liveRefresh is how often a terminal's progress line moves between the
// engine's one-second snapshots.
const liveRefresh = 250 * time.Millisecond

// tickProgress moves the terminal progress line's clock and bar until the
// returned stop function is called.
func tickProgress(pr *progress.Printer, start time.Time) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(liveRefresh)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				pr.Tick(time.Since(start))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// finish prints the summary, writes the result file and turns the outcome
// into an exit code: interrupted beats a failed threshold, which beats ok.
// The summary is printed even when the file cannot be written.
func finish(s streams, res *results.Result, out string, format report.Format, title string) error {
	sum, err := summarize(res)
	if err != nil {
		return failureError(err)
	}
	renderErr := report.Render(s.Out, sum, format, report.Options{Color: s.OutTTY && !s.NoColor, Title: title})
	if out != "" {
		if err := results.WriteFile(out, res); err != nil {
			return failureError(fmt.Errorf("%w (the summary above is all that was kept)", err))
		}
		fmt.Fprintf(s.Err, "perfkit: result written to %s\n", out)
	}
	if renderErr != nil {
		return failureError(fmt.Errorf("print summary: %w", renderErr))
	}
	if sum.Status == results.StatusInterrupted {
		return silentExit(exitInterrupted)
	}
	if len(sum.Failed()) > 0 {
		return silentExit(exitThreshold)
	}
	return nil
}

func printPlan(w io.Writer, p *plan.Plan) error {
	b, err := json.MarshalIndent(p.Redacted(), "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

func titleOf(p *plan.Plan) string {
	if p.Name != "" {
		return p.Name
	}
	if len(p.Endpoints) == 1 {
		return p.Endpoints[0].Method + " " + p.Endpoints[0].URL
	}
	return fmt.Sprintf("%d endpoints", len(p.Endpoints))
}

// newProfiler prepares the fetches a plan's profile settings describe.
func newProfiler(pr *plan.Profile) (*pprofcollect.Fetcher, error) {
	h := http.Header{}
	for _, hd := range pr.Headers {
		h.Add(hd.Name, hd.Value)
	}
	return pprofcollect.NewFetcher(pr.URL, pprofcollect.Endpoint{Header: h, Insecure: pr.Insecure}, pprofcollect.Limits{})
}
