package report

import (
	"flag"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

var regen = flag.Bool("regen", false, "rebuild the result fixtures in testdata/compare from their seeds")

// compareFixture describes a result file of five runs against two
// endpoints. Latencies are log-normal around a median per endpoint, and
// each run shifts all of them by its own small factor, the run-to-run
// variance that makes the run the unit of replication.
type compareFixture struct {
	file    string
	plan    string
	seed    uint64
	listMs  float64
	orderMs float64
	rps     float64 // per endpoint
	errors  int     // per run on create-order
}

var compareFixtures = []compareFixture{
	{
		file:   "base.json",
		plan:   `{"name":"checkout","model":"closed-constant","vus":20,"duration":"10s","endpoints":[{"name":"list-orders","method":"GET","url":"http://127.0.0.1:8080/orders"},{"name":"create-order","method":"POST","url":"http://127.0.0.1:8080/orders"}],"thresholds":["p95<500ms","error_rate<1%"]}`,
		seed:   1,
		listMs: 12, orderMs: 30, rps: 15, errors: 1,
	},
	{
		// The candidate's create-order is 25 % slower, and its plan ran
		// longer under a key a hostile file could carry.
		file:   "cand.json",
		plan:   `{"name":"checkout","model":"closed-constant","vus":20,"duration":"12s","endpoints":[{"name":"list-orders","method":"GET","url":"http://127.0.0.1:8080/orders"},{"name":"create-order","method":"POST","url":"http://127.0.0.1:8080/orders"}],"thresholds":["p95<500ms","error_rate<1%"],"x|<b>*":1}`,
		seed:   2,
		listMs: 12, orderMs: 37.5, rps: 15, errors: 1,
	},
}

// TestRegenerateCompareFixtures writes the fixtures. They are checked in,
// so the goldens do not depend on this generator staying byte-stable; run
// it with -regen only to change them, then -update the goldens.
func TestRegenerateCompareFixtures(t *testing.T) {
	if !*regen {
		t.Skip("fixtures are checked in; -regen rebuilds them")
	}
	for _, f := range compareFixtures {
		res := &results.Result{Schema: results.Schema, PerfkitVersion: "v0.9.0", Plan: []byte(f.plan)}
		for i := range 5 {
			res.Runs = append(res.Runs, f.run(i))
		}
		if err := results.WriteFile(filepath.Join("testdata", "compare", f.file), res); err != nil {
			t.Fatal(err)
		}
	}
}

func (f compareFixture) run(i int) *results.Run {
	rng := rand.New(rand.NewPCG(f.seed, uint64(i)))
	start := time.Date(2026, 3, 1, 12, i, 0, 0, time.UTC)
	const window = 10 * time.Second
	col := results.NewCollector(results.CollectorConfig{Endpoints: []string{"list-orders", "create-order"}, Shards: 1}, start)
	shift := 1 + 0.02*rng.NormFloat64()
	for ep, median := range []float64{f.listMs, f.orderMs} {
		n := int(f.rps*window.Seconds()) + rng.IntN(5)
		for j := range n {
			// Rounded to 0.1 ms so the histograms, and the files, stay small.
			ms := math.Round(median*shift*math.Exp(0.25*rng.NormFloat64())*10) / 10
			lat := time.Duration(ms * float64(time.Millisecond))
			at := time.Duration(j) * window / time.Duration(n)
			s := results.Sample{
				Endpoint: ep, Status: 200, Intended: at, Start: at, Sent: at,
				FirstByte: at + lat*3/4, Done: at + lat, BytesIn: 512, BytesOut: 64,
			}
			if ep == 1 && j < f.errors {
				s.Status = 503
			}
			col.Shard(0).Record(&s)
		}
	}
	return col.Finish(window, 20, results.FinishInfo{
		Status: results.StatusComplete, Model: "closed-constant",
		Start: start, End: start.Add(window), WindowStart: start, WindowEnd: start.Add(window),
		Generator: results.Generator{GOMAXPROCS: 2, CPUUserS: 0.2, CPUSysS: 0.1},
	})
}
