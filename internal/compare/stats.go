package compare

import (
	"fmt"
	"math"
	"slices"

	"golang.org/x/perf/benchmath"
)

// Confidence is the level of the median intervals shown per side, as in
// benchstat.
const Confidence = 0.95

// summary is one side of one metric: the median of its per-run values and
// a distribution-free confidence interval around it, which is unbounded
// (±∞) when there are too few runs to give one at Confidence.
type summary struct {
	values       []float64 // in run order
	center       float64
	lo, hi       float64
	bounded      bool
	intervalNote string
}

func summarize(values []float64) summary {
	th := benchmath.DefaultThresholds
	s := benchmath.AssumeNothing.Summary(benchmath.NewSample(slices.Clone(values), &th), Confidence)
	out := summary{values: values, center: s.Center, lo: s.Lo, hi: s.Hi}
	out.bounded = !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0)
	if !out.bounded {
		out.intervalNote = fmt.Sprintf("need ≥ %d runs per side for a %.0f%% confidence interval (shown as ±∞)", runsForInterval(), Confidence*100)
	}
	return out
}

// runsForInterval is the fewest runs whose median has a bounded interval
// at Confidence, found the way benchmath finds it: by asking.
func runsForInterval() int {
	th := benchmath.DefaultThresholds
	n := 2
	for ; n < 50; n++ {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = float64(i)
		}
		s := benchmath.AssumeNothing.Summary(benchmath.NewSample(xs, &th), Confidence)
		if !math.IsInf(s.Lo, 0) && !math.IsInf(s.Hi, 0) {
			break
		}
	}
	return n
}

// test is the outcome of the two-sided Mann-Whitney U test over per-run
// values.
type test struct {
	p float64
	// tooFew is set when no arrangement of n1+n2 runs could reach
	// p < alpha: a "no difference" from such a test says nothing.
	tooFew   bool
	note     string   // why tooFew
	warnings []string // anything else benchmath flagged
}

func uTest(base, cand []float64, alpha float64) test {
	if minP(len(base), len(cand)) >= alpha {
		return test{p: 1, tooFew: true, note: fmt.Sprintf(
			"need ≥ %d runs per side to detect a difference at α=%g (have %d+%d)",
			runsToDetect(alpha), alpha, len(base), len(cand))}
	}
	// The U test is undefined when every value is equal; there is no
	// difference to find.
	if allEqual(base, cand) {
		return test{p: 1}
	}
	th := benchmath.Thresholds{CompareAlpha: alpha}
	c := benchmath.AssumeNothing.Compare(
		benchmath.NewSample(slices.Clone(base), &th),
		benchmath.NewSample(slices.Clone(cand), &th))
	t := test{p: c.P}
	for _, w := range c.Warnings {
		t.warnings = append(t.warnings, w.Error())
	}
	return t
}

// minP is the smallest two-sided p-value the exact U test can give for
// samples of n1 and n2 values: both tails' single most extreme
// arrangement, 2 / C(n1+n2, n1). It is the floor below which no data can
// push the test, so when it is at least alpha the test cannot detect
// anything.
func minP(n1, n2 int) float64 {
	if n1 == 0 || n2 == 0 {
		return 1
	}
	c := 1.0 // C(n1+n2, n1), exact in float64 until it no longer matters
	for i := 1; i <= n1; i++ {
		c = c * float64(n2+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// runsToDetect is the fewest runs per side with which the U test can
// reach p < alpha.
func runsToDetect(alpha float64) int {
	n := 1
	for minP(n, n) >= alpha {
		n++
	}
	return n
}

func allEqual(a, b []float64) bool {
	v := a[0]
	for _, xs := range [][]float64{a, b} {
		for _, x := range xs {
			if x != v {
				return false
			}
		}
	}
	return true
}
