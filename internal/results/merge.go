package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/perfkit/perfkit/internal/hdr"
)

// coarsen halves the number of intervals by merging neighbours, doubling the
// nominal width. It never loses a count or a histogram value.
func coarsen(t Timeline) Timeline {
	out := Timeline{IntervalMs: t.IntervalMs * 2}
	for i := 0; i < len(t.Intervals); i += 2 {
		a := t.Intervals[i]
		if i+1 < len(t.Intervals) {
			a = mergeIntervals(a, t.Intervals[i+1])
		}
		out.Intervals = append(out.Intervals, a)
	}
	return out
}

// mergeIntervals combines two intervals into one spanning both. Both come
// from histograms this package encoded or validated, so decoding cannot fail.
func mergeIntervals(a, b Interval) Interval {
	start := min(a.StartUnixMs, b.StartUnixMs)
	end := max(a.StartUnixMs+a.DurationMs, b.StartUnixMs+b.DurationMs)
	return Interval{
		StartUnixMs: start,
		DurationMs:  end - start,
		Warmup:      a.Warmup && b.Warmup,
		Requests:    a.Requests + b.Requests,
		Errors:      a.Errors + b.Errors,
		Dropped:     a.Dropped + b.Dropped,
		BytesIn:     a.BytesIn + b.BytesIn,
		ActiveVUs:   max(a.ActiveVUs, b.ActiveVUs),
		Latency:     mergeEncoded(a.Latency, b.Latency),
		Service:     mergeEncoded(a.Service, b.Service),
		TTFB:        mergeEncoded(a.TTFB, b.TTFB),
	}
}

func mergeEncoded(a, b hdr.Encoded) hdr.Encoded {
	ha, err := hdr.Decode(a)
	if err != nil {
		panic("results: merging an unvalidated interval histogram: " + err.Error())
	}
	hb, err := hdr.Decode(b)
	if err != nil {
		panic("results: merging an unvalidated interval histogram: " + err.Error())
	}
	ha.Merge(hb)
	return ha.Encode()
}

// MergeSegments combines runs that executed the same plan at the same time
// on different machines (segments of one distributed run) into one run:
// counts add, histograms merge exactly, and the measured window spans them
// all, so rates are total requests over the shared wall-clock window.
func MergeSegments(runs []*Run) (*Run, error) {
	return combine(runs, func(r *Run, o *Run) {
		r.WindowStart = minTime(r.WindowStart, o.WindowStart)
		r.WindowEnd = maxTime(r.WindowEnd, o.WindowEnd)
		r.Generator.MaxVUs += o.Generator.MaxVUs
		r.Generator.GOMAXPROCS += o.Generator.GOMAXPROCS
	})
}

// Pool combines sequential runs of one plan (repetitions) into one view:
// counts add, histograms merge, and the measured window is the sum of the
// runs' windows, so rates are not diluted by the gaps between runs.
func Pool(runs []*Run) (*Run, error) {
	return combine(runs, func(r *Run, o *Run) {
		r.WindowEnd = r.WindowEnd.Add(o.WindowEnd.Sub(o.WindowStart))
		r.Generator.MaxVUs = max(r.Generator.MaxVUs, o.Generator.MaxVUs)
		r.Generator.GOMAXPROCS = max(r.Generator.GOMAXPROCS, o.Generator.GOMAXPROCS)
	})
}

func combine(runs []*Run, window func(r, o *Run)) (*Run, error) {
	if len(runs) == 0 {
		return nil, errors.New("nothing to merge")
	}
	first := runs[0]
	r := &Run{
		Status: first.Status, Model: first.Model,
		Start: first.Start, End: first.End,
		WindowStart: first.WindowStart, WindowEnd: first.WindowEnd,
		Warmup: first.Warmup, Insecure: first.Insecure,
		Totals: newStats(), Phases: newPhases(),
		Generator: Generator{GOMAXPROCS: first.Generator.GOMAXPROCS, MaxVUs: first.Generator.MaxVUs, SendLag: hdr.New()},
	}
	for _, e := range first.Endpoints {
		r.Endpoints = append(r.Endpoints, EndpointStats{Name: e.Name, Stats: newStats()})
	}
	var intervals []Interval
	width := int64(0)
	for i, o := range runs {
		if len(o.Endpoints) != len(r.Endpoints) {
			return nil, fmt.Errorf("run %d has %d endpoints, run 1 has %d: results of different plans cannot merge", i+1, len(o.Endpoints), len(r.Endpoints))
		}
		for j := range o.Endpoints {
			if o.Endpoints[j].Name != r.Endpoints[j].Name {
				return nil, fmt.Errorf("run %d endpoint %d is %q, run 1 has %q: results of different plans cannot merge", i+1, j+1, o.Endpoints[j].Name, r.Endpoints[j].Name)
			}
		}
		if o.Model != r.Model {
			return nil, fmt.Errorf("run %d uses the %s model, run 1 the %s model", i+1, o.Model, r.Model)
		}
		if i > 0 {
			window(r, o)
			r.Start = minTime(r.Start, o.Start)
			r.End = maxTime(r.End, o.End)
		}
		if o.Status == StatusInterrupted {
			r.Status = StatusInterrupted
		}
		r.Insecure = r.Insecure || o.Insecure
		r.Segments += max(o.Segments, 1)
		r.Totals.add(&o.Totals)
		for j := range o.Endpoints {
			r.Endpoints[j].add(&o.Endpoints[j].Stats)
		}
		r.Phases.DNS.Merge(o.Phases.DNS)
		r.Phases.Connect.Merge(o.Phases.Connect)
		r.Phases.TLS.Merge(o.Phases.TLS)
		r.Generator.CPUUserS += o.Generator.CPUUserS
		r.Generator.CPUSysS += o.Generator.CPUSysS
		r.Generator.Dropped += o.Generator.Dropped
		r.Generator.SendLag.Merge(o.Generator.SendLag)
		for _, w := range o.Warnings {
			if !slices.Contains(r.Warnings, w) {
				r.Warnings = append(r.Warnings, w)
			}
		}
		intervals = append(intervals, o.Timeline.Intervals...)
		r.Profiles = append(r.Profiles, o.Profiles...)
		width = max(width, o.Timeline.IntervalMs)
	}
	r.Timeline = regrid(intervals, width, r.Start.UnixMilli())
	return r, nil
}

// regrid places intervals on one grid of the given width anchored at origin
// and merges those that land in the same slot.
func regrid(in []Interval, width, origin int64) Timeline {
	out := Timeline{IntervalMs: max(width, 1)}
	if len(in) == 0 {
		return out
	}
	slots := map[int64]Interval{}
	for _, iv := range in {
		k := (iv.StartUnixMs - origin) / out.IntervalMs
		if cur, ok := slots[k]; ok {
			slots[k] = mergeIntervals(cur, iv)
		} else {
			slots[k] = iv
		}
	}
	keys := make([]int64, 0, len(slots))
	for k := range slots {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out.Intervals = append(out.Intervals, slots[k])
	}
	for len(out.Intervals) > DefaultMaxIntervals {
		out = coarsen(out)
	}
	return out
}

// MergeResults merges result files of segments of one distributed run. The
// plans must be identical; each file's runs merge index by index, so
// repetition i of every segment becomes repetition i of the merged result.
func MergeResults(parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, errors.New("nothing to merge")
	}
	first := parts[0]
	for i, p := range parts[1:] {
		if !samePlan(first.Plan, p.Plan) {
			return nil, fmt.Errorf("part %d ran a different plan than part 1", i+2)
		}
		if len(p.Runs) != len(first.Runs) {
			return nil, fmt.Errorf("part %d has %d runs, part 1 has %d", i+2, len(p.Runs), len(first.Runs))
		}
	}
	out := &Result{Schema: Schema, PerfkitVersion: first.PerfkitVersion, Plan: first.Plan}
	for i := range first.Runs {
		var seg []*Run
		for _, p := range parts {
			seg = append(seg, p.Runs[i])
		}
		m, err := MergeSegments(seg)
		if err != nil {
			return nil, fmt.Errorf("run %d: %w", i+1, err)
		}
		out.Runs = append(out.Runs, m)
	}
	return out, nil
}

func samePlan(a, b json.RawMessage) bool {
	var ca, cb bytes.Buffer
	if json.Compact(&ca, a) != nil || json.Compact(&cb, b) != nil {
		return false
	}
	return bytes.Equal(ca.Bytes(), cb.Bytes())
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
