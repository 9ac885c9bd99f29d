package hdr

import (
	"encoding/json"
	"errors"
	"fmt"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Encoded is the sparse, JSON-friendly form of a histogram: the settings it
// was recorded with, the overflow count, and the non-zero buckets as
// (index gap, count) pairs. Gaps rather than indexes keep the numbers small.
type Encoded struct {
	Lowest   int64   `json:"lowest"`
	Highest  int64   `json:"highest"`
	SigFigs  int64   `json:"sig_figs"`
	Count    int64   `json:"count"`
	Overflow int64   `json:"overflow,omitempty"`
	Buckets  []int64 `json:"buckets"`
}

// Encode returns the sparse form of h.
func (h *Histogram) Encode() Encoded {
	s := h.h.Export()
	e := Encoded{Lowest: Lowest, Highest: Highest, SigFigs: h.h.SignificantFigures(), Count: h.h.TotalCount(), Overflow: h.overflow, Buckets: []int64{}}
	prev := -1
	for i, c := range s.Counts {
		if c == 0 {
			continue
		}
		e.Buckets = append(e.Buckets, int64(i-prev), c)
		prev = i
	}
	return e
}

// MarshalJSON lets a *Histogram sit directly in a JSON document.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	return json.Marshal(h.Encode())
}

// UnmarshalJSON decodes and validates (see Decode).
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var e Encoded
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	d, err := Decode(e)
	if err != nil {
		return err
	}
	*h = *d
	return nil
}

var errSettings = errors.New("histogram settings differ from perfkit's (lowest 1, highest 3600000000, 3 significant figures, or 2 for timelines)")

// Decode rebuilds a histogram from its sparse form. The input is untrusted
// (a result file from anywhere), so every field is checked: settings must be
// perfkit's, indexes in range and increasing, counts positive, the total
// consistent, and nothing it allocates depends on the input's size claims.
func Decode(e Encoded) (*Histogram, error) {
	if e.Lowest != Lowest || e.Highest != Highest || (e.SigFigs != SigFigs && e.SigFigs != CoarseSigFigs) {
		return nil, errSettings
	}
	if len(e.Buckets)%2 != 0 {
		return nil, errors.New("histogram buckets: odd number of values, want (gap, count) pairs")
	}
	h := newWith(int(e.SigFigs))
	s := h.h.Export()
	idx := int64(-1)
	var total int64
	for i := 0; i < len(e.Buckets); i += 2 {
		gap, c := e.Buckets[i], e.Buckets[i+1]
		if gap < 1 || gap > int64(len(s.Counts)) {
			return nil, fmt.Errorf("histogram bucket %d: gap %d out of range", i/2, gap)
		}
		idx += gap
		if idx >= int64(len(s.Counts)) {
			return nil, fmt.Errorf("histogram bucket %d: index %d beyond the histogram", i/2, idx)
		}
		if c < 1 {
			return nil, fmt.Errorf("histogram bucket %d: count %d, want > 0", i/2, c)
		}
		if total > (1<<62)-c {
			return nil, errors.New("histogram total count overflows")
		}
		total += c
		s.Counts[idx] = c
	}
	if total != e.Count {
		return nil, fmt.Errorf("histogram count %d does not match its buckets (%d)", e.Count, total)
	}
	if e.Overflow < 0 || e.Overflow > total {
		return nil, fmt.Errorf("histogram overflow %d out of range 0..%d", e.Overflow, total)
	}
	return &Histogram{h: hdrhistogram.Import(s), overflow: e.Overflow}, nil
}
