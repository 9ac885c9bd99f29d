package report

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/results"
)

// fixtureCache holds each decoded fixture once: decoding rebuilds dozens of
// full-range histograms, the bulk of these tests' time under -race.
var fixtureCache = map[string]*results.Result{}

// readFixture returns a copy of a fixture whose Runs a test may reslice;
// the runs themselves are shared and only read.
func readFixture(t *testing.T, name string) *results.Result {
	t.Helper()
	r, ok := fixtureCache[name]
	if !ok {
		var err error
		if r, err = results.ReadFile(filepath.Join("testdata", "compare", name)); err != nil {
			t.Fatal(err)
		}
		fixtureCache[name] = r
	}
	c := *r
	c.Runs = slices.Clone(r.Runs)
	return &c
}

// perRun hands out extra values by run position, the way the CLI derives
// them from each run's profiles.
func perRun(res []*results.Result, values map[string][]float64) map[*results.Run]compare.RunValues {
	out := map[*results.Run]compare.RunValues{}
	for _, r := range res {
		for i, run := range r.Runs {
			v := compare.RunValues{}
			for name, vs := range values {
				v[name] = vs[i]
			}
			out[run] = v
		}
	}
	return out
}

func mustGates(t *testing.T, exprs ...string) []compare.Gate {
	t.Helper()
	var gs []compare.Gate
	for _, e := range exprs {
		g, err := compare.ParseGate(e)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	return gs
}

// regressionComparison compares the fixtures in full: create-order is
// 25 % slower, allocations are up 20 %, CPU moved within noise.
func regressionComparison(t *testing.T) *compare.Comparison {
	t.Helper()
	base, cand := readFixture(t, "base.json"), readFixture(t, "cand.json")
	extras := perRun([]*results.Result{base}, map[string][]float64{
		compare.MetricAllocBytesPerRequest: {4096, 4100, 4090, 4105, 4088},
		compare.MetricCPUPerRequest:        {85000, 91000, 79000, 88000, 83000},
	})
	for run, v := range perRun([]*results.Result{cand}, map[string][]float64{
		compare.MetricAllocBytesPerRequest: {4915, 4920, 4908, 4926, 4906},
		compare.MetricCPUPerRequest:        {87000, 84000, 93000, 86000, 90000},
	}) {
		extras[run] = v
	}
	sum, err := results.Summarize(cand)
	if err != nil {
		t.Fatal(err)
	}
	profile, err := os.ReadFile(filepath.Join("testdata", "compare", "profilediff_cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := compare.Compare([]*results.Result{base}, []*results.Result{cand}, compare.Options{
		Gates: mustGates(t, "p99<+10%", "rps>-5%", "p95{endpoint=create-order}<+10%",
			"alloc_bytes_per_request<+15%", "cpu_per_request<+10%", "error_rate<+1pp"),
		Thresholds: sum.Thresholds,
		Extra:      func(r *results.Run) (compare.RunValues, error) { return extras[r], nil },
		Profiles:   []json.RawMessage{profile},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fewComparison has three runs per side and no profiles: every gate is
// inconclusive.
func fewComparison(t *testing.T, strict bool) *compare.Comparison {
	t.Helper()
	base, cand := readFixture(t, "base.json"), readFixture(t, "cand.json")
	base.Runs, cand.Runs = base.Runs[:3], cand.Runs[:3]
	c, err := compare.Compare([]*results.Result{base}, []*results.Result{cand}, compare.Options{
		Gates:  mustGates(t, "p99{endpoint=create-order}<+10%", "alloc_bytes_per_request<+15%"),
		Strict: strict,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRenderComparisonGolden(t *testing.T) {
	cases := []struct {
		name  string
		c     *compare.Comparison
		title string
	}{
		{"regression", regressionComparison(t), "checkout"},
		{"few", fewComparison(t, false), ""},
		{"few_strict", fewComparison(t, true), ""},
	}
	variants := []struct {
		suffix string
		format Format
		color  bool
	}{
		{"txt", FormatText, false},
		{"color.txt", FormatText, true},
		{"md", FormatMarkdown, false},
		{"json", FormatJSON, false},
		{"junit.xml", FormatJUnit, false},
	}
	for _, c := range cases {
		for _, v := range variants {
			name := "compare_" + c.name + "." + v.suffix
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderComparison(&buf, c.c, v.format, Options{Color: v.color, Title: c.title}); err != nil {
					t.Fatalf("RenderComparison: %v", err)
				}
				checkGolden(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
				out := buf.String()
				if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
					t.Errorf("output contains NaN or Inf:\n%s", out)
				}
				if !v.color && strings.Contains(out, "\x1b") {
					t.Errorf("output without colour contains an escape sequence:\n%q", out)
				}
			})
		}
	}
}

func TestComparisonVerdicts(t *testing.T) {
	cases := []struct {
		name  string
		c     *compare.Comparison
		want  compare.Status
		gates []compare.Status
	}{
		{"regression", regressionComparison(t), compare.Fail,
			// create-order's slowdown moves the total p99 too.
			[]compare.Status{compare.Fail, compare.Pass, compare.Fail, compare.Fail, compare.Pass, compare.Pass}},
		{"few", fewComparison(t, false), compare.Inconclusive, []compare.Status{compare.Inconclusive, compare.Inconclusive}},
		{"few strict", fewComparison(t, true), compare.Fail, []compare.Status{compare.Inconclusive, compare.Inconclusive}},
	}
	for _, c := range cases {
		if c.c.Verdict != c.want {
			t.Errorf("%s: verdict got %v, want %v", c.name, c.c.Verdict, c.want)
		}
		for i, g := range c.c.Gates {
			if g.Status != c.gates[i] {
				t.Errorf("%s: gate %s got %v, want %v (%s)", c.name, g.Expr, g.Status, c.gates[i], g.Reason)
			}
		}
	}
}

func TestRenderComparisonJSONIsTheDocument(t *testing.T) {
	c := regressionComparison(t)
	var buf bytes.Buffer
	if err := RenderComparison(&buf, c, FormatJSON, Options{}); err != nil {
		t.Fatal(err)
	}
	out := bytes.Clone(buf.Bytes())
	var back compare.Comparison
	dec := json.NewDecoder(&buf)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if back.Schema != "perfkit.compare/v1" || back.Verdict != c.Verdict || len(back.Metrics) != len(c.Metrics) || len(back.Profiles) != 1 {
		t.Errorf("round trip: got schema %q verdict %v %d metrics %d profiles", back.Schema, back.Verdict, len(back.Metrics), len(back.Profiles))
	}
	if !bytes.Contains(out, []byte(`"expr": "p99<+10%"`)) {
		t.Errorf("gate expressions should stay readable (no HTML escaping)")
	}
}

// TestRenderComparisonEscapes feeds names a hostile result file or profile
// could carry through every format.
func TestRenderComparisonEscapes(t *testing.T) {
	c := regressionComparison(t)
	c.Warnings = append(c.Warnings, "# <b>hostile</b> | *x* \x1b[2J\nnext")
	var md, txt, xmlOut bytes.Buffer
	for _, r := range []struct {
		f   Format
		buf *bytes.Buffer
	}{{FormatMarkdown, &md}, {FormatText, &txt}, {FormatJUnit, &xmlOut}} {
		if err := RenderComparison(r.buf, c, r.f, Options{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []string{"<b>", "x|<b>*", "\x1b"} {
		if strings.Contains(md.String(), bad) {
			t.Errorf("markdown contains %q unescaped", bad)
		}
	}
	if !strings.Contains(md.String(), `main.(\*store).\<b\>\|lookup\*`) {
		t.Errorf("markdown: profile function not escaped as expected:\n%s", md.String())
	}
	if strings.Contains(txt.String(), "\x1b") {
		t.Errorf("text contains an escape sequence")
	}
}

func TestRenderComparisonErrors(t *testing.T) {
	if err := RenderComparison(&bytes.Buffer{}, nil, FormatText, Options{}); err == nil {
		t.Error("nil comparison: got nil error")
	}
	c := fewComparison(t, false)
	if err := RenderComparison(&bytes.Buffer{}, c, Format("csv"), Options{}); err == nil || !strings.Contains(err.Error(), `unsupported format "csv"`) {
		t.Errorf("csv: got %v, want unsupported format", err)
	}
	c.Profiles = []json.RawMessage{json.RawMessage(`{"rows":"not rows"}`)}
	if err := RenderComparison(&bytes.Buffer{}, c, FormatMarkdown, Options{}); err == nil || !strings.Contains(err.Error(), "profile diff 1") {
		t.Errorf("bad profile: got %v, want an error naming the profile diff", err)
	}
	for _, f := range []Format{FormatText, FormatMarkdown, FormatJSON, FormatJUnit} {
		if err := RenderComparison(failWriter{}, fewComparison(t, false), f, Options{}); err == nil {
			t.Errorf("%s to a failing writer: got nil error", f)
		}
	}
}

func TestSpread(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	cases := []struct {
		center float64
		lo, hi *float64
		want   string
	}{
		{10, f(9), f(10.5), "10%"},
		{10, f(9.8), f(10.3), "3%"},
		{10, nil, nil, "∞"},
		{0, f(0), f(0), "0%"},
		{0, f(-1), f(1), "?"},
		{1, f(-1), f(2), "?"},
	}
	for _, c := range cases {
		if got := spread(c.center, c.lo, c.hi); got != c.want {
			t.Errorf("spread(%v): got %q, want %q", c.center, got, c.want)
		}
	}
	if got, want := noteMarks([]int{1, 2, 12}), "¹ ² ¹²"; got != want {
		t.Errorf("noteMarks: got %q, want %q", got, want)
	}
}

// junitDoc is the common JUnit schema shape, decoded independently of the
// writer's own types.
type junitDoc struct {
	XMLName xml.Name `xml:"testsuites"`
	Tests   int      `xml:"tests,attr"`
	Suites  []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Errors   int    `xml:"errors,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			Name      string `xml:"name,attr"`
			Classname string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, data []byte) junitDoc {
	t.Helper()
	var doc junitDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("JUnit output does not parse: %v\n%s", err, data)
	}
	if len(doc.Suites) != 1 {
		t.Fatalf("got %d testsuites, want 1", len(doc.Suites))
	}
	s := doc.Suites[0]
	var failures, errs, skipped int
	for _, c := range s.Cases {
		if c.Failure != nil {
			failures++
		}
		if c.Error != nil {
			errs++
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures || s.Errors != errs || s.Skipped != skipped || doc.Tests != s.Tests {
		t.Errorf("counts: got tests=%d failures=%d errors=%d skipped=%d, cases say %d, %d, %d, %d",
			s.Tests, s.Failures, s.Errors, s.Skipped, len(s.Cases), failures, errs, skipped)
	}
	return doc
}

func TestComparisonJUnitParses(t *testing.T) {
	type want struct {
		name, class string
		outcome     string // "", "failure", "error", "skipped"
		message     string
	}
	cases := []struct {
		name string
		c    *compare.Comparison
		want []want
	}{
		{"regression", regressionComparison(t), []want{
			{"threshold: p95<500ms", "perfkit.thresholds", "", ""},
			{"threshold: error_rate<1%", "perfkit.thresholds", "", ""},
			{"gate: p99<+10%", "perfkit.gates", "failure", "p99 +31.73% (median 49.73ms → 65.5ms), beyond <+10% and significant (p=0.008 n=5+5)"},
			{"gate: rps>-5%", "perfkit.gates", "", ""},
			{"gate: p95{endpoint=create-order}<+10%", "perfkit.gates", "failure", "beyond <+10% and significant"},
			{"gate: alloc_bytes_per_request<+15%", "perfkit.gates", "failure", "alloc_bytes_per_request +20."},
			{"gate: cpu_per_request<+10%", "perfkit.gates", "", ""},
			{"gate: error_rate<+1pp", "perfkit.gates", "", ""},
		}},
		{"few", fewComparison(t, false), []want{
			{"gate: p99{endpoint=create-order}<+10%", "perfkit.gates", "skipped", "need ≥ 4 runs per side"},
			{"gate: alloc_bytes_per_request<+15%", "perfkit.gates", "skipped", "no alloc_bytes_per_request in either side"},
		}},
		{"few strict", fewComparison(t, true), []want{
			{"gate: p99{endpoint=create-order}<+10%", "perfkit.gates", "failure", "inconclusive (strict)"},
			{"gate: alloc_bytes_per_request<+15%", "perfkit.gates", "failure", "inconclusive (strict)"},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderComparison(&buf, c.c, FormatJUnit, Options{}); err != nil {
				t.Fatal(err)
			}
			doc := parseJUnit(t, buf.Bytes())
			got := doc.Suites[0].Cases
			if len(got) != len(c.want) {
				t.Fatalf("got %d test cases, want %d", len(got), len(c.want))
			}
			for i, w := range c.want {
				g := got[i]
				outcome, msg := "", ""
				switch {
				case g.Failure != nil:
					outcome, msg = "failure", g.Failure.Message
				case g.Error != nil:
					outcome, msg = "error", g.Error.Message
				case g.Skipped != nil:
					outcome, msg = "skipped", g.Skipped.Message
				}
				if g.Name != w.name || g.Classname != w.class || outcome != w.outcome || !strings.Contains(msg, w.message) {
					t.Errorf("case %d: got %q %q %s %q, want %q %q %s containing %q", i, g.Name, g.Classname, outcome, msg, w.name, w.class, w.outcome, w.message)
				}
			}
		})
	}
}
