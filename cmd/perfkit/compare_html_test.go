package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// TestCompareHTML records a fast and a slow side against local servers and
// renders their comparison as a page. The candidate's file name and a key
// of its plan echo are hostile, as a downloaded result file's can be.
func TestCompareHTML(t *testing.T) {
	fast, slow := sleepyServer(t, time.Millisecond), sleepyServer(t, 6*time.Millisecond)
	dir := t.TempDir()
	base, cand := filepath.Join(dir, "base.json"), filepath.Join(dir, `cand<img src=x onerror=alert(1)>.json`)
	record(t, fast.URL, base)
	record(t, slow.URL, cand)
	r, err := results.ReadFile(cand)
	if err != nil {
		t.Fatal(err)
	}
	var plan map[string]any
	if err := json.Unmarshal(r.Plan, &plan); err != nil {
		t.Fatal(err)
	}
	plan[`</li><script>alert(1)</script>`] = 1
	if r.Plan, err = json.Marshal(plan); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteFile(cand, r); err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "compare.html")
	res := runCLI(t, "compare", base, cand, "--gate", "p50<+10%", "--format", "html", "-o", out)
	if res.code != exitThreshold {
		t.Fatalf("exit %d, want %d; stderr %q", res.code, exitThreshold, res.stderr)
	}
	if res.stdout != "" {
		t.Errorf("with -o, stdout should be empty, got %q", res.stdout)
	}
	page, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("the page was not written: %v", err)
	}
	for _, want := range []string{
		"<!DOCTYPE html>",
		`<p class="banner bad">✗ FAIL</p>`,
		"p50&lt;&#43;10%",
		"cand&lt;img src=x onerror=alert(1)&gt;.json",
		"&lt;/li&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
	} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	for _, bad := range []string{"<img", "<script", "src=\"", "href=", "http://", "https://"} {
		if bytes.Contains(page, []byte(bad)) {
			t.Errorf("page contains %q: input must be escaped and nothing loaded", bad)
		}
	}

	// To stdout, the page is the whole of stdout.
	res = runCLI(t, "compare", base, base, "--format", "html")
	if res.code != exitOK || !strings.HasPrefix(res.stdout, "<!DOCTYPE html>") || !strings.HasSuffix(res.stdout, "</html>\n") {
		t.Errorf("A/A to stdout: exit %d, stderr %q\n%s", res.code, res.stderr, res.stdout)
	}
	if !strings.Contains(res.stdout, `<p class="banner good">✓ PASS</p>`) {
		t.Errorf("A/A page does not pass:\n%s", res.stdout)
	}

	res = runCLI(t, "compare", base, cand, "--format", "pdf")
	if res.code != exitUsage || !strings.Contains(res.stderr, "html") {
		t.Errorf("bad format: exit %d, want %d with html among the formats; stderr %q", res.code, exitUsage, res.stderr)
	}
}
