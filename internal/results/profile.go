package results

import "time"

// Profile capture outcomes. Profiling never fails a load run: every item
// the capture attempted is kept with one of these, and reports show them.
const (
	ProfileOK          = "ok"
	ProfileUnreachable = "unreachable" // connection refused, DNS, reset before a response
	ProfileNotMounted  = "not_mounted" // 404: no net/http/pprof at that path
	ProfileBusy        = "busy"        // another CPU profile was running (500 + "already in use"), retries exhausted
	ProfileTimeout     = "timeout"
	ProfileOversize    = "oversize" // download or decompressed size over the cap
	ProfileInvalid     = "invalid"  // not a parseable pprof profile
	ProfileEmpty       = "empty"    // parsed, but no samples (e.g. mutex profiling off)
	ProfileError       = "error"    // any other HTTP status or failure
)

// Profile is one pprof profile pulled from the target during a run, with
// the requests perfkit completed in its window so costs can be put per
// request. Data is the gzipped pprof protobuf exactly as stored (for
// allocs, mutex and block: the client-side difference of the snapshots at
// the window edges, so it covers the window only).
type Profile struct {
	// Kind is the pprof endpoint: cpu, allocs, heap, goroutine, mutex,
	// block; "goroutine_after_drain" is the goroutine snapshot taken after
	// the load stopped (a leak signal).
	Kind        string    `json:"kind"`
	Status      string    `json:"status"`
	Error       string    `json:"error,omitempty"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// Requests perfkit completed between WindowStart and WindowEnd.
	Requests   int64  `json:"requests"`
	Attempts   int    `json:"attempts"`
	SizeBytes  int64  `json:"size_bytes"`
	SHA256     string `json:"sha256,omitempty"`
	Data       []byte `json:"data,omitempty"`
	Delta      bool   `json:"delta,omitempty"`
	SampleRate int64  `json:"sample_rate,omitempty"` // Hz for CPU; bytes for allocation sampling
}

// Metric samples of the target's own resource use (--metrics), polled each
// interval. Values are as the target reports them; Counter marks values
// that only grow, so per-window use is end minus start.
type TargetMetrics struct {
	Source  string         `json:"source"` // the URL polled (credentials redacted)
	Format  string         `json:"format"` // prometheus | expvar
	Status  string         `json:"status"` // ok, or why polling failed
	Error   string         `json:"error,omitempty"`
	Series  []MetricSeries `json:"series"`
	Samples []time.Time    `json:"samples"` // poll times, shared by every series
}

// MetricSeries is one named resource metric across the polls. Values[i]
// belongs to TargetMetrics.Samples[i]; a poll that lacked the metric has
// NaN encoded as null, which is why values are pointers.
type MetricSeries struct {
	Name    string     `json:"name"` // canonical: cpu_seconds, resident_bytes, goroutines, open_fds, gc_pause_seconds, heap_bytes
	Counter bool       `json:"counter"`
	Values  []*float64 `json:"values"`
}
