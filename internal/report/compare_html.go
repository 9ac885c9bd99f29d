package report

import (
	"fmt"
	"html/template"
	"io"

	"github.com/perfkit/perfkit/internal/compare"
)

// renderComparisonHTML writes the comparison as one self-contained page in
// the frame of the single-result report (see htmlPage). It follows the
// Markdown layout, the other format read by people who did not run the
// comparison: verdict first, then what decided it, the significant
// changes, every metric folded away, the profile diffs and the footnotes.
// Every string is escaped by html/template; none is marked safe.
func renderComparisonHTML(w io.Writer, v *comparisonView) error {
	return comparisonPage.Execute(w, newHTMLComparison(v))
}

type htmlComparison struct {
	Title        string
	Verdict      htmlCell
	Facts        []htmlCell
	Sections     []htmlSection
	MetricsTitle string
	Metrics      htmlSection
	Profiles     []htmlProfile
	Notes        []string
}

type htmlProfile struct {
	Section  htmlSection
	HasTable bool
	Warnings []string
}

// htmlVerdictMarks repeat the verdict in a symbol, so it reads without
// colour too.
var htmlVerdictMarks = map[compare.Status]string{compare.Pass: "✓", compare.Fail: "✗", compare.Inconclusive: "⚠"}

func newHTMLComparison(v *comparisonView) htmlComparison {
	h := htmlComparison{
		Title: clean(v.title),
		Verdict: htmlCell{
			Text:  htmlVerdictMarks[v.verdict] + " " + clean(v.verdictText.text),
			Class: toneClass(v.verdictText.tone),
		},
		MetricsTitle: fmt.Sprintf("All %s (median ± %g%% interval; ~ = no significant change at α = %g)",
			plural(len(v.metrics.rows), "metric"), v.confidence*100, v.alpha),
		Metrics: newHTMLSection(section{table: v.metrics}),
	}
	for _, f := range v.facts {
		h.Facts = append(h.Facts, htmlCell{clean(f.text), toneClass(f.tone)})
	}
	if v.gates != nil {
		h.Sections = append(h.Sections, newHTMLSection(section{title: "Gates", table: v.gates}))
	}
	if v.thresholds != nil {
		h.Sections = append(h.Sections, newHTMLSection(section{title: "Thresholds (candidate)", table: v.thresholds}))
	}
	changes := section{title: "Significant changes", table: v.significant}
	if len(v.significant.rows) == 0 {
		changes.line = []cell{{text: "no metric could be tested: too few runs (see the notes)", tone: toneWarn}}
		if v.tested {
			changes.line = []cell{{text: fmt.Sprintf("no metric changed significantly (α = %g)", v.alpha)}}
		}
	}
	h.Sections = append(h.Sections, newHTMLSection(changes))
	for _, p := range v.profiles {
		hp := htmlProfile{Section: newHTMLSection(section{title: p.title, table: p.table}), HasTable: p.table != nil}
		for _, w := range p.warnings {
			hp.Warnings = append(hp.Warnings, clean(w))
		}
		h.Profiles = append(h.Profiles, hp)
	}
	for _, n := range v.notes {
		h.Notes = append(h.Notes, clean(n))
	}
	return h
}

// comparisonPage redefines the blocks of htmlPage. The verdict is the one
// thing a reader of a CI artifact needs first, so it gets a banner.
var comparisonPage = template.Must(template.Must(htmlPage.Clone()).Parse(`{{define "style"}}.banner{display:inline-block;font-size:1.5em;font-weight:700;padding:.2em .7em;border-radius:.3em;margin:.6em 0 .3em}
.banner.good{background:#e6f4ea}.banner.bad{background:#fce8e6}.banner.warn{background:#fef7e0}
details{margin:1.6em 0 .4em}summary{font-size:1.1em;font-weight:600;cursor:pointer}
ul.notes{color:#444;margin:.4em 0}
{{end}}{{define "body"}}<h1>{{.Title}}</h1>
<p class="banner {{.Verdict.Class}}">{{.Verdict.Text}}</p>
<p class="facts">{{range $i, $f := .Facts}}{{if $i}} · {{end}}<span class="{{$f.Class}}">{{$f.Text}}</span>{{end}}</p>
{{range .Sections}}{{template "section" .}}{{end}}<details>
<summary>{{.MetricsTitle}}</summary>
{{template "table" .Metrics}}</details>
{{range .Profiles}}<h2>{{.Section.Title}}</h2>
{{if .HasTable}}{{template "table" .Section}}{{end}}{{if .Warnings}}<ul class="notes">{{range .Warnings}}<li>{{.}}</li>{{end}}</ul>
{{end}}{{end}}{{if .Notes}}<h2>Notes</h2>
<ol class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ol>
{{end}}{{end}}`))
