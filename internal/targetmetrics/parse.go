package targetmetrics

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Canonical metric names as stored in the result file.
const (
	CPUSeconds     = "cpu_seconds"
	ResidentBytes  = "resident_bytes"
	Goroutines     = "goroutines"
	OpenFDs        = "open_fds"
	GCPauseSeconds = "gc_pause_seconds"
	HeapBytes      = "heap_bytes"
)

// counters only grow; a window's use is its last value minus its first.
var counters = map[string]bool{CPUSeconds: true, GCPauseSeconds: true}

// IsCounter reports whether a canonical metric only grows.
func IsCounter(name string) bool { return counters[name] }

// prometheusNames maps the standard Go/process collector names to ours.
var prometheusNames = map[string]string{
	"process_cpu_seconds_total":     CPUSeconds,
	"process_resident_memory_bytes": ResidentBytes,
	"go_goroutines":                 Goroutines,
	"process_open_fds":              OpenFDs,
	"go_gc_duration_seconds_sum":    GCPauseSeconds,
	"go_memstats_heap_alloc_bytes":  HeapBytes,
}

// Parse reads one scrape. It recognises expvar JSON (a JSON object with
// "memstats") and the Prometheus text format; other content is an error.
func Parse(body []byte) (format string, values map[string]float64, err error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '{' {
		v, err := parseExpvar(trimmed)
		return "expvar", v, err
	}
	v, err := parsePrometheus(body)
	return "prometheus", v, err
}

// parsePrometheus takes the unlabelled samples of the names it knows. Only
// unlabelled series are used: the process and Go collectors export these
// without labels, and summing labelled series would guess at semantics.
func parsePrometheus(body []byte) (map[string]float64, error) {
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	sawSample := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, rest, ok := strings.Cut(line, " ")
		if !ok || strings.ContainsAny(name, "{}") {
			if strings.Contains(name, "{") {
				sawSample = true
			}
			continue
		}
		sawSample = true
		canon, known := prometheusNames[name]
		if !known {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			return nil, fmt.Errorf("prometheus text: %s has no value", name)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		out[canon] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("prometheus text: %w", err)
	}
	if !sawSample {
		return nil, errors.New("neither Prometheus text exposition nor expvar JSON")
	}
	return out, nil
}

func parseExpvar(body []byte) (map[string]float64, error) {
	var vars struct {
		Memstats *struct {
			HeapAlloc    float64 `json:"HeapAlloc"`
			PauseTotalNs float64 `json:"PauseTotalNs"`
		} `json:"memstats"`
		Goroutines *float64 `json:"goroutines"`
	}
	if err := json.Unmarshal(body, &vars); err != nil {
		return nil, fmt.Errorf("expvar JSON: %w", err)
	}
	if vars.Memstats == nil {
		return nil, errors.New(`expvar JSON without "memstats": is this /debug/vars?`)
	}
	out := map[string]float64{
		HeapBytes:      vars.Memstats.HeapAlloc,
		GCPauseSeconds: vars.Memstats.PauseTotalNs / 1e9,
	}
	if vars.Goroutines != nil {
		out[Goroutines] = *vars.Goroutines
	}
	return out, nil
}
