package client

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

func TestReadResponse(t *testing.T) {
	const ok = "HTTP/1.1 200 OK\r\n"
	tests := []struct {
		name      string
		in        string
		head      bool
		maxBody   int64
		status    int
		body      int64
		keepAlive bool
		kind      results.ErrKind
		rest      string // what must remain unread
	}{
		{name: "content-length", in: ok + "Content-Length: 3\r\n\r\nabcNEXT", status: 200, body: 3, keepAlive: true, rest: "NEXT"},
		{name: "bare LF line endings", in: "HTTP/1.1 200 OK\nContent-Length: 1\n\nx", status: 200, body: 1, keepAlive: true},
		{name: "no reason phrase", in: "HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n", status: 404, keepAlive: true},
		{name: "case-insensitive names", in: ok + "content-LENGTH: 2\r\nCONNECTION: Close\r\n\r\nab", status: 200, body: 2},
		{name: "repeated equal lengths", in: ok + "Content-Length: 2\r\nContent-Length: 2\r\n\r\nab", status: 200, body: 2, keepAlive: true},
		{name: "chunked", in: ok + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nA \t;x=y\r\n0123456789\r\n0\r\n\r\nNEXT", status: 200, body: 13, keepAlive: true, rest: "NEXT"},
		{name: "chunked with trailers", in: ok + "Transfer-Encoding: gzip, chunked\r\n\r\n1\r\na\r\n0\r\nA: b\r\nC: d\r\n\r\n", status: 200, body: 1, keepAlive: true},
		{name: "chunked overrides length, then closes", in: ok + "Content-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n", status: 200, body: 1},
		{name: "codings without chunked read to close", in: ok + "Transfer-Encoding: gzip\r\n\r\nabcdef", status: 200, body: 6},
		{name: "close-delimited", in: ok + "\r\nuntil close", status: 200, body: 11},
		{name: "HTTP/1.0 defaults to close", in: "HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx", status: 200, body: 1},
		{name: "HTTP/1.0 keep-alive", in: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 1\r\n\r\nx", status: 200, body: 1, keepAlive: true},
		{name: "HEAD ignores length", in: ok + "Content-Length: 10\r\n\r\nNEXT", head: true, status: 200, keepAlive: true, rest: "NEXT"},
		{name: "204 has no body", in: "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\nNEXT", status: 204, keepAlive: true, rest: "NEXT"},
		{name: "interim responses", in: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" + ok + "Content-Length: 0\r\n\r\n", status: 200, keepAlive: true},
		{name: "101 ends HTTP", in: "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\nxyz", status: 101, rest: "xyz"},
		{name: "folded unknown header", in: ok + "X-A: 1\r\n  continued\r\nContent-Length: 0\r\n\r\n", status: 200, keepAlive: true},
		{name: "long unknown header skipped", in: ok + "X-Long: " + strings.Repeat("v", 40<<10) + "\r\nContent-Length: 1\r\n\r\nx", status: 200, body: 1, keepAlive: true},
		{name: "long reason phrase skipped", in: "HTTP/1.1 200 " + strings.Repeat("r", 20<<10) + "\r\nContent-Length: 0\r\n\r\n", status: 200, keepAlive: true},

		{name: "length over max", in: ok + "Content-Length: 11\r\n\r\n", maxBody: 10, status: 200, kind: results.KindBodyTooLarge, rest: ""},
		{name: "length at max", in: ok + "Content-Length: 10\r\n\r\n0123456789", maxBody: 10, status: 200, body: 10, keepAlive: true},
		{name: "chunks over max", in: ok + "Transfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\nabcdef\r\n0\r\n\r\n", maxBody: 10, status: 200, body: 6, kind: results.KindBodyTooLarge},
		{name: "close-delimited over max", in: ok + "\r\n0123456789X", maxBody: 10, status: 200, body: 10, kind: results.KindBodyTooLarge, rest: "X"},
		{name: "close-delimited at max", in: ok + "\r\n0123456789", maxBody: 10, status: 200, body: 10},

		{name: "empty", in: "", kind: results.KindConnClosed},
		{name: "truncated status", in: "HTTP/1.1 2", kind: results.KindConnClosed},
		{name: "truncated body", in: ok + "Content-Length: 5\r\n\r\nab", status: 200, body: 2, kind: results.KindConnClosed},
		{name: "truncated chunk", in: ok + "Transfer-Encoding: chunked\r\n\r\n5\r\nab", status: 200, body: 2, kind: results.KindConnClosed},
		{name: "garbage", in: "garbage\r\n\r\n", kind: results.KindProtocol},
		{name: "HTTP/2 status line", in: "HTTP/2.0 200 OK\r\n\r\n", kind: results.KindProtocol},
		{name: "two-digit status", in: "HTTP/1.1 20 OK\r\n\r\n", kind: results.KindProtocol},
		{name: "status below 100", in: "HTTP/1.1 099 OK\r\n\r\n", kind: results.KindProtocol},
		{name: "signed length", in: ok + "Content-Length: +5\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "conflicting lengths", in: ok + "Content-Length: 1\r\nContent-Length: 2\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "space before colon", in: ok + "Content-Length : 1\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "no colon", in: ok + "Content-Length\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "folded framing header", in: ok + "Transfer-Encoding: gzip\r\n chunked\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "fold as first line", in: ok + " x\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "double chunked", in: ok + "Transfer-Encoding: chunked, chunked\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "empty transfer-encoding", in: ok + "Transfer-Encoding: \r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "bad chunk size", in: ok + "Transfer-Encoding: chunked\r\n\r\nxyz\r\n", status: 200, kind: results.KindProtocol},
		{name: "chunk size overflow", in: ok + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n", status: 200, kind: results.KindProtocol},
		{name: "chunk without CRLF", in: ok + "Transfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n", status: 200, body: 1, kind: results.KindProtocol},
		{name: "bad trailer", in: ok + "Transfer-Encoding: chunked\r\n\r\n0\r\nno colon\r\n\r\n", status: 200, kind: results.KindProtocol},
		{name: "header section too large", in: ok + strings.Repeat("X-A: "+strings.Repeat("a", 1000)+"\r\n", 70) + "\r\n", status: 200, kind: results.KindProtocol},
		{name: "too many interim responses", in: strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 10), kind: results.KindProtocol},
		{name: "long framing header", in: ok + "Content-Length: " + strings.Repeat("1", 20<<10) + "\r\n\r\n", status: 200, kind: results.KindProtocol},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.maxBody == 0 {
				tt.maxBody = 1 << 20
			}
			br := bufio.NewReaderSize(strings.NewReader(tt.in), readBufSize)
			var r response
			err := readResponse(br, tt.head, tt.maxBody, &r)
			if got := Classify(err); got != tt.kind {
				t.Fatalf("got kind %v (err %v), want %v", got, err, tt.kind)
			}
			if r.status != tt.status || r.body != tt.body || r.keepAlive != tt.keepAlive {
				t.Errorf("got status %d body %d keepAlive %v, want %d %d %v", r.status, r.body, r.keepAlive, tt.status, tt.body, tt.keepAlive)
			}
			rest := tt.in[r.bytes:]
			if err == nil && rest != tt.rest {
				t.Errorf("got %q left after the response, want %q", rest, tt.rest)
			}
		})
	}
}

// FuzzParseResponse feeds arbitrary bytes to the parser: it must not
// panic, must account for exactly the bytes it consumed, and must never
// count more body than MaxBody.
func FuzzParseResponse(f *testing.F) {
	seeds := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;e=1\r\nhello\r\n0\r\nT: v\r\n\r\n",
		"HTTP/1.0 200 OK\r\n\r\nclose-delimited",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 101 Switching Protocols\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffff\r\n",
		"HTTP/1.1 2000 OK\r\n\r\n",
		"garbage\r\n\r\n",
		"",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false, int64(8))
		f.Add([]byte(s), true, int64(1<<20))
	}
	f.Fuzz(func(t *testing.T, in []byte, isHead bool, maxBody int64) {
		if maxBody <= 0 {
			maxBody = 1
		}
		// The smallest buffer bufio allows, so long lines are the norm.
		src := &countingReader{r: bytes.NewReader(in)}
		br := bufio.NewReaderSize(src, 16)
		var r response
		err := readResponse(br, isHead, maxBody, &r)
		if r.body > maxBody {
			t.Fatalf("counted %d body bytes, over MaxBody %d", r.body, maxBody)
		}
		if r.body < 0 || r.bytes < r.body {
			t.Fatalf("got body %d of %d bytes, want 0 <= body <= bytes", r.body, r.bytes)
		}
		if consumed := src.n - int64(br.Buffered()); consumed != r.bytes {
			t.Fatalf("consumed %d bytes, counted %d", consumed, r.bytes)
		}
		if err == nil && r.status < 101 {
			t.Fatalf("completed with status %d", r.status)
		}
		if k := Classify(err); err != nil && k != results.KindProtocol && k != results.KindConnClosed && k != results.KindBodyTooLarge {
			t.Fatalf("got kind %v (err %v), want protocol, connection_closed or body_too_large", k, err)
		}
	})
}

// countingReader counts the bytes a bufio.Reader pulled from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
