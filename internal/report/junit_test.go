package report

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

func TestRenderSummaryJUnitGolden(t *testing.T) {
	for _, c := range []struct {
		name    string
		summary *results.Summary
	}{
		{"closed", closedSummary()},
		{"open", openSummary()},
		{"zero", zeroSummary()},
	} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderSummaryJUnit(&buf, c.summary); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "junit_"+c.name+".xml.golden"), buf.Bytes())
			doc := parseJUnit(t, buf.Bytes())
			if got, want := len(doc.Suites[0].Cases), len(c.summary.Thresholds); got != want {
				t.Errorf("got %d test cases, want one per threshold (%d)", got, want)
			}
		})
	}
}

func TestRenderSummaryJUnitOutcomes(t *testing.T) {
	s := openSummary()
	var buf bytes.Buffer
	if err := RenderSummaryJUnit(&buf, s); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, buf.Bytes())
	cases := doc.Suites[0].Cases
	want := []struct{ name, outcome, message string }{
		{"threshold: p95<500ms", "", ""},
		{"threshold: p99.9<2s", "failure", "measured 3.10s, want p99.9<2s"},
		{"threshold: error_rate<1%", "failure", "measured 2.36%, want error_rate<1%"},
		{"threshold: rps>1000", "failure", "measured 753 req/s, want rps>1000"},
		{"threshold: p95{endpoint=missing}<300ms", "error", `no endpoint named "missing" in this run`},
	}
	for i, w := range want {
		c := cases[i]
		outcome, msg := "", ""
		switch {
		case c.Failure != nil:
			outcome, msg = "failure", c.Failure.Message
		case c.Error != nil:
			outcome, msg = "error", c.Error.Message
		}
		if c.Name != w.name || c.Classname != "perfkit.thresholds" || outcome != w.outcome || msg != w.message {
			t.Errorf("case %d: got %q %q %s %q, want %q perfkit.thresholds %s %q", i, c.Name, c.Classname, outcome, msg, w.name, w.outcome, w.message)
		}
	}
}

// TestRenderSummaryJUnitHostile checks that text XML cannot carry (control
// characters) or would act on (markup, CDATA ends) stays inert.
func TestRenderSummaryJUnitHostile(t *testing.T) {
	s := closedSummary()
	s.Thresholds = []results.ThresholdResult{{Expr: "p95<1s\x1b[2J]]></testcase><x a=\"", Error: "bad \x00 & <worse>"}}
	var buf bytes.Buffer
	if err := RenderSummaryJUnit(&buf, s); err != nil {
		t.Fatal(err)
	}
	doc := parseJUnit(t, buf.Bytes())
	if got := doc.Suites[0].Cases[0].Error.Message; got != "bad \uFFFD & <worse>" {
		t.Errorf("error message: got %q", got)
	}
	if strings.Contains(buf.String(), "\x1b") || strings.Contains(buf.String(), "\x00") {
		t.Errorf("output carries control characters: %q", buf.String())
	}
	if err := RenderSummaryJUnit(&buf, nil); err == nil {
		t.Error("nil summary: got nil error")
	}
	if err := RenderSummaryJUnit(failWriter{}, s); err == nil {
		t.Error("failing writer: got nil error")
	}
}
