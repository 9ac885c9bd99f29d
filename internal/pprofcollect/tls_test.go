package pprofcollect

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

// A pprof endpoint over TLS is verified like any other: a self-signed
// certificate fails the fetch with a message that says so, unless this
// endpoint alone is marked insecure.
func TestFetchVerifiesTLS(t *testing.T) {
	mux := http.NewServeMux()
	mountPprof(mux)
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is the point
	srv.StartTLS()
	defer srv.Close()

	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	_, status, err := f.Fetch(context.Background(), "goroutine", 0)
	if status != results.ProfileUnreachable || err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("self-signed, verified: got %s (%v), want unreachable naming the certificate", status, err)
	}

	f, err = NewFetcher(srv.URL+"/debug/pprof", Endpoint{Insecure: true}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	data, status, err := f.Fetch(context.Background(), "goroutine", 0)
	if status != results.ProfileOK || err != nil || len(data) == 0 {
		t.Errorf("self-signed, insecure: got %s (%v), want a profile", status, err)
	}
}
