package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// pprofTarget serves a handler that burns CPU in a named function and
// mounts net/http/pprof on its own mux.
func pprofTarget(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/work", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte{byte(spinForProfile(20000))})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

//go:noinline
func spinForProfile(n int) uint64 {
	h := uint64(1469598103934665603)
	for i := range n {
		h = (h ^ uint64(i)) * 1099511628211
	}
	return h
}

func TestRunProfilesTheTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("profiles a target for 2 s")
	}
	srv := pprofTarget(t)
	out := filepath.Join(t.TempDir(), "run.json")
	r := runCLI(t, "run", srv.URL+"/work", "-u", "2", "-d", "2500ms", "--warmup", "300ms", "-q", "--format", "json",
		"--profile", srv.URL+"/debug/pprof", "--profile-chunk", "1s", "-o", out)
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var s struct {
		Target struct {
			Profile struct {
				CPUUsPerRequest *float64                    `json:"cpu_us_per_request"`
				TopCPU          []struct{ Function string } `json:"top_cpu"`
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Target.Profile.CPUUsPerRequest == nil || *s.Target.Profile.CPUUsPerRequest <= 0 {
		t.Fatalf("no CPU per request in the summary: %s", r.stdout)
	}
	found := false
	for _, f := range s.Target.Profile.TopCPU {
		found = found || strings.HasSuffix(f.Function, "spinForProfile")
	}
	if !found {
		t.Errorf("spinForProfile not among the top functions: %+v", s.Target.Profile.TopCPU)
	}
	top := runCLI(t, "profile", "top", out, "--type", "cpu", "--top", "5")
	if top.code != exitOK || !strings.Contains(top.stdout, "spinForProfile") {
		t.Errorf("profile top: exit %d\n%s%s", top.code, top.stdout, top.stderr)
	}
	pb := filepath.Join(t.TempDir(), "cpu.pb.gz")
	if r := runCLI(t, "profile", "export", out, "--type", "cpu", "-o", pb); r.code != exitOK {
		t.Fatalf("profile export: exit %d, stderr %q", r.code, r.stderr)
	}
	if data, err := os.ReadFile(pb); err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("export is not a gzipped profile (%v)", err)
	}
	diff := runCLI(t, "profile", "diff", out, out, "--type", "cpu", "--format", "json")
	if diff.code != exitOK || !strings.Contains(diff.stdout, `"perfkit.profilediff/v1"`) {
		t.Errorf("profile diff: exit %d\n%s", diff.code, diff.stdout)
	}
}

func TestProfilingNeverFailsTheRun(t *testing.T) {
	srv, served := okServer(t) // no pprof mounted: every path but /fail says hello
	noPprof := httptest.NewServer(http.NotFoundHandler())
	defer noPprof.Close()
	r := runCLI(t, "run", srv.URL, "-u", "1", "-d", "1200ms", "-q", "--format", "json",
		"--profile", noPprof.URL+"/debug/pprof", "--profile-chunk", "1s")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var s struct {
		Requests int64
		Target   struct {
			Profile struct {
				Statuses []struct{ Kind, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Requests == 0 || s.Requests != served.Load() {
		t.Errorf("requests: summary %d, server %d", s.Requests, served.Load())
	}
	if len(s.Target.Profile.Statuses) == 0 {
		t.Fatalf("no profile statuses in the summary: %s", r.stdout)
	}
	for _, st := range s.Target.Profile.Statuses {
		if st.Status != "not_mounted" {
			t.Errorf("%s: status %q, want not_mounted", st.Kind, st.Status)
		}
	}
	if r := runCLI(t, "profile", "top", filepath.Join(t.TempDir(), "none.json")); r.code != exitFailure {
		t.Errorf("profile top of a missing file: exit %d, want 1", r.code)
	}
	if r := runCLI(t, "run", srv.URL, "--profile", "ftp://x", "-q"); r.code != exitUsage {
		t.Errorf("bad --profile: exit %d, want 2", r.code)
	}
}
