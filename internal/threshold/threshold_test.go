package threshold

import (
	"math"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		expr string
		want Threshold
		key  string
	}{
		{"p95<500ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 500}, "p95"},
		{"p99.9<2s", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.999, Op: "<", Value: 2000}, "p99.9"},
		{"p99.99 <= 1.5s", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.9999, Op: "<=", Value: 1500}, "p99.99"},
		{"  p50  >  10  ", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.5, Op: ">", Value: 10}, "p50"},
		{"p100<1m", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 1, Op: "<", Value: 60_000}, "p100"},
		{"p0.1<1ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.001, Op: "<", Value: 1}, "p0.1"},
		{"p99.90<1ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.999, Op: "<", Value: 1}, "p99.9"},
		{"p7<1ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.07, Op: "<", Value: 1}, "p7"},
		{"p99.9999<1ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.999999, Op: "<", Value: 1}, "p99.9999"},
		{"p95<250us", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 0.25}, "p95"},
		{"p95<250µs", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 0.25}, "p95"},
		{"p95<250μs", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 0.25}, "p95"},
		{"p95<100ns", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 0.0001}, "p95"},
		{"p95<500 ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 500}, "p95"},
		{"min>=0", Threshold{Metric: MetricLatency, Stat: StatMin, Op: ">=", Value: 0}, "min"},
		{"max<3s", Threshold{Metric: MetricLatency, Stat: StatMax, Op: "<", Value: 3000}, "max"},
		{"mean<100ms", Threshold{Metric: MetricLatency, Stat: StatMean, Op: "<", Value: 100}, "mean"},
		{"avg<100ms", Threshold{Metric: MetricLatency, Stat: StatMean, Op: "<", Value: 100}, "mean"},
		{"service_p99<200ms", Threshold{Metric: MetricServiceTime, Stat: StatQuantile, Quantile: 0.99, Op: "<", Value: 200}, "service_p99"},
		{"service_avg<20", Threshold{Metric: MetricServiceTime, Stat: StatMean, Op: "<", Value: 20}, "service_mean"},
		{"ttfb_p95<100ms", Threshold{Metric: MetricTTFB, Stat: StatQuantile, Quantile: 0.95, Op: "<", Value: 100}, "ttfb_p95"},
		{"ttfb_max<1s", Threshold{Metric: MetricTTFB, Stat: StatMax, Op: "<", Value: 1000}, "ttfb_max"},
		{"error_rate<1%", Threshold{Metric: MetricErrorRate, Op: "<", Value: 0.01}, "error_rate"},
		{"error_rate < 0.01", Threshold{Metric: MetricErrorRate, Op: "<", Value: 0.01}, "error_rate"},
		{"error_rate<=0", Threshold{Metric: MetricErrorRate, Op: "<=", Value: 0}, "error_rate"},
		{"error_rate<12.5 %", Threshold{Metric: MetricErrorRate, Op: "<", Value: 0.125}, "error_rate"},
		{"checks>99%", Threshold{Metric: MetricChecks, Op: ">", Value: 0.99}, "checks"},
		{"checks>=1", Threshold{Metric: MetricChecks, Op: ">=", Value: 1}, "checks"},
		{"checks>100%", Threshold{Metric: MetricChecks, Op: ">", Value: 1}, "checks"},
		{"rps>1000", Threshold{Metric: MetricRPS, Op: ">", Value: 1000}, "rps"},
		{"rps>=12.5/s", Threshold{Metric: MetricRPS, Op: ">=", Value: 12.5}, "rps"},
		{"rps > 100 /s", Threshold{Metric: MetricRPS, Op: ">", Value: 100}, "rps"},
		{"requests>=1000", Threshold{Metric: MetricRequests, Op: ">=", Value: 1000}, "requests"},
		{"p95{endpoint=create-order}<300ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Endpoint: "create-order", Op: "<", Value: 300}, "p95{endpoint=create-order}"},
		{"p95 { endpoint = create-order } < 300ms", Threshold{Metric: MetricLatency, Stat: StatQuantile, Quantile: 0.95, Endpoint: "create-order", Op: "<", Value: 300}, "p95{endpoint=create-order}"},
		{`error_rate{endpoint="api/v1:list"}<5%`, Threshold{Metric: MetricErrorRate, Endpoint: "api/v1:list", Op: "<", Value: 0.05}, "error_rate{endpoint=api/v1:list}"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Parse(tt.expr)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.expr, err)
			}
			tt.want.Expr = tt.expr
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if k := got.Key(); k != tt.key {
				t.Errorf("Key() = %q, want %q", k, tt.key)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		expr string
		want string // the whole message when it starts with "threshold", else a substring
	}{
		{"p95<5xx", `threshold "p95<5xx": invalid value "5xx": want a duration like 500ms (units ns, us, µs, ms, s, m; a bare number is ms)`},
		{"", `threshold "": empty: want METRIC OP VALUE, e.g. p95<500ms, error_rate<1%, rps>100`},
		{"   ", "empty"},
		{"p95", `threshold "p95": missing operator: want METRIC OP VALUE`},
		{"p95 500ms", `threshold "p95 500ms": missing operator after "p95": want one of <, <=, >, >=`},
		{"<500ms", "missing metric"},
		{"p95<", `missing value after "<"`},
		{"p95<  ", `missing value after "<"`},
		{"p95=500ms", `unsupported operator "=": want one of <, <=, >, >=`},
		{"p95==500ms", `unsupported operator "=="`},
		{"p95!=500ms", `unsupported operator "!="`},
		{"p0<1s", `invalid percentile "p0": percentile must be in (0,100]`},
		{"p0.0<1s", "percentile must be in (0,100]"},
		{"p100.1<1s", "percentile must be in (0,100]"},
		{"p101<1s", "percentile must be in (0,100]"},
		{"p<1s", `invalid percentile "p": want p followed by a number in (0,100]`},
		{"p99.<1s", "want p followed by a number"},
		{"p.9<1s", "want p followed by a number"},
		{"p-5<1s", "want p followed by a number"},
		{"p99.1234567<1s", "at most 6 decimal places"},
		{"P95<1s", `unknown metric "P95"`},
		{"latency<1s", `unknown metric "latency"`},
		{"service_rps>1", `unknown metric "service_rps"`},
		{"p95<-1ms", `invalid value "-1ms"`},
		{"p95<1h", `invalid value "1h"`},
		{"p95<1MS", `invalid value "1MS"`},
		{"p95<1e3ms", `invalid value "1e3ms"`},
		{"p95<inf", `invalid value "inf"`},
		{"p95<NaN", `invalid value "NaN"`},
		{"p95<ms", `invalid value "ms"`},
		{"p95<1ms 2ms", `invalid value "1ms 2ms"`},
		{"error_rate<5", `invalid value "5": at most 100% (1 as a fraction); want a percentage like 1% or a fraction like 0.01`},
		{"error_rate<101%", "at most 100%"},
		{"error_rate<1ms", `invalid value "1ms": want a percentage`},
		{"error_rate<%", `invalid value "%"`},
		{"checks>-1%", `invalid value "-1%"`},
		{"rps>fast", `invalid value "fast": want requests per second`},
		{"rps>10/m", `invalid value "10/m"`},
		{"requests>1.5", `invalid value "1.5": want a whole number`},
		{"requests>10/s", "want a whole number"},
		{"p95{endpoint=a<1s", "unclosed {"},
		{"p95{method=GET}<1s", "unknown scope {method=GET}: want {endpoint=NAME}"},
		{"p95{endpoint}<1s", "unknown scope {endpoint}"},
		{"p95{endpoint=}<1s", `invalid endpoint name "": want 1 to 128 letters`},
		{"p95{endpoint=a b}<1s", `invalid endpoint name "a b"`},
		{"p95{endpoint=" + strings.Repeat("a", 129) + "}<1s", "invalid endpoint name"},
		{"p95{endpoint=a}}<1s", `missing operator after "p95"`},
		{"p95<" + strings.Repeat("1", 300), "longer than 256 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			got, err := Parse(tt.expr)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want error containing %q", tt.expr, got, tt.want)
			}
			if strings.HasPrefix(tt.want, "threshold ") {
				if !strings.HasPrefix(err.Error(), tt.want) {
					t.Errorf("got %q, want prefix %q", err, tt.want)
				}
			} else if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to contain %q", err, tt.want)
			}
			if got != (Threshold{}) {
				t.Errorf("got %+v with the error, want the zero Threshold", got)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		op    string
		value float64
		v     float64
		want  bool
	}{
		{"<", 500, 499.999, true},
		{"<", 500, 500, false},
		{"<", 500, 501, false},
		{"<=", 500, 500, true},
		{"<=", 500, 500.001, false},
		{">", 0.99, 0.99, false},
		{">", 0.99, 0.991, true},
		{">=", 0.99, 0.99, true},
		{">=", 0.99, 0.98, false},
		{"<", 500, nan, false},
		{"<=", 500, nan, false},
		{">", 0, nan, false},
		{">=", 0, nan, false},
		{"<", 500, math.Inf(-1), true},
		{"<", 500, math.Inf(1), false},
		{">", 1000, math.Inf(1), true},
		{"<", 0, 0, false},
		{">=", 0, 0, true},
		{"==", 1, 1, false},
	}
	for _, tt := range tests {
		th := Threshold{Op: tt.op, Value: tt.value}
		if got := th.Check(tt.v); got != tt.want {
			t.Errorf("%v%s Check(%v): got %v, want %v", tt.value, tt.op, tt.v, got, tt.want)
		}
	}
}

// TestCheckParsed runs Check on parsed thresholds whose bounds came from
// unit conversion, where a float error would flip a boundary result.
func TestCheckParsed(t *testing.T) {
	tests := []struct {
		expr string
		v    float64
		want bool
	}{
		{"error_rate<=1%", 0.01, true},
		{"error_rate<1%", 0.01, false},
		{"checks>=99.9%", 0.999, true},
		{"p99<=100us", 0.1, true},
		{"p99<=2.5s", 2500, true},
		{"p99<1.5m", 90_000, false},
		{"rps>=100/s", 100, true},
	}
	for _, tt := range tests {
		th, err := Parse(tt.expr)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.expr, err)
		}
		if got := th.Check(tt.v); got != tt.want {
			t.Errorf("%s Check(%v): got %v, want %v", tt.expr, tt.v, got, tt.want)
		}
	}
}

func TestPercentIsInverseOfParse(t *testing.T) {
	for _, p := range []string{"0.000001", "0.5", "1", "5", "10", "50", "90", "99", "99.9", "99.99", "99.999999", "100", "33.333333"} {
		q, err := parsePercentile(p)
		if err != nil {
			t.Fatalf("parsePercentile(%q): %v", p, err)
		}
		if got := percent(q); got != p {
			t.Errorf("percent(%v): got %q, want %q", q, got, p)
		}
	}
}

func TestValidEndpointName(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"create-order", true},
		{"api/v1/orders:list", true},
		{"A_b.c~1", true},
		{strings.Repeat("x", 128), true},
		{strings.Repeat("x", 129), false},
		{"", false},
		{"a b", false},
		{"a}b", false},
		{"a=b", false},
		{"é", false},
	}
	for _, tt := range tests {
		if got := ValidEndpointName(tt.name); got != tt.want {
			t.Errorf("ValidEndpointName(%q): got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func FuzzThreshold(f *testing.F) {
	for _, s := range []string{
		"p95<500ms", "p99.9<2s", "p100 <= 1m", "p0<1s", "avg>1", "service_p99<200ms",
		"ttfb_mean<=100us", "error_rate<1%", "checks>0.99", "rps>1000/s", "requests>=10",
		"p95{endpoint=create-order}<300ms", `p95{ endpoint = "a" } < 1 ms`, "p95=1", "p95<5xx",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		th, err := Parse(expr)
		if err != nil {
			return
		}
		again, err := Parse(th.Expr)
		if err != nil {
			t.Fatalf("Parse(%q) accepted, then reparse: %v", expr, err)
		}
		if again != th {
			t.Fatalf("reparse of %q: got %+v, want %+v", expr, again, th)
		}
		if math.IsNaN(th.Value) || math.IsInf(th.Value, 0) || th.Value < 0 {
			t.Fatalf("Parse(%q): value %v, want a finite number >= 0", expr, th.Value)
		}
		// The key must name the same quantity when parsed back.
		byKey, err := Parse(th.Key() + th.Op + "0")
		if err != nil {
			t.Fatalf("key %q of %q does not parse: %v", th.Key(), expr, err)
		}
		if byKey.Metric != th.Metric || byKey.Stat != th.Stat || byKey.Quantile != th.Quantile || byKey.Endpoint != th.Endpoint {
			t.Fatalf("key %q of %q: got %+v, want the metric of %+v", th.Key(), expr, byKey, th)
		}
	})
}
