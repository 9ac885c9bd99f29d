package threshold

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Canonical metric names, as stored in Threshold.Metric.
const (
	MetricLatency     = "latency"      // response time; scheduled send to done in the open model
	MetricServiceTime = "service_time" // actual send to done
	MetricTTFB        = "ttfb"         // actual send to the first response byte
	MetricErrorRate   = "error_rate"   // failed requests / requests, 0..1
	MetricChecks      = "checks"       // successful requests / requests, 0..1
	MetricRPS         = "rps"          // completed requests per second
	MetricRequests    = "requests"     // completed requests
)

// Statistics of the latency-like metrics, as stored in Threshold.Stat.
const (
	StatQuantile = "quantile"
	StatMin      = "min"
	StatMax      = "max"
	StatMean     = "mean"
)

// maxExprLen bounds an expression; real ones are a few dozen bytes and the
// text comes from untrusted plan files.
const maxExprLen = 256

// maxPercentileDecimals keeps percentiles like p99.9999 while rejecting
// noise such as p99.99999999999, whose quantile could not be told apart
// from its neighbours by any histogram we record.
const maxPercentileDecimals = 6

// maxEndpointName bounds an endpoint name so labels stay printable in tables.
const maxEndpointName = 128

// Threshold is one parsed expression: METRIC[{endpoint=NAME}] OP VALUE.
type Threshold struct {
	Expr     string  // the text as written
	Metric   string  // one of the Metric* constants
	Stat     string  // for latency, service_time and ttfb: one of the Stat* constants; else ""
	Quantile float64 // 0 < q <= 1 when Stat is StatQuantile (p99.9 is 0.999)
	Endpoint string  // "" applies the threshold to all endpoints together
	Op       string  // "<", "<=", ">" or ">="
	Value    float64 // latency in milliseconds, rates as fractions, rps per second, requests as a count
}

const (
	wantExpr   = "want METRIC OP VALUE, e.g. p95<500ms, error_rate<1%, rps>100"
	wantOp     = "want one of <, <=, >, >="
	wantMetric = "want p50, p90, p95, p99, p99.9 (any pNN in (0,100]), min, max, mean, avg, " +
		"error_rate, checks, rps, requests, or a latency statistic prefixed service_ or ttfb_ (e.g. ttfb_p95)"
	wantDuration = "want a duration like 500ms (units ns, us, µs, ms, s, m; a bare number is ms)"
	wantRate     = "want a percentage like 1% or a fraction like 0.01"
)

// Parse parses one threshold expression. Spaces are allowed between the
// parts; metric names and units are case-sensitive.
func Parse(expr string) (Threshold, error) {
	t, err := parse(expr)
	if err != nil {
		return Threshold{}, fmt.Errorf("threshold %q: %w", expr, err)
	}
	return t, nil
}

func parse(expr string) (Threshold, error) {
	if len(expr) > maxExprLen {
		return Threshold{}, fmt.Errorf("longer than %d bytes", maxExprLen)
	}
	s := strings.TrimSpace(expr)
	if s == "" {
		return Threshold{}, errors.New("empty: " + wantExpr)
	}
	t := Threshold{Expr: expr}

	end := strings.IndexAny(s, "{<>=! \t")
	if end < 0 {
		return Threshold{}, errors.New("missing operator: " + wantExpr)
	}
	if end == 0 {
		return Threshold{}, errors.New("missing metric: " + wantExpr)
	}
	if err := t.parseMetric(s[:end]); err != nil {
		return Threshold{}, err
	}
	rest := trimLeft(s[end:])

	if strings.HasPrefix(rest, "{") {
		closing := strings.IndexByte(rest, '}')
		if closing < 0 {
			return Threshold{}, errors.New("unclosed {: want {endpoint=NAME}")
		}
		name, err := ParseScope(rest[1:closing])
		if err != nil {
			return Threshold{}, err
		}
		t.Endpoint = name
		rest = trimLeft(rest[closing+1:])
	}

	switch {
	case strings.HasPrefix(rest, "<="), strings.HasPrefix(rest, ">="):
		t.Op = rest[:2]
	case strings.HasPrefix(rest, "<"), strings.HasPrefix(rest, ">"):
		t.Op = rest[:1]
	case strings.HasPrefix(rest, "="), strings.HasPrefix(rest, "!"):
		n := 1
		if len(rest) > 1 && rest[1] == '=' {
			n = 2
		}
		return Threshold{}, fmt.Errorf("unsupported operator %q: %s", rest[:n], wantOp)
	default:
		return Threshold{}, fmt.Errorf("missing operator after %q: %s", s[:end], wantOp)
	}

	value := strings.TrimSpace(rest[len(t.Op):])
	if value == "" {
		return Threshold{}, fmt.Errorf("missing value after %q", t.Op)
	}
	v, err := parseValue(t.Metric, value)
	if err != nil {
		return Threshold{}, err
	}
	t.Value = v
	return t, nil
}

func trimLeft(s string) string { return strings.TrimLeft(s, " \t") }

// parseMetric fills Metric, Stat and Quantile from a metric name.
func (t *Threshold) parseMetric(name string) error {
	switch name {
	case MetricErrorRate, MetricChecks, MetricRPS, MetricRequests:
		t.Metric = name
		return nil
	}
	t.Metric = MetricLatency
	stat := name
	if s, ok := strings.CutPrefix(name, "service_"); ok {
		t.Metric, stat = MetricServiceTime, s
	} else if s, ok := strings.CutPrefix(name, "ttfb_"); ok {
		t.Metric, stat = MetricTTFB, s
	}
	switch stat {
	case StatMin, StatMax, StatMean:
		t.Stat = stat
		return nil
	case "avg":
		t.Stat = StatMean
		return nil
	}
	pct, ok := strings.CutPrefix(stat, "p")
	if !ok {
		return fmt.Errorf("unknown metric %q: %s", name, wantMetric)
	}
	q, err := parsePercentile(pct)
	if err != nil {
		return fmt.Errorf("invalid percentile %q: %w", name, err)
	}
	t.Stat, t.Quantile = StatQuantile, q
	return nil
}

// parsePercentile turns "99.9" into 0.999. The decimal point is moved in
// the text rather than by dividing by 100, so p99.9 gives exactly the
// float64 nearest 0.999 (99.9/100 does not).
func parsePercentile(s string) (float64, error) {
	num, rest := ScanNumber(s)
	if num == "" || rest != "" {
		return 0, errors.New("want p followed by a number in (0,100], e.g. p95 or p99.9")
	}
	if _, frac, ok := strings.Cut(num, "."); ok && len(frac) > maxPercentileDecimals {
		return 0, fmt.Errorf("at most %d decimal places", maxPercentileDecimals)
	}
	q, err := strconv.ParseFloat(num+"e-2", 64)
	if err != nil || !(q > 0 && q <= 1) {
		return 0, errors.New("percentile must be in (0,100], e.g. p95 or p99.9")
	}
	return q, nil
}

// ParseScope parses the inside of {endpoint=NAME}, the scope thresholds
// and compare's gates share; NAME may be quoted.
func ParseScope(inner string) (string, error) {
	key, name, ok := strings.Cut(inner, "=")
	if key = strings.TrimSpace(key); !ok || key != "endpoint" {
		return "", fmt.Errorf("unknown scope {%s}: want {endpoint=NAME}", inner)
	}
	name = strings.TrimSpace(name)
	if len(name) >= 2 && name[0] == '"' && name[len(name)-1] == '"' {
		name = name[1 : len(name)-1]
	}
	if !ValidEndpointName(name) {
		return "", fmt.Errorf("invalid endpoint name %q: %s", name, EndpointNameRule)
	}
	return name, nil
}

// EndpointNameRule describes ValidEndpointName for error messages.
const EndpointNameRule = "want 1 to 128 letters, digits or - _ . : / ~"

// ValidEndpointName reports whether name can label an endpoint. Names are
// restricted so every endpoint can be named in {endpoint=NAME} without
// quoting; plan validation applies the same rule.
func ValidEndpointName(name string) bool {
	if name == "" || len(name) > maxEndpointName {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("-_.:/~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// ScanNumber splits a leading unsigned decimal (digits, optionally "." and
// more digits) from s. Signs, exponents, hex and underscores are not
// numbers here: strconv.ParseFloat alone would accept "inf" and "0x1p3".
func ScanNumber(s string) (num, rest string) {
	i := 0
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return "", s
	}
	if i+1 < len(s) && s[i] == '.' && '0' <= s[i+1] && s[i+1] <= '9' {
		i++
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
	}
	return s[:i], s[i:]
}

// parseDecimal parses num shifted by exp powers of ten, rejecting results
// that overflow to infinity.
func parseDecimal(num string, exp int) (float64, bool) {
	if exp != 0 {
		num += "e" + strconv.Itoa(exp)
	}
	v, err := strconv.ParseFloat(num, 64)
	return v, err == nil && !math.IsInf(v, 0)
}

func parseValue(metric, value string) (float64, error) {
	num, rest := ScanNumber(value)
	unit := strings.TrimLeft(rest, " \t")
	switch metric {
	case MetricErrorRate, MetricChecks:
		var v float64
		var ok bool
		switch unit {
		case "%":
			v, ok = parseDecimal(num, -2)
		case "":
			v, ok = parseDecimal(num, 0)
		}
		if num == "" || !ok {
			return 0, fmt.Errorf("invalid value %q: %s", value, wantRate)
		}
		if v > 1 {
			return 0, fmt.Errorf("invalid value %q: at most 100%% (1 as a fraction); %s", value, wantRate)
		}
		return v, nil
	case MetricRPS:
		v, ok := parseDecimal(num, 0)
		if num == "" || !ok || (unit != "" && unit != "/s") {
			return 0, fmt.Errorf("invalid value %q: want requests per second like 1000 or 1000/s", value)
		}
		return v, nil
	case MetricRequests:
		v, ok := parseDecimal(num, 0)
		if num == "" || !ok || unit != "" || strings.Contains(num, ".") {
			return 0, fmt.Errorf("invalid value %q: want a whole number of requests like 1000", value)
		}
		return v, nil
	}
	// Latency-like: convert to milliseconds by shifting the decimal where the
	// unit is a power of ten, so "100us" is exactly the float64 nearest 0.1.
	var v float64
	ok := num != ""
	if ok {
		switch unit {
		case "ns":
			v, ok = parseDecimal(num, -6)
		case "us", "µs", "μs":
			v, ok = parseDecimal(num, -3)
		case "ms", "":
			v, ok = parseDecimal(num, 0)
		case "s":
			v, ok = parseDecimal(num, 3)
		case "m":
			v, ok = parseDecimal(num, 0)
			v *= 60_000
			ok = ok && !math.IsInf(v, 0)
		default:
			ok = false
		}
	}
	if !ok {
		return 0, fmt.Errorf("invalid value %q: %s", value, wantDuration)
	}
	return v, nil
}

// Check reports whether the measured value v satisfies the threshold. A
// NaN measurement (no data, e.g. a percentile of zero requests) never
// passes: a gate that cannot be evaluated must not turn green.
func (t Threshold) Check(v float64) bool {
	if math.IsNaN(v) {
		return false
	}
	switch t.Op {
	case "<":
		return v < t.Value
	case "<=":
		return v <= t.Value
	case ">":
		return v > t.Value
	case ">=":
		return v >= t.Value
	}
	return false
}

// Key is the canonical label of the measured quantity, e.g. "p99.9",
// "service_mean" or "error_rate{endpoint=create-order}". Equivalent
// spellings ("avg" and "mean", "p99.90" and "p99.9") share a key, and
// every key parses back as a metric.
func (t Threshold) Key() string {
	var name string
	switch t.Metric {
	case MetricLatency, MetricServiceTime, MetricTTFB:
		stat := t.Stat
		if stat == StatQuantile {
			stat = "p" + percent(t.Quantile)
		}
		switch t.Metric {
		case MetricServiceTime:
			name = "service_" + stat
		case MetricTTFB:
			name = "ttfb_" + stat
		default:
			name = stat
		}
	default:
		name = t.Metric
	}
	if t.Endpoint != "" {
		name += "{endpoint=" + t.Endpoint + "}"
	}
	return name
}

// percent formats a quantile as a percentage by moving the decimal point of
// its shortest representation, the inverse of parsePercentile: 0.999 gives
// "99.9" where formatting 0.999*100 gives "99.90000000000001".
func percent(q float64) string {
	s := strconv.FormatFloat(q, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	frac += "00"
	whole = strings.TrimLeft(whole+frac[:2], "0")
	if whole == "" {
		whole = "0"
	}
	if frac = strings.TrimRight(frac[2:], "0"); frac != "" {
		return whole + "." + frac
	}
	return whole
}
