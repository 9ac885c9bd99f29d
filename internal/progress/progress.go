package progress

import (
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perfkit/perfkit/internal/report"
	"github.com/perfkit/perfkit/internal/results"
)

// DefaultEvery is the cadence of plain lines when the output is not a
// terminal: often enough to show a run is alive, rarely enough that a
// ten-minute run adds about a hundred lines to a CI log.
const DefaultEvery = 5 * time.Second

// barWidth is the inside of the bar; with the figures beside it the line
// stays under 100 columns, since a line wider than the terminal wraps and
// "\r" then redraws only its last row.
const barWidth = 20

// clearLine erases from the cursor to the end of the line, removing what a
// longer previous draw left behind.
const clearLine = "\x1b[K"

// Options configures a Printer.
type Options struct {
	// Total is the planned length of the run, for the bar; 0 means
	// unknown and shows elapsed time alone.
	Total time.Duration
	// TTY redraws one line in place ("\r", then clear to end of line);
	// otherwise Printer writes plain lines.
	TTY bool
	// Every is the cadence of plain lines; DefaultEvery when 0.
	Every time.Duration
	// Label, if set, names the run on every line (e.g. the plan name).
	Label string
}

func (o *Options) setDefaults() {
	if o.Every <= 0 {
		o.Every = DefaultEvery
	}
}

// Printer draws progress from the snapshots the engine emits once per
// interval. The terminal line is redrawn on each Update, so it refreshes at
// the engine's interval (1 s); redrawing faster would only repaint the
// same figures. Update and Done may be called from different goroutines.
type Printer struct {
	mu    sync.Mutex
	w     io.Writer
	opts  Options
	err   error
	done  bool
	drawn bool // a terminal line is on screen and lacks its newline

	latest  results.Snapshot // totals, VUs and elapsed time come from here
	current results.Snapshot // the last snapshot that covered time, for rate and percentiles
	win     window
	printed time.Duration // elapsed time of the last plain line
}

// window accumulates the intervals between two plain lines. Percentiles of
// separate intervals cannot be merged from snapshots, so the line shows the
// largest interval p99: an upper bound of the window's true p99, since if
// no interval has more than 1% of its requests above a value, neither has
// their union.
type window struct {
	requests int64
	length   time.Duration
	p99      time.Duration
	measured bool // some interval had requests, so p99 means something
}

func (w *window) add(s results.Snapshot) {
	w.requests += s.Requests
	w.length += s.Interval
	if s.Requests > 0 {
		w.measured = true
		w.p99 = max(w.p99, s.P99)
	}
}

// New returns a Printer writing to w.
func New(w io.Writer, opts Options) *Printer {
	opts.setDefaults()
	return &Printer{w: w, opts: opts}
}

// Update shows one interval snapshot. After Done, or after a write error,
// it does nothing.
func (p *Printer) Update(s results.Snapshot) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || p.err != nil {
		return
	}
	p.latest = s
	if !p.opts.TTY {
		p.win.add(s)
		if s.Elapsed-p.printed >= p.opts.Every {
			p.plainLine()
		}
		return
	}
	// The final snapshot of a run may close an interval of zero width;
	// keep showing the last real rate rather than a meaningless zero.
	if s.Interval > 0 {
		p.current = s
	}
	p.write("\r" + p.ttyLine() + clearLine)
	p.drawn = true
}

// Tick redraws the terminal line with a new elapsed time between
// snapshots, so the bar and clock move a few times per second while the
// figures stay those of the last closed interval. It does nothing on a
// non-terminal, after Done, or before the first snapshot.
func (p *Printer) Tick(elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.opts.TTY || p.done || p.err != nil || !p.drawn || elapsed <= p.latest.Elapsed {
		return
	}
	p.latest.Elapsed = elapsed
	p.write("\r" + p.ttyLine() + clearLine)
}

// Done ends the display so the summary starts on a fresh line: it ends
// the terminal line, or prints the plain line for intervals not yet
// shown. Later calls, and later Updates, do nothing.
func (p *Printer) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.err != nil {
		return
	}
	if p.drawn {
		p.write("\n")
	}
	if !p.opts.TTY && p.win.length > 0 {
		p.plainLine()
	}
}

// Err returns the first error writing the output. Progress is decoration,
// so the engine need not stop for it, but a caller may report it.
func (p *Printer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

func (p *Printer) write(s string) {
	_, p.err = io.WriteString(p.w, s)
}

func (p *Printer) plainLine() {
	w := p.win
	rps := 0.0
	if w.length > 0 {
		rps = float64(w.requests) / w.length.Seconds()
	}
	parts := []string{p.clock()}
	if p.opts.Label != "" {
		parts = append(parts, p.opts.Label)
	}
	parts = append(parts, report.FormatRate(rps), "p99 "+latency(w.p99, w.measured))
	parts = append(parts, p.totals()...)
	p.write(strings.Join(parts, "  ") + "\n")
	p.win = window{}
	p.printed = p.latest.Elapsed
}

func (p *Printer) ttyLine() string {
	var parts []string
	if p.opts.Total > 0 {
		parts = append(parts, bar(p.latest.Elapsed, p.opts.Total)+" "+p.clock())
	} else {
		parts = append(parts, p.clock())
	}
	if p.opts.Label != "" {
		parts = append(parts, p.opts.Label)
	}
	c := p.current
	measured := c.Requests > 0
	parts = append(parts, report.FormatRate(c.RPS()), "p50 "+latency(c.P50, measured), "p99 "+latency(c.P99, measured))
	parts = append(parts, p.totals()...)
	return strings.Join(parts, "  ")
}

// totals are the running counts both views end with.
func (p *Printer) totals() []string {
	s := p.latest
	errs := "errors " + report.FormatCount(s.TotalErrors)
	if s.TotalRequests > 0 && s.TotalErrors > 0 {
		errs += " (" + report.FormatPercent(float64(s.TotalErrors)/float64(s.TotalRequests)) + ")"
	}
	out := []string{errs, "vus " + report.FormatCount(s.ActiveVUs)}
	if s.TotalDropped > 0 {
		out = append(out, "dropped "+report.FormatCount(s.TotalDropped))
	}
	return out
}

// clock shows elapsed time, against the planned total when known.
func (p *Printer) clock() string {
	if p.opts.Total > 0 {
		return clock(p.latest.Elapsed) + "/" + clock(p.opts.Total)
	}
	return clock(p.latest.Elapsed)
}

func latency(d time.Duration, measured bool) string {
	if !measured {
		return "—"
	}
	return report.FormatDuration(float64(d) / float64(time.Millisecond))
}

// bar draws elapsed/total; past the total (the grace period for in-flight
// requests) it stays full.
func bar(elapsed, total time.Duration) string {
	filled := int(int64(barWidth) * int64(elapsed) / int64(total))
	if elapsed < 0 {
		filled = 0
	}
	if filled >= barWidth {
		return "[" + strings.Repeat("=", barWidth) + "]"
	}
	return "[" + strings.Repeat("=", filled) + ">" + strings.Repeat(" ", barWidth-filled-1) + "]"
}

// clock formats whole seconds: "12s", "1m05s", "1h02m03s".
func clock(d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	if sec < 60 {
		return strconv.FormatInt(sec, 10) + "s"
	}
	m, s := sec/60, sec%60
	if m < 60 {
		return strconv.FormatInt(m, 10) + "m" + pad2(s) + "s"
	}
	return strconv.FormatInt(m/60, 10) + "h" + pad2(m%60) + "m" + pad2(s) + "s"
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}
