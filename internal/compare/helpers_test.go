package compare

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// runSpec describes one synthetic run. Every request of an endpoint takes
// the same time, so each percentile of the run equals that latency and a
// test knows its per-run values exactly.
type runSpec struct {
	latencyMs  []float64 // per endpoint
	requests   int       // per endpoint
	errors     int       // per endpoint, the first requests
	windowS    float64
	open       bool
	dropped    int
	interrupt  bool
	endpoints  []string // default "list", "create"
	noResponse bool     // no response byte: no TTFB recorded
}

// runCache keeps one run per spec: building a run allocates dozens of
// full-range histograms, which dominates the package's test time (and more
// so under -race).
var runCache = map[string]*results.Run{}

// makeRun returns a run of spec. Runs of equal specs share their
// histograms, which Compare only reads, but are distinct *Run values, so
// tests can still tell runs apart by pointer.
func makeRun(t *testing.T, spec runSpec) *results.Run {
	t.Helper()
	key := fmt.Sprintf("%+v", spec)
	r, ok := runCache[key]
	if !ok {
		r = buildRun(t, spec)
		runCache[key] = r
	}
	c := *r
	return &c
}

func buildRun(t *testing.T, spec runSpec) *results.Run {
	t.Helper()
	eps := spec.endpoints
	if eps == nil {
		eps = []string{"list", "create"}
	}
	if len(spec.latencyMs) != len(eps) {
		t.Fatalf("runSpec: %d latencies for %d endpoints", len(spec.latencyMs), len(eps))
	}
	window := time.Duration(spec.windowS * float64(time.Second))
	col := results.NewCollector(results.CollectorConfig{Endpoints: eps, Open: spec.open, Shards: 1}, epoch)
	for ep := range eps {
		lat := time.Duration(spec.latencyMs[ep] * float64(time.Millisecond))
		for i := range spec.requests {
			start := time.Duration(i) * window / time.Duration(spec.requests+1)
			s := results.Sample{
				Endpoint: ep, Status: 200, Intended: start, Start: start, Sent: start,
				FirstByte: start + lat/2, Done: start + lat,
			}
			if i < spec.errors {
				s.Status = 500
			}
			if spec.noResponse {
				s.Status, s.Kind, s.FirstByte = 0, results.KindConnRefused, 0
			}
			col.Shard(0).Record(&s)
		}
	}
	for range spec.dropped {
		col.Shard(0).Drop()
	}
	model, status := plan(spec.open), results.StatusComplete
	if spec.interrupt {
		status = results.StatusInterrupted
	}
	return col.Finish(window, 0, results.FinishInfo{
		Status: status, Model: model,
		Start: epoch, End: epoch.Add(window), WindowStart: epoch, WindowEnd: epoch.Add(window),
	})
}

func plan(open bool) string {
	if open {
		return "open-constant"
	}
	return "closed-constant"
}

// result wraps runs in a result file of the given plan echo. The runs come
// from the collector, so the file is one perfkit could have written.
func result(t *testing.T, planJSON string, runs ...*results.Run) *results.Result {
	t.Helper()
	return &results.Result{Schema: results.Schema, PerfkitVersion: "v1.0.0", Plan: json.RawMessage(planJSON), Runs: runs}
}

// side builds a result with one run per latency: each run's endpoints all
// take that latency.
func sideOf(t *testing.T, latencies ...float64) []*results.Result {
	t.Helper()
	var runs []*results.Run
	for _, l := range latencies {
		runs = append(runs, makeRun(t, runSpec{latencyMs: []float64{l, l}, requests: 100, windowS: 10}))
	}
	return []*results.Result{result(t, testPlan, runs...)}
}

const testPlan = `{"duration":"10s","vus":10}`
