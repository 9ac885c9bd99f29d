package results

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

// The summary says how many requests rode on an existing connection, and
// names the proxy the run went through.
func TestSummaryConnectionReuseAndProxy(t *testing.T) {
	c, base := newTestCollector(t, 0)
	for i := range 10 {
		s := sampleAt(0, 200, KindNone, time.Duration(i)*time.Millisecond, time.Millisecond)
		if i%5 == 0 {
			s.NewConn, s.Connect = true, 100*time.Microsecond
		}
		c.Shard(0).Record(&s)
	}
	run := finishRun(c, base, time.Second)
	run.Proxy = "http://proxy.example:3128"
	s, err := Summarize(&Result{Schema: Schema, Plan: json.RawMessage(`{}`), Runs: []*Run{run}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Phases.Connect.Count != 2 || s.Phases.Reused != 8 || s.Phases.ConnectionReuse != 0.8 {
		t.Errorf("connections: %d new, %d reused (%v), want 2, 8 (0.8)", s.Phases.Connect.Count, s.Phases.Reused, s.Phases.ConnectionReuse)
	}
	if !slices.ContainsFunc(s.Warnings, func(w string) bool { return strings.Contains(w, "proxy http://proxy.example:3128") }) {
		t.Errorf("warnings %q: want one naming the proxy", s.Warnings)
	}
}

func TestMergeKeepsTheProxy(t *testing.T) {
	a, b := testResult(t).Runs[0], testResult(t).Runs[0]
	b.Proxy = "http://proxy.example:3128"
	b.Generator.Worker = Worker{Host: "other", PID: 2}
	m, err := MergeSegments([]*Run{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if m.Proxy != b.Proxy {
		t.Errorf("merged proxy %q, want %q", m.Proxy, b.Proxy)
	}
}
