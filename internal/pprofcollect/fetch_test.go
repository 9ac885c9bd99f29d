package pprofcollect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/pprof"
	"net/url"
	"os"
	"regexp"
	rpprof "runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

func TestNewFetcher(t *testing.T) {
	tests := []struct {
		base    string
		wantErr string // "" for success
	}{
		{"http://127.0.0.1:6060/debug/pprof", ""},
		{"https://target.example/debug/pprof/", ""},
		{"127.0.0.1:6060/debug/pprof", `pprof base "127.0.0.1:6060/debug/pprof"`},
		{"/debug/pprof", `pprof base "/debug/pprof"`},
		{"ftp://user:hunter22@host/debug/pprof", `pprof base "ftp://user:xxxxx@host/debug/pprof"`},
		{"http:///debug/pprof", "want an absolute http or https URL"},
	}
	for _, tt := range tests {
		t.Run(tt.base, func(t *testing.T) {
			_, err := NewFetcher(tt.base, Endpoint{}, Limits{})
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("got error %v, want none", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), "hunter22"):
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}

func TestFetchURLs(t *testing.T) {
	var (
		mu  sync.Mutex
		got []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, r.URL.RequestURI()+" "+r.Header.Get("X-Token"))
		w.Write(smallProfile())
	}))
	defer srv.Close()
	f, err := NewFetcher(srv.URL+"/debug/pprof/", Endpoint{Header: http.Header{"X-Token": {"t0ken"}}}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		kind    string
		seconds int
	}{{"cpu", 3}, {"allocs", 0}, {"heap", 0}, {"goroutine", 0}, {"mutex", 0}, {"block", 2}} {
		if _, status, err := f.Fetch(context.Background(), c.kind, c.seconds); status != results.ProfileOK {
			t.Errorf("%s: got status %s (%v), want ok", c.kind, status, err)
		}
	}
	want := []string{
		"/debug/pprof/profile?seconds=3 t0ken", "/debug/pprof/allocs t0ken", "/debug/pprof/heap t0ken",
		"/debug/pprof/goroutine t0ken", "/debug/pprof/mutex t0ken", "/debug/pprof/block?seconds=2 t0ken",
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got requests\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, c := range []struct {
		kind    string
		seconds int
	}{{"cpu", 0}, {"trace", 1}} {
		if _, status, err := f.Fetch(context.Background(), c.kind, c.seconds); status != results.ProfileError || err == nil {
			t.Errorf("%s %d: got status %s (%v), want error", c.kind, c.seconds, status, err)
		}
	}
}

// TestFetchHostile runs every failure a target can serve through Fetch
// and checks its status, that nothing panics, and that memory stays far
// below what the target tried to make perfkit hold.
func TestFetchHostile(t *testing.T) {
	valid := smallProfile()
	emptyProfile := gz(t, fakeProfile([]string{"contentions/count", "delay/nanoseconds"}))
	const (
		maxDownload = 1 << 20
		bombSize    = 64 << 20 // inflated
		streamSize  = 1 << 30
	)
	bombData := bomb(t, bombSize)
	chunk := bytes.Repeat([]byte("perfkit-hostile-stream."), 1<<12)

	tests := []struct {
		name    string
		handler http.HandlerFunc
		want    string
		errText string
		// maxAlloc bounds the bytes allocated by the fetch; 0 skips.
		maxAlloc uint64
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request) { w.Write(valid) }, results.ProfileOK, "", 0},
		{"uncompressed ok", func(w http.ResponseWriter, r *http.Request) { w.Write(uncompressed(t, valid)) }, results.ProfileOK, "", 0},
		{"empty profile", func(w http.ResponseWriter, r *http.Request) { w.Write(emptyProfile) }, results.ProfileEmpty, "", 0},
		{"not mounted", http.NotFound, results.ProfileNotMounted, "no pprof handler at this path", 0},
		{"unknown profile", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Go-Pprof", "1")
			http.Error(w, "Unknown profile", http.StatusNotFound)
		}, results.ProfileNotMounted, `does not serve this profile (HTTP 404: "Unknown profile")`, 0},
		{"busy", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Go-Pprof", "1")
			http.Error(w, "Could not enable CPU profiling: cpu profiling already in use", http.StatusInternalServerError)
		}, results.ProfileBusy, "another CPU profile is running", 0},
		{"unauthorized", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad token "+r.Header.Get("Authorization"), http.StatusUnauthorized)
		}, results.ProfileError, "unauthorized (HTTP 401)", 0},
		{"server error echoing headers", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "\x1b[31mboom\x1b[0m for "+r.Header.Get("Authorization"), http.StatusServiceUnavailable)
		}, results.ProfileError, `HTTP 503: "[31mboom [0m for [redacted]"`, 0},
		{"server error echoing the token", func(w http.ResponseWriter, r *http.Request) {
			_, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			http.Error(w, "token "+token+" expired", http.StatusBadRequest)
		}, results.ProfileError, `HTTP 400: "token [redacted] expired"`, 0},
		{"garbage", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("\x00\x01\x02 garbage \xff")) }, results.ProfileInvalid, "", 0},
		{"html login page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!DOCTYPE html><title>Sign in</title>"))
		}, results.ProfileInvalid, "unrecognized profile format", 0},
		{"truncated gzip", func(w http.ResponseWriter, r *http.Request) { w.Write(valid[:len(valid)*2/3]) }, results.ProfileInvalid, "decompress", 0},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) { w.Write(bombData) }, results.ProfileOversize, "decompressed profile over 4194304 bytes", 4 << 20},
		{"1 GiB stream", func(w http.ResponseWriter, r *http.Request) {
			for sent := 0; sent < streamSize; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, results.ProfileOversize, "download over 1048576 bytes", 2 << 20},
		{"length announced over the cap", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", strconv.Itoa(streamSize))
			for sent := 0; sent < streamSize; sent += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}, results.ProfileOversize, "download of 1073741824 bytes announced, over the 1048576-byte limit", 1 << 20},
		{"disconnect mid-body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.Write(valid[:20])
		}, results.ProfileError, "read after 20 bytes", 0},
		{"stall", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		}, results.ProfileTimeout, "no complete answer within 200ms", 0},
	}
	lim := Limits{MaxDownload: maxDownload, MaxDecompressed: 4 << 20, Timeout: 200 * time.Millisecond}
	header := http.Header{"Authorization": {"Bearer s3cr3t-token"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{Header: header}, lim)
			if err != nil {
				t.Fatal(err)
			}
			var (
				data   []byte
				status string
			)
			allocated, heap := memUse(func() { data, status, err = f.Fetch(context.Background(), "heap", 0) })
			t.Logf("allocated %s, heap in use after %s", mib(allocated), mib(heap))
			if status != tt.want {
				t.Fatalf("got status %s (%v), want %s", status, err, tt.want)
			}
			ok := status == results.ProfileOK || status == results.ProfileEmpty
			if ok != (err == nil) || ok != (data != nil) {
				t.Errorf("got data %d bytes and error %v for status %s", len(data), err, status)
			}
			if ok && !bytes.HasPrefix(data, gzipMagic) {
				t.Errorf("got data starting %x, want gzip", data[:2])
			}
			if err != nil && !strings.Contains(err.Error(), tt.errText) {
				t.Errorf("got error %q, want it to contain %q", err, tt.errText)
			}
			if err != nil && strings.Contains(err.Error(), "s3cr3t") {
				t.Errorf("error %q shows a header value", err)
			}
			if tt.maxAlloc > 0 && allocated > tt.maxAlloc {
				t.Errorf("got %s allocated, want at most %s", mib(allocated), mib(tt.maxAlloc))
			}
		})
	}
}

func TestFetchUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	f, err := NewFetcher("http://"+addr+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, status, err := f.Fetch(context.Background(), "goroutine", 0)
	if status != results.ProfileUnreachable || err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("got status %s (%v), want unreachable, connection refused", status, err)
	}
}

// TestFetchBusyRealProfiler holds this process's CPU profiler, as an
// in-process continuous profiler would, and asks net/http/pprof for more.
func TestFetchBusyRealProfiler(t *testing.T) {
	srv := newTarget(t, 1)
	if err := rpprof.StartCPUProfile(io.Discard); err != nil {
		t.Fatalf("start CPU profile: %v", err)
	}
	defer rpprof.StopCPUProfile()
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, status, err := f.Fetch(context.Background(), "cpu", 1)
	if status != results.ProfileBusy {
		t.Errorf("got status %s (%v), want busy", status, err)
	}
}

// statusRecorder is the ResponseWriter of a typical logging middleware.
// Without an Unwrap method it hides the connection from
// http.ResponseController, so net/http/pprof cannot extend the server's
// write deadline to fit the profile, and the WriteTimeout applies.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func logged(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h(&statusRecorder{ResponseWriter: w}, r) }
}

// TestFetchWriteTimeout runs real CPU profiles against servers whose
// WriteTimeout is shorter than the profile, and checks that the failure
// says so and what to do, while the same profile works without it.
func TestFetchWriteTimeout(t *testing.T) {
	tests := []struct {
		name         string
		writeTimeout time.Duration
		profile      http.HandlerFunc
		seconds      int
		// want is the status of a failure; "" wants a profile, with
		// samples or not (an idle test binary may use no CPU).
		want    string
		errText []string
	}{
		{"WriteTimeout hidden from pprof", time.Second, logged(pprof.Profile), 2, results.ProfileError, []string{
			"fetch cpu from http://", "closed the connection without answering after", "of a 2s profile",
			"its http.Server WriteTimeout is probably shorter than the profile", "use a shorter --profile-chunk",
		}},
		{"refused by an older pprof", time.Second, func(w http.ResponseWriter, r *http.Request) {
			// net/http/pprof's answer before it learned to extend
			// the write deadline itself.
			w.Header().Set("X-Go-Pprof", "1")
			http.Error(w, "profile duration exceeds server's WriteTimeout", http.StatusBadRequest)
		}, 2, results.ProfileError, []string{
			"WriteTimeout is not above the 2s profile", `(HTTP 400: "profile duration exceeds server's WriteTimeout")`,
			"use a shorter --profile-chunk",
		}},
		{"WriteTimeout extended by pprof", time.Second, pprof.Profile, 1, "", nil},
		{"no WriteTimeout", 0, logged(pprof.Profile), 1, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			mux := http.NewServeMux()
			mux.Handle("/debug/pprof/goroutine", pprof.Handler("goroutine"))
			mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				tt.profile(w, r)
			})
			srv := httptest.NewUnstartedServer(mux)
			srv.Config.WriteTimeout = tt.writeTimeout
			srv.Start()
			defer srv.Close()
			f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			// A snapshot first leaves an idle connection in the pool,
			// as Capture's preflight does: a CPU profile sent on it
			// would be replayed by net/http after the hang-up.
			if _, status, err := f.Fetch(context.Background(), "goroutine", 0); status != results.ProfileOK {
				t.Fatalf("goroutine snapshot: got status %s (%v), want ok", status, err)
			}
			_, status, err := f.Fetch(context.Background(), "cpu", tt.seconds)
			switch {
			case tt.want == "" && status != results.ProfileOK && status != results.ProfileEmpty:
				t.Fatalf("got status %s (%v), want a profile", status, err)
			case tt.want != "" && status != tt.want:
				t.Fatalf("got status %s (%v), want %s", status, err, tt.want)
			case err != nil:
				t.Logf("got %s: %v", status, err)
			}
			for _, s := range tt.errText {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("got error %q, want it to contain %q", err, s)
				}
			}
			// The hang-up comes once the profile is over, and the message
			// says when: never sooner than the seconds asked for.
			if m := afterRE.FindStringSubmatch(fmt.Sprint(err)); m != nil {
				if secs, _ := strconv.ParseFloat(m[1], 64); secs < float64(tt.seconds) {
					t.Errorf("got error %q, want the hang-up after %ds or more", err, tt.seconds)
				}
			}
			if n := hits.Load(); n != 1 {
				t.Errorf("the profile was requested %d times, want once", n)
			}
		})
	}
}

var afterRE = regexp.MustCompile(`after (\d+\.\d)s of a`)

func TestHungUpAfter(t *testing.T) {
	const dur = 2 * time.Second
	eof := &url.Error{Op: "Get", URL: "http://target/debug/pprof/profile?seconds=2", Err: io.EOF}
	tests := []struct {
		name    string
		err     error
		elapsed time.Duration
		dur     time.Duration
		want    bool
	}{
		{"EOF after the profile", eof, dur + 30*time.Millisecond, dur, true},
		{"EOF just at the end", eof, dur, dur, true},
		{"EOF well after", eof, 3 * dur, dur, true},
		{"reset after the profile", &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, dur, dur, true},
		{"EOF before the profile ended", eof, dur - time.Millisecond, dur, false},
		{"EOF of a snapshot", eof, dur, 0, false},
		{"refused after the profile", &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, dur, dur, false},
		{"deadline", context.DeadlineExceeded, 3 * dur, dur, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hungUpAfter(tt.err, tt.elapsed, tt.dur); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
