package plan

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func roundTrip(t *testing.T, p *Plan) {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	var got Plan
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("Unmarshal(%s): %v", data, err)
	}
	// Compare with the secrets left in: Redacted also rewrites them.
	want := *p
	want.Endpoints = nil
	for _, e := range p.Endpoints {
		e.Body = nil
		want.Endpoints = append(want.Endpoints, e)
	}
	if !reflect.DeepEqual(&got, &want) {
		t.Errorf("round trip of %s:\ngot  %+v\nwant %+v", data, got, want)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for _, path := range fixtures(t, "valid") {
		t.Run(path, func(t *testing.T) {
			p, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, p)
			roundTrip(t, p.Redacted())
		})
	}
	t.Run("every field", func(t *testing.T) {
		roundTrip(t, &Plan{
			Name: "all", VUs: 3, Duration: 90 * time.Second, Rate: 12.5, OpenModel: true,
			Stages: []Stage{{Duration: time.Millisecond, Target: 0.5}}, MaxVUs: 7,
			Warmup: time.Second, GracefulStop: 2 * time.Second, Timeout: 1500 * time.Millisecond, ThinkTime: time.Microsecond,
			NoKeepAlive: true, HTTP2: true, Insecure: true, MaxBodyBytes: 99,
			DNSTTL: 90 * time.Second, Proxy: "http://proxy.test:3128",
			Endpoints: []Endpoint{{
				Name: "e", Method: "PUT", URL: "http://127.0.0.1/", Weight: 4, BodyFile: "b.json", Body: []byte("xyz"),
				Headers: []Header{{Name: "A", Value: "1"}, {Name: "B", Value: "2", Secret: true}},
			}},
			Thresholds: []string{"p95<1s", "rps>1&2"},
		})
	})
	t.Run("zero", func(t *testing.T) { roundTrip(t, &Plan{}) })
	t.Run("DNS forever", func(t *testing.T) { roundTrip(t, &Plan{DNSTTL: DNSTTLForever, Proxy: ProxyNone}) })
}

func TestJSONShape(t *testing.T) {
	p := &Plan{
		Duration: 90 * time.Second,
		Timeout:  2 * time.Second,
		Endpoints: []Endpoint{{
			URL: "http://127.0.0.1/", Body: []byte("top secret body"), BodyFile: "req.json",
		}},
		Thresholds: []string{"p95<500ms"},
	}
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, want := range []string{
		`"duration":"1m30s"`, `"timeout":"2s"`, `"warmup":"0s"`, `"model":"closed-constant"`,
		`"body_bytes":15`, `"body_file":"req.json"`, `"max_body_bytes":0`, `"open_model":false`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	if strings.Contains(s, "top secret") {
		t.Errorf("JSON contains the body: %s", s)
	}
	// Plan and *Plan marshal alike.
	byValue, err := json.Marshal(*p)
	if err != nil || string(byValue) != s {
		t.Errorf("Marshal(Plan): got %s, %v; want %s", byValue, err, s)
	}
}

func TestJSONUnmarshalErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"duration": "10x"}`, `invalid duration "10x"`},
		{`{"stages": [{"duration": "-1s"}]}`, "must not be negative"},
		{`{"vus": "ten"}`, "cannot unmarshal"},
		{`[1]`, "cannot unmarshal"},
	}
	for _, tt := range tests {
		var p Plan
		err := json.Unmarshal([]byte(tt.in), &p)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Unmarshal(%s): got %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
	// Keys from newer versions are ignored.
	var p Plan
	if err := json.Unmarshal([]byte(`{"name": "n", "future_key": 1}`), &p); err != nil || p.Name != "n" {
		t.Errorf("got %+v, %v; want name n and no error", p, err)
	}
}
