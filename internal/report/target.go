package report

import (
	"strconv"

	"github.com/perfkit/perfkit/internal/results"
)

// addTarget adds what the target itself spent: per-request cost from its
// resource metrics and profiles, its top functions, and how each profile
// capture went (a failed capture is shown, never hidden).
func (d *document) addTarget(t *results.TargetSummary) {
	if t == nil {
		return
	}
	kv := &table{header: []string{"metric", "value"}, align: []align{alignLeft, alignLeft}, keyValue: true}
	row := func(name, value string) { kv.rows = append(kv.rows, []cell{{text: name}, {text: value}}) }
	us := func(v float64) string { return FormatDuration(v/1000) + "/request" }
	if p := t.Profile; p != nil {
		if p.CPUUsPerRequest != nil {
			row("cpu (profile)", us(*p.CPUUsPerRequest))
		}
		if p.AllocBytesPerRequest != nil {
			row("allocated", FormatBytes(int64(*p.AllocBytesPerRequest+0.5))+"/request")
		}
		if p.AllocsPerRequest != nil {
			row("allocations", formatNumber(*p.AllocsPerRequest)+"/request")
		}
		if p.GoroutinesEnd != nil {
			g := FormatCount(int64(*p.GoroutinesEnd))
			if p.GoroutinesAfterDrain != nil {
				g += " at the end, " + FormatCount(int64(*p.GoroutinesAfterDrain)) + " after drain"
			}
			row("goroutines", g)
		}
	}
	if t.CPUUsPerRequest != nil {
		row("cpu (metrics)", us(*t.CPUUsPerRequest))
	}
	if t.GCPauseUsPerRequest != nil {
		row("gc pause", us(*t.GCPauseUsPerRequest))
	}
	if t.ResidentBytesMax != nil {
		row("resident memory max", FormatBytes(int64(*t.ResidentBytesMax)))
	}
	if t.HeapBytesMax != nil {
		row("heap max", FormatBytes(int64(*t.HeapBytesMax)))
	}
	if t.GoroutinesMax != nil {
		row("goroutines max", FormatCount(int64(*t.GoroutinesMax)))
	}
	if t.OpenFDsMax != nil {
		row("open fds max", FormatCount(int64(*t.OpenFDsMax)))
	}
	if t.MetricsStatus != "" && t.MetricsStatus != "ok" {
		kv.rows = append(kv.rows, []cell{{text: "metrics"}, {text: t.MetricsStatus + ": " + t.MetricsError, tone: toneBad}})
	}
	d.add("Target cost per request", kv)

	p := t.Profile
	if p == nil {
		return
	}
	top := &table{
		header: []string{"function", "flat/request", "cum/request"},
		align:  []align{alignLeft, alignRight, alignRight},
	}
	for _, f := range p.TopCPU {
		top.rows = append(top.rows, []cell{{text: f.Function}, {text: FormatDuration(f.FlatUs / 1000)}, {text: FormatDuration(f.CumUs / 1000)}})
	}
	d.add("Target top functions (CPU)", top)

	st := &table{
		header: []string{"profile", "status", "count", "detail"},
		align:  []align{alignLeft, alignLeft, alignRight, alignLeft},
	}
	for _, o := range p.Statuses {
		c := cell{text: o.Status}
		if o.Status != results.ProfileOK {
			c.tone = toneWarn
		}
		st.rows = append(st.rows, []cell{{text: o.Kind}, c, {text: strconv.Itoa(o.Count)}, {text: o.Error}})
	}
	d.add("Profiles", st)
	d.notes = append(d.notes, p.Warnings...)
}
