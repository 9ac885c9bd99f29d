package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCLI(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return result{code, out.String(), errb.String()}
}

func okServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("hello"))
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/"
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestUsageErrorsExit2(t *testing.T) {
	badPlan := writeFile(t, "plan.yaml", "url: http://127.0.0.1:1/\nrte: 5\nduration: 10x\n")
	cases := []struct {
		name string
		args []string
		want string // in stderr
	}{
		{"unknown flag", []string{"run", "http://127.0.0.1:1/", "--nope"}, "--nope"},
		{"unknown command", []string{"frobnicate"}, "frobnicate"},
		{"bad duration", []string{"run", "http://127.0.0.1:1/", "-d", "10x"}, "--duration"},
		{"bad rate", []string{"run", "http://127.0.0.1:1/", "--rate", "-5"}, "rate"},
		{"bad stages", []string{"run", "http://127.0.0.1:1/", "--stages", "30s:abc"}, "--stages"},
		{"bad threshold", []string{"run", "http://127.0.0.1:1/", "--threshold", "p95<5xx"}, "p95<5xx"},
		{"bad format", []string{"run", "http://127.0.0.1:1/", "--format", "yaml"}, "--format"},
		{"no target", []string{"run"}, "no target"},
		{"missing plan", []string{"run", "-f", "/nonexistent/plan.yaml"}, "/nonexistent/plan.yaml"},
		{"invalid plan", []string{"run", "-f", badPlan}, `plan.yaml:2: unknown field "rte"`},
		{"validate invalid plan", []string{"validate", badPlan}, "plan.yaml:3"},
		{"report bad threshold", []string{"report", "x.json", "--threshold", "p99<"}, "p99<"},
	}
	for _, c := range cases {
		r := runCLI(t, c.args...)
		if r.code != exitUsage {
			t.Errorf("%s: exit %d, want %d (stderr %q)", c.name, r.code, exitUsage, r.stderr)
		}
		if !strings.Contains(r.stderr, c.want) {
			t.Errorf("%s: stderr %q does not name %q", c.name, r.stderr, c.want)
		}
	}
}

func TestRunWritesResultAndReportMatchesLiveSummary(t *testing.T) {
	srv, served := okServer(t)
	out := filepath.Join(t.TempDir(), "run.json")
	live := runCLI(t, "run", srv.URL, "-u", "2", "-d", "500ms", "-q", "--format", "json", "-o", out, "--threshold", "p99<5s")
	if live.code != exitOK {
		t.Fatalf("run: exit %d, stderr %q", live.code, live.stderr)
	}
	var sum map[string]any
	if err := json.Unmarshal([]byte(live.stdout), &sum); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, live.stdout)
	}
	for _, key := range []string{"schema", "requests", "errors", "error_rate", "duration_s", "rps", "latency_ms", "status_codes", "error_kinds", "endpoints", "thresholds"} {
		if _, ok := sum[key]; !ok {
			t.Errorf("summary JSON lacks %q", key)
		}
	}
	if got, want := int64(sum["requests"].(float64)), served.Load(); got != want {
		t.Errorf("requests: summary %v, server %v", got, want)
	}
	rep := runCLI(t, "report", out, "--format", "json")
	if rep.code != exitOK {
		t.Fatalf("report: exit %d, stderr %q", rep.code, rep.stderr)
	}
	if rep.stdout != live.stdout {
		t.Errorf("report differs from the live summary:\nlive:   %s\nreport: %s", live.stdout, rep.stdout)
	}
	for _, f := range []string{"text", "markdown"} {
		if r := runCLI(t, "report", out, "--format", f); r.code != exitOK || r.stdout == "" {
			t.Errorf("report --format %s: exit %d, stdout %d bytes", f, r.code, len(r.stdout))
		}
	}
}

func TestThresholdFailureExits3(t *testing.T) {
	srv, _ := okServer(t)
	r := runCLI(t, "run", srv.URL+"/fail", "-u", "1", "-d", "300ms", "-q", "--threshold", "error_rate<1%")
	if r.code != exitThreshold {
		t.Fatalf("exit %d, want %d; stderr %q", r.code, exitThreshold, r.stderr)
	}
	if !strings.Contains(r.stdout, "error_rate<1%") {
		t.Errorf("summary does not list the threshold:\n%s", r.stdout)
	}
}

func TestUnreachableTargetIsAMeasurement(t *testing.T) {
	url := closedPort(t)
	r := runCLI(t, "run", url, "-u", "1", "-d", "200ms", "-q", "--format", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d, want 0; stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "NaN") || !strings.Contains(r.stdout, `"connection_refused"`) {
		t.Errorf("summary: %s", r.stdout)
	}
	r = runCLI(t, "run", url, "-u", "1", "-d", "200ms", "-q", "--threshold", "error_rate<1%")
	if r.code != exitThreshold {
		t.Errorf("with an error-rate threshold: exit %d, want %d", r.code, exitThreshold)
	}
}

func TestUnwritableOutputExits1AndStillPrintsSummary(t *testing.T) {
	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "missing-dir", "run.json")
	r := runCLI(t, "run", srv.URL, "-u", "1", "-d", "200ms", "-q", "-o", out)
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d", r.code, exitFailure)
	}
	if !strings.Contains(r.stdout, "Latency") {
		t.Errorf("summary not printed:\n%s", r.stdout)
	}
	if !strings.Contains(r.stderr, out) {
		t.Errorf("stderr %q does not name %s", r.stderr, out)
	}
}

func TestCorruptResultExits1(t *testing.T) {
	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "run.json")
	if r := runCLI(t, "run", srv.URL, "-u", "1", "-d", "200ms", "-q", "-o", out); r.code != 0 {
		t.Fatalf("run: exit %d", r.code)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	trunc := writeFile(t, "trunc.json", string(data[:len(data)/2]))
	r := runCLI(t, "report", trunc)
	if r.code != exitFailure || !strings.Contains(r.stderr, trunc) || !strings.Contains(r.stderr, "truncated") {
		t.Errorf("truncated file: exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, "report", filepath.Join(t.TempDir(), "absent.json"))
	if r.code != exitFailure {
		t.Errorf("missing file: exit %d, want 1", r.code)
	}
}

func TestDryRunRedactsSecrets(t *testing.T) {
	r := runCLI(t, "run", "http://127.0.0.1:1/", "--dry-run", "-H", "Authorization: Bearer s3cr3t-token", "-H", "X-Trace: visible")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	if strings.Contains(r.stdout, "s3cr3t-token") {
		t.Errorf("secret leaked into the dry-run plan:\n%s", r.stdout)
	}
	if !strings.Contains(r.stdout, "visible") {
		t.Errorf("ordinary header missing from the dry-run plan:\n%s", r.stdout)
	}
}

func TestSecretsStayOutOfResultFiles(t *testing.T) {
	srv, _ := okServer(t)
	out := filepath.Join(t.TempDir(), "run.json")
	r := runCLI(t, "run", srv.URL, "-u", "1", "-d", "200ms", "-q", "-o", out, "-H", "Cookie: session=s3cr3t-cookie")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	data, _ := os.ReadFile(out)
	for _, where := range []string{string(data), r.stdout, r.stderr} {
		if strings.Contains(where, "s3cr3t-cookie") {
			t.Fatal("secret header value leaked")
		}
	}
}

func TestValidateAndMerge(t *testing.T) {
	srv, _ := okServer(t)
	plan := writeFile(t, "plan.yaml", "name: t\nurl: "+srv.URL+"\nvus: 1\nduration: 200ms\n")
	if r := runCLI(t, "validate", plan); r.code != exitOK || !strings.Contains(r.stdout, "ok") {
		t.Fatalf("validate: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, out := range []string{a, b} {
		if r := runCLI(t, "run", "-f", plan, "-q", "-o", out); r.code != exitOK {
			t.Fatalf("run: exit %d, stderr %q", r.code, r.stderr)
		}
	}
	merged := filepath.Join(dir, "m.json")
	if r := runCLI(t, "merge", a, b, "-o", merged); r.code != exitOK {
		t.Fatalf("merge: exit %d, stderr %q", r.code, r.stderr)
	}
	count := func(path string) float64 {
		r := runCLI(t, "report", path, "--format", "json")
		var s struct{ Requests float64 }
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatal(err)
		}
		return s.Requests
	}
	if got, want := count(merged), count(a)+count(b); got != want {
		t.Errorf("merged requests: got %v, want %v", got, want)
	}
	if r := runCLI(t, "merge", a); r.code != exitUsage {
		t.Errorf("merge without -o: exit %d, want 2", r.code)
	}
}

func TestVersion(t *testing.T) {
	if r := runCLI(t, "version"); r.code != 0 || !strings.HasPrefix(r.stdout, "perfkit ") {
		t.Fatalf("version: %+v", r)
	}
}

func TestCountKeepsEveryRepetition(t *testing.T) {
	srv, served := okServer(t)
	out := filepath.Join(t.TempDir(), "runs.json")
	r := runCLI(t, "run", srv.URL, "-u", "1", "-d", "200ms", "-q", "--count", "3", "--cooldown", "10ms", "-o", out, "--format", "json")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var s struct {
		Runs     int
		Requests int64
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Runs != 3 {
		t.Errorf("runs: got %v, want 3", s.Runs)
	}
	if s.Requests != served.Load() {
		t.Errorf("requests: summary %v, server %v", s.Requests, served.Load())
	}
	if r := runCLI(t, "run", srv.URL, "--count", "0"); r.code != exitUsage {
		t.Errorf("--count 0: exit %d, want 2", r.code)
	}
}

func TestMetricsGiveTargetCPUPerRequest(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/metrics" {
			// Pretend every request served costs 1 ms of CPU.
			fmt.Fprintf(w, "process_cpu_seconds_total %g\ngo_goroutines 7\n", float64(served.Load())*0.001)
			return
		}
		served.Add(1)
	}))
	defer srv.Close()
	r := runCLI(t, "run", srv.URL+"/work", "-u", "2", "-d", "1200ms", "-q", "--format", "json", "--metrics", srv.URL+"/metrics")
	if r.code != exitOK {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	var s struct {
		Target struct {
			CPUUsPerRequest *float64 `json:"cpu_us_per_request"`
			GoroutinesMax   *float64 `json:"goroutines_max"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	if s.Target.CPUUsPerRequest == nil || *s.Target.CPUUsPerRequest < 800 || *s.Target.CPUUsPerRequest > 1200 {
		t.Errorf("target cpu per request: got %v, want ~1000µs", s.Target.CPUUsPerRequest)
	}
	if s.Target.GoroutinesMax == nil || *s.Target.GoroutinesMax != 7 {
		t.Errorf("goroutines max: got %v, want 7", s.Target.GoroutinesMax)
	}
	if r := runCLI(t, "run", srv.URL, "--metrics", "ftp://x", "-q"); r.code != exitUsage {
		t.Errorf("bad --metrics: exit %d, want 2", r.code)
	}
}

func TestFullDiskExits1AndStillPrintsSummary(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	srv, _ := okServer(t)
	r := runCLI(t, "run", srv.URL, "-u", "1", "-d", "200ms", "-q", "-o", "/dev/full", "--format", "json")
	if r.code != exitFailure {
		t.Fatalf("exit %d, want %d", r.code, exitFailure)
	}
	if !strings.Contains(r.stdout, `"requests"`) || !strings.Contains(r.stderr, "/dev/full") {
		t.Errorf("stdout %q\nstderr %q", r.stdout, r.stderr)
	}
}
