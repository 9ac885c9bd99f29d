package pprofcollect

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/perfkit/perfkit/internal/results"
)

// endlessServer serves a profile response that never ends, as a hostile or
// broken pprof endpoint might; each handler reports on hungUp when its
// write fails, which happens only once the client dropped the connection.
func endlessServer(t testing.TB) (srv *httptest.Server, hungUp <-chan struct{}) {
	t.Helper()
	block := make([]byte, 32<<10)
	for i := range block {
		block[i] = byte(i)
	}
	done := make(chan struct{}, 64)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		for {
			if _, err := w.Write(block); err != nil {
				done <- struct{}{}
				return
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv, done
}

// BenchmarkFetchEndless reports the bytes a fetch allocates (B/op) while
// it reads an endless stream up to the download cap and gives up.
func BenchmarkFetchEndless(b *testing.B) {
	for _, limit := range []int64{4 << 20, DefaultMaxDownload} {
		b.Run("cap="+strconv.FormatInt(limit>>20, 10)+"MiB", func(b *testing.B) {
			srv, _ := endlessServer(b)
			f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{MaxDownload: limit})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.SetBytes(limit)
			for b.Loop() {
				if _, status, err := f.Fetch(context.Background(), "heap", 0); status != results.ProfileOversize {
					b.Fatalf("got status %s (%v), want oversize", status, err)
				}
			}
		})
	}
}

// TestFetchEndlessBounded holds the download path to the cap: an endless
// stream costs about the cap in allocations, where growing one buffer by
// doubling cost three times the cap, and the connection is dropped rather
// than drained once the cap is passed.
func TestFetchEndlessBounded(t *testing.T) {
	const limit = 4 << 20
	srv, hungUp := endlessServer(t)
	f, err := NewFetcher(srv.URL+"/debug/pprof", Endpoint{}, Limits{MaxDownload: limit})
	if err != nil {
		t.Fatal(err)
	}
	var status string
	allocated, _ := memUse(func() { _, status, err = f.Fetch(context.Background(), "heap", 0) })
	t.Logf("allocated %s for a cap of %s", mib(allocated), mib(limit))
	if status != results.ProfileOversize || err == nil || !strings.Contains(err.Error(), "download over 4194304 bytes") {
		t.Errorf("got status %s (%v), want oversize, download over 4194304 bytes", status, err)
	}
	if allocated > 2*limit {
		t.Errorf("got %s allocated, want at most %s (twice the cap)", mib(allocated), mib(2*limit))
	}
	// The server's write fails only once perfkit closed the connection;
	// the bound is generous because nothing here is about speed.
	select {
	case <-hungUp:
	case <-time.After(30 * time.Second):
		t.Error("the server still streams 30s after the fetch gave up: the connection was not dropped")
	}
}

func TestReadCapped(t *testing.T) {
	const limit = 100 << 10
	payload := make([]byte, limit+1)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	tests := []struct {
		name    string
		r       io.Reader
		hint    int64
		want    []byte // nil when an error is wanted
		wantErr error  // ErrOversize, or nil for any other error
	}{
		{"empty", bytes.NewReader(nil), -1, []byte{}, nil},
		{"small", bytes.NewReader(payload[:10]), -1, payload[:10], nil},
		{"at the limit", bytes.NewReader(payload[:limit]), -1, payload[:limit], nil},
		{"over the limit", bytes.NewReader(payload), -1, nil, ErrOversize},
		{"at the limit one byte a read", iotest.OneByteReader(bytes.NewReader(payload[:limit])), -1, payload[:limit], nil},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(payload[:limit])), -1, payload[:limit], nil},
		{"over the limit with EOF", iotest.DataErrReader(bytes.NewReader(payload)), -1, nil, ErrOversize},
		{"honest hint", bytes.NewReader(payload[:5000]), 5000, payload[:5000], nil},
		{"hint too short", bytes.NewReader(payload[:limit]), 10, payload[:limit], nil},
		{"hint too long", bytes.NewReader(payload[:10]), 5000, payload[:10], nil},
		{"hint over the limit", iotest.ErrReader(errors.New("read although the length was over the limit")), limit + 1, nil, ErrOversize},
		{"read error", io.MultiReader(bytes.NewReader(payload[:50<<10]), iotest.ErrReader(io.ErrUnexpectedEOF)), -1, nil, nil},
		{"error with the last byte", iotest.DataErrReader(io.MultiReader(bytes.NewReader(payload[:1]), iotest.ErrReader(io.ErrClosedPipe))), -1, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := readCapped(tt.r, limit, tt.hint)
			switch {
			case tt.want != nil && err != nil:
				t.Fatalf("got error %v, want %d bytes", err, len(tt.want))
			case tt.want != nil && !bytes.Equal(got, tt.want):
				t.Errorf("got %d bytes, want %d bytes of the payload", len(got), len(tt.want))
			case tt.want != nil && (n != int64(len(got)) || cap(got) != len(got)):
				t.Errorf("got n %d, len %d, cap %d, want all %d", n, len(got), cap(got), len(tt.want))
			case tt.want == nil && (err == nil || got != nil):
				t.Errorf("got %d bytes and error %v, want only an error", len(got), err)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Errorf("got error %v, want %v", err, tt.wantErr)
			case tt.want == nil && tt.wantErr == nil && errors.Is(err, ErrOversize):
				t.Errorf("got error %v, want the reader's", err)
			}
		})
	}
}
