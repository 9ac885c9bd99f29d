package loadgen

import (
	"math"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/plan"
)

func countArrivals(r ramp) (n int, last time.Duration) {
	a := newArrivals(r)
	for {
		t, ok := a.Next()
		if !ok {
			return n, last
		}
		if t < last {
			panic("arrivals went backwards")
		}
		last = t
		n++
	}
}

func TestArrivalsConstant(t *testing.T) {
	n, last := countArrivals(newRamp(1000, nil, 5*time.Second))
	if n != 5000 {
		t.Fatalf("requests: got %v, want 5000", n)
	}
	if want := 4999 * time.Millisecond; last != want {
		t.Errorf("last send: got %v, want %v", last, want)
	}
}

func TestArrivalsRamps(t *testing.T) {
	cases := []struct {
		name   string
		start  float64
		stages []plan.Stage
		want   float64 // integral of the rate
	}{
		{"ramp up", 0, []plan.Stage{{Duration: 10 * time.Second, Target: 100}}, 500},
		{"up hold down", 500, []plan.Stage{{Duration: 2 * time.Second, Target: 1500}, {Duration: 3 * time.Second, Target: 1500}, {Duration: time.Second, Target: 0}}, 2000 + 4500 + 750},
		{"zero hold", 0, []plan.Stage{{Duration: time.Second, Target: 0}, {Duration: time.Second, Target: 10}}, 5},
	}
	for _, c := range cases {
		r := newRamp(c.start, c.stages, 0)
		n, _ := countArrivals(r)
		if math.Abs(float64(n)-c.want) > 1 {
			t.Errorf("%s: got %v requests, want %v ±1", c.name, n, c.want)
		}
	}
}

func TestArrivalSpacingFollowsRate(t *testing.T) {
	// Ramp 0 → 1000 req/s over 10 s: the rate near t is 100·t, so the gap
	// between consecutive sends near t=8s is about 1/800 s.
	a := newArrivals(newRamp(0, []plan.Stage{{Duration: 10 * time.Second, Target: 1000}}, 0))
	var prev time.Duration
	for {
		tm, ok := a.Next()
		if !ok {
			t.Fatal("profile ended before 8 s")
		}
		if tm >= 8*time.Second {
			gap := tm - prev
			want := time.Second / 800
			if d := gap - want; d < -want/20 || d > want/20 {
				t.Fatalf("gap at 8s: got %v, want %v ±5%%", gap, want)
			}
			return
		}
		prev = tm
	}
}

func TestRampAt(t *testing.T) {
	r := newRamp(10, []plan.Stage{{Duration: 10 * time.Second, Target: 50}, {Duration: 10 * time.Second, Target: 0}}, 0)
	cases := []struct {
		at   time.Duration
		want float64
	}{{0, 10}, {5 * time.Second, 30}, {10 * time.Second, 50}, {15 * time.Second, 25}, {30 * time.Second, 0}}
	for _, c := range cases {
		if got := r.At(c.at); math.Abs(got-c.want) > 1e-9 {
			t.Errorf("At(%v): got %v, want %v", c.at, got, c.want)
		}
	}
	if got := r.Peak(); got != 50 {
		t.Errorf("peak: got %v, want 50", got)
	}
}

func TestPickerFollowsWeights(t *testing.T) {
	p := newPicker([]int{1, 3, 6})
	counts := make([]int, 3)
	state := seed(7)
	for range 100000 {
		counts[p.pick(&state)]++
	}
	for i, w := range []float64{0.1, 0.3, 0.6} {
		if got := float64(counts[i]) / 100000; math.Abs(got-w) > 0.01 {
			t.Errorf("endpoint %d share: got %.3f, want %.3f ±0.01", i, got, w)
		}
	}
}

func TestBackoffDoublesToItsCap(t *testing.T) {
	var got []time.Duration
	b := time.Duration(0)
	for range 10 {
		b = nextBackoff(b)
		got = append(got, b)
	}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 100, 100, 100}
	for i := range want {
		if got[i] != want[i]*time.Millisecond {
			t.Fatalf("backoff sequence %v, want %v ms", got, want)
		}
	}
}
