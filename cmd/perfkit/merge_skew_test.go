package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// writeSegment writes the result file one worker of a distributed run
// would: ten requests a second for 20 s from start by its own clock.
func writeSegment(t *testing.T, path string, w results.Worker, start time.Time) {
	t.Helper()
	c := results.NewCollector(results.CollectorConfig{Endpoints: []string{"a"}, Shards: 1}, start)
	for i := range 200 {
		at := time.Duration(i) * 100 * time.Millisecond
		s := results.Sample{Status: 200, Intended: at, Start: at, Sent: at, FirstByte: at + time.Millisecond, Done: at + 2*time.Millisecond, BytesIn: 10}
		c.Shard(i).Record(&s)
		if i%10 == 9 {
			c.Tick(at+100*time.Millisecond, 1)
		}
	}
	end := 20 * time.Second
	run := c.Finish(end, 0, results.FinishInfo{
		Status: results.StatusComplete, Model: "closed-constant",
		Start: start, End: start.Add(end), WindowStart: start, WindowEnd: start.Add(end),
		Generator: results.Generator{GOMAXPROCS: 1, Worker: w},
	})
	r := &results.Result{Schema: results.Schema, PerfkitVersion: "test", Plan: json.RawMessage(`{"url":"http://x"}`), Runs: []*results.Run{run}}
	if err := results.WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
}

func TestMergeAlignsSkewedWorkers(t *testing.T) {
	dir := t.TempDir()
	a, b, out := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "m.json")
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	writeSegment(t, a, results.Worker{Host: "worker-0", PID: 1}, start)
	writeSegment(t, b, results.Worker{Host: "worker-1", PID: 1}, start.Add(30*time.Second))

	cases := []struct {
		args   []string
		window float64
		hint   string
	}{
		{[]string{"merge", a, b, "-o", out}, 50, "--align start"},
		{[]string{"merge", a, b, "-o", out, "--align", "start"}, 20, "--align wall"},
	}
	for _, c := range cases {
		r := runCLI(t, c.args...)
		if r.code != exitOK {
			t.Fatalf("%v: exit %d, stderr %q", c.args, r.code, r.stderr)
		}
		if !strings.Contains(r.stderr, "perfkit: warning: part 2 ("+b+") started 30s after part 1") || !strings.Contains(r.stderr, c.hint) {
			t.Errorf("%v: stderr %q, want the 30s skew warning suggesting %s", c.args, r.stderr, c.hint)
		}
		m, err := results.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Runs[0].WindowSeconds(); got != c.window {
			t.Errorf("%v: window %vs, want %vs", c.args, got, c.window)
		}
		if got := m.Runs[0].Totals.Requests; got != 400 {
			t.Errorf("%v: requests %v, want 400", c.args, got)
		}
	}
	if r := runCLI(t, "merge", a, b, "-o", out, "--align", "sideways"); r.code != exitUsage || !strings.Contains(r.stderr, `--align "sideways"`) {
		t.Errorf("unknown --align: exit %d, stderr %q, want 2 naming the value", r.code, r.stderr)
	}
	if r := runCLI(t, "merge", "--help"); !strings.Contains(r.stdout, "--align") || !strings.Contains(r.stdout, "given twice is refused") {
		t.Errorf("help does not explain alignment and duplicates:\n%s", r.stdout)
	}
}

func TestMergeRefusesBadParts(t *testing.T) {
	dir := t.TempDir()
	a, out := filepath.Join(dir, "a.json"), filepath.Join(dir, "m.json")
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	writeSegment(t, a, results.Worker{Host: "worker-0", PID: 1}, start)
	copyOfA := filepath.Join(dir, "copy.json")
	data, err := os.ReadFile(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyOfA, data, 0o644); err != nil {
		t.Fatal(err)
	}
	finer := filepath.Join(dir, "finer.json")
	if err := os.WriteFile(finer, []byte(strings.ReplaceAll(string(data), `"sig_figs":3`, `"sig_figs":4`)), 0o644); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name  string
		parts []string
		want  []string
	}{
		{"same file copied", []string{a, copyOfA}, []string{"part 1 (" + a + ") and part 2 (" + copyOfA + ") hold the same segment", "worker-0 pid 1", "twice"}},
		{"other histogram settings", []string{a, finer}, []string{finer, "histogram settings differ"}},
	}
	for _, c := range cases {
		r := runCLI(t, append(append([]string{"merge"}, c.parts...), "-o", out)...)
		if r.code != exitFailure {
			t.Errorf("%s: exit %d, want 1", c.name, r.code)
		}
		for _, w := range c.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q, want %q", c.name, r.stderr, w)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: wrote %s anyway", c.name, out)
		}
	}
}
