package compare

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/perfkit/perfkit/internal/threshold"
)

// Units of a gate's bound.
const (
	// GatePercent bounds the relative change of the medians:
	// (candidate/base - 1) × 100.
	GatePercent = "%"
	// GatePoints bounds the absolute change of a rate in percentage
	// points: (candidate - base) × 100. Only error_rate takes it, since a
	// relative change of a rate that was 0 is undefined and one of 0.01 %
	// is noise: error_rate<+1pp allows the error rate to rise from 0.2 %
	// to just under 1.2 %.
	GatePoints = "pp"
)

// Gate bounds the change of one metric from the baseline to the candidate:
// "p99<+10%" says the candidate's p99 may grow by less than 10 %, "rps>-5%"
// that its throughput may fall by less than 5 %. A gate bounds a
// regression, so "<" takes a bound of zero or more and ">" one of zero or
// less: a gate demanding an improvement could never be shown to hold by a
// test that only detects change.
type Gate struct {
	Expr   string  // the text as written
	Metric string  // canonical metric name: "p99", "p95{endpoint=create-order}", "cpu_per_request"
	Op     string  // "<", "<=", ">" or ">="
	Bound  float64 // signed: +10 for +10%, -5 for -5%, +1 for +1pp
	Unit   string  // GatePercent or GatePoints
}

// maxGateLen bounds an expression; real ones are a few dozen bytes and the
// text comes from flags and untrusted plan files.
const maxGateLen = 256

// maxBound bounds the size of a change, so a typo such as +10000000% fails
// loudly and every bound prints back without an exponent.
const maxBound = 1e6

const maxBoundDecimals = 6

const (
	wantGate  = "want METRIC OP CHANGE, e.g. p99<+10%, rps>-5%, alloc_bytes_per_request<+15%, error_rate<+1pp"
	wantOp    = "want one of <, <=, >, >="
	wantSigns = "a gate bounds a regression: use < or <= with +N% (may grow by less than N%) and > or >= with -N% (may fall by less than N%)"
)

// ParseGate parses one gate expression: METRIC[{endpoint=NAME}] OP CHANGE,
// where CHANGE is a signed percentage (+10%) or, for error_rate, signed
// percentage points (+1pp). Spaces may separate the parts.
func ParseGate(expr string) (Gate, error) {
	g, err := parseGate(expr)
	if err != nil {
		return Gate{}, fmt.Errorf("gate %q: %w", expr, err)
	}
	return g, nil
}

func parseGate(expr string) (Gate, error) {
	if len(expr) > maxGateLen {
		return Gate{}, fmt.Errorf("longer than %d bytes", maxGateLen)
	}
	s := strings.TrimSpace(expr)
	if s == "" {
		return Gate{}, errors.New("empty: " + wantGate)
	}
	k, rest, err := parseMetricScope(s)
	if err != nil {
		return Gate{}, err
	}
	g := Gate{Expr: expr, Metric: k.name()}
	switch {
	case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="):
		g.Op = rest[:2]
	case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, ">"):
		g.Op = rest[:1]
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
		n := 1
		if len(rest) > 1 && rest[1] == '=' {
			n = 2
		}
		return Gate{}, fmt.Errorf("unsupported operator %q: %s", rest[:n], wantOp)
	default:
		return Gate{}, fmt.Errorf("missing operator after %q: %s", k.name(), wantOp)
	}

	change := strings.TrimSpace(rest[len(g.Op):])
	if change == "" {
		return Gate{}, fmt.Errorf("missing change after %q: %s", g.Op, wantGate)
	}
	if g.Bound, g.Unit, err = parseChange(change); err != nil {
		return Gate{}, err
	}
	if g.Unit == GatePoints && k.kind != kindErrorRate {
		return Gate{}, fmt.Errorf("change %q: percentage points (pp) apply to error_rate only; want a percentage like +10%%", change)
	}
	growing := g.Op == "<" || g.Op == "<="
	if (growing && g.Bound < 0) || (!growing && g.Bound > 0) {
		return Gate{}, fmt.Errorf("change %q with %q: %s", change, g.Op, wantSigns)
	}
	if g.Unit == GatePercent && g.Bound < -100 {
		return Gate{}, fmt.Errorf("change %q: a metric cannot fall by more than 100%%", change)
	}
	if g.Unit == GatePoints && (g.Bound > 100 || g.Bound < -100) {
		return Gate{}, fmt.Errorf("change %q: an error rate cannot move by more than 100pp", change)
	}
	return g, nil
}

// parseMetricScope parses the metric name and optional {endpoint=NAME}
// scope at the start of s, and returns what follows.
func parseMetricScope(s string) (metricKey, string, error) {
	end := strings.IndexAny(s, "{<>=! \t")
	if end < 0 {
		return metricKey{}, "", errors.New("missing operator: " + wantGate)
	}
	if end == 0 {
		return metricKey{}, "", errors.New("missing metric: " + wantGate)
	}
	k, err := parseMetric(s[:end])
	if err != nil {
		return metricKey{}, "", err
	}
	rest := strings.TrimLeft(s[end:], " \t")
	if !strings.HasPrefix(rest, "{") {
		return k, rest, nil
	}
	closing := strings.IndexByte(rest, '}')
	if closing < 0 {
		return metricKey{}, "", errors.New("unclosed {: want {endpoint=NAME}")
	}
	if k.kind == kindExtra {
		return metricKey{}, "", fmt.Errorf("%s is measured for the whole target and cannot be scoped to an endpoint", k.extra)
	}
	if k.endpoint, err = threshold.ParseScope(rest[1:closing]); err != nil {
		return metricKey{}, "", err
	}
	return k, strings.TrimLeft(rest[closing+1:], " \t"), nil
}

// parseChange parses "+10%", "-5.5%" or "+1pp" into a signed number and
// its unit.
func parseChange(s string) (float64, string, error) {
	sign := 0.0
	switch {
	case strings.HasPrefix(s, "+"):
		sign = 1
	case strings.HasPrefix(s, "-"):
		sign = -1
	default:
		return 0, "", fmt.Errorf("change %q has no sign: %s", s, wantSigns)
	}
	num, unit := threshold.ScanNumber(strings.TrimLeft(s[1:], " \t"))
	unit = strings.TrimLeft(unit, " \t")
	if num == "" {
		return 0, "", fmt.Errorf("invalid change %q: want a signed percentage like +10%% or -5%%", s)
	}
	if _, frac, ok := strings.Cut(num, "."); ok && len(frac) > maxBoundDecimals {
		return 0, "", fmt.Errorf("invalid change %q: at most %d decimal places", s, maxBoundDecimals)
	}
	if unit != GatePercent && unit != GatePoints {
		return 0, "", fmt.Errorf("invalid change %q: want a unit of %% (relative change) or pp (percentage points, error_rate only)", s)
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v > maxBound {
		return 0, "", fmt.Errorf("invalid change %q: want at most %g%s", s, float64(maxBound), unit)
	}
	if v == 0 {
		return 0, unit, nil // never -0: the sign of zero carries no meaning
	}
	return sign * v, unit, nil
}

// String is the canonical form of the gate; it parses back to the same
// Gate, apart from Expr.
func (g Gate) String() string {
	sign := "+"
	if g.Bound < 0 || (g.Bound == 0 && (g.Op == ">" || g.Op == ">=")) {
		sign = "-"
	}
	abs := g.Bound
	if abs < 0 {
		abs = -abs
	}
	return g.Metric + g.Op + sign + strconv.FormatFloat(abs, 'f', -1, 64) + g.Unit
}

// violated reports whether a change lies beyond the bound.
func (g Gate) violated(change float64) bool {
	switch g.Op {
	case "<":
		return change >= g.Bound
	case "<=":
		return change > g.Bound
	case ">":
		return change <= g.Bound
	case ">=":
		return change < g.Bound
	}
	return true
}
