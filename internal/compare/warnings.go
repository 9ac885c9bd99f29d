package compare

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/perfkit/perfkit/internal/results"
)

// fileWarnings flags files that may not be like for like: another schema,
// another perfkit version, another plan. None of these stops a comparison;
// the reader decides whether the difference matters.
func fileWarnings(b, k *side, ignorePlanKeys []string, warn func(string) int) {
	ref := b.files[0]
	refLabel := b.label(0)
	var versions [2][]string
	for si, s := range []*side{b, k} {
		for i, f := range s.files {
			if f.Schema != ref.Schema {
				warn(fmt.Sprintf("%s has schema %q and %s %q: figures may be computed differently", s.label(i), f.Schema, refLabel, ref.Schema))
			}
			if !slices.Contains(versions[si], f.PerfkitVersion) {
				versions[si] = append(versions[si], f.PerfkitVersion)
			}
			if si == 0 && i == 0 {
				continue
			}
			if keys, same := planDiff(ref.Plan, f.Plan, ignorePlanKeys); !same {
				what := "not comparable key by key"
				if len(keys) > 0 {
					what = "differs in " + strings.Join(keys, ", ")
				}
				warn(fmt.Sprintf("%s ran a different plan than %s (%s): the comparison may not be like for like", s.label(i), refLabel, what))
			}
		}
	}
	if len(versions[0]) > 1 || len(versions[1]) > 1 || versions[0][0] != versions[1][0] {
		warn(fmt.Sprintf("the results were written by different perfkit versions (base %s; candidate %s): a change in how perfkit measures would show as a difference",
			strings.Join(versions[0], ", "), strings.Join(versions[1], ", ")))
	}
}

// label names a side's i-th file in a warning.
func (s *side) label(i int) string {
	if len(s.files) == 1 {
		return "the " + s.name
	}
	return s.name + " file " + strconv.Itoa(i+1)
}

// planDiff compares two plan echoes. It reports the top-level keys whose
// values differ, ignoring those in ignore, or no keys and false when the
// plans are not both JSON objects but differ.
func planDiff(a, b json.RawMessage, ignore []string) ([]string, bool) {
	if bytes.Equal(compact(a), compact(b)) {
		return nil, true
	}
	var ma, mb map[string]json.RawMessage
	if json.Unmarshal(a, &ma) != nil || json.Unmarshal(b, &mb) != nil || ma == nil || mb == nil {
		return nil, false
	}
	var keys []string
	for _, m := range []map[string]json.RawMessage{ma, mb} {
		for key := range m {
			if slices.Contains(keys, key) || slices.Contains(ignore, key) {
				continue
			}
			va, okA := ma[key]
			vb, okB := mb[key]
			if okA != okB || !bytes.Equal(compact(va), compact(vb)) {
				keys = append(keys, key)
			}
		}
	}
	sort.Strings(keys)
	return keys, len(keys) == 0
}

// compact returns the compact form of a JSON value, or the bytes as they
// are when they are not JSON, so they still compare.
func compact(raw json.RawMessage) []byte {
	var buf bytes.Buffer
	if json.Compact(&buf, raw) != nil {
		return raw
	}
	return buf.Bytes()
}

// runWarnings flags runs whose figures are suspect: interrupted ones, and
// ones in which perfkit could not keep to its schedule.
func runWarnings(s *side, warn func(string) int) {
	var interrupted, behind int
	for _, r := range s.runs {
		if r.Status == results.StatusInterrupted {
			interrupted++
		}
		lagging := results.Open(r.Model) && r.Generator.SendLag != nil &&
			r.Generator.SendLag.Quantile(0.99) > results.BehindLagP99
		if r.Generator.Dropped > 0 || lagging {
			behind++
		}
	}
	n := len(s.runs)
	if interrupted > 0 {
		warn(fmt.Sprintf("%d of %d %s runs were interrupted: their figures cover only the part that ran", interrupted, n, s.name))
	}
	if behind > 0 {
		warn(fmt.Sprintf("perfkit fell behind its schedule in %d of %d %s runs: their latency and rate figures are suspect", behind, n, s.name))
	}
}

// formatValue writes a value with its unit for a gate's reason. Reports
// format the structured fields themselves; this text has to read well
// in JSON and JUnit too.
func formatValue(v float64, unit string) string {
	switch unit {
	case UnitMs:
		return number(v) + "ms"
	case UnitNs:
		return number(v) + "ns"
	case UnitRPS:
		return number(v) + " req/s"
	case UnitRatio:
		return number(v*100) + "%"
	case UnitBytes:
		return number(v) + " B"
	}
	return number(v)
}

func number(v float64) string {
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// formatChange writes a change in a gate's unit: "+12.07%", "-0.50pp".
func formatChange(change float64, unit string) string {
	if math.IsInf(change, 0) {
		sign := "+"
		if change < 0 {
			sign = "-"
		}
		return sign + "∞" + unit + " (from 0)"
	}
	return fmt.Sprintf("%+.2f%s", change, unit)
}
