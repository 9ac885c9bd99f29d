package hdr

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// The settings every perfkit histogram shares. Changing any of them makes
// old result files unmergeable with new ones, so they are part of the
// result schema.
const (
	Lowest  = 1                      // µs
	Highest = int64(time.Hour / 1e3) // µs
	SigFigs = 3
)

// Histogram is a latency histogram in microseconds. It is not safe for
// concurrent use; perfkit keeps one per worker shard and merges.
type Histogram struct {
	h        *hdrhistogram.Histogram
	overflow int64
}

// New returns an empty histogram with the shared settings.
func New() *Histogram {
	return &Histogram{h: hdrhistogram.New(Lowest, Highest, SigFigs)}
}

// Record adds one duration. Sub-microsecond values count as 1 µs, values
// beyond the range count at the top and in Overflow.
func (h *Histogram) Record(d time.Duration) {
	h.RecordMicros(int64(d / time.Microsecond))
}

// RecordMicros adds one value given in microseconds.
func (h *Histogram) RecordMicros(v int64) {
	if v < Lowest {
		v = Lowest
	}
	if v > Highest {
		v = Highest
		h.overflow++
	}
	// In range by construction, so RecordValue cannot fail.
	_ = h.h.RecordValue(v)
}

// Count is the number of recorded values.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Overflow is how many recorded values were above the range.
func (h *Histogram) Overflow() int64 { return h.overflow }

// Quantile returns the value at q in 0..1 (0.99 for p99), or 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.ValueAtQuantile(q*100)) * time.Microsecond
}

// Min returns the smallest recorded value (to histogram precision).
func (h *Histogram) Min() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Min()) * time.Microsecond
}

// Max returns the largest recorded value (to histogram precision).
func (h *Histogram) Max() time.Duration {
	if h.h.TotalCount() == 0 {
		return 0
	}
	return time.Duration(h.h.Max()) * time.Microsecond
}

// Mean returns the mean of the recorded values (to histogram precision).
func (h *Histogram) Mean() time.Duration {
	return time.Duration(h.h.Mean() * float64(time.Microsecond))
}

// Merge adds every value of from into h. Both share the same settings, so
// nothing can be dropped; a non-zero drop count would mean a broken
// invariant and panics rather than silently losing measurements.
func (h *Histogram) Merge(from *Histogram) {
	if from == nil || from.h.TotalCount() == 0 {
		return
	}
	if dropped := h.h.Merge(from.h); dropped != 0 {
		panic("hdr: merge dropped values between histograms of equal settings")
	}
	h.overflow += from.overflow
}

// Reset empties h for reuse without reallocating.
func (h *Histogram) Reset() {
	h.h.Reset()
	h.overflow = 0
}

// Clone returns an independent copy.
func (h *Histogram) Clone() *Histogram {
	c := New()
	c.Merge(h)
	return c
}
