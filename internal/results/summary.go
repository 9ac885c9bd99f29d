package results

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/perfkit/perfkit/internal/hdr"
	"github.com/perfkit/perfkit/internal/threshold"
)

// SummarySchema versions the summary JSON (DESIGN.md).
const SummarySchema = "perfkit.summary/v1"

// Self-check limits: beyond these the generator did not keep up and its
// latency and rate figures describe perfkit as much as the target.
const (
	BehindLagP99 = 10 * time.Millisecond
)

// Summary is the view every report renders. It is computed from a Result
// alone, so a report made later from the file equals the live one.
type Summary struct {
	Schema        string            `json:"schema"`
	Status        string            `json:"status"`
	Model         string            `json:"model"`
	Runs          int               `json:"runs"`
	Requests      int64             `json:"requests"`
	Errors        int64             `json:"errors"`
	ErrorRate     float64           `json:"error_rate"`
	DurationS     float64           `json:"duration_s"`
	RPS           float64           `json:"rps"`
	BytesIn       int64             `json:"bytes_in"`
	BytesOut      int64             `json:"bytes_out"`
	LatencyMs     LatencyMs         `json:"latency_ms"`
	ServiceTimeMs *LatencyMs        `json:"service_time_ms,omitempty"`
	TTFBMs        LatencyMs         `json:"ttfb_ms"`
	StatusCodes   map[string]int64  `json:"status_codes"`
	ErrorKinds    map[string]int64  `json:"error_kinds"`
	Endpoints     []EndpointSummary `json:"endpoints"`
	Phases        PhasesSummary     `json:"phases"`
	Thresholds    []ThresholdResult `json:"thresholds"`
	Generator     GeneratorSummary  `json:"generator"`
	Target        *TargetSummary    `json:"target,omitempty"`
	Warnings      []string          `json:"warnings"`
}

// TargetSummary is what the target itself spent, from its resource
// metrics (--metrics) and its profiles (--profile). Pointers are nil when
// the run has no such data.
type TargetSummary struct {
	MetricsSource       string          `json:"metrics_source,omitempty"`
	MetricsStatus       string          `json:"metrics_status,omitempty"`
	MetricsError        string          `json:"metrics_error,omitempty"`
	CPUSeconds          *float64        `json:"cpu_s,omitempty"`
	CPUUsPerRequest     *float64        `json:"cpu_us_per_request,omitempty"`
	GCPauseUsPerRequest *float64        `json:"gc_pause_us_per_request,omitempty"`
	ResidentBytesMax    *float64        `json:"resident_bytes_max,omitempty"`
	HeapBytesMax        *float64        `json:"heap_bytes_max,omitempty"`
	GoroutinesMax       *float64        `json:"goroutines_max,omitempty"`
	OpenFDsMax          *float64        `json:"open_fds_max,omitempty"`
	Profile             *ProfileSummary `json:"profile,omitempty"`
}

// ProfileSummary is the per-request cost the target's pprof profiles show.
// It is filled by the profile analysis (internal/pprofcollect), which
// depends on this package and so cannot be called from it.
type ProfileSummary struct {
	CPUUsPerRequest      *float64         `json:"cpu_us_per_request,omitempty"`
	AllocBytesPerRequest *float64         `json:"alloc_bytes_per_request,omitempty"`
	AllocsPerRequest     *float64         `json:"allocs_per_request,omitempty"`
	TopCPU               []FunctionCost   `json:"top_cpu"`
	Statuses             []ProfileOutcome `json:"statuses"`
	GoroutinesEnd        *float64         `json:"goroutines_end,omitempty"`
	GoroutinesAfterDrain *float64         `json:"goroutines_after_drain,omitempty"`
	Warnings             []string         `json:"warnings,omitempty"`
}

// FunctionCost is one function's CPU per request, in microseconds.
type FunctionCost struct {
	Function string  `json:"function"`
	FlatUs   float64 `json:"flat_us"`
	CumUs    float64 `json:"cum_us"`
}

// ProfileOutcome counts capture attempts of one kind by status.
type ProfileOutcome struct {
	Kind   string `json:"kind"`
	Status string `json:"status"`
	Count  int    `json:"count"`
	Error  string `json:"error,omitempty"`
}

// LatencyMs is a latency distribution in milliseconds.
type LatencyMs struct {
	Min  float64 `json:"min"`
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
}

// EndpointSummary is the summary of one named endpoint.
type EndpointSummary struct {
	Name          string           `json:"name"`
	Requests      int64            `json:"requests"`
	Errors        int64            `json:"errors"`
	ErrorRate     float64          `json:"error_rate"`
	RPS           float64          `json:"rps"`
	LatencyMs     LatencyMs        `json:"latency_ms"`
	ServiceTimeMs *LatencyMs       `json:"service_time_ms,omitempty"`
	TTFBMs        LatencyMs        `json:"ttfb_ms"`
	StatusCodes   map[string]int64 `json:"status_codes"`
	ErrorKinds    map[string]int64 `json:"error_kinds"`
}

// PhaseMs summarises one connection phase over the connections dialed.
type PhaseMs struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
	Max   float64 `json:"max"`
}

// PhasesSummary holds the connection set-up phases.
type PhasesSummary struct {
	DNS     PhaseMs `json:"dns_ms"`
	Connect PhaseMs `json:"connect_ms"`
	TLS     PhaseMs `json:"tls_ms"`
	// Reused counts the requests sent on a connection an earlier request
	// opened, and ConnectionReuse their share of all requests (warm-up
	// included on both sides, as connections carry across it). A low
	// share under keep-alive means the target or a proxy closes
	// connections, and handshakes are part of the latency.
	Reused          int64   `json:"reused"`
	ConnectionReuse float64 `json:"connection_reuse"`
}

// ThresholdResult is one threshold judged against the run. Value is in the
// threshold's base unit (milliseconds, a 0..1 fraction, req/s or a count).
type ThresholdResult struct {
	Expr  string  `json:"expr"`
	OK    bool    `json:"ok"`
	Value float64 `json:"value"`
	Error string  `json:"error,omitempty"`
}

// GeneratorSummary is perfkit's own health during the run.
type GeneratorSummary struct {
	Dropped         int64   `json:"dropped"`
	SendLagP50Ms    float64 `json:"send_lag_p50_ms"`
	SendLagP99Ms    float64 `json:"send_lag_p99_ms"`
	CPUSeconds      float64 `json:"cpu_s"`
	CPUUsPerRequest float64 `json:"cpu_us_per_request"`
	GOMAXPROCS      int     `json:"gomaxprocs"`
	MaxVUs          int64   `json:"max_vus"`
	Behind          bool    `json:"behind"`
}

// Open reports whether model is an open (arrival-rate) model.
func Open(model string) bool { return strings.HasPrefix(model, "open") }

// Summarize computes the summary of a result, pooling its runs, and judges
// the plan's thresholds plus any extra ones.
func Summarize(res *Result, extra ...string) (*Summary, error) {
	run, err := Pool(res.Runs)
	if err != nil {
		return nil, err
	}
	var plan struct {
		Thresholds []string `json:"thresholds"`
	}
	if err := json.Unmarshal(res.Plan, &plan); err != nil {
		return nil, fmt.Errorf("plan: %w", err)
	}
	open := Open(run.Model)
	window := run.WindowSeconds()
	s := &Summary{
		Schema: SummarySchema, Status: run.Status, Model: run.Model, Runs: len(res.Runs),
		Requests: run.Totals.Requests, Errors: run.Totals.Errors,
		ErrorRate: ratio(run.Totals.Errors, run.Totals.Requests),
		DurationS: window, RPS: perSecond(run.Totals.Requests, window),
		BytesIn: run.Totals.BytesIn, BytesOut: run.Totals.BytesOut,
		LatencyMs: latencyMs(run.Totals.Latency), TTFBMs: latencyMs(run.Totals.TTFB),
		StatusCodes: run.Totals.StatusCodes, ErrorKinds: run.Totals.ErrorKinds,
		Phases:     phasesSummary(run),
		Thresholds: []ThresholdResult{},
		Warnings:   append([]string{}, run.Warnings...),
	}
	if open {
		l := latencyMs(run.Totals.Service)
		s.ServiceTimeMs = &l
	}
	for _, e := range run.Endpoints {
		es := EndpointSummary{
			Name: e.Name, Requests: e.Requests, Errors: e.Errors,
			ErrorRate: ratio(e.Errors, e.Requests), RPS: perSecond(e.Requests, window),
			LatencyMs: latencyMs(e.Latency), TTFBMs: latencyMs(e.TTFB),
			StatusCodes: e.StatusCodes, ErrorKinds: e.ErrorKinds,
		}
		if open {
			l := latencyMs(e.Service)
			es.ServiceTimeMs = &l
		}
		s.Endpoints = append(s.Endpoints, es)
	}

	var issued int64
	for _, iv := range run.Timeline.Intervals {
		issued += iv.Requests
	}
	g := run.Generator
	cpu := g.CPUUserS + g.CPUSysS
	s.Generator = GeneratorSummary{
		Dropped:      g.Dropped,
		SendLagP50Ms: ms(g.SendLag.Quantile(0.5)), SendLagP99Ms: ms(g.SendLag.Quantile(0.99)),
		CPUSeconds: cpu, CPUUsPerRequest: ratio(int64(cpu*1e6), issued),
		GOMAXPROCS: g.GOMAXPROCS, MaxVUs: g.MaxVUs,
	}
	if g.Dropped > 0 || (open && g.SendLag.Quantile(0.99) > BehindLagP99) {
		s.Generator.Behind = true
		s.Warnings = append(s.Warnings, fmt.Sprintf(
			"perfkit fell behind its schedule (%d requests dropped, send lag p99 %.1f ms): latency and rate figures are suspect; raise --max-vus, lower --rate, or give perfkit more CPU",
			g.Dropped, s.Generator.SendLagP99Ms))
	}
	if run.Status == StatusInterrupted {
		s.Warnings = append(s.Warnings, "the run was interrupted: these figures cover only the part that ran")
	}
	for _, r := range res.Runs {
		if r.Side != "" {
			s.Warnings = append(s.Warnings, "this file holds both sides of an A/B run (perfkit ab) and these figures pool them: compare the sides with perfkit compare FILE")
			break
		}
	}
	if run.Insecure {
		s.Warnings = append(s.Warnings, "TLS certificate verification was disabled (--insecure)")
	}
	if run.Proxy != "" {
		s.Warnings = append(s.Warnings, fmt.Sprintf("requests went through the proxy %s: latencies include it", run.Proxy))
	}
	if n := run.Totals.Latency.Overflow(); n > 0 {
		s.Warnings = append(s.Warnings, fmt.Sprintf("%d latencies exceeded the histogram range (1 h) and are counted at its top", n))
	}

	s.Target = targetSummary(res.Runs)

	for _, expr := range append(append([]string{}, plan.Thresholds...), extra...) {
		s.Thresholds = append(s.Thresholds, judge(run, expr))
	}
	return s, nil
}

// Failed lists the thresholds that did not pass.
func (s *Summary) Failed() []ThresholdResult {
	var out []ThresholdResult
	for _, t := range s.Thresholds {
		if !t.OK {
			out = append(out, t)
		}
	}
	return out
}

func judge(run *Run, expr string) ThresholdResult {
	t, err := threshold.Parse(expr)
	if err != nil {
		return ThresholdResult{Expr: expr, Error: err.Error()}
	}
	st := &run.Totals
	if t.Endpoint != "" {
		st = nil
		for i := range run.Endpoints {
			if run.Endpoints[i].Name == t.Endpoint {
				st = &run.Endpoints[i].Stats
			}
		}
		if st == nil {
			return ThresholdResult{Expr: expr, Error: fmt.Sprintf("no endpoint named %q in this run", t.Endpoint)}
		}
	}
	v, ok := metricValue(run, st, t)
	if !ok {
		return ThresholdResult{Expr: expr, Error: fmt.Sprintf("no value for %s: no requests were measured", t.Key())}
	}
	return ThresholdResult{Expr: expr, OK: t.Check(v), Value: v}
}

func metricValue(run *Run, st *Stats, t threshold.Threshold) (float64, bool) {
	var h *hdr.Histogram
	switch t.Metric {
	case "latency":
		h = st.Latency
	case "service_time":
		h = st.Service
	case "ttfb":
		h = st.TTFB
	case "error_rate":
		return ratio(st.Errors, st.Requests), st.Requests > 0
	case "checks":
		return 1 - ratio(st.Errors, st.Requests), st.Requests > 0
	case "rps":
		return perSecond(st.Requests, run.WindowSeconds()), true
	case "requests":
		return float64(st.Requests), true
	default:
		return 0, false
	}
	if h.Count() == 0 {
		return 0, false
	}
	switch t.Stat {
	case "min":
		return ms(h.Min()), true
	case "max":
		return ms(h.Max()), true
	case "mean":
		return ms(h.Mean()), true
	default:
		return ms(h.Quantile(t.Quantile)), true
	}
}

func latencyMs(h *hdr.Histogram) LatencyMs {
	return LatencyMs{
		Min: ms(h.Min()), Mean: ms(h.Mean()),
		P50: ms(h.Quantile(0.5)), P90: ms(h.Quantile(0.9)), P95: ms(h.Quantile(0.95)),
		P99: ms(h.Quantile(0.99)), P999: ms(h.Quantile(0.999)), Max: ms(h.Max()),
	}
}

func phaseMs(h *hdr.Histogram) PhaseMs {
	return PhaseMs{Count: h.Count(), P50: ms(h.Quantile(0.5)), P99: ms(h.Quantile(0.99)), Max: ms(h.Max())}
}

// ms converts to milliseconds at microsecond precision.
func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

func ratio(a, b int64) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func perSecond(n int64, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return float64(n) / seconds
}

// targetSummary puts the target's resource metrics per request: for each
// run, a counter's use is its last sample in the measured window minus its
// first, divided by the requests measured in that window; gauges report
// their maximum. Runs without metrics contribute nothing.
func targetSummary(runs []*Run) *TargetSummary {
	var t *TargetSummary
	var cpu, gc float64
	var cpuReq, gcReq int64
	for _, r := range runs {
		m := r.Target
		if m == nil {
			continue
		}
		if t == nil {
			t = &TargetSummary{MetricsSource: m.Source, MetricsStatus: m.Status, MetricsError: m.Error}
		}
		first, last := -1, -1
		for i, at := range m.Samples {
			if at.Before(r.WindowStart.Add(-500*time.Millisecond)) || at.After(r.WindowEnd.Add(500*time.Millisecond)) {
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
		}
		if first < 0 {
			continue
		}
		for _, ser := range m.Series {
			if ser.Counter {
				if last == first || ser.Values[first] == nil || ser.Values[last] == nil {
					continue
				}
				used := *ser.Values[last] - *ser.Values[first]
				switch ser.Name {
				case "cpu_seconds":
					cpu += used
					cpuReq += r.Totals.Requests
				case "gc_pause_seconds":
					gc += used
					gcReq += r.Totals.Requests
				}
				continue
			}
			var dst **float64
			switch ser.Name {
			case "resident_bytes":
				dst = &t.ResidentBytesMax
			case "heap_bytes":
				dst = &t.HeapBytesMax
			case "goroutines":
				dst = &t.GoroutinesMax
			case "open_fds":
				dst = &t.OpenFDsMax
			default:
				continue
			}
			for _, v := range ser.Values[first : last+1] {
				if v != nil && (*dst == nil || *v > **dst) {
					x := *v
					*dst = &x
				}
			}
		}
	}
	if t == nil {
		return nil
	}
	if cpuReq > 0 {
		t.CPUSeconds = &cpu
		t.CPUUsPerRequest = ptr(cpu * 1e6 / float64(cpuReq))
	}
	if gcReq > 0 {
		t.GCPauseUsPerRequest = ptr(gc * 1e6 / float64(gcReq))
	}
	return t
}

func ptr(v float64) *float64 { return &v }

func phasesSummary(run *Run) PhasesSummary {
	p := PhasesSummary{DNS: phaseMs(run.Phases.DNS), Connect: phaseMs(run.Phases.Connect), TLS: phaseMs(run.Phases.TLS)}
	var all int64
	for _, iv := range run.Timeline.Intervals {
		all += iv.Requests
	}
	p.Reused = max(all-p.Connect.Count, 0)
	p.ConnectionReuse = ratio(p.Reused, all)
	return p
}
