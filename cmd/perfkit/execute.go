package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/perfkit/perfkit/internal/loadgen"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/pprofcollect"
	"github.com/perfkit/perfkit/internal/progress"
	"github.com/perfkit/perfkit/internal/results"
	"github.com/perfkit/perfkit/internal/targetmetrics"
)

// execution runs a plan one or more times with live progress on stderr
// and gathers every repetition into one result.
type execution struct {
	plan     *plan.Plan
	streams  streams
	quiet    bool
	count    int
	cooldown time.Duration
	label    string // progress label; the plan's title when empty
	metrics  *targetmetrics.Poller
	profiler *pprofcollect.Fetcher
}

func (x execution) run(ctx context.Context) (*results.Result, error) {
	count := max(x.count, 1)
	var all *results.Result
	for i := range count {
		if i > 0 && x.cooldown > 0 {
			fmt.Fprintf(x.streams.Err, "perfkit: cooling down for %s\n", x.cooldown)
			select {
			case <-ctx.Done():
			case <-time.After(x.cooldown):
			}
		}
		if i > 0 && ctx.Err() != nil {
			// Interrupted between repetitions: what ran is complete and kept.
			all.Runs[len(all.Runs)-1].Status = results.StatusInterrupted
			break
		}
		label := x.label
		if label == "" {
			label = titleOf(x.plan)
		}
		if count > 1 {
			label = fmt.Sprintf("%s · run %d/%d", label, i+1, count)
		}
		res, err := x.once(ctx, label)
		if err != nil {
			return nil, err
		}
		if all == nil {
			all = res
		} else {
			all.Runs = append(all.Runs, res.Runs...)
		}
		if res.Runs[0].Status == results.StatusInterrupted {
			break
		}
	}
	return all, nil
}

// once runs the plan a single time.
func (x execution) once(ctx context.Context, label string) (*results.Result, error) {
	p, s := x.plan, x.streams
	if p.Insecure {
		fmt.Fprintln(s.Err, "perfkit: warning: TLS certificate verification is off (--insecure); the result records it")
	}
	opts := loadgen.Options{Version: perfkitVersion()}
	var pr *progress.Printer
	if !x.quiet {
		pr = progress.New(s.Err, progress.Options{Total: p.TotalDuration(), TTY: s.ErrTTY, Label: label})
		opts.OnTick = pr.Update
	}
	stopTicks := func() {}
	if pr != nil && s.ErrTTY {
		stopTicks = tickProgress(pr, time.Now())
	}
	// Side captures run beside the load on their own clients and end when
	// it does; they never fail the run.
	sideCtx, stopSide := context.WithCancel(context.Background())
	defer stopSide()
	var side sync.WaitGroup
	var metrics *results.TargetMetrics
	var profiles []results.Profile
	var capture sync.WaitGroup
	opts.OnStart = func(base time.Time, completed func() int64) {
		if x.metrics != nil {
			side.Go(func() { metrics = x.metrics.Run(sideCtx, metricsEvery) })
		}
		if x.profiler != nil {
			// The capture follows the load's own window and ends with
			// it, or early when the run is interrupted.
			capture.Go(func() {
				profiles = pprofcollect.Capture(ctx, pprofcollect.CaptureConfig{
					Fetcher:      x.profiler,
					Start:        base.Add(p.Warmup),
					End:          base.Add(p.TotalDuration()),
					ChunkSeconds: int(p.Profile.Chunk / time.Second),
					Completed:    completed,
				})
			})
		}
	}
	res, err := loadgen.Run(ctx, p, opts)
	stopSide()
	side.Wait()
	capture.Wait()
	if x.profiler != nil && err == nil {
		drainCtx, cancel := context.WithTimeout(context.Background(), afterDrainTimeout)
		profiles = append(profiles, pprofcollect.CaptureAfterDrain(drainCtx, x.profiler))
		cancel()
	}
	stopTicks()
	if pr != nil {
		pr.Done()
	}
	if err != nil {
		return nil, failureError(err)
	}
	res.Runs[0].Target = metrics
	res.Runs[0].Profiles = profiles
	return res, nil
}

// afterDrainTimeout bounds the goroutine snapshot taken after the load
// stopped: a target that no longer answers must not hold the result back.
const afterDrainTimeout = 10 * time.Second

// metricsEvery is how often --metrics is scraped: the timeline's
// resolution, so cost per request can be read per interval.
const metricsEvery = time.Second
