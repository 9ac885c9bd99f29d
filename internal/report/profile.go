package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/perfkit/perfkit/internal/pprofcollect"
)

// Profile tables and diffs are rendered through the same document model as
// the run summary, so `perfkit profile top|diff` reads like `perfkit report`
// and a Markdown diff pastes into a PR next to a summary.

// Schemas of the profile JSON documents; a new version for any renamed key.
const (
	ProfileTopSchema  = "perfkit.profiletop/v1"
	ProfileDiffSchema = "perfkit.profilediff/v1"
)

// RenderTop writes the n functions with the largest flat cost (all when
// n ≤ 0) in format f.
func RenderTop(w io.Writer, t *pprofcollect.Table, n int, f Format) error {
	if t == nil {
		return fmt.Errorf("render profile %s: no table", f)
	}
	rows := t.Rows
	if n > 0 && len(rows) > n {
		rows = rows[:n]
	}
	var err error
	switch f {
	case FormatText:
		err = renderText(w, buildTop(t, rows), false)
	case FormatMarkdown:
		err = renderMarkdown(w, buildTop(t, rows))
	case FormatJSON:
		err = writeJSON(w, topJSON(t, rows))
	default:
		return fmt.Errorf("render profile: unsupported format %q", f)
	}
	if err != nil {
		return fmt.Errorf("render profile %s: %w", f, err)
	}
	return nil
}

// RenderDiff writes a profile diff in format f: the n largest increases of
// flat cost and the n largest decreases (every row when n ≤ 0), ordered by
// the change in flat cost, largest increase first.
func RenderDiff(w io.Writer, d *pprofcollect.Diff, n int, f Format) error {
	if d == nil {
		return fmt.Errorf("render profile diff %s: no diff", f)
	}
	up, down := diffRows(d.Rows, n)
	var err error
	switch f {
	case FormatText:
		err = renderText(w, buildDiff(d, up, down), false)
	case FormatMarkdown:
		err = renderMarkdown(w, buildDiff(d, up, down))
	case FormatJSON:
		err = writeJSON(w, diffJSON(d, descending(up, down)))
	default:
		return fmt.Errorf("render profile diff: unsupported format %q", f)
	}
	if err != nil {
		return fmt.Errorf("render profile diff %s: %w", f, err)
	}
	return nil
}

// diffRows picks the n largest increases and the n largest decreases,
// each list biggest change first. Rows arrive sorted by Δ flat descending,
// so increases are a prefix and decreases a suffix; unchanged functions
// are left out unless every row is wanted (n ≤ 0).
func diffRows(rows []pprofcollect.DiffRow, n int) (up, down []pprofcollect.DiffRow) {
	if n <= 0 {
		return rows, nil
	}
	for _, r := range rows {
		if r.DeltaFlat > 0 && len(up) < n {
			up = append(up, r)
		}
	}
	for i := len(rows) - 1; i >= 0 && len(down) < n; i-- {
		if rows[i].DeltaFlat >= 0 {
			break
		}
		down = append(down, rows[i])
	}
	return up, down
}

// descending puts increases and decreases (largest decrease first) back
// into one list ordered by Δ flat descending, as the JSON schema orders
// rows.
func descending(up, down []pprofcollect.DiffRow) []pprofcollect.DiffRow {
	out := append([]pprofcollect.DiffRow{}, up...)
	for i := len(down) - 1; i >= 0; i-- {
		out = append(out, down[i])
	}
	return out
}

func buildTop(t *pprofcollect.Table, rows []pprofcollect.Cost) *document {
	d := &document{title: "perfkit profile · " + t.Type, notes: t.Warnings}
	d.facts = append(profileFacts(t.Requests, t.Profiles), cell{text: "total " + costPer(t.Total, t.Unit, t.PerRequest)})
	tb := &table{
		header: []string{"flat", "flat%", "cum", "cum%", "function"},
		align:  []align{alignRight, alignRight, alignRight, alignRight, alignLeft},
	}
	for _, r := range rows {
		tb.rows = append(tb.rows, []cell{
			{text: formatCost(r.Flat, t.Unit)}, {text: share(r.Flat, t.Total)},
			{text: formatCost(r.Cum, t.Unit)}, {text: share(r.Cum, t.Total)},
			{text: r.Function},
		})
	}
	if len(tb.rows) == 0 {
		d.sections = append(d.sections, section{title: "Functions", line: []cell{{text: "no samples"}}})
		return d
	}
	d.add(fmt.Sprintf("Top %d functions by flat %s", len(rows), measure(t.Type, t.PerRequest)), tb)
	return d
}

func buildDiff(d *pprofcollect.Diff, up, down []pprofcollect.DiffRow) *document {
	doc := &document{title: "perfkit profile diff · " + d.Type, notes: d.Warnings}
	doc.facts = []cell{
		{text: "base " + FormatCount(d.BaseRequests) + " requests"},
		{text: "candidate " + FormatCount(d.CandRequests) + " requests"},
	}
	total := []cell{{text: formatCost(d.BaseTotal, d.Unit) + " → " + costPer(d.CandTotal, d.Unit, d.PerRequest)}}
	if d.BaseTotal != 0 {
		total = append(total, cell{text: signedPercent((d.CandTotal - d.BaseTotal) / d.BaseTotal)})
	}
	doc.sections = append(doc.sections, section{title: "Total", line: total})
	what := measure(d.Type, d.PerRequest)
	doc.add("Largest increases in flat "+what, diffTable(d.Unit, up))
	doc.add("Largest decreases in flat "+what, diffTable(d.Unit, down))
	if len(up)+len(down) == 0 {
		doc.sections = append(doc.sections, section{title: "Functions", line: []cell{{text: "no function changed"}}})
	}
	return doc
}

func diffTable(unit string, rows []pprofcollect.DiffRow) *table {
	t := &table{
		header: []string{"base", "candidate", "Δ flat", "Δ%", "Δ cum", "Δ share", "function"},
		align:  []align{alignRight, alignRight, alignRight, alignRight, alignRight, alignRight, alignLeft},
	}
	for _, r := range rows {
		base, pct, name := formatCost(r.BaseFlat, unit), noValue, r.Function
		switch {
		case r.New:
			base, pct, name = noValue, "new", "NEW "+name
		case r.Gone:
			name = "GONE " + name
		}
		if r.BaseFlat != 0 {
			pct = signedPercent(r.DeltaPct / 100)
		}
		cand := formatCost(r.CandFlat, unit)
		if r.Gone {
			cand = noValue
		}
		t.rows = append(t.rows, []cell{
			{text: base}, {text: cand}, {text: signedCost(r.DeltaFlat, unit)}, {text: pct},
			{text: signedCost(r.DeltaCum, unit)}, {text: signedPoints(r.CandShare - r.BaseShare)}, {text: name},
		})
	}
	return t
}

func profileFacts(requests int64, profiles int) []cell {
	return []cell{{text: FormatCount(requests) + " requests"}, {text: plural(profiles, "profile")}}
}

// measure names what a table's values are: "cpu per request", or just
// "inuse_space" for a level.
func measure(typ string, perRequest bool) string {
	if perRequest {
		return typ + " per request"
	}
	return typ
}

func costPer(v float64, unit string, perRequest bool) string {
	if perRequest {
		return formatCost(v, unit) + " per request"
	}
	return formatCost(v, unit)
}

// formatCost formats a value in a profile unit: ns as a duration with
// three significant digits (per-request CPU lives between nanoseconds and
// milliseconds, where FormatDuration's whole microseconds are too coarse),
// bytes with binary prefixes, objects and counts as numbers. Per-request
// averages are fractional, so small values keep two decimals.
func formatCost(v float64, unit string) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return notAvailable
	case v < 0:
		return "-" + formatCost(-v, unit)
	}
	switch unit {
	case "ns":
		return formatNanos(v)
	case "bytes":
		if v < 1024 {
			return formatNumber(v) + " B"
		}
		return formatBytes(v)
	}
	return formatNumber(v)
}

func formatNanos(ns float64) string {
	if ns == 0 {
		return "0"
	}
	for _, u := range [...]struct {
		name  string
		scale float64
	}{{"ns", 1}, {"µs", 1e3}, {"ms", 1e6}, {"s", 1e9}} {
		v := ns / u.scale
		if v < 1 {
			return strconv.FormatFloat(v, 'f', 2, 64) + u.name
		}
		if s, ok := sig3(v); ok {
			return s + u.name
		}
	}
	return FormatDuration(ns / 1e6)
}

func signedCost(v float64, unit string) string {
	if v > 0 {
		return "+" + formatCost(v, unit)
	}
	return formatCost(v, unit)
}

// signedPercent formats a relative change: "+53.4%", "-0.52%".
func signedPercent(frac float64) string {
	switch {
	case frac > 0:
		return "+" + FormatPercent(frac)
	case frac < 0:
		return "-" + FormatPercent(-frac)
	}
	return "0%"
}

// signedPoints formats a change of share in percentage points.
func signedPoints(frac float64) string {
	p := frac * 100
	switch {
	case math.Abs(p) < 0.05:
		return "0pp"
	case p > 0:
		return "+" + strconv.FormatFloat(p, 'f', 1, 64) + "pp"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "pp"
}

func share(v, total float64) string {
	if total == 0 {
		return noValue
	}
	return FormatPercent(v / total)
}

type topDoc struct {
	Schema     string   `json:"schema"`
	Type       string   `json:"type"`
	Unit       string   `json:"unit"`
	PerRequest bool     `json:"per_request"`
	Requests   int64    `json:"requests"`
	Profiles   int      `json:"profiles"`
	Total      float64  `json:"total"`
	Rows       []topRow `json:"rows"`
	Warnings   []string `json:"warnings"`
}

type topRow struct {
	Function  string  `json:"function"`
	Flat      float64 `json:"flat"`
	Cum       float64 `json:"cum"`
	FlatShare float64 `json:"flat_share"`
	CumShare  float64 `json:"cum_share"`
}

func topJSON(t *pprofcollect.Table, rows []pprofcollect.Cost) topDoc {
	doc := topDoc{Schema: ProfileTopSchema, Type: t.Type, Unit: t.Unit, PerRequest: t.PerRequest, Requests: t.Requests,
		Profiles: t.Profiles, Total: t.Total, Rows: []topRow{}, Warnings: nonNil(t.Warnings)}
	for _, r := range rows {
		row := topRow{Function: r.Function, Flat: r.Flat, Cum: r.Cum}
		if t.Total != 0 {
			row.FlatShare, row.CumShare = r.Flat/t.Total, r.Cum/t.Total
		}
		doc.Rows = append(doc.Rows, row)
	}
	return doc
}

// diffDoc is the "perfkit.profilediff/v1" document of DESIGN.md; keys
// beyond the ones listed there are additions, never renames.
type diffDoc struct {
	Schema            string    `json:"schema"`
	Type              string    `json:"type"`
	Unit              string    `json:"unit"`
	PerRequest        bool      `json:"per_request"`
	BaseRequests      int64     `json:"base_requests"`
	CandidateRequests int64     `json:"candidate_requests"`
	BaseTotal         float64   `json:"base_total"`
	CandidateTotal    float64   `json:"candidate_total"`
	Rows              []diffRow `json:"rows"`
	Warnings          []string  `json:"warnings"`
}

type diffRow struct {
	Function       string  `json:"function"`
	BaseFlat       float64 `json:"base_flat"`
	CandidateFlat  float64 `json:"candidate_flat"`
	DeltaFlat      float64 `json:"delta_flat"`
	BaseCum        float64 `json:"base_cum"`
	CandidateCum   float64 `json:"candidate_cum"`
	DeltaCum       float64 `json:"delta_cum"`
	DeltaPct       float64 `json:"delta_pct"`
	BaseShare      float64 `json:"base_share"`
	CandidateShare float64 `json:"candidate_share"`
	New            bool    `json:"new"`
	Gone           bool    `json:"gone"`
}

func diffJSON(d *pprofcollect.Diff, rows []pprofcollect.DiffRow) diffDoc {
	doc := diffDoc{Schema: ProfileDiffSchema, Type: d.Type, Unit: d.Unit, PerRequest: d.PerRequest,
		BaseRequests: d.BaseRequests, CandidateRequests: d.CandRequests, BaseTotal: d.BaseTotal, CandidateTotal: d.CandTotal,
		Rows: []diffRow{}, Warnings: nonNil(d.Warnings)}
	for _, r := range rows {
		doc.Rows = append(doc.Rows, diffRow{
			Function: r.Function, BaseFlat: r.BaseFlat, CandidateFlat: r.CandFlat, DeltaFlat: r.DeltaFlat,
			BaseCum: r.BaseCum, CandidateCum: r.CandCum, DeltaCum: r.DeltaCum, DeltaPct: r.DeltaPct,
			BaseShare: r.BaseShare, CandidateShare: r.CandShare, New: r.New, Gone: r.Gone,
		})
	}
	return doc
}

// writeJSON writes one indented document with a trailing newline, HTML
// escaping off as in the summary JSON: function names such as
// "main.(*Cache[go.shape.string]).Get" stay readable.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// nonNil makes an absent list encode as [] rather than null, so consumers
// can iterate without a check.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
