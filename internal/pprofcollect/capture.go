package pprofcollect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/pprof/profile"

	"github.com/perfkit/perfkit/internal/results"
)

// Capture defaults.
const (
	DefaultChunkSeconds = 10
	DefaultBudget       = 30 * time.Second
)

// KindAfterDrain is the goroutine snapshot taken once the load stopped; a
// count that stays above the one at the end of the window is a leak sign.
const KindAfterDrain = "goroutine_after_drain"

const (
	// chunkSlack lets the last CPU chunk end this much after End rather
	// than leave a whole second unprofiled for milliseconds of overhead.
	chunkSlack = 250 * time.Millisecond
	// Busy retries start here and double, up to busyBackoffMax, for as
	// long as the window has room for another chunk.
	busyBackoff    = 500 * time.Millisecond
	busyBackoffMax = 4 * time.Second
)

// DefaultKinds are the profiles Capture takes when CaptureConfig.Kinds is
// empty.
func DefaultKinds() []string {
	return []string{"cpu", "allocs", "heap", "goroutine", "mutex", "block"}
}

// CaptureConfig says what to capture and over which window.
type CaptureConfig struct {
	Fetcher *Fetcher
	// Start and End bound the steady window: after warm-up, until the
	// load's duration ends.
	Start, End time.Time
	// ChunkSeconds is the length of one CPU profile, default 10. The last
	// chunk is shortened to fit the window; less than a second is not
	// profiled (net/http/pprof takes whole seconds).
	ChunkSeconds int
	// Completed returns how many requests perfkit has completed so far.
	// It must be monotonic and safe to call from several goroutines; it
	// is read at every window edge.
	Completed func() int64
	// Kinds to capture, default DefaultKinds().
	Kinds []string
	// Budget is the total time non-CPU fetches may take, default 30s.
	Budget time.Duration
	// Now reads the clock for window edges; default time.Now.
	Now func() time.Time
}

func (c CaptureConfig) withDefaults() CaptureConfig {
	if c.ChunkSeconds <= 0 {
		c.ChunkSeconds = DefaultChunkSeconds
	}
	if len(c.Kinds) == 0 {
		c.Kinds = DefaultKinds()
	}
	var kinds []string
	for _, k := range c.Kinds {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	c.Kinds = kinds
	if c.Budget <= 0 {
		c.Budget = DefaultBudget
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Completed == nil {
		c.Completed = func() int64 { return 0 }
	}
	return c
}

// Capture profiles the target over [Start, End] and returns one item per
// attempted profile, whatever became of it. It blocks until End and the
// last CPU chunk has answered. The caller's ctx ends it early; profiles cut
// short are recorded with status error ("canceled").
//
// Before Start, a goroutine snapshot checks the endpoint: when the target
// is unreachable or has no pprof mounted, every kind is recorded with that
// status at once instead of being tried and failing one by one.
func Capture(ctx context.Context, cfg CaptureConfig) []results.Profile {
	cfg = cfg.withDefaults()
	if cfg.Fetcher == nil {
		return cfg.allFailed(results.ProfileError, "no pprof fetcher configured", 0)
	}
	c := &capture{cfg: cfg}
	pre := c.snapshot(ctx, "goroutine")
	// A preflight that timed out predicts the rest: every snapshot would
	// wait out its own timeout and stretch the run well past its load.
	if pre.status == results.ProfileUnreachable || pre.status == results.ProfileNotMounted || pre.status == results.ProfileTimeout {
		return cfg.allFailed(pre.status, "preflight: "+pre.err.Error(), 1)
	}

	byKind := map[string][]results.Profile{}
	var cumulative, atEnd []string
	for _, k := range cfg.Kinds {
		switch {
		case k == "cpu":
		case cumulativeTypes[k] != nil:
			cumulative = append(cumulative, k)
		case k == "heap" || k == "goroutine":
			atEnd = append(atEnd, k)
		default:
			byKind[k] = []results.Profile{{Kind: k, Status: results.ProfileError, WindowStart: cfg.Start, WindowEnd: cfg.End,
				Error: fmt.Sprintf("unknown profile kind %q", k)}}
		}
	}
	if !c.sleepUntil(ctx, cfg.Start) {
		return cfg.allFailed(results.ProfileError, "canceled before the window started", 0)
	}

	var (
		wg  sync.WaitGroup
		cpu []results.Profile
	)
	if slices.Contains(cfg.Kinds, "cpu") {
		// The CPU profile holds its request open for its seconds, so
		// it runs beside the snapshots rather than before them.
		wg.Go(func() { cpu = c.cpuChunks(ctx) })
	}
	for _, it := range c.snapshots(ctx, cumulative, atEnd) {
		byKind[it.Kind] = append(byKind[it.Kind], it)
	}
	wg.Wait()
	byKind["cpu"] = cpu

	var out []results.Profile
	for _, k := range cfg.Kinds {
		out = append(out, byKind[k]...)
	}
	return out
}

// CaptureAfterDrain takes the goroutine snapshot once the load stopped and
// in-flight requests finished (kind KindAfterDrain).
func CaptureAfterDrain(ctx context.Context, f *Fetcher) results.Profile {
	t := time.Now()
	if f == nil {
		return results.Profile{Kind: KindAfterDrain, Status: results.ProfileError, Error: "no pprof fetcher configured", WindowStart: t, WindowEnd: t}
	}
	return newItem(KindAfterDrain, f.fetch(ctx, "goroutine", 0), t, t, 0, 1)
}

// allFailed records every configured kind with one status, for a capture
// that cannot start.
func (c CaptureConfig) allFailed(status, msg string, attempts int) []results.Profile {
	var out []results.Profile
	for _, k := range c.Kinds {
		out = append(out, results.Profile{Kind: k, Status: status, Error: msg, WindowStart: c.Start, WindowEnd: c.End, Attempts: attempts})
	}
	return out
}

type capture struct {
	cfg   CaptureConfig
	spent time.Duration // of cfg.Budget, by snapshot fetches; one goroutine only
}

// cpuChunks takes back-to-back CPU profiles until the window is used up.
// Each chunk starts when the previous one answered, so the chunks' request
// counts add up to the requests of the profiled span.
func (c *capture) cpuChunks(ctx context.Context) []results.Profile {
	var out []results.Profile
	for ctx.Err() == nil {
		secs := c.chunkSeconds()
		if secs < 1 {
			if len(out) == 0 {
				now := c.cfg.Now()
				out = append(out, results.Profile{Kind: "cpu", Status: results.ProfileError, WindowStart: now, WindowEnd: c.cfg.End,
					Error: fmt.Sprintf("window of %s left no room for a CPU profile (whole seconds, at least 1)", c.cfg.End.Sub(c.cfg.Start).Round(time.Millisecond))})
			}
			break
		}
		it, more := c.cpuChunk(ctx, secs)
		out = append(out, it)
		if !more {
			break
		}
	}
	return out
}

func (c *capture) chunkSeconds() int {
	n := int((c.cfg.End.Sub(c.cfg.Now()) + chunkSlack) / time.Second)
	return min(n, c.cfg.ChunkSeconds)
}

// cpuChunk takes one CPU profile of secs seconds, retrying a busy profiler
// with backoff while the window lasts. It reports whether the loop should
// go on: not after the target vanished, nor after the window ran out, nor
// after the target's WriteTimeout cut a profile off or a profile passed the
// download cap (each later chunk would fail the same way, at the target's
// or our cost).
func (c *capture) cpuChunk(ctx context.Context, secs int) (results.Profile, bool) {
	first, firstDone := c.cfg.Now(), c.cfg.Completed()
	backoff := busyBackoff
	for attempt := 1; ; attempt++ {
		start, before := c.cfg.Now(), c.cfg.Completed()
		r := c.cfg.Fetcher.fetch(ctx, "cpu", secs)
		end, after := c.cfg.Now(), c.cfg.Completed()

		if r.status == results.ProfileBusy {
			retryAt := end.Add(backoff)
			backoff = min(2*backoff, busyBackoffMax)
			if retryAt.Add(time.Second-chunkSlack).Before(c.cfg.End) && c.sleepUntil(ctx, retryAt) {
				secs = min(secs, c.chunkSeconds())
				if secs >= 1 {
					continue
				}
			}
			r.err = fmt.Errorf("%w; gave up after %d attempts as the window ended", r.err, attempt)
			return newItem("cpu", r, first, end, after-firstDone, attempt), false
		}
		it := newItem("cpu", r, start, end, after-before, attempt)
		if r.writeTimeout || r.status == results.ProfileOversize {
			// The next chunk would fail alike: an oversize profile
			// costs a full download cap each time.
			return it, false
		}
		switch r.status {
		case results.ProfileUnreachable, results.ProfileNotMounted:
			return it, false
		case results.ProfileError:
			if ctx.Err() != nil {
				return it, false
			}
		}
		// An answer sooner than the chunk's length means the target
		// did not profile (an error page, garbage); wait out the chunk
		// so a broken target gets one request per chunk, not a flood.
		if want := start.Add(time.Duration(secs) * time.Second); end.Before(want) {
			return it, c.sleepUntil(ctx, want)
		}
		return it, true
	}
}

// snapshots takes the cumulative snapshots at the start of the window and
// again at its end, where it also takes heap and goroutine.
func (c *capture) snapshots(ctx context.Context, cumulative, atEnd []string) []results.Profile {
	t0, c0 := c.cfg.Now(), c.cfg.Completed()
	starts := make([]fetched, len(cumulative))
	for i, k := range cumulative {
		starts[i] = c.snapshot(ctx, k)
	}
	if !c.sleepUntil(ctx, c.cfg.End) {
		var out []results.Profile
		for _, k := range slices.Concat(cumulative, atEnd) {
			out = append(out, results.Profile{Kind: k, Status: results.ProfileError, Error: "canceled before the window ended",
				WindowStart: t0, WindowEnd: c.cfg.Now(), Requests: c.cfg.Completed() - c0, Attempts: 1})
		}
		return out
	}
	t1, c1 := c.cfg.Now(), c.cfg.Completed()
	var out []results.Profile
	for i, k := range cumulative {
		out = append(out, deltaItem(k, starts[i], c.snapshot(ctx, k), t0, t1, c1-c0))
	}
	for _, k := range atEnd {
		out = append(out, newItem(k, c.snapshot(ctx, k), t0, c.cfg.Now(), c1-c0, 1))
	}
	return out
}

// snapshot fetches a non-CPU profile within what is left of the budget.
func (c *capture) snapshot(ctx context.Context, kind string) fetched {
	left := c.cfg.Budget - c.spent
	if left <= 0 {
		return fetched{status: results.ProfileTimeout, err: fmt.Errorf("fetch %s: profiling budget of %s used up", kind, c.cfg.Budget)}
	}
	ctx, cancel := context.WithTimeout(ctx, left)
	defer cancel()
	t := time.Now()
	r := c.cfg.Fetcher.fetch(ctx, kind, 0)
	c.spent += time.Since(t)
	if r.status == results.ProfileTimeout && c.spent >= c.cfg.Budget {
		r.err = fmt.Errorf("%w (profiling budget of %s used up)", r.err, c.cfg.Budget)
	}
	return r
}

func (c *capture) sleepUntil(ctx context.Context, t time.Time) bool {
	d := t.Sub(c.cfg.Now())
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// deltaItem turns the snapshots at both window edges into one stored
// delta profile.
func deltaItem(kind string, s0, s1 fetched, t0, t1 time.Time, requests int64) results.Profile {
	it := results.Profile{Kind: kind, WindowStart: t0, WindowEnd: t1, Requests: requests, Attempts: 2, Delta: true}
	for _, s := range []struct {
		edge string
		f    fetched
	}{{"start", s0}, {"end", s1}} {
		if s.f.prof == nil {
			it.Status, it.Error = s.f.status, fmt.Sprintf("%s snapshot: %v", s.edge, s.f.err)
			return it
		}
	}
	d, err := subtract(kind, s0.prof, s1.prof)
	if err != nil {
		it.Status, it.Error = results.ProfileInvalid, err.Error()
		return it
	}
	d.Comments = append(d.Comments, requestsComment(requests, kind+" delta", t1.Sub(t0)))
	var buf bytes.Buffer
	if err := d.Write(&buf); err != nil {
		it.Status, it.Error = results.ProfileError, fmt.Sprintf("encode delta: %v", err)
		return it
	}
	status := results.ProfileOK
	if len(d.Sample) == 0 {
		status = results.ProfileEmpty
	}
	it = newItem(kind, fetched{data: buf.Bytes(), prof: d, status: status}, t0, t1, requests, 2)
	it.Delta = true
	return it
}

func newItem(kind string, r fetched, start, end time.Time, requests int64, attempts int) results.Profile {
	it := results.Profile{Kind: kind, Status: r.status, WindowStart: start, WindowEnd: end, Requests: requests, Attempts: attempts}
	if r.err != nil {
		it.Error = r.err.Error()
	}
	if r.status == results.ProfileEmpty && it.Error == "" {
		it.Error = emptyHint(kind)
	}
	if r.prof != nil {
		it.Data = r.data
		it.SizeBytes = int64(len(r.data))
		sum := sha256.Sum256(r.data)
		it.SHA256 = hex.EncodeToString(sum[:])
		it.SampleRate = sampleRate(r.prof)
	}
	return it
}

func emptyHint(kind string) string {
	switch kind {
	case "mutex":
		return "no samples: mutex profiling is off unless the target calls runtime.SetMutexProfileFraction"
	case "block":
		return "no samples: block profiling is off unless the target calls runtime.SetBlockProfileRate"
	case "cpu":
		return "no samples: the target used no CPU in this window"
	}
	return "no samples"
}

// sampleRate is Hz for a CPU profile (the period is nanoseconds of CPU per
// sample) and bytes per sample for a memory profile.
func sampleRate(p *profile.Profile) int64 {
	if p.PeriodType == nil || p.Period <= 0 {
		return 0
	}
	switch p.PeriodType.Unit {
	case "nanoseconds":
		return int64(time.Second) / p.Period
	case "bytes":
		return p.Period
	}
	return 0
}

// requestsComment is written into derived profiles so that plain go tool
// pprof users see what a profile covers, and so Web can put two of them
// per request.
func requestsComment(requests int64, what string, window time.Duration) string {
	return fmt.Sprintf("%s%d %s window=%s", requestsPrefix, requests, what, window.Round(time.Millisecond))
}

const requestsPrefix = "perfkit: requests="
