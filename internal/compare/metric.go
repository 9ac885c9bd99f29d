package compare

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/perfkit/perfkit/internal/hdr"
	"github.com/perfkit/perfkit/internal/results"
	"github.com/perfkit/perfkit/internal/threshold"
)

// Per-request target costs. perfkit cannot measure them from its own side
// of the connection; the caller derives them from each run's profiles and
// passes them in through Options.Extra under these names.
const (
	MetricCPUPerRequest          = "cpu_per_request"           // target CPU time per request, ns
	MetricAllocBytesPerRequest   = "alloc_bytes_per_request"   // bytes allocated per request
	MetricAllocObjectsPerRequest = "alloc_objects_per_request" // objects allocated per request
)

// Units of Metric.Unit. Values are in base units, as in the summary JSON.
const (
	UnitMs    = "ms"
	UnitRPS   = "req/s"
	UnitRatio = "ratio" // a fraction in 0..1
	UnitNs    = "ns"
	UnitBytes = "bytes"
	UnitCount = "count"
)

// knownExtras are the extra metrics a gate may name, in display order.
var knownExtras = []struct{ name, unit string }{
	{MetricCPUPerRequest, UnitNs},
	{MetricAllocBytesPerRequest, UnitBytes},
	{MetricAllocObjectsPerRequest, UnitCount},
}

// RunValues are a run's extra per-run values, keyed by metric name (e.g.
// MetricCPUPerRequest). A missing key means the run has no value for it.
type RunValues map[string]float64

const (
	kindLatency   = "latency"
	kindService   = "service_time"
	kindTTFB      = "ttfb"
	kindRPS       = "rps"
	kindErrorRate = "error_rate"
	kindExtra     = "extra"
)

// metricKey identifies one per-run quantity.
type metricKey struct {
	kind     string
	pct      string  // latency kinds: the percentile as written canonically, "99.9"
	q        float64 // latency kinds: the quantile, 0.999
	extra    string  // kindExtra: the RunValues key
	endpoint string  // "" for all endpoints together
}

const wantMetric = "want rps, error_rate, pNN (e.g. p99, p99.9), service_pNN, ttfb_pNN, " +
	MetricCPUPerRequest + ", " + MetricAllocBytesPerRequest + " or " + MetricAllocObjectsPerRequest +
	", optionally followed by {endpoint=NAME}"

// parseMetric parses a bare metric name (no scope).
func parseMetric(name string) (metricKey, error) {
	switch name {
	case kindRPS, kindErrorRate:
		return metricKey{kind: name}, nil
	}
	for _, e := range knownExtras {
		if name == e.name {
			return metricKey{kind: kindExtra, extra: name}, nil
		}
	}
	k := metricKey{kind: kindLatency}
	stat := name
	if s, ok := strings.CutPrefix(name, "service_"); ok {
		k.kind, stat = kindService, s
	} else if s, ok := strings.CutPrefix(name, "ttfb_"); ok {
		k.kind, stat = kindTTFB, s
	}
	pct, ok := strings.CutPrefix(stat, "p")
	if !ok {
		return metricKey{}, fmt.Errorf("unknown metric %q: %s", name, wantMetric)
	}
	text, q, err := parsePercentile(pct)
	if err != nil {
		return metricKey{}, fmt.Errorf("invalid percentile %q: %w", name, err)
	}
	k.pct, k.q = text, q
	return k, nil
}

const maxPercentileDecimals = 6

// parsePercentile turns "99.90" into the canonical text "99.9" and the
// quantile 0.999. The decimal point moves in the text, so p99.9 gives the
// float64 nearest 0.999 (99.9/100 does not).
func parsePercentile(s string) (string, float64, error) {
	num, rest := threshold.ScanNumber(s)
	if num == "" || rest != "" {
		return "", 0, errors.New("want p followed by a number in (0,100], e.g. p95 or p99.9")
	}
	whole, frac, _ := strings.Cut(num, ".")
	if len(frac) > maxPercentileDecimals {
		return "", 0, fmt.Errorf("at most %d decimal places", maxPercentileDecimals)
	}
	q, err := strconv.ParseFloat(num+"e-2", 64)
	if err != nil || !(q > 0 && q <= 1) {
		return "", 0, errors.New("percentile must be in (0,100], e.g. p95 or p99.9")
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	if frac = strings.TrimRight(frac, "0"); frac != "" {
		whole += "." + frac
	}
	return whole, q, nil
}

// name is the canonical label: "p99.9", "ttfb_p50", "rps{endpoint=list}".
func (k metricKey) name() string {
	var s string
	switch k.kind {
	case kindLatency:
		s = "p" + k.pct
	case kindService:
		s = "service_p" + k.pct
	case kindTTFB:
		s = "ttfb_p" + k.pct
	case kindExtra:
		s = k.extra
	default:
		s = k.kind
	}
	if k.endpoint != "" {
		s += "{endpoint=" + k.endpoint + "}"
	}
	return s
}

func (k metricKey) unit() string {
	switch k.kind {
	case kindLatency, kindService, kindTTFB:
		return UnitMs
	case kindRPS:
		return UnitRPS
	case kindErrorRate:
		return UnitRatio
	}
	for _, e := range knownExtras {
		if k.extra == e.name {
			return e.unit
		}
	}
	return ""
}

// value is the metric's value in one run, or false when the run has none
// (no requests measured, or no extra value supplied).
func (k metricKey) value(run *results.Run, extra RunValues) (float64, bool) {
	if k.kind == kindExtra {
		v, ok := extra[k.extra]
		return v, ok && !math.IsNaN(v) && !math.IsInf(v, 0)
	}
	st := &run.Totals
	if k.endpoint != "" {
		st = nil
		for i := range run.Endpoints {
			if run.Endpoints[i].Name == k.endpoint {
				st = &run.Endpoints[i].Stats
				break
			}
		}
		if st == nil {
			return 0, false
		}
	}
	var h *hdr.Histogram
	switch k.kind {
	case kindRPS:
		w := run.WindowSeconds()
		return float64(st.Requests) / w, w > 0
	case kindErrorRate:
		if st.Requests <= 0 {
			return 0, false
		}
		return float64(st.Errors) / float64(st.Requests), true
	case kindLatency:
		h = st.Latency
	case kindService:
		h = st.Service
	case kindTTFB:
		h = st.TTFB
	}
	if h == nil || h.Count() == 0 {
		return 0, false
	}
	return float64(h.Quantile(k.q)) / 1e6, true
}

func latencyKey(kind, pct string) metricKey {
	_, q, _ := parsePercentile(pct)
	return metricKey{kind: kind, pct: pct, q: q}
}

// totalMetrics are the rows every comparison shows first: the figures of
// all endpoints together.
func totalMetrics(open bool) []metricKey {
	keys := []metricKey{{kind: kindRPS}, {kind: kindErrorRate}}
	for _, p := range []string{"50", "90", "95", "99", "99.9"} {
		keys = append(keys, latencyKey(kindLatency, p))
	}
	if open {
		keys = append(keys, latencyKey(kindService, "50"), latencyKey(kindService, "99"))
	}
	return append(keys, latencyKey(kindTTFB, "50"), latencyKey(kindTTFB, "99"))
}

// endpointMetrics are the per-endpoint rows. With one endpoint its figures
// are the totals again, so there are none.
func endpointMetrics(endpoints []string) []metricKey {
	if len(endpoints) < 2 {
		return nil
	}
	var keys []metricKey
	for _, ep := range endpoints {
		for _, k := range []metricKey{{kind: kindRPS}, {kind: kindErrorRate}, latencyKey(kindLatency, "50"), latencyKey(kindLatency, "99")} {
			k.endpoint = ep
			keys = append(keys, k)
		}
	}
	return keys
}
