package compare

import (
	"math"
	"strings"
	"testing"
)

// permutationP is the exact two-sided p-value of the U test by brute
// force: the share of all splits of the pooled values into groups of the
// original sizes whose U lies at least as far from its mean as the
// observed one. Ties count one half, as in the midrank U. It is the
// reference the library's exact distribution must match.
func permutationP(x, y []float64) float64 {
	pool := append(append([]float64{}, x...), y...)
	n1, n := len(x), len(pool)
	mean := float64(n1*len(y)) / 2
	obs := math.Abs(uStat(x, y) - mean)
	var hits, total int
	for mask := 0; mask < 1<<n; mask++ {
		if popcount(mask) != n1 {
			continue
		}
		var a, b []float64
		for i, v := range pool {
			if mask&(1<<i) != 0 {
				a = append(a, v)
			} else {
				b = append(b, v)
			}
		}
		total++
		if math.Abs(uStat(a, b)-mean) >= obs-1e-9 {
			hits++
		}
	}
	return float64(hits) / float64(total)
}

func uStat(x, y []float64) float64 {
	u := 0.0
	for _, a := range x {
		for _, b := range y {
			switch {
			case a > b:
				u++
			case a == b:
				u += 0.5
			}
		}
	}
	return u
}

func popcount(m int) int {
	n := 0
	for ; m != 0; m &= m - 1 {
		n++
	}
	return n
}

func TestUTestKnownValues(t *testing.T) {
	cases := []struct {
		name       string
		base, cand []float64
		want       float64 // exact two-sided p; known values from the U distribution tables
	}{
		// 2 / C(10,5): the most extreme arrangement of 5+5 runs.
		{"5v5 separated", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0 / 252},
		{"5v5 separated reversed", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 2.0 / 252},
		{"4v4 separated", []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 2.0 / 70},
		{"6v6 separated", []float64{1, 2, 3, 4, 5, 6}, []float64{7, 8, 9, 10, 11, 12}, 2.0 / 924},
		{"5v5 interleaved", []float64{1, 3, 5, 7, 9}, []float64{2, 4, 6, 8, 10}, 29.0 / 42},
		// Ties: the exact permutation distribution given the tie pattern.
		{"5v5 with ties", []float64{1, 2, 2, 3, 3}, []float64{3, 4, 4, 5, 6}, 1.0 / 42},
		{"5v5 ties across", []float64{10, 10, 11, 12, 12}, []float64{12, 13, 13, 13, 14}, 1.0 / 42},
		{"4v6 one overlap", []float64{1, 2, 3, 7}, []float64{4, 5, 6, 8, 9, 10}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := c.want
			if want == 0 {
				want = permutationP(c.base, c.cand)
			}
			if ref := permutationP(c.base, c.cand); math.Abs(ref-want) > 1e-12 {
				t.Fatalf("reference: got %v, want %v", ref, want)
			}
			got := uTest(c.base, c.cand, DefaultAlpha)
			if got.tooFew {
				t.Fatalf("tooFew for %d+%d runs", len(c.base), len(c.cand))
			}
			if math.Abs(got.p-want) > 1e-9 {
				t.Errorf("p: got %v, want %v", got.p, want)
			}
		})
	}
	if got := uTest([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, DefaultAlpha).p; math.Round(got*1e4)/1e4 != 0.0079 {
		t.Errorf("5v5 separated rounds to %.4f, want 0.0079", got)
	}
}

func TestUTestTooFewRuns(t *testing.T) {
	cases := []struct {
		base, cand []float64
		alpha      float64
		tooFew     bool
		note       string
	}{
		{[]float64{1, 2, 3}, []float64{7, 8, 9}, 0.05, true, "need ≥ 4 runs per side to detect a difference at α=0.05 (have 3+3)"},
		{[]float64{1}, []float64{2}, 0.05, true, "need ≥ 4 runs per side to detect a difference at α=0.05 (have 1+1)"},
		{[]float64{1, 2, 3, 4}, []float64{7, 8, 9}, 0.05, true, "(have 4+3)"},
		{[]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 0.01, false, ""},
		{[]float64{1, 2, 3, 4}, []float64{6, 7, 8, 9}, 0.01, true, "need ≥ 5 runs per side to detect a difference at α=0.01 (have 4+4)"},
		// Asymmetric sizes can reach significance: 2 / C(12,2) = 0.030.
		{[]float64{1, 2}, []float64{3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, 0.05, false, ""},
	}
	for _, c := range cases {
		got := uTest(c.base, c.cand, c.alpha)
		if got.tooFew != c.tooFew {
			t.Errorf("%v vs %v at %v: tooFew got %v, want %v", c.base, c.cand, c.alpha, got.tooFew, c.tooFew)
		}
		if !strings.Contains(got.note, c.note) {
			t.Errorf("%v vs %v: note got %q, want it to contain %q", c.base, c.cand, got.note, c.note)
		}
	}
}

func TestUTestAllEqual(t *testing.T) {
	got := uTest([]float64{0, 0, 0, 0, 0}, []float64{0, 0, 0, 0, 0}, DefaultAlpha)
	if got.p != 1 || got.tooFew || len(got.warnings) > 0 {
		t.Errorf("got %+v, want p=1 and no warnings", got)
	}
}

func TestMinP(t *testing.T) {
	cases := []struct {
		n1, n2 int
		want   float64
	}{
		// benchmath's uTestMinP table for n per side.
		{1, 1, 1}, {2, 2, 1.0 / 3}, {3, 3, 0.1}, {4, 4, 0.02857142857142857},
		{5, 5, 0.007936507936507936}, {6, 6, 0.0021645021645021645}, {9, 9, 4.113533525298231e-05},
		{2, 10, 2.0 / 66}, {1, 20, 2.0 / 21}, {0, 5, 1},
	}
	for _, c := range cases {
		if got := minP(c.n1, c.n2); math.Abs(got-c.want) > 1e-15 {
			t.Errorf("minP(%d, %d): got %v, want %v", c.n1, c.n2, got, c.want)
		}
	}
	for _, c := range []struct {
		alpha float64
		want  int
	}{{0.05, 4}, {0.01, 5}, {0.001, 7}, {0.2, 3}} {
		if got := runsToDetect(c.alpha); got != c.want {
			t.Errorf("runsToDetect(%v): got %v, want %v", c.alpha, got, c.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	// benchmath: a median's 95% interval needs 6 values; with 5 it is ±∞.
	if got, want := runsForInterval(), 6; got != want {
		t.Errorf("runsForInterval: got %v, want %v", got, want)
	}
	s := summarize([]float64{5, 1, 4, 2, 3})
	if s.center != 3 || s.bounded {
		t.Errorf("5 values: got center %v bounded %v, want 3 and unbounded", s.center, s.bounded)
	}
	if want := "need ≥ 6 runs per side for a 95% confidence interval (shown as ±∞)"; s.intervalNote != want {
		t.Errorf("note: got %q, want %q", s.intervalNote, want)
	}
	s = summarize([]float64{6, 1, 5, 2, 4, 3})
	if s.center != 3.5 || !s.bounded || s.lo != 1 || s.hi != 6 {
		t.Errorf("6 values: got center %v [%v, %v] bounded %v, want 3.5 [1, 6]", s.center, s.lo, s.hi, s.bounded)
	}
}
