package plan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if string(got) != string(want) {
		t.Errorf("%s mismatch (run go test -update if intended)\ngot:\n%s\nwant:\n%s", golden, got, want)
	}
}

func fixtures(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata/%s: %v", dir, err)
	}
	return paths
}

// TestLoadValid loads every valid fixture and compares the JSON echo of
// its redacted plan with a golden file.
func TestLoadValid(t *testing.T) {
	for _, path := range fixtures(t, "valid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			p, err := Load(path)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			p.SetDefaults()
			if err := p.Validate(); err != nil {
				t.Errorf("Validate after Load: %v", err)
			}
			var got bytes.Buffer
			enc := json.NewEncoder(&got)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(p.Redacted()); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".json", got.Bytes())
		})
	}
}

// TestLoadInvalid loads every invalid fixture and compares the joined
// error, one problem a line, with a golden file.
func TestLoadInvalid(t *testing.T) {
	for _, path := range fixtures(t, "invalid") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			p, err := Load(path)
			if err == nil {
				t.Fatalf("Load accepted the plan: %+v", p)
			}
			if p != nil {
				t.Errorf("Load returned a plan with its error: %+v", p)
			}
			var prob *Problem
			if !errors.As(err, &prob) {
				t.Errorf("errors.As(%v, *Problem) found none", err)
			}
			checkGolden(t, strings.TrimSuffix(path, ".yaml")+".golden", []byte(err.Error()+"\n"))
		})
	}
}

func TestParseReturnsPlanAsWritten(t *testing.T) {
	const yml = `
url: http://127.0.0.1:8080/
rate: 50
stages:
  - {duration: 10s, target: 100}
  - {duration: 20s, target: 100}
duration: 30s
`
	p, err := Parse("inline.yaml", []byte(yml))
	if err != nil {
		t.Fatal(err)
	}
	want := &Plan{
		Rate:      50,
		OpenModel: true,
		Stages:    []Stage{{Duration: 10 * time.Second, Target: 100}, {Duration: 20 * time.Second, Target: 100}},
		Duration:  30 * time.Second,
		Endpoints: []Endpoint{{URL: "http://127.0.0.1:8080/"}},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got %+v, want %+v", p, want)
	}
	p.SetDefaults()
	checks := []struct {
		name      string
		got, want any
	}{
		{"model", p.Model(), ModelOpenRamping},
		{"total", p.TotalDuration(), 30 * time.Second},
		{"max_vus (100/s for a 30s timeout)", p.MaxVUs, 3000},
		{"endpoint name", p.Endpoints[0].Name, DefaultEndpointName},
		{"method", p.Endpoints[0].Method, "GET"},
		{"weight", p.Endpoints[0].Weight, 1},
		{"graceful stop", p.GracefulStop, DefaultGracefulStop},
		{"max body", p.MaxBodyBytes, DefaultMaxBodyBytes},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestFlagsOverFile follows the command line: load a file, overwrite the
// fields whose flags were set, then SetDefaults and Validate.
func TestFlagsOverFile(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "minimal.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// perfkit run -f minimal.yaml --rate 1500 --timeout 2s
	p.Rate, p.OpenModel, p.Timeout = 1500, true, 2*time.Second
	p.SetDefaults()
	if err := p.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if p.VUs != 0 || p.MaxVUs != 3000 || p.Model() != ModelOpenConstant {
		t.Errorf("got vus %d, max_vus %d, model %s; want 0, 3000 (1500/s for 2s), %s", p.VUs, p.MaxVUs, p.Model(), ModelOpenConstant)
	}
}

func TestParseBodyFile(t *testing.T) {
	p, err := Load(filepath.Join("testdata", "valid", "endpoints.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(filepath.Join("testdata", "valid", "bodies", "order.json"))
	if err != nil {
		t.Fatal(err)
	}
	e := p.Endpoints[1]
	if string(e.Body) != string(want) {
		t.Errorf("body: got %q, want %q", e.Body, want)
	}
	if e.BodyFile != "bodies/order.json" {
		t.Errorf("body file: got %q, want it as written", e.BodyFile)
	}
}

func TestLoadReadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	_, err := Load(missing)
	if err == nil || !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("got %v, want a not-exist error naming %s", err, missing)
	}
	var prob *Problem
	if errors.As(err, &prob) {
		t.Errorf("a read error is not a plan problem: %v", err)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := writeSparse(big, MaxPlanBytes+1); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(big); err == nil || !strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Errorf("got %v, want a size error", err)
	}
}

// TestParseLimits feeds plans that would cost far more than their size.
func TestParseLimits(t *testing.T) {
	var b strings.Builder
	b.WriteString("duration: 1s\nx-a: &a " + strings.Repeat("x", 1<<20) + "\n")
	b.WriteString("endpoints:\n")
	for i := range 100 {
		fmt.Fprintf(&b, "  - {name: e%d, url: http://127.0.0.1/, body: *a}\n", i)
	}
	aliasBomb := b.String()

	b.Reset()
	b.WriteString("url: http://127.0.0.1/\nstages:\n")
	for range MaxStages + 1 {
		b.WriteString("  - {duration: 1s, target: 1}\n")
	}
	manyStages := b.String()

	b.Reset()
	b.WriteString("duration: 1s\nendpoints:\n")
	for i := range MaxEndpoints + 1 {
		fmt.Fprintf(&b, "  - {name: e%d, url: http://127.0.0.1/}\n", i)
	}
	manyEndpoints := b.String()

	// Each level doubles the work; without a budget this would not finish.
	b.Reset()
	b.WriteString("a0: &a0 {k: v}\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "x-a%d: &a%d {<<: [*a%d, *a%d]}\n", i, i, i-1, i-1)
	}
	mergeBomb := "duration: 1s\n" + strings.ReplaceAll(b.String(), "a0: &a0", "x-a0: &a0") +
		"endpoints:\n  - <<: *a40\n"

	tests := []struct {
		name string
		yml  string
		want string
	}{
		{"too large", strings.Repeat("#", MaxPlanBytes+1), "p.yaml: larger than 4 MiB"},
		{"alias bomb", aliasBomb, "p.yaml: expands to more than 64 MiB through aliases and merges"},
		{"merge bomb", mergeBomb, "merges (<<) nested more than 8 deep"},
		{"many stages", manyStages, "p.yaml:3: stages: at most 1000, got 1001"},
		{"many endpoints", manyEndpoints, "p.yaml:3: endpoints: at most 1000, got 1001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.yaml", []byte(tt.yml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseBodyFileLimits(t *testing.T) {
	calls := 0
	body := make([]byte, 60<<20)
	read := func(path string, limit int64) ([]byte, error) {
		calls++
		if limit != MaxBodyFileBytes {
			t.Errorf("read limit: got %d, want %d", limit, MaxBodyFileBytes)
		}
		return body, nil
	}
	var b strings.Builder
	b.WriteString("duration: 1s\nendpoints:\n")
	for i := range 5 {
		fmt.Fprintf(&b, "  - {name: e%d, url: http://127.0.0.1/, body_file: f%d}\n", i, i)
	}
	fmt.Fprintf(&b, "  - {name: again, url: http://127.0.0.1/, body_file: f0}\n")
	_, err := parse("dir/p.yaml", []byte(b.String()), read)
	want := "dir/p.yaml:7: endpoints[4]: body_file: body files total more than 256 MiB"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	if calls != 5 {
		t.Errorf("reads: got %d, want 5 (a file named twice is read once)", calls)
	}
}
