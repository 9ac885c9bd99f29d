package loadgen

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perfkit/perfkit/internal/faultserver"
	"github.com/perfkit/perfkit/internal/plan"
	"github.com/perfkit/perfkit/internal/results"
)

// Rows 11 and 34: a certificate that does not verify fails every request
// as tls by default; Insecure makes the same target work and the result
// says verification was off. Insecure skips every check at once, so one
// kind stands for all there.
func TestFaultTLSCertificates(t *testing.T) {
	tests := []struct {
		kind     faultserver.CertKind
		insecure bool
	}{
		{faultserver.SelfSigned, false},
		{faultserver.Expired, false},
		{faultserver.WrongHost, false},
		{faultserver.Expired, true},
	}
	for _, tt := range tests {
		name := tt.kind.String()
		if tt.insecure {
			name += " insecure"
		}
		t.Run(name, func(t *testing.T) {
			faultLeakCheck(t)
			cert, err := faultserver.Cert(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			srv := faultserver.NewTLS(t, cert, faultserver.Respond(200, "secure"))
			p := faultPlan(srv.URL+"/", plan.Plan{Duration: 200 * time.Millisecond, Insecure: tt.insecure})
			run := faultRun(t, p, Options{})
			if run.Insecure != tt.insecure {
				t.Errorf("result records insecure %v, want %v", run.Insecure, tt.insecure)
			}
			if !tt.insecure {
				faultWantKinds(t, run, "tls")
				if srv.Requests() != 0 {
					t.Errorf("%d requests reached the server over a connection that failed verification", srv.Requests())
				}
				return
			}
			faultWantKinds(t, run, faultOK)
			if got := run.Phases.TLS.Count(); got == 0 {
				t.Errorf("no TLS handshake time recorded")
			}
			sum, err := results.Summarize(&results.Result{Schema: results.Schema, Plan: []byte(`{}`), Runs: []*results.Run{run}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(sum.Warnings, "\n"), "verification was disabled") {
				t.Errorf("summary warnings %q do not say verification was off", sum.Warnings)
			}
			faultSettle(t, srv)
		})
	}
}

// Row 12: perfkit never follows a redirect, so a loop costs one request
// per request and a redirect to another host never carries the plan's
// credentials there; the 3xx itself is what is measured.
func TestFaultRedirects(t *testing.T) {
	t.Run("loop", func(t *testing.T) {
		faultLeakCheck(t)
		srv := faultserver.New(t, faultserver.RedirectLoop())
		run := faultRun(t, faultPlan(srv.URL+"/loop", plan.Plan{Duration: 200 * time.Millisecond}), Options{})
		faultWantKinds(t, run, faultOK)
		if got, n := run.Totals.StatusCodes["302"], run.Totals.Requests; got != n || srv.Requests() != n {
			t.Errorf("302 recorded for %d of %d requests, server saw %d; want every request one 302, none followed", got, n, srv.Requests())
		}
		faultSettle(t, srv)
	})
	t.Run("cross-host with credentials", func(t *testing.T) {
		faultLeakCheck(t)
		var mu sync.Mutex
		var leaked []string
		other := faultserver.New(t, faultserver.Record(func(r *faultserver.Request) {
			mu.Lock()
			defer mu.Unlock()
			for _, h := range []string{"Authorization", "Cookie"} {
				if v := r.Get(h); v != "" {
					leaked = append(leaked, h+": "+v)
				}
			}
		}, faultserver.Respond(200, "other host")))
		var withAuth int
		srv := faultserver.New(t, faultserver.Record(func(r *faultserver.Request) {
			mu.Lock()
			defer mu.Unlock()
			if r.Get("Authorization") == "Bearer s3cr3t" {
				withAuth++
			}
		}, faultserver.RedirectTo(strings.Replace(other.URL, "127.0.0.1", "localhost", 1))))
		p := faultPlan(srv.URL+"/orders?page=2", plan.Plan{Duration: 200 * time.Millisecond})
		p.Endpoints[0].Headers = []plan.Header{{Name: "Authorization", Value: "Bearer s3cr3t"}, {Name: "Cookie", Value: "session=s3cr3t"}}
		run := faultRun(t, p, Options{})
		faultWantKinds(t, run, faultOK)
		if got := run.Totals.StatusCodes["302"]; got != run.Totals.Requests {
			t.Errorf("302 recorded for %d of %d requests", got, run.Totals.Requests)
		}
		mu.Lock()
		defer mu.Unlock()
		if int64(withAuth) != srv.Requests() || withAuth == 0 {
			t.Errorf("the first host got Authorization on %d of %d requests, want all", withAuth, srv.Requests())
		}
		if other.Requests() != 0 || len(leaked) > 0 {
			t.Errorf("the redirect target got %d requests, credentials %q; want none", other.Requests(), leaked)
		}
	})
}
