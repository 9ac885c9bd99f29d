package pprofcollect

import (
	"fmt"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfkit/perfkit/internal/results"
)

// typeSpec says where a table type's values come from: which stored kind,
// which sample type (by name, never by index: a server-side allocs delta
// and a snapshot order them differently), and the unit.
type typeSpec struct {
	kind, sample string
	// profUnit is the unit the profile must declare; unit is the one the
	// table reports.
	profUnit, unit string
	// perRequest is false for levels (memory in use, goroutines), which
	// do not grow with the requests served and are shown as they are.
	perRequest bool
}

// Block profiles share mutex profiles' sample type names, so their table
// types carry a block_ prefix: "delay" is lock delay, "block_delay" time
// blocked on channels, selects and sync primitives.
var typeSpecs = map[string]typeSpec{
	"cpu":               {"cpu", "cpu", "nanoseconds", "ns", true},
	"alloc_space":       {"allocs", "alloc_space", "bytes", "bytes", true},
	"alloc_objects":     {"allocs", "alloc_objects", "count", "objects", true},
	"contentions":       {"mutex", "contentions", "count", "count", true},
	"delay":             {"mutex", "delay", "nanoseconds", "ns", true},
	"block_contentions": {"block", "contentions", "count", "count", true},
	"block_delay":       {"block", "delay", "nanoseconds", "ns", true},
	"inuse_space":       {"heap", "inuse_space", "bytes", "bytes", false},
	"inuse_objects":     {"heap", "inuse_objects", "count", "objects", false},
	"goroutine":         {"goroutine", "goroutine", "count", "count", false},
	KindAfterDrain:      {KindAfterDrain, "goroutine", "count", "count", false},
}

// Types lists the table types Normalize, Export and the commands take, in
// the order help texts show them.
func Types() []string {
	return []string{"cpu", "alloc_space", "alloc_objects", "contentions", "delay",
		"block_contentions", "block_delay", "inuse_space", "inuse_objects", "goroutine", KindAfterDrain}
}

func lookupType(typ string) (typeSpec, error) {
	spec, ok := typeSpecs[typ]
	if !ok {
		return typeSpec{}, fmt.Errorf("unknown profile type %q: want one of %s", typ, strings.Join(Types(), ", "))
	}
	return spec, nil
}

// Cost is one function's share of a profile, per request (or, for level
// types, as measured), in the table's unit. Flat counts samples whose
// innermost frame is the function, inlined frames included; Cum counts
// samples with the function anywhere on the stack, once per sample.
type Cost struct {
	Function string
	Flat     float64
	Cum      float64
}

// Table is the cost of one profile type by function.
type Table struct {
	// Type is one of Types(); Unit is ns, bytes, objects or count.
	Type string
	Unit string
	// PerRequest tells whether Total and Rows are per request; level
	// types (inuse_*, goroutine) are the mean of their snapshots instead.
	PerRequest bool
	// Requests perfkit completed in the windows of the profiles used.
	Requests int64
	// Profiles is how many stored profiles went into the table (CPU
	// chunks, usually).
	Profiles int
	Total    float64
	// Rows are ordered by Flat descending, then by name.
	Rows     []Cost
	Warnings []string
}

// Normalize builds the table of typ from the usable items of its kind: ok
// status, parseable within lim, with the sample type by name. CPU chunks are
// summed, as are their requests. It fails when no item is usable, naming
// the statuses it saw.
func Normalize(items []results.Profile, typ string, lim Limits) (*Table, error) {
	spec, err := lookupType(typ)
	if err != nil {
		return nil, err
	}
	u, err := usable(items, spec, typ, lim)
	if err != nil {
		return nil, err
	}
	div := float64(len(u.profiles))
	if spec.perRequest {
		if u.requests <= 0 {
			return nil, fmt.Errorf("%s: no requests completed in the profiled windows, so there is no cost per request", typ)
		}
		div = float64(u.requests)
	}

	flat, cum := map[string]float64{}, map[string]float64{}
	var total float64
	for _, p := range u.profiles {
		total += aggregate(p, sampleIndex(p, spec.sample), flat, cum)
	}
	t := &Table{Type: typ, Unit: spec.unit, PerRequest: spec.perRequest, Requests: u.requests,
		Profiles: len(u.profiles), Total: total / div, Warnings: u.warnings}
	for name, c := range cum {
		t.Rows = append(t.Rows, Cost{Function: name, Flat: flat[name] / div, Cum: c / div})
	}
	sort.Slice(t.Rows, func(i, j int) bool {
		a, b := t.Rows[i], t.Rows[j]
		if a.Flat != b.Flat {
			return a.Flat > b.Flat
		}
		return a.Function < b.Function
	})
	return t, nil
}

// Export merges the usable items of typ into one profile for go tool pprof
// (CPU chunks merged; for allocs, mutex and block the stored window delta),
// opening on typ's sample type and saying in a comment how many requests
// it covers.
func Export(items []results.Profile, typ string, lim Limits) (*profile.Profile, error) {
	spec, err := lookupType(typ)
	if err != nil {
		return nil, err
	}
	u, err := usable(items, spec, typ, lim)
	if err != nil {
		return nil, err
	}
	p := u.profiles[0]
	if len(u.profiles) > 1 {
		if p, err = profile.Merge(u.profiles); err != nil {
			return nil, fmt.Errorf("export %s: merge %d profiles: %w", typ, len(u.profiles), err)
		}
	}
	p.DefaultSampleType = spec.sample
	comments := p.Comments[:0]
	for _, c := range p.Comments {
		if !strings.HasPrefix(c, requestsPrefix) {
			comments = append(comments, c)
		}
	}
	p.Comments = append(comments, requestsComment(u.requests, typ, u.window))
	return p, nil
}

type usableSet struct {
	profiles []*profile.Profile
	requests int64
	window   time.Duration
	warnings []string
}

func usable(items []results.Profile, spec typeSpec, typ string, lim Limits) (usableSet, error) {
	var (
		u        usableSet
		seen     = map[string]int{}
		attempts int
	)
	for i, it := range items {
		if it.Kind != spec.kind {
			continue
		}
		attempts++
		if it.Status != results.ProfileOK {
			seen[it.Status]++
			continue
		}
		p, err := Parse(it.Data, lim)
		if err != nil {
			seen["unparseable"]++
			u.warnings = append(u.warnings, fmt.Sprintf("%s profile %d skipped: %v", it.Kind, i, err))
			continue
		}
		idx := sampleIndex(p, spec.sample)
		if idx < 0 || p.SampleType[idx].Unit != spec.profUnit {
			seen["without "+spec.sample]++
			u.warnings = append(u.warnings, fmt.Sprintf("%s profile %d skipped: no sample type %s/%s (has %s)", it.Kind, i, spec.sample, spec.profUnit, sampleTypeNames(p)))
			continue
		}
		for _, c := range p.Comments {
			if w, ok := strings.CutPrefix(c, warningPrefix); ok {
				u.warnings = append(u.warnings, w)
			}
		}
		u.profiles = append(u.profiles, p)
		u.requests += it.Requests
		u.window += it.WindowEnd.Sub(it.WindowStart)
	}
	if len(u.profiles) == 0 {
		if attempts == 0 {
			return u, fmt.Errorf("%s: the result holds no %s profile", typ, spec.kind)
		}
		return u, fmt.Errorf("%s: no usable %s profile (seen: %s)", typ, spec.kind, countList(seen))
	}
	if bad := attempts - len(u.profiles); bad > 0 {
		u.warnings = append([]string{fmt.Sprintf("%d of %d %s profiles were not usable (%s); the costs cover the other %d",
			bad, attempts, spec.kind, countList(seen), len(u.profiles))}, u.warnings...)
	}
	return u, nil
}

// countList formats {"busy": 2, "timeout": 1} as "2 busy, 1 timeout".
func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", m[k], k)
	}
	return strings.Join(parts, ", ")
}

// aggregate adds p's sample type idx to flat and cum by function name and
// returns its total. Recursion and a function inlined into itself count
// once per sample in cum.
func aggregate(p *profile.Profile, idx int, flat, cum map[string]float64) float64 {
	var total float64
	onStack := map[string]bool{}
	for _, s := range p.Sample {
		v := float64(s.Value[idx])
		if v == 0 {
			continue
		}
		total += v
		names := stackNames(s)
		flat[names[0]] += v
		clear(onStack)
		for _, name := range names {
			if !onStack[name] {
				onStack[name] = true
				cum[name] += v
			}
		}
	}
	return total
}

// injectedFrame is the call the runtime injects into a goroutine it
// preempts asynchronously. CPU samples taken around a preemption land on
// its first instruction (golang/go#59045), and a tight loop is preempted
// so often that this frame can outweigh the loop itself; the time is the
// interrupted function's, so the frame is left out and its samples go to
// the caller.
const injectedFrame = "runtime.asyncPreempt"

// stackNames lists a sample's function names, leaf first, with inlined
// frames in place and the injected preemption frame left out.
func stackNames(s *profile.Sample) []string {
	var names []string
	for _, loc := range s.Location {
		names = append(names, frameNames(loc)...)
	}
	for len(names) > 1 && names[0] == injectedFrame {
		names = names[1:]
	}
	if len(names) == 0 {
		return []string{unknownFunction}
	}
	return names
}

const unknownFunction = "<unknown>"

// frameNames are the function names of a location, innermost inlined frame
// first; an unsymbolized location is named by address and binary, as
// pprof does.
func frameNames(loc *profile.Location) []string {
	var names []string
	for _, l := range loc.Line {
		if l.Function != nil && l.Function.Name != "" {
			names = append(names, l.Function.Name)
		}
	}
	if len(names) > 0 {
		return names
	}
	switch {
	case loc.Address == 0:
		return []string{unknownFunction}
	case loc.Mapping != nil && loc.Mapping.File != "":
		return []string{fmt.Sprintf("0x%x %s", loc.Address, path.Base(loc.Mapping.File))}
	}
	return []string{fmt.Sprintf("0x%x", loc.Address)}
}
