package compare

import "testing"

// FuzzParseGate feeds arbitrary text to the gate parser, which reads flags
// and plan files. It must never panic, and whatever it accepts must print
// (String) to an expression that parses back to the same gate.
func FuzzParseGate(f *testing.F) {
	for _, seed := range []string{
		"p99<+10%", "rps>-5%", "cpu_per_request<+10%", "alloc_bytes_per_request<+15%",
		"error_rate<+1pp", "p95{endpoint=create-order}<+10%", `p95 {endpoint="a"} <= +1.5 %`,
		"p99.9<+0%", "rps>=-0%", "service_p50<+3%", "ttfb_p99<+100%", "p99<10%", "rps>+5%",
		"p99{endpoint=}<+1%", "p99<+1e3%", "", "{", "<", "p99<+", "error_rate<+101pp",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		g, err := ParseGate(expr)
		if err != nil {
			return
		}
		again, err := ParseGate(g.String())
		if err != nil {
			t.Fatalf("%q parsed to %+v, whose String %q does not parse: %v", expr, g, g.String(), err)
		}
		again.Expr = g.Expr
		if again != g {
			t.Fatalf("%q parsed to %+v, but its String %q parses to %+v", expr, g, g.String(), again)
		}
		if _, err := parseGateMetric(g.Metric); err != nil {
			t.Fatalf("%q: metric %q does not parse back: %v", expr, g.Metric, err)
		}
	})
}
