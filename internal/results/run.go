package results

import (
	"encoding/json"
	"time"

	"github.com/perfkit/perfkit/internal/hdr"
)

// Schema versions the result file. A reader rejects any other value.
const Schema = "perfkit.result/v1"

// Sides of an A/B result.
const (
	SideBase      = "base"
	SideCandidate = "candidate"
)

// Run statuses.
const (
	StatusComplete    = "complete"
	StatusInterrupted = "interrupted"
)

// Result is one result file: the plan that was run (secrets redacted) and
// one or more runs of it (repetitions, or segments merged into one run).
type Result struct {
	Schema         string          `json:"schema"`
	PerfkitVersion string          `json:"perfkit_version"`
	Plan           json.RawMessage `json:"plan"`
	Runs           []*Run          `json:"runs"`
}

// Run is everything one execution of a plan measured.
type Run struct {
	Status string `json:"status"`
	Model  string `json:"model"`
	// Start is when the first request was scheduled; End when the last
	// in-flight request finished or was cut off.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// The measured window: from the end of warm-up to the moment no new
	// request was started. Rates divide by its length.
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	Warmup      Duration  `json:"warmup"`
	Insecure    bool      `json:"insecure,omitempty"`
	// Proxy names the HTTP proxy requests went through (credentials
	// removed), when any endpoint used one.
	Proxy    string `json:"proxy,omitempty"`
	Segments int    `json:"segments"`
	// Side is "base" or "candidate" in a result of perfkit ab, which keeps
	// both targets' runs, interleaved, in one file; empty otherwise.
	Side string `json:"side,omitempty"`

	// Totals and Endpoints hold requests issued after warm-up only.
	Totals    Stats           `json:"totals"`
	Endpoints []EndpointStats `json:"endpoints"`
	Phases    Phases          `json:"phases"`
	Timeline  Timeline        `json:"timeline"`
	Generator Generator       `json:"generator"`
	Warnings  []string        `json:"warnings,omitempty"`

	// Profiles pulled from the target during the measured window
	// (--profile), and the target's resource metrics (--metrics).
	Profiles []Profile      `json:"profiles,omitempty"`
	Target   *TargetMetrics `json:"target,omitempty"`
}

// Stats is a set of counters and latency histograms for some requests.
// Latency runs from the intended send time (open model) or the send
// (closed model) to the last body byte; Service from the send; TTFB from the
// send to the first response byte.
type Stats struct {
	Requests    int64            `json:"requests"`
	Errors      int64            `json:"errors"`
	BytesIn     int64            `json:"bytes_in"`
	BytesOut    int64            `json:"bytes_out"`
	StatusCodes map[string]int64 `json:"status_codes"`
	ErrorKinds  map[string]int64 `json:"error_kinds"`
	Latency     *hdr.Histogram   `json:"latency"`
	Service     *hdr.Histogram   `json:"service_time"`
	TTFB        *hdr.Histogram   `json:"ttfb"`
}

// EndpointStats is Stats for one named endpoint of the plan.
type EndpointStats struct {
	Name string `json:"name"`
	Stats
}

// Phases holds connection set-up timings, recorded only for requests that
// dialed a new connection.
type Phases struct {
	DNS     *hdr.Histogram `json:"dns"`
	Connect *hdr.Histogram `json:"connect"`
	TLS     *hdr.Histogram `json:"tls"`
}

// Timeline is the run in fixed-width intervals, warm-up included. Long runs
// coarsen: when the interval count passes a limit, neighbours merge and the
// width doubles, so memory and file size stay bounded.
type Timeline struct {
	IntervalMs int64      `json:"interval_ms"`
	Intervals  []Interval `json:"intervals"`
}

// Interval is one slice of the timeline. Requests are attributed to the
// interval in which they completed.
type Interval struct {
	StartUnixMs int64       `json:"start_unix_ms"`
	DurationMs  int64       `json:"duration_ms"`
	Warmup      bool        `json:"warmup,omitempty"`
	Requests    int64       `json:"requests"`
	Errors      int64       `json:"errors"`
	Dropped     int64       `json:"dropped"`
	BytesIn     int64       `json:"bytes_in"`
	ActiveVUs   int64       `json:"active_vus"`
	Latency     hdr.Encoded `json:"latency"`
	Service     hdr.Encoded `json:"service_time"`
	TTFB        hdr.Encoded `json:"ttfb"`
}

// Generator is perfkit's self-check: did the load generator keep up? When it
// did not, latency numbers measure perfkit as much as the target.
type Generator struct {
	GOMAXPROCS int     `json:"gomaxprocs"`
	CPUUserS   float64 `json:"cpu_user_s"`
	CPUSysS    float64 `json:"cpu_sys_s"`
	// Dropped counts open-model requests whose send time came while every
	// VU was busy: they were never sent.
	Dropped int64 `json:"dropped"`
	// SendLag is actual minus intended send time (open model only).
	SendLag *hdr.Histogram `json:"send_lag"`
	MaxVUs  int64          `json:"max_vus"`
	// Worker is the process that produced this run. It is zero in files
	// written before perfkit recorded it, and in a merged run, whose
	// Segments name every worker instead.
	Worker Worker `json:"worker,omitzero"`
	// Segments lists, in a merged run, every segment it combines (parts
	// that were merged files contribute their own lists), so merging
	// merged files still catches a segment counted twice.
	Segments []Segment `json:"segments,omitempty"`
}

// Worker identifies the process that ran a segment of a distributed run.
// With the segment's start it tells a second copy of one file apart from
// another worker's file.
type Worker struct {
	Host string `json:"host,omitempty"`
	PID  int    `json:"pid,omitempty"`
}

// Segment is one worker's share of a merged run: who ran it, when it
// started by its own clock, and how far merge moved its timestamps to
// align it with the first part (merge --align start).
type Segment struct {
	Worker
	Start time.Time `json:"start"`
	Shift Duration  `json:"shift,omitempty"`
}

// Duration is a time.Duration that encodes as a Go duration string.
type Duration time.Duration

// MarshalJSON encodes d as "1m30s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// UnmarshalJSON decodes a Go duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// WindowSeconds is the length of the measured window.
func (r *Run) WindowSeconds() float64 {
	return r.WindowEnd.Sub(r.WindowStart).Seconds()
}

func newStats() Stats {
	return Stats{
		StatusCodes: map[string]int64{},
		ErrorKinds:  map[string]int64{},
		Latency:     hdr.New(),
		Service:     hdr.New(),
		TTFB:        hdr.New(),
	}
}

func newPhases() Phases {
	return Phases{DNS: hdr.New(), Connect: hdr.New(), TLS: hdr.New()}
}
