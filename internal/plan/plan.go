package plan

import (
	"math"
	"strings"
	"time"
)

// Defaults filled in by SetDefaults.
const (
	DefaultGracefulStop       = 10 * time.Second
	DefaultTimeout            = 30 * time.Second
	DefaultMaxBodyBytes int64 = 10 << 20
	DefaultMethod             = "GET"
	DefaultEndpointName       = "default" // the name of a plan's only endpoint when none is given
)

// DNSTTLForever as Plan.DNSTTL keeps each name's first answer for the whole
// run ("forever" in a plan and on the command line). It equals
// client.DNSForever, to which the engine passes it unchanged.
const DNSTTLForever time.Duration = -1

// ProxyNone as Plan.Proxy sends requests direct, ignoring the environment's
// proxy settings. It equals client.ProxyNone.
const ProxyNone = "none"

// Bounds of the open model's default pool (see DefaultMaxVUs).
const (
	MinDefaultMaxVUs = 100
	MaxDefaultMaxVUs = 10_000
)

// Limits on what a plan may ask for. They exist so a typo or a hostile plan
// file fails validation instead of exhausting the machine.
const (
	MaxStages      = 1000
	MaxEndpoints   = 1000
	MaxConcurrency = 100_000 // VUs, stage targets in the closed model, and max_vus
	MaxWeight      = 1_000_000
	MaxRunDuration = 30 * 24 * time.Hour
	MaxBodyCap     = 1 << 30 // largest max_body_bytes
)

// Model names returned by Plan.Model.
const (
	ModelClosedConstant = "closed-constant"
	ModelClosedRamping  = "closed-ramping"
	ModelOpenConstant   = "open-constant"
	ModelOpenRamping    = "open-ramping"
)

// Plan is a complete description of one load test.
//
// In the closed model a fixed (or ramping) number of virtual users each send
// a request, wait for the response and ThinkTime, and repeat. In the open
// model requests are started at Rate per second whether or not earlier ones
// have finished, up to MaxVUs in flight.
type Plan struct {
	Name string

	// VUs is the constant number of virtual users in the closed model; with
	// Stages it is the count the first stage ramps from (default 0 with
	// stages, 1 without). The open model uses MaxVUs instead.
	VUs int

	// Duration is the length of a constant run. With Stages the run lasts
	// the sum of the stage durations and Duration must be 0 or equal to it.
	Duration time.Duration

	// Rate > 0 selects the open model at that many requests per second; with
	// Stages it is the rate the first stage ramps from.
	Rate float64

	// OpenModel selects the open model when Rate is 0, so a rate ramp can
	// start from nothing. Parse sets it when the file has a rate key; the
	// command line sets it when --rate was given. SetDefaults sets it
	// whenever Rate > 0, so the echo always says which model ran.
	OpenModel bool

	// Stages ramp the load: each moves linearly from the previous target
	// (VUs or Rate at first) to its Target over its Duration. Targets are
	// virtual users in the closed model and requests per second in the open
	// model.
	Stages []Stage

	// MaxVUs bounds the requests in flight in the open model. When 0,
	// SetDefaults uses DefaultMaxVUs.
	MaxVUs int

	Warmup       time.Duration // leading window left out of the summary; shorter than the run
	GracefulStop time.Duration // how long in-flight requests may finish after the run; DefaultGracefulStop when 0
	Timeout      time.Duration // per request; DefaultTimeout when 0
	ThinkTime    time.Duration // closed model: a VU's pause between its requests
	NoKeepAlive  bool
	HTTP2        bool
	Insecure     bool  // skip TLS certificate verification
	MaxBodyBytes int64 // response bytes read per request; DefaultMaxBodyBytes when 0

	// DNSTTL is how long a DNS answer serves new connections: 0 (the
	// default) looks the name up again for every new connection,
	// DNSTTLForever keeps the first answer. Either way new connections
	// take the answer's addresses in turn, and a kept-alive connection stays
	// on the address it dialed.
	DNSTTL time.Duration
	// Proxy routes the requests: "" (the default) follows HTTP_PROXY,
	// HTTPS_PROXY and NO_PROXY from the environment, ProxyNone goes direct
	// whatever they say, and a proxy URL sends every request through that
	// proxy (NO_PROXY does not apply to it).
	Proxy string

	Endpoints  []Endpoint
	Thresholds []string // expressions for internal/threshold
	// Gates bound the change from a baseline when `perfkit compare` judges
	// results of this plan; their grammar belongs to internal/compare,
	// which checks them where they are used.
	Gates []string

	// Profile, when set, pulls pprof profiles from the target during the
	// measured window (perfkit run --profile).
	Profile *Profile
}

// Profile is where the target serves net/http/pprof and how to ask.
type Profile struct {
	URL     string        // the pprof base, e.g. http://127.0.0.1:6060/debug/pprof
	Headers []Header      // sent to the pprof endpoint only; every value is redacted in the echo
	Chunk   time.Duration // CPU profile chunk length; DefaultProfileChunk when 0
	// Insecure skips TLS verification of the pprof endpoint only (a
	// debug port with a self-signed certificate); the load's Insecure
	// does not extend to it.
	Insecure bool
}

// DefaultProfileChunk is the CPU profile chunk length: long enough for
// thousands of samples per chunk at 100 Hz, short enough that a run of a
// minute yields several chunks.
const DefaultProfileChunk = 10 * time.Second

// Stage is one segment of a ramp.
type Stage struct {
	Duration time.Duration
	Target   float64
}

// Endpoint is one request the plan sends; with several, each request picks
// one at random in proportion to Weight.
type Endpoint struct {
	Name     string // DefaultEndpointName for a plan's only endpoint; else required and unique
	Method   string // DefaultMethod when empty; upper-cased by SetDefaults
	URL      string // absolute http or https URL with a host
	Headers  []Header
	Body     []byte // the resolved body; never echoed
	BodyFile string // where Body was read from, kept for the echo
	Weight   int    // relative share of requests; 1 when 0
}

// Header is one request header. Secret values are replaced in Redacted;
// SetDefaults marks headers whose names IsSecretHeader recognises.
type Header struct {
	Name   string
	Value  string
	Secret bool
}

// Open reports whether the plan runs the open (arrival-rate) model.
func (p *Plan) Open() bool { return p.Rate > 0 || p.OpenModel }

// Model names the executor the plan needs: one of the Model* constants.
func (p *Plan) Model() string {
	switch {
	case p.Open() && len(p.Stages) > 0:
		return ModelOpenRamping
	case p.Open():
		return ModelOpenConstant
	case len(p.Stages) > 0:
		return ModelClosedRamping
	}
	return ModelClosedConstant
}

// TotalDuration is how long load is generated: Duration, or the sum of the
// stage durations when there are stages. The sum saturates instead of
// overflowing so an unvalidated plan cannot wrap around to a short run.
func (p *Plan) TotalDuration() time.Duration {
	if len(p.Stages) == 0 {
		return p.Duration
	}
	var total time.Duration
	for _, s := range p.Stages {
		if s.Duration > 0 && total > math.MaxInt64-s.Duration {
			return math.MaxInt64
		}
		total += s.Duration
	}
	return total
}

// PeakRate is the highest arrival rate the open model reaches: the larger
// of Rate and every stage target. It is 0 in the closed model.
func (p *Plan) PeakRate() float64 {
	if !p.Open() {
		return 0
	}
	peak := p.Rate
	for _, s := range p.Stages {
		peak = max(peak, s.Target)
	}
	return peak
}

// DefaultMaxVUs is the open-model pool used when MaxVUs is not set: enough
// for every request of the peak rate to take the whole timeout (Little's
// law: in flight = rate × latency), so a slowing target is measured rather
// than starved — ceil(peak rate × timeout in seconds) — but at least
// MinDefaultMaxVUs and at most MaxDefaultMaxVUs. Requests that find the
// pool exhausted are counted as dropped by the engine, never lost silently.
func DefaultMaxVUs(peakRate float64, timeout time.Duration) int {
	n := math.Ceil(peakRate * timeout.Seconds())
	switch {
	case !(n <= MaxDefaultMaxVUs): // also catches NaN
		return MaxDefaultMaxVUs
	case n < MinDefaultMaxVUs:
		return MinDefaultMaxVUs
	}
	return int(n)
}

// SetDefaults fills the fields left at their zero values. It is idempotent
// and runs before Validate; values that are wrong rather than missing are
// left for Validate to report.
func (p *Plan) SetDefaults() {
	if p.Rate > 0 {
		p.OpenModel = true
	}
	if p.GracefulStop == 0 {
		p.GracefulStop = DefaultGracefulStop
	}
	if p.Timeout == 0 {
		p.Timeout = DefaultTimeout
	}
	if p.Profile != nil && p.Profile.Chunk == 0 {
		p.Profile.Chunk = DefaultProfileChunk
	}
	if p.MaxBodyBytes == 0 {
		p.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if !p.Open() && len(p.Stages) == 0 && p.VUs == 0 {
		p.VUs = 1
	}
	if p.Open() && p.MaxVUs == 0 && p.Timeout > 0 {
		p.MaxVUs = DefaultMaxVUs(p.PeakRate(), p.Timeout)
	}
	for i := range p.Endpoints {
		e := &p.Endpoints[i]
		if len(p.Endpoints) == 1 && e.Name == "" {
			e.Name = DefaultEndpointName
		}
		if e.Method == "" {
			e.Method = DefaultMethod
		}
		e.Method = strings.ToUpper(e.Method)
		if e.Weight == 0 {
			e.Weight = 1
		}
		for j := range e.Headers {
			if IsSecretHeader(e.Headers[j].Name) {
				e.Headers[j].Secret = true
			}
		}
	}
}
