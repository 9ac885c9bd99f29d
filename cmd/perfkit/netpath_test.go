package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

// TestNetPathFlagsDryRun: --dns-ttl and --proxy reach the plan, and the
// echo hides the proxy's credentials.
func TestNetPathFlagsDryRun(t *testing.T) {
	tests := []struct {
		name          string
		args          []string
		ttl, proxy    string
		notInEchoText string
	}{
		{"forever through a proxy", []string{"--dns-ttl", "forever", "--proxy", "http://loadtest:pr0xy-pass@127.0.0.1:3128"}, "forever", "http://redacted@127.0.0.1:3128", "pr0xy-pass"},
		{"30s direct", []string{"--dns-ttl", "30s", "--proxy", "none"}, "30s", "none", ""},
		{"defaults", []string{"--dns-ttl", "0"}, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"run", "http://127.0.0.1:1/", "--dry-run"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
			}
			var echo struct {
				DNSTTL string `json:"dns_ttl"`
				Proxy  string `json:"proxy"`
			}
			if err := json.Unmarshal([]byte(r.stdout), &echo); err != nil {
				t.Fatalf("dry-run output: %v\n%s", err, r.stdout)
			}
			if echo.DNSTTL != tt.ttl || echo.Proxy != tt.proxy {
				t.Errorf("got dns_ttl %q proxy %q, want %q %q", echo.DNSTTL, echo.Proxy, tt.ttl, tt.proxy)
			}
			if tt.notInEchoText != "" && strings.Contains(r.stdout, tt.notInEchoText) {
				t.Errorf("dry-run output shows the proxy password: %s", r.stdout)
			}
		})
	}
}

func TestNetPathFlagsInvalid(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string // in stderr
		leak string   // never in stderr
	}{
		{"vegeta's -1", []string{"--dns-ttl", "-1"}, []string{"--dns-ttl", "forever"}, ""},
		{"not a duration", []string{"--dns-ttl", "sometimes"}, []string{"--dns-ttl", `"sometimes"`}, ""},
		{"proxy scheme", []string{"--proxy", "ftp://u:pr0xy-pass@proxy.test"}, []string{"proxy", `"ftp"`}, "pr0xy-pass"},
		{"proxy without scheme", []string{"--proxy", "proxy.test:3128"}, []string{"proxy", "http://proxy.example:3128"}, ""},
		{"profile-insecure without a profile", []string{"--profile-insecure"}, []string{"--profile-insecure: needs --profile"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, append([]string{"run", "http://127.0.0.1:1/", "--dry-run"}, tt.args...)...)
			if r.code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %s)", r.code, exitUsage, r.stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q does not mention %q", r.stderr, w)
				}
			}
			if tt.leak != "" && strings.Contains(r.stderr, tt.leak) {
				t.Errorf("stderr shows the proxy password: %s", r.stderr)
			}
		})
	}
}

// TestRunRecordsTheProxy sends a short run through --proxy (a test server
// that accepts the absolute-form requests a proxy gets, so it is proxy and
// target at once) and reads the proxy back from the result file, without
// its credentials; --proxy none leaves it out.
func TestRunRecordsTheProxy(t *testing.T) {
	var mu sync.Mutex
	var uris, auths []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		uris = append(uris, r.RequestURI)
		auths = append(auths, r.Header.Get("Proxy-Authorization"))
	}))
	t.Cleanup(srv.Close)
	proxyAddr := strings.TrimPrefix(srv.URL, "http://")

	out := filepath.Join(t.TempDir(), "proxied.json")
	r := runCLI(t, "run", "http://target.test/orders", "--proxy", "http://loadtest:pr0xy-pass@"+proxyAddr,
		"-d", "200ms", "-q", "--format", "json", "-o", out)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	res, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.Runs[0].Proxy, "http://"+proxyAddr; got != want {
		t.Errorf("result records proxy %q, want %q", got, want)
	}
	if res.Runs[0].Totals.Errors != 0 {
		t.Errorf("got %d errors through the proxy (%v), want none", res.Runs[0].Totals.Errors, res.Runs[0].Totals.ErrorKinds)
	}
	mu.Lock()
	if len(uris) == 0 || uris[0] != "http://target.test/orders" || auths[0] != "Basic bG9hZHRlc3Q6cHIweHktcGFzcw==" {
		t.Errorf("proxy got %d requests, the first for %q with Proxy-Authorization %q; want the absolute URL and the credentials", len(uris), uris, auths)
	}
	mu.Unlock()

	direct := filepath.Join(t.TempDir(), "direct.json")
	r = runCLI(t, "run", srv.URL+"/", "--proxy", "none", "-d", "100ms", "-q", "--format", "json", "-o", direct)
	if r.code != 0 {
		t.Fatalf("exit %d, stderr %s", r.code, r.stderr)
	}
	res, err = results.ReadFile(direct)
	if err != nil {
		t.Fatal(err)
	}
	if res.Runs[0].Proxy != "" {
		t.Errorf("--proxy none: result records proxy %q, want none", res.Runs[0].Proxy)
	}
}
