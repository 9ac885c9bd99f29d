package pprofcollect

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

var allocTypes = []string{"alloc_objects/count", "alloc_space/bytes", "inuse_objects/count", "inuse_space/bytes"}

func costs(t *Table) map[string][2]float64 {
	m := map[string][2]float64{}
	for _, r := range t.Rows {
		m[r.Function] = [2]float64{r.Flat, r.Cum}
	}
	return m
}

func TestNormalizeAttribution(t *testing.T) {
	cpu := []string{"samples/count", "cpu/nanoseconds"}
	tests := []struct {
		name    string
		samples []fakeSample
		want    map[string][2]float64 // function → {flat, cum} per request
		total   float64
	}{{
		name: "inlined frame is the leaf",
		// checksum was inlined into handle: one location, two lines.
		samples: []fakeSample{{[]string{"main.checksum+main.handle", "main.main"}, []int64{1, 400}}},
		want:    map[string][2]float64{"main.checksum": {100, 100}, "main.handle": {0, 100}, "main.main": {0, 100}},
		total:   100,
	}, {
		name: "recursion counts once in cum",
		samples: []fakeSample{
			{[]string{"main.walk", "main.walk", "main.walk", "main.main"}, []int64{1, 200}},
			{[]string{"main.visit", "main.walk", "main.main"}, []int64{1, 200}},
		},
		want:  map[string][2]float64{"main.walk": {50, 100}, "main.visit": {50, 50}, "main.main": {0, 100}},
		total: 100,
	}, {
		name: "preemption frame goes to the preempted function",
		samples: []fakeSample{
			{[]string{"runtime.asyncPreempt", "main.loop", "main.main"}, []int64{1, 300}},
			{[]string{"main.loop", "main.main"}, []int64{1, 100}},
		},
		want:  map[string][2]float64{"main.loop": {100, 100}, "main.main": {0, 100}},
		total: 100,
	}, {
		name: "unsymbolized and missing stacks",
		samples: []fakeSample{
			{[]string{"", "main.main"}, []int64{1, 40}},
			{nil, []int64{1, 40}},
			{[]string{"main.main"}, []int64{0, 0}},
		},
		want:  map[string][2]float64{"0x2000 app": {10, 10}, "main.main": {0, 10}, "<unknown>": {10, 10}},
		total: 20,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			item := okItem(t, "cpu", 4, fakeProfile(cpu, tt.samples...))
			tab, err := Normalize([]results.Profile{item}, "cpu", Limits{})
			if err != nil {
				t.Fatalf("Normalize: %v", err)
			}
			if got := costs(tab); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
			if tab.Total != tt.total {
				t.Errorf("got total %v, want %v", tab.Total, tt.total)
			}
			if tab.Unit != "ns" || !tab.PerRequest || tab.Requests != 4 {
				t.Errorf("got unit %q per request %v requests %d, want ns true 4", tab.Unit, tab.PerRequest, tab.Requests)
			}
		})
	}
}

func TestNormalizeChunksAndStatuses(t *testing.T) {
	cpu := []string{"samples/count", "cpu/nanoseconds"}
	chunk := func(requests int64, ns int64) results.Profile {
		return okItem(t, "cpu", requests, fakeProfile(cpu, fakeSample{[]string{"main.work", "main.main"}, []int64{ns / 1e7, ns}}))
	}
	items := []results.Profile{
		chunk(3, 30_000_000),
		{Kind: "cpu", Status: results.ProfileBusy, Requests: 1000},
		chunk(1, 10_000_000),
		{Kind: "cpu", Status: results.ProfileTimeout},
		okItem(t, "allocs", 5, fakeProfile(allocTypes, fakeSample{[]string{"main.alloc"}, []int64{1, 64, 1, 64}})),
	}
	tab, err := Normalize(items, "cpu", Limits{})
	if err != nil {
		t.Fatalf("Normalize: %v", err)
	}
	// 40 ms of CPU over 4 requests; the busy chunk's requests do not count.
	if tab.Requests != 4 || tab.Total != 10_000_000 || tab.Profiles != 2 {
		t.Errorf("got requests %d total %v profiles %d, want 4 1e7 2", tab.Requests, tab.Total, tab.Profiles)
	}
	if len(tab.Warnings) != 1 || !strings.Contains(tab.Warnings[0], "2 of 4 cpu profiles were not usable (1 busy, 1 timeout)") {
		t.Errorf("got warnings %q, want one naming 1 busy, 1 timeout", tab.Warnings)
	}

	_, err = Normalize(items[1:2], "cpu", Limits{})
	if err == nil || !strings.Contains(err.Error(), "no usable cpu profile (seen: 1 busy)") {
		t.Errorf("got error %v, want one naming the busy status", err)
	}
	_, err = Normalize(items[:1], "delay", Limits{})
	if err == nil || !strings.Contains(err.Error(), "holds no mutex profile") {
		t.Errorf("got error %v, want no mutex profile", err)
	}
	_, err = Normalize(items, "wall", Limits{})
	if err == nil || !strings.Contains(err.Error(), `unknown profile type "wall"`) {
		t.Errorf("got error %v, want unknown type", err)
	}
	_, err = Normalize([]results.Profile{okItem(t, "cpu", 0, fakeProfile(cpu))}, "cpu", Limits{})
	if err == nil || !strings.Contains(err.Error(), "no requests") {
		t.Errorf("got error %v, want no requests", err)
	}
}

func TestNormalizePicksSampleTypeByName(t *testing.T) {
	// Same values, types in another order: the table must not change.
	a := fakeProfile(allocTypes, fakeSample{[]string{"main.alloc"}, []int64{2, 300, 7, 9}})
	b := fakeProfile([]string{"inuse_space/bytes", "alloc_space/bytes", "inuse_objects/count", "alloc_objects/count"},
		fakeSample{[]string{"main.alloc"}, []int64{9, 300, 7, 2}})
	for _, typ := range []struct {
		name string
		want float64
	}{{"alloc_space", 100}, {"alloc_objects", 2.0 / 3}} {
		for _, p := range []struct {
			name string
			item results.Profile
		}{{"snapshot order", okItem(t, "allocs", 3, a)}, {"other order", okItem(t, "allocs", 3, b)}} {
			tab, err := Normalize([]results.Profile{p.item}, typ.name, Limits{})
			if err != nil {
				t.Fatalf("%s %s: %v", typ.name, p.name, err)
			}
			if math.Abs(tab.Total-typ.want) > 1e-12 {
				t.Errorf("%s %s: got %v per request, want %v", typ.name, p.name, tab.Total, typ.want)
			}
		}
	}
}

func TestSubtract(t *testing.T) {
	start := fakeProfile(allocTypes,
		fakeSample{[]string{"main.a", "main.main"}, []int64{10, 1000, 5, 500}},
		fakeSample{[]string{"main.b", "main.main"}, []int64{4, 400, 4, 400}},
		fakeSample{[]string{"main.c", "main.main"}, []int64{6, 600, 1, 100}},
	)
	end := start.Copy()
	end.TimeNanos += 2e9
	end.Sample[0].Value = []int64{30, 3000, 1, 100} // a allocated 2000 more
	end.Sample[2].Value = []int64{5, 500, 0, 0}     // c went back: clamp

	d, err := subtract("allocs", start, end)
	if err != nil {
		t.Fatalf("subtract: %v", err)
	}
	if got := sampleTypeNames(d); got != "alloc_objects, alloc_space" {
		t.Errorf("got sample types %s, want only the cumulative ones", got)
	}
	if d.DefaultSampleType != "alloc_space" || d.DurationNanos != 2e9 {
		t.Errorf("got default %q duration %d, want alloc_space 2e9", d.DefaultSampleType, d.DurationNanos)
	}
	if len(d.Sample) != 1 || frameNames(d.Sample[0].Location[0])[0] != "main.a" || !reflect.DeepEqual(d.Sample[0].Value, []int64{20, 2000}) {
		t.Errorf("got samples %v, want only main.a with [20 2000]", d.Sample)
	}
	if len(d.Comments) != 1 || !strings.HasPrefix(d.Comments[0], warningPrefix+"2 negative") {
		t.Errorf("got comments %q, want the clamp warning", d.Comments)
	}

	restarted := start.Copy()
	for _, s := range restarted.Sample {
		s.Value = []int64{1, 10, 1, 10}
	}
	if _, err := subtract("allocs", start, restarted); err == nil || !strings.Contains(err.Error(), "restarted") {
		t.Errorf("got error %v, want a restart", err)
	}
	if _, err := subtract("allocs", fakeProfile([]string{"cpu/nanoseconds"}), end); err == nil {
		t.Error("got no error for a snapshot without alloc types")
	}
}

func TestDiffTables(t *testing.T) {
	base := &Table{Type: "cpu", Unit: "ns", PerRequest: true, Requests: 100, Total: 1000, Warnings: []string{"w1"}, Rows: []Cost{
		{"main.same", 500, 600}, {"main.faster", 300, 300}, {"main.gone", 200, 200}, {"main.main", 0, 1000},
	}}
	cand := &Table{Type: "cpu", Unit: "ns", PerRequest: true, Requests: 80, Total: 1300, Rows: []Cost{
		{"main.same", 500, 600}, {"main.faster", 150, 150}, {"main.new", 650, 650}, {"main.main", 0, 1300},
	}}
	d := DiffTables(base, cand)
	var order []string
	for _, r := range d.Rows {
		order = append(order, r.Function)
	}
	if want := []string{"main.new", "main.main", "main.same", "main.faster", "main.gone"}; !reflect.DeepEqual(order, want) {
		t.Errorf("got order %v, want %v", order, want)
	}
	byName := map[string]DiffRow{}
	for _, r := range d.Rows {
		byName[r.Function] = r
	}
	checks := []struct {
		name string
		got  DiffRow
		want DiffRow
	}{
		{"new", byName["main.new"], DiffRow{Function: "main.new", CandFlat: 650, DeltaFlat: 650, CandCum: 650, DeltaCum: 650, CandShare: 0.5, New: true}},
		{"faster", byName["main.faster"], DiffRow{Function: "main.faster", BaseFlat: 300, CandFlat: 150, DeltaFlat: -150, BaseCum: 300, CandCum: 150, DeltaCum: -150, DeltaPct: -50, BaseShare: 0.3, CandShare: 150.0 / 1300}},
		{"gone", byName["main.gone"], DiffRow{Function: "main.gone", BaseFlat: 200, DeltaFlat: -200, BaseCum: 200, DeltaCum: -200, DeltaPct: -100, BaseShare: 0.2, Gone: true}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: got %+v, want %+v", c.name, c.got, c.want)
		}
	}
	if d.BaseRequests != 100 || d.CandRequests != 80 || d.BaseTotal != 1000 || d.CandTotal != 1300 {
		t.Errorf("got header %+v", d)
	}
	if !reflect.DeepEqual(d.Warnings, []string{"base: w1"}) {
		t.Errorf("got warnings %q, want [base: w1]", d.Warnings)
	}
	if w := DiffTables(base, &Table{Type: "alloc_space"}).Warnings; len(w) != 2 || !strings.Contains(w[0], "not measure the same thing") {
		t.Errorf("got warnings %q, want a type mismatch first", w)
	}
}

func TestExport(t *testing.T) {
	cpu := []string{"samples/count", "cpu/nanoseconds"}
	items := []results.Profile{
		okItem(t, "cpu", 3, fakeProfile(cpu, fakeSample{[]string{"main.work", "main.main"}, []int64{2, 20_000_000}})),
		{Kind: "cpu", Status: results.ProfileBusy},
		okItem(t, "cpu", 4, fakeProfile(cpu, fakeSample{[]string{"main.work", "main.main"}, []int64{1, 10_000_000}})),
	}
	p, err := Export(items, "cpu", Limits{})
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	if len(p.Sample) != 1 || !reflect.DeepEqual(p.Sample[0].Value, []int64{3, 30_000_000}) {
		t.Errorf("got samples %v, want one merged [3 3e7]", p.Sample)
	}
	if p.DefaultSampleType != "cpu" {
		t.Errorf("got default sample type %q, want cpu", p.DefaultSampleType)
	}
	if n, ok := commentRequests(p); !ok || n != 7 {
		t.Errorf("got requests %d %v from comments %q, want 7", n, ok, p.Comments)
	}
	if _, err := Export(items[1:2], "cpu", Limits{}); err == nil {
		t.Error("got no error exporting only a busy chunk")
	}
}
