package hdr

import (
	"encoding/json"
	"testing"
	"time"
)

func TestQuantilesAndOverflow(t *testing.T) {
	h := New()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	h.Record(2 * time.Hour)
	h.Record(0)
	if got, want := h.Count(), int64(1002); got != want {
		t.Fatalf("count: got %v, want %v", got, want)
	}
	if got, want := h.Overflow(), int64(1); got != want {
		t.Fatalf("overflow: got %v, want %v", got, want)
	}
	checks := []struct {
		q    float64
		want time.Duration
	}{{0.5, 500 * time.Millisecond}, {0.9, 900 * time.Millisecond}, {0.99, 990 * time.Millisecond}}
	for _, c := range checks {
		got := h.Quantile(c.q)
		tol := c.want/500 + time.Millisecond // HDR precision (3 digits) plus one sample
		if diff := got - c.want; diff < -tol || diff > tol {
			t.Errorf("q%v: got %v, want %v ±%v", c.q, got, c.want, tol)
		}
	}
	if got, want := h.Max(), time.Hour; got < want {
		t.Errorf("max: got %v, want >= %v", got, want)
	}
	if got := h.Min(); got != time.Microsecond {
		t.Errorf("min: got %v, want 1µs", got)
	}
}

func TestMergeEqualsRecordingTogether(t *testing.T) {
	a, b, all := New(), New(), New()
	for i := 0; i < 5000; i++ {
		d := time.Duration(i*i%977+1) * time.Microsecond * 37
		if i%3 == 0 {
			a.Record(d)
		} else {
			b.Record(d)
		}
		all.Record(d)
	}
	a.Record(3 * time.Hour)
	all.Record(3 * time.Hour)
	a.Merge(b)
	if got, want := a.Encode(), all.Encode(); !equalEncoded(got, want) {
		t.Fatalf("merged histogram differs from the one recorded together")
	}
}

func equalEncoded(a, b Encoded) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func TestJSONRoundTrip(t *testing.T) {
	h := New()
	for i := 0; i < 1000; i++ {
		h.Record(time.Duration(i*7919%100000) * time.Microsecond)
	}
	h.Record(5 * time.Hour)
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !equalEncoded(h.Encode(), back.Encode()) {
		t.Fatalf("round trip changed the histogram")
	}
	if back.Overflow() != 1 {
		t.Fatalf("overflow: got %v, want 1", back.Overflow())
	}
}

func TestDecodeRejects(t *testing.T) {
	ok := Encoded{Lowest: Lowest, Highest: Highest, SigFigs: SigFigs}
	cases := []struct {
		name string
		mod  func(e *Encoded)
	}{
		{"settings", func(e *Encoded) { e.SigFigs = 4 }},
		{"range", func(e *Encoded) { e.Highest = 1000 }},
		{"odd", func(e *Encoded) { e.Buckets = []int64{1} }},
		{"zero gap", func(e *Encoded) { e.Buckets = []int64{0, 1}; e.Count = 1 }},
		{"beyond", func(e *Encoded) { e.Buckets = []int64{1 << 40, 1}; e.Count = 1 }},
		{"negative count", func(e *Encoded) { e.Buckets = []int64{1, -1}; e.Count = -1 }},
		{"count mismatch", func(e *Encoded) { e.Buckets = []int64{1, 2}; e.Count = 3 }},
		{"overflow too big", func(e *Encoded) { e.Buckets = []int64{1, 2}; e.Count = 2; e.Overflow = 3 }},
		{"total overflow", func(e *Encoded) { e.Buckets = []int64{1, 1 << 62, 1, 1 << 62}; e.Count = 0 }},
	}
	for _, c := range cases {
		e := ok
		c.mod(&e)
		if _, err := Decode(e); err == nil {
			t.Errorf("%s: got nil error, want one", c.name)
		}
	}
}

func TestRecordAllocatesNothing(t *testing.T) {
	h := New()
	allocs := testing.AllocsPerRun(1000, func() { h.Record(1234 * time.Microsecond) })
	if allocs != 0 {
		t.Fatalf("allocs per record: got %v, want 0", allocs)
	}
}

func FuzzDecode(f *testing.F) {
	h := New()
	for i := 1; i < 100; i++ {
		h.Record(time.Duration(i) * time.Millisecond)
	}
	seed, _ := json.Marshal(h)
	f.Add(seed)
	f.Add([]byte(`{"lowest":1,"highest":3600000000,"sig_figs":3,"count":0,"buckets":[]}`))
	f.Add([]byte(`{"lowest":1,"highest":3600000000,"sig_figs":3,"count":1,"buckets":[5,1]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Histogram
		if err := json.Unmarshal(b, &got); err != nil {
			return
		}
		again, err := json.Marshal(&got)
		if err != nil {
			t.Fatal(err)
		}
		var back Histogram
		if err := json.Unmarshal(again, &back); err != nil {
			t.Fatalf("re-decode of accepted input failed: %v", err)
		}
		if !equalEncoded(got.Encode(), back.Encode()) {
			t.Fatal("accepted input does not round-trip")
		}
	})
}

func TestCoarseHistograms(t *testing.T) {
	fine, coarse := New(), NewCoarse()
	for i := 1; i <= 10000; i++ {
		d := time.Duration(i) * 7 * time.Microsecond
		fine.Record(d)
		coarse.Record(d)
	}
	// Two significant digits: within 1 % of the full-precision value.
	for _, q := range []float64{0.5, 0.9, 0.99} {
		f, c := fine.Quantile(q), coarse.Quantile(q)
		if diff := float64(c-f) / float64(f); diff < -0.01 || diff > 0.01 {
			t.Errorf("q%v: coarse %v, fine %v: more than 1%% apart", q, c, f)
		}
	}
	if fb, cb := len(fine.Encode().Buckets), len(coarse.Encode().Buckets); cb*4 > fb {
		t.Errorf("coarse encoding has %d values, fine %d: want far fewer", cb, fb)
	}
	b, err := json.Marshal(coarse)
	if err != nil {
		t.Fatal(err)
	}
	var back Histogram
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.SigFigs() != CoarseSigFigs || !equalEncoded(back.Encode(), coarse.Encode()) {
		t.Errorf("coarse histogram did not round-trip")
	}
	defer func() {
		if recover() == nil {
			t.Error("merging a coarse histogram into a fine one did not panic")
		}
	}()
	fine.Merge(coarse)
}
