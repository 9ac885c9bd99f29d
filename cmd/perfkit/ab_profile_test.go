package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"path/filepath"
	"strings"
	"testing"
)

// spinTarget is pprofTarget with a chosen amount of work per request.
func spinTarget(t *testing.T, rounds int) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte{byte(spinForProfile(rounds))})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// ab with one pprof base per side profiles each side's runs and compares
// their cost per request and their functions.
func TestABProfilesEachSide(t *testing.T) {
	if testing.Short() {
		t.Skip("profiles two targets for 2 s each")
	}
	base, cand := spinTarget(t, 20000), spinTarget(t, 80000)
	out := filepath.Join(t.TempDir(), "ab.json")
	r := runCLI(t, "ab", "--base", base.URL+"/work", "--candidate", cand.URL+"/work", "-u", "2", "-d", "1800ms", "--warmup", "200ms",
		"--count", "1", "-q", "--format", "json", "-o", out,
		"--base-profile", base.URL+"/debug/pprof", "--candidate-profile", cand.URL+"/debug/pprof", "--profile-chunk", "1s")
	if r.code != exitOK {
		t.Fatalf("ab: exit %d, stderr %q\n%s", r.code, r.stderr, r.stdout)
	}
	var c struct {
		Metrics []struct {
			Name      string   `json:"name"`
			Base      *float64 `json:"base"`
			Candidate *float64 `json:"candidate"`
		} `json:"metrics"`
		Profiles []struct {
			Type string `json:"type"`
			Rows []struct {
				Function  string  `json:"function"`
				DeltaFlat float64 `json:"delta_flat"`
			} `json:"rows"`
		} `json:"profiles"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &c); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	var cpu bool
	for _, m := range c.Metrics {
		if m.Name == "cpu_per_request" && m.Base != nil && m.Candidate != nil && *m.Candidate > *m.Base {
			cpu = true
		}
	}
	if !cpu {
		t.Errorf("no cpu_per_request metric with the candidate costlier: %s", r.stdout)
	}
	var spin bool
	for _, p := range c.Profiles {
		if p.Type == "cpu" && len(p.Rows) > 0 && strings.HasSuffix(p.Rows[0].Function, "spinForProfile") {
			spin = true
		}
	}
	if !spin {
		t.Errorf("the CPU diff does not lead with spinForProfile: %s", r.stdout)
	}
	// The file keeps each side's profiles; compare finds them again.
	again := runCLI(t, "compare", out, "--format", "json")
	if again.code != exitOK || !strings.Contains(again.stdout, "spinForProfile") {
		t.Errorf("compare of the ab file: exit %d\n%s", again.code, again.stdout)
	}
}

func TestABProfileFlagsNeedBothSides(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--base-profile", "http://127.0.0.1:1/debug/pprof"}, "needs both --base-profile and --candidate-profile"},
		{[]string{"--base-profile", "http://127.0.0.1:1/debug/pprof", "--candidate-profile", "http://127.0.0.1:2/debug/pprof", "--profile", "http://127.0.0.1:3/debug/pprof"}, "--profile names one pprof URL"},
		{[]string{"--profile", "http://127.0.0.1:3/debug/pprof"}, "--profile names one pprof URL"},
		{[]string{"--base-profile", "ftp://x", "--candidate-profile", "http://127.0.0.1:2/debug/pprof"}, "--base-profile: "},
		{[]string{"--base-profile", "http://127.0.0.1:1/debug/pprof", "--candidate-profile", "127.0.0.1:2"}, "--candidate-profile: "},
	} {
		r := runCLI(t, append([]string{"ab", "--base", "http://127.0.0.1:1", "--candidate", "http://127.0.0.1:2", "-d", "1s"}, tt.args...)...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, r.code, r.stderr, tt.want)
		}
	}
}
