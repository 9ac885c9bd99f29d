package faultserver

import (
	"bufio"
	"compress/gzip"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package if a server leaves a goroutine behind after
// Close: tests elsewhere count goroutines around runs against these servers.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// exchange sends one GET for target on a fresh connection and returns
// the connection with a reader over it, the deadline set to 5 s.
func exchange(t *testing.T, s *Server, target string) (net.Conn, *bufio.Reader) {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestHandlers(t *testing.T) {
	tests := []struct {
		name    string
		handler Handler
		check   func(t *testing.T, c net.Conn, br *bufio.Reader)
	}{
		{"respond", Respond(503, "busy"), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, body, err := readResponse(t, br)
			if err != nil || resp.StatusCode != 503 || string(body) != "busy" {
				t.Errorf("got %v %q (%v), want 503 %q", resp, body, err, "busy")
			}
		}},
		{"reset", Reset(1000), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			_, body, err := readResponse(t, br)
			if !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("got error %v, want ECONNRESET", err)
			}
			if len(body) > 1000 {
				t.Errorf("got %d body bytes, want at most 1000", len(body))
			}
		}},
		{"hang", Hang(), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			var ne net.Error
			if _, err := br.ReadByte(); !errors.As(err, &ne) || !ne.Timeout() {
				t.Errorf("got %v, want a read timeout", err)
			}
		}},
		{"stall headers", StallHeaders(50*time.Millisecond, "late"), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			start := time.Now()
			_, body, err := readResponse(t, br)
			if err != nil || string(body) != "late" {
				t.Errorf("got %q (%v), want %q", body, err, "late")
			}
			if took := time.Since(start); took < 50*time.Millisecond {
				t.Errorf("answered after %v, want at least the 50ms stall", took)
			}
		}},
		{"stall body", StallBody(50*time.Millisecond, "late"), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			body, err := io.ReadAll(resp.Body)
			if err != nil || string(body) != "late" {
				t.Errorf("got %q (%v), want %q", body, err, "late")
			}
			if took := time.Since(start); took < 50*time.Millisecond {
				t.Errorf("body after %v, want at least the 50ms stall", took)
			}
		}},
		{"trickle", Trickle(5, 10*time.Millisecond), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			_, body, err := readResponse(t, br)
			if err != nil || string(body) != "ttttt" {
				t.Errorf("got %q (%v), want ttttt", body, err)
			}
		}},
		{"lying length", LyingLength(100, 10), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			_, body, err := readResponse(t, br)
			if !errors.Is(err, io.ErrUnexpectedEOF) || len(body) != 10 {
				t.Errorf("got %d bytes (%v), want 10 then an unexpected EOF", len(body), err)
			}
		}},
		{"stream with length", Stream(1<<20+7, ContentLength), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, body, err := readResponse(t, br)
			if err != nil || len(body) != 1<<20+7 || resp.ContentLength != 1<<20+7 {
				t.Errorf("got %d bytes (%v), want %d", len(body), err, 1<<20+7)
			}
		}},
		{"stream chunked", Stream(1<<20+7, Chunked), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, body, err := readResponse(t, br)
			if err != nil || len(body) != 1<<20+7 || len(resp.TransferEncoding) != 1 {
				t.Errorf("got %d bytes, encoding %v (%v), want %d chunked", len(body), resp.TransferEncoding, err, 1<<20+7)
			}
		}},
		{"stream until close", Stream(1<<20+7, UntilClose), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			_, body, err := readResponse(t, br)
			if err != nil || len(body) != 1<<20+7 {
				t.Errorf("got %d bytes (%v), want %d", len(body), err, 1<<20+7)
			}
		}},
		{"endless chunked", Stream(-1, Chunked), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			if n, err := io.CopyN(io.Discard, resp.Body, 8<<20); err != nil || n != 8<<20 {
				t.Errorf("read %d bytes (%v), want 8 MiB and more to come", n, err)
			}
		}},
		{"huge headers", HugeHeaders(1 << 20), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			n := 0
			for {
				line, err := br.ReadString('\n')
				if err != nil {
					t.Fatalf("after %d header bytes: %v", n, err)
				}
				n += len(line)
				if line == "\r\n" {
					break
				}
			}
			if n < 1<<20 {
				t.Errorf("got %d header bytes, want at least 1 MiB", n)
			}
		}},
		{"garbage", Raw("SPDY/9 banana\r\n\r\n"), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			if _, _, err := readResponse(t, br); err == nil {
				t.Error("net/http parsed the garbage status line")
			}
		}},
		{"redirect loop", RedirectLoop(), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, _, err := readResponse(t, br)
			if err != nil || resp.StatusCode != 302 || resp.Header.Get("Location") != "/loop?x=1" {
				t.Errorf("got %v (%v), want 302 to /loop?x=1", resp, err)
			}
		}},
		{"redirect to", RedirectTo("http://localhost:9/"), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, _, err := readResponse(t, br)
			if err != nil || resp.Header.Get("Location") != "http://localhost:9/loop?x=1" {
				t.Errorf("got %v (%v), want 302 to http://localhost:9/loop?x=1", resp, err)
			}
		}},
		{"pprof garbage", PprofGarbage(), func(t *testing.T, c net.Conn, br *bufio.Reader) {
			resp, body, err := readResponse(t, br)
			if err != nil || resp.StatusCode != 200 || len(body) == 0 || body[0] == 0x1f {
				t.Errorf("got %v %q (%v), want 200 and bytes that are not gzip", resp, body, err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t, tt.handler)
			c, br := exchange(t, s, "/loop?x=1")
			tt.check(t, c, br)
			c.Close()
			s.Close()
			if s.Accepted() != 1 || s.Requests() != 1 || s.Active() != 0 {
				t.Errorf("got accepted %d, requests %d, active %d; want 1, 1, 0", s.Accepted(), s.Requests(), s.Active())
			}
		})
	}
}

func TestGzipBombInflates(t *testing.T) {
	const inflated = 64 << 20
	bomb, err := GzipBomb(inflated)
	if err != nil {
		t.Fatal(err)
	}
	if len(bomb) > inflated/500 {
		t.Errorf("got %d compressed bytes, want at most a 500th of %d", len(bomb), inflated)
	}
	s := New(t, Gzip(bomb))
	_, br := exchange(t, s, "/")
	resp, body, err := readResponse(t, br)
	if err != nil || resp.Header.Get("Content-Encoding") != "gzip" || len(body) != len(bomb) {
		t.Fatalf("got %d bytes, encoding %q (%v), want the %d bomb bytes as gzip", len(body), resp.Header.Get("Content-Encoding"), err, len(bomb))
	}
	zr, err := gzip.NewReader(strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil || n != inflated {
		t.Errorf("inflated to %d bytes (%v), want %d", n, err, inflated)
	}
}

func TestResetOnRequestFailsALargeUpload(t *testing.T) {
	s := New(t, ResetOnRequest())
	c, err := net.Dial("tcp", s.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	body := strings.Repeat("p", 8<<20)
	_, err = io.WriteString(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n"+body)
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Errorf("got write error %v, want ECONNRESET or EPIPE", err)
	}
}

func TestIdleCloseHangsUpAfterIdle(t *testing.T) {
	s := New(t, IdleClose(30*time.Millisecond, "ok"))
	_, br := exchange(t, s, "/")
	if _, body, err := readResponse(t, br); err != nil || string(body) != "ok" {
		t.Fatalf("got %q (%v), want ok", body, err)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("got %v after the idle time, want EOF", err)
	}
}

func TestStopRestartSamePort(t *testing.T) {
	s := New(t, Respond(200, "up"))
	get := func() error {
		c, err := net.Dial("tcp", s.Addr)
		if err != nil {
			return err
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			return err
		}
		_, _, err = readResponse(t, bufio.NewReader(c))
		return err
	}
	// A keep-alive connection open across Stop must be closed by it.
	held, br := exchange(t, s, "/")
	if _, _, err := readResponse(t, br); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("held connection after Stop: got %v, want EOF", err)
	}
	held.Close()
	if err := get(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("while stopped: got %v, want connection refused", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := s.Restart(); err == nil {
		t.Error("restart while running: got nil, want an error")
	}
	if err := get(); err != nil {
		t.Errorf("after restart: %v", err)
	}
	s.Close()
	if got := s.Requests(); got != 2 {
		t.Errorf("got %d requests, want 2", got)
	}
	if err := s.Restart(); err == nil {
		t.Error("restart after close: got nil, want an error")
	}
}

func TestRefused(t *testing.T) {
	u := Refused(t)
	_, err := net.Dial("tcp", strings.TrimPrefix(u, "http://"))
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("got %v, want connection refused", err)
	}
}

func TestCertKinds(t *testing.T) {
	tests := []struct {
		kind CertKind
		// want matches the verification error when the certificate
		// itself is trusted; nil means it verifies.
		want func(error) bool
	}{
		{SelfSigned, func(err error) bool { return err == nil }},
		{Expired, func(err error) bool {
			var e x509.CertificateInvalidError
			return errors.As(err, &e) && e.Reason == x509.Expired
		}},
		{WrongHost, func(err error) bool {
			var e x509.HostnameError
			return errors.As(err, &e)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			cert, err := Cert(tt.kind)
			if err != nil {
				t.Fatal(err)
			}
			s := NewTLS(t, cert, Respond(200, "secure"))
			// Default verification: no kind chains to a trusted root.
			_, err = tls.Dial("tcp", s.Addr, &tls.Config{})
			var unknown x509.UnknownAuthorityError
			if !errors.As(err, &unknown) && !tt.want(err) {
				t.Errorf("system roots: got %v, want a verification error", err)
			}
			leaf, err := x509.ParseCertificate(cert.Certificate[0])
			if err != nil {
				t.Fatal(err)
			}
			pool := x509.NewCertPool()
			pool.AddCert(leaf)
			c, err := tls.Dial("tcp", s.Addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
			if !tt.want(err) {
				t.Errorf("trusting the certificate: got %v", err)
			}
			if err == nil {
				c.Close()
			}
		})
	}
}

// TestOnlyTestsImportIt holds the package's one rule: no package of the
// module imports it outside its tests.
func TestOnlyTestsImportIt(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}: {{join .Imports \" \"}}", "github.com/perfkit/perfkit/...").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	const self = "github.com/perfkit/perfkit/internal/faultserver"
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imports, _ := strings.Cut(line, ": ")
		for _, imp := range strings.Fields(imports) {
			if imp == self {
				t.Errorf("%s imports %s outside its tests", pkg, self)
			}
		}
	}
}
