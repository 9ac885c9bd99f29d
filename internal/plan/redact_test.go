package plan

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestIsSecretHeader(t *testing.T) {
	tests := []struct {
		name string
		want bool
	}{
		{"Authorization", true},
		{"proxy-authorization", true},
		{"COOKIE", true},
		{"Set-Cookie", true},
		{"X-Api-Key", true},
		{"X-Auth-Token", true},
		{"X-Client-Secret", true},
		{"X-Password", true},
		{"X-Passwd", true},
		{"X-Session-Id", true},
		{"X-Amz-Credential", true},
		{"Accept", false},
		{"Content-Type", false},
		{"Keep-Alive", false},
		{"X-Request-Id", false},
	}
	for _, tt := range tests {
		if got := IsSecretHeader(tt.name); got != tt.want {
			t.Errorf("IsSecretHeader(%q): got %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"http://127.0.0.1:8080/a?b=1", "http://127.0.0.1:8080/a?b=1"},
		{"http://host/%7Euser/x?q=a%20b", "http://host/%7Euser/x?q=a%20b"},
		{"https://user:pw@host/x", "https://redacted@host/x"},
		{"https://tok3n@host/x", "https://redacted@host/x"},
		{"http://h/?api_key=abc&limit=5&Token=t&x", "http://h/?api_key=[redacted]&limit=5&Token=[redacted]&x"},
		{"http://h/?%zz=1", "http://h/?%zz=[redacted]"},
		{"http://[::1", Redaction},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestRedactedNeverLeaks marshals a redacted plan full of secrets and
// searches the JSON for any of them.
func TestRedactedNeverLeaks(t *testing.T) {
	secrets := []string{"s3cr3t-bearer", "c00kie-val", "k3y-val", "pa55w0rd", "marked-secret", "qs-t0ken", "us3r", "b0dy-secret", "pr0xy-user", "pr0xy-pass"}
	p := &Plan{
		Duration: time.Minute,
		Proxy:    "http://pr0xy-user:pr0xy-pass@proxy.test:3128",
		Endpoints: []Endpoint{{
			Name: "a",
			URL:  "https://us3r:pa55w0rd@127.0.0.1/x?access_token=qs-t0ken&page=2",
			Headers: []Header{
				{Name: "Authorization", Value: "Bearer s3cr3t-bearer"},
				{Name: "Cookie", Value: "sid=c00kie-val"},
				{Name: "X-API-KEY", Value: "k3y-val"},
				{Name: "X-Custom", Value: "marked-secret", Secret: true},
				{Name: "Accept", Value: "text/plain"},
			},
			Body: []byte(`{"password": "b0dy-secret"}`),
		}},
	}
	p.SetDefaults()
	original := p.Endpoints[0].Headers[0].Value

	data, err := json.Marshal(p.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(string(data), s) {
			t.Errorf("redacted JSON contains secret %q: %s", s, data)
		}
	}
	for _, want := range []string{`"value":"text/plain"`, `"body_bytes":27`, `page=2`, `proxy.test:3128`} {
		if !strings.Contains(string(data), want) {
			t.Errorf("redacted JSON lost %s: %s", want, data)
		}
	}

	// A deep copy: redacting must not touch the plan the engine runs.
	r := p.Redacted()
	r.Endpoints[0].Headers[1].Value = "changed"
	r.Endpoints[0].Body[0] = 'X'
	if p.Endpoints[0].Headers[0].Value != original || p.Endpoints[0].Headers[1].Value != "sid=c00kie-val" || p.Endpoints[0].Body[0] != '{' {
		t.Errorf("Redacted shares memory with the original: %+v", p.Endpoints[0])
	}
}

// Redaction replaces secret values by position, not by searching for
// them, so a secret too short to search for (empty, one character) is
// hidden all the same, and its shortness does not blank innocent text.
func TestRedactedShortSecrets(t *testing.T) {
	for _, v := range []string{"", "x", "7"} {
		p := &Plan{Duration: time.Minute, Endpoints: []Endpoint{{
			Name: "a", URL: "http://127.0.0.1/x",
			Headers: []Header{{Name: "X-Custom", Value: v, Secret: true}, {Name: "Authorization", Value: v}, {Name: "Accept", Value: "text/x-7"}},
		}}}
		p.SetDefaults()
		r := p.Redacted()
		for i, h := range r.Endpoints[0].Headers[:2] {
			if h.Value != Redaction {
				t.Errorf("secret %q: header %d (%s) shows %q, want %q", v, i, h.Name, h.Value, Redaction)
			}
		}
		if got := r.Endpoints[0].Headers[2].Value; got != "text/x-7" {
			t.Errorf("secret %q: a plain header became %q", v, got)
		}
	}
}
