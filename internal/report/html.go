package report

import (
	"html/template"
	"io"
)

// renderHTML writes the document as one self-contained page: inline CSS,
// no scripts, no external resources, so it opens offline (a CI artifact,
// an email attachment). html/template escapes every string, and strings
// from the plan or the target are never marked safe.
func renderHTML(w io.Writer, d *document) error {
	return htmlPage.Execute(w, newHTMLView(d))
}

// The template reads exported fields only, so the document is copied into
// this view; the copy also resolves tones and alignment to CSS classes.
type htmlCell struct{ Text, Class string }

type htmlSection struct {
	Title    string
	KeyValue bool
	Header   []htmlCell
	Rows     [][]htmlCell
	Line     []htmlCell
}

type htmlView struct {
	Title    string
	Facts    []htmlCell
	Verdict  *verdict
	Failed   int
	Total    int
	Sections []htmlSection
	Notes    []string
}

func newHTMLView(d *document) htmlView {
	v := htmlView{Title: clean(d.title)}
	for _, n := range d.notes {
		v.Notes = append(v.Notes, clean(n))
	}
	for _, f := range d.facts {
		v.Facts = append(v.Facts, htmlCell{clean(f.text), toneClass(f.tone)})
	}
	if d.verdict != nil {
		v.Verdict = d.verdict
		v.Failed, v.Total = d.verdict.failed, d.verdict.total
	}
	for _, s := range d.sections {
		v.Sections = append(v.Sections, newHTMLSection(s))
	}
	return v
}

// newHTMLSection copies one section for the templates; the comparison page
// lays out its tables through it too.
func newHTMLSection(s section) htmlSection {
	hs := htmlSection{Title: clean(s.title)}
	for _, c := range s.line {
		hs.Line = append(hs.Line, htmlCell{clean(c.text), toneClass(c.tone)})
	}
	if t := s.table; t != nil {
		hs.KeyValue = t.keyValue
		for i, h := range t.header {
			hs.Header = append(hs.Header, htmlCell{clean(h), alignClass(t, i)})
		}
		for _, r := range t.rows {
			var row []htmlCell
			for i, c := range r {
				row = append(row, htmlCell{clean(c.text), alignClass(t, i) + " " + toneClass(c.tone)})
			}
			hs.Rows = append(hs.Rows, row)
		}
	}
	return hs
}

// toneClass maps a cell's tone to its CSS class.
func toneClass(t tone) string {
	switch t {
	case toneGood:
		return "good"
	case toneBad:
		return "bad"
	case toneWarn:
		return "warn"
	}
	return ""
}

func alignClass(t *table, col int) string {
	if col < len(t.align) && t.align[col] == alignRight {
		return "num"
	}
	return ""
}

// htmlPage is the frame every HTML report shares: head, CSS and the
// "section" and "table" templates. Other pages clone it and redefine the
// "style" and "body" blocks, so all of them look alike and none repeats
// the CSS.
var htmlPage = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:70em;padding:0 1em;color:#1d1d1f}
h1{font-size:1.4em;margin-bottom:.2em}h2{font-size:1.1em;margin:1.6em 0 .4em}
.facts{color:#555}.verdict{font-size:1.1em;font-weight:600;margin:1em 0}
table{border-collapse:collapse;margin:.2em 0}th,td{padding:.25em .8em;border-bottom:1px solid #e3e3e3;text-align:left}
th{font-weight:600;background:#f6f6f6}.num{text-align:right;font-variant-numeric:tabular-nums}
.good{color:#137333}.bad{color:#b3261e;font-weight:600}.warn{color:#a15c00}
ol.notes{color:#444}
{{block "style" .}}{{end}}</style>
</head>
<body>
{{block "body" .}}<h1>{{.Title}}</h1>
<p class="facts">{{range $i, $f := .Facts}}{{if $i}} · {{end}}<span class="{{$f.Class}}">{{$f.Text}}</span>{{end}}</p>
{{if .Verdict}}<p class="verdict {{if .Failed}}bad{{else}}good{{end}}">{{if .Failed}}✗ {{.Failed}} of {{.Total}} thresholds failed{{else}}✓ all {{.Total}} thresholds passed{{end}}</p>{{end}}
{{range .Sections}}{{template "section" .}}{{end}}{{if .Notes}}<h2>Notes</h2>
<ol class="notes">{{range .Notes}}<li>{{.}}</li>{{end}}</ol>
{{end}}{{end}}</body>
</html>
{{define "section"}}<h2>{{.Title}}</h2>
{{if .Line}}<p>{{range $i, $c := .Line}}{{if $i}} · {{end}}<span class="{{$c.Class}}">{{$c.Text}}</span>{{end}}</p>
{{else}}{{template "table" .}}{{end}}{{end}}{{define "table"}}<table>
{{if not .KeyValue}}<tr>{{range .Header}}<th class="{{.Class}}">{{.Text}}</th>{{end}}</tr>
{{end}}{{range .Rows}}<tr>{{range .}}<td class="{{.Class}}">{{.Text}}</td>{{end}}</tr>
{{end}}</table>
{{end}}`))
