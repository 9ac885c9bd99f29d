package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
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

// Align says how a merge places segments whose clocks disagree about when
// they started.
type Align string

const (
	// AlignWall keeps every timestamp as its worker's clock recorded it.
	// It is the default because it never claims load overlapped when it
	// did not: NTP keeps clocks within milliseconds, while workers a
	// scheduler launches "together" often really start seconds apart
	// (image pulls, node scheduling), and aligning those would credit the
	// target with a combined rate it never saw.
	AlignWall Align = "wall"
	// AlignStart shifts each segment's timestamps by its start's offset
	// from the first part's, for workers that started together on
	// machines whose clocks disagree.
	AlignStart Align = "start"
)

// Merger merges segments of one distributed run (the same plan run at the
// same time on several machines). Its zero value aligns by wall clock and
// names parts by position.
type Merger struct {
	// Align is AlignWall when empty.
	Align Align
	// Names label the parts in errors and warnings (the CLI passes file
	// paths); a part without one is "part N".
	Names []string
}

// MergeSegments merges runs with the zero Merger.
func MergeSegments(runs []*Run) (*Run, error) { return Merger{}.Segments(runs) }

// MergeResults merges result files with the zero Merger.
func MergeResults(parts []*Result) (*Result, error) { return Merger{}.Results(parts) }

// Segments combines runs that are segments of one distributed run into
// one run: counts add, histograms merge exactly (latencies are never
// recomputed from timestamps), the measured window spans them all, so
// rates are total requests over the shared window, and the status is the
// worst of theirs. A segment given twice is an error: it would count its
// requests twice.
func (m Merger) Segments(runs []*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, errors.New("nothing to merge")
	}
	if m.Align != "" && m.Align != AlignWall && m.Align != AlignStart {
		return nil, fmt.Errorf("align %q: want %q or %q", m.Align, AlignWall, AlignStart)
	}
	var errs []error
	for i, o := range runs {
		if o == nil {
			errs = append(errs, fmt.Errorf("%s: no run", m.name(i)))
		} else if err := validateRun(o); err != nil {
			// Precision and settings mismatches land here: hdr.Merge
			// would panic on them, and re-binning would blur the finer
			// histogram, so such a part is refused.
			errs = append(errs, fmt.Errorf("%s cannot merge: %w", m.name(i), err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	first, last := 0, 0
	offsets := make([]time.Duration, len(runs))
	for i, o := range runs {
		offsets[i] = o.Start.Sub(runs[0].Start)
		if offsets[i] < offsets[first] {
			first = i
		}
		if offsets[i] > offsets[last] {
			last = i
		}
	}
	segs, err := m.segments(runs, offsets)
	if err != nil {
		return nil, err
	}
	if m.Align == AlignStart {
		aligned := make([]*Run, len(runs))
		for i, o := range runs {
			aligned[i] = shifted(o, -offsets[i])
		}
		runs = aligned
	}

	r, err := combine(runs, m.name, func(r *Run, o *Run) {
		r.WindowStart = minTime(r.WindowStart, o.WindowStart)
		r.WindowEnd = maxTime(r.WindowEnd, o.WindowEnd)
		r.Generator.MaxVUs += o.Generator.MaxVUs
		r.Generator.GOMAXPROCS += o.Generator.GOMAXPROCS
	})
	if err != nil {
		return nil, err
	}
	r.Generator.Segments = segs
	if skew, tol := offsets[last]-offsets[first], skewTolerance(runs); skew > tol {
		r.Warnings = append(r.Warnings, m.skewWarning(first, last, skew, tol, r.WindowEnd.Sub(r.WindowStart)))
	}
	for i, o := range runs {
		if o.Status == StatusInterrupted {
			r.Warnings = append(r.Warnings, fmt.Sprintf("%s was interrupted: the merged run holds only what that worker measured before it stopped", m.name(i)))
		}
	}
	return r, nil
}

// Results merges result files of segments of one distributed run. The
// plans must be identical; each file's runs merge index by index, so
// repetition i of every segment becomes repetition i of the merged result.
func (m Merger) Results(parts []*Result) (*Result, error) {
	if len(parts) == 0 {
		return nil, errors.New("nothing to merge")
	}
	first := parts[0]
	for i, p := range parts[1:] {
		if !samePlan(first.Plan, p.Plan) {
			return nil, fmt.Errorf("%s ran a different plan than %s", m.name(i+1), m.name(0))
		}
		if len(p.Runs) != len(first.Runs) {
			return nil, fmt.Errorf("%s has %d runs, %s has %d", m.name(i+1), len(p.Runs), m.name(0), len(first.Runs))
		}
	}
	out := &Result{Schema: Schema, PerfkitVersion: first.PerfkitVersion, Plan: first.Plan}
	for i := range first.Runs {
		var seg []*Run
		for _, p := range parts {
			seg = append(seg, p.Runs[i])
		}
		r, err := m.Segments(seg)
		if err != nil {
			if len(first.Runs) > 1 {
				err = fmt.Errorf("run %d: %w", i+1, err)
			}
			return nil, err
		}
		out.Runs = append(out.Runs, r)
	}
	return out, nil
}

func (m Merger) name(i int) string {
	if i < len(m.Names) && m.Names[i] != "" {
		return fmt.Sprintf("part %d (%s)", i+1, m.Names[i])
	}
	return fmt.Sprintf("part %d", i+1)
}

// segments lists the segments runs hold, each with the shift an AlignStart
// merge gives it, and refuses a segment that appears twice. Segments of
// files written before perfkit recorded workers cannot be told apart, so
// they are never refused.
func (m Merger) segments(runs []*Run, offsets []time.Duration) ([]Segment, error) {
	var all []Segment
	var owner []int
	for i, o := range runs {
		own := o.Generator.Segments
		if len(own) == 0 {
			own = []Segment{{Worker: o.Generator.Worker, Start: o.Start}}
		}
		for _, s := range own {
			if m.Align == AlignStart {
				s.Shift -= Duration(offsets[i])
			}
			if s.Worker != (Worker{}) {
				for j, p := range all {
					if p.Worker == s.Worker && p.Start.Equal(s.Start) {
						return nil, fmt.Errorf("%s and %s hold the same segment (worker %s, started %s): merging both would count its requests twice; pass each worker's file once",
							m.name(owner[j]), m.name(i), s.Worker, s.Start.Format(time.RFC3339Nano))
					}
				}
			}
			all = append(all, s)
			owner = append(owner, i)
		}
	}
	return all, nil
}

// ThisWorker identifies the running process. When the system cannot name
// its host, the PID and the run's start still tell segments apart.
func ThisWorker() Worker {
	host, err := os.Hostname()
	if err != nil {
		return Worker{PID: os.Getpid()}
	}
	return Worker{Host: host, PID: os.Getpid()}
}

func (w Worker) String() string {
	if w.Host == "" {
		return fmt.Sprintf("pid %d", w.PID)
	}
	return fmt.Sprintf("%s pid %d", w.Host, w.PID)
}

// skewTolerance is how far apart segments may start before a merge warns:
// a second, or one timeline interval when the timelines are coarser.
// Workers launched together start within about a second of each other and
// NTP keeps their clocks within milliseconds, so a wider gap is either
// clock skew or a real stagger, and merge cannot tell which; below one
// interval the timeline cannot show the difference anyway, and the window
// is stretched by under a second.
func skewTolerance(runs []*Run) time.Duration {
	tol := time.Second
	for _, o := range runs {
		tol = max(tol, time.Duration(o.Timeline.IntervalMs)*time.Millisecond)
	}
	return tol
}

func (m Merger) skewWarning(first, last int, skew, tol, window time.Duration) string {
	skew = skew.Round(time.Millisecond)
	if m.Align == AlignStart {
		return fmt.Sprintf("%s started %s after %s by the workers' clocks (tolerance %s): merged with --align start, each segment shifted to start with %s, so rates assume the segments overlapped; if the workers really started apart, merge again with 'perfkit merge --align wall'",
			m.name(last), skew, m.name(first), tol, m.name(0))
	}
	return fmt.Sprintf("%s started %s after %s by the workers' clocks (tolerance %s): merged by wall clock, so rates are averaged over the %s window that spans both and the timeline places each segment by its own clock; if the workers started together and only their clocks disagree, merge again with 'perfkit merge --align start'",
		m.name(last), skew, m.name(first), tol, window.Round(time.Millisecond))
}

// shifted returns a copy of o with every wall-clock timestamp moved by d.
// Counts and histograms are shared with o, never recomputed.
func shifted(o *Run, d time.Duration) *Run {
	c := *o
	c.Start, c.End = o.Start.Add(d), o.End.Add(d)
	c.WindowStart, c.WindowEnd = o.WindowStart.Add(d), o.WindowEnd.Add(d)
	c.Timeline.Intervals = make([]Interval, len(o.Timeline.Intervals))
	for i, iv := range o.Timeline.Intervals {
		iv.StartUnixMs += d.Milliseconds()
		c.Timeline.Intervals[i] = iv
	}
	c.Profiles = make([]Profile, len(o.Profiles))
	for i, p := range o.Profiles {
		p.WindowStart, p.WindowEnd = p.WindowStart.Add(d), p.WindowEnd.Add(d)
		c.Profiles[i] = p
	}
	return &c
}

// Pool combines sequential runs of one plan (repetitions) into one view:
// counts add, histograms merge, and the measured window is the sum of the
// runs' windows, so rates are not diluted by the gaps between runs.
func Pool(runs []*Run) (*Run, error) {
	return combine(runs, func(i int) string { return fmt.Sprintf("run %d", i+1) }, func(r *Run, o *Run) {
		r.WindowEnd = r.WindowEnd.Add(o.WindowEnd.Sub(o.WindowStart))
		r.Generator.MaxVUs = max(r.Generator.MaxVUs, o.Generator.MaxVUs)
		r.Generator.GOMAXPROCS = max(r.Generator.GOMAXPROCS, o.Generator.GOMAXPROCS)
	})
}

func combine(runs []*Run, name func(int) string, window func(r, o *Run)) (*Run, error) {
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
			return nil, fmt.Errorf("%s has %d endpoints, %s has %d: results of different plans cannot merge", name(i), len(o.Endpoints), name(0), len(r.Endpoints))
		}
		for j := range o.Endpoints {
			if o.Endpoints[j].Name != r.Endpoints[j].Name {
				return nil, fmt.Errorf("%s endpoint %d is %q, %s has %q: results of different plans cannot merge", name(i), j+1, o.Endpoints[j].Name, name(0), r.Endpoints[j].Name)
			}
		}
		if o.Model != r.Model {
			return nil, fmt.Errorf("%s uses the %s model, %s the %s model", name(i), o.Model, name(0), r.Model)
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
		if r.Proxy == "" {
			r.Proxy = o.Proxy
		}
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
