package pprofcollect

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestWeb(t *testing.T) {
	cpu := []string{"samples/count", "cpu/nanoseconds"}
	cand := fakeProfile(cpu, fakeSample{[]string{"main.expensiveChecksum", "main.handle"}, []int64{40, 400_000_000}},
		fakeSample{[]string{"main.handle"}, []int64{10, 100_000_000}})
	cand.Comments = []string{requestsComment(1000, "cpu", 10*time.Second)}
	base := fakeProfile(cpu, fakeSample{[]string{"main.expensiveChecksum", "main.handle"}, []int64{20, 200_000_000}},
		fakeSample{[]string{"main.handle"}, []int64{10, 100_000_000}})
	base.Comments = []string{requestsComment(2000, "cpu", 10*time.Second)}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	urls := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- Web(ctx, cand, base, "", func(u string) { urls <- u }) }()
	var url string
	select {
	case url = <-urls:
	case err := <-done:
		t.Fatalf("Web: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Web did not become ready")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") || !strings.HasSuffix(url, "/ui/") {
		t.Errorf("got URL %s, want http://127.0.0.1:PORT/ui/", url)
	}

	get := func(path, host string) (int, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, url+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		return resp.StatusCode, string(body)
	}
	for _, path := range []string{"top", "flamegraph", "peek?f=expensiveChecksum"} {
		code, body := get(path, "")
		if code != http.StatusOK || !strings.Contains(body, "main.expensiveChecksum") {
			t.Errorf("GET %s: got %d with %d bytes, want 200 naming main.expensiveChecksum", path, code, len(body))
		}
	}
	// The base ran 2000 requests to the candidate's 1000, so it is
	// scaled by ½: its 300ms total becomes 150ms, and main.handle's own
	// 100ms in both profiles shows as +50ms for the candidate's requests
	// where an unscaled diff would show no change.
	if _, body := get("peek?f=main.handle", ""); !strings.Contains(body, "accounting for 350ms, 233.33% of 150ms total") ||
		!strings.Contains(body, "50ms 33.33% 33.33%      350ms 233.33%") {
		t.Errorf("peek main.handle: got no scaled diff in\n%s", body)
	}
	if code, _ := get("top", "evil.example:80"); code != http.StatusForbidden {
		t.Errorf("GET with a foreign Host: got %d, want 403", code)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Web after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Web did not return after cancel")
	}
}

func TestWebErrors(t *testing.T) {
	if err := Web(context.Background(), nil, nil, "", nil); err == nil {
		t.Error("got no error without a profile")
	}
	p := fakeProfile([]string{"cpu/nanoseconds"}, fakeSample{[]string{"main.f"}, []int64{1}})
	if err := Web(context.Background(), p, nil, "256.0.0.1:0", nil); err == nil || !strings.Contains(err.Error(), "listen on 256.0.0.1:0") {
		t.Errorf("got error %v, want a listen error naming the address", err)
	}
	other := fakeProfile([]string{"alloc_space/bytes"}, fakeSample{[]string{"main.f"}, []int64{1}})
	if err := Web(context.Background(), p, other, "", nil); err == nil {
		t.Error("got no error diffing a cpu profile against an allocs profile")
	}
}
