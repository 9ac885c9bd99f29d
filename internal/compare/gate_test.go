package compare

import (
	"strings"
	"testing"
)

func TestParseGate(t *testing.T) {
	cases := []struct {
		expr string
		want Gate
	}{
		{"p99<+10%", Gate{Metric: "p99", Op: "<", Bound: 10, Unit: GatePercent}},
		{"rps>-5%", Gate{Metric: "rps", Op: ">", Bound: -5, Unit: GatePercent}},
		{"cpu_per_request<+10%", Gate{Metric: "cpu_per_request", Op: "<", Bound: 10, Unit: GatePercent}},
		{"alloc_bytes_per_request<+15%", Gate{Metric: "alloc_bytes_per_request", Op: "<", Bound: 15, Unit: GatePercent}},
		{"alloc_objects_per_request<=+2.5%", Gate{Metric: "alloc_objects_per_request", Op: "<=", Bound: 2.5, Unit: GatePercent}},
		{"error_rate<+1pp", Gate{Metric: "error_rate", Op: "<", Bound: 1, Unit: GatePoints}},
		{"error_rate<+50%", Gate{Metric: "error_rate", Op: "<", Bound: 50, Unit: GatePercent}},
		{"p95{endpoint=create-order}<+10%", Gate{Metric: "p95{endpoint=create-order}", Op: "<", Bound: 10, Unit: GatePercent}},
		{` p95 {endpoint="a.b/c"} <= +10 % `, Gate{Metric: "p95{endpoint=a.b/c}", Op: "<=", Bound: 10, Unit: GatePercent}},
		{"p99.90<+10%", Gate{Metric: "p99.9", Op: "<", Bound: 10, Unit: GatePercent}},
		{"p050<+10%", Gate{Metric: "p50", Op: "<", Bound: 10, Unit: GatePercent}},
		{"service_p99<+10%", Gate{Metric: "service_p99", Op: "<", Bound: 10, Unit: GatePercent}},
		{"ttfb_p50<+10%", Gate{Metric: "ttfb_p50", Op: "<", Bound: 10, Unit: GatePercent}},
		{"rps{endpoint=list}>=-0%", Gate{Metric: "rps{endpoint=list}", Op: ">=", Bound: 0, Unit: GatePercent}},
		{"p99<+0%", Gate{Metric: "p99", Op: "<", Bound: 0, Unit: GatePercent}},
		{"p99<-0%", Gate{Metric: "p99", Op: "<", Bound: 0, Unit: GatePercent}},
		{"rps>-100%", Gate{Metric: "rps", Op: ">", Bound: -100, Unit: GatePercent}},
		{"p100<+1000000%", Gate{Metric: "p100", Op: "<", Bound: 1e6, Unit: GatePercent}},
	}
	for _, c := range cases {
		got, err := ParseGate(c.expr)
		if err != nil {
			t.Errorf("ParseGate(%q): %v", c.expr, err)
			continue
		}
		c.want.Expr = c.expr
		if got != c.want {
			t.Errorf("ParseGate(%q): got %+v, want %+v", c.expr, got, c.want)
		}
	}
}

func TestParseGateInvalid(t *testing.T) {
	cases := []struct {
		expr string
		want string // in the message, after the expression itself
	}{
		{"", "empty: want METRIC OP CHANGE"},
		{"p99", "missing operator"},
		{"<+10%", "missing metric"},
		{"p99<", `missing change after "<"`},
		{"p99<10%", `change "10%" has no sign: a gate bounds a regression`},
		{"p99<-10%", `change "-10%" with "<": a gate bounds a regression`},
		{"rps>+5%", `change "+5%" with ">": a gate bounds a regression`},
		{"p99=+10%", `unsupported operator "="`},
		{"p99!=+10%", `unsupported operator "!="`},
		{"p99<+10", "want a unit of % (relative change) or pp"},
		{"p99<+10ms", "want a unit of %"},
		{"p99<+1pp", "percentage points (pp) apply to error_rate only"},
		{"p99<+x%", "want a signed percentage like +10%"},
		{"p99<+1e3%", "want a unit of %"},
		{"p99<+0.0000001%", "at most 6 decimal places"},
		{"p99<+10000001%", "want at most 1e+06%"},
		{"rps>-150%", "cannot fall by more than 100%"},
		{"error_rate<+101pp", "cannot move by more than 100pp"},
		{"latency<+10%", `unknown metric "latency": want rps, error_rate, pNN`},
		{"p0<+10%", "percentile must be in (0,100]"},
		{"p101<+10%", "percentile must be in (0,100]"},
		{"p99.12345678<+10%", "at most 6 decimal places"},
		{"mean<+10%", `unknown metric "mean"`},
		{"p99{endpoint=a<+10%", "unclosed {"},
		{"p99{route=a}<+10%", "unknown scope {route=a}"},
		{"p99{endpoint=a b}<+10%", `invalid endpoint name "a b"`},
		{"cpu_per_request{endpoint=a}<+10%", "cannot be scoped to an endpoint"},
		{"p99 x<+10%", `missing operator after "p99"`},
		{"p99<+10% extra", "want a unit of %"},
		{strings.Repeat("p", 300), "longer than 256 bytes"},
	}
	for _, c := range cases {
		_, err := ParseGate(c.expr)
		if err == nil {
			t.Errorf("ParseGate(%q): got nil error, want one containing %q", c.expr, c.want)
			continue
		}
		msg := err.Error()
		if !strings.HasPrefix(msg, "gate ") || !strings.Contains(msg, c.want) {
			t.Errorf("ParseGate(%q): got %q, want the expression named and %q", c.expr, msg, c.want)
		}
	}
}

func TestGateString(t *testing.T) {
	for expr, want := range map[string]string{
		"p99 < +10 %":                  "p99<+10%",
		"rps>-5.50%":                   "rps>-5.5%",
		"rps>=-0%":                     "rps>=-0%",
		"p99<-0%":                      "p99<+0%",
		`p95{endpoint="x"}<+1%`:        "p95{endpoint=x}<+1%",
		"error_rate<=+0.5pp":           "error_rate<=+0.5pp",
		"alloc_bytes_per_request<+15%": "alloc_bytes_per_request<+15%",
	} {
		g, err := ParseGate(expr)
		if err != nil {
			t.Fatalf("ParseGate(%q): %v", expr, err)
		}
		if got := g.String(); got != want {
			t.Errorf("String of %q: got %q, want %q", expr, got, want)
		}
	}
}

func TestGateViolated(t *testing.T) {
	cases := []struct {
		expr   string
		change float64
		want   bool
	}{
		{"p99<+10%", 9.99, false},
		{"p99<+10%", 10, true},
		{"p99<=+10%", 10, false},
		{"p99<=+10%", 10.01, true},
		{"p99<+10%", -30, false},
		{"rps>-5%", -4.9, false},
		{"rps>-5%", -5, true},
		{"rps>=-5%", -5, false},
		{"rps>=-5%", -5.1, true},
		{"rps>-5%", 40, false},
	}
	for _, c := range cases {
		g, err := ParseGate(c.expr)
		if err != nil {
			t.Fatal(err)
		}
		if got := g.violated(c.change); got != c.want {
			t.Errorf("%s with change %v: got violated %v, want %v", c.expr, c.change, got, c.want)
		}
	}
}
