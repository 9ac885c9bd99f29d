package compare

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

func gates(t *testing.T, exprs ...string) []Gate {
	t.Helper()
	var gs []Gate
	for _, e := range exprs {
		g, err := ParseGate(e)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

// rpsSide builds runs of 10 s whose two endpoints each completed the given
// number of requests, so rps is 2n/10.
func rpsSide(t *testing.T, requests ...int) []*results.Result {
	t.Helper()
	var runs []*results.Run
	for _, n := range requests {
		runs = append(runs, makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: n, windowS: 10}))
	}
	return []*results.Result{result(t, testPlan, runs...)}
}

// errorSide builds runs of 200 requests per endpoint with the given errors
// per endpoint.
func errorSide(t *testing.T, errs ...int) []*results.Result {
	t.Helper()
	var runs []*results.Run
	for _, n := range errs {
		runs = append(runs, makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 200, errors: n, windowS: 10}))
	}
	return []*results.Result{result(t, testPlan, runs...)}
}

// extraFor hands out per-run extra values by run.
func extraFor(values map[*results.Run]RunValues) func(*results.Run) (RunValues, error) {
	return func(r *results.Run) (RunValues, error) { return values[r], nil }
}

func extraSide(t *testing.T, values map[*results.Run]RunValues, name string, vs ...float64) []*results.Result {
	t.Helper()
	res := sideOf(t, slices.Repeat([]float64{10}, len(vs))...)
	for i, r := range res[0].Runs {
		values[r] = RunValues{name: vs[i]}
	}
	return res
}

func TestCompareVerdicts(t *testing.T) {
	extras := map[*results.Run]RunValues{}
	type want struct {
		verdict Status
		gates   []Status
		reasons []string // substrings, one per gate
	}
	cases := []struct {
		name       string
		base, cand []*results.Result
		opts       Options
		want       want
	}{
		{
			name: "A/A noise passes",
			base: sideOf(t, 10, 10.2, 9.9, 10.1, 10.05),
			cand: sideOf(t, 10.1, 9.95, 10.15, 10, 10.2),
			opts: Options{Gates: gates(t, "p99<+10%", "rps>-5%")},
			want: want{Pass, []Status{Pass, Pass}, []string{"within <+10%", "within >-5%"}},
		},
		{
			name: "20% slower fails",
			base: sideOf(t, 10, 10.2, 9.9, 10.1, 10.05),
			cand: sideOf(t, 12, 12.2, 11.9, 12.1, 12.05),
			opts: Options{Gates: gates(t, "p99<+10%")},
			want: want{Fail, []Status{Fail}, []string{"p99 +19.", "beyond <+10% and significant (p=0.008 n=5+5)"}},
		},
		{
			name: "significant but within the bound passes",
			base: sideOf(t, 10, 10.1, 10.2, 10.3, 10.4),
			cand: sideOf(t, 10.5, 10.6, 10.7, 10.8, 10.9),
			opts: Options{Gates: gates(t, "p99<+10%")},
			want: want{Pass, []Status{Pass}, []string{"within <+10% (p=0.008 n=5+5)"}},
		},
		{
			name: "beyond the bound but not significant is noise",
			base: sideOf(t, 10, 11, 12, 13, 14),
			cand: sideOf(t, 10.5, 12.5, 14, 15, 16),
			opts: Options{Gates: gates(t, "p99<+10%")},
			want: want{Pass, []Status{Pass}, []string{"beyond <+10% but not significant"}},
		},
		{
			name: "too few runs is inconclusive",
			base: sideOf(t, 10, 10.1, 10.2),
			cand: sideOf(t, 12, 12.1, 12.2),
			opts: Options{Gates: gates(t, "p99<+10%")},
			want: want{Inconclusive, []Status{Inconclusive}, []string{"need ≥ 4 runs per side to detect a difference at α=0.05 (have 3+3)"}},
		},
		{
			name: "too few runs fails when strict",
			base: sideOf(t, 10, 10.1, 10.2),
			cand: sideOf(t, 10, 10.1, 10.2),
			opts: Options{Gates: gates(t, "p99<+10%"), Strict: true},
			want: want{Fail, []Status{Inconclusive}, []string{"need ≥ 4 runs"}},
		},
		{
			name: "a failure outweighs an inconclusive gate",
			base: sideOf(t, 10, 10.2, 9.9, 10.1, 10.05),
			cand: sideOf(t, 12, 12.2, 11.9, 12.1, 12.05),
			opts: Options{Gates: gates(t, "cpu_per_request<+10%", "p99<+10%")},
			want: want{Fail, []Status{Inconclusive, Fail}, []string{"no cpu_per_request in either side (it comes from the target's profiles", "beyond"}},
		},
		{
			name: "throughput drop fails rps gate",
			base: rpsSide(t, 100, 101, 99, 100, 102),
			cand: rpsSide(t, 90, 91, 89, 90, 92),
			opts: Options{Gates: gates(t, "rps>-5%")},
			want: want{Fail, []Status{Fail}, []string{"rps -10.00% (median 20 req/s → 18 req/s)"}},
		},
		{
			name: "error rate up 5pp fails",
			base: errorSide(t, 0, 0, 0, 0, 0),
			cand: errorSide(t, 10, 10, 11, 10, 9),
			opts: Options{Gates: gates(t, "error_rate<+1pp", "error_rate<+50%")},
			want: want{Fail, []Status{Fail, Fail}, []string{"error_rate +5.00pp (median 0% → 5%)", "error_rate +∞% (from 0)"}},
		},
		{
			name: "error rate up 0.5pp passes a 1pp gate",
			base: errorSide(t, 0, 0, 0, 0, 0),
			cand: errorSide(t, 1, 1, 1, 1, 1),
			opts: Options{Gates: gates(t, "error_rate<+1pp")},
			want: want{Pass, []Status{Pass}, []string{"+0.50pp"}},
		},
		{
			name: "allocations up 20% fail",
			base: extraSide(t, extras, MetricAllocBytesPerRequest, 1000, 1010, 990, 1005, 995),
			cand: extraSide(t, extras, MetricAllocBytesPerRequest, 1200, 1210, 1190, 1205, 1195),
			opts: Options{Gates: gates(t, "alloc_bytes_per_request<+15%"), Extra: extraFor(extras)},
			want: want{Fail, []Status{Fail}, []string{"alloc_bytes_per_request +20.00% (median 1000 B → 1200 B)"}},
		},
		{
			name: "cpu on one side only is inconclusive",
			base: sideOf(t, 10, 10, 10, 10, 10),
			cand: extraSide(t, extras, MetricCPUPerRequest, 1, 2, 3, 4, 5),
			opts: Options{Gates: gates(t, "cpu_per_request<+10%"), Extra: extraFor(extras)},
			want: want{Inconclusive, []Status{Inconclusive}, []string{"no cpu_per_request in the base runs"}},
		},
		{
			name: "a failed threshold fails a passing comparison",
			base: sideOf(t, 10, 10, 10, 10, 10),
			cand: sideOf(t, 10, 10, 10, 10, 10),
			opts: Options{Gates: gates(t, "p99<+10%"), Thresholds: []results.ThresholdResult{{Expr: "p95<5ms", Value: 10}}},
			want: want{Fail, []Status{Pass}, []string{"p99 +0.00%"}},
		},
		{
			name: "a threshold that could not be judged fails",
			base: sideOf(t, 10, 10, 10, 10, 10),
			cand: sideOf(t, 10, 10, 10, 10, 10),
			opts: Options{Thresholds: []results.ThresholdResult{{Expr: "p95{endpoint=x}<5ms", Error: "no endpoint named \"x\""}}},
			want: want{verdict: Fail},
		},
		{
			name: "no gates, no thresholds passes",
			base: sideOf(t, 10, 10, 10, 10, 10),
			cand: sideOf(t, 20, 20, 20, 20, 20),
			want: want{verdict: Pass},
		},
		{
			name: "a gate on an unlisted percentile adds its row",
			base: sideOf(t, 10, 10.2, 9.9, 10.1, 10.05),
			cand: sideOf(t, 12, 12.2, 11.9, 12.1, 12.05),
			opts: Options{Gates: gates(t, "p75<+10%", "ttfb_p75<+50%")},
			want: want{Fail, []Status{Fail, Pass}, []string{"p75 +19.", "ttfb_p75 +19."}},
		},
		{
			name: "a stricter alpha needs more runs",
			base: sideOf(t, 10, 10.2, 9.9, 10.1),
			cand: sideOf(t, 12, 12.2, 11.9, 12.1),
			opts: Options{Gates: gates(t, "p99<+10%"), Alpha: 0.01},
			want: want{Inconclusive, []Status{Inconclusive}, []string{"need ≥ 5 runs per side to detect a difference at α=0.01 (have 4+4)"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Compare(c.base, c.cand, c.opts)
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if got.Verdict != c.want.verdict {
				t.Errorf("verdict: got %v, want %v (gates %+v)", got.Verdict, c.want.verdict, got.Gates)
			}
			if len(got.Gates) != len(c.want.gates) {
				t.Fatalf("gates: got %d, want %d", len(got.Gates), len(c.want.gates))
			}
			for i, g := range got.Gates {
				if g.Status != c.want.gates[i] {
					t.Errorf("gate %s: got %v, want %v (%s)", g.Expr, g.Status, c.want.gates[i], g.Reason)
				}
				if !strings.Contains(g.Reason, c.want.reasons[i]) {
					t.Errorf("gate %s reason: got %q, want it to contain %q", g.Expr, g.Reason, c.want.reasons[i])
				}
			}
		})
	}
}

func TestCompareEndpointGate(t *testing.T) {
	side := func(list, create float64) []*results.Result {
		var runs []*results.Run
		for i := range 5 {
			d := float64(i) * 0.05
			runs = append(runs, makeRun(t, runSpec{latencyMs: []float64{list + d, create + d}, requests: 100, windowS: 10}))
		}
		return []*results.Result{result(t, testPlan, runs...)}
	}
	c, err := Compare(side(10, 20), side(10, 24), Options{Gates: gates(t, "p99{endpoint=list}<+10%", "p99{endpoint=create}<+10%")})
	if err != nil {
		t.Fatal(err)
	}
	if c.Gates[0].Status != Pass || c.Gates[1].Status != Fail {
		t.Errorf("got %v and %v, want pass and fail: %+v", c.Gates[0].Status, c.Gates[1].Status, c.Gates)
	}
	if got, want := *c.Gates[1].Change, 20.0; got < want-0.2 || got > want+0.2 {
		t.Errorf("change: got %v, want about %v", got, want)
	}
}

func TestCompareMetrics(t *testing.T) {
	var base, cand []*results.Run
	for i := range 6 {
		d := float64(i)
		base = append(base, makeRun(t, runSpec{latencyMs: []float64{10 + d, 30 + d}, requests: 100 + i, errors: 1, windowS: 10, open: true}))
		cand = append(cand, makeRun(t, runSpec{latencyMs: []float64{10 + d, 30 + d}, requests: 100 + i, errors: 1, windowS: 10, open: true}))
	}
	c, err := Compare([]*results.Result{result(t, testPlan, base...)}, []*results.Result{result(t, testPlan, cand...)}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range c.Metrics {
		names = append(names, m.Name)
	}
	wantNames := []string{
		"rps", "error_rate", "p50", "p90", "p95", "p99", "p99.9", "service_p50", "service_p99", "ttfb_p50", "ttfb_p99",
		"rps{endpoint=list}", "error_rate{endpoint=list}", "p50{endpoint=list}", "p99{endpoint=list}",
		"rps{endpoint=create}", "error_rate{endpoint=create}", "p50{endpoint=create}", "p99{endpoint=create}",
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("metrics:\ngot  %v\nwant %v", names, wantNames)
	}
	byName := map[string]Metric{}
	for _, m := range c.Metrics {
		byName[m.Name] = m
	}
	rps := byName["rps"]
	// Runs of 200..210 requests over 10 s: medians of 20.0..21.0 rps.
	if rps.BaseN != 6 || rps.CandidateN != 6 || *rps.Base != 20.5 || rps.Unit != UnitRPS {
		t.Errorf("rps: got n=%d+%d median %v unit %q, want 6+6, 20.5, req/s", rps.BaseN, rps.CandidateN, *rps.Base, rps.Unit)
	}
	if rps.BaseLo == nil || rps.BaseHi == nil || *rps.BaseLo != 20 || *rps.BaseHi != 21 {
		t.Errorf("rps interval: got %v..%v, want 20..21", rps.BaseLo, rps.BaseHi)
	}
	if rps.Significant || rps.PValue == nil || *rps.PValue != 1 || *rps.DeltaPct != 0 {
		t.Errorf("identical sides: got p=%v significant=%v delta=%v, want p=1, not significant, 0", rps.PValue, rps.Significant, rps.DeltaPct)
	}
	if p99 := byName["p99{endpoint=create}"]; *p99.Base < 32 || *p99.Base > 33.1 || p99.Unit != UnitMs {
		t.Errorf("p99{endpoint=create}: got %v %s, want about 32.5 ms", *p99.Base, p99.Unit)
	}
	if e := byName["error_rate"]; *e.Base < 0.0095 || *e.Base > 0.0100 || e.Unit != UnitRatio {
		t.Errorf("error_rate: got %v, want about 2/205", *e.Base)
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: got %q, want none with 6 runs per side", c.Warnings)
	}
}

func TestCompareDropsEmptyRows(t *testing.T) {
	side := func() []*results.Result {
		var runs []*results.Run
		for range 5 {
			runs = append(runs, makeRun(t, runSpec{latencyMs: []float64{1}, endpoints: []string{"default"}, requests: 50, windowS: 5, noResponse: true}))
		}
		return []*results.Result{result(t, testPlan, runs...)}
	}
	c, err := Compare(side(), side(), Options{Gates: gates(t, "ttfb_p99<+10%")})
	if err != nil {
		t.Fatal(err)
	}
	var ttfb []string
	for _, m := range c.Metrics {
		if strings.HasPrefix(m.Name, "ttfb") {
			ttfb = append(ttfb, m.Name)
		}
	}
	// ttfb_p50 is gone; ttfb_p99 stays because a gate names it.
	if !slices.Equal(ttfb, []string{"ttfb_p99"}) {
		t.Errorf("ttfb rows: got %v, want [ttfb_p99]", ttfb)
	}
	if g := c.Gates[0]; g.Status != Inconclusive || !strings.Contains(g.Reason, "no ttfb_p99 in either side") {
		t.Errorf("gate: got %v %q, want inconclusive for lack of data", g.Status, g.Reason)
	}
}

func TestCompareFootnotes(t *testing.T) {
	c, err := Compare(sideOf(t, 10, 11), sideOf(t, 10, 11, 12, 13, 14), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"need ≥ 6 runs per side for a 95% confidence interval (shown as ±∞)",
		"need ≥ 4 runs per side to detect a difference at α=0.05 (have 2+5)",
	}
	if !slices.Equal(c.Warnings, want) {
		t.Errorf("warnings:\ngot  %q\nwant %q", c.Warnings, want)
	}
	for _, m := range c.Metrics {
		if !slices.Equal(m.Notes, []int{1, 2}) || m.PValue != nil || m.Significant {
			t.Errorf("%s: got notes %v p %v, want notes [1 2] and no p-value", m.Name, m.Notes, m.PValue)
		}
	}
}

func TestComparePlanWarnings(t *testing.T) {
	run := func() *results.Run {
		return makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 10, windowS: 1})
	}
	cases := []struct {
		name       string
		base, cand []string // plan echo per file
		ignore     []string
		want       string // "" for no plan warning
	}{
		{"same", []string{testPlan}, []string{testPlan}, nil, ""},
		{"key order and spacing", []string{`{"a":1,"b":[1, 2]}`}, []string{`{"b":[1,2], "a":1}`}, nil, ""},
		{"two keys differ", []string{`{"duration":"10s","vus":10,"name":"x"}`}, []string{`{"name":"x","vus":20,"duration":"30s"}`}, nil,
			"the candidate ran a different plan than the base (differs in duration, vus): the comparison may not be like for like"},
		{"a key only on one side", []string{`{"rate":5}`}, []string{`{"rate":5,"stages":[]}`}, nil, "(differs in stages)"},
		{"ignored keys", []string{`{"endpoints":[{"url":"http://a"}],"vus":1}`}, []string{`{"endpoints":[{"url":"http://b"}],"vus":1}`}, []string{"endpoints"}, ""},
		{"not objects", []string{`[1]`}, []string{`{"a":1}`}, nil, "(not comparable key by key)"},
		{"second base file", []string{testPlan, `{"vus":3}`}, []string{testPlan}, nil, "base file 2 ran a different plan than base file 1 (differs in duration, vus)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var base, cand []*results.Result
			for _, p := range c.base {
				base = append(base, result(t, p, run()))
			}
			for _, p := range c.cand {
				cand = append(cand, result(t, p, run()))
			}
			got, err := Compare(base, cand, Options{IgnorePlanKeys: c.ignore})
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for _, w := range got.Warnings {
				if strings.Contains(w, "plan") {
					plan = append(plan, w)
				}
			}
			switch {
			case c.want == "" && len(plan) > 0:
				t.Errorf("got plan warnings %q, want none", plan)
			case c.want != "" && (len(plan) != 1 || !strings.Contains(plan[0], c.want)):
				t.Errorf("got plan warnings %q, want one containing %q", plan, c.want)
			}
		})
	}
}

func TestCompareFileAndRunWarnings(t *testing.T) {
	base := sideOf(t, 10, 10, 10, 10)
	cand := []*results.Result{result(t, testPlan,
		makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 10, windowS: 1, interrupt: true}),
		makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 10, windowS: 1, open: true, dropped: 3}),
		makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 10, windowS: 1, open: true}),
		makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 10, windowS: 1, open: true}),
	)}
	cand[0].PerfkitVersion = "v1.1.0"
	cand[0].Schema = "perfkit.result/v2"
	c, err := Compare(base, cand, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`the candidate has schema "perfkit.result/v2" and the base "perfkit.result/v1"`,
		"different perfkit versions (base v1.0.0; candidate v1.1.0)",
		"1 of 4 candidate runs were interrupted",
		"perfkit fell behind its schedule in 1 of 4 candidate runs",
	} {
		if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
			t.Errorf("warnings %q: none contains %q", c.Warnings, want)
		}
	}
	// The sides' first runs share a model, so there is no model warning.
	if slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, " model") }) {
		t.Errorf("warnings %q: got a model warning for equal models", c.Warnings)
	}
}

func TestCompareModelWarning(t *testing.T) {
	open := []*results.Result{result(t, testPlan, makeRun(t, runSpec{latencyMs: []float64{10, 10}, requests: 10, windowS: 1, open: true}))}
	c, err := Compare(sideOf(t, 10), open, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := "the base ran the closed-constant model and the candidate the open-constant model"
	if !slices.ContainsFunc(c.Warnings, func(w string) bool { return strings.Contains(w, want) }) {
		t.Errorf("warnings %q: none contains %q", c.Warnings, want)
	}
}

func TestCompareExtraErrors(t *testing.T) {
	base, cand := sideOf(t, 10, 10, 10, 10), sideOf(t, 10, 10, 10, 10)
	c, err := Compare(base, cand, Options{Extra: func(r *results.Run) (RunValues, error) {
		if r == base[0].Runs[1] {
			return nil, errors.New("cpu profile busy")
		}
		return RunValues{MetricCPUPerRequest: 1000}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(c.Warnings, "base run 2 has no per-request target costs: cpu profile busy") {
		t.Errorf("warnings: got %q, want the failed run named", c.Warnings)
	}
	for _, m := range c.Metrics {
		if m.Name == MetricCPUPerRequest && (m.BaseN != 3 || m.CandidateN != 4 || m.Unit != UnitNs) {
			t.Errorf("cpu_per_request: got n=%d+%d unit %q, want 3+4 ns", m.BaseN, m.CandidateN, m.Unit)
		}
	}
}

func TestCompareErrors(t *testing.T) {
	ok := sideOf(t, 10)
	cases := []struct {
		name       string
		base, cand []*results.Result
		opts       Options
		want       string
	}{
		{"no base", nil, ok, Options{}, "no base results"},
		{"nil candidate", ok, []*results.Result{nil}, Options{}, "candidate result 1 is nil"},
		{"no runs", ok, []*results.Result{{Schema: results.Schema}}, Options{}, "the candidate results hold no runs"},
		{"alpha", ok, ok, Options{Alpha: 1.5}, "alpha 1.5 out of range"},
		{"hand-made gate", ok, ok, Options{Gates: []Gate{{Metric: "p99", Op: "==", Bound: 1, Unit: "%"}}}, `unsupported operator "=="`},
		{"extra shadows a metric", ok, ok, Options{Extra: func(*results.Run) (RunValues, error) { return RunValues{"p99": 1}, nil }}, `extra value "p99" has the name of a built-in metric`},
		{"extra name", ok, ok, Options{Extra: func(*results.Run) (RunValues, error) { return RunValues{"Bad Name": 1}, nil }}, `extra value "Bad Name"`},
	}
	for _, c := range cases {
		_, err := Compare(c.base, c.cand, c.opts)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestCompareHandMadeGateIsCanonical(t *testing.T) {
	g := Gate{Metric: "p99.90", Op: "<", Bound: 10, Unit: GatePercent}
	c, err := Compare(sideOf(t, 10, 10, 10, 10), sideOf(t, 12, 12.1, 12.2, 12.3), Options{Gates: []Gate{g}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Gates[0]; got.Metric != "p99.9" || got.Expr != "p99.9<+10%" || got.Status != Fail {
		t.Errorf("got %+v, want metric p99.9, expr p99.9<+10%%, fail", got)
	}
}

func TestComparisonJSON(t *testing.T) {
	c, err := Compare(sideOf(t, 10, 10.1, 10.2, 10.3, 10.4), sideOf(t, 12, 12.1), Options{
		Gates:    gates(t, "p99<+10%"),
		Profiles: []json.RawMessage{json.RawMessage(`{"schema":"perfkit.profilediff/v1","type":"cpu"}`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema   string                       `json:"schema"`
		Verdict  string                       `json:"verdict"`
		Metrics  []map[string]json.RawMessage `json:"metrics"`
		Gates    []map[string]json.RawMessage `json:"gates"`
		Profiles []json.RawMessage            `json:"profiles"`
		Warnings []string                     `json:"warnings"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != Schema || doc.Verdict != "inconclusive" || len(doc.Profiles) != 1 || len(doc.Warnings) == 0 {
		t.Errorf("got schema %q verdict %q %d profiles %d warnings", doc.Schema, doc.Verdict, len(doc.Profiles), len(doc.Warnings))
	}
	for _, key := range []string{"name", "base", "candidate", "delta_pct", "p_value", "significant", "base_n", "candidate_n", "base_lo", "candidate_hi"} {
		if _, ok := doc.Metrics[0][key]; !ok {
			t.Errorf("metric has no %q key", key)
		}
	}
	// Too few candidate runs: no p-value, and null rather than 0.
	if got := string(doc.Metrics[0]["p_value"]); got != "null" {
		t.Errorf("p_value: got %s, want null", got)
	}
	for _, key := range []string{"expr", "status", "reason"} {
		if _, ok := doc.Gates[0][key]; !ok {
			t.Errorf("gate has no %q key", key)
		}
	}
}
