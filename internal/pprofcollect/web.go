package pprofcollect

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/pprof/driver"
	"github.com/google/pprof/profile"
)

// DefaultWebAddr serves the UI on loopback only: profiles name the target's
// code and may carry labels a user would not publish.
const DefaultWebAddr = "127.0.0.1:0"

// Pseudo sources the driver asks webFetcher for; they never touch disk or
// network.
const (
	candSource = "perfkit:candidate"
	baseSource = "perfkit:base"
)

// driverMu serialises driver.PProf: the driver keeps package-level state
// (its current configuration, interactive mode, temporary files).
var driverMu sync.Mutex

// Web serves pprof's own web UI for cand, or for cand against base when
// base is given, until ctx is done. It listens on addr (DefaultWebAddr when
// empty) and calls ready with the UI's URL once it accepts connections.
//
// pprof cannot divide by requests, so the base is scaled by
// candidate/base requests (read from the comment Export writes) before
// pprof's -diff_base subtracts it: the diff then shows the candidate's
// extra cost for the candidate's request count. The factor is near 1, so
// pprof's integer rounding is harmless. Flame graph, top, peek and source
// work without Graphviz; the graph view needs dot.
func Web(ctx context.Context, cand *profile.Profile, base *profile.Profile, addr string, ready func(url string)) error {
	if cand == nil {
		return errors.New("web: no profile")
	}
	if addr == "" {
		addr = DefaultWebAddr
	}
	fetch := webFetcher{candSource: cand.Copy()}
	args := []string{"-no_browser", "-symbolize=none"}
	if base != nil {
		b := base.Copy()
		if rc, ok := commentRequests(cand); ok {
			if rb, ok := commentRequests(base); ok && rb > 0 && rc != rb {
				b.Scale(float64(rc) / float64(rb))
			}
		}
		fetch[baseSource] = b
		args = append(args, "-diff_base="+baseSource)
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", addr, err)
	}
	defer ln.Close()
	handlers, err := pprofHandlers(append(args, "-http="+ln.Addr().String(), candSource), fetch)
	if err != nil {
		return fmt.Errorf("web: %w", err)
	}

	mux := http.NewServeMux()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := handlers[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.ServeHTTP(w, r)
	})
	// The driver's handlers use relative links and expect to live below
	// a prefix, as its own server mounts them under /ui/.
	mux.Handle("/ui/", http.StripPrefix("/ui", ui))
	mux.Handle("/", http.RedirectHandler("/ui/", http.StatusTemporaryRedirect))
	srv := &http.Server{Handler: localOnly(ln.Addr(), mux), ReadHeaderTimeout: 10 * time.Second}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	if ready != nil {
		ready("http://" + ln.Addr().String() + "/ui/")
	}
	select {
	case err := <-served:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("web: shut down: %w", err)
	}
	return nil
}

// pprofHandlers runs the driver just far enough to build its UI handlers:
// the HTTPServer hook keeps them instead of serving, so PProf returns.
func pprofHandlers(args []string, fetch webFetcher) (map[string]http.Handler, error) {
	driverMu.Lock()
	defer driverMu.Unlock()
	var handlers map[string]http.Handler
	ui := &quietUI{}
	err := driver.PProf(&driver.Options{
		Flagset: newWebFlags(args),
		Fetch:   fetch,
		UI:      ui,
		HTTPServer: func(a *driver.HTTPServerArgs) error {
			handlers = a.Handlers
			return nil
		},
	})
	if err != nil {
		if msg := ui.lastError(); msg != "" {
			return nil, fmt.Errorf("pprof: %w (%s)", err, msg)
		}
		return nil, fmt.Errorf("pprof: %w", err)
	}
	if handlers == nil {
		return nil, fmt.Errorf("pprof built no web handlers (%s)", ui.lastError())
	}
	return handlers, nil
}

// localOnly refuses requests whose Host is not the loopback address the UI
// is bound to, so a web page cannot reach it by rebinding its own domain
// to 127.0.0.1. A UI bound elsewhere was asked for by the user.
func localOnly(addr net.Addr, h http.Handler) http.Handler {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsLoopback() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.Host)
		if err != nil {
			host = r.Host
		}
		ip := net.ParseIP(strings.Trim(host, "[]"))
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			http.Error(w, "forbidden: the profile UI answers on localhost only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// commentRequests reads the request count Export and Capture write into a
// profile's comments.
func commentRequests(p *profile.Profile) (int64, bool) {
	for i := len(p.Comments) - 1; i >= 0; i-- {
		rest, ok := strings.CutPrefix(p.Comments[i], requestsPrefix)
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(strings.Fields(rest + " ")[0], 10, 64)
		if err == nil {
			return n, true
		}
	}
	return 0, false
}

// webFetcher hands the driver in-memory profiles. The empty source string
// marks them local, so the driver does not save copies under $PPROF_TMPDIR.
type webFetcher map[string]*profile.Profile

func (f webFetcher) Fetch(src string, _, _ time.Duration) (*profile.Profile, string, error) {
	p, ok := f[src]
	if !ok {
		return nil, "", fmt.Errorf("unknown profile source %q", src)
	}
	return p, "", nil
}

// webFlags is the driver's command line, built here rather than read from
// os.Args; a fresh one per call, since the driver defines all its flags.
type webFlags struct {
	fs    *flag.FlagSet
	args  []string
	usage []string
}

func newWebFlags(args []string) *webFlags {
	fs := flag.NewFlagSet("pprof", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &webFlags{fs: fs, args: args}
}

func (f *webFlags) Bool(name string, def bool, usage string) *bool {
	return f.fs.Bool(name, def, usage)
}

func (f *webFlags) Int(name string, def int, usage string) *int {
	return f.fs.Int(name, def, usage)
}

func (f *webFlags) Float64(name string, def float64, usage string) *float64 {
	return f.fs.Float64(name, def, usage)
}

func (f *webFlags) String(name, def, usage string) *string {
	return f.fs.String(name, def, usage)
}

func (f *webFlags) StringList(name, def, usage string) *[]*string {
	return &[]*string{f.fs.String(name, def, usage)}
}

func (f *webFlags) ExtraUsage() string { return strings.Join(f.usage, "\n") }

func (f *webFlags) AddExtraUsage(eu string) { f.usage = append(f.usage, eu) }

func (f *webFlags) Parse(usage func()) []string {
	f.fs.Usage = usage
	if err := f.fs.Parse(f.args); err != nil {
		return nil
	}
	return f.fs.Args()
}

// quietUI keeps the driver off the terminal (only cmd/perfkit writes
// there) and remembers its last complaint for the error message.
type quietUI struct {
	mu   sync.Mutex
	last string
}

func (u *quietUI) ReadLine(string) (string, error) { return "", io.EOF }

func (u *quietUI) Print(...any) {}

func (u *quietUI) PrintErr(args ...any) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.last = strings.TrimSpace(fmt.Sprint(args...))
}

func (u *quietUI) lastError() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.last
}

func (u *quietUI) IsTerminal() bool { return false }

func (u *quietUI) WantBrowser() bool { return false }

func (u *quietUI) SetAutoComplete(func(string) string) {}
