package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perfkit/perfkit/internal/compare"
)

// RenderComparison writes c to w in format f: text, json, markdown, html
// or junit. Like Render it only lays out: every figure, verdict and
// footnote was decided by compare.Compare.
func RenderComparison(w io.Writer, c *compare.Comparison, f Format, opts Options) error {
	if c == nil {
		return fmt.Errorf("render comparison %s: no comparison", f)
	}
	var err error
	switch f {
	case FormatText:
		var v *comparisonView
		if v, err = buildComparison(c, opts.Title); err == nil {
			err = renderComparisonText(w, v, opts.Color)
		}
	case FormatMarkdown:
		var v *comparisonView
		if v, err = buildComparison(c, opts.Title); err == nil {
			err = renderComparisonMarkdown(w, v)
		}
	case FormatHTML:
		var v *comparisonView
		if v, err = buildComparison(c, opts.Title); err == nil {
			err = renderComparisonHTML(w, v)
		}
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(c)
	case FormatJUnit:
		err = renderComparisonJUnit(w, c)
	default:
		return fmt.Errorf("render comparison: unsupported format %q", f)
	}
	if err != nil {
		return fmt.Errorf("render comparison %s: %w", f, err)
	}
	return nil
}

// comparisonView is what a comparison says, before a format decides how
// it looks (the counterpart of document for a single result).
type comparisonView struct {
	title       string
	verdict     compare.Status
	verdictText cell   // "FAIL", coloured
	facts       []cell // what the verdict rests on, and the run counts
	gates       *table
	thresholds  *table
	metrics     *table // every metric
	significant *table // the metrics whose change is significant
	tested      bool   // whether any metric had enough runs for the test
	alpha       float64
	confidence  float64
	profiles    []profileView
	notes       []string
}

// profileView is one profile diff: its largest increases per request and
// the diff's own warnings.
type profileView struct {
	title    string
	table    *table // nil when neither profile had a function
	warnings []string
}

func buildComparison(c *compare.Comparison, title string) (*comparisonView, error) {
	v := &comparisonView{title: "perfkit compare", verdict: c.Verdict, alpha: c.Alpha, confidence: c.Confidence, notes: c.Warnings}
	if title != "" {
		v.title += " · " + title
	}
	v.verdictText = cell{text: strings.ToUpper(string(c.Verdict))}
	switch c.Verdict {
	case compare.Pass:
		v.verdictText.tone = toneGood
	case compare.Fail:
		v.verdictText.tone = toneBad
	default:
		v.verdictText.tone = toneWarn
	}
	v.facts = append(v.facts, cell{text: gateCounts(c)})
	if len(c.Thresholds) > 0 {
		v.facts = append(v.facts, cell{text: thresholdCounts(c)})
	}
	v.facts = append(v.facts, cell{text: plural(c.BaseRuns, "base run") + ", " + plural(c.CandRuns, "candidate run")})

	if len(c.Gates) > 0 {
		v.gates = gateTable(c)
	}
	if len(c.Thresholds) > 0 {
		v.thresholds = thresholdTable(c.Thresholds)
	}
	v.metrics, v.significant = metricTables(c.Metrics)
	for _, m := range c.Metrics {
		v.tested = v.tested || m.PValue != nil
	}
	for i, raw := range c.Profiles {
		p, err := buildProfile(raw)
		if err != nil {
			return nil, fmt.Errorf("profile diff %d: %w", i+1, err)
		}
		v.profiles = append(v.profiles, p)
	}
	return v, nil
}

func gateCounts(c *compare.Comparison) string {
	if len(c.Gates) == 0 {
		return "no gates"
	}
	n := map[compare.Status]int{}
	for _, g := range c.Gates {
		n[g.Status]++
	}
	var parts []string
	for _, s := range []compare.Status{compare.Fail, compare.Inconclusive, compare.Pass} {
		if n[s] > 0 {
			parts = append(parts, strconv.Itoa(n[s])+" "+string(s))
		}
	}
	s := plural(len(c.Gates), "gate") + ": " + strings.Join(parts, ", ")
	if c.Strict && n[compare.Inconclusive] > 0 {
		s += " (strict: inconclusive fails)"
	}
	return s
}

func thresholdCounts(c *compare.Comparison) string {
	failed := 0
	for _, t := range c.Thresholds {
		if !t.OK {
			failed++
		}
	}
	if failed == 0 {
		return plural(len(c.Thresholds), "threshold") + " passed"
	}
	return fmt.Sprintf("%d of %s failed", failed, plural(len(c.Thresholds), "threshold"))
}

func gateTable(c *compare.Comparison) *table {
	t := &table{
		header: []string{"", "gate", "status", "measured"},
		align:  []align{alignLeft, alignLeft, alignLeft, alignLeft},
	}
	for _, g := range c.Gates {
		mark := cell{text: "✓", tone: toneGood}
		switch g.Status {
		case compare.Fail:
			mark = cell{text: "✗", tone: toneBad}
		case compare.Inconclusive:
			mark = cell{text: "?", tone: toneWarn}
			if c.Strict {
				mark.tone = toneBad
			}
		}
		t.rows = append(t.rows, []cell{mark, {text: g.Expr}, {text: string(g.Status), tone: mark.tone}, {text: g.Reason}})
	}
	return t
}

func metricTables(ms []compare.Metric) (all, significant *table) {
	newTable := func() *table {
		return &table{
			header: []string{"metric", "base", "candidate", "delta"},
			align:  []align{alignLeft, alignRight, alignRight, alignLeft},
		}
	}
	all, significant = newTable(), newTable()
	for _, m := range ms {
		row := []cell{
			{text: m.Name},
			{text: sideCell(m.Base, m.BaseLo, m.BaseHi, m.Unit)},
			{text: sideCell(m.Candidate, m.CandidateLo, m.CandidateHi, m.Unit)},
			deltaCell(m),
		}
		all.rows = append(all.rows, row)
		if m.Significant {
			significant.rows = append(significant.rows, row)
		}
	}
	return all, significant
}

// sideCell is one side's median and the half-width of its confidence
// interval relative to it, as benchstat prints them: "12.3ms ± 2%", or
// "± ∞" when the runs are too few for an interval.
func sideCell(center, lo, hi *float64, unit string) string {
	if center == nil {
		return noValue
	}
	return formatUnit(*center, unit) + " ± " + spread(*center, lo, hi)
}

func spread(center float64, lo, hi *float64) string {
	switch {
	case lo == nil || hi == nil:
		return "∞"
	case center == 0 && *lo == 0 && *hi == 0:
		return "0%"
	case center == 0 || math.Signbit(center) != math.Signbit(*lo) || math.Signbit(center) != math.Signbit(*hi):
		// A relative spread is meaningless around 0 or across it.
		return "?"
	}
	r := math.Max(*hi/center-1, 1-*lo/center)
	return strconv.FormatFloat(r*100, 'f', 0, 64) + "%"
}

// deltaCell is the change, or "~" when it is not significant, followed by
// the test's p-value and run counts and the row's footnote marks.
func deltaCell(m compare.Metric) cell {
	c := cell{text: noValue}
	switch {
	case m.Base == nil || m.Candidate == nil:
	case m.PValue == nil:
		c.text = fmt.Sprintf("~ (n=%d+%d)", m.BaseN, m.CandidateN)
	case !m.Significant:
		c.text = fmt.Sprintf("~ (p=%.3f n=%d+%d)", *m.PValue, m.BaseN, m.CandidateN)
	default:
		c.text = formatDelta(m) + fmt.Sprintf(" (p=%.3f n=%d+%d)", *m.PValue, m.BaseN, m.CandidateN)
		// Throughput is better higher; everything else perfkit
		// measures is better lower.
		worse := *m.Delta > 0
		if m.Unit == compare.UnitRPS {
			worse = *m.Delta < 0
		}
		c.tone = toneGood
		if worse {
			c.tone = toneBad
		}
	}
	if marks := noteMarks(m.Notes); marks != "" {
		c.text += " " + marks
	}
	return c
}

// formatDelta writes a rate's change in percentage points and anything
// else's relative to the base.
func formatDelta(m compare.Metric) string {
	if m.Unit == compare.UnitRatio {
		return fmt.Sprintf("%+.2fpp", *m.Delta*100)
	}
	if m.DeltaPct == nil {
		return "? (from 0)"
	}
	return fmt.Sprintf("%+.2f%%", *m.DeltaPct)
}

// formatUnit writes a value of a compare.Unit* unit the way the summary
// writes the same quantity.
func formatUnit(v float64, unit string) string {
	switch unit {
	case compare.UnitMs:
		return FormatDuration(v)
	case compare.UnitNs:
		return FormatDuration(v / 1e6)
	case compare.UnitRPS:
		return formatNumber(v) + " req/s"
	case compare.UnitRatio:
		return FormatPercent(v)
	case compare.UnitBytes:
		return FormatBytes(int64(math.Round(v)))
	}
	return formatNumber(v)
}

var superscriptDigits = []rune("⁰¹²³⁴⁵⁶⁷⁸⁹")

// noteMarks writes footnote numbers as superscripts, benchstat's marks.
func noteMarks(notes []int) string {
	marks := make([]string, len(notes))
	for i, n := range notes {
		var b strings.Builder
		for _, d := range strconv.Itoa(n) {
			b.WriteRune(superscriptDigits[d-'0'])
		}
		marks[i] = b.String()
	}
	return strings.Join(marks, " ")
}

// profileDiff holds the keys of a perfkit.profilediff/v1 document that
// DESIGN.md promises; the document may carry more.
type profileDiff struct {
	Type              string   `json:"type"`
	Unit              string   `json:"unit"`
	BaseRequests      int64    `json:"base_requests"`
	CandidateRequests int64    `json:"candidate_requests"`
	Warnings          []string `json:"warnings"`
	Rows              []struct {
		Function      string  `json:"function"`
		BaseFlat      float64 `json:"base_flat"`
		CandidateFlat float64 `json:"candidate_flat"`
		DeltaFlat     float64 `json:"delta_flat"`
		DeltaCum      float64 `json:"delta_cum"`
	} `json:"rows"`
}

// profileRows is how many functions a profile section lists; the JSON
// output keeps them all.
const profileRows = 10

// buildProfile lists a profile diff's largest changes per request, up or
// down (a fix shows as decreases, which a list of increases would hide),
// in the order the diff ranked them: largest increase first.
func buildProfile(raw json.RawMessage) (profileView, error) {
	var d profileDiff
	if err := json.Unmarshal(raw, &d); err != nil {
		return profileView{}, err
	}
	p := profileView{
		title: fmt.Sprintf("Profile %s per request (%s base requests, %s candidate requests)",
			d.Type, FormatCount(d.BaseRequests), FormatCount(d.CandidateRequests)),
		warnings: d.Warnings,
	}
	if len(d.Rows) > profileRows {
		p.title += fmt.Sprintf(", the %d largest changes of %d functions", profileRows, len(d.Rows))
	}
	if len(d.Rows) == 0 {
		p.warnings = append([]string{"no functions in either profile"}, p.warnings...)
		return p, nil
	}
	p.table = &table{
		header: []string{"function", "base flat", "candidate flat", "Δ flat", "Δ cum"},
		align:  []align{alignLeft, alignRight, alignRight, alignRight, alignRight},
	}
	rows := slices.Clone(d.Rows)
	sort.SliceStable(rows, func(i, j int) bool { return math.Abs(rows[i].DeltaFlat) > math.Abs(rows[j].DeltaFlat) })
	rows = rows[:min(len(rows), profileRows)]
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].DeltaFlat > rows[j].DeltaFlat })
	for _, r := range rows {
		p.table.rows = append(p.table.rows, []cell{
			{text: r.Function},
			{text: profileValue(r.BaseFlat, d.Unit)},
			{text: profileValue(r.CandidateFlat, d.Unit)},
			{text: signed(profileValue(r.DeltaFlat, d.Unit), r.DeltaFlat), tone: deltaTone(r.DeltaFlat)},
			{text: signed(profileValue(r.DeltaCum, d.Unit), r.DeltaCum)},
		})
	}
	return p, nil
}

func profileValue(v float64, unit string) string {
	switch unit {
	case "ns", "nanoseconds":
		return FormatDuration(v / 1e6)
	case "bytes":
		return FormatBytes(int64(math.Round(v)))
	}
	return formatNumber(v)
}

func signed(s string, v float64) string {
	if v > 0 {
		return "+" + s
	}
	return s
}

func deltaTone(v float64) tone {
	if v > 0 {
		return toneBad
	}
	return toneNone
}

func renderComparisonText(w io.Writer, v *comparisonView, color bool) error {
	t := &textWriter{w: w, color: color}
	facts := make([]string, len(v.facts))
	for i, f := range v.facts {
		facts[i] = t.cell(f)
	}
	t.print(t.paint(clean(v.title), ansiBold), " · ", t.paint(t.cell(v.verdictText), ansiBold), "\n")
	t.print(indent, strings.Join(facts, " · "), "\n")
	section := func(title string, tb *table) {
		t.print("\n", t.paint(clean(title), ansiBold), "\n")
		if tb != nil && t.err == nil {
			t.err = t.table(tb)
		}
	}
	if v.gates != nil {
		section("Gates", v.gates)
	}
	if v.thresholds != nil {
		section("Thresholds (candidate)", v.thresholds)
	}
	section(fmt.Sprintf("Metrics (median ± %g%% interval; ~ = no significant change at α=%g)", v.confidence*100, v.alpha), v.metrics)
	for _, p := range v.profiles {
		section(p.title, p.table)
		for _, w := range p.warnings {
			t.print(indent, t.paint("note:", ansiYellow), " ", clean(w), "\n")
		}
	}
	if len(v.notes) > 0 {
		t.print("\n", t.paint("Notes", ansiBold), "\n")
		for i, n := range v.notes {
			t.print(indent, t.paint(noteMarks([]int{i + 1}), ansiYellow), " ", clean(n), "\n")
		}
	}
	return t.err
}

// verdictMarks lead a Markdown comparison, where a PR reader looks first.
var verdictMarks = map[compare.Status]string{compare.Pass: "✅", compare.Fail: "❌", compare.Inconclusive: "⚠️"}

func renderComparisonMarkdown(w io.Writer, v *comparisonView) error {
	var b strings.Builder
	facts := make([]string, len(v.facts))
	for i, f := range v.facts {
		facts[i] = escapeMarkdown(f.text)
	}
	fmt.Fprintf(&b, "%s **%s** · %s\n\n### %s\n", verdictMarks[v.verdict], v.verdictText.text, strings.Join(facts, " · "), escapeMarkdown(v.title))
	section := func(title string, tb *table) error {
		fmt.Fprintf(&b, "\n#### %s\n\n", escapeMarkdown(title))
		return markdownTable(&b, tb)
	}
	if v.gates != nil {
		if err := section("Gates", v.gates); err != nil {
			return err
		}
	}
	if v.thresholds != nil {
		if err := section("Thresholds (candidate)", v.thresholds); err != nil {
			return err
		}
	}
	if len(v.significant.rows) > 0 {
		if err := section("Significant changes", v.significant); err != nil {
			return err
		}
	} else if v.tested {
		fmt.Fprintf(&b, "\nNo metric changed significantly (α = %g).\n", v.alpha)
	} else {
		b.WriteString("\nNo metric could be tested: too few runs (see the notes).\n")
	}
	// GitHub renders a table inside <details> only with blank lines
	// around it.
	fmt.Fprintf(&b, "\n<details>\n<summary>All %s (median ± %g%% interval; ~ = no significant change)</summary>\n\n", plural(len(v.metrics.rows), "metric"), v.confidence*100)
	if err := markdownTable(&b, v.metrics); err != nil {
		return err
	}
	b.WriteString("\n</details>\n")
	for _, p := range v.profiles {
		if p.table != nil {
			if err := section(p.title, p.table); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(&b, "\n#### %s\n", escapeMarkdown(p.title))
		}
		if len(p.warnings) > 0 {
			b.WriteString("\n")
		}
		for _, w := range p.warnings {
			fmt.Fprintf(&b, "- %s\n", escapeMarkdown(w))
		}
	}
	if len(v.notes) > 0 {
		b.WriteString("\n#### Notes\n\n")
		for i, n := range v.notes {
			fmt.Fprintf(&b, "%d. %s\n", i+1, escapeMarkdown(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
