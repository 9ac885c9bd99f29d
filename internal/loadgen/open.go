package loadgen

import (
	"sync"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/results"
)

type job struct {
	intended time.Duration
	ep       int
}

// worker is one VU of the open model's pool.
type worker struct {
	jobs chan job
	conn client.Conn
}

// pool hands due requests to idle VUs, most recently idle first, so a run
// keeps only as many connections warm as its concurrency needs.
type pool struct {
	e       *engine
	mu      sync.Mutex
	idle    []*worker
	all     []*worker
	max     int
	wg      sync.WaitGroup
	dropped *results.Shard
}

// dispatch gives j to an idle VU, starting a new one while under the
// bound; with none free the request is counted as dropped, never queued,
// because queueing would hide the overload in the generator.
func (p *pool) dispatch(j job) bool {
	p.mu.Lock()
	var w *worker
	if n := len(p.idle); n > 0 {
		w = p.idle[n-1]
		p.idle = p.idle[:n-1]
	} else if len(p.all) < p.max {
		w = &worker{jobs: make(chan job, 1)}
		idx := len(p.all)
		p.all = append(p.all, w)
		p.wg.Go(func() { p.loop(idx, w) })
	}
	p.mu.Unlock()
	if w == nil {
		return false
	}
	w.jobs <- j
	return true
}

func (p *pool) loop(idx int, w *worker) {
	shard := p.e.coll.Shard(idx)
	var out client.Outcome
	var s results.Sample
	for j := range w.jobs {
		if w.conn == nil {
			w.conn = p.e.newConn()
		}
		p.e.do(w.conn, shard, j.ep, j.intended, &out, &s)
		p.mu.Lock()
		p.idle = append(p.idle, w)
		p.mu.Unlock()
	}
}

func (p *pool) close() {
	p.mu.Lock()
	for _, w := range p.all {
		close(w.jobs)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// runOpen sends requests at their intended times: the scheduler computes
// each send time from the rate profile, sleeps until the next one is due,
// then dispatches every request that is due. Go's timers wake with about a
// millisecond of granularity, so requests go out in small batches; latency
// is measured from each request's own intended time, so the batching shows
// up as send lag, never as hidden latency.
func (e *engine) runOpen() {
	p := e.plan
	r := newRamp(p.Rate, p.Stages, e.total)
	arr := newArrivals(r)
	pl := &pool{e: e, max: p.MaxVUs, dropped: e.coll.Shard(0)}
	defer pl.close()
	state := seed(-1)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		t, ok := arr.Next()
		if !ok {
			return
		}
		if d := t - time.Since(e.base); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-e.stopNew:
				e.dropLate(arr, t, pl.dropped)
				return
			}
		} else if e.stopping.Load() {
			// Behind schedule at the stop: requests that were due before
			// it were never sent, and are counted as dropped.
			e.dropLate(arr, t, pl.dropped)
			return
		}
		if !pl.dispatch(job{intended: t, ep: e.picker.pick(&state)}) {
			pl.dropped.Drop()
		}
	}
}

// dropLate counts as dropped the request due at t and every later one due
// before the moment new requests stopped: a scheduler that fell behind
// must not lose them silently.
func (e *engine) dropLate(arr *arrivals, t time.Duration, shard *results.Shard) {
	stopped := time.Duration(e.stoppedAt.Load())
	var n int64
	for ok := true; ok && t < stopped; t, ok = arr.Next() {
		n++
	}
	shard.DropN(n)
}
