package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/faultserver"
)

// The tests in this file are the command-line rows of the fault matrix in
// shared/research/reliability.md (c); TESTING.md maps every row to its test.
// Signals and disk rows live in signal_test.go and main_test.go.

// faultSummary is the part of the summary JSON these tests read.
type faultSummary struct {
	Status     string           `json:"status"`
	Requests   int64            `json:"requests"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"error_kinds"`
	Warnings   []string         `json:"warnings"`
	Target     struct {
		Profile struct {
			Statuses []struct{ Kind, Status, Error string }
		}
	}
}

// decodeSummary parses stdout as the one JSON document --format json
// promises, and fails on NaN or Inf anywhere in it.
func decodeSummary(t *testing.T, stdout string) faultSummary {
	t.Helper()
	var s faultSummary
	if err := json.Unmarshal([]byte(stdout), &s); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, stdout)
	}
	for _, bad := range []string{"NaN", "Inf"} {
		if strings.Contains(stdout, bad) {
			t.Errorf("summary contains %q:\n%s", bad, stdout)
		}
	}
	return s
}

// Row 36, with rows 1, 3, 11 and 20 at the command line: every scenario
// maps to one documented exit code (DESIGN.md: target errors are
// measurements and exit 0 unless a threshold says otherwise), the same
// code twice in a row, within the run's duration + graceful stop.
func TestFaultCLIExitCodes(t *testing.T) {
	ok, _ := okServer(t)
	hang := faultserver.New(t, faultserver.Hang())
	reset := faultserver.New(t, faultserver.Reset(1024))
	cert, err := faultserver.Cert(faultserver.SelfSigned)
	if err != nil {
		t.Fatal(err)
	}
	tlsSrv := faultserver.NewTLS(t, cert, faultserver.Respond(200, "secure"))
	refused := faultserver.Refused(t)
	unwritable := filepath.Join(t.TempDir(), "missing-dir", "run.json")
	// A 1 s timeout: the hang row waits it out twice, and a TLS handshake
	// on a loaded 2-core machine under the race detector stays within it.
	base := []string{"-u", "2", "-d", "150ms", "--timeout", "1s", "--graceful-stop", "1500ms", "-q", "--format", "json"}

	tests := []struct {
		name     string
		args     []string
		code     int
		kind     string // the error kind that must dominate; "" for none
		inStderr string
	}{
		{"healthy target", []string{"run", ok.URL}, exitOK, "", ""},
		{"5xx is a measurement", []string{"run", ok.URL + "/fail"}, exitOK, "http_5xx", ""},
		{"5xx past an error-rate threshold", []string{"run", ok.URL + "/fail", "--threshold", "error_rate<1%"}, exitThreshold, "http_5xx", ""},
		{"refused is a measurement", []string{"run", refused}, exitOK, "connection_refused", ""},
		{"refused past an error-rate threshold", []string{"run", refused, "--threshold", "error_rate<1%"}, exitThreshold, "connection_refused", ""},
		{"hang times out", []string{"run", hang.URL}, exitOK, "timeout", ""},
		{"reset mid-body", []string{"run", reset.URL}, exitOK, "connection_reset", ""},
		{"self-signed certificate", []string{"run", tlsSrv.URL}, exitOK, "tls", ""},
		{"self-signed certificate, --insecure", []string{"run", tlsSrv.URL, "--insecure"}, exitOK, "", "verification is off"},
		{"unwritable output", []string{"run", ok.URL, "-o", unwritable}, exitFailure, "", unwritable},
		{"invalid flag", []string{"run", ok.URL, "--think-time", "soon"}, exitUsage, "", "--think-time"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{}, tt.args...), base...)
			var first int
			for i := range 2 {
				start := time.Now()
				r := runCLI(t, args...)
				took := time.Since(start)
				if i == 0 {
					first = r.code
				} else if r.code != first {
					t.Errorf("second run: exit %d, first %d", r.code, first)
				}
				if r.code != tt.code {
					t.Fatalf("exit %d, want %d; stderr %q", r.code, tt.code, r.stderr)
				}
				if bound := 150*time.Millisecond + 1500*time.Millisecond + 2*time.Second; took > bound {
					t.Errorf("took %v, want at most %v", took, bound)
				}
				if tt.inStderr != "" && !strings.Contains(r.stderr, tt.inStderr) {
					t.Errorf("stderr %q does not mention %q", r.stderr, tt.inStderr)
				}
				if tt.code == exitUsage {
					continue
				}
				s := decodeSummary(t, r.stdout)
				if s.Requests == 0 {
					t.Errorf("no requests in the summary")
				}
				if tt.kind == "" && s.Errors != 0 {
					t.Errorf("errors %v, want none", s.ErrorKinds)
				}
				if tt.kind != "" && s.ErrorKinds[tt.kind]*2 <= s.Requests {
					t.Errorf("%s: %d of %d requests, want most (%v)", tt.kind, s.ErrorKinds[tt.kind], s.Requests, s.ErrorKinds)
				}
			}
		})
	}
}

// Row 30 at the command line: the target's pprof endpoint answers
// garbage. Profiling records what became of each capture and never fails
// or stalls the run. The gzip bomb, the endless body and the endpoint that
// never answers cost each capture a capped download, inflation or timeout,
// too slow for the race-detector suite: they are
// TestHeavyCLIHostileProfileEndpoint.
func TestFaultCLIHostileProfileEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("profiles for a second")
	}
	tests := []struct {
		name    string
		handler faultserver.Handler
		status  string
	}{
		{"garbage", faultserver.PprofGarbage(), "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target, served := okServer(t)
			pprof := faultserver.New(t, tt.handler)
			start := time.Now()
			r := runCLI(t, "run", target.URL, "-u", "1", "-d", "1100ms", "-q", "--format", "json",
				"--profile", pprof.URL+"/debug/pprof", "--profile-chunk", "1s")
			took := time.Since(start)
			if r.code != exitOK {
				t.Fatalf("exit %d, want 0; stderr %q", r.code, r.stderr)
			}
			t.Logf("run with a hostile pprof endpoint took %v; %d profile requests", took, pprof.Requests())
			s := decodeSummary(t, r.stdout)
			if s.Requests == 0 || s.Requests != served.Load() {
				t.Errorf("requests: summary %d, target %d", s.Requests, served.Load())
			}
			if len(s.Target.Profile.Statuses) == 0 {
				t.Fatalf("no profile statuses in the summary")
			}
			for _, st := range s.Target.Profile.Statuses {
				if st.Status != tt.status {
					t.Errorf("%s: status %q (%s), want %q", st.Kind, st.Status, st.Error, tt.status)
				}
			}
		})
	}
}

// Row 33: credentials planted in every place a plan can carry them never
// appear in any output: summaries in every format, the result file, the
// reports made from it, stderr. The target fails half the requests so
// error paths are exercised too.
func TestFaultCLISecretsInEveryOutput(t *testing.T) {
	canaries := []string{"pa55w0rd-canary", "qu3ry-canary", "t0ken-canary", "c00kie-canary", "apik3y-canary", "marked-canary"}
	for _, target := range []string{"healthy", "refused"} {
		t.Run(target, func(t *testing.T) {
			base := faultserver.Refused(t)
			if target == "healthy" {
				base = faultserver.New(t, faultserver.Respond(200, "ok")).URL
			}
			url := strings.Replace(base, "://", "://us3r:pa55w0rd-canary@", 1) + "/orders?api_key=qu3ry-canary&page=2"
			planFile := writeFile(t, "plan.yaml", "name: secrets\nvus: 1\nduration: 150ms\nendpoints:\n"+
				"  - url: "+url+"\n"+
				"    headers:\n"+
				"      - {name: X-Custom, value: marked-canary, secret: true}\n")
			out := filepath.Join(t.TempDir(), "run.json")
			var outputs []string
			for _, format := range []string{"json", "text", "markdown"} {
				r := runCLI(t, "run", "-f", planFile, "-q", "--format", format, "-o", out,
					"-H", "Authorization: Bearer t0ken-canary", "-H", "Cookie: session=c00kie-canary", "-H", "X-Api-Key: apik3y-canary")
				if r.code != exitOK {
					t.Fatalf("run --format %s: exit %d, stderr %q", format, r.code, r.stderr)
				}
				outputs = append(outputs, "run "+format+" stdout\n"+r.stdout, "run "+format+" stderr\n"+r.stderr)
			}
			data, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			outputs = append(outputs, "result file\n"+string(data))
			for _, format := range []string{"text", "json", "markdown", "html", "junit"} {
				r := runCLI(t, "report", out, "--format", format)
				if r.code != exitOK {
					t.Fatalf("report --format %s: exit %d, stderr %q", format, r.code, r.stderr)
				}
				outputs = append(outputs, "report "+format+" stdout\n"+r.stdout, "report "+format+" stderr\n"+r.stderr)
			}
			dry := runCLI(t, "run", "-f", planFile, "--dry-run", "-H", "Authorization: Bearer t0ken-canary")
			outputs = append(outputs, "dry run\n"+dry.stdout+dry.stderr)
			for _, o := range outputs {
				where, text, _ := strings.Cut(o, "\n")
				for _, c := range canaries {
					if strings.Contains(text, c) {
						t.Errorf("%s shows the secret %q", where, c)
					}
				}
			}
		})
	}
}
