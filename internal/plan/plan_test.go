package plan

import (
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// flagPlan is a plan as the command line builds it before SetDefaults:
// perfkit run http://127.0.0.1:8080/ -d 30s.
func flagPlan() *Plan {
	return &Plan{
		Duration:  30 * time.Second,
		Endpoints: []Endpoint{{URL: "http://127.0.0.1:8080/"}},
	}
}

func TestModel(t *testing.T) {
	ramp := []Stage{{Duration: time.Second, Target: 5}}
	tests := []struct {
		p    Plan
		want string
	}{
		{Plan{VUs: 10}, ModelClosedConstant},
		{Plan{Stages: ramp}, ModelClosedRamping},
		{Plan{VUs: 2, Stages: ramp}, ModelClosedRamping},
		{Plan{Rate: 100}, ModelOpenConstant},
		{Plan{Rate: 100, Stages: ramp}, ModelOpenRamping},
		{Plan{OpenModel: true, Stages: ramp}, ModelOpenRamping},
		{Plan{Rate: -1}, ModelClosedConstant},
		{Plan{Rate: math.NaN()}, ModelClosedConstant},
	}
	for _, tt := range tests {
		if got := tt.p.Model(); got != tt.want {
			t.Errorf("%+v: got %s, want %s", tt.p, got, tt.want)
		}
		if got, want := tt.p.Open(), strings.HasPrefix(tt.want, "open"); got != want {
			t.Errorf("%+v: Open() got %v, want %v", tt.p, got, want)
		}
	}
}

func TestTotalDuration(t *testing.T) {
	tests := []struct {
		p    Plan
		want time.Duration
	}{
		{Plan{Duration: time.Minute}, time.Minute},
		{Plan{Duration: time.Minute, Stages: []Stage{{Duration: time.Second}, {Duration: 2 * time.Second}}}, 3 * time.Second},
		{Plan{Stages: []Stage{{Duration: math.MaxInt64 - 1}, {Duration: 5}}}, math.MaxInt64},
		{Plan{Stages: []Stage{{Duration: -time.Second}, {Duration: 3 * time.Second}}}, 2 * time.Second},
	}
	for _, tt := range tests {
		if got := tt.p.TotalDuration(); got != tt.want {
			t.Errorf("%+v: got %v, want %v", tt.p.Stages, got, tt.want)
		}
	}
}

func TestDefaultMaxVUs(t *testing.T) {
	tests := []struct {
		rate    float64
		timeout time.Duration
		want    int
	}{
		{0, DefaultTimeout, MinDefaultMaxVUs},
		{1, DefaultTimeout, MinDefaultMaxVUs},
		{10, DefaultTimeout, 300},
		{10.01, 10 * time.Second, 101},
		{200, 2 * time.Second, 400},
		{1000, DefaultTimeout, MaxDefaultMaxVUs},
		{math.Inf(1), DefaultTimeout, MaxDefaultMaxVUs},
		{math.NaN(), DefaultTimeout, MaxDefaultMaxVUs},
	}
	for _, tt := range tests {
		if got := DefaultMaxVUs(tt.rate, tt.timeout); got != tt.want {
			t.Errorf("DefaultMaxVUs(%v, %v): got %d, want %d", tt.rate, tt.timeout, got, tt.want)
		}
	}
}

func TestSetDefaults(t *testing.T) {
	p := &Plan{
		Rate:   50,
		Stages: []Stage{{Duration: time.Minute, Target: 400}},
		Endpoints: []Endpoint{{
			URL:     "http://127.0.0.1/",
			Method:  "post",
			Headers: []Header{{Name: "X-Api-Key", Value: "k"}, {Name: "Accept", Value: "*/*"}},
		}},
	}
	p.SetDefaults()
	want := &Plan{
		Rate:         50,
		OpenModel:    true,
		Stages:       []Stage{{Duration: time.Minute, Target: 400}},
		MaxVUs:       MaxDefaultMaxVUs, // 400/s for 30s
		GracefulStop: DefaultGracefulStop,
		Timeout:      DefaultTimeout,
		MaxBodyBytes: DefaultMaxBodyBytes,
		Endpoints: []Endpoint{{
			Name:    DefaultEndpointName,
			URL:     "http://127.0.0.1/",
			Method:  "POST",
			Weight:  1,
			Headers: []Header{{Name: "X-Api-Key", Value: "k", Secret: true}, {Name: "Accept", Value: "*/*"}},
		}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}
	p.SetDefaults()
	if !reflect.DeepEqual(p, want) {
		t.Errorf("second SetDefaults changed the plan: got %+v", p)
	}

	closed := flagPlan()
	closed.SetDefaults()
	if closed.VUs != 1 || closed.MaxVUs != 0 || closed.OpenModel {
		t.Errorf("closed defaults: got vus %d, max_vus %d, open_model %v; want 1, 0, false", closed.VUs, closed.MaxVUs, closed.OpenModel)
	}
	ramp := flagPlan()
	ramp.Duration, ramp.Stages = 0, []Stage{{Duration: time.Second, Target: 3}}
	ramp.SetDefaults()
	if ramp.VUs != 0 {
		t.Errorf("closed ramp defaults: got vus %d, want 0 (the ramp starts from nothing)", ramp.VUs)
	}
}

// TestValidate checks the messages for plans built from flags, where no
// line numbers exist and the message alone must name the input.
func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(p *Plan)
		want []string // every problem, in order; nil for a valid plan
	}{
		{"valid", func(p *Plan) {}, nil},
		{"negative rate", func(p *Plan) { p.Rate = -5 }, []string{"rate: must be > 0, got -5"}},
		{"negative rate with stages", func(p *Plan) {
			p.Rate, p.Duration, p.Stages = -5, 0, []Stage{{Duration: time.Second, Target: 5}}
		}, []string{"rate: must be >= 0, got -5"}},
		{"infinite rate", func(p *Plan) { p.Rate = math.Inf(1) }, []string{"rate: must be a finite number, got +Inf"}},
		{"vus in open model", func(p *Plan) { p.Rate, p.VUs = 10, 5 }, []string{
			"vus: not used by the open model (rate is set); bound concurrency with max_vus instead",
		}},
		{"too many vus", func(p *Plan) { p.VUs = MaxConcurrency + 1 }, []string{"vus: at most 100000, got 100001"}},
		{"negative vus", func(p *Plan) { p.VUs = -1 }, []string{"vus: must be >= 0, got -1"}},
		{"no duration", func(p *Plan) { p.Duration = 0 }, []string{"duration: must be > 0 for a constant load, e.g. 30s"}},
		{"long duration", func(p *Plan) { p.Duration = 31 * 24 * time.Hour }, []string{"duration: at most 720h, got 744h"}},
		{"stages", func(p *Plan) {
			p.Duration = time.Minute
			p.Stages = []Stage{{Duration: 0, Target: 5}, {Duration: time.Second, Target: -1}, {Duration: time.Second, Target: 2e5}}
		}, []string{
			"stages[0]: duration must be > 0, got 0s",
			"stages[1]: target must be a finite number >= 0, got -1",
			"stages[2]: target 200000 exceeds 100000 virtual users",
			"duration: 1m conflicts with the stages, which last 2s: remove duration or make them equal",
		}},
		{"stages equal to duration", func(p *Plan) {
			p.Duration = 3 * time.Second
			p.Stages = []Stage{{Duration: time.Second, Target: 5}, {Duration: 2 * time.Second, Target: 0}}
		}, nil},
		{"open ramp from zero", func(p *Plan) {
			p.OpenModel, p.Duration, p.Stages = true, 0, []Stage{{Duration: time.Second, Target: 2e5}}
		}, nil},
		{"open ramp to nothing", func(p *Plan) {
			p.OpenModel, p.Duration, p.Stages = true, 0, []Stage{{Duration: time.Second}}
		}, []string{"stages: every target is 0 requests per second and the load starts at 0: nothing would run"}},
		{"too many stages", func(p *Plan) {
			p.Duration, p.Stages = 0, make([]Stage, MaxStages+1)
		}, []string{"stages: at most 1000 stages, got 1001"}},
		{"warmup", func(p *Plan) { p.Warmup = 30 * time.Second }, []string{"warmup: 30s must be shorter than the run (30s)"}},
		{"negative durations", func(p *Plan) {
			p.Warmup, p.GracefulStop, p.Timeout, p.ThinkTime = -1, -1, -1, -1
		}, []string{
			"warmup: must be >= 0, got -1ns",
			"graceful_stop: must be >= 0, got -1ns",
			"timeout: must be > 0, got -1ns",
			"think_time: must be >= 0, got -1ns",
		}},
		{"think time in open model", func(p *Plan) { p.Rate, p.ThinkTime = 10, time.Second }, []string{
			"think_time: only used by the closed model; the open model is paced by rate",
		}},
		{"max_vus", func(p *Plan) { p.MaxVUs = 10 }, []string{
			"max_vus: only used by the open model (set rate); the closed model runs vus",
		}},
		{"max_vus negative", func(p *Plan) { p.Rate, p.MaxVUs = 10, -1 }, []string{"max_vus: must be >= 1, got -1"}},
		{"max body", func(p *Plan) { p.MaxBodyBytes = 2 << 30 }, []string{
			"max_body_bytes: at most 1073741824 (1 GiB), got 2147483648",
		}},
		{"name", func(p *Plan) { p.Name = "a\nb" }, []string{"name: must not contain control characters"}},
		{"no endpoints", func(p *Plan) { p.Endpoints = nil }, []string{
			"endpoints: none given: give a URL (perfkit run URL) or url or endpoints in the plan",
		}},
		{"single endpoint", func(p *Plan) {
			e := &p.Endpoints[0]
			e.URL, e.Method, e.Weight = "https://user:secret@/x", "GE T", -1
			e.Headers = []Header{{Name: "Bad Name", Value: "v"}, {Name: "X-Token", Value: "se\ncret"}}
		}, []string{
			`method: invalid "GE T": want an HTTP method such as GET or POST`,
			"url: missing host, e.g. http://127.0.0.1:8080/path",
			"weight: must be >= 1, got -1",
			"headers[0]: invalid name \"Bad Name\": want letters, digits and !#$%&'*+-.^_`|~",
			"headers[1]: value of X-Token contains a control character (byte 2)",
		}},
		{"several endpoints", func(p *Plan) {
			p.Endpoints = []Endpoint{
				{Name: "create-order", URL: "http://127.0.0.1/"},
				{Name: "create-order", URL: "mailto:a@b"},
				{URL: "http://[::1"},
				{Name: "a b", URL: "http://127.0.0.1/", Weight: MaxWeight + 1},
			}
		}, []string{
			`endpoints[1] (create-order): name: "create-order" already names endpoints[0]`,
			"endpoints[1] (create-order): url: must be absolute, e.g. http://host:port/path",
			"endpoints[2]: name: required when the plan has several endpoints",
			"endpoints[2]: url: invalid: missing ']' in host",
			`endpoints[3]: name: invalid "a b": want 1 to 128 letters, digits or - _ . : / ~`,
			"endpoints[3]: weight: at most 1000000, got 1000001",
		}},
		{"network", func(p *Plan) { p.DNSTTL, p.Proxy = DNSTTLForever, ProxyNone }, nil},
		{"proxy URL", func(p *Plan) { p.DNSTTL, p.Proxy = time.Minute, "socks5h://u:p@proxy.test:1080" }, nil},
		{"negative DNS TTL", func(p *Plan) { p.DNSTTL = -time.Second }, []string{"dns_ttl: must be >= 0 or forever, got -1s"}},
		{"proxy without scheme", func(p *Plan) { p.Proxy = "proxy.test:3128" }, []string{
			`proxy: proxy.test:3128: scheme "proxy.test" is not one of http, https, socks5, socks5h (e.g. http://proxy.example:3128)`,
		}},
		{"proxy without host", func(p *Plan) { p.Proxy = "http://u:pw@" }, []string{"proxy: http://redacted@: no host"}},
		{"proxy not a URL", func(p *Plan) { p.Proxy = "http://u:pw@[::1" }, []string{
			"proxy: not a URL: want e.g. http://proxy.example:3128, or none",
		}},
		{"thresholds", func(p *Plan) {
			p.Thresholds = []string{"p95<500ms", "p95<5xx", "p99{endpoint=create-order}<1s", "p99{endpoint=default}<1s"}
		}, []string{
			`thresholds[1]: threshold "p95<5xx": invalid value "5xx": want a duration like 500ms (units ns, us, µs, ms, s, m; a bare number is ms)`,
			`thresholds[2]: "p99{endpoint=create-order}<1s": no endpoint is named "create-order" (endpoints: default)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := flagPlan()
			tt.edit(p)
			p.SetDefaults()
			err := p.Validate()
			var got []string
			if err != nil {
				for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
					got = append(got, e.Error())
					var prob *Problem
					if !errors.As(e, &prob) || prob.Field == "" || prob.File != "" || prob.Line != 0 {
						t.Errorf("%q: want a *Problem with a field and no file or line, got %#v", e, e)
					}
				}
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestProblemError(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{File: "plan.yaml", Line: 12, Msg: `unknown field "rte"`}, `plan.yaml:12: unknown field "rte"`},
		{Problem{File: "plan.yaml", Msg: "endpoints: none given"}, "plan.yaml: endpoints: none given"},
		{Problem{Msg: "rate: must be > 0, got -5"}, "rate: must be > 0, got -5"},
	}
	for _, tt := range tests {
		if got := tt.p.Error(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{time.Hour + time.Second, "1h0m1s"},
		{-time.Minute, "-1m"},
	}
	for _, tt := range tests {
		got := formatDuration(tt.d)
		if got != tt.want {
			t.Errorf("formatDuration(%v): got %q, want %q", tt.d, got, tt.want)
		}
		if back, err := time.ParseDuration(got); err != nil || back != tt.d {
			t.Errorf("time.ParseDuration(%q): got %v, %v; want %v", got, back, err, tt.d)
		}
	}
}
