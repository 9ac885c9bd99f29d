package demo

import (
	"fmt"
	"net/http/httptest"
	"testing"
)

// BenchmarkCustomerOrders measures one GET of a 20-order customer's list in
// each configuration, through the handler (routing, queries, JSON) without
// the network, at the default per-query cost.
func BenchmarkCustomerOrders(b *testing.B) {
	s := New(Options{})
	customer := customerWithOrders(b, s, 20)
	h := s.Handler()
	target := fmt.Sprintf("/api/customers/%d/orders", customer)
	configs := []struct {
		name  string
		mode  Mode
		cache bool
	}{
		{"n+1", ModeNPlus1, false},
		{"batched", ModeBatched, false},
		{"batched+cache", ModeBatched, true},
	}
	for _, cfg := range configs {
		b.Run(cfg.name, func(b *testing.B) {
			s.SetMode(cfg.mode, cfg.cache)
			queries := s.Stats().Queries
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
				if rec.Code != 200 {
					b.Fatalf("status: got %d, want 200", rec.Code)
				}
			}
			b.ReportMetric(float64(s.Stats().Queries-queries)/float64(b.N), "queries/op")
		})
	}
}

func customerWithOrders(tb testing.TB, s *Server, n int) int {
	tb.Helper()
	for _, id := range s.CustomerIDs() {
		s.db.mu.RLock()
		count := len(s.db.byCustomer[id])
		s.db.mu.RUnlock()
		if count == n {
			return id
		}
	}
	tb.Fatalf("no customer with %d orders", n)
	return 0
}
