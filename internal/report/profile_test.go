package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/pprof/profile"

	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/results"
)

var regenProfiles = flag.Bool("regen-profiles", false, "rewrite the .pb.gz fixtures in testdata/profile from profileFixtures")

const profileDir = "testdata/profile"

// stack is a sample's frames, leaf first; "a+b" is one location where a
// was inlined into b.
type stack struct {
	frames []string
	values []int64
}

const (
	handler = "main.(*server).handleOrders"
	serve   = "net/http.(*conn).serve"
	cache   = "main.(*Cache[go.shape.string]).Get"
)

// profileFixtures are the checked-in profiles: a base and a candidate build
// of an orders service. The candidate runs expensiveChecksum about three
// times as long and allocates four times its bytes, validates a schema the
// base did not (new), and no longer calls legacyEncode (gone).
var profileFixtures = []struct {
	file     string
	kind     string
	requests int64
	types    []string
	stacks   []stack
}{
	{"cpu_base.pb.gz", "cpu", 12_000, []string{"samples/count", "cpu/nanoseconds"}, cpuStacks(map[string]int64{
		"checksum": 300, "marshal": 200, "malloc": 80, "syscall": 150, "legacy": 60, "cache": 40, "inlined": 50, "unsymbolized": 5,
	})},
	{"cpu_candidate.pb.gz", "cpu", 11_500, []string{"samples/count", "cpu/nanoseconds"}, cpuStacks(map[string]int64{
		"checksum": 900, "marshal": 210, "malloc": 95, "syscall": 145, "schema": 120, "cache": 38, "inlined": 52, "unsymbolized": 4,
	})},
	{"allocs_base.pb.gz", "allocs", 12_000, []string{"alloc_objects/count", "alloc_space/bytes"}, []stack{
		{[]string{"main.expensiveChecksum", handler, serve}, []int64{12_000, 12_000 * 32768}},
		{[]string{"encoding/json.Marshal", handler, serve}, []int64{36_000, 36_000 * 320}},
		{[]string{cache, handler + ".func1", handler, serve}, []int64{24_000, 24_000 * 48}},
		{[]string{"main.legacyEncode", handler, serve}, []int64{12_000, 12_000 * 1024}},
	}},
	{"allocs_candidate.pb.gz", "allocs", 11_500, []string{"alloc_objects/count", "alloc_space/bytes"}, []stack{
		{[]string{"main.expensiveChecksum", handler, serve}, []int64{46_000, 46_000 * 32768}},
		{[]string{"encoding/json.Marshal", handler, serve}, []int64{34_500, 34_500 * 320}},
		{[]string{cache, handler + ".func1", handler, serve}, []int64{23_000, 23_000 * 48}},
		{[]string{"main.validateSchema", handler, serve}, []int64{11_500, 11_500 * 2048}},
	}},
}

// cpuStacks turns sample counts per call path into CPU samples of 10 ms.
func cpuStacks(counts map[string]int64) []stack {
	paths := []struct {
		name   string
		frames []string
	}{
		{"checksum", []string{"main.expensiveChecksum", handler, serve}},
		{"marshal", []string{"encoding/json.Marshal", handler, serve}},
		{"malloc", []string{"runtime.mallocgc", "encoding/json.Marshal", handler, serve}},
		{"syscall", []string{"internal/runtime/syscall/linux.Syscall6", "net.(*conn).Write", serve}},
		{"legacy", []string{"main.legacyEncode", handler, serve}},
		{"schema", []string{"main.validateSchema", handler, serve}},
		{"cache", []string{cache, handler + ".func1", handler, serve}},
		{"inlined", []string{"main.loadOrder+" + handler, serve}},
		{"unsymbolized", []string{""}},
	}
	var out []stack
	for _, p := range paths {
		if n, ok := counts[p.name]; ok {
			out = append(out, stack{p.frames, []int64{n, n * 10_000_000}})
		}
	}
	return out
}

// buildFixture makes a symbolized profile with one mapping and a location
// per distinct frame; an empty frame is an unsymbolized address.
func buildFixture(types []string, stacks []stack) *profile.Profile {
	p := &profile.Profile{
		PeriodType: &profile.ValueType{Type: "cpu", Unit: "nanoseconds"},
		Period:     10_000_000,
		TimeNanos:  1_767_225_600_000_000_000, // 2026-01-01T00:00:00Z
		Mapping:    []*profile.Mapping{{ID: 1, Start: 0x400000, Limit: 0x800000, File: "/srv/orders", HasFunctions: true}},
	}
	if types[0] != "samples/count" {
		p.PeriodType, p.Period = &profile.ValueType{Type: "space", Unit: "bytes"}, 524288
	}
	for _, t := range types {
		typ, unit, _ := strings.Cut(t, "/")
		p.SampleType = append(p.SampleType, &profile.ValueType{Type: typ, Unit: unit})
	}
	funcs, locs := map[string]*profile.Function{}, map[string]*profile.Location{}
	for _, st := range stacks {
		s := &profile.Sample{Value: st.values}
		for _, frame := range st.frames {
			loc, ok := locs[frame]
			if !ok {
				loc = &profile.Location{ID: uint64(len(p.Location) + 1), Mapping: p.Mapping[0], Address: 0x4a2f10 + uint64(len(p.Location))*0x40}
				for _, name := range strings.Split(frame, "+") {
					if name == "" {
						continue
					}
					fn, ok := funcs[name]
					if !ok {
						fn = &profile.Function{ID: uint64(len(p.Function) + 1), Name: name, SystemName: name, Filename: "orders.go", StartLine: 10}
						funcs[name] = fn
						p.Function = append(p.Function, fn)
					}
					loc.Line = append(loc.Line, profile.Line{Function: fn, Line: 12})
				}
				locs[frame] = loc
				p.Location = append(p.Location, loc)
			}
			s.Location = append(s.Location, loc)
		}
		p.Sample = append(p.Sample, s)
	}
	return p
}

// TestProfileFixtures checks that the checked-in profiles are what
// profileFixtures describes, or rewrites them with -regen-profiles.
func TestProfileFixtures(t *testing.T) {
	for _, f := range profileFixtures {
		want := buildFixture(f.types, f.stacks)
		path := filepath.Join(profileDir, f.file)
		if *regenProfiles {
			var buf bytes.Buffer
			if err := want.Write(&buf); err != nil {
				t.Fatalf("%s: %v", f.file, err)
			}
			if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
				t.Fatalf("regen: %v", err)
			}
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read fixture (run with -regen-profiles to create it): %v", err)
		}
		got, err := pprofcollect.Parse(data, pprofcollect.Limits{})
		if err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		if got.String() != want.String() {
			t.Errorf("%s differs from profileFixtures (run with -regen-profiles to rewrite it)\ngot:\n%s\nwant:\n%s", f.file, got, want)
		}
	}
}

// fixtureItems are the stored profiles of one side, as a result file holds
// them; the base also lost a CPU chunk to a busy profiler.
func fixtureItems(t *testing.T, side string) []results.Profile {
	t.Helper()
	var items []results.Profile
	for _, f := range profileFixtures {
		if !strings.HasSuffix(f.file, "_"+side+".pb.gz") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(profileDir, f.file))
		if err != nil {
			t.Fatal(err)
		}
		items = append(items, results.Profile{Kind: f.kind, Status: results.ProfileOK, Requests: f.requests, Data: data, Delta: f.kind != "cpu"})
	}
	if side == "base" {
		items = append(items, results.Profile{Kind: "cpu", Status: results.ProfileBusy, Requests: 1_000, Error: "another CPU profile is running"})
	}
	return items
}

func fixtureTable(t *testing.T, side, typ string) *pprofcollect.Table {
	t.Helper()
	tab, err := pprofcollect.Normalize(fixtureItems(t, side), typ, pprofcollect.Limits{})
	if err != nil {
		t.Fatalf("Normalize %s %s: %v", side, typ, err)
	}
	return tab
}

var profileFormats = []struct {
	format Format
	suffix string
}{{FormatText, "txt"}, {FormatMarkdown, "md"}, {FormatJSON, "json"}}

func TestRenderTopGolden(t *testing.T) {
	cases := []struct {
		name, side, typ string
		n               int
	}{
		{"top_cpu_candidate", "candidate", "cpu", 5},
		{"top_cpu_base", "base", "cpu", 0},
		{"top_alloc_space_candidate", "candidate", "alloc_space", 3},
	}
	for _, c := range cases {
		tab := fixtureTable(t, c.side, c.typ)
		for _, f := range profileFormats {
			name := c.name + "." + f.suffix
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderTop(&buf, tab, c.n, f.format); err != nil {
					t.Fatalf("RenderTop: %v", err)
				}
				checkGolden(t, filepath.Join(profileDir, name+".golden"), buf.Bytes())
			})
		}
	}
}

func TestRenderDiffGolden(t *testing.T) {
	cases := []struct {
		name, typ string
		n         int
	}{
		{"diff_cpu", "cpu", 4},
		{"diff_cpu_all", "cpu", 0},
		{"diff_alloc_space", "alloc_space", 2},
		{"diff_alloc_objects", "alloc_objects", 3},
	}
	for _, c := range cases {
		d := pprofcollect.DiffTables(fixtureTable(t, "base", c.typ), fixtureTable(t, "candidate", c.typ))
		for _, f := range profileFormats {
			name := c.name + "." + f.suffix
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderDiff(&buf, d, c.n, f.format); err != nil {
					t.Fatalf("RenderDiff: %v", err)
				}
				checkGolden(t, filepath.Join(profileDir, name+".golden"), buf.Bytes())
			})
		}
	}
}

// TestRenderDiffJSONContract holds the keys DESIGN.md promises for
// "perfkit profile diff --format json" and the row order.
func TestRenderDiffJSONContract(t *testing.T) {
	d := pprofcollect.DiffTables(fixtureTable(t, "base", "cpu"), fixtureTable(t, "candidate", "cpu"))
	for _, n := range []int{0, 2} {
		var buf bytes.Buffer
		if err := RenderDiff(&buf, d, n, FormatJSON); err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatalf("decode: %v", err)
		}
		for _, k := range []string{"schema", "type", "unit", "base_requests", "candidate_requests", "rows"} {
			if _, ok := doc[k]; !ok {
				t.Errorf("n=%d: no key %q", n, k)
			}
		}
		if doc["schema"] != "perfkit.profilediff/v1" || doc["type"] != "cpu" || doc["unit"] != "ns" ||
			doc["base_requests"] != 12000.0 || doc["candidate_requests"] != 11500.0 {
			t.Errorf("n=%d: got header %v", n, doc)
		}
		rows := doc["rows"].([]any)
		prev := 0.0
		for i, r := range rows {
			row := r.(map[string]any)
			for _, k := range []string{"function", "base_flat", "candidate_flat", "delta_flat", "base_cum", "candidate_cum", "delta_cum"} {
				if _, ok := row[k]; !ok {
					t.Errorf("n=%d row %d: no key %q", n, i, k)
				}
			}
			delta := row["delta_flat"].(float64)
			if i > 0 && delta > prev {
				t.Errorf("n=%d row %d: delta_flat %v after %v, want descending", n, i, delta, prev)
			}
			prev = delta
		}
		if first := rows[0].(map[string]any)["function"]; first != "main.expensiveChecksum" {
			t.Errorf("n=%d: got %v first, want main.expensiveChecksum", n, first)
		}
		if want := map[int]int{0: len(d.Rows), 2: 4}[n]; len(rows) != want {
			t.Errorf("n=%d: got %d rows, want %d", n, len(rows), want)
		}
	}
}

func TestRenderProfileErrors(t *testing.T) {
	tab := &pprofcollect.Table{Type: "cpu", Unit: "ns"}
	if err := RenderTop(&bytes.Buffer{}, tab, 5, "html"); err == nil {
		t.Error("RenderTop html: got no error")
	}
	if err := RenderTop(&bytes.Buffer{}, nil, 5, FormatText); err == nil {
		t.Error("RenderTop nil: got no error")
	}
	if err := RenderDiff(&bytes.Buffer{}, nil, 5, FormatText); err == nil {
		t.Error("RenderDiff nil: got no error")
	}
	var buf bytes.Buffer
	if err := RenderTop(&buf, tab, 5, FormatText); err != nil || !strings.Contains(buf.String(), "no samples") {
		t.Errorf("RenderTop empty: got %q, %v; want a no samples line", buf.String(), err)
	}
	buf.Reset()
	if err := RenderDiff(&buf, pprofcollect.DiffTables(tab, tab), 5, FormatMarkdown); err != nil || !strings.Contains(buf.String(), "no function changed") {
		t.Errorf("RenderDiff unchanged: got %q, %v; want a no change line", buf.String(), err)
	}
}

func TestFormatCost(t *testing.T) {
	tests := []struct {
		v    float64
		unit string
		want string
	}{
		{0, "ns", "0"},
		{0.354, "ns", "0.35ns"},
		{12.34, "ns", "12.3ns"},
		{999.7, "ns", "1.00µs"},
		{41_234, "ns", "41.2µs"},
		{1_234_567, "ns", "1.23ms"},
		{2.5e9, "ns", "2.50s"},
		{-782_608, "ns", "-783µs"},
		{0.4, "bytes", "0.40 B"},
		{320, "bytes", "320 B"},
		{131_072, "bytes", "128 KiB"},
		{3.5, "objects", "3.50"},
		{12_345.6, "count", "12,346"},
	}
	for _, tt := range tests {
		if got := formatCost(tt.v, tt.unit); got != tt.want {
			t.Errorf("formatCost(%v, %s): got %q, want %q", tt.v, tt.unit, got, tt.want)
		}
	}
}
