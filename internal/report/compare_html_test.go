package report

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/results"
)

func TestRenderComparisonHTMLGolden(t *testing.T) {
	cases := []struct {
		name  string
		c     *compare.Comparison
		title string
	}{
		{"regression", regressionComparison(t), "checkout"},
		{"few", fewComparison(t, false), ""},
		{"few_strict", fewComparison(t, true), ""},
	}
	for _, c := range cases {
		name := "compare_" + c.name + ".html"
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderComparison(&buf, c.c, FormatHTML, Options{Title: c.title}); err != nil {
				t.Fatalf("RenderComparison: %v", err)
			}
			checkGolden(t, filepath.Join("testdata", name+".golden"), buf.Bytes())
			checkSelfContained(t, buf.String())
			if out := buf.String(); strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
				t.Errorf("output contains NaN or Inf:\n%s", out)
			}
		})
	}
}

// aaComparison compares the base fixture with itself under generous gates:
// nothing changed, so the verdict is pass.
func aaComparison(t *testing.T) *compare.Comparison {
	t.Helper()
	base := readFixture(t, "base.json")
	c, err := compare.Compare([]*results.Result{base}, []*results.Result{base}, compare.Options{
		Gates: mustGates(t, "p99<+10%", "rps>-5%"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestComparisonHTMLVerdictBanner(t *testing.T) {
	cases := []struct {
		name string
		c    *compare.Comparison
		want string
	}{
		{"pass", aaComparison(t), `<p class="banner good">✓ PASS</p>`},
		{"fail", regressionComparison(t), `<p class="banner bad">✗ FAIL</p>`},
		{"inconclusive", fewComparison(t, false), `<p class="banner warn">⚠ INCONCLUSIVE</p>`},
		{"strict", fewComparison(t, true), `<p class="banner bad">✗ FAIL</p>`},
	}
	for _, c := range cases {
		var buf bytes.Buffer
		if err := RenderComparison(&buf, c.c, FormatHTML, Options{}); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.Contains(out, c.want) {
			t.Errorf("%s: page lacks %s", c.name, c.want)
		}
		// The banner leads: nothing but the title comes before it.
		if body := out[strings.Index(out, "<body>"):]; strings.Index(body, "banner") > strings.Index(body, "<h2>") {
			t.Errorf("%s: the verdict is not the first thing on the page", c.name)
		}
	}
	var buf bytes.Buffer
	if err := RenderComparison(&buf, aaComparison(t), FormatHTML, Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "no metric changed significantly (α = 0.05)") {
		t.Errorf("A/A page should say that no metric changed:\n%s", buf.String())
	}
}

// TestComparisonHTMLEscapes feeds every string a hostile result file or
// profile diff can put into a comparison through the page.
func TestComparisonHTMLEscapes(t *testing.T) {
	c := regressionComparison(t)
	c.Gates[0].Expr = `p99<+10%"><script>alert(1)</script>`
	c.Gates[0].Reason = `<img src=x onerror=alert(1)>`
	c.Thresholds[0].Expr = `p95{endpoint=<iframe src=//evil.example>}<500ms`
	c.Metrics[0].Name = `rps{endpoint=</td><svg onload=alert(1)>}`
	c.Warnings = append(c.Warnings, "<style>@import url(https://evil.example/x.css)</style>\x1b[2J")
	var profile map[string]any
	if err := json.Unmarshal(c.Profiles[0], &profile); err != nil {
		t.Fatal(err)
	}
	profile["type"] = `cpu</h2><a href="https://evil.example">`
	profile["warnings"] = []string{`<link rel=stylesheet href=https://evil.example/x.css>`}
	raw, err := json.Marshal(profile)
	if err != nil {
		t.Fatal(err)
	}
	c.Profiles[0] = raw

	var buf bytes.Buffer
	if err := RenderComparison(&buf, c, FormatHTML, Options{Title: `<b>title</b>`}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	checkSelfContained(t, out)
	for _, bad := range []string{"<script", "<img", "<iframe", "<svg", "<a ", "<link", "<style>@", "<b>", "</td><svg", "\x1b"} {
		if strings.Contains(out, bad) {
			t.Errorf("page contains %q: strings must be escaped", bad)
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		"&lt;img src=x onerror=alert(1)&gt;",
		"&lt;b&gt;title&lt;/b&gt;",
		"main.(*store).&lt;b&gt;|lookup*",
		"cpu&lt;/h2&gt;&lt;a href=&#34;https://evil.example&#34;&gt;",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("page lacks the escaped %q", want)
		}
	}
}

var (
	htmlTag  = regexp.MustCompile(`<(/?)([a-zA-Z!][a-zA-Z0-9]*)([^>]*)>`)
	htmlAttr = regexp.MustCompile(`\s+([a-zA-Z-]+)="[^"]*"`)
)

// checkSelfContained holds the page to the tags and attributes its
// templates write. Escaped input has no literal '<', so every tag found is
// the template's, and none may load anything: no <script>, <link> or
// <img>, no src or href (to http(s):// or anywhere else), and nothing in
// the CSS that fetches.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	tags := []string{"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "span",
		"table", "tr", "th", "td", "details", "summary", "ul", "ol", "li"}
	attrs := []string{"lang", "charset", "name", "content", "class"}
	if !strings.HasPrefix(page, "<!DOCTYPE html>\n") {
		t.Errorf("page does not start with a doctype")
	}
	for _, m := range htmlTag.FindAllStringSubmatch(strings.TrimPrefix(page, "<!DOCTYPE html>"), -1) {
		if !slices.Contains(tags, m[2]) {
			t.Errorf("page has a <%s> tag: %s", m[2], m[0])
		}
		for _, a := range htmlAttr.FindAllStringSubmatch(m[3], -1) {
			if !slices.Contains(attrs, a[1]) {
				t.Errorf("page has attribute %s: %s", a[1], m[0])
			}
		}
		if rest := htmlAttr.ReplaceAllString(m[3], ""); strings.TrimSpace(rest) != "" {
			t.Errorf("page has unquoted attributes %q: %s", rest, m[0])
		}
	}
	css := page[strings.Index(page, "<style>"):strings.Index(page, "</style>")]
	for _, bad := range []string{"url(", "@import", "//"} {
		if strings.Contains(css, bad) {
			t.Errorf("CSS contains %q: the page must not load anything", bad)
		}
	}
}

func TestRenderComparisonHTMLToFailingWriter(t *testing.T) {
	if err := RenderComparison(failWriter{}, fewComparison(t, false), FormatHTML, Options{}); err == nil {
		t.Error("html to a failing writer: got nil error")
	}
}
