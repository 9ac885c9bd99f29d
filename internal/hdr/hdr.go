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
	// CoarseSigFigs is the precision of timeline histograms: one per
	// interval per series, kept for the whole run, they need a tenth of
	// the buckets (±1 %) to show how latency moved, while the totals keep
	// full precision.
	CoarseSigFigs = 2
)

// Histogram is a latency histogram in microseconds. It is not safe for
// concurrent use; perfkit keeps one per worker shard and merges.
type Histogram struct {
	h        *hdrhistogram.Histogram
	overflow int64
}

// New returns an empty histogram with the shared settings.
func New() *Histogram { return newWith(SigFigs) }

// NewCoarse returns an empty histogram at CoarseSigFigs, for timelines.
// It merges only with other coarse histograms.
func NewCoarse() *Histogram { return newWith(CoarseSigFigs) }

func newWith(sigFigs int) *Histogram {
	return &Histogram{h: hdrhistogram.New(Lowest, Highest, sigFigs)}
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

// SigFigs is the histogram's precision: SigFigs or CoarseSigFigs.
func (h *Histogram) SigFigs() int { return int(h.h.SignificantFigures()) }

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

// Merge adds every value of from into h. Both share the same range, so
// nothing can be dropped; a non-zero drop count would mean a broken
// invariant and panics rather than silently losing measurements. Merging
// histograms of different precision would blur the finer one, so that
// panics too.
func (h *Histogram) Merge(from *Histogram) {
	if from == nil || from.h.TotalCount() == 0 {
		return
	}
	if from.h.SignificantFigures() != h.h.SignificantFigures() {
		panic("hdr: merging histograms of different precision")
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
	c := newWith(int(h.h.SignificantFigures()))
	c.Merge(h)
	return c
}
