package main

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sleepyServer(t *testing.T, d time.Duration) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		w.Write([]byte("ok"))
	}))
	t.Cleanup(srv.Close)
	return srv
}

func record(t *testing.T, url, out string) {
	t.Helper()
	if r := runCLI(t, "run", url, "-u", "2", "-d", "250ms", "-q", "--count", "4", "-o", out); r.code != exitOK {
		t.Fatalf("run %s: exit %d, stderr %q", url, r.code, r.stderr)
	}
}

func TestCompareVerdicts(t *testing.T) {
	fast, slow := sleepyServer(t, time.Millisecond), sleepyServer(t, 6*time.Millisecond)
	dir := t.TempDir()
	a1, a2, b := filepath.Join(dir, "a1.json"), filepath.Join(dir, "a2.json"), filepath.Join(dir, "b.json")
	record(t, fast.URL, a1)
	record(t, fast.URL, a2)
	record(t, slow.URL, b)

	r := runCLI(t, "compare", a1, b, "--gate", "p50<+10%", "--format", "json")
	if r.code != exitThreshold {
		t.Fatalf("A/B: exit %d, want %d; stderr %q", r.code, exitThreshold, r.stderr)
	}
	var doc struct {
		Schema  string
		Verdict string
		Gates   []struct{ Expr, Status string }
		Metrics []struct {
			Name        string
			Significant bool
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
		t.Fatalf("compare JSON: %v\n%s", err, r.stdout)
	}
	if doc.Schema != "perfkit.compare/v1" || doc.Verdict != "fail" || len(doc.Gates) != 1 || doc.Gates[0].Status != "fail" {
		t.Errorf("A/B document: %+v", doc)
	}

	// The same target twice must not fail on a generous gate; with
	// latency this close, pass is the expected verdict.
	r = runCLI(t, "compare", a1, a2, "--gate", "p50<+50%")
	if r.code != exitOK {
		t.Errorf("A/A: exit %d, want 0\n%s", r.code, r.stdout)
	}

	r = runCLI(t, "compare", a1, b, "--gate", "p50<+10%", "--format", "junit")
	var suites struct {
		Suites []struct {
			Failures int `xml:"failures,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal([]byte(r.stdout), &suites); err != nil {
		t.Fatalf("junit: %v\n%s", err, r.stdout)
	}
	if len(suites.Suites) == 0 || suites.Suites[0].Failures == 0 {
		t.Errorf("junit shows no failure:\n%s", r.stdout)
	}

	if r := runCLI(t, "compare", a1, b, "--gate", "p50<10"); r.code != exitUsage || !strings.Contains(r.stderr, "p50<10") {
		t.Errorf("bad gate: exit %d, stderr %q", r.code, r.stderr)
	}
	trunc := writeFile(t, "t.json", `{"schema":"perfkit.result/v1","runs":[`)
	if r := runCLI(t, "compare", a1, trunc); r.code != exitFailure || !strings.Contains(r.stderr, trunc) {
		t.Errorf("truncated file: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestABInterleavesAndCompares(t *testing.T) {
	fast, slow := sleepyServer(t, time.Millisecond), sleepyServer(t, 6*time.Millisecond)
	out := filepath.Join(t.TempDir(), "ab.json")
	r := runCLI(t, "ab", "--base", fast.URL, "--candidate", slow.URL, "-u", "2", "-d", "250ms", "--count", "4", "-q", "-o", out, "--gate", "p50<+10%")
	if r.code != exitThreshold {
		t.Fatalf("ab: exit %d, want %d; stderr %q\n%s", r.code, exitThreshold, r.stderr, r.stdout)
	}
	// The file keeps both sides, and compare reads it on its own.
	again := runCLI(t, "compare", out, "--gate", "p50<+10%", "--format", "json")
	if again.code != exitThreshold || !strings.Contains(again.stdout, `"verdict": "fail"`) {
		t.Errorf("compare of the ab file: exit %d\n%s", again.code, again.stdout)
	}
	if r := runCLI(t, "ab", "--base", fast.URL, "-d", "1s"); r.code != exitUsage {
		t.Errorf("ab without --candidate: exit %d, want 2", r.code)
	}
}
