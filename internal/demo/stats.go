package demo

import (
	"net/http"
	"sync/atomic"
	"time"
)

// Stats is a snapshot of what the server has done since New. Counters are
// cumulative; subtract two snapshots to measure one run.
type Stats struct {
	Mode  Mode
	Cache bool // effective: always false in ModeNPlus1

	// Routes is keyed by route pattern, e.g. "GET /api/orders/{id}"; every
	// instrumented route is present even before its first request. The
	// pprof handlers are not instrumented.
	Routes map[string]RouteStats

	Queries      int64 // queries the database executed
	CacheHits    int64
	CacheMisses  int64
	CacheEntries int // customers currently cached
}

// RouteStats counts one route's requests and the time the server spent on
// them, from the handler's start to its return.
type RouteStats struct {
	Requests    int64
	ServiceTime time.Duration // summed over Requests
}

// Requests returns the number of requests served over all routes.
func (st Stats) Requests() int64 {
	var n int64
	for _, r := range st.Routes {
		n += r.Requests
	}
	return n
}

// Stats returns a snapshot of the server's counters. Counters are read one by
// one without a global pause, so a snapshot taken under load may be off by
// the requests in flight.
func (s *Server) Stats() Stats {
	cfg := s.config.Load()
	hits, misses := s.cache.counts()
	st := Stats{
		Mode:         cfg.mode,
		Cache:        cfg.cache,
		Routes:       make(map[string]RouteStats, len(s.routes)),
		Queries:      s.db.queries.Load(),
		CacheHits:    hits,
		CacheMisses:  misses,
		CacheEntries: s.cache.size(),
	}
	for pattern, c := range s.routes {
		st.Routes[pattern] = RouteStats{
			Requests:    c.requests.Load(),
			ServiceTime: time.Duration(c.serviceNanos.Load()),
		}
	}
	return st
}

type routeCounters struct {
	requests     atomic.Int64
	serviceNanos atomic.Int64
}

// instrument counts h's requests and service time under pattern. It must be
// called before the server is shared: s.routes is not locked.
func (s *Server) instrument(pattern string, h http.HandlerFunc) http.Handler {
	c := &routeCounters{}
	s.routes[pattern] = c
	return &routeHandler{counters: c, next: h}
}

// routeHandler is a named type rather than a closure so that profiles show
// it as (*routeHandler).ServeHTTP above the route's own handler.
type routeHandler struct {
	counters *routeCounters
	next     http.HandlerFunc
}

func (h *routeHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	h.next(w, r)
	h.counters.serviceNanos.Add(int64(time.Since(start)))
	h.counters.requests.Add(1)
}
