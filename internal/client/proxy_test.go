package client

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/perfkit/perfkit/internal/faultserver"
	"github.com/perfkit/perfkit/internal/results"
)

// seen is what a test target was sent.
type seen struct {
	target string // CONNECT authority, request URI or Host
	auth   string // Proxy-Authorization
}

// tlsTarget is an HTTPS server that records the Host and any
// Proxy-Authorization of every request.
func tlsTarget(t *testing.T) (port int, requests func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, seen{target: r.Host, auth: r.Header.Get("Proxy-Authorization")})
		mu.Unlock()
		fmt.Fprint(w, "target")
	}))
	srv.Config.ErrorLog = discardLog()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().(*net.TCPAddr).Port, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func basic(user, pw string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pw))
}

// TestProxyConnect sends HTTPS through a CONNECT proxy: one tunnel carries
// the virtual user's requests, the proxy gets the credentials, the target
// never does, and the client names the proxy without them.
func TestProxyConnect(t *testing.T) {
	tests := []struct {
		name     string
		userinfo string      // in the proxy URL
		header   http.Header // the endpoint's
		wantAuth string      // on the CONNECT
	}{
		{"credentials in the proxy URL", "alice:s3cret", nil, basic("alice", "s3cret")},
		{"Proxy-Authorization header", "", http.Header{"Proxy-Authorization": {"Bearer tok"}}, "Bearer tok"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, targetSaw := tlsTarget(t)
			proxy := faultserver.NewProxy(t, 0)
			pu := proxy.URL(tt.userinfo)
			c := newTestClient(t, Config{
				Endpoints: []Endpoint{{URL: fmt.Sprintf("https://target.test:%d/", port), Header: tt.header}},
				Insecure:  true, // the test certificate is not for target.test
				Proxy:     http.ProxyURL(pu),
			})
			conn := c.NewConn()
			defer conn.Close()
			for i := range 3 {
				out := do(conn, 0)
				checkOK(t, out, 200)
				if got, want := out.NewConn, i == 0; got != want {
					t.Errorf("request %d: got NewConn %v, want %v (one tunnel)", i, got, want)
				}
			}
			want := []faultserver.ProxyRequest{{Line: fmt.Sprintf("CONNECT target.test:%d", port), Auth: tt.wantAuth}}
			if got := proxy.Requests(); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("proxy saw %q, want %q", got, want)
			}
			for _, r := range targetSaw() {
				if r.auth != "" {
					t.Errorf("target got Proxy-Authorization %q, want none", r.auth)
				}
			}
			if got := len(targetSaw()); got != 3 {
				t.Errorf("target saw %d requests, want 3", got)
			}
			if got, want := c.Proxy(), "http://"+proxy.Addr(); got != want {
				t.Errorf("got Proxy() %q, want %q (no credentials)", got, want)
			}
		})
	}
}

// TestProxyRefusesConnect: a proxy that will not open the tunnel, or
// cannot be reached, fails the request as proxy, and the target sees
// nothing.
func TestProxyRefusesConnect(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	down := &url.URL{Scheme: "http", Host: closed.Addr().String()}
	closed.Close()
	tests := []struct {
		name  string
		proxy func(t *testing.T) *url.URL
	}{
		{"403", func(t *testing.T) *url.URL { return faultserver.NewProxy(t, http.StatusForbidden).URL("") }},
		{"407", func(t *testing.T) *url.URL { return faultserver.NewProxy(t, http.StatusProxyAuthRequired).URL("") }},
		{"502", func(t *testing.T) *url.URL { return faultserver.NewProxy(t, http.StatusBadGateway).URL("") }},
		{"proxy down", func(*testing.T) *url.URL { return down }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port, targetSaw := tlsTarget(t)
			c := newTestClient(t, Config{
				Endpoints: []Endpoint{{URL: fmt.Sprintf("https://target.test:%d/", port)}},
				Insecure:  true,
				Proxy:     http.ProxyURL(tt.proxy(t)),
			})
			conn := c.NewConn()
			defer conn.Close()
			for range 2 {
				out := do(conn, 0)
				if out.Kind != results.KindProxy || out.Status != 0 {
					t.Errorf("got kind %v status %d (err %v), want proxy and no status", out.Kind, out.Status, out.Err)
				}
			}
			if got := targetSaw(); len(got) != 0 {
				t.Errorf("target saw %q, want nothing", got)
			}
		})
	}
}

// TestProxyAuthorizationNeverReachesTheTarget: an endpoint's
// Proxy-Authorization header goes to the proxy of a plain-HTTP request,
// and nowhere when the endpoint goes direct.
func TestProxyAuthorizationNeverReachesTheTarget(t *testing.T) {
	var mu sync.Mutex
	var targetAuth []string
	target, _ := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		targetAuth = append(targetAuth, r.Header.Get("Proxy-Authorization"))
		mu.Unlock()
	})
	proxy := faultserver.NewProxy(t, 0)
	h := http.Header{"Proxy-Authorization": {"Bearer tok"}}
	c := newTestClient(t, Config{
		Endpoints: []Endpoint{{URL: "http://via-proxy.test/x", Header: h}, {URL: target.URL, Header: h}},
		Proxy: func(r *http.Request) (*url.URL, error) {
			if r.URL.Hostname() == "via-proxy.test" {
				return proxy.URL(""), nil
			}
			return nil, nil
		},
	})
	for _, forceStd := range []bool{false, true} {
		if forceStd {
			// The direct endpoint through net/http, as with --http2.
			var err error
			c, err = newClient(Config{Endpoints: []Endpoint{{URL: target.URL, Header: h}}, Proxy: noProxy}, true)
			if err != nil {
				t.Fatalf("newClient: %v", err)
			}
		}
		conn := c.NewConn()
		for ep := range c.eps {
			checkOK(t, do(conn, ep), 200)
		}
		conn.Close()
	}
	if got, want := proxy.Requests(), []faultserver.ProxyRequest{{Line: "GET http://via-proxy.test/x", Auth: "Bearer tok"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("proxy saw %q, want %q", got, want)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(targetAuth) != 2 || targetAuth[0] != "" || targetAuth[1] != "" {
		t.Errorf("target got Proxy-Authorization %q on its 2 requests, want none", targetAuth)
	}
}

func TestProxySetting(t *testing.T) {
	req := &http.Request{URL: &url.URL{Scheme: "https", Host: "target.test"}}
	if ProxySetting("") != nil {
		t.Errorf(`ProxySetting(""): got a function, want nil (the environment)`)
	}
	if u, err := ProxySetting(ProxyNone)(req); u != nil || err != nil {
		t.Errorf("ProxySetting(none): got %v, %v, want no proxy", u, err)
	}
	if u, err := ProxySetting("http://u:p@proxy.test:3128")(req); err != nil || u.String() != "http://u:p@proxy.test:3128" {
		t.Errorf("ProxySetting(URL): got %v, %v, want the URL", u, err)
	}
	for _, bad := range []string{"proxy.test:3128", "ftp://proxy.test", "http://", "http://u:s3cret@[::1"} {
		_, err := ProxySetting(bad)(req)
		if err == nil {
			t.Errorf("ProxySetting(%q): got no error", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("ProxySetting(%q): error %q shows the password", bad, err)
		}
		if _, err := New(Config{Endpoints: []Endpoint{{URL: "http://target.test/"}}, Proxy: ProxySetting(bad)}); err == nil {
			t.Errorf("New with proxy %q: got no error", bad)
		}
	}
}

// envProxyChild makes the test binary run TestEnvironmentProxy's checks
// against the proxy settings its parent put in the environment:
// http.ProxyFromEnvironment reads them once per process.
const envProxyChild = "PERFKIT_CLIENT_TEST_ENV_PROXY"

// TestEnvironmentProxy runs the default proxy settings (Config.Proxy nil)
// in a child process with HTTPS_PROXY and NO_PROXY set: the excluded host
// goes direct on the fast path, the other through the proxy's tunnel.
func TestEnvironmentProxy(t *testing.T) {
	if urls := os.Getenv(envProxyChild); urls != "" {
		environmentProxyChild(t, strings.Fields(urls))
		return
	}
	if testing.Short() {
		t.Skip("starts a child process")
	}
	port, targetSaw := tlsTarget(t)
	proxy := faultserver.NewProxy(t, 0)
	direct := fmt.Sprintf("https://direct.test:%d/", port)
	proxied := fmt.Sprintf("https://proxied.test:%d/", port)

	cmd := exec.Command(os.Args[0], "-test.run=^TestEnvironmentProxy$", "-test.v")
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch strings.ToUpper(name) {
		case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "REQUEST_METHOD":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	cmd.Env = append(cmd.Env,
		"HTTPS_PROXY="+proxy.URL("bob:pw").String(),
		"NO_PROXY=direct.test",
		envProxyChild+"="+direct+" "+proxied,
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if want := []faultserver.ProxyRequest{{Line: fmt.Sprintf("CONNECT proxied.test:%d", port), Auth: basic("bob", "pw")}}; fmt.Sprint(proxy.Requests()) != fmt.Sprint(want) {
		t.Errorf("proxy saw %q, want %q", proxy.Requests(), want)
	}
	want := []seen{{fmt.Sprintf("direct.test:%d", port), ""}, {fmt.Sprintf("proxied.test:%d", port), ""}}
	if got := targetSaw(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("target saw %q, want %q (no Proxy-Authorization)", got, want)
	}
}

func environmentProxyChild(t *testing.T, urls []string) {
	c, err := New(Config{
		Endpoints: []Endpoint{{URL: urls[0]}, {URL: urls[1]}},
		Insecure:  true,
		// The fast path resolves the direct name; the proxy dials the
		// other itself.
		Resolver: newFakeResolver("127.0.0.1"),
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.eps[0].std || !c.eps[1].std {
		t.Errorf("got net/http path %v and %v, want the NO_PROXY host on the fast path and the other proxied", c.eps[0].std, c.eps[1].std)
	}
	if got, want := c.Proxy(), "http://"+strings.TrimPrefix(os.Getenv("HTTPS_PROXY"), "http://bob:pw@"); got != want {
		t.Errorf("got Proxy() %q, want %q", got, want)
	}
	conn := c.NewConn()
	defer conn.Close()
	for ep := range urls {
		checkOK(t, do(conn, ep), 200)
	}
}
