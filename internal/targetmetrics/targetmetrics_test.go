package targetmetrics

import (
	"context"
	"expvar"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const promSample = `# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total %v
process_resident_memory_bytes 2.4576e+07
go_goroutines 42
process_open_fds 17
go_gc_duration_seconds{quantile="0.5"} 0.0001
go_gc_duration_seconds_sum 0.25
go_gc_duration_seconds_count 10
http_requests_total{code="200"} 1234
`

func TestParsePrometheus(t *testing.T) {
	format, v, err := Parse([]byte(fmt.Sprintf(promSample, 3.5)))
	if err != nil {
		t.Fatal(err)
	}
	if format != "prometheus" {
		t.Errorf("format: got %v, want prometheus", format)
	}
	want := map[string]float64{CPUSeconds: 3.5, ResidentBytes: 24576000, Goroutines: 42, OpenFDs: 17, GCPauseSeconds: 0.25}
	for k, w := range want {
		if v[k] != w {
			t.Errorf("%s: got %v, want %v", k, v[k], w)
		}
	}
}

func TestParseExpvar(t *testing.T) {
	format, v, err := Parse([]byte(`{"cmdline":["x"],"memstats":{"HeapAlloc":1048576,"PauseTotalNs":2500000000}}`))
	if err != nil {
		t.Fatal(err)
	}
	if format != "expvar" || v[HeapBytes] != 1048576 || v[GCPauseSeconds] != 2.5 {
		t.Errorf("got %v %v", format, v)
	}
}

func TestParseRejects(t *testing.T) {
	for _, body := range []string{"<html>hello</html>", `{"other":1}`, "{broken"} {
		if _, _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%q: got nil error", body)
		}
	}
}

func TestPollCounterGrows(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, promSample, float64(n.Add(1))*0.5)
	}))
	defer srv.Close()
	p, err := New(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 250*time.Millisecond)
	defer cancel()
	tm := p.Run(ctx, 50*time.Millisecond)
	if tm.Status != "ok" || len(tm.Samples) < 3 {
		t.Fatalf("status %v, %d samples", tm.Status, len(tm.Samples))
	}
	var cpu []*float64
	for _, s := range tm.Series {
		if len(s.Values) != len(tm.Samples) {
			t.Errorf("%s: %d values for %d samples", s.Name, len(s.Values), len(tm.Samples))
		}
		if s.Name == CPUSeconds {
			cpu = s.Values
			if !s.Counter {
				t.Errorf("cpu_seconds should be a counter")
			}
		}
	}
	if len(cpu) < 2 || *cpu[len(cpu)-1] <= *cpu[0] {
		t.Errorf("cpu counter did not grow: %v", cpu)
	}
}

func TestPollExpvarHandler(t *testing.T) {
	srv := httptest.NewServer(expvar.Handler())
	defer srv.Close()
	p, _ := New(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	tm := p.Run(ctx, 50*time.Millisecond)
	if tm.Status != "ok" || tm.Format != "expvar" {
		t.Fatalf("status %v format %v (%s)", tm.Status, tm.Format, tm.Error)
	}
}

func TestPollFailuresAreRecorded(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := strings.Repeat("# padding\n", 1024)
		for range (MaxScrape / len(chunk)) + 2 {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return
			}
		}
	}))
	defer huge.Close()
	for _, c := range []struct{ url, want string }{
		{notFound.URL, "HTTP 404"},
		{huge.URL, "larger than"},
		{"http://127.0.0.1:1/metrics", "refused"},
	} {
		p, err := New(c.url)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		tm := p.Run(ctx, 40*time.Millisecond)
		cancel()
		if tm.Status != "failed" || !strings.Contains(tm.Error, c.want) {
			t.Errorf("%s: status %q error %q, want failed with %q", c.url, tm.Status, tm.Error, c.want)
		}
	}
}

func TestNewRedactsCredentials(t *testing.T) {
	p, err := New("http://user:hunter2@127.0.0.1:9090/metrics?token=abc")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(p.shown, "hunter2") || strings.Contains(p.shown, "abc") {
		t.Errorf("shown URL leaks credentials: %s", p.shown)
	}
	if _, err := New("ftp://x"); err == nil {
		t.Error("ftp URL accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(fmt.Sprintf(promSample, 1.0)))
	f.Add([]byte(`{"memstats":{"HeapAlloc":1}}`))
	f.Add([]byte("process_cpu_seconds_total NaN\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, v, err := Parse(b)
		if err != nil {
			return
		}
		for k := range v {
			if IsCounter(k) && v[k] != v[k] {
				t.Fatalf("%s is NaN", k)
			}
		}
	})
}
