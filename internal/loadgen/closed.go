package loadgen

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/results"
)

// rampStep is how often the closed model re-reads its VU target while
// ramping; VU counts are whole numbers, so finer steps change nothing a
// user could see at realistic ramp speeds.
const rampStep = 50 * time.Millisecond

// A closed-model VU pauses after a request that failed before a connection
// existed (refused, unresolvable, TLS handshake or proxy CONNECT rejected): without a pause it
// retries at dial speed, ~15,000 times a second per VU on loopback, burning
// the generator's CPU and flooding the result with attempts no user would
// make. The pause doubles from minBackoff to maxBackoff and ends at the first
// request that gets a connection; maxBackoff keeps recovery visible within a
// tenth of a second.
const (
	minBackoff = time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

// connectFailed reports the kinds that mean no connection was established.
func connectFailed(k results.ErrKind) bool {
	return k == results.KindConnRefused || k == results.KindDNS || k == results.KindTLS || k == results.KindProxy
}

// nextBackoff is the pause after one more connection failure in a row.
func nextBackoff(prev time.Duration) time.Duration {
	if prev == 0 {
		return minBackoff
	}
	return min(2*prev, maxBackoff)
}

// runClosed runs virtual users, each looping request → response → think
// time. With stages, a controller moves the number of active VUs along the
// ramp; VUs above the target park until it rises again.
func (e *engine) runClosed() {
	p := e.plan
	r := newRamp(float64(p.VUs), p.Stages, e.total)
	peak := int(math.Ceil(r.Peak()))
	var target atomic.Int64
	target.Store(int64(math.Round(r.At(0))))

	var mu sync.Mutex
	changed := make(chan struct{}) // closed and replaced whenever target changes
	wait := func() <-chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		return changed
	}

	var wg sync.WaitGroup
	for i := range peak {
		wg.Go(func() { e.vu(i, &target, wait) })
	}
	if len(p.Stages) > 0 {
		t := time.NewTicker(rampStep)
		defer t.Stop()
	loop:
		for {
			select {
			case <-e.stopNew:
				break loop
			case <-t.C:
				n := int64(math.Round(r.At(time.Since(e.base))))
				if n != target.Load() {
					target.Store(n)
					mu.Lock()
					close(changed)
					changed = make(chan struct{})
					mu.Unlock()
				}
			}
		}
	}
	wg.Wait()
}

func (e *engine) vu(i int, target *atomic.Int64, wait func() <-chan struct{}) {
	var conn client.Conn
	shard := e.coll.Shard(i)
	state := seed(i)
	var out client.Outcome
	var s results.Sample
	think := e.plan.ThinkTime
	var backoff time.Duration
	var pauseTimer *time.Timer
	for !e.stopping.Load() {
		if int64(i) >= target.Load() {
			select {
			case <-wait():
			case <-e.stopNew:
			}
			continue
		}
		if conn == nil {
			conn = e.newConn()
		}
		e.do(conn, shard, e.picker.pick(&state), -1, &out, &s)
		pause := think
		if connectFailed(out.Kind) {
			backoff = nextBackoff(backoff)
			pause = max(pause, backoff)
			e.backoffs.Add(1)
		} else {
			backoff = 0
		}
		if pause > 0 && !e.stopping.Load() {
			if pauseTimer == nil {
				pauseTimer = time.NewTimer(pause)
			} else {
				pauseTimer.Reset(pause)
			}
			select {
			case <-pauseTimer.C:
			case <-e.stopNew:
			}
		}
	}
}
