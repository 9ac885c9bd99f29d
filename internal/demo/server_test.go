package demo

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestQueriesPerRequest(t *testing.T) {
	s, ts := newTestServer(t, Options{Customers: 10})
	tests := []struct {
		name  string
		mode  Mode
		cache bool
		// want returns the queries the nth request (from 1) for a
		// customer with orders orders must issue.
		want func(nth, orders int) int64
	}{
		{"n+1", ModeNPlus1, false, func(_, orders int) int64 { return 1 + int64(orders) }},
		{"batched", ModeBatched, false, func(int, int) int64 { return 2 }},
		{"batched+cache", ModeBatched, true, func(nth, _ int) int64 {
			if nth == 1 {
				return 2
			}
			return 0
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s.SetMode(tt.mode, tt.cache)
			for _, customer := range []int{1, 7} {
				for nth := 1; nth <= 2; nth++ {
					before := s.Stats().Queries
					status, body := do(t, ts.Client(), "GET", fmt.Sprintf("%s/api/customers/%d/orders", ts.URL, customer), nil)
					if status != 200 {
						t.Fatalf("customer %d: got status %d, want 200", customer, status)
					}
					orders := len(decode[CustomerOrders](t, body).Orders)
					if got, want := s.Stats().Queries-before, tt.want(nth, orders); got != want {
						t.Errorf("customer %d (%d orders) request %d: got %d queries, want %d", customer, orders, nth, got, want)
					}
				}
			}
		})
	}
}

func TestResponsesIdenticalAcrossModes(t *testing.T) {
	s, ts := newTestServer(t, Options{Customers: 20})
	configs := []struct {
		mode  Mode
		cache bool
	}{
		{ModeNPlus1, false},
		{ModeBatched, false},
		{ModeBatched, true},
	}
	for _, customer := range []int{1, 2, 13, 20} {
		url := fmt.Sprintf("%s/api/customers/%d/orders", ts.URL, customer)
		var want []byte
		for _, cfg := range configs {
			s.SetMode(cfg.mode, cfg.cache)
			// Twice, so the cached configuration answers from its cache.
			for range 2 {
				status, got := do(t, ts.Client(), "GET", url, nil)
				if status != 200 {
					t.Fatalf("customer %d %v cache=%v: got status %d, want 200", customer, cfg.mode, cfg.cache, status)
				}
				if want == nil {
					want = got
				}
				if !bytes.Equal(got, want) {
					t.Errorf("customer %d %v cache=%v: got %s, want %s", customer, cfg.mode, cfg.cache, truncate(got), truncate(want))
				}
			}
		}
	}
}

func TestSeedIsDeterministic(t *testing.T) {
	tests := []struct {
		name      string
		a, b      Options
		wantEqual bool
	}{
		{"same seed", Options{Seed: 5}, Options{Seed: 5}, true},
		{"zero is the default seed", Options{}, Options{Seed: DefaultSeed}, true},
		{"other seed", Options{Seed: 5}, Options{Seed: 6}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(Options{QueryCPU: testQueryCPU, Customers: 3, Seed: tt.a.Seed})
			b := New(Options{QueryCPU: testQueryCPU, Customers: 3, Seed: tt.b.Seed})
			ra, _ := a.loadCustomerOrders(2)
			rb, _ := b.loadCustomerOrders(2)
			if got := reflect.DeepEqual(ra, rb); got != tt.wantEqual {
				t.Errorf("orders equal: got %v, want %v", got, tt.wantEqual)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	s := New(Options{QueryCPU: testQueryCPU})
	ids := s.CustomerIDs()
	if got, want := len(ids), DefaultCustomers; got != want {
		t.Fatalf("customers: got %d, want %d", got, want)
	}
	if ids[0] != 1 || ids[len(ids)-1] != DefaultCustomers {
		t.Errorf("customer IDs: got %d..%d, want 1..%d", ids[0], ids[len(ids)-1], DefaultCustomers)
	}
	st := s.Stats()
	if st.Mode != ModeNPlus1 || st.Cache {
		t.Errorf("mode: got %v cache=%v, want n+1 cache=false", st.Mode, st.Cache)
	}
	if got := (Options{}).setDefaults(); got.QueryCPU != DefaultQueryCPU || got.Seed != DefaultSeed || got.QueryLatency != 0 {
		t.Errorf("setDefaults: got %+v, want QueryCPU %d, Seed %d, no latency", got, DefaultQueryCPU, DefaultSeed)
	}
	// The data set is the lesson: about 20 orders of 1 to 5 items each.
	var orders, items int
	for _, id := range ids {
		list, _ := s.loadCustomerOrders(id)
		if len(list) < 16 || len(list) > 24 {
			t.Errorf("customer %d: got %d orders, want 16 to 24", id, len(list))
		}
		orders += len(list)
		for _, o := range list {
			if len(o.Items) < 1 || len(o.Items) > 5 {
				t.Errorf("order %d: got %d items, want 1 to 5", o.ID, len(o.Items))
			}
			items += len(o.Items)
		}
	}
	if mean := float64(orders) / float64(len(ids)); mean < 19 || mean > 21 {
		t.Errorf("mean orders per customer: got %.1f, want about 20", mean)
	}
}

func TestStats(t *testing.T) {
	s, ts := newTestServer(t, Options{Customers: 2, Mode: ModeBatched, Cache: true})
	c := ts.Client()
	do(t, c, "GET", ts.URL+"/healthz", nil)
	do(t, c, "GET", ts.URL+"/api/customers/1/orders", nil)
	do(t, c, "GET", ts.URL+"/api/customers/1/orders", nil)
	do(t, c, "GET", ts.URL+"/api/customers/9/orders", nil)
	do(t, c, "GET", ts.URL+"/api/orders/1", nil)
	do(t, c, "GET", ts.URL+"/debug/pprof/cmdline", nil)

	st := s.Stats()
	wantRequests := map[string]int64{
		RouteHealth:         1,
		RouteCustomerOrders: 3,
		RouteGetOrder:       1,
		RouteCreateOrder:    0,
		RouteSetMode:        0,
	}
	gotRequests := make(map[string]int64, len(st.Routes))
	for pattern, r := range st.Routes {
		gotRequests[pattern] = r.Requests
		if r.Requests > 0 && r.ServiceTime <= 0 {
			t.Errorf("%s: got service time %v for %d requests, want > 0", pattern, r.ServiceTime, r.Requests)
		}
	}
	if !reflect.DeepEqual(gotRequests, wantRequests) {
		t.Errorf("requests by route: got %v, want %v", gotRequests, wantRequests)
	}
	if got, want := st.Requests(), int64(5); got != want {
		t.Errorf("total requests: got %d, want %d", got, want)
	}
	// Miss then hit for customer 1; customer 9 misses and does not exist.
	got := fmt.Sprintf("queries=%d hits=%d misses=%d entries=%d", st.Queries, st.CacheHits, st.CacheMisses, st.CacheEntries)
	if want := "queries=5 hits=1 misses=2 entries=1"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestStartServesAndClose(t *testing.T) {
	s := New(Options{QueryCPU: testQueryCPU, Customers: 2})
	if err := s.Close(); err != nil {
		t.Fatalf("close before start: %v", err)
	}
	s = New(Options{QueryCPU: testQueryCPU, Customers: 2})
	base, err := s.Start()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL: got %q, want http://127.0.0.1:PORT", base)
	}
	if _, err := s.Start(); err == nil {
		t.Errorf("second start: got nil error, want one")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	status, body := do(t, client, "GET", base+"/healthz", nil)
	if status != 200 {
		t.Errorf("healthz: got %d %s, want 200", status, body)
	}
	client.CloseIdleConnections()
	if err := s.Close(); err != nil {
		t.Errorf("close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
	if _, err := client.Get(base + "/healthz"); err == nil {
		t.Errorf("healthz after close: got nil error, want connection refused")
	}
	if _, err := s.Start(); err == nil {
		t.Errorf("start after close: got nil error, want one")
	}
}

func TestPprof(t *testing.T) {
	s := New(Options{QueryCPU: testQueryCPU, Customers: 2})
	base, err := s.Start()
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	client := &http.Client{Timeout: 20 * time.Second}
	t.Cleanup(client.CloseIdleConnections)

	tests := []struct {
		path       string
		wantInBody string
	}{
		{"/debug/pprof/", "Types of profiles available"},
		{"/debug/pprof/cmdline", ""},
		{"/debug/pprof/heap?debug=1", "heap profile"},
		{"/debug/pprof/goroutine?debug=1", "goroutine profile"},
	}
	for _, tt := range tests {
		status, body := do(t, client, "GET", base+tt.path, nil)
		if status != 200 {
			t.Errorf("GET %s: got status %d, want 200", tt.path, status)
		}
		if !bytes.Contains(body, []byte(tt.wantInBody)) {
			t.Errorf("GET %s: got %s, want it to contain %q", tt.path, truncate(body), tt.wantInBody)
		}
	}

	status, body := do(t, client, "GET", base+"/debug/pprof/profile?seconds=1", nil)
	if status != 200 {
		t.Fatalf("cpu profile: got status %d, want 200 (body %s)", status, truncate(body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("cpu profile: not gzip: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("cpu profile: bad gzip stream: %v", err)
	}
	if len(raw) == 0 {
		t.Errorf("cpu profile: got an empty profile, want a protobuf")
	}
}

func TestConcurrentRequests(t *testing.T) {
	const (
		workers   = 4
		perWorker = 75
	)
	s, ts := newTestServer(t, Options{Customers: 8, Mode: ModeBatched, Cache: true})
	client := ts.Client()
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Go(func() {
			for i := range perWorker {
				customer := 1 + (w+i)%8
				var status, want int
				switch i % 5 {
				case 0:
					body := fmt.Sprintf(`{"customer_id":%d,"items":[{"sku":"w%d","qty":1,"price_cents":%d}]}`, customer, w, i)
					status, want = post(client, ts.URL+"/api/orders", body), 201
				case 1:
					// Switch modes under load; every mode must answer alike.
					modes := []string{"n%2B1", "batched", "batched&cache=true"}
					status, want = post(client, ts.URL+"/admin/mode?m="+modes[(w+i)%3], ""), 200
				default:
					status, want = get(client, fmt.Sprintf("%s/api/customers/%d/orders", ts.URL, customer)), 200
				}
				if status != want {
					errs <- fmt.Errorf("worker %d request %d: got status %d, want %d", w, i, status, want)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	if got, want := s.Stats().Requests(), int64(workers*perWorker); got != want {
		t.Errorf("requests served: got %d, want %d", got, want)
	}
	// Every order posted under load is in the database, and whatever the
	// cache still holds matches it: no list read before an insert was
	// cached after that insert's invalidation.
	var created int
	for customer := 1; customer <= 8; customer++ {
		rows, _ := s.db.queryOrdersByCustomer(customer)
		fresh := loadItemsBatched(s.db, rows)
		for _, o := range fresh {
			if strings.HasPrefix(o.Items[0].SKU, "w") {
				created++
			}
		}
		if cached, _, ok := s.cache.get(customer); ok && !reflect.DeepEqual(cached, fresh) {
			t.Errorf("customer %d: cache holds %d orders, database %d", customer, len(cached), len(fresh))
		}
	}
	if want := workers * perWorker / 5; created != want {
		t.Errorf("orders created under load: got %d, want %d", created, want)
	}
}

func get(c *http.Client, url string) int {
	resp, err := c.Get(url)
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

func post(c *http.Client, url, body string) int {
	resp, err := c.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// TestQueryLatency checks that each query waits its round trip. Sleep
// guarantees a lower bound only, so only the lower bound is asserted.
func TestQueryLatency(t *testing.T) {
	const latency = time.Millisecond
	s, ts := newTestServer(t, Options{Customers: 1, QueryLatency: latency})
	status, body := do(t, ts.Client(), "GET", ts.URL+"/api/customers/1/orders", nil)
	if status != 200 {
		t.Fatalf("got status %d, want 200", status)
	}
	queries := 1 + len(decode[CustomerOrders](t, body).Orders)
	got := s.Stats().Routes[RouteCustomerOrders].ServiceTime
	if want := time.Duration(queries) * latency; got < want {
		t.Errorf("service time for %d queries: got %v, want at least %v", queries, got, want)
	}
}
