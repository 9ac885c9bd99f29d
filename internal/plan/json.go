package plan

import (
	"bytes"
	"encoding/json"
	"time"
)

// The JSON form of a plan is the echo stored in result files (of
// Redacted, by convention). Keys are snake_case like the YAML keys and
// durations are strings ("30s"). Bodies are never written: an endpoint
// records only body_bytes and body_file, so a decoded plan has no Body.
// "model" is written for readers and ignored when decoding.

type jsonPlan struct {
	Name         string         `json:"name"`
	Model        string         `json:"model"`
	VUs          int            `json:"vus"`
	Duration     jsonDuration   `json:"duration"`
	Rate         float64        `json:"rate"`
	OpenModel    bool           `json:"open_model"`
	Stages       []jsonStage    `json:"stages,omitempty"`
	MaxVUs       int            `json:"max_vus"`
	Warmup       jsonDuration   `json:"warmup"`
	GracefulStop jsonDuration   `json:"graceful_stop"`
	Timeout      jsonDuration   `json:"timeout"`
	ThinkTime    jsonDuration   `json:"think_time"`
	NoKeepAlive  bool           `json:"no_keepalive"`
	HTTP2        bool           `json:"http2"`
	Insecure     bool           `json:"insecure"`
	MaxBodyBytes int64          `json:"max_body_bytes"`
	DNSTTL       jsonDNSTTL     `json:"dns_ttl,omitempty"`
	Proxy        string         `json:"proxy,omitempty"`
	Endpoints    []jsonEndpoint `json:"endpoints"`
	Thresholds   []string       `json:"thresholds,omitempty"`
	Gates        []string       `json:"gates,omitempty"`
	Profile      *jsonProfile   `json:"profile,omitempty"`
}

type jsonProfile struct {
	URL      string       `json:"url"`
	Headers  []jsonHeader `json:"headers,omitempty"`
	Chunk    jsonDuration `json:"chunk"`
	Insecure bool         `json:"insecure,omitempty"`
}

type jsonStage struct {
	Duration jsonDuration `json:"duration"`
	Target   float64      `json:"target"`
}

type jsonEndpoint struct {
	Name      string       `json:"name"`
	Method    string       `json:"method"`
	URL       string       `json:"url"`
	Headers   []jsonHeader `json:"headers,omitempty"`
	BodyBytes int          `json:"body_bytes"`
	BodyFile  string       `json:"body_file,omitempty"`
	Weight    int          `json:"weight"`
}

type jsonHeader struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Secret bool   `json:"secret"`
}

// jsonDuration is a time.Duration written as a string such as "1m30s".
type jsonDuration time.Duration

func (d jsonDuration) MarshalText() ([]byte, error) {
	return []byte(formatDuration(time.Duration(d))), nil
}

func (d *jsonDuration) UnmarshalText(text []byte) error {
	v, err := ParseDuration(string(text))
	if err != nil {
		return err
	}
	*d = jsonDuration(v)
	return nil
}

// jsonDNSTTL is Plan.DNSTTL written as ParseDNSTTL reads it. The key is
// left out at its default (0), as in echoes written before it existed.
type jsonDNSTTL time.Duration

func (d jsonDNSTTL) MarshalText() ([]byte, error) {
	return []byte(formatDNSTTL(time.Duration(d))), nil
}

func (d *jsonDNSTTL) UnmarshalText(text []byte) error {
	v, err := ParseDNSTTL(string(text))
	if err != nil {
		return err
	}
	*d = jsonDNSTTL(v)
	return nil
}

// MarshalJSON writes the plan's echo. It has a value receiver so that
// both Plan and *Plan marshal this way.
func (p Plan) MarshalJSON() ([]byte, error) {
	j := jsonPlan{
		Name:         p.Name,
		Model:        p.Model(),
		VUs:          p.VUs,
		Duration:     jsonDuration(p.Duration),
		Rate:         p.Rate,
		OpenModel:    p.OpenModel,
		MaxVUs:       p.MaxVUs,
		Warmup:       jsonDuration(p.Warmup),
		GracefulStop: jsonDuration(p.GracefulStop),
		Timeout:      jsonDuration(p.Timeout),
		ThinkTime:    jsonDuration(p.ThinkTime),
		NoKeepAlive:  p.NoKeepAlive,
		HTTP2:        p.HTTP2,
		Insecure:     p.Insecure,
		MaxBodyBytes: p.MaxBodyBytes,
		DNSTTL:       jsonDNSTTL(p.DNSTTL),
		Proxy:        p.Proxy,
		Thresholds:   p.Thresholds,
		Gates:        p.Gates,
	}
	if p.Profile != nil {
		j.Profile = &jsonProfile{URL: p.Profile.URL, Chunk: jsonDuration(p.Profile.Chunk), Insecure: p.Profile.Insecure}
		for _, h := range p.Profile.Headers {
			j.Profile.Headers = append(j.Profile.Headers, jsonHeader(h))
		}
	}
	for _, s := range p.Stages {
		j.Stages = append(j.Stages, jsonStage{Duration: jsonDuration(s.Duration), Target: s.Target})
	}
	if p.Endpoints != nil {
		j.Endpoints = make([]jsonEndpoint, 0, len(p.Endpoints))
	}
	for _, e := range p.Endpoints {
		je := jsonEndpoint{
			Name:      e.Name,
			Method:    e.Method,
			URL:       e.URL,
			BodyBytes: len(e.Body),
			BodyFile:  e.BodyFile,
			Weight:    e.Weight,
		}
		for _, h := range e.Headers {
			je.Headers = append(je.Headers, jsonHeader(h))
		}
		j.Endpoints = append(j.Endpoints, je)
	}
	// Thresholds read "p95<500ms", not "p95\u003c500ms"; an enclosing
	// encoder still applies its own escaping.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(j); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON reads an echo written by MarshalJSON. Unknown keys are
// ignored so that older perfkit versions read newer result files.
func (p *Plan) UnmarshalJSON(data []byte) error {
	var j jsonPlan
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*p = Plan{
		Name:         j.Name,
		VUs:          j.VUs,
		Duration:     time.Duration(j.Duration),
		Rate:         j.Rate,
		OpenModel:    j.OpenModel,
		MaxVUs:       j.MaxVUs,
		Warmup:       time.Duration(j.Warmup),
		GracefulStop: time.Duration(j.GracefulStop),
		Timeout:      time.Duration(j.Timeout),
		ThinkTime:    time.Duration(j.ThinkTime),
		NoKeepAlive:  j.NoKeepAlive,
		HTTP2:        j.HTTP2,
		Insecure:     j.Insecure,
		MaxBodyBytes: j.MaxBodyBytes,
		DNSTTL:       time.Duration(j.DNSTTL),
		Proxy:        j.Proxy,
		Thresholds:   j.Thresholds,
		Gates:        j.Gates,
	}
	if j.Profile != nil {
		p.Profile = &Profile{URL: j.Profile.URL, Chunk: time.Duration(j.Profile.Chunk), Insecure: j.Profile.Insecure}
		for _, h := range j.Profile.Headers {
			p.Profile.Headers = append(p.Profile.Headers, Header(h))
		}
	}
	for _, s := range j.Stages {
		p.Stages = append(p.Stages, Stage{Duration: time.Duration(s.Duration), Target: s.Target})
	}
	if j.Endpoints != nil {
		p.Endpoints = make([]Endpoint, 0, len(j.Endpoints))
	}
	for _, je := range j.Endpoints {
		e := Endpoint{
			Name:     je.Name,
			Method:   je.Method,
			URL:      je.URL,
			BodyFile: je.BodyFile,
			Weight:   je.Weight,
		}
		for _, h := range je.Headers {
			e.Headers = append(e.Headers, Header(h))
		}
		p.Endpoints = append(p.Endpoints, e)
	}
	return nil
}
