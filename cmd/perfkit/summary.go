package main

import (
	"bytes"
	"encoding/json"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

// summarize is the one way every command turns a result into a summary,
// so the live summary, `perfkit report` and the demo agree: the result's
// own figures plus what its profiles say per request.
func summarize(res *results.Result, extra ...string) (*results.Summary, error) {
	s, err := results.Summarize(res, extra...)
	if err != nil {
		return nil, err
	}
	if p := pprofcollect.Summarize(res.Runs, pprofcollect.Limits{}); p != nil {
		if s.Target == nil {
			s.Target = &results.TargetSummary{}
		}
		s.Target.Profile = p
	}
	return s, nil
}

// runCosts gives compare each run's target cost per request from its
// profiles, under compare's metric names.
func runCosts(r *results.Run) (compare.RunValues, error) {
	costs, err := pprofcollect.RunCosts(r, pprofcollect.Limits{})
	if err != nil {
		return nil, err
	}
	out := compare.RunValues{}
	for name, metric := range map[string]string{
		"cpu_per_request":           compare.MetricCPUPerRequest,
		"alloc_bytes_per_request":   compare.MetricAllocBytesPerRequest,
		"alloc_objects_per_request": compare.MetricAllocObjectsPerRequest,
	} {
		if v, ok := costs[name]; ok {
			out[metric] = v
		}
	}
	return out, nil
}

// profileDiffs are the per-function diff documents (perfkit.profilediff/v1)
// for CPU and allocated bytes, for each type both sides have profiles of.
func profileDiffs(base, cand []*results.Result) []json.RawMessage {
	b, c := profilesOf(base...), profilesOf(cand...)
	if len(b) == 0 || len(c) == 0 {
		return nil
	}
	var docs []json.RawMessage
	for _, typ := range []string{"cpu", "alloc_space"} {
		bt, err1 := pprofcollect.Normalize(b, typ, pprofcollect.Limits{})
		ct, err2 := pprofcollect.Normalize(c, typ, pprofcollect.Limits{})
		if err1 != nil || err2 != nil {
			continue
		}
		var buf bytes.Buffer
		if err := report.RenderDiff(&buf, pprofcollect.DiffTables(bt, ct), profileDiffRows, report.FormatJSON); err != nil {
			continue
		}
		docs = append(docs, json.RawMessage(bytes.TrimSpace(buf.Bytes())))
	}
	return docs
}

// profilesOf pools the profiles of every run of the given results: costs
// per request are sums over the pooled items and their requests.
func profilesOf(rs ...*results.Result) []results.Profile {
	var items []results.Profile
	for _, r := range rs {
		for _, run := range r.Runs {
			items = append(items, run.Profiles...)
		}
	}
	return items
}

// profileDiffRows is how many functions a comparison carries per profile
// type: the largest changes, which is what a reviewer reads.
const profileDiffRows = 15
