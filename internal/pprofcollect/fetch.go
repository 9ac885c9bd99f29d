package pprofcollect

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/google/pprof/profile"

	"github.com/perfkit/perfkit/internal/results"
)

// The profile kinds Fetch knows, and the path of each below the base URL.
var kindPaths = map[string]string{
	"cpu":       "profile",
	"allocs":    "allocs",
	"heap":      "heap",
	"goroutine": "goroutine",
	"mutex":     "mutex",
	"block":     "block",
}

// busyText is how net/http/pprof says another CPU profile holds the
// profiler: "Could not enable CPU profiling: cpu profiling already in use".
const busyText = "already in use"

// writeTimeoutText is how net/http/pprof, from Go 1.9 until it learned to
// extend the write deadline itself, refuses a profile that would outlast
// its server's WriteTimeout (HTTP 400).
const writeTimeoutText = "exceeds server's WriteTimeout"

// writeTimeoutAdvice ends both WriteTimeout messages.
const writeTimeoutAdvice = "raise WriteTimeout above the chunk or use a shorter --profile-chunk"

// errorBodyLimit caps how much of an error response is read and quoted:
// enough for pprof's one-line messages, too little to bloat a result.
const errorBodyLimit = 512

// Fetcher downloads profiles from one target's pprof base URL. It is safe
// for concurrent use: a CPU chunk blocks for its seconds while snapshots
// are fetched beside it.
type Fetcher struct {
	base   *url.URL
	header http.Header
	lim    Limits
	client *http.Client
	// timed serves fetches with seconds > 0 from a fresh connection each.
	// On a reused connection, net/http replays a GET the target closed
	// without an answer, so a target that hangs up after profiling would
	// be asked to profile again: the fetch would take twice its seconds
	// and likely end on its deadline, a timeout that hides the
	// WriteTimeout hint. A profile holds its request for seconds, so
	// the dial costs nothing by comparison.
	timed *http.Client
}

// Endpoint is how to talk to a pprof endpoint.
type Endpoint struct {
	// Header is sent with every request. Its values may be credentials,
	// so they never appear in errors.
	Header http.Header
	// Insecure skips TLS certificate verification, for a debug port
	// with a self-signed certificate. It is separate from the load's
	// --insecure: trusting one endpoint says nothing about the other.
	Insecure bool
}

// NewFetcher prepares fetches from base, e.g.
// http://127.0.0.1:6060/debug/pprof.
func NewFetcher(base string, ep Endpoint, lim Limits) (*Fetcher, error) {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		name := base
		if err == nil {
			name = u.Redacted()
		}
		return nil, fmt.Errorf("pprof base %q: want an absolute http or https URL", name)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	u.RawPath = ""
	// Its own transport, so profiling never borrows or starves the
	// load's connections and is never counted as load. Compression is
	// left to pprof: the bytes stored are the bytes the target sent, and
	// the download cap counts those bytes.
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		DisableCompression:  true,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		TLSHandshakeTimeout: 10 * time.Second,
	}
	if ep.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	}
	timedTr := tr.Clone()
	timedTr.DisableKeepAlives = true
	return &Fetcher{
		base:   u,
		header: ep.Header.Clone(),
		lim:    lim.withDefaults(),
		// No client-wide timeout: each fetch gets a deadline sized to
		// its seconds, and CPU responses only start after those.
		client: &http.Client{Transport: tr},
		timed:  &http.Client{Transport: timedTr},
	}, nil
}

// fetched is one fetch's outcome; prof is set for ok and empty.
type fetched struct {
	data   []byte
	prof   *profile.Profile
	status string
	err    error
	// writeTimeout marks a CPU profile the target's WriteTimeout cut off:
	// every later chunk of the same length would fail alike.
	writeTimeout bool
}

// Fetch downloads one profile. kind is cpu (the profile endpoint, for
// seconds ≥ 1), allocs, heap, goroutine, mutex or block; for those a
// seconds > 0 asks the server for its own delta, which net/http/pprof
// computes without the default sample type (Capture subtracts snapshots
// itself instead). It returns the gzipped bytes as received (a profile
// sent uncompressed is gzipped here) and a results.Profile status. err is
// nil for ok and empty (a valid profile without samples); data is nil
// unless the profile parsed.
func (f *Fetcher) Fetch(ctx context.Context, kind string, seconds int) (data []byte, status string, err error) {
	r := f.fetch(ctx, kind, seconds)
	return r.data, r.status, r.err
}

func (f *Fetcher) fetch(ctx context.Context, kind string, seconds int) fetched {
	u, err := f.url(kind, seconds)
	if err != nil {
		return fetched{status: results.ProfileError, err: err}
	}
	fail := func(status string, format string, args ...any) fetched {
		return fetched{status: status, err: fmt.Errorf("fetch %s from %s: %s", kind, u.Redacted(), fmt.Sprintf(format, args...))}
	}

	dur := time.Duration(seconds) * time.Second
	timeout := f.lim.Timeout
	if seconds > 0 {
		timeout = dur + max(f.lim.Timeout, dur/2)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fail(results.ProfileError, "%v", err)
	}
	for k, vs := range f.header {
		req.Header[k] = vs
	}

	client := f.client
	if seconds > 0 {
		client = f.timed
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		if elapsed := time.Since(start); ctx.Err() == nil && hungUpAfter(err, elapsed, dur) {
			r := fail(results.ProfileError, "the target closed the connection without answering after %.1fs of a %ds profile; "+
				"its http.Server WriteTimeout is probably shorter than the profile: %s", elapsed.Seconds(), seconds, writeTimeoutAdvice)
			r.writeTimeout = true
			return r
		}
		status, msg := f.transportFailure(ctx, err, timeout)
		return fail(status, "%s", msg)
	}
	defer resp.Body.Close()

	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, errorBodyLimit))
		text := f.quote(body)
		switch {
		case resp.StatusCode == http.StatusNotFound && resp.Header.Get("X-Go-Pprof") != "":
			return fail(results.ProfileNotMounted, "the target's pprof does not serve this profile (HTTP 404: %s)", text)
		case resp.StatusCode == http.StatusNotFound:
			return fail(results.ProfileNotMounted, "no pprof handler at this path (HTTP 404); check the base URL")
		case resp.StatusCode == http.StatusInternalServerError && strings.Contains(string(body), busyText):
			return fail(results.ProfileBusy, "another CPU profile is running in the target (HTTP 500: %s)", text)
		case resp.StatusCode == http.StatusBadRequest && strings.Contains(string(body), writeTimeoutText):
			r := fail(results.ProfileError, "the target's http.Server WriteTimeout is not above the %ds profile (HTTP 400: %s): %s",
				seconds, text, writeTimeoutAdvice)
			r.writeTimeout = true
			return r
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return fail(results.ProfileError, "unauthorized (HTTP %d); pass the header the target wants", resp.StatusCode)
		default:
			return fail(results.ProfileError, "HTTP %d: %s", resp.StatusCode, text)
		}
	}

	// readCapped stops one byte past the cap without reading the rest;
	// the deferred Close of a body not read to its end then drops the
	// connection instead of draining it, which is what a hostile stream
	// deserves.
	data, n, err := readCapped(resp.Body, f.lim.MaxDownload, resp.ContentLength)
	switch {
	case errors.Is(err, ErrOversize):
		return fail(results.ProfileOversize, "%v", err)
	case err != nil:
		status, msg := f.transportFailure(ctx, err, timeout)
		if status == results.ProfileUnreachable {
			// A response had started, so the target was there.
			status = results.ProfileError
		}
		return fail(status, "read after %d bytes: %s", n, msg)
	}
	p, err := Parse(data, f.lim)
	switch {
	case errors.Is(err, ErrOversize):
		return fail(results.ProfileOversize, "%v", err)
	case err != nil:
		return fail(results.ProfileInvalid, "%v", err)
	}
	if !bytes.HasPrefix(data, gzipMagic) {
		if data, err = gzipBytes(data); err != nil {
			return fail(results.ProfileError, "%v", err)
		}
	}
	if len(p.Sample) == 0 {
		return fetched{data: data, prof: p, status: results.ProfileEmpty}
	}
	return fetched{data: data, prof: p, status: results.ProfileOK}
}

func (f *Fetcher) url(kind string, seconds int) (*url.URL, error) {
	path, ok := kindPaths[kind]
	if !ok {
		return nil, fmt.Errorf("fetch %s: unknown profile kind (want cpu, allocs, heap, goroutine, mutex or block)", kind)
	}
	u := *f.base
	u.Path += "/" + path
	switch {
	case kind == "cpu" && seconds < 1:
		// net/http/pprof reads a missing or non-integer value as 30.
		return nil, fmt.Errorf("fetch cpu: %d seconds, want at least 1", seconds)
	case seconds > 0:
		q := u.Query()
		q.Set("seconds", strconv.Itoa(seconds))
		u.RawQuery = q.Encode()
	}
	return &u, nil
}

// hungUpAfter reports whether a fetch of a profile lasting dur failed the
// way a target whose http.Server WriteTimeout is shorter than dur fails:
// net/http runs the handler past the timeout and only fails its write, so
// such a target profiles for the whole duration, then closes the
// connection without a response (golang/go#18755). That happens when its
// net/http/pprof predates Go 1.9's check, or when a middleware's
// ResponseWriter hides the write deadline that newer ones extend through
// http.ResponseController. The rule wants the connection closed (EOF or
// reset) before any response headers, and no sooner than dur: the profile
// only ends then, so an earlier hang-up is a crash, a restart or a proxy,
// and the transport's own error says more. There is no upper bound: a
// slow write after the profile only adds time, and our deadline
// (dur + margin) reports a timeout of its own.
func hungUpAfter(err error, elapsed, dur time.Duration) bool {
	if dur <= 0 || elapsed < dur {
		return false
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// transportFailure classifies an error from the client: our own deadline
// is a timeout, the caller's cancel an error, and anything else before a
// response (refused, DNS, reset, TLS) means the target is not reachable.
func (f *Fetcher) transportFailure(ctx context.Context, err error, timeout time.Duration) (string, string) {
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return results.ProfileTimeout, fmt.Sprintf("no complete answer within %s", timeout)
	case errors.Is(err, context.Canceled):
		return results.ProfileError, "canceled"
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		// url.Error repeats the method and URL, which fail() already names.
		err = uerr.Err
	}
	return results.ProfileUnreachable, f.redact(err.Error())
}

// quote makes an error body fit for a result file: one line, no control
// characters, no header values.
func (f *Fetcher) quote(body []byte) string {
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(body), "?"))
	s = strings.TrimSpace(s)
	if s == "" {
		return "empty body"
	}
	return strconv.Quote(f.redact(s))
}

// redact removes header values from text that came from outside: a target
// could echo the Authorization header back in its error page.
func (f *Fetcher) redact(s string) string {
	for _, vs := range f.header {
		for _, v := range vs {
			// Shorter values are flags, not secrets, and would
			// redact every digit of a message.
			if v = strings.TrimSpace(v); len(v) >= 4 {
				s = strings.ReplaceAll(s, v, "[redacted]")
			}
			// The token of "Bearer <token>" may come back alone.
			for _, field := range strings.Fields(v) {
				if len(field) >= 8 {
					s = strings.ReplaceAll(s, field, "[redacted]")
				}
			}
		}
	}
	return s
}

func gzipBytes(raw []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(raw); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip: %w", err)
	}
	return buf.Bytes(), nil
}
