package report

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// TestRenderRealSummaries renders summaries made by results.Summarize from
// recorded samples rather than by hand, so the renderers meet every shape
// the real pipeline produces: an empty run and a run where every request
// was refused included.
func TestRenderRealSummaries(t *testing.T) {
	base := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name    string
		open    bool
		samples []results.Sample
		want    []string // lines of the text output that must appear
	}{
		{name: "empty", want: []string{"no requests completed"}},
		{
			name: "refused",
			samples: []results.Sample{
				{Endpoint: 0, Kind: results.KindConnRefused, Done: 100 * time.Microsecond},
				{Endpoint: 1, Kind: results.KindConnRefused, Done: 200 * time.Microsecond},
			},
			want: []string{"errors    2 (100%)", "connection_refused         2   100%"},
		},
		{
			name: "open",
			open: true,
			samples: []results.Sample{
				{Endpoint: 0, Status: 200, Intended: 0, Start: time.Millisecond, Sent: time.Millisecond,
					FirstByte: 3 * time.Millisecond, Done: 4 * time.Millisecond, NewConn: true, Connect: 500 * time.Microsecond},
				{Endpoint: 1, Status: 503, Intended: time.Second, Start: time.Second, Sent: time.Second,
					FirstByte: time.Second + 2*time.Millisecond, Done: time.Second + 2*time.Millisecond},
			},
			want: []string{"service time", "503", "create", "send lag p99"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			col := results.NewCollector(results.CollectorConfig{Endpoints: []string{"list", "create"}, Open: c.open, Shards: 1}, base)
			for i := range c.samples {
				col.Shard(0).Record(&c.samples[i])
			}
			model := "closed"
			if c.open {
				model = "open"
			}
			run := col.Finish(2*time.Second, 0, results.FinishInfo{
				Status: results.StatusComplete, Model: model,
				Start: base, End: base.Add(2 * time.Second), WindowStart: base, WindowEnd: base.Add(2 * time.Second),
			})
			res := &results.Result{Schema: results.Schema, Plan: []byte(`{"thresholds":["p95<1s","error_rate<1%"]}`), Runs: []*results.Run{run}}
			s, err := results.Summarize(res)
			if err != nil {
				t.Fatalf("Summarize: %v", err)
			}
			for _, f := range Formats() {
				var buf bytes.Buffer
				if err := Render(&buf, s, f, Options{Title: c.name}); err != nil {
					t.Fatalf("Render %s: %v", f, err)
				}
				out := buf.String()
				if strings.Contains(out, "NaN") || strings.Contains(out, "Inf") {
					t.Errorf("%s: output contains NaN or Inf:\n%s", f, out)
				}
				if f != FormatText {
					continue
				}
				for _, w := range c.want {
					if !strings.Contains(out, w) {
						t.Errorf("got text without %q:\n%s", w, out)
					}
				}
			}
		})
	}
}
