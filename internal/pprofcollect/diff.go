package pprofcollect

import "sort"

// DiffRow is one function in both tables. Values are per request (or, for
// level types, as measured) in the diff's unit; shares are fractions of
// each side's total. DeltaPct is the change of Flat in percent of the base,
// 0 when the base has no flat cost (see New).
type DiffRow struct {
	Function             string
	BaseFlat, CandFlat   float64
	DeltaFlat            float64
	BaseCum, CandCum     float64
	DeltaCum             float64
	DeltaPct             float64
	BaseShare, CandShare float64
	// New: the function does not appear in the base at all; Gone: not in
	// the candidate. A renamed function shows as one of each.
	New, Gone bool
}

// Diff compares two tables of one type, function by function.
type Diff struct {
	Type, Unit                 string
	PerRequest                 bool
	BaseRequests, CandRequests int64
	BaseTotal, CandTotal       float64
	// Rows are ordered by DeltaFlat descending (the largest increase
	// first), then DeltaCum descending, then name.
	Rows     []DiffRow
	Warnings []string
}

// DiffTables joins base and cand on function name, which is what lets two
// different binaries compare: their locations and addresses differ, their
// names mostly do not. It ranks by flat cost, where new cost lands; cum
// says which caller it came through.
func DiffTables(base, cand *Table) *Diff {
	if base == nil {
		base = &Table{}
	}
	if cand == nil {
		cand = &Table{}
	}
	d := &Diff{Type: cand.Type, Unit: cand.Unit, PerRequest: cand.PerRequest,
		BaseRequests: base.Requests, CandRequests: cand.Requests, BaseTotal: base.Total, CandTotal: cand.Total}
	if base.Type != cand.Type {
		d.Warnings = append(d.Warnings, "comparing "+base.Type+" (base) with "+cand.Type+" (candidate): the figures do not measure the same thing")
	}
	for _, w := range base.Warnings {
		d.Warnings = append(d.Warnings, "base: "+w)
	}
	for _, w := range cand.Warnings {
		d.Warnings = append(d.Warnings, "candidate: "+w)
	}

	rows := map[string]*DiffRow{}
	for _, c := range base.Rows {
		rows[c.Function] = &DiffRow{Function: c.Function, BaseFlat: c.Flat, BaseCum: c.Cum, Gone: true}
	}
	for _, c := range cand.Rows {
		r, ok := rows[c.Function]
		if !ok {
			r = &DiffRow{Function: c.Function, New: true}
			rows[c.Function] = r
		}
		r.CandFlat, r.CandCum, r.Gone = c.Flat, c.Cum, false
	}
	for _, r := range rows {
		r.DeltaFlat = r.CandFlat - r.BaseFlat
		r.DeltaCum = r.CandCum - r.BaseCum
		if r.BaseFlat != 0 {
			r.DeltaPct = 100 * r.DeltaFlat / r.BaseFlat
		}
		if base.Total != 0 {
			r.BaseShare = r.BaseFlat / base.Total
		}
		if cand.Total != 0 {
			r.CandShare = r.CandFlat / cand.Total
		}
		d.Rows = append(d.Rows, *r)
	}
	sort.Slice(d.Rows, func(i, j int) bool {
		a, b := d.Rows[i], d.Rows[j]
		if a.DeltaFlat != b.DeltaFlat {
			return a.DeltaFlat > b.DeltaFlat
		}
		if a.DeltaCum != b.DeltaCum {
			return a.DeltaCum > b.DeltaCum
		}
		return a.Function < b.Function
	})
	return d
}
