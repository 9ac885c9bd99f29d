package pprofcollect

import (
	"fmt"
	"strings"

	"github.com/google/pprof/profile"
)

// cumulativeTypes are, per snapshot kind, the sample types that only grow
// over a process's life: the only ones whose difference between two
// snapshots is "what happened in between". In-use values are levels; their
// difference means nothing, so the delta leaves them out.
var cumulativeTypes = map[string][]string{
	"allocs": {"alloc_objects", "alloc_space"},
	"mutex":  {"contentions", "delay"},
	"block":  {"contentions", "delay"},
}

// deltaDefault is the sample type go tool pprof should open a delta with.
var deltaDefault = map[string]string{"allocs": "alloc_space", "mutex": "delay", "block": "delay"}

// warningPrefix marks a comment Normalize turns into a table warning, so a
// caveat found while capturing travels inside the stored profile.
const warningPrefix = "perfkit: warning: "

// subtract returns end − start for kind's cumulative sample types. Both
// snapshots come from the same process, so equal stacks have equal
// locations and cancel in profile.Merge. A total that fell means the
// target restarted in between, and the difference would be garbage.
func subtract(kind string, start, end *profile.Profile) (*profile.Profile, error) {
	names, ok := cumulativeTypes[kind]
	if !ok {
		return nil, fmt.Errorf("subtract %s: not a cumulative profile kind", kind)
	}
	s0, err := keepTypes(start, names)
	if err != nil {
		return nil, fmt.Errorf("start snapshot: %w", err)
	}
	s1, err := keepTypes(end, names)
	if err != nil {
		return nil, fmt.Errorf("end snapshot: %w", err)
	}
	t0, t1 := totals(s0), totals(s1)
	for i, name := range names {
		if t1[i] < t0[i] {
			return nil, fmt.Errorf("cumulative %s fell from %d to %d: the target restarted between the snapshots", name, t0[i], t1[i])
		}
	}
	s0.Scale(-1)
	d, err := profile.Merge([]*profile.Profile{s1, s0})
	if err != nil {
		return nil, fmt.Errorf("subtract %s snapshots: %w", kind, err)
	}
	// A stack's count can shrink between snapshots when the runtime
	// publishes a GC cycle's records late (golang/go#49171); a negative
	// cost is not real, so it is clamped and said.
	clamped := 0
	kept := d.Sample[:0]
	for _, s := range d.Sample {
		zero := true
		for i, v := range s.Value {
			if v < 0 {
				s.Value[i] = 0
				clamped++
			}
			zero = zero && s.Value[i] == 0
		}
		if !zero {
			kept = append(kept, s)
		}
	}
	d.Sample = kept
	if clamped > 0 {
		d.Comments = append(d.Comments, fmt.Sprintf("%s%d negative %s values in the %s delta were clamped to 0", warningPrefix, clamped, strings.Join(names, "/"), kind))
	}
	d.DefaultSampleType = deltaDefault[kind]
	d.TimeNanos = start.TimeNanos
	if end.TimeNanos > start.TimeNanos && start.TimeNanos > 0 {
		d.DurationNanos = end.TimeNanos - start.TimeNanos
	}
	return d.Compact(), nil
}

// keepTypes copies p with only the named sample types, in that order.
func keepTypes(p *profile.Profile, names []string) (*profile.Profile, error) {
	idx := make([]int, len(names))
	for i, name := range names {
		j := sampleIndex(p, name)
		if j < 0 {
			return nil, fmt.Errorf("no sample type %q (has %s)", name, sampleTypeNames(p))
		}
		idx[i] = j
	}
	c := p.Copy()
	types := make([]*profile.ValueType, len(idx))
	for i, j := range idx {
		types[i] = c.SampleType[j]
	}
	c.SampleType = types
	for _, s := range c.Sample {
		v := make([]int64, len(idx))
		for i, j := range idx {
			v[i] = s.Value[j]
		}
		s.Value = v
	}
	c.DefaultSampleType = ""
	return c, nil
}

func totals(p *profile.Profile) []int64 {
	t := make([]int64, len(p.SampleType))
	for _, s := range p.Sample {
		for i, v := range s.Value {
			t[i] += v
		}
	}
	return t
}

// sampleIndex finds a sample type by exact name. profile.SampleIndexByName
// also takes numbers and a default, which would hide a missing type.
func sampleIndex(p *profile.Profile, name string) int {
	for i, st := range p.SampleType {
		if st.Type == name {
			return i
		}
	}
	return -1
}

func sampleTypeNames(p *profile.Profile) string {
	if len(p.SampleType) == 0 {
		return "none"
	}
	names := make([]string, len(p.SampleType))
	for i, st := range p.SampleType {
		names[i] = st.Type
	}
	return strings.Join(names, ", ")
}
