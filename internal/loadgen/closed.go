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
	var thinkTimer *time.Timer
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
		if think > 0 && !e.stopping.Load() {
			if thinkTimer == nil {
				thinkTimer = time.NewTimer(think)
			} else {
				thinkTimer.Reset(think)
			}
			select {
			case <-thinkTimer.C:
			case <-e.stopNew:
			}
		}
	}
}
