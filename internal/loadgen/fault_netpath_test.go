package loadgen

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/client"
	"github.com/perfkit/perfkit/internal/faultserver"
	"github.com/perfkit/perfkit/internal/plan"
)

// Row 6: every connection's second request meets a server that has given
// up on it (it reads the request and hangs up, as when its idle timeout
// fires just as the request arrives). The failures are eof_reused_conn, not
// connection_closed; none is resent; and the dials the result counts are
// the connections the server accepted.
func TestFaultEOFOnReusedConnection(t *testing.T) {
	faultLeakCheck(t)
	var mu sync.Mutex
	served := map[*faultserver.Conn]int{}
	respond := faultserver.Respond(200, "ok")
	srv := faultserver.New(t, func(c *faultserver.Conn, r *faultserver.Request) error {
		mu.Lock()
		served[c]++
		n := served[c]
		mu.Unlock()
		if n == 2 {
			return errors.New("gave up on the kept-alive connection")
		}
		return respond(c, r)
	})
	run := faultRun(t, faultPlan(srv.URL, plan.Plan{VUs: 1, Duration: 300 * time.Millisecond}), Options{})
	got := faultKinds(run)
	t.Logf("outcomes: %v; %d dials", got, run.Phases.Connect.Count())
	for k, n := range got {
		if k != faultOK && k != "eof_reused_conn" {
			t.Errorf("%d requests of kind %s, want ok or eof_reused_conn", n, k)
		}
	}
	ok, eof := got[faultOK], got["eof_reused_conn"]
	if eof == 0 || ok-eof < 0 || ok-eof > 1 {
		t.Errorf("got %d successes and %d eof_reused_conn, want them alternating", ok, eof)
	}
	if srv.Requests() != ok+eof {
		t.Errorf("server read %d requests, perfkit sent %d: a failed request was resent", srv.Requests(), ok+eof)
	}
	if dials := run.Phases.Connect.Count(); dials != srv.Accepted() || dials != ok {
		t.Errorf("perfkit recorded %d dials, the server accepted %d; want one per success", dials, srv.Accepted())
	}
	faultSettle(t, srv)
}

// Row 13: HTTPS through a CONNECT proxy from the plan (--proxy). The proxy
// gets the credentials of its URL, the target never does, the result
// names the proxy without them, and a proxy that refuses the tunnel is
// kind proxy with nothing reaching the target.
func TestFaultProxy(t *testing.T) {
	for _, tt := range []struct {
		name   string
		refuse int
		want   string
	}{{"tunnel", 0, faultOK}, {"CONNECT refused", http.StatusForbidden, "proxy"}} {
		t.Run(tt.name, func(t *testing.T) {
			faultLeakCheck(t)
			cert, err := faultserver.Cert(faultserver.SelfSigned)
			if err != nil {
				t.Fatal(err)
			}
			var mu sync.Mutex
			var targetAuth []string
			srv := faultserver.NewTLS(t, cert, faultserver.Record(func(r *faultserver.Request) {
				mu.Lock()
				defer mu.Unlock()
				targetAuth = append(targetAuth, r.Get("Proxy-Authorization"))
			}, faultserver.Respond(200, "via proxy")))
			proxy := faultserver.NewProxy(t, tt.refuse)
			_, port, _ := net.SplitHostPort(srv.Addr)
			p := faultPlan("https://target.test:"+port+"/", plan.Plan{
				Duration: 200 * time.Millisecond,
				Insecure: true, // the certificate is not for target.test
				Proxy:    "http://loadtest:pr0xy-pass@" + proxy.Addr(),
			})
			run := faultRun(t, p, Options{})
			faultWantKinds(t, run, tt.want)
			if want := "http://" + proxy.Addr(); run.Proxy != want {
				t.Errorf("result records proxy %q, want %q", run.Proxy, want)
			}
			seen := proxy.Requests()
			if len(seen) == 0 {
				t.Errorf("the proxy saw no CONNECT")
			}
			for _, r := range seen {
				if want := "Basic bG9hZHRlc3Q6cHIweHktcGFzcw=="; !strings.HasPrefix(r.Line, "CONNECT ") || r.Auth != want {
					t.Errorf("proxy got %q with Proxy-Authorization %q, want a CONNECT with %q", r.Line, r.Auth, want)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if tt.refuse != 0 && len(targetAuth) != 0 {
				t.Errorf("the target answered %d requests through a refused tunnel", len(targetAuth))
			}
			for _, a := range targetAuth {
				if a != "" {
					t.Errorf("the target got Proxy-Authorization %q", a)
				}
			}
			faultSettle(t, srv)
		})
	}
}

// The plan's spellings of "forever" and "no proxy" are passed to the
// client unchanged.
func TestPlanNetworkSettingsMatchTheClient(t *testing.T) {
	if plan.DNSTTLForever != client.DNSForever {
		t.Errorf("plan.DNSTTLForever %v, client.DNSForever %v", plan.DNSTTLForever, client.DNSForever)
	}
	if client.ProxySetting(plan.ProxyNone) == nil {
		t.Errorf("client.ProxySetting(%q) follows the environment, want no proxy", plan.ProxyNone)
	}
}
