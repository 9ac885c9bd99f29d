package pprofcollect

import (
	"fmt"
	"sort"

	"github.com/perfkit/perfkit/internal/results"
)

// topFunctions is how many functions a run summary lists.
const topFunctions = 10

// Summarize puts the profiles of runs per request for a report's target
// section: CPU, allocated bytes and objects per request, the top functions
// by flat CPU, goroutines at the end and after drain, and a count of every
// capture outcome by kind and status. It returns nil when no run has
// profiles. Profiles of every run are pooled, with their requests.
func Summarize(runs []*results.Run, lim Limits) *results.ProfileSummary {
	var items []results.Profile
	for _, r := range runs {
		items = append(items, r.Profiles...)
	}
	if len(items) == 0 {
		return nil
	}
	s := &results.ProfileSummary{TopCPU: []results.FunctionCost{}}
	if t, err := Normalize(items, "cpu", lim); err == nil {
		s.CPUUsPerRequest = ptr(t.Total / 1e3)
		for _, c := range t.Rows[:min(topFunctions, len(t.Rows))] {
			s.TopCPU = append(s.TopCPU, results.FunctionCost{Function: c.Function, FlatUs: c.Flat / 1e3, CumUs: c.Cum / 1e3})
		}
		s.Warnings = append(s.Warnings, t.Warnings...)
	}
	if t, err := Normalize(items, "alloc_space", lim); err == nil {
		s.AllocBytesPerRequest = ptr(t.Total)
	}
	if t, err := Normalize(items, "alloc_objects", lim); err == nil {
		s.AllocsPerRequest = ptr(t.Total)
	}
	if t, err := Normalize(items, "goroutine", lim); err == nil {
		s.GoroutinesEnd = ptr(t.Total)
	}
	if t, err := Normalize(items, KindAfterDrain, lim); err == nil {
		s.GoroutinesAfterDrain = ptr(t.Total)
	}
	s.Statuses = outcomes(items)
	return s
}

// outcomes counts capture attempts by kind and status, keeping the first
// error message of each group.
func outcomes(items []results.Profile) []results.ProfileOutcome {
	type key struct{ kind, status string }
	groups := map[key]*results.ProfileOutcome{}
	for _, p := range items {
		k := key{p.Kind, p.Status}
		g, ok := groups[k]
		if !ok {
			g = &results.ProfileOutcome{Kind: p.Kind, Status: p.Status}
			groups[k] = g
		}
		g.Count++
		if g.Error == "" {
			g.Error = p.Error
		}
	}
	out := make([]results.ProfileOutcome, 0, len(groups))
	for _, g := range groups {
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Status < out[j].Status
	})
	return out
}

// RunCosts returns one run's cost per request for compare's gates:
// cpu_per_request in ns and alloc_bytes_per_request / alloc_objects_per_
// request, each only when the run has usable profiles of that kind. A run
// without any usable profile is an error, so compare can say which run
// lacked them instead of comparing zeros.
func RunCosts(r *results.Run, lim Limits) (map[string]float64, error) {
	out := map[string]float64{}
	if t, err := Normalize(r.Profiles, "cpu", lim); err == nil {
		out["cpu_per_request"] = t.Total
	}
	if t, err := Normalize(r.Profiles, "alloc_space", lim); err == nil {
		out["alloc_bytes_per_request"] = t.Total
	}
	if t, err := Normalize(r.Profiles, "alloc_objects", lim); err == nil {
		out["alloc_objects_per_request"] = t.Total
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no usable CPU or allocation profile (%d profile items)", len(r.Profiles))
	}
	return out, nil
}

func ptr(v float64) *float64 { return &v }
