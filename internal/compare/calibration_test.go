package compare

import (
	"math/rand/v2"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

// TestGateCalibration simulates many comparisons whose per-run values
// carry run-to-run noise, and counts how often a gate fails. It holds the
// promise of the package on known truth: an unchanged service (A/A) does
// not fail, a real regression beyond the bound does. The generator is
// seeded, so the counts are exact and the test cannot flake.
func TestGateCalibration(t *testing.T) {
	const trials = 300
	// Runs with nothing but the extra value: the simulation is about the
	// statistics, and histograms would only slow it down.
	template := &results.Run{Status: results.StatusComplete, Model: "closed-constant"}
	cases := []struct {
		name      string
		runs      int     // per side
		noise     float64 // coefficient of variation between runs
		change    float64 // true relative change of the candidate
		gate      string
		wantFails [2]int // accepted range of failures out of trials
	}{
		// A/A: 5 % noise, no change. A failure needs a significant
		// median change beyond 10 %, which noise this size rarely makes.
		{"A/A 5 runs", 5, 0.05, 0, "alloc_bytes_per_request<+10%", [2]int{0, 3}},
		{"A/A 10 runs", 10, 0.05, 0, "alloc_bytes_per_request<+10%", [2]int{0, 3}},
		// +20 % against a 10 % bound: caught nearly every time.
		{"A/B +20% 5 runs", 5, 0.05, 0.20, "alloc_bytes_per_request<+10%", [2]int{trials * 95 / 100, trials}},
		// +10 % against a 5 % bound, the shape to use for "10 % slower
		// must fail": the bound sits below the effect to catch, since
		// a change exactly at the bound is measured above it only half
		// the time.
		{"A/B +10% 6 runs", 6, 0.03, 0.10, "alloc_bytes_per_request<+5%", [2]int{trials * 90 / 100, trials}},
		// Too few runs never fail, however large the change: they are
		// inconclusive.
		{"A/B +50% 3 runs", 3, 0.05, 0.50, "alloc_bytes_per_request<+10%", [2]int{0, 0}},
	}
	rng := rand.New(rand.NewPCG(4, 2))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := gates(t, c.gate)
			fails := 0
			for range trials {
				values := map[*results.Run]RunValues{}
				side := func(scale float64) []*results.Result {
					var runs []*results.Run
					for range c.runs {
						r := *template
						values[&r] = RunValues{MetricAllocBytesPerRequest: 4096 * scale * (1 + c.noise*rng.NormFloat64())}
						runs = append(runs, &r)
					}
					return []*results.Result{result(t, testPlan, runs...)}
				}
				cmp, err := Compare(side(1), side(1+c.change), Options{Gates: g, Extra: extraFor(values)})
				if err != nil {
					t.Fatal(err)
				}
				if cmp.Gates[0].Status == Fail {
					fails++
				}
			}
			t.Logf("%s: %d of %d trials failed", c.name, fails, trials)
			if fails < c.wantFails[0] || fails > c.wantFails[1] {
				t.Errorf("got %d failures of %d, want %d..%d", fails, trials, c.wantFails[0], c.wantFails[1])
			}
		})
	}
}
