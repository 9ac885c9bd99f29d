package pprofcollect

import (
	"math"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

func TestSummarizeAndRunCosts(t *testing.T) {
	cpu := []string{"samples/count", "cpu/nanoseconds"}
	run1 := &results.Run{Profiles: []results.Profile{
		okItem(t, "cpu", 10, fakeProfile(cpu,
			fakeSample{[]string{"main.query", "main.handler"}, []int64{3, 30_000_000}},
			fakeSample{[]string{"main.handler"}, []int64{1, 10_000_000}})),
		okItem(t, "allocs", 10, fakeProfile(allocTypes, fakeSample{[]string{"main.query"}, []int64{20, 2048, 0, 0}})),
		{Kind: "mutex", Status: results.ProfileEmpty, Error: "no samples"},
	}}
	run2 := &results.Run{Profiles: []results.Profile{
		okItem(t, "cpu", 30, fakeProfile(cpu, fakeSample{[]string{"main.query", "main.handler"}, []int64{4, 40_000_000}})),
		{Kind: "cpu", Status: results.ProfileBusy},
	}}

	s := Summarize([]*results.Run{run1, run2}, Limits{})
	if s == nil {
		t.Fatal("got nil summary for runs with profiles")
	}
	// 80 ms of CPU over 40 requests = 2 ms per request.
	if s.CPUUsPerRequest == nil || math.Abs(*s.CPUUsPerRequest-2000) > 1e-6 {
		t.Errorf("cpu per request: got %v µs, want 2000", s.CPUUsPerRequest)
	}
	if len(s.TopCPU) == 0 || s.TopCPU[0].Function != "main.query" || math.Abs(s.TopCPU[0].FlatUs-1750) > 1e-6 {
		t.Errorf("top function: got %+v, want main.query at 1750µs flat", s.TopCPU)
	}
	if s.AllocBytesPerRequest == nil || math.Abs(*s.AllocBytesPerRequest-204.8) > 1e-6 {
		t.Errorf("alloc bytes per request: got %v, want 204.8", s.AllocBytesPerRequest)
	}
	wantStatuses := map[string]int{"cpu/ok": 2, "cpu/busy": 1, "allocs/ok": 1, "mutex/empty": 1}
	for _, o := range s.Statuses {
		if wantStatuses[o.Kind+"/"+o.Status] != o.Count {
			t.Errorf("status %s/%s: got %d", o.Kind, o.Status, o.Count)
		}
	}
	if len(s.Statuses) != len(wantStatuses) {
		t.Errorf("statuses: got %+v", s.Statuses)
	}
	if Summarize([]*results.Run{{}}, Limits{}) != nil {
		t.Error("runs without profiles should summarize to nil")
	}

	costs, err := RunCosts(run1, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if costs["cpu_per_request"] != 4_000_000 || costs["alloc_bytes_per_request"] != 204.8 {
		t.Errorf("run costs: got %v", costs)
	}
	if _, err := RunCosts(&results.Run{}, Limits{}); err == nil {
		t.Error("a run without profiles: got nil error")
	}
}
