package progress

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// snap builds the snapshot of the one-second interval ending at second sec.
func snap(sec int, requests, errs int64, p50, p99 time.Duration, totalReq, totalErr, vus int64) results.Snapshot {
	return results.Snapshot{
		Elapsed: time.Duration(sec) * time.Second, Interval: time.Second,
		Requests: requests, Errors: errs, P50: p50, P99: p99,
		TotalRequests: totalReq, TotalErrors: totalErr, ActiveVUs: vus,
	}
}

func TestTTY(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{Total: 30 * time.Second, TTY: true, Label: "checkout"})
	p.Update(snap(1, 1234, 0, 1200*time.Microsecond, 8400*time.Microsecond, 1234, 0, 50))
	p.Update(snap(12, 1500, 4, 812*time.Microsecond, 12300*time.Microsecond, 20000, 4, 50))
	p.Update(snap(13, 0, 0, 0, 0, 20000, 4, 50))
	dropped := snap(31, 900, 0, 2*time.Millisecond, 3*time.Millisecond, 36000, 4, 2)
	dropped.TotalDropped = 7
	p.Update(dropped)
	// The final tick of a run may close a zero-width interval: the line
	// keeps the last measured rate and percentiles.
	last := dropped
	last.Interval, last.Elapsed = 0, 31200*time.Millisecond
	p.Update(last)
	p.Done()
	p.Done()
	p.Update(snap(40, 1, 1, 1, 1, 1, 1, 1))

	want := "\r[>                   ] 1s/30s  checkout  1,234 req/s  p50 1.20ms  p99 8.40ms  errors 0  vus 50\x1b[K" +
		"\r[========>           ] 12s/30s  checkout  1,500 req/s  p50 812µs  p99 12.3ms  errors 4 (0.02%)  vus 50\x1b[K" +
		"\r[========>           ] 13s/30s  checkout  0 req/s  p50 —  p99 —  errors 4 (0.02%)  vus 50\x1b[K" +
		"\r[====================] 31s/30s  checkout  900 req/s  p50 2.00ms  p99 3.00ms  errors 4 (0.01%)  vus 2  dropped 7\x1b[K" +
		"\r[====================] 31s/30s  checkout  900 req/s  p50 2.00ms  p99 3.00ms  errors 4 (0.01%)  vus 2  dropped 7\x1b[K" +
		"\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestTTYUnknownTotal(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{TTY: true})
	p.Update(snap(75, 10, 0, time.Millisecond, 2*time.Millisecond, 750, 0, 1))
	p.Done()
	want := "\r1m15s  10.0 req/s  p50 1.00ms  p99 2.00ms  errors 0  vus 1\x1b[K\n"
	if got := buf.String(); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestPlain(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{Total: 5 * time.Second, Every: 2 * time.Second})
	p.Update(snap(1, 100, 0, time.Millisecond, 5*time.Millisecond, 100, 0, 10))
	p.Update(snap(2, 300, 1, time.Millisecond, 3*time.Millisecond, 400, 1, 10))
	p.Update(snap(3, 0, 0, 0, 0, 400, 1, 10))
	p.Update(snap(4, 0, 0, 0, 0, 400, 1, 10))
	p.Update(snap(5, 50, 0, time.Millisecond, 2500*time.Microsecond, 450, 1, 0))
	p.Done()
	p.Done()

	// 2s: 400 requests over two intervals, p99 the larger of 5ms and 3ms;
	// 4s: two empty intervals; Done flushes the fifth second.
	want := "2s/5s  200 req/s  p99 5.00ms  errors 1 (0.25%)  vus 10\n" +
		"4s/5s  0 req/s  p99 —  errors 1 (0.25%)  vus 10\n" +
		"5s/5s  50.0 req/s  p99 2.50ms  errors 1 (0.22%)  vus 0\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestPlainDefaultEveryAndLabel(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{Label: "smoke"})
	for sec := 1; sec <= 10; sec++ {
		p.Update(snap(sec, 10, 0, time.Millisecond, time.Millisecond, int64(10*sec), 0, 1))
	}
	// The run's last tick closes a zero-width interval: nothing to flush.
	p.Update(results.Snapshot{Elapsed: 10 * time.Second, TotalRequests: 100, ActiveVUs: 0})
	p.Done()
	want := "5s  smoke  10.0 req/s  p99 1.00ms  errors 0  vus 1\n" +
		"10s  smoke  10.0 req/s  p99 1.00ms  errors 0  vus 1\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestDoneWithoutUpdates(t *testing.T) {
	for _, tty := range []bool{true, false} {
		var buf bytes.Buffer
		p := New(&buf, Options{TTY: tty})
		p.Done()
		if buf.Len() != 0 {
			t.Errorf("TTY %v: got %q, want no output", tty, buf.String())
		}
	}
}

type failWriter struct{ calls int }

func (f *failWriter) Write([]byte) (int, error) {
	f.calls++
	return 0, os.ErrClosed
}

func TestWriteErrorSilences(t *testing.T) {
	w := &failWriter{}
	p := New(w, Options{TTY: true})
	p.Update(snap(1, 1, 0, 1, 1, 1, 0, 1))
	p.Update(snap(2, 1, 0, 1, 1, 2, 0, 1))
	p.Done()
	if !errors.Is(p.Err(), os.ErrClosed) {
		t.Errorf("got %v, want %v", p.Err(), os.ErrClosed)
	}
	if w.calls != 1 {
		t.Errorf("got %d writes, want 1", w.calls)
	}
}

// TestConcurrentDone runs the engine's ticker and the command's Done at
// once, as Ctrl-C does; under -race it checks the locking.
func TestConcurrentDone(t *testing.T) {
	var buf lockedBuffer
	p := New(&buf, Options{TTY: true, Total: time.Minute})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for sec := 1; sec <= 200; sec++ {
			p.Update(snap(sec, 10, 0, time.Millisecond, time.Millisecond, int64(10*sec), 0, 1))
		}
	}()
	p.Done()
	wg.Wait()
	out := buf.String()
	if out != "" && !strings.HasSuffix(out, "\n") {
		t.Errorf("got output ending %q, want it to end with a newline", out[max(0, len(out)-20):])
	}
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestBar(t *testing.T) {
	cases := []struct {
		elapsed, total time.Duration
		want           string
	}{
		{0, 10 * time.Second, "[>                   ]"},
		{5 * time.Second, 10 * time.Second, "[==========>         ]"},
		{9999 * time.Millisecond, 10 * time.Second, "[===================>]"},
		{10 * time.Second, 10 * time.Second, "[====================]"},
		{12 * time.Second, 10 * time.Second, "[====================]"},
	}
	for _, c := range cases {
		if got := bar(c.elapsed, c.total); got != c.want {
			t.Errorf("bar(%v, %v) = %q, want %q", c.elapsed, c.total, got, c.want)
		}
	}
}

func TestClock(t *testing.T) {
	cases := []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{1499 * time.Millisecond, "1s"},
		{59 * time.Second, "59s"},
		{65 * time.Second, "1m05s"},
		{time.Hour + 2*time.Minute + 3*time.Second, "1h02m03s"},
	}
	for _, c := range cases {
		if got := clock(c.d); got != c.want {
			t.Errorf("clock(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

func TestTickMovesTheClockOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, Options{Total: 10 * time.Second, TTY: true})
	p.Tick(500 * time.Millisecond) // before any snapshot: nothing to redraw
	if buf.Len() != 0 {
		t.Fatalf("drew before the first snapshot: %q", buf.String())
	}
	p.Update(results.Snapshot{Elapsed: time.Second, Interval: time.Second, Requests: 10, TotalRequests: 10})
	p.Tick(3 * time.Second)
	if got := buf.String(); !strings.Contains(got, "3s/10s") {
		t.Fatalf("after Tick(3s): got %q, want the clock at 3s/10s", got)
	}
	var plain bytes.Buffer
	q := New(&plain, Options{Total: 10 * time.Second})
	q.Update(results.Snapshot{Elapsed: time.Second, Interval: time.Second})
	q.Tick(3 * time.Second)
	if plain.Len() != 0 {
		t.Fatalf("Tick wrote on a non-terminal: %q", plain.String())
	}
}
