package loadgen

import (
	"context"
	"runtime"
	"testing"
	"testing/synctest"
	"time"

	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// Row 18 in virtual time: a long open-model run inside a synctest bubble,
// where every timer (arrivals, the interval ticker, response delays) fires
// on a fake clock. Thousands of interval ticks exercise what a soak does to
// the recorder: the timeline must coarsen to stay within its cap and on one
// uniform grid, the heap must not grow with the hours, and no request may
// be lost. The heavy build runs a full day (TestHeavySoak24hVirtual).
func TestSoakVirtual2h(t *testing.T) {
	if raceEnabled {
		// 7,200 ticks of histogram merging take ~45 s instrumented;
		// test.sh runs this test again without the race detector.
		t.Skip("run without -race (test.sh does)")
	}
	soakVirtual(t, 2*time.Hour)
}

// soakVirtual runs 2 requests per second for day (virtual time) and checks
// the heap at four points.
func soakVirtual(t *testing.T, day time.Duration) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 2
		checkpoints := []time.Duration{day / 24, day / 4, day / 2, day * 23 / 24}
		heapAt := make([]uint64, len(checkpoints))
		f := &fakeFactory{delay: func(int64) time.Duration { return 5 * time.Millisecond }}
		opts := fakeOpts(f)
		opts.OnStart = func(base time.Time, _ func() int64) {
			go func() {
				for i, at := range checkpoints {
					time.Sleep(at - time.Since(base))
					var m runtime.MemStats
					runtime.GC()
					runtime.ReadMemStats(&m)
					heapAt[i] = m.HeapInuse
				}
			}()
		}
		p := testPlan(t, &plan.Plan{Rate: rate, Duration: day, MaxVUs: 4})
		res, err := Run(context.Background(), p, opts)
		if err != nil {
			t.Fatal(err)
		}
		run := onlyRun(t, res)
		if want := int64(rate * day / time.Second); run.Totals.Requests != want || run.Totals.Errors != 0 {
			t.Errorf("requests: got %d (%d errors), want exactly %d", run.Totals.Requests, run.Totals.Errors, want)
		}
		tl := run.Timeline
		if n := len(tl.Intervals); n == 0 || n > results.DefaultMaxIntervals {
			t.Errorf("timeline: %d intervals, want 1..%d", n, results.DefaultMaxIntervals)
		}
		var inTimeline int64
		for i, iv := range tl.Intervals {
			inTimeline += iv.Requests
			if i < len(tl.Intervals)-1 && iv.DurationMs != tl.IntervalMs {
				t.Errorf("interval %d: %d ms wide, want the timeline's %d", i, iv.DurationMs, tl.IntervalMs)
			}
		}
		if inTimeline != run.Totals.Requests {
			t.Errorf("timeline holds %d requests, totals %d", inTimeline, run.Totals.Requests)
		}
		for i, at := range checkpoints {
			t.Logf("at %v: heap in use %.1f MiB", at, float64(heapAt[i])/(1<<20))
		}
		t.Logf("%d requests, %d intervals of %d ms", run.Totals.Requests, len(run.Timeline.Intervals), run.Timeline.IntervalMs)
		if first, last := heapAt[0], heapAt[len(heapAt)-1]; last > first+first/5+4<<20 {
			t.Errorf("heap grew from %.1f MiB at 1/24 of the run to %.1f MiB at 23/24, want flat (±20%% + 4 MiB)", float64(first)/(1<<20), float64(last)/(1<<20))
		}
	})
}
