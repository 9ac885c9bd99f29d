package plan

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestProfileKey(t *testing.T) {
	cases := []struct {
		name, yaml string
		want       *Profile
		wantErr    string
	}{
		{"url only", "url: http://127.0.0.1:1/\nduration: 1s\nprofile: http://127.0.0.1:6060/debug/pprof\n",
			&Profile{URL: "http://127.0.0.1:6060/debug/pprof", Chunk: DefaultProfileChunk}, ""},
		{"map", "url: http://127.0.0.1:1/\nduration: 1s\nprofile:\n  url: http://127.0.0.1:6060/debug/pprof\n  chunk: 5s\n  headers: {X-Token: abc}\n",
			&Profile{URL: "http://127.0.0.1:6060/debug/pprof", Chunk: 5 * time.Second, Headers: []Header{{Name: "X-Token", Value: "abc"}}}, ""},
		{"insecure", "url: http://127.0.0.1:1/\nduration: 1s\nprofile: {url: 'https://127.0.0.1:6060/debug/pprof', insecure: true}\n",
			&Profile{URL: "https://127.0.0.1:6060/debug/pprof", Chunk: DefaultProfileChunk, Insecure: true}, ""},
		{"insecure not a bool", "url: http://127.0.0.1:1/\nduration: 1s\nprofile: {url: 'https://h/', insecure: maybe}\n", nil, "insecure: want true or false"},
		{"bad url", "url: http://127.0.0.1:1/\nduration: 1s\nprofile: ftp://x\n", nil, `plan.yaml:3: profile.url: scheme "ftp" not supported`},
		{"bad chunk", "url: http://127.0.0.1:1/\nduration: 1s\nprofile: {url: 'http://h/', chunk: 500ms}\n", nil, "profile.chunk: must be at least 1s"},
		{"unknown key", "url: http://127.0.0.1:1/\nduration: 1s\nprofile: {url: 'http://h/', secs: 1}\n", nil, `unknown field "secs"`},
	}
	for _, c := range cases {
		p, err := Parse("plan.yaml", []byte(c.yaml))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: got %v, want an error containing %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p.SetDefaults()
		if p.Profile == nil || p.Profile.URL != c.want.URL || p.Profile.Chunk != c.want.Chunk || len(p.Profile.Headers) != len(c.want.Headers) || p.Profile.Insecure != c.want.Insecure {
			t.Errorf("%s: got %+v, want %+v", c.name, p.Profile, c.want)
		}
	}
}

func TestProfileHeadersAreAlwaysRedacted(t *testing.T) {
	p := &Plan{VUs: 1, Duration: time.Second, Endpoints: []Endpoint{{URL: "http://127.0.0.1:1/"}},
		Profile: &Profile{URL: "http://u:pw-secret@127.0.0.1:6060/debug/pprof", Headers: []Header{{Name: "X-Plain-Name", Value: "value-secret"}}}}
	p.SetDefaults()
	b, err := json.Marshal(p.Redacted())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"value-secret", "pw-secret"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("echo leaks %q: %s", secret, b)
		}
	}
	if p.Profile.Headers[0].Value != "value-secret" {
		t.Errorf("Redacted changed the original plan")
	}
	var back Plan
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Profile == nil || back.Profile.Chunk != DefaultProfileChunk {
		t.Errorf("profile did not round-trip: %+v", back.Profile)
	}
}
