package report

import (
	"math"
	"strconv"
	"strings"
)

// The formatters below keep three significant digits and pick the unit per
// value, so a column of latencies reads "812µs 12.3ms 1.20s" instead of
// "0.812 12.300 1200.000". Rounding happens before the unit is chosen: a
// value that rounds up to 1000 moves to the next unit ("1.00ms", never
// "1000µs"). NaN and infinities print as "n/a" rather than propagate.

const notAvailable = "n/a"

// FormatDuration formats a duration given in milliseconds, the unit of the
// summary, as ns, µs, ms, s or minutes and seconds.
func FormatDuration(ms float64) string {
	switch {
	case math.IsNaN(ms) || math.IsInf(ms, 0):
		return notAvailable
	case ms < 0:
		return "-" + FormatDuration(-ms)
	case ms == 0:
		return "0s"
	}
	// Below a millisecond the summary's own precision is one microsecond,
	// so decimals of µs would be invented digits; ns appear only for
	// sub-microsecond values such as a threshold bound of 100ns.
	if ns := math.Round(ms * 1e6); ns < 1000 {
		return strconv.FormatFloat(ns, 'f', 0, 64) + "ns"
	}
	if us := math.Round(ms * 1e3); us < 1000 {
		return strconv.FormatFloat(us, 'f', 0, 64) + "µs"
	}
	if s, ok := sig3(ms); ok {
		return s + "ms"
	}
	if s, ok := sig3(ms / 1e3); ok {
		if v, err := strconv.ParseFloat(s, 64); err == nil && v < 60 {
			return s + "s"
		}
	}
	total := int64(math.Round(ms / 1e3))
	return strconv.FormatInt(total/60, 10) + "m" + twoDigits(total%60) + "s"
}

func twoDigits(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

var byteUnits = []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}

// FormatBytes formats a byte count with binary prefixes: "512 B",
// "41.2 MiB".
func FormatBytes(n int64) string {
	if n < 0 {
		// Through float64: -math.MinInt64 overflows int64.
		return "-" + formatBytes(-float64(n))
	}
	return formatBytes(float64(n))
}

func formatBytes(v float64) string {
	if v < 1024 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
	v /= 1024
	unit := 0
	for ; unit < len(byteUnits)-1; unit++ {
		if s, ok := sig3(v); ok {
			return s + " " + byteUnits[unit]
		}
		v /= 1024
	}
	// int64 tops out at 8 EiB, well inside sig3's range.
	s, _ := sig3(v)
	return s + " " + byteUnits[unit]
}

// FormatRate formats a request rate: "1,234 req/s", "12.3 req/s".
func FormatRate(rps float64) string {
	return formatNumber(rps) + " req/s"
}

// FormatCount formats a count with thousands separators: "36,912".
func FormatCount(n int64) string {
	if n < 0 {
		// Negate in uint64: -math.MinInt64 overflows int64.
		return "-" + group(strconv.FormatUint(uint64(-(n+1))+1, 10))
	}
	return group(strconv.FormatInt(n, 10))
}

// FormatPercent formats a fraction (0..1) as a percentage. Fractions that
// are neither 0 nor 1 never print as "0%" or "100%": one failed request in a
// million shows as "<0.01%", so a reader can tell "none" from "few".
func FormatPercent(frac float64) string {
	if math.IsNaN(frac) || math.IsInf(frac, 0) {
		return notAvailable
	}
	p := frac * 100
	switch {
	case frac == 0:
		return "0%"
	case frac == 1:
		return "100%"
	case p > 0 && p < 0.01:
		return "<0.01%"
	case p > 99.9 && p < 100:
		return ">99.9%"
	case p < 10:
		return strconv.FormatFloat(p, 'f', 2, 64) + "%"
	default:
		return strconv.FormatFloat(p, 'f', 1, 64) + "%"
	}
}

// formatNumber formats a non-negative quantity with three significant
// digits, or as a grouped integer from 1000 up.
func formatNumber(v float64) string {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return notAvailable
	case v < 0:
		return "-" + formatNumber(-v)
	case v == 0:
		return "0"
	case v < 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	if s, ok := sig3(v); ok {
		return s
	}
	if v >= math.MaxInt64 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return FormatCount(int64(math.Round(v)))
}

// sig3 formats 0 < v < 1000 with three significant digits (two decimals
// below 1). It reports false when v rounds to 1000 or more, so the caller
// moves up a unit.
func sig3(v float64) (string, bool) {
	for _, d := range [...]struct {
		limit    float64
		decimals int
	}{{10, 2}, {100, 1}, {1000, 0}} {
		s := strconv.FormatFloat(v, 'f', d.decimals, 64)
		if r, err := strconv.ParseFloat(s, 64); err == nil && r < d.limit {
			return s, true
		}
	}
	return "", false
}

// group inserts thousands separators into a string of decimal digits.
func group(digits string) string {
	if len(digits) <= 3 {
		return digits
	}
	var b strings.Builder
	head := len(digits) % 3
	if head > 0 {
		b.WriteString(digits[:head])
	}
	for i := head; i < len(digits); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(digits[i : i+3])
	}
	return b.String()
}
