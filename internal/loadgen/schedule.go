package loadgen

import (
	"math"
	"time"

	"github.com/perfkit/perfkit/internal/plan"
)

// segment is one linear piece of a ramp: the value moves from From to To
// over [Start, Start+Len).
type segment struct {
	Start, Len time.Duration
	From, To   float64
}

// ramp is a piecewise-linear profile: the VU target (closed model) or the
// arrival rate (open model) as a function of elapsed time.
type ramp []segment

// newRamp builds the profile for a plan: a constant value over the whole
// duration, or stages starting from start.
func newRamp(start float64, stages []plan.Stage, total time.Duration) ramp {
	if len(stages) == 0 {
		return ramp{{Start: 0, Len: total, From: start, To: start}}
	}
	var r ramp
	var at time.Duration
	from := start
	for _, s := range stages {
		r = append(r, segment{Start: at, Len: s.Duration, From: from, To: s.Target})
		at += s.Duration
		from = s.Target
	}
	return r
}

// At returns the profile's value at elapsed time t.
func (r ramp) At(t time.Duration) float64 {
	for _, s := range r {
		if t < s.Start+s.Len {
			if t < s.Start {
				return s.From
			}
			f := float64(t-s.Start) / float64(s.Len)
			return s.From + (s.To-s.From)*f
		}
	}
	if len(r) == 0 {
		return 0
	}
	return r[len(r)-1].To
}

// Peak is the largest value the profile reaches.
func (r ramp) Peak() float64 {
	var p float64
	for _, s := range r {
		p = max(p, s.From, s.To)
	}
	return p
}

// End is the total length of the profile.
func (r ramp) End() time.Duration {
	if len(r) == 0 {
		return 0
	}
	last := r[len(r)-1]
	return last.Start + last.Len
}

// arrivals yields the intended send times of an open-model run: request n
// (counting from 0) is due when the integral of the rate reaches n. Each
// time is computed from the profile, never accumulated from the previous
// one, so rounding cannot drift over millions of requests.
type arrivals struct {
	r     ramp
	seg   int
	base  float64 // requests due before the current segment starts
	n     int64
	limit time.Duration
}

func newArrivals(r ramp) *arrivals { return &arrivals{r: r, limit: r.End()} }

// Next returns the intended time of the next request, or false when the
// profile ends before it is due.
func (a *arrivals) Next() (time.Duration, bool) {
	target := float64(a.n)
	for a.seg < len(a.r) {
		s := a.r[a.seg]
		secs := s.Len.Seconds()
		area := (s.From + s.To) / 2 * secs
		need := target - a.base
		if need < area {
			t, ok := solveSegment(s, need)
			if ok {
				a.n++
				d := s.Start + time.Duration(t*float64(time.Second))
				if d >= a.limit {
					return 0, false
				}
				return d, true
			}
		}
		a.base += area
		a.seg++
	}
	return 0, false
}

// solveSegment finds the time t (seconds into s) at which the integral of a
// linearly changing rate reaches need: From*t + k/2*t² = need with k the
// slope. The root is written as 2*need/(From+sqrt(From²+2k*need)), which
// stays exact when the slope is zero or tiny.
func solveSegment(s segment, need float64) (float64, bool) {
	L := s.Len.Seconds()
	if L <= 0 {
		return 0, false
	}
	if need <= 0 {
		return 0, true
	}
	k := (s.To - s.From) / L
	disc := s.From*s.From + 2*k*need
	if disc < 0 {
		return 0, false
	}
	den := s.From + math.Sqrt(disc)
	if den <= 0 {
		return 0, false
	}
	t := 2 * need / den
	if t > L {
		return 0, false
	}
	return t, true
}
