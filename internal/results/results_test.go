package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sampleAt builds a finished request for tests: intended at start, done
// after lat.
func sampleAt(ep, status int, kind ErrKind, start, lat time.Duration) Sample {
	return Sample{
		Endpoint: ep, Status: status, Kind: kind,
		Intended: start, Start: start, Sent: start + time.Microsecond,
		FirstByte: start + lat/2, Done: start + lat,
		BytesIn: 100, BytesOut: 50,
	}
}

func newTestCollector(t *testing.T, warmup time.Duration) (*Collector, time.Time) {
	t.Helper()
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	return NewCollector(CollectorConfig{Endpoints: []string{"a", "b"}, Warmup: warmup, Shards: 3}, base), base
}

func finishRun(c *Collector, base time.Time, end time.Duration) *Run {
	return c.Finish(end, 0, FinishInfo{
		Status: StatusComplete, Model: "closed-constant",
		Start: base, End: base.Add(end), WindowStart: base, WindowEnd: base.Add(end),
	})
}

func TestCollectorTotals(t *testing.T) {
	c, base := newTestCollector(t, time.Second)
	// Warm-up samples (intended before 1 s) stay out of totals.
	for i := range 10 {
		s := sampleAt(0, 200, KindNone, time.Duration(i)*50*time.Millisecond, time.Millisecond)
		c.Shard(i).Record(&s)
	}
	c.Tick(time.Second, 4)
	for i := range 100 {
		ep, status, kind := i%2, 200, KindNone
		switch {
		case i%10 == 3:
			status = 503
		case i%10 == 7:
			status, kind = 0, KindTimeout
		case i%10 == 9:
			status = 404
		}
		s := sampleAt(ep, status, kind, time.Second+time.Duration(i)*10*time.Millisecond, time.Duration(i+1)*time.Millisecond)
		c.Shard(i).Record(&s)
	}
	run := finishRun(c, base, 2*time.Second)

	if got, want := run.Totals.Requests, int64(100); got != want {
		t.Fatalf("requests: got %v, want %v", got, want)
	}
	if got, want := run.Totals.Errors, int64(30); got != want {
		t.Errorf("errors: got %v, want %v", got, want)
	}
	wantKinds := map[string]int64{"http_5xx": 10, "http_4xx": 10, "timeout": 10}
	for k, n := range wantKinds {
		if got := run.Totals.ErrorKinds[k]; got != n {
			t.Errorf("kind %s: got %v, want %v", k, got, n)
		}
	}
	if got, want := run.Totals.StatusCodes["200"], int64(70); got != want {
		t.Errorf("status 200: got %v, want %v", got, want)
	}
	if got, want := run.Endpoints[0].Requests+run.Endpoints[1].Requests, int64(100); got != want {
		t.Errorf("endpoint sum: got %v, want %v", got, want)
	}
	var timelineReq int64
	for _, iv := range run.Timeline.Intervals {
		timelineReq += iv.Requests
	}
	if got, want := timelineReq, int64(110); got != want {
		t.Errorf("timeline requests (warm-up included): got %v, want %v", got, want)
	}
	if !run.Timeline.Intervals[0].Warmup {
		t.Errorf("first interval should be marked warm-up")
	}
	if got := run.Totals.Latency.Max(); got < 99*time.Millisecond || got > 101*time.Millisecond {
		t.Errorf("max latency: got %v, want ~100ms", got)
	}
}

func TestRecordAllocatesNothing(t *testing.T) {
	c, _ := newTestCollector(t, 0)
	s := sampleAt(1, 200, KindNone, time.Second, 3*time.Millisecond)
	s.NewConn, s.Connect, s.DNS = true, time.Millisecond, time.Microsecond
	sh := c.Shard(0)
	sh.Record(&s) // first record per endpoint allocates its histograms
	if allocs := testing.AllocsPerRun(1000, func() { sh.Record(&s) }); allocs != 0 {
		t.Fatalf("allocs per recorded request: got %v, want 0", allocs)
	}
}

func BenchmarkRecordParallel(b *testing.B) {
	c := NewCollector(CollectorConfig{Endpoints: []string{"a"}}, time.Now())
	b.ReportAllocs()
	var next int64
	b.RunParallel(func(pb *testing.PB) {
		sh := c.Shard(int(next))
		next++
		s := sampleAt(0, 200, KindNone, time.Second, 3*time.Millisecond)
		for pb.Next() {
			s.Done += time.Microsecond
			sh.Record(&s)
		}
	})
}

func testResult(t *testing.T) *Result {
	t.Helper()
	c, base := newTestCollector(t, 0)
	for i := range 500 {
		s := sampleAt(i%2, 200, KindNone, time.Duration(i)*4*time.Millisecond, time.Duration(i%37+1)*time.Millisecond)
		if i%50 == 0 {
			s.Kind, s.Status = KindConnReset, 0
		}
		c.Shard(i).Record(&s)
		if i%250 == 249 {
			c.Tick(time.Duration(i+1)*4*time.Millisecond, 2)
		}
	}
	run := finishRun(c, base, 2*time.Second)
	return &Result{Schema: Schema, PerfkitVersion: "test", Plan: json.RawMessage(`{"thresholds":["p99<30ms","error_rate<1%"]}`), Runs: []*Run{run}}
}

func TestFileRoundTrip(t *testing.T) {
	r := testResult(t)
	path := filepath.Join(t.TempDir(), "run.json")
	if err := WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := Encode(&a, r); err != nil {
		t.Fatal(err)
	}
	if err := Encode(&b, back); err != nil {
		t.Fatal(err)
	}
	if a.String() != b.String() {
		t.Fatalf("result changed in a write/read round trip")
	}
	s1, err := Summarize(r)
	if err != nil {
		t.Fatal(err)
	}
	s2, err := Summarize(back)
	if err != nil {
		t.Fatal(err)
	}
	j1, _ := json.Marshal(s1)
	j2, _ := json.Marshal(s2)
	if string(j1) != string(j2) {
		t.Fatalf("summary from the file differs from the live one:\n%s\n%s", j1, j2)
	}
}

func TestDecodeRejects(t *testing.T) {
	var good bytes.Buffer
	if err := Encode(&good, testResult(t)); err != nil {
		t.Fatal(err)
	}
	g := good.String()
	cases := []struct {
		name, data, want string
	}{
		{"truncated", g[:len(g)/2], "truncated"},
		{"not json", "hello", "line 1"},
		{"other schema", strings.Replace(g, Schema, "perfkit.result/v9", 1), `schema "perfkit.result/v9" is not supported`},
		{"no schema", `{"runs":[]}`, `no "schema" key`},
		{"bad status", strings.Replace(g, `"status":"complete"`, `"status":"weird"`, 1), `status "weird"`},
		{"count mismatch", strings.Replace(g, `"requests":500`, `"requests":501`, 1), "requests"},
		{"no runs", `{"schema":"` + Schema + `","plan":{},"runs":[]}`, "no runs"},
	}
	for _, c := range cases {
		_, err := Decode(strings.NewReader(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.want)
		}
	}
}

func TestWriteFileFailureLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "no", "such", "dir", "run.json")
	if err := WriteFile(missing, testResult(t)); err == nil {
		t.Fatal("got nil error writing into a missing directory")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left files behind: %v", entries)
	}
}

func TestMergeSegmentsIsExact(t *testing.T) {
	base := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	cfg := CollectorConfig{Endpoints: []string{"a"}, Shards: 2}
	all := NewCollector(cfg, base)
	parts := []*Collector{NewCollector(cfg, base), NewCollector(cfg, base)}
	for i := range 1000 {
		s := sampleAt(0, 200, KindNone, time.Duration(i)*time.Millisecond, time.Duration(i*7%93+1)*time.Millisecond)
		all.Shard(i).Record(&s)
		parts[i%2].Shard(i).Record(&s)
	}
	want := finishRun(all, base, time.Second)
	var runs []*Run
	for _, p := range parts {
		runs = append(runs, finishRun(p, base, time.Second))
	}
	got, err := MergeSegments(runs)
	if err != nil {
		t.Fatal(err)
	}
	gj, _ := json.Marshal(got.Totals)
	wj, _ := json.Marshal(want.Totals)
	if string(gj) != string(wj) {
		t.Fatalf("merged totals differ from recording in one place")
	}
	if got.Segments != 2 {
		t.Errorf("segments: got %v, want 2", got.Segments)
	}
}

func TestMergeRejectsDifferentPlans(t *testing.T) {
	a, b := testResult(t), testResult(t)
	b.Plan = json.RawMessage(`{"thresholds":[]}`)
	if _, err := MergeResults([]*Result{a, b}); err == nil {
		t.Fatal("got nil error merging different plans")
	}
}

func TestTimelineCoarsens(t *testing.T) {
	base := time.Now()
	c := NewCollector(CollectorConfig{Endpoints: []string{"a"}, MaxIntervals: 8, Shards: 1}, base)
	var sent int64
	for i := range 40 {
		s := sampleAt(0, 200, KindNone, time.Duration(i)*time.Second, time.Millisecond)
		c.Shard(0).Record(&s)
		sent++
		c.Tick(time.Duration(i+1)*time.Second, 1)
	}
	run := finishRun(c, base, 40*time.Second)
	if n := len(run.Timeline.Intervals); n > 8 {
		t.Fatalf("intervals: got %v, want <= 8", n)
	}
	if run.Timeline.IntervalMs <= 1000 {
		t.Errorf("interval width: got %v ms, want coarser than 1000", run.Timeline.IntervalMs)
	}
	var total int64
	for _, iv := range run.Timeline.Intervals {
		total += iv.Requests
	}
	if total != sent {
		t.Fatalf("timeline requests after coarsening: got %v, want %v", total, sent)
	}
}

func TestSummaryThresholds(t *testing.T) {
	s, err := Summarize(testResult(t), "p50<1ms", "rps>0", "p99{endpoint=nope}<1s")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]ThresholdResult{}
	for _, th := range s.Thresholds {
		got[th.Expr] = th
	}
	want := map[string]bool{"p99<30ms": false, "error_rate<1%": false, "p50<1ms": false, "rps>0": true, "p99{endpoint=nope}<1s": false}
	for expr, ok := range want {
		if got[expr].OK != ok {
			t.Errorf("%s: got ok=%v (value %v, %q), want %v", expr, got[expr].OK, got[expr].Value, got[expr].Error, ok)
		}
	}
	if got["p99{endpoint=nope}<1s"].Error == "" {
		t.Errorf("unknown endpoint: want an error message")
	}
	if s.ErrorRate != 0.02 {
		t.Errorf("error rate: got %v, want 0.02", s.ErrorRate)
	}
}

func FuzzDecode(f *testing.F) {
	var good bytes.Buffer
	c := NewCollector(CollectorConfig{Endpoints: []string{"a"}, Shards: 1}, time.Unix(0, 0))
	s := sampleAt(0, 200, KindNone, 0, time.Millisecond)
	c.Shard(0).Record(&s)
	run := c.Finish(time.Second, 0, FinishInfo{Status: StatusComplete, Model: "closed-constant", WindowEnd: time.Unix(1, 0)})
	if err := Encode(&good, &Result{Schema: Schema, Plan: json.RawMessage(`{}`), Runs: []*Run{run}}); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add([]byte(`{"schema":"perfkit.result/v1"}`))
	f.Add([]byte(`{"schema":"perfkit.result/v1","plan":{},"runs":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		if err := Encode(&out, r); err != nil {
			t.Fatalf("accepted result does not re-encode: %v", err)
		}
		first := out.String()
		back, err := Decode(&out)
		if err != nil {
			t.Fatalf("re-encoded result does not decode: %v", err)
		}
		var again bytes.Buffer
		if err := Encode(&again, back); err != nil {
			t.Fatal(err)
		}
		if first != again.String() {
			t.Fatal("accepted result does not round-trip")
		}
		if _, err := Summarize(r); err != nil && !strings.Contains(err.Error(), "plan") {
			t.Fatalf("summary of an accepted result failed: %v", err)
		}
	})
}

func TestWriteFileToDevices(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	err := WriteFile("/dev/full", testResult(t))
	if err == nil || !strings.Contains(err.Error(), "/dev/full") {
		t.Fatalf("got %v, want an error naming /dev/full", err)
	}
	if fi, err := os.Stat("/dev/full"); err != nil || fi.Mode().IsRegular() {
		t.Fatalf("/dev/full was replaced: %v %v", fi, err)
	}
	if err := WriteFile("/dev/null", testResult(t)); err != nil {
		t.Fatalf("/dev/null: %v", err)
	}
}

func TestWriteFileUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if err := WriteFile(filepath.Join(dir, "run.json"), testResult(t)); err == nil {
		t.Fatal("got nil error writing into a read-only directory")
	}
}
