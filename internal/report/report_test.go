package report

import (
	"bytes"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMain(m *testing.M) {
	// Table widths depend on whether the terminal counts ambiguous-width
	// runes such as µ as two columns; pin it so goldens match everywhere.
	os.Setenv("RUNEWIDTH_EASTASIAN", "0")
	os.Exit(m.Run())
}

// closedSummary is a healthy single-endpoint closed-model run.
func closedSummary() *results.Summary {
	return &results.Summary{
		Schema: results.SummarySchema, Status: results.StatusComplete, Model: "closed", Runs: 1,
		Requests: 36912, Errors: 12, ErrorRate: 12.0 / 36912, DurationS: 30, RPS: 1230.4,
		BytesIn: 43_201_536, BytesOut: 1_363_148,
		LatencyMs:   results.LatencyMs{Min: 0.812, Mean: 12.34, P50: 9.871, P90: 21.5, P95: 28.02, P99: 48.3, P999: 112.7, Max: 1203.4},
		TTFBMs:      results.LatencyMs{Min: 0.64, Mean: 11.9, P50: 9.5, P90: 20.9, P95: 27.4, P99: 47.6, P999: 110.1, Max: 1201.0},
		StatusCodes: map[string]int64{"200": 36900, "503": 12},
		ErrorKinds:  map[string]int64{"http_5xx": 12},
		Endpoints: []results.EndpointSummary{{
			Name: "default", Requests: 36912, Errors: 12, ErrorRate: 12.0 / 36912, RPS: 1230.4,
			LatencyMs: results.LatencyMs{P50: 9.871, P95: 28.02, P99: 48.3, Max: 1203.4},
		}},
		Phases: results.PhasesSummary{
			DNS:     results.PhaseMs{Count: 50, P50: 0.21, P99: 1.9, Max: 2.3},
			Connect: results.PhaseMs{Count: 50, P50: 0.35, P99: 2.4, Max: 3.1},
			Reused:  36862, ConnectionReuse: 36862.0 / 36912,
		},
		Thresholds: []results.ThresholdResult{
			{Expr: "p95<500ms", OK: true, Value: 28.02},
			{Expr: "error_rate<1%", OK: true, Value: 12.0 / 36912},
		},
		Generator: results.GeneratorSummary{CPUSeconds: 1.51, CPUUsPerRequest: 40.9, GOMAXPROCS: 2, MaxVUs: 50},
		Warnings:  []string{},
	}
}

// openSummary is an open-model run over three endpoints that missed its
// schedule and failed thresholds; its names and warnings carry characters
// Markdown and terminals would act on.
func openSummary() *results.Summary {
	service := results.LatencyMs{Min: 0.301, Mean: 38.2, P50: 21.4, P90: 88.1, P95: 140.2, P99: 702.9, P999: 1890, Max: 4012.5}
	return &results.Summary{
		Schema: results.SummarySchema, Status: results.StatusInterrupted, Model: "open", Runs: 3,
		Requests: 89_410, Errors: 2_113, ErrorRate: 2113.0 / 89410, DurationS: 118.7, RPS: 753.25,
		BytesIn: 5_012_345_678, BytesOut: 900,
		LatencyMs:     results.LatencyMs{Min: 0.35, Mean: 61.7, P50: 23.9, P90: 131.5, P95: 260.4, P99: 1402.2, P999: 3100, Max: 65_432},
		ServiceTimeMs: &service,
		TTFBMs:        results.LatencyMs{Min: 0.2, Mean: 30.1, P50: 18.2, P90: 80.3, P95: 120.7, P99: 650.4, P999: 1700, Max: 4000},
		StatusCodes:   map[string]int64{"200": 85_000, "404": 297, "500": 1_000, "other": 3, "201": 2_000},
		ErrorKinds:    map[string]int64{"http_5xx": 1_000, "timeout": 513, "http_4xx": 297, "connection_reset": 300, "canceled": 3},
		Endpoints: []results.EndpointSummary{
			{Name: "list-orders", Requests: 60_000, Errors: 100, ErrorRate: 100.0 / 60000, RPS: 505.48,
				LatencyMs: results.LatencyMs{P50: 19.5, P95: 200.1, P99: 998.7, Max: 12_000}},
			{Name: "create|order", Requests: 29_410, Errors: 2_013, ErrorRate: 2013.0 / 29410, RPS: 247.77,
				LatencyMs: results.LatencyMs{P50: 40.2, P95: 600.2, P99: 2400, Max: 65_432}},
			{Name: "never-hit", Requests: 0},
		},
		Phases: results.PhasesSummary{
			DNS:     results.PhaseMs{Count: 0},
			Connect: results.PhaseMs{Count: 812, P50: 0.4, P99: 5.2, Max: 31.9},
			TLS:     results.PhaseMs{Count: 812, P50: 6.1, P99: 24.8, Max: 88.0},
			Reused:  88_598, ConnectionReuse: 88598.0 / 89410,
		},
		Thresholds: []results.ThresholdResult{
			{Expr: "p95<500ms", OK: true, Value: 260.4},
			{Expr: "p99.9<2s", OK: false, Value: 3100},
			{Expr: "error_rate<1%", OK: false, Value: 2113.0 / 89410},
			{Expr: "rps>1000", OK: false, Value: 753.25},
			{Expr: "p95{endpoint=missing}<300ms", Error: `no endpoint named "missing" in this run`},
		},
		Generator: results.GeneratorSummary{
			Dropped: 1_204, SendLagP50Ms: 0.09, SendLagP99Ms: 35.2, CPUSeconds: 9.4, CPUUsPerRequest: 105.1,
			GOMAXPROCS: 2, MaxVUs: 400, Behind: true,
		},
		Warnings: []string{
			"perfkit fell behind its schedule (1204 requests dropped, send lag p99 35.2 ms): latency and rate figures are suspect; raise --max-vus, lower --rate, or give perfkit more CPU",
			"the run was interrupted: these figures cover only the part that ran",
			"# <b>hostile</b> warning | with *markdown* and \x1b[2Jescapes\nover two lines",
		},
	}
}

// zeroSummary is a run in which no request completed at all.
func zeroSummary() *results.Summary {
	return &results.Summary{
		Schema: results.SummarySchema, Status: results.StatusInterrupted, Model: "closed", Runs: 1,
		StatusCodes: map[string]int64{}, ErrorKinds: map[string]int64{},
		Thresholds: []results.ThresholdResult{
			{Expr: "p95<500ms", Error: "no value for p95: no requests were measured"},
		},
		Warnings: []string{"the run was interrupted: these figures cover only the part that ran"},
	}
}

// unreachableSummary is a run against a closed port: every request failed
// before a response byte arrived.
func unreachableSummary() *results.Summary {
	return &results.Summary{
		Schema: results.SummarySchema, Status: results.StatusComplete, Model: "closed", Runs: 1,
		Requests: 20_000, Errors: 20_000, ErrorRate: 1, DurationS: 10, RPS: 2000,
		LatencyMs:   results.LatencyMs{Min: 0.041, Mean: 0.122, P50: 0.1, P90: 0.2, P95: 0.25, P99: 0.5, P999: 1.1, Max: 3.7},
		StatusCodes: map[string]int64{},
		ErrorKinds:  map[string]int64{"connection_refused": 20_000},
		Endpoints:   []results.EndpointSummary{{Name: "default", Requests: 20_000, Errors: 20_000, ErrorRate: 1, RPS: 2000}},
		Thresholds: []results.ThresholdResult{
			{Expr: "error_rate<1%", OK: false, Value: 1},
			{Expr: "checks>99%", OK: false, Value: 0},
		},
		Generator: results.GeneratorSummary{CPUSeconds: 0.4, CPUUsPerRequest: 20, GOMAXPROCS: 2, MaxVUs: 10},
	}
}

func TestRenderGolden(t *testing.T) {
	cases := []struct {
		name    string
		summary *results.Summary
		title   string
	}{
		{"closed", closedSummary(), "http://127.0.0.1:8080/orders"},
		{"open", openSummary(), "checkout | staging"},
		{"zero", zeroSummary(), ""},
		{"unreachable", unreachableSummary(), "http://127.0.0.1:1/"},
	}
	variants := []struct {
		suffix string
		format Format
		color  bool
	}{
		{"txt", FormatText, false},
		{"color.txt", FormatText, true},
		{"json", FormatJSON, false},
		{"md", FormatMarkdown, false},
		{"html", FormatHTML, false},
	}
	for _, c := range cases {
		for _, v := range variants {
			name := c.name + "." + v.suffix
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, c.summary, v.format, Options{Color: v.color, Title: c.title}); err != nil {
					t.Fatalf("Render: %v", err)
				}
				checkGolden(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
				if strings.Contains(buf.String(), "NaN") || strings.Contains(buf.String(), "Inf") {
					t.Errorf("output contains NaN or Inf:\n%s", buf.String())
				}
				if !v.color && strings.Contains(buf.String(), "\x1b") {
					t.Errorf("output without colour contains an escape sequence:\n%q", buf.String())
				}
			})
		}
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update golden: %v", err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("output differs from %s (run with -update to accept)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestRenderJSONRoundTrips(t *testing.T) {
	for _, s := range []*results.Summary{closedSummary(), openSummary(), zeroSummary(), unreachableSummary()} {
		var buf bytes.Buffer
		if err := Render(&buf, s, FormatJSON, Options{}); err != nil {
			t.Fatalf("Render: %v", err)
		}
		if !bytes.HasSuffix(buf.Bytes(), []byte("}\n")) {
			t.Errorf("got %q at the end, want one document and a newline", buf.Bytes()[buf.Len()-2:])
		}
		var back results.Summary
		dec := json.NewDecoder(&buf)
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("decode: %v", err)
		}
		if dec.More() {
			t.Errorf("got more than one JSON document")
		}
		if !reflect.DeepEqual(&back, s) {
			t.Errorf("round trip: got %+v, want %+v", back, *s)
		}
	}
}

func TestRenderJSONKeys(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, openSummary(), FormatJSON, Options{}); err != nil {
		t.Fatalf("Render: %v", err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("decode: %v", err)
	}
	// The keys DESIGN.md promises to every consumer.
	for _, key := range []string{"schema", "requests", "errors", "error_rate", "duration_s", "rps", "latency_ms",
		"status_codes", "error_kinds", "endpoints", "thresholds", "service_time_ms"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("got no key %q, want it present", key)
		}
	}
	lat := doc["latency_ms"].(map[string]any)
	for _, key := range []string{"min", "mean", "p50", "p90", "p95", "p99", "p99_9", "max"} {
		if _, ok := lat[key]; !ok {
			t.Errorf("got no key latency_ms.%s, want it present", key)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, closedSummary(), Format("pdf"), Options{}); err == nil || !strings.Contains(err.Error(), `"pdf"`) {
		t.Errorf("got %v, want an error naming the format", err)
	}
	if err := Render(&buf, nil, FormatText, Options{}); err == nil {
		t.Errorf("got nil error for a nil summary, want one")
	}
	for _, f := range Formats() {
		if err := Render(failWriter{}, closedSummary(), f, Options{}); err == nil {
			t.Errorf("%s: got nil error from a failing writer, want one", f)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestParseFormat(t *testing.T) {
	cases := []struct {
		in      string
		allowed []Format
		want    Format
		wantErr string
	}{
		{"text", nil, FormatText, ""},
		{"json", nil, FormatJSON, ""},
		{"markdown", nil, FormatMarkdown, ""},
		{"html", nil, FormatHTML, ""},
		{"pdf", nil, "", `invalid format "pdf": want one of text, json, markdown, html, junit`},
		{"Text", nil, "", `invalid format "Text": want one of text, json, markdown, html, junit`},
		{"", nil, "", `invalid format "": want one of text, json, markdown, html, junit`},
		{"html", []Format{FormatText, "html"}, "html", ""},
		{"json", []Format{FormatText, "html"}, "", `invalid format "json": want one of text, html`},
	}
	for _, c := range cases {
		got, err := ParseFormat(c.in, c.allowed...)
		var gotErr string
		if err != nil {
			gotErr = err.Error()
		}
		if got != c.want || gotErr != c.wantErr {
			t.Errorf("ParseFormat(%q, %v) = %q, %q; want %q, %q", c.in, c.allowed, got, gotErr, c.want, c.wantErr)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	cases := []struct {
		ms   float64
		want string
	}{
		{0, "0s"},
		{0.0001, "100ns"},
		{0.0009996, "1µs"},
		{0.001, "1µs"},
		{0.812, "812µs"},
		{0.9994, "999µs"},
		{0.9996, "1.00ms"},
		{1.2, "1.20ms"},
		{9.996, "10.0ms"},
		{12.34, "12.3ms"},
		{99.96, "100ms"},
		{812.4, "812ms"},
		{999.6, "1.00s"},
		{1203.4, "1.20s"},
		{59_940, "59.9s"},
		{59_960, "1m00s"},
		{59_400, "59.4s"},
		{65_432, "1m05s"},
		{3_600_000, "60m00s"},
		{-12.34, "-12.3ms"},
		{math.NaN(), "n/a"},
		{math.Inf(1), "n/a"},
	}
	for _, c := range cases {
		if got := FormatDuration(c.ms); got != c.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", c.ms, got, c.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	cases := []struct {
		n    int64
		want string
	}{
		{0, "0 B"},
		{1023, "1023 B"},
		{1024, "1.00 KiB"},
		{1536, "1.50 KiB"},
		{1023 * 1024, "1.00 MiB"},
		{1000 * 1024, "0.98 MiB"},
		{43_201_536, "41.2 MiB"},
		{5_012_345_678, "4.67 GiB"},
		{math.MaxInt64, "8.00 EiB"},
		{-2048, "-2.00 KiB"},
		{math.MinInt64, "-8.00 EiB"},
	}
	for _, c := range cases {
		if got := FormatBytes(c.n); got != c.want {
			t.Errorf("FormatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}

func TestFormatRateCountPercent(t *testing.T) {
	rates := []struct {
		rps  float64
		want string
	}{
		{0, "0 req/s"},
		{0.5, "0.50 req/s"},
		{9.999, "10.0 req/s"},
		{753.25, "753 req/s"},
		{999.6, "1,000 req/s"},
		{1230.4, "1,230 req/s"},
		{1_234_567.8, "1,234,568 req/s"},
		{math.NaN(), "n/a req/s"},
	}
	for _, c := range rates {
		if got := FormatRate(c.rps); got != c.want {
			t.Errorf("FormatRate(%v) = %q, want %q", c.rps, got, c.want)
		}
	}
	counts := []struct {
		n    int64
		want string
	}{
		{0, "0"}, {999, "999"}, {1000, "1,000"}, {36912, "36,912"}, {-1234567, "-1,234,567"},
		{math.MinInt64, "-9,223,372,036,854,775,808"},
	}
	for _, c := range counts {
		if got := FormatCount(c.n); got != c.want {
			t.Errorf("FormatCount(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	percents := []struct {
		frac float64
		want string
	}{
		{0, "0%"}, {1e-6, "<0.01%"}, {12.0 / 36912, "0.03%"}, {0.0236, "2.36%"}, {0.5, "50.0%"},
		{0.9996, ">99.9%"}, {1, "100%"}, {math.NaN(), "n/a"},
	}
	for _, c := range percents {
		if got := FormatPercent(c.frac); got != c.want {
			t.Errorf("FormatPercent(%v) = %q, want %q", c.frac, got, c.want)
		}
	}
}

func TestEscapeMarkdown(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"list-orders", "list-orders"},
		{"create|order", `create\|order`},
		{"p95<500ms", `p95\<500ms`},
		{"*bold* _em_ `code` [link](x)", "\\*bold\\* \\_em\\_ \\`code\\` \\[link\\](x)"},
		{"# heading", `\# heading`},
		{"- item", `\- item`},
		{"  + item", `\+ item`},
		{"a - b", "a - b"},
		{"12. not a list", `12\. not a list`},
		{"3)", `3\)`},
		{"5.20ms", "5.20ms"},
		{"p99.9<2s", `p99.9\<2s`},
		{"two\nlines", "two lines"},
		{"bell\x07", "bell\uFFFD"},
		{"$x$ &amp; ~~s~~ !", `\$x\$ \&amp; \~\~s\~\~ \!`},
	}
	for _, c := range cases {
		if got := escapeMarkdown(c.in); got != c.want {
			t.Errorf("escapeMarkdown(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestHTMLIsSelfContainedAndEscaped(t *testing.T) {
	s := openSummary()
	s.Endpoints[0].Name = `<script>alert("x")</script>`
	s.Warnings = append(s.Warnings, `<img src=x onerror=alert(1)>`)
	var buf bytes.Buffer
	if err := Render(&buf, s, FormatHTML, Options{Title: `<b>title</b>`}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "<img", "<b>title", "<link", "@import", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains %q: strings must be escaped and the page self-contained", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Errorf("escaped endpoint name missing from the page")
	}
}
