package plan

import (
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perfkit/perfkit/internal/threshold"
)

// MaxThresholds bounds the thresholds of one plan.
const MaxThresholds = 1000

// maxNameLen bounds Plan.Name, which is printed in every report header.
const maxNameLen = 256

// Problem is one thing wrong with a plan. Validate and Parse join every
// problem they find with errors.Join, so errors.As on their result finds a
// *Problem, which callers use to tell an invalid plan (a usage error) from
// a failure to read one.
type Problem struct {
	File  string // the plan file; "" for plans built from flags
	Line  int    // 1-based line in File; 0 when the problem has no single line
	Field string // the field's path, e.g. "endpoints[2].url"; "" for the whole plan
	Msg   string // the message, starting with the field's label, e.g. "endpoints[2] (create-order): url: missing host"

	// deps are other fields the problem follows from. Parse drops a problem
	// when its field or one of its deps could not be decoded, since the
	// decode error already explains it.
	deps []string
}

func (p *Problem) Error() string {
	switch {
	case p.File != "" && p.Line > 0:
		return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Msg
	case p.File != "":
		return p.File + ": " + p.Msg
	}
	return p.Msg
}

// joinProblems returns nil for no problems, like errors.Join.
func joinProblems(probs []*Problem) error {
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// Validate reports every problem with the plan at once. Call SetDefaults
// first: Validate treats fields still at their zero value as given.
// Messages name the field as the plan file and the flags spell it.
func (p *Plan) Validate() error { return joinProblems(p.problems()) }

type validator struct{ probs []*Problem }

// add records a problem with field, whose message starts with label.
func (v *validator) add(field, label string, deps []string, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if label != "" {
		msg = label + ": " + msg
	}
	v.probs = append(v.probs, &Problem{Field: field, Msg: msg, deps: deps})
}

func (p *Plan) problems() []*Problem {
	var v validator
	p.validateLoad(&v)
	p.validateEndpoints(&v)
	p.validateThresholds(&v)
	p.validateProfile(&v)
	p.validateNetwork(&v)
	return v.probs
}

// proxySchemes are the proxy URL schemes net/http speaks.
var proxySchemes = []string{"http", "https", "socks5", "socks5h"}

func (p *Plan) validateNetwork(v *validator) {
	if p.DNSTTL < 0 && p.DNSTTL != DNSTTLForever {
		v.add("dns_ttl", "dns_ttl", nil, "must be >= 0 or forever, got %s", formatDuration(p.DNSTTL))
	}
	if p.Proxy == "" || p.Proxy == ProxyNone {
		return
	}
	// Messages show the URL redacted: its user info is the proxy's password.
	u, err := url.Parse(p.Proxy)
	switch {
	case err != nil:
		v.add("proxy", "proxy", nil, "not a URL: want e.g. http://proxy.example:3128, or %s", ProxyNone)
	case !slices.Contains(proxySchemes, u.Scheme):
		v.add("proxy", "proxy", nil, "%s: scheme %q is not one of %s (e.g. http://proxy.example:3128)", redactURL(p.Proxy), u.Scheme, strings.Join(proxySchemes, ", "))
	case u.Hostname() == "":
		v.add("proxy", "proxy", nil, "%s: no host", redactURL(p.Proxy))
	}
}

var lengthFields = []string{"duration", "stages"}

func (p *Plan) validateLoad(v *validator) {
	if len(p.Name) > maxNameLen {
		v.add("name", "name", nil, "at most %d bytes, got %d", maxNameLen, len(p.Name))
	} else if hasControl(p.Name) {
		v.add("name", "name", nil, "must not contain control characters")
	}

	open, ramp := p.Open(), len(p.Stages) > 0
	switch {
	case p.VUs < 0:
		v.add("vus", "vus", nil, "must be >= 0, got %d", p.VUs)
	case p.VUs > MaxConcurrency:
		v.add("vus", "vus", nil, "at most %d, got %d", MaxConcurrency, p.VUs)
	case open && p.VUs > 0:
		v.add("vus", "vus", []string{"rate"}, "not used by the open model (rate is set); bound concurrency with max_vus instead")
	case !open && !ramp && p.VUs == 0:
		v.add("vus", "vus", nil, "must be > 0 for a constant closed load, got 0")
	}

	switch {
	case math.IsNaN(p.Rate) || math.IsInf(p.Rate, 0):
		v.add("rate", "rate", nil, "must be a finite number, got %v", p.Rate)
	case p.Rate < 0 && ramp:
		v.add("rate", "rate", nil, "must be >= 0, got %v", p.Rate)
	case p.Rate < 0:
		v.add("rate", "rate", nil, "must be > 0, got %v", p.Rate)
	case open && !ramp && p.Rate == 0:
		v.add("rate", "rate", nil, "must be > 0 for a constant open load, got 0")
	}

	p.validateStages(v, open)

	total := p.TotalDuration()
	switch {
	case p.Duration < 0:
		v.add("duration", "duration", nil, "must be > 0, got %s", formatDuration(p.Duration))
	case !ramp && p.Duration == 0:
		v.add("duration", "duration", nil, "must be > 0 for a constant load, e.g. 30s")
	case ramp && p.Duration != 0 && p.Duration != total:
		v.add("duration", "duration", []string{"stages"},
			"%s conflicts with the stages, which last %s: remove duration or make them equal",
			formatDuration(p.Duration), formatDuration(total))
	case total > MaxRunDuration && ramp:
		v.add("stages", "stages", nil, "last %s in total, more than the %s limit", formatDuration(total), formatDuration(MaxRunDuration))
	case total > MaxRunDuration:
		v.add("duration", "duration", nil, "at most %s, got %s", formatDuration(MaxRunDuration), formatDuration(total))
	}

	switch {
	case p.Warmup < 0:
		v.add("warmup", "warmup", nil, "must be >= 0, got %s", formatDuration(p.Warmup))
	case p.Warmup > 0 && total > 0 && p.Warmup >= total:
		v.add("warmup", "warmup", lengthFields, "%s must be shorter than the run (%s)", formatDuration(p.Warmup), formatDuration(total))
	}
	if p.GracefulStop < 0 {
		v.add("graceful_stop", "graceful_stop", nil, "must be >= 0, got %s", formatDuration(p.GracefulStop))
	}
	if p.Timeout <= 0 {
		v.add("timeout", "timeout", nil, "must be > 0, got %s", formatDuration(p.Timeout))
	}
	switch {
	case p.ThinkTime < 0:
		v.add("think_time", "think_time", nil, "must be >= 0, got %s", formatDuration(p.ThinkTime))
	case open && p.ThinkTime > 0:
		v.add("think_time", "think_time", []string{"rate"}, "only used by the closed model; the open model is paced by rate")
	}

	switch {
	case p.MaxVUs < 0:
		v.add("max_vus", "max_vus", nil, "must be >= 1, got %d", p.MaxVUs)
	case p.MaxVUs > MaxConcurrency:
		v.add("max_vus", "max_vus", nil, "at most %d, got %d", MaxConcurrency, p.MaxVUs)
	case open && p.MaxVUs == 0:
		v.add("max_vus", "max_vus", nil, "must be >= 1 in the open model, got 0")
	case !open && p.MaxVUs > 0:
		v.add("max_vus", "max_vus", []string{"rate"}, "only used by the open model (set rate); the closed model runs vus")
	}

	switch {
	case p.MaxBodyBytes <= 0:
		v.add("max_body_bytes", "max_body_bytes", nil, "must be > 0, got %d", p.MaxBodyBytes)
	case p.MaxBodyBytes > MaxBodyCap:
		v.add("max_body_bytes", "max_body_bytes", nil, "at most %d (%s), got %d", int64(MaxBodyCap), formatBytes(MaxBodyCap), p.MaxBodyBytes)
	}
}

func (p *Plan) validateStages(v *validator, open bool) {
	if len(p.Stages) > MaxStages {
		v.add("stages", "stages", nil, "at most %d stages, got %d", MaxStages, len(p.Stages))
		return
	}
	peak := 0.0
	for i, s := range p.Stages {
		field := "stages[" + strconv.Itoa(i) + "]"
		switch {
		case s.Duration <= 0:
			v.add(field+".duration", field, nil, "duration must be > 0, got %s", formatDuration(s.Duration))
		case s.Duration > MaxRunDuration:
			v.add(field+".duration", field, nil, "duration at most %s, got %s", formatDuration(MaxRunDuration), formatDuration(s.Duration))
		}
		switch {
		case math.IsNaN(s.Target) || math.IsInf(s.Target, 0) || s.Target < 0:
			v.add(field+".target", field, nil, "target must be a finite number >= 0, got %v", s.Target)
		case !open && s.Target > MaxConcurrency:
			v.add(field+".target", field, []string{"rate"}, "target %v exceeds %d virtual users", s.Target, MaxConcurrency)
		default:
			peak = max(peak, s.Target)
		}
	}
	start := float64(p.VUs)
	if open {
		start = p.Rate
	}
	if len(p.Stages) > 0 && peak == 0 && start == 0 {
		unit := "virtual users"
		if open {
			unit = "requests per second"
		}
		v.add("stages", "stages", []string{"vus", "rate"}, "every target is 0 %s and the load starts at 0: nothing would run", unit)
	}
}

func (p *Plan) validateProfile(v *validator) {
	pr := p.Profile
	if pr == nil {
		return
	}
	if msg := checkURL(pr.URL); msg != "" {
		v.add("profile.url", "profile.url", nil, "%s", msg)
	}
	if pr.Chunk < time.Second {
		v.add("profile.chunk", "profile.chunk", nil, "must be at least 1s (the CPU profiler takes whole seconds), got %s", formatDuration(pr.Chunk))
	} else if pr.Chunk%time.Second != 0 {
		v.add("profile.chunk", "profile.chunk", nil, "must be whole seconds (the CPU profiler takes whole seconds), got %s", formatDuration(pr.Chunk))
	}
	for i, h := range pr.Headers {
		if msg := checkHeader(h); msg != "" {
			f := "profile.headers[" + strconv.Itoa(i) + "]"
			v.add(f, f, nil, "%s", msg)
		}
	}
}

func (p *Plan) validateEndpoints(v *validator) {
	switch n := len(p.Endpoints); {
	case n == 0:
		v.add("endpoints", "endpoints", nil, "none given: give a URL (perfkit run URL) or url or endpoints in the plan")
		return
	case n > MaxEndpoints:
		v.add("endpoints", "endpoints", nil, "at most %d, got %d", MaxEndpoints, n)
		return
	}
	seen := make(map[string]int, len(p.Endpoints))
	for i, e := range p.Endpoints {
		field := "endpoints[" + strconv.Itoa(i) + "]"
		label := ""
		if len(p.Endpoints) > 1 {
			label = field
			if threshold.ValidEndpointName(e.Name) {
				label += " (" + e.Name + ")"
			}
		}
		in := func(name string) string {
			if label == "" {
				return name
			}
			return label + ": " + name
		}

		switch first, dup := seen[e.Name]; {
		case e.Name == "" && len(p.Endpoints) > 1:
			v.add(field+".name", in("name"), nil, "required when the plan has several endpoints")
		case e.Name == "":
		case !threshold.ValidEndpointName(e.Name):
			v.add(field+".name", in("name"), nil, "invalid %q: %s", e.Name, threshold.EndpointNameRule)
		case dup:
			v.add(field+".name", in("name"), nil, "%q already names endpoints[%d]", e.Name, first)
		default:
			seen[e.Name] = i
		}
		if e.Method != "" && !validToken(e.Method) {
			v.add(field+".method", in("method"), nil, "invalid %q: want an HTTP method such as GET or POST", e.Method)
		}
		if msg := checkURL(e.URL); msg != "" {
			v.add(field+".url", in("url"), nil, "%s", msg)
		}
		switch {
		case e.Weight < 1:
			v.add(field+".weight", in("weight"), nil, "must be >= 1, got %d", e.Weight)
		case e.Weight > MaxWeight:
			v.add(field+".weight", in("weight"), nil, "at most %d, got %d", MaxWeight, e.Weight)
		}
		for j, h := range e.Headers {
			hf := field + ".headers[" + strconv.Itoa(j) + "]"
			hl := in("headers[" + strconv.Itoa(j) + "]")
			if msg := checkHeader(h); msg != "" {
				v.add(hf, hl, nil, "%s", msg)
			}
		}
	}
}

func (p *Plan) validateThresholds(v *validator) {
	if len(p.Thresholds) > MaxThresholds {
		v.add("thresholds", "thresholds", nil, "at most %d, got %d", MaxThresholds, len(p.Thresholds))
		return
	}
	names := make(map[string]bool, len(p.Endpoints))
	for _, e := range p.Endpoints {
		names[e.Name] = true
	}
	for i, expr := range p.Thresholds {
		field := "thresholds[" + strconv.Itoa(i) + "]"
		t, err := threshold.Parse(expr)
		switch {
		case err != nil:
			v.add(field, field, nil, "%v", err)
		case t.Endpoint != "" && !names[t.Endpoint]:
			v.add(field, field, []string{"endpoints"}, "%q: no endpoint is named %q (endpoints: %s)", expr, t.Endpoint, endpointList(p.Endpoints))
		}
	}
}

// endpointList names the plan's endpoints for an error message, at most ten.
func endpointList(eps []Endpoint) string {
	const most = 10
	var names []string
	for i, e := range eps {
		if i == most {
			names = append(names, fmt.Sprintf("and %d more", len(eps)-most))
			break
		}
		names = append(names, e.Name)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// checkURL returns what is wrong with an endpoint URL, or "". Messages do
// not quote the URL: it may carry credentials.
func checkURL(raw string) string {
	if raw == "" {
		return "required, e.g. http://127.0.0.1:8080/path"
	}
	if !strings.Contains(raw, "://") {
		return "must be absolute, e.g. http://host:port/path"
	}
	u, err := url.Parse(raw)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return "invalid: " + err.Error()
	}
	switch {
	case u.Scheme == "" || u.Opaque != "":
		return "must be absolute, e.g. http://host:port/path"
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Sprintf("scheme %q not supported: want http:// or https://", u.Scheme)
	case u.Hostname() == "":
		return "missing host, e.g. http://127.0.0.1:8080/path"
	}
	return ""
}

// checkHeader returns what is wrong with a header, or "". The value is
// never quoted: it may be a secret.
func checkHeader(h Header) string {
	if !validToken(h.Name) {
		return fmt.Sprintf("invalid name %q: want letters, digits and !#$%%&'*+-.^_`|~", h.Name)
	}
	for i := 0; i < len(h.Value); i++ {
		if c := h.Value[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return fmt.Sprintf("value of %s contains a control character (byte %d)", h.Name, i)
		}
	}
	return ""
}

// validToken reports whether s is an RFC 9110 token, the syntax of both
// methods and header names.
func validToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// formatDuration is time.Duration.String without the zero tails it adds
// to whole minutes and hours: "1m" rather than "1m0s". ParseDuration reads
// both.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// formatBytes prints the byte limits this package uses.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
