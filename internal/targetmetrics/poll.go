package targetmetrics

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// MaxScrape bounds one scrape body: metric pages are kilobytes, and a
// target must not be able to make perfkit buffer more.
const MaxScrape = 4 << 20

// Poller scrapes one metrics URL on its own HTTP client.
type Poller struct {
	url    string
	shown  string
	client *http.Client
}

// New checks the URL and prepares a poller.
func New(raw string) (*Poller, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--metrics %q: want an absolute http(s) URL such as http://127.0.0.1:9090/metrics", redact(raw))
	}
	return &Poller{url: raw, shown: redact(raw), client: &http.Client{Timeout: 2 * time.Second}}, nil
}

// redact drops credentials from a URL for display.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable URL)"
	}
	if u.User != nil {
		u.User = url.User("[redacted]")
	}
	u.RawQuery = ""
	return u.String()
}

func (p *Poller) scrape(ctx context.Context) (string, map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, p.url, nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxScrape+1))
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if len(body) > MaxScrape {
		return "", nil, fmt.Errorf("response larger than %d MiB", MaxScrape>>20)
	}
	return Parse(body)
}

// Run scrapes at once and then every interval until ctx ends, and returns
// everything it saw. Failed scrapes are skipped; if none succeeded, the
// status says why.
func (p *Poller) Run(ctx context.Context, every time.Duration) *results.TargetMetrics {
	tm := &results.TargetMetrics{Source: p.shown, Status: "ok"}
	series := map[string]*results.MetricSeries{}
	var lastErr error
	t := time.NewTicker(every)
	defer t.Stop()
	record := func(scrapeCtx context.Context) {
		format, vals, err := p.scrape(scrapeCtx)
		if err != nil {
			lastErr = err
			return
		}
		tm.Format = format
		n := len(tm.Samples)
		tm.Samples = append(tm.Samples, time.Now())
		for name, v := range vals {
			s, ok := series[name]
			if !ok {
				s = &results.MetricSeries{Name: name, Counter: IsCounter(name), Values: make([]*float64, n)}
				series[name] = s
			}
			s.Values = append(s.Values, &v)
		}
		for _, s := range series {
			if len(s.Values) < n+1 {
				s.Values = append(s.Values, nil)
			}
		}
	}
	for {
		record(ctx)
		select {
		case <-ctx.Done():
			// One last scrape as the load ends, so counters cover the
			// whole window rather than stopping at the previous tick.
			final, cancel := context.WithTimeout(context.Background(), p.client.Timeout)
			record(final)
			cancel()
			return finish(tm, series, lastErr)
		case <-t.C:
		}
	}
}

func finish(tm *results.TargetMetrics, series map[string]*results.MetricSeries, lastErr error) *results.TargetMetrics {
	names := make([]string, 0, len(series))
	for n := range series {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		tm.Series = append(tm.Series, *series[n])
	}
	if len(tm.Samples) == 0 {
		tm.Status = "failed"
		if lastErr == nil {
			lastErr = errors.New("no scrape completed")
		}
		tm.Error = lastErr.Error()
	}
	return tm
}
