package compare

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/perfkit/perfkit/internal/results"
)

// Schema versions the comparison JSON (DESIGN.md).
const Schema = "perfkit.compare/v1"

// DefaultAlpha is the significance level when Options.Alpha is 0, as in
// benchstat.
const DefaultAlpha = 0.05

// Status is the outcome of a gate, or of the whole comparison.
type Status string

// Outcomes.
const (
	Pass         Status = "pass"
	Fail         Status = "fail"
	Inconclusive Status = "inconclusive"
)

// Options configures Compare.
type Options struct {
	// Alpha is the significance level: a change is significant when the
	// U test's p-value is below it. DefaultAlpha when 0.
	Alpha float64
	// Gates bound the change of metrics (see ParseGate).
	Gates []Gate
	// Thresholds are the absolute limits judged on the candidate, as
	// results.Summarize reports them; any that did not pass fails the
	// comparison.
	Thresholds []results.ThresholdResult
	// Strict makes an inconclusive gate fail the comparison.
	Strict bool
	// Extra supplies a run's extra per-run values, such as
	// MetricCPUPerRequest from its profiles. An error leaves the run
	// without extra values and becomes a warning: profiles are optional
	// evidence and never stop a comparison.
	Extra func(run *results.Run) (RunValues, error)
	// IgnorePlanKeys are top-level plan keys whose differences are
	// expected, such as "endpoints" when one plan runs against two targets
	// (perfkit ab); they are left out of the plan-mismatch warning.
	IgnorePlanKeys []string
	// Profiles are profile diff documents (perfkit.profilediff/v1) to
	// carry in the comparison as they are.
	Profiles []json.RawMessage
}

func (o *Options) setDefaults() {
	if o.Alpha == 0 {
		o.Alpha = DefaultAlpha
	}
}

// Comparison is the answer: every metric per side, the gates and
// thresholds, and a verdict. Its JSON form is the perfkit.compare/v1
// document.
type Comparison struct {
	Schema     string                    `json:"schema"`
	Verdict    Status                    `json:"verdict"`
	Strict     bool                      `json:"strict"`
	Alpha      float64                   `json:"alpha"`
	Confidence float64                   `json:"confidence"`
	BaseRuns   int                       `json:"base_runs"`
	CandRuns   int                       `json:"candidate_runs"`
	Metrics    []Metric                  `json:"metrics"`
	Gates      []GateResult              `json:"gates"`
	Thresholds []results.ThresholdResult `json:"thresholds"`
	Profiles   []json.RawMessage         `json:"profiles"`
	// Warnings are numbered footnotes: Metric.Notes refer to them by
	// position, counting from 1.
	Warnings []string `json:"warnings"`
}

// Metric is one quantity on both sides. Base and Candidate are medians of
// the per-run values; they, the intervals and the test results are nil when
// a side has no value (JSON null), since 0 would be a measurement.
type Metric struct {
	Name      string   `json:"name"`
	Unit      string   `json:"unit"`
	Base      *float64 `json:"base"`
	Candidate *float64 `json:"candidate"`
	// Delta is Candidate - Base in Unit; DeltaPct the same relative to
	// Base, nil when Base is 0 and Candidate is not.
	Delta       *float64 `json:"delta"`
	DeltaPct    *float64 `json:"delta_pct"`
	PValue      *float64 `json:"p_value"`
	Significant bool     `json:"significant"`
	// The confidence intervals of the medians; nil bounds are unbounded
	// (too few runs for an interval at Confidence).
	BaseLo          *float64  `json:"base_lo"`
	BaseHi          *float64  `json:"base_hi"`
	CandidateLo     *float64  `json:"candidate_lo"`
	CandidateHi     *float64  `json:"candidate_hi"`
	BaseN           int       `json:"base_n"`
	CandidateN      int       `json:"candidate_n"`
	BaseValues      []float64 `json:"base_values"`
	CandidateValues []float64 `json:"candidate_values"`
	Notes           []int     `json:"notes,omitempty"`
}

// GateResult is one gate judged. Change is the measured change in the
// gate's Unit, nil when it could not be computed.
type GateResult struct {
	Expr   string   `json:"expr"`
	Status Status   `json:"status"`
	Reason string   `json:"reason"`
	Metric string   `json:"metric"`
	Change *float64 `json:"change"`
	Bound  float64  `json:"bound"`
	Unit   string   `json:"unit"`
	PValue *float64 `json:"p_value"`
}

// side is one side's runs and their extra values.
type side struct {
	name   string
	files  []*results.Result
	runs   []*results.Run
	extras []RunValues
}

// Compare compares the candidate's runs with the baseline's. Each side is
// one or more result files; all their runs count as repetitions. It fails
// only on unusable input (no runs, an invalid gate or option); everything
// else that weakens the answer is a warning in the Comparison.
func Compare(base, cand []*results.Result, opts Options) (*Comparison, error) {
	opts.setDefaults()
	if !(opts.Alpha > 0 && opts.Alpha < 1) {
		return nil, fmt.Errorf("compare: alpha %v out of range, want 0 < alpha < 1", opts.Alpha)
	}
	// Gates built by hand rather than by ParseGate are checked and put in
	// canonical form, so their metric names match the rows'.
	gates := make([]Gate, len(opts.Gates))
	for i, g := range opts.Gates {
		canon, err := ParseGate(g.String())
		if err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
		canon.Expr = g.Expr
		gates[i] = canon
	}
	opts.Gates = gates
	c := &Comparison{
		Schema: Schema, Strict: opts.Strict, Alpha: opts.Alpha, Confidence: Confidence,
		Metrics: []Metric{}, Gates: []GateResult{}, Thresholds: opts.Thresholds, Profiles: opts.Profiles,
		Warnings: []string{},
	}
	if c.Thresholds == nil {
		c.Thresholds = []results.ThresholdResult{}
	}
	if c.Profiles == nil {
		c.Profiles = []json.RawMessage{}
	}
	sides := [2]*side{{name: "base", files: base}, {name: "candidate", files: cand}}
	for _, s := range sides {
		if err := s.collect(opts.Extra, c.warn); err != nil {
			return nil, fmt.Errorf("compare: %w", err)
		}
	}
	b, k := sides[0], sides[1]
	c.BaseRuns, c.CandRuns = len(b.runs), len(k.runs)
	fileWarnings(b, k, opts.IgnorePlanKeys, c.warn)
	for _, s := range sides {
		runWarnings(s, c.warn)
	}
	if b.runs[0].Model != k.runs[0].Model {
		c.warn(fmt.Sprintf("the base ran the %s model and the candidate the %s model: latencies of the two models measure different things", b.runs[0].Model, k.runs[0].Model))
	}

	keys, err := metricKeys(b, k, opts.Gates)
	if err != nil {
		return nil, fmt.Errorf("compare: %w", err)
	}
	rows := map[string]int{}
	for _, key := range keys {
		m, keep := c.compareMetric(key, b, k)
		if keep || gated(opts.Gates, m.Name) {
			rows[m.Name] = len(c.Metrics)
			c.Metrics = append(c.Metrics, m)
		}
	}
	for _, g := range opts.Gates {
		c.Gates = append(c.Gates, judge(g, c.Metrics[rows[g.Metric]], opts.Alpha))
	}
	c.Verdict = c.verdict()
	return c, nil
}

// warn adds a footnote, or finds the one with the same text, and returns
// its number.
func (c *Comparison) warn(msg string) int {
	if i := slices.Index(c.Warnings, msg); i >= 0 {
		return i + 1
	}
	c.Warnings = append(c.Warnings, msg)
	return len(c.Warnings)
}

func (s *side) collect(extra func(*results.Run) (RunValues, error), warn func(string) int) error {
	if len(s.files) == 0 {
		return fmt.Errorf("no %s results", s.name)
	}
	for i, f := range s.files {
		if f == nil {
			return fmt.Errorf("%s result %d is nil", s.name, i+1)
		}
		for j, r := range f.Runs {
			if r == nil {
				return fmt.Errorf("%s result %d: run %d is nil", s.name, i+1, j+1)
			}
			s.runs = append(s.runs, r)
		}
	}
	if len(s.runs) == 0 {
		return fmt.Errorf("the %s results hold no runs", s.name)
	}
	s.extras = make([]RunValues, len(s.runs))
	if extra == nil {
		return nil
	}
	for i, r := range s.runs {
		v, err := extra(r)
		if err != nil {
			warn(fmt.Sprintf("%s run %d has no per-request target costs: %v", s.name, i+1, err))
			continue
		}
		for name := range v {
			if err := checkExtraName(name); err != nil {
				return err
			}
		}
		s.extras[i] = v
	}
	return nil
}

// checkExtraName keeps extra values from shadowing or mimicking a built-in
// metric, whose row would then be ambiguous.
func checkExtraName(name string) error {
	if k, err := parseMetric(name); err == nil && k.kind != kindExtra {
		return fmt.Errorf("extra value %q has the name of a built-in metric", name)
	}
	if name == "" {
		return errors.New("extra value with an empty name")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || c == '_' || i > 0 && '0' <= c && c <= '9') {
			return fmt.Errorf("extra value %q: want a name of lower-case letters, digits and _", name)
		}
	}
	return nil
}

// metricKeys lists the rows: totals, then extra values (the known ones in
// their order, others by name), then per-endpoint figures, then whatever
// else a gate names.
func metricKeys(b, k *side, gates []Gate) ([]metricKey, error) {
	open := false
	var endpoints []string
	extras := map[string]bool{}
	for _, s := range []*side{b, k} {
		for i, r := range s.runs {
			open = open || results.Open(r.Model)
			for _, e := range r.Endpoints {
				if !slices.Contains(endpoints, e.Name) {
					endpoints = append(endpoints, e.Name)
				}
			}
			for name := range s.extras[i] {
				extras[name] = true
			}
		}
	}
	keys := totalMetrics(open)
	for _, e := range knownExtras {
		if extras[e.name] {
			keys = append(keys, metricKey{kind: kindExtra, extra: e.name})
			delete(extras, e.name)
		}
	}
	others := make([]string, 0, len(extras))
	for name := range extras {
		others = append(others, name)
	}
	sort.Strings(others)
	for _, name := range others {
		keys = append(keys, metricKey{kind: kindExtra, extra: name})
	}
	keys = append(keys, endpointMetrics(endpoints)...)
	for _, g := range gates {
		key, err := parseGateMetric(g.Metric)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(keys, func(x metricKey) bool { return x.name() == key.name() }) {
			keys = append(keys, key)
		}
	}
	return keys, nil
}

// parseGateMetric parses a gate's Metric: a canonical name, scope
// included.
func parseGateMetric(name string) (metricKey, error) {
	k, rest, err := parseMetricScope(name + "<")
	if err != nil {
		return metricKey{}, fmt.Errorf("metric %q: %w", name, err)
	}
	if rest != "<" {
		return metricKey{}, fmt.Errorf("metric %q: unexpected %q after the name", name, rest[:len(rest)-1])
	}
	return k, nil
}

func gated(gates []Gate, name string) bool {
	return slices.ContainsFunc(gates, func(g Gate) bool { return g.Metric == name })
}

// compareMetric builds one row. It reports false when neither side has a
// value, so a metric nothing measured (TTFB of an unreachable target)
// leaves no empty row behind.
func (c *Comparison) compareMetric(key metricKey, b, k *side) (Metric, bool) {
	m := Metric{Name: key.name(), Unit: key.unit(), BaseValues: []float64{}, CandidateValues: []float64{}}
	for i, r := range b.runs {
		if v, ok := key.value(r, b.extras[i]); ok {
			m.BaseValues = append(m.BaseValues, v)
		}
	}
	for i, r := range k.runs {
		if v, ok := key.value(r, k.extras[i]); ok {
			m.CandidateValues = append(m.CandidateValues, v)
		}
	}
	m.BaseN, m.CandidateN = len(m.BaseValues), len(m.CandidateValues)
	note := func(msg string) {
		if n := c.warn(msg); !slices.Contains(m.Notes, n) {
			m.Notes = append(m.Notes, n)
		}
	}
	var bs, cs summary
	if m.BaseN > 0 {
		bs = summarize(m.BaseValues)
		m.Base, m.BaseLo, m.BaseHi = ptr(bs.center), bound(bs, bs.lo), bound(bs, bs.hi)
		if !bs.bounded {
			note(bs.intervalNote)
		}
	}
	if m.CandidateN > 0 {
		cs = summarize(m.CandidateValues)
		m.Candidate, m.CandidateLo, m.CandidateHi = ptr(cs.center), bound(cs, cs.lo), bound(cs, cs.hi)
		if !cs.bounded {
			note(cs.intervalNote)
		}
	}
	if m.BaseN == 0 || m.CandidateN == 0 {
		return m, m.BaseN+m.CandidateN > 0
	}
	m.Delta = ptr(cs.center - bs.center)
	switch {
	case bs.center == cs.center:
		m.DeltaPct = ptr(0)
	case bs.center != 0:
		m.DeltaPct = ptr((cs.center/bs.center - 1) * 100)
	}
	t := uTest(m.BaseValues, m.CandidateValues, c.Alpha)
	if t.tooFew {
		note(t.note)
	} else {
		m.PValue = ptr(t.p)
		m.Significant = t.p < c.Alpha
	}
	for _, w := range t.warnings {
		note(w)
	}
	return m, true
}

func ptr(v float64) *float64 { return &v }

func bound(s summary, v float64) *float64 {
	if !s.bounded {
		return nil
	}
	return ptr(v)
}

// judge applies a gate to its metric's row.
func judge(g Gate, m Metric, alpha float64) GateResult {
	r := GateResult{Expr: g.Expr, Metric: g.Metric, Bound: g.Bound, Unit: g.Unit}
	if r.Expr == "" {
		r.Expr = g.String()
	}
	missing := ""
	switch {
	case m.BaseN == 0 && m.CandidateN == 0:
		missing = "either side"
	case m.BaseN == 0:
		missing = "the base runs"
	case m.CandidateN == 0:
		missing = "the candidate runs"
	}
	if missing != "" {
		r.Status = Inconclusive
		r.Reason = fmt.Sprintf("no %s in %s", m.Name, missing)
		if k, err := parseGateMetric(m.Name); err == nil && k.kind == kindExtra {
			r.Reason += " (it comes from the target's profiles: capture them with --profile on both sides)"
		}
		return r
	}
	change := gateChange(g, m)
	r.Change = finite(change)
	measured := fmt.Sprintf("%s %s (median %s → %s)", m.Name, formatChange(change, g.Unit),
		formatValue(*m.Base, m.Unit), formatValue(*m.Candidate, m.Unit))
	bound := Gate{Op: g.Op, Bound: g.Bound, Unit: g.Unit}.String()
	if m.PValue == nil {
		r.Status = Inconclusive
		r.Reason = fmt.Sprintf("%s; need ≥ %d runs per side to detect a difference at α=%g (have %d+%d)",
			measured, runsToDetect(alpha), alpha, m.BaseN, m.CandidateN)
		return r
	}
	r.PValue = ptr(*m.PValue)
	stat := fmt.Sprintf("p=%.3f n=%d+%d", *m.PValue, m.BaseN, m.CandidateN)
	switch beyond := g.violated(change); {
	case beyond && m.Significant:
		r.Status = Fail
		r.Reason = fmt.Sprintf("%s, beyond %s and significant (%s)", measured, bound, stat)
	case beyond:
		r.Status = Pass
		r.Reason = fmt.Sprintf("%s, beyond %s but not significant (%s ≥ α=%g): indistinguishable from noise", measured, bound, stat, alpha)
	default:
		r.Status = Pass
		r.Reason = fmt.Sprintf("%s, within %s (%s)", measured, bound, stat)
	}
	return r
}

// gateChange is the change a gate bounds, in its unit. A relative change
// from a base of 0 to anything else is infinite, so it is beyond any bound
// in its direction.
func gateChange(g Gate, m Metric) float64 {
	if g.Unit == GatePoints {
		return *m.Delta * 100
	}
	if m.DeltaPct != nil {
		return *m.DeltaPct
	}
	return math.Inf(int(math.Copysign(1, *m.Delta)))
}

func finite(v float64) *float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return nil
	}
	return ptr(v)
}

// verdict combines thresholds and gates: any failure fails; an
// inconclusive gate fails under Strict and otherwise leaves the verdict
// inconclusive.
func (c *Comparison) verdict() Status {
	inconclusive := false
	for _, t := range c.Thresholds {
		if !t.OK {
			return Fail
		}
	}
	for _, g := range c.Gates {
		switch g.Status {
		case Fail:
			return Fail
		case Inconclusive:
			if c.Strict {
				return Fail
			}
			inconclusive = true
		}
	}
	if inconclusive {
		return Inconclusive
	}
	return Pass
}
