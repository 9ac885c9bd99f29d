package results

import (
	"testing"
	"time"
)

// A long run coarsens its timeline many times over. Every interval must
// stay on one uniform grid: the same width for all but the last, starts on
// the grid, no request lost. Before the fix, intervals closed after a
// coarsening kept the tick's width while the nominal width doubled at every
// coarsening, and after ~60 of them (a 24-hour run) the width overflowed to 0.
func TestTimelineStaysUniformOverManyCoarsenings(t *testing.T) {
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	const ticks, maxIntervals = 1000, 4
	c := NewCollector(CollectorConfig{Endpoints: []string{"a"}, MaxIntervals: maxIntervals, Shards: 2, Interval: 100 * time.Millisecond}, base)
	for i := range ticks {
		at := time.Duration(i) * 100 * time.Millisecond
		s := sampleAt(0, 200, KindNone, at, time.Millisecond)
		c.Shard(i).Record(&s)
		c.Tick(at+100*time.Millisecond, 1)
	}
	end := ticks * 100 * time.Millisecond
	run := finishRun(c, base, end)
	tl := run.Timeline
	if n := len(tl.Intervals); n == 0 || n > maxIntervals {
		t.Fatalf("intervals: got %d, want 1..%d", n, maxIntervals)
	}
	// 100 s in at most 4 intervals: 100 ms doubled until 4 cover it, 25.6 s.
	if tl.IntervalMs != 25600 {
		t.Errorf("interval width: got %d ms, want 25600", tl.IntervalMs)
	}
	var total int64
	origin := base.UnixMilli()
	for i, iv := range tl.Intervals {
		total += iv.Requests
		if (iv.StartUnixMs-origin)%tl.IntervalMs != 0 {
			t.Errorf("interval %d starts %d ms after the run's start, off the %d ms grid", i, iv.StartUnixMs-origin, tl.IntervalMs)
		}
		if i < len(tl.Intervals)-1 && iv.DurationMs != tl.IntervalMs {
			t.Errorf("interval %d: %d ms wide, want %d", i, iv.DurationMs, tl.IntervalMs)
		}
		if want := iv.DurationMs / 100; i < len(tl.Intervals)-1 && iv.Requests != want {
			t.Errorf("interval %d: %d requests, want %d (one per 100 ms tick)", i, iv.Requests, want)
		}
	}
	if total != ticks {
		t.Errorf("timeline requests: got %d, want %d", total, ticks)
	}
	if err := Validate(&Result{Schema: Schema, Plan: []byte(`{}`), Runs: []*Run{run}}); err != nil {
		t.Fatal(err)
	}
}
