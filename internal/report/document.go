package report

import (
	"fmt"
	"sort"
	"strconv"

	"github.com/perfkit/perfkit/internal/results"
	"github.com/perfkit/perfkit/internal/threshold"
)

// The document model is what a summary says, before any format decides how
// it looks. build makes every choice of content (which sections appear,
// their rows and order, the units of each figure); renderers only lay out.

// tone marks a cell whose meaning a colour can reinforce. The text itself
// must carry the meaning too (✓/✗, counts), since colour is optional.
type tone uint8

const (
	toneNone tone = iota
	toneGood
	toneBad
	toneWarn
)

type cell struct {
	text string
	tone tone
}

type align uint8

const (
	alignLeft align = iota
	alignRight
)

type table struct {
	header []string
	align  []align
	rows   [][]cell
	// keyValue tables read as labelled lines in text, where a header
	// row would add nothing; formats that require a header still get one.
	keyValue bool
}

// section is a titled table or a titled line of facts.
type section struct {
	title string
	table *table
	line  []cell
}

type document struct {
	title    string
	facts    []cell // model, status, duration, runs
	verdict  *verdict
	sections []section
	notes    []string
}

// verdict counts thresholds; one with an evaluation error counts as
// failed, as it does for the exit code.
type verdict struct {
	failed, total int
}

const noValue = "—"

func build(s *results.Summary, title string) *document {
	d := &document{title: "perfkit", notes: append([]string{}, s.Warnings...)}
	if title != "" {
		d.title += " · " + title
	}
	d.facts = []cell{{text: s.Model + " model"}, {text: s.Status}, {text: FormatDuration(s.DurationS * 1000)}, {text: plural(s.Runs, "run")}}
	if s.Status != results.StatusComplete {
		d.facts[1].tone = toneWarn
	}
	if len(s.Thresholds) > 0 {
		d.verdict = &verdict{failed: len(s.Failed()), total: len(s.Thresholds)}
	}

	d.add("Overview", overview(s))
	if s.Requests == 0 {
		d.sections = append(d.sections, section{title: "Latency", line: []cell{{text: "no requests completed", tone: toneWarn}}})
	} else {
		d.add("Latency", latencyTable(s))
	}
	d.add("Status codes", countTable("status", statusRows(s.StatusCodes), s.Requests))
	d.add("Error kinds", countTable("error", kindRows(s.ErrorKinds), s.Requests))
	if len(s.Endpoints) > 1 {
		d.add("Endpoints", endpointTable(s.Endpoints))
	}
	d.add("Connections", phaseTable(s.Phases))
	if line := generatorLine(s); len(line) > 0 {
		d.sections = append(d.sections, section{title: "Generator", line: line})
	}
	d.addTarget(s.Target)
	if d.verdict != nil {
		title := "Thresholds (" + strconv.Itoa(d.verdict.total) + " passed)"
		if d.verdict.failed > 0 {
			title = fmt.Sprintf("Thresholds (%d of %d failed)", d.verdict.failed, d.verdict.total)
		}
		d.add(title, thresholdTable(s.Thresholds))
	}
	return d
}

// add appends a table section unless the table has no rows: an empty
// "Status codes" block says less than no block.
func (d *document) add(title string, t *table) {
	if len(t.rows) > 0 {
		d.sections = append(d.sections, section{title: title, table: t})
	}
}

func overview(s *results.Summary) *table {
	errs := cell{text: FormatCount(s.Errors) + " (" + FormatPercent(s.ErrorRate) + ")"}
	if s.Errors > 0 {
		errs.tone = toneBad
	}
	return &table{
		header:   []string{"metric", "value"},
		align:    []align{alignLeft, alignLeft},
		keyValue: true,
		rows: [][]cell{
			{{text: "requests"}, {text: FormatCount(s.Requests)}},
			{{text: "rate"}, {text: FormatRate(s.RPS)}},
			{{text: "errors"}, errs},
			{{text: "received"}, {text: FormatBytes(s.BytesIn)}},
			{{text: "sent"}, {text: FormatBytes(s.BytesOut)}},
		},
	}
}

func latencyTable(s *results.Summary) *table {
	t := &table{
		header: []string{"", "min", "mean", "p50", "p90", "p95", "p99", "p99.9", "max"},
		align:  []align{alignLeft, alignRight, alignRight, alignRight, alignRight, alignRight, alignRight, alignRight, alignRight},
	}
	row := func(name string, l results.LatencyMs) {
		r := []cell{{text: name}}
		for _, v := range []float64{l.Min, l.Mean, l.P50, l.P90, l.P95, l.P99, l.P999, l.Max} {
			r = append(r, cell{text: FormatDuration(v)})
		}
		t.rows = append(t.rows, r)
	}
	row("latency", s.LatencyMs)
	if s.ServiceTimeMs != nil {
		row("service time", *s.ServiceTimeMs)
	}
	// A request records TTFB only when a response byte arrived; an
	// all-zero distribution means none did (an unreachable target).
	if s.TTFBMs.Max > 0 {
		row("ttfb", s.TTFBMs)
	}
	return t
}

type countRow struct {
	name string
	n    int64
	tone tone
}

func countTable(label string, rows []countRow, requests int64) *table {
	t := &table{
		header: []string{label, "requests", "share"},
		align:  []align{alignLeft, alignRight, alignRight},
	}
	for _, r := range rows {
		share := noValue
		if requests > 0 {
			share = FormatPercent(float64(r.n) / float64(requests))
		}
		t.rows = append(t.rows, []cell{{text: r.name, tone: r.tone}, {text: FormatCount(r.n)}, {text: share}})
	}
	return t
}

// statusRows orders codes numerically; keys that are not numbers (the
// recorder's "other") follow, by name.
func statusRows(codes map[string]int64) []countRow {
	var rows []countRow
	for k, n := range codes {
		r := countRow{name: k, n: n}
		if code, err := strconv.Atoi(k); err == nil {
			switch {
			case code >= 500:
				r.tone = toneBad
			case code >= 400:
				r.tone = toneWarn
			}
		}
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, errA := strconv.Atoi(rows[i].name)
		b, errB := strconv.Atoi(rows[j].name)
		switch {
		case errA == nil && errB == nil:
			return a < b
		case (errA == nil) != (errB == nil):
			return errA == nil
		}
		return rows[i].name < rows[j].name
	})
	return rows
}

// kindRows puts the commonest error kind first; ties go by name so the
// order never depends on map iteration.
func kindRows(kinds map[string]int64) []countRow {
	var rows []countRow
	for k, n := range kinds {
		rows = append(rows, countRow{name: k, n: n, tone: toneBad})
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].n != rows[j].n {
			return rows[i].n > rows[j].n
		}
		return rows[i].name < rows[j].name
	})
	return rows
}

func endpointTable(eps []results.EndpointSummary) *table {
	t := &table{
		header: []string{"endpoint", "requests", "rps", "errors", "p50", "p95", "p99", "max"},
		align:  []align{alignLeft, alignRight, alignRight, alignRight, alignRight, alignRight, alignRight, alignRight},
	}
	for _, e := range eps {
		errs := cell{text: FormatCount(e.Errors) + " (" + FormatPercent(e.ErrorRate) + ")"}
		if e.Errors > 0 {
			errs.tone = toneBad
		}
		r := []cell{{text: e.Name}, {text: FormatCount(e.Requests)}, {text: formatNumber(e.RPS)}, errs}
		for _, v := range []float64{e.LatencyMs.P50, e.LatencyMs.P95, e.LatencyMs.P99, e.LatencyMs.Max} {
			c := cell{text: noValue}
			if e.Requests > 0 {
				c.text = FormatDuration(v)
			}
			r = append(r, c)
		}
		t.rows = append(t.rows, r)
	}
	return t
}

func phaseTable(p results.PhasesSummary) *table {
	t := &table{
		header: []string{"phase", "count", "p50", "p99", "max"},
		align:  []align{alignLeft, alignRight, alignRight, alignRight, alignRight},
	}
	for _, ph := range []struct {
		name string
		ms   results.PhaseMs
	}{{"dns", p.DNS}, {"connect", p.Connect}, {"tls", p.TLS}} {
		if ph.ms.Count > 0 {
			t.rows = append(t.rows, []cell{
				{text: ph.name}, {text: FormatCount(ph.ms.Count)},
				{text: FormatDuration(ph.ms.P50)}, {text: FormatDuration(ph.ms.P99)}, {text: FormatDuration(ph.ms.Max)},
			})
		}
	}
	if len(t.rows) > 0 || p.Reused > 0 {
		t.rows = append(t.rows, []cell{{text: "reused"}, {text: FormatCount(p.Reused) + " (" + FormatPercent(p.ConnectionReuse) + ")"}, {}, {}, {}})
	}
	return t
}

func generatorLine(s *results.Summary) []cell {
	g := s.Generator
	var line []cell
	if g.CPUUsPerRequest > 0 {
		line = append(line, cell{text: "cpu " + FormatDuration(g.CPUUsPerRequest/1000) + "/request"})
	}
	open := results.Open(s.Model)
	// Only the open model drops requests; a closed run would always say 0.
	if open || g.Dropped > 0 {
		dropped := cell{text: "dropped " + FormatCount(g.Dropped)}
		if g.Dropped > 0 {
			dropped.tone = toneBad
		}
		line = append(line, dropped)
	}
	if open {
		lag := cell{text: "send lag p99 " + FormatDuration(g.SendLagP99Ms)}
		if g.SendLagP99Ms > float64(results.BehindLagP99)/1e6 {
			lag.tone = toneBad
		}
		line = append(line, lag)
	}
	if g.MaxVUs > 0 {
		line = append(line, cell{text: "max vus " + FormatCount(g.MaxVUs)})
	}
	if g.GOMAXPROCS > 0 {
		line = append(line, cell{text: "gomaxprocs " + strconv.Itoa(g.GOMAXPROCS)})
	}
	if g.Behind {
		line = append(line, cell{text: "fell behind", tone: toneBad})
	}
	return line
}

func thresholdTable(ts []results.ThresholdResult) *table {
	t := &table{
		header: []string{"", "threshold", "measured"},
		align:  []align{alignLeft, alignLeft, alignRight},
	}
	for _, th := range ts {
		mark := cell{text: "✓", tone: toneGood}
		if !th.OK {
			mark = cell{text: "✗", tone: toneBad}
		}
		measured := cell{text: thresholdValue(th)}
		if th.Error != "" {
			measured = cell{text: th.Error, tone: toneBad}
		}
		t.rows = append(t.rows, []cell{mark, {text: th.Expr}, measured})
	}
	return t
}

// thresholdValue formats a measured value in the unit its metric is
// written in: durations for latencies, percentages for rates.
func thresholdValue(th results.ThresholdResult) string {
	t, err := threshold.Parse(th.Expr)
	if err != nil {
		// A summary from a newer perfkit may hold metrics this one cannot
		// parse; the bare number is still true.
		return strconv.FormatFloat(th.Value, 'g', -1, 64)
	}
	switch t.Metric {
	case threshold.MetricErrorRate, threshold.MetricChecks:
		return FormatPercent(th.Value)
	case threshold.MetricRPS:
		return FormatRate(th.Value)
	case threshold.MetricRequests:
		return FormatCount(int64(th.Value))
	default:
		return FormatDuration(th.Value)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
