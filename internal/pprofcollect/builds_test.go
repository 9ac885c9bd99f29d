package pprofcollect

import (
	"math"
	"testing"
	"time"
)

// TestDiffTwoBuilds profiles two builds of one handler under the same
// load: the candidate runs expensiveChecksum four rounds per request where
// the base runs one. The CPU and allocation diffs must both name it first,
// with the right sign and about the right size; a second capture of the
// base build must show no large allocation change anywhere (A/A).
func TestDiffTwoBuilds(t *testing.T) {
	if testing.Short() {
		t.Skip("burns CPU for about 6 s")
	}
	const baseRounds, candRounds = 1, 4
	kinds := []string{"cpu", "allocs"}
	base := captureBuild(t, baseRounds, 2*time.Second, kinds)
	cand := captureBuild(t, candRounds, 2*time.Second, kinds)

	diff := func(typ string) *Diff {
		t.Helper()
		b, err := Normalize(base, typ, Limits{})
		if err != nil {
			t.Fatalf("base %s: %v", typ, err)
		}
		c, err := Normalize(cand, typ, Limits{})
		if err != nil {
			t.Fatalf("candidate %s: %v", typ, err)
		}
		return DiffTables(b, c)
	}

	cpu := diff("cpu")
	top := cpu.Rows[0]
	ratio := top.CandFlat / top.BaseFlat
	t.Logf("cpu: %s %.1f → %.1f µs/request (×%.2f, truth ×%d); total %.1f → %.1f µs/request; %d → %d requests",
		top.Function, top.BaseFlat/1e3, top.CandFlat/1e3, ratio, candRounds/baseRounds, cpu.BaseTotal/1e3, cpu.CandTotal/1e3, cpu.BaseRequests, cpu.CandRequests)
	if top.Function != checksumFunc {
		t.Errorf("cpu: got %s first, want %s", top.Function, checksumFunc)
	}
	// CPU samples are noisy on a shared two-core machine; a four-fold
	// change must still read as clearly more than double.
	if top.DeltaFlat <= 0 || ratio < 2 || ratio > 8 {
		t.Errorf("cpu: got Δflat %.0f ns/request and ratio %.2f, want an increase of about ×4", top.DeltaFlat, ratio)
	}

	alloc := diff("alloc_space")
	top = alloc.Rows[0]
	want := float64(candRounds-baseRounds) * checksumBytes
	t.Logf("alloc_space: %s Δ %.0f bytes/request (truth %.0f); total %.0f → %.0f bytes/request",
		top.Function, top.DeltaFlat, want, alloc.BaseTotal, alloc.CandTotal)
	if top.Function != checksumFunc {
		t.Errorf("alloc_space: got %s first, want %s", top.Function, checksumFunc)
	}
	if math.Abs(top.DeltaFlat-want) > 0.2*want {
		t.Errorf("alloc_space: got Δflat %.0f bytes/request, want %.0f ± 20%%", top.DeltaFlat, want)
	}

	again := captureBuild(t, baseRounds, 1500*time.Millisecond, []string{"allocs"})
	b, err := Normalize(base, "alloc_space", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Normalize(again, "alloc_space", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	aa := DiffTables(b, a)
	var largest DiffRow
	for _, r := range aa.Rows {
		if math.Abs(r.DeltaFlat) > math.Abs(largest.DeltaFlat) {
			largest = r
		}
	}
	t.Logf("A/A alloc_space: largest change %s %+.0f bytes/request of %.0f total", largest.Function, largest.DeltaFlat, aa.BaseTotal)
	if math.Abs(largest.DeltaFlat) > 0.1*aa.BaseTotal {
		t.Errorf("A/A: got %s changing by %+.0f bytes/request, want no function beyond 10%% of the %.0f total", largest.Function, largest.DeltaFlat, aa.BaseTotal)
	}
}
