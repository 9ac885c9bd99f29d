package demo

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults for zero Options fields.
const (
	DefaultCustomers = 200
	DefaultSeed      = 1
)

// shutdownGrace bounds how long Close waits for in-flight requests (a
// running CPU profile, say) before it drops their connections.
const shutdownGrace = 5 * time.Second

// Options configures a Server. The zero value is a usable N+1 service.
type Options struct {
	Mode         Mode
	Cache        bool          // batched mode: cache customer order lists
	QueryCPU     int           // burn iterations per query; <= 0 means DefaultQueryCPU
	QueryLatency time.Duration // per query round trip; 0 = none
	Customers    int           // <= 0 means DefaultCustomers
	Seed         int64         // 0 means DefaultSeed
}

// setDefaults returns a copy of o with zero fields replaced by defaults.
func (o Options) setDefaults() Options {
	if o.QueryCPU <= 0 {
		o.QueryCPU = DefaultQueryCPU
	}
	if o.Customers <= 0 {
		o.Customers = DefaultCustomers
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	return o
}

// modeConfig is swapped as one value so a request never sees the mode of
// one SetMode call with the cache flag of another.
type modeConfig struct {
	mode  Mode
	cache bool
}

// Server is the demo orders service. It is safe for concurrent use.
type Server struct {
	db      *DB
	cache   *orderCache
	config  atomic.Pointer[modeConfig]
	routes  map[string]*routeCounters // fixed at New; values are atomic
	handler http.Handler

	mu       sync.Mutex // guards the listener lifecycle below
	srv      *http.Server
	serveErr chan error
	closed   bool
}

// New returns a Server with its database seeded from opts.Seed. It panics
// if opts.Mode is not a defined Mode, which is a programming error.
func New(opts Options) *Server {
	opts = opts.setDefaults()
	s := &Server{
		db:    newDB(opts.Customers, opts.Seed, opts.QueryCPU, opts.QueryLatency),
		cache: newOrderCache(cacheCapacity),
	}
	s.SetMode(opts.Mode, opts.Cache)
	s.handler = s.routesMux()
	return s
}

// Handler returns the service's routes, including /debug/pprof/.
func (s *Server) Handler() http.Handler {
	return s.handler
}

// SetMode switches how customer orders are loaded; requests already running
// finish in the mode they started in. The cache applies to ModeBatched only
// and is ignored in ModeNPlus1. Every switch empties the cache so a run that
// follows starts cold. SetMode panics if m is not a defined Mode.
func (s *Server) SetMode(m Mode, cache bool) {
	if !m.valid() {
		panic(fmt.Sprintf("demo: SetMode with invalid mode %v", m))
	}
	s.config.Store(&modeConfig{mode: m, cache: cache && m == ModeBatched})
	s.cache.clear()
}

// CustomerIDs returns the seeded customers' IDs in ascending order, for
// building load plans.
func (s *Server) CustomerIDs() []int {
	return s.db.customers()
}

// Start listens on 127.0.0.1 on a free port and serves until Close. It
// returns the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) Start() (baseURL string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", errors.New("start demo server: server is closed")
	}
	if s.srv != nil {
		return "", errors.New("start demo server: already started")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("start demo server: %w", err)
	}
	// No WriteTimeout: pprof refuses a profile longer than it, and the
	// demo profiles for as long as a load run lasts.
	s.srv = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	s.serveErr = make(chan error, 1)
	go func(srv *http.Server, errc chan<- error) {
		errc <- srv.Serve(ln)
	}(s.srv, s.serveErr)
	return "http://" + ln.Addr().String(), nil
}

// Close stops a started server, waiting up to a few seconds for in-flight
// requests. It is safe to call more than once and without Start.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.srv == nil {
		s.closed = true
		return nil
	}
	s.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	var errs []error
	if err := s.srv.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("shut down demo server: %w", err))
		if err := s.srv.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close demo server: %w", err))
		}
	}
	if err := <-s.serveErr; !errors.Is(err, http.ErrServerClosed) {
		errs = append(errs, fmt.Errorf("serve demo: %w", err))
	}
	return errors.Join(errs...)
}
