package client

import (
	"bufio"
	"io"
	"net"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

// TestEOFOnReusedConnection tells the keep-alive race (a reused connection
// closed or reset before any response byte) from the same failure on a
// fresh connection and from one after the response began, on both paths,
// and checks that nothing is sent twice.
func TestEOFOnReusedConnection(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
	hangUp := func(c net.Conn) {}
	reset := func(c net.Conn) { c.(*net.TCPConn).SetLinger(0) }
	halfAnswer := func(c net.Conn) { io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort") }
	tests := []struct {
		name string
		// fail runs on the fail-th request of every connection, after
		// reading it; the connection is closed when it returns.
		fail      int
		misbehave func(net.Conn)
		want      results.ErrKind
	}{
		{"fresh connection closed", 1, hangUp, results.KindConnClosed},
		{"fresh connection reset", 1, reset, results.KindConnReset},
		{"reused connection closed", 2, hangUp, results.KindEOFReusedConn},
		{"reused connection reset", 2, reset, results.KindEOFReusedConn},
		{"reused connection closed mid-response", 2, halfAnswer, results.KindConnClosed},
	}
	for _, tt := range tests {
		for _, path := range []struct {
			name     string
			forceStd bool
		}{{"fast", false}, {"net/http", true}} {
			t.Run(tt.name+"/"+path.name, func(t *testing.T) {
				srv := newRawServer(t, func(s *rawServer, c net.Conn, br *bufio.Reader) {
					for n := 1; s.readRequest(br); n++ {
						if n == tt.fail {
							tt.misbehave(c)
							return
						}
						if _, err := io.WriteString(c, ok); err != nil {
							return
						}
					}
				})
				c, err := newClient(Config{Endpoints: []Endpoint{{URL: srv.url()}}, Proxy: noProxy}, path.forceStd)
				if err != nil {
					t.Fatalf("newClient: %v", err)
				}
				conn := c.NewConn()
				defer conn.Close()
				for i := 1; i < tt.fail; i++ {
					checkOK(t, do(conn, 0), 200)
				}
				out := do(conn, 0)
				if out.Kind != tt.want {
					t.Errorf("got kind %v (err %v), want %v", out.Kind, out.Err, tt.want)
				}
				// net/http dials for the retry it then gives up, so only the
				// fast path has no new connection on a reused failure.
				if got, want := out.NewConn, tt.fail == 1; got != want && (want || !path.forceStd) {
					t.Errorf("got NewConn %v on the failing request, want %v", got, want)
				}
				if got := srv.requests.Load(); got != int64(tt.fail) {
					t.Errorf("server read %d requests, want %d: the failed one must not be resent", got, tt.fail)
				}
			})
		}
	}
}
