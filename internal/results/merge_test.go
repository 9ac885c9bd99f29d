package results

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/hdr"
)

var mergeBase = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// segment records what one worker of a distributed run would: ten requests
// a second for 60 s from start by its own clock, one timeline interval a
// second, latencies from lat.
func segment(t *testing.T, w Worker, start time.Time, status string, lat func(i int) time.Duration) *Run {
	t.Helper()
	c := NewCollector(CollectorConfig{Endpoints: []string{"a"}, Shards: 2}, start)
	for sec := range 60 {
		for k := range 10 {
			i := sec*10 + k
			s := sampleAt(0, 200, KindNone, time.Duration(i)*100*time.Millisecond, lat(i))
			c.Shard(i).Record(&s)
		}
		c.Tick(time.Duration(sec+1)*time.Second, 4)
	}
	end := 60 * time.Second
	return c.Finish(end, 0, FinishInfo{
		Status: status, Model: "closed-constant",
		Start: start, End: start.Add(end), WindowStart: start, WindowEnd: start.Add(end),
		Generator: Generator{GOMAXPROCS: 2, Worker: w},
	})
}

func flat(i int) time.Duration { return time.Duration(i%50+1) * time.Millisecond }

func segmentResult(runs ...*Run) []*Result {
	var out []*Result
	for _, r := range runs {
		out = append(out, &Result{Schema: Schema, PerfkitVersion: "test", Plan: json.RawMessage(`{"url":"http://x"}`), Runs: []*Run{r}})
	}
	return out
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

func TestMergeSkewAlignStart(t *testing.T) {
	a := segment(t, Worker{Host: "a", PID: 1}, mergeBase, StatusComplete, flat)
	b := segment(t, Worker{Host: "b", PID: 1}, mergeBase.Add(30*time.Second), StatusComplete, flat)

	got, err := Merger{Align: AlignStart, Names: []string{"a.json", "b.json"}}.Segments([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if w := got.WindowSeconds(); w != 60 {
		t.Errorf("window: got %vs, want 60s", w)
	}
	s, err := Summarize(segmentResult(got)[0])
	if err != nil {
		t.Fatal(err)
	}
	if s.Requests != 1200 || s.RPS != 20 {
		t.Errorf("requests %v at %v rps, want 1200 at 20", s.Requests, s.RPS)
	}
	if n := len(got.Timeline.Intervals); n != 60 {
		t.Fatalf("timeline: got %d intervals, want 60 (both segments on one grid)", n)
	}
	for i, iv := range got.Timeline.Intervals {
		if want := mergeBase.Add(time.Duration(i) * time.Second).UnixMilli(); iv.StartUnixMs != want || iv.Requests != 20 {
			t.Fatalf("interval %d: start %d with %d requests, want start %d with 20", i, iv.StartUnixMs, iv.Requests, want)
		}
	}
	if len(got.Warnings) != 1 || !containsAll(got.Warnings[0], "part 2 (b.json) started 30s after part 1 (a.json)", "--align wall") {
		t.Errorf("warnings: got %q, want one naming the 30s offset and --align wall", got.Warnings)
	}
	want := []Segment{
		{Worker: a.Generator.Worker, Start: mergeBase},
		{Worker: b.Generator.Worker, Start: mergeBase.Add(30 * time.Second), Shift: Duration(-30 * time.Second)},
	}
	if !slices.EqualFunc(got.Generator.Segments, want, func(x, y Segment) bool {
		return x.Worker == y.Worker && x.Start.Equal(y.Start) && x.Shift == y.Shift
	}) {
		t.Errorf("segments: got %+v, want %+v", got.Generator.Segments, want)
	}
	// Shifting moves timestamps only: the histograms are the wall merge's.
	wall, err := MergeSegments([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got.Totals)
	wj, _ := json.Marshal(wall.Totals)
	if string(gj) != string(wj) {
		t.Error("aligning changed the totals")
	}
	if !b.Start.Equal(mergeBase.Add(30 * time.Second)) {
		t.Error("aligning modified the caller's run")
	}
}

func TestMergeSkewWallWarns(t *testing.T) {
	a := segment(t, Worker{Host: "a", PID: 1}, mergeBase, StatusComplete, flat)
	b := segment(t, Worker{Host: "b", PID: 1}, mergeBase.Add(30*time.Second), StatusComplete, flat)

	got, err := MergeSegments([]*Run{b, a})
	if err != nil {
		t.Fatal(err)
	}
	if w := got.WindowSeconds(); w != 90 {
		t.Errorf("window: got %vs, want 90s (the wall-clock union)", w)
	}
	if n := len(got.Timeline.Intervals); n != 90 {
		t.Errorf("timeline: got %d intervals, want 90", n)
	}
	if len(got.Warnings) != 1 || !containsAll(got.Warnings[0], "part 1 started 30s after part 2", "1m30s", "--align start") {
		t.Errorf("warnings: got %q, want one naming the 30s offset, the 1m30s window and --align start", got.Warnings)
	}
}

func TestMergeSkewWithinTolerance(t *testing.T) {
	a := segment(t, Worker{Host: "a", PID: 1}, mergeBase, StatusComplete, flat)
	b := segment(t, Worker{Host: "b", PID: 1}, mergeBase.Add(400*time.Millisecond), StatusComplete, flat)
	for _, align := range []Align{AlignWall, AlignStart} {
		got, err := Merger{Align: align}.Segments([]*Run{a, b})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Warnings) != 0 {
			t.Errorf("%s: got warnings %q for a 400ms offset, want none", align, got.Warnings)
		}
	}
	if _, err := (Merger{Align: "sideways"}).Segments([]*Run{a, b}); err == nil || !strings.Contains(err.Error(), `align "sideways"`) {
		t.Errorf("unknown align: got %v, want an error naming it", err)
	}
}

func TestMergeRejectsDuplicateSegment(t *testing.T) {
	a := segment(t, Worker{Host: "a", PID: 7}, mergeBase, StatusComplete, flat)
	b := segment(t, Worker{Host: "b", PID: 7}, mergeBase, StatusComplete, flat)
	parts := segmentResult(a, b)
	names := []string{"a.json", "b.json", "copy-of-a.json"}

	_, err := Merger{Names: names}.Results([]*Result{parts[0], parts[1], parts[0]})
	if err == nil || !containsAll(err.Error(), "part 1 (a.json) and part 3 (copy-of-a.json)", "a pid 7", "twice") {
		t.Fatalf("same part twice: got %v, want an error naming both parts and the worker", err)
	}

	merged, err := MergeResults(parts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := MergeResults([]*Result{merged, parts[1]}); err == nil || !strings.Contains(err.Error(), "part 1 and part 2 hold the same segment") {
		t.Errorf("a merged file and one of its parts: got %v, want a duplicate error", err)
	}

	// One process running the plan twice in a row is two segments.
	again := segment(t, a.Generator.Worker, mergeBase.Add(time.Minute), StatusComplete, flat)
	if _, err := MergeSegments([]*Run{a, again}); err != nil {
		t.Errorf("same worker, later start: got %v, want no error", err)
	}
}

func TestMergeFilesWithoutWorkerIdentity(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, start := range []time.Time{mergeBase, mergeBase.Add(200 * time.Millisecond)} {
		path := filepath.Join(dir, string(rune('a'+i))+".json")
		if err := WriteFile(path, segmentResult(segment(t, Worker{}, start, StatusComplete, flat))[0]); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(data), `"worker"`) || strings.Contains(string(data), `"segments":[`) {
			t.Fatalf("a run without identity should encode as files did before workers were recorded")
		}
		paths = append(paths, path)
	}
	var parts []*Result
	for _, p := range paths {
		r, err := ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, r)
	}
	got, err := MergeResults(parts)
	if err != nil {
		t.Fatalf("merging files without worker identity: %v", err)
	}
	if n := got.Runs[0].Totals.Requests; n != 1200 {
		t.Errorf("requests: got %v, want 1200", n)
	}
	if n := len(got.Runs[0].Generator.Segments); n != 2 {
		t.Errorf("segments: got %d, want 2", n)
	}
}

func TestMergePercentilesMatchAllSamples(t *testing.T) {
	// Workers with very different latencies: averaging their percentiles
	// would be far off, merging their histograms is exact.
	fast := func(i int) time.Duration { return time.Duration(i*7919%9000+1000) * time.Microsecond }
	slow := func(i int) time.Duration { return time.Duration(i*104729%450000+50000) * time.Microsecond }
	a := segment(t, Worker{Host: "a", PID: 1}, mergeBase, StatusComplete, fast)
	b := segment(t, Worker{Host: "b", PID: 1}, mergeBase, StatusComplete, slow)
	got, err := MergeSegments([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}

	one := hdr.New()
	var all []time.Duration
	for i := range 600 {
		for _, d := range []time.Duration{fast(i), slow(i)} {
			one.Record(d)
			all = append(all, d)
		}
	}
	slices.Sort(all)
	gj, _ := json.Marshal(got.Totals.Latency)
	oj, _ := json.Marshal(one)
	if string(gj) != string(oj) {
		t.Error("merged latency histogram differs from one histogram of every sample")
	}
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999, 1} {
		exact := all[int(math.Ceil(q*float64(len(all))))-1]
		merged := got.Totals.Latency.Quantile(q)
		// Three significant digits: within 0.1 % of the sample, plus the
		// microsecond the histogram counts in.
		if diff := (merged - exact).Abs(); diff > exact/1000+time.Microsecond {
			t.Errorf("p%v: merged %v, samples %v", q*100, merged, exact)
		}
	}
}

func TestMergeInterruptedPartWins(t *testing.T) {
	a := segment(t, Worker{Host: "a", PID: 1}, mergeBase, StatusComplete, flat)
	b := segment(t, Worker{Host: "b", PID: 1}, mergeBase, StatusInterrupted, flat)
	for _, runs := range [][]*Run{{a, b}, {b, a}} {
		got, err := Merger{Names: []string{"x.json", "y.json"}}.Segments(runs)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != StatusInterrupted {
			t.Errorf("status: got %q, want %q", got.Status, StatusInterrupted)
		}
		who := "part 2 (y.json)"
		if runs[0] == b {
			who = "part 1 (x.json)"
		}
		if !slices.ContainsFunc(got.Warnings, func(w string) bool { return containsAll(w, who, "interrupted") }) {
			t.Errorf("warnings: got %q, want one naming %s as interrupted", got.Warnings, who)
		}
	}
}

func TestMergeRefusesOtherHistogramSettings(t *testing.T) {
	a := segment(t, Worker{Host: "a", PID: 1}, mergeBase, StatusComplete, flat)
	coarseTotals := segment(t, Worker{Host: "b", PID: 1}, mergeBase, StatusComplete, flat)
	h := hdr.NewCoarse()
	for range coarseTotals.Totals.Requests {
		h.Record(time.Millisecond)
	}
	coarseTotals.Totals.Latency = h
	fineTimeline := segment(t, Worker{Host: "c", PID: 1}, mergeBase, StatusComplete, flat)
	fineTimeline.Timeline.Intervals[0].Latency = fineTimeline.Totals.Latency.Encode()
	fineTimeline.Timeline.Intervals[0].Requests = fineTimeline.Totals.Requests

	cases := []struct {
		name string
		run  *Run
		want string
	}{
		{"coarse totals", coarseTotals, "part 2 cannot merge: totals: histograms must have 3 significant figures"},
		{"fine timeline", fineTimeline, "part 2 cannot merge: timeline[0] latency: 3 significant figures, want 2"},
		{"nil run", nil, "part 2: no run"},
	}
	for _, c := range cases {
		_, err := MergeSegments([]*Run{a, c.run})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}
