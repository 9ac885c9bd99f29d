package faultserver

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// writeBufSize is the block size generated bodies are written in.
const writeBufSize = 32 << 10

// Respond answers every request with status and body, keeping the
// connection open for the next one.
func Respond(status int, body string) Handler {
	resp := []byte(fmt.Sprintf("HTTP/1.1 %d %s\r\nContent-Length: %d\r\nContent-Type: text/plain\r\n\r\n%s",
		status, reason(status), len(body), body))
	return func(c *Conn, r *Request) error {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		_, err := c.Write(resp)
		return err
	}
}

// IdleClose answers like Respond, then closes a connection that stays idle
// for idle: a server with a short keep-alive timeout, which races a client
// that reuses the connection just after.
func IdleClose(idle time.Duration, body string) Handler {
	respond := Respond(200, body)
	return func(c *Conn, r *Request) error {
		if err := respond(c, r); err != nil {
			return err
		}
		return c.SetReadDeadline(time.Now().Add(idle))
	}
}

// Reset sends headers announcing 2×sent body bytes, sends sent of them,
// then resets the connection.
func Reset(sent int) Handler {
	head := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", 2*sent))
	body := bytes.Repeat([]byte("r"), sent)
	return func(c *Conn, r *Request) error {
		if _, err := c.Write(head); err != nil {
			return err
		}
		if _, err := c.Write(body); err != nil {
			return err
		}
		// Let the bytes reach the client before the RST, which would
		// otherwise discard them from the send queue.
		c.Sleep(20 * time.Millisecond)
		if err := c.Reset(); err != nil {
			return err
		}
		return errHangUp
	}
}

// ResetOnRequest resets the connection as soon as a request head has
// arrived, without reading its body: a client still writing a large body
// sees its write fail.
func ResetOnRequest() Handler {
	return func(c *Conn, r *Request) error {
		if err := c.Reset(); err != nil {
			return err
		}
		return errHangUp
	}
}

// Hang reads the request and never answers. It returns when the client
// closes the connection or the server stops.
func Hang() Handler {
	return func(c *Conn, r *Request) error {
		// Reading blocks until the peer closes or Stop closes the
		// connection; anything the client sends meanwhile is ignored.
		_, err := io.Copy(io.Discard, c)
		if err == nil {
			err = io.EOF
		}
		return err
	}
}

// StallHeaders waits d before it sends anything, then answers 200 with
// body.
func StallHeaders(d time.Duration, body string) Handler {
	respond := Respond(200, body)
	return func(c *Conn, r *Request) error {
		if !c.Sleep(d) {
			return errHangUp
		}
		return respond(c, r)
	}
}

// StallBody sends the headers at once, waits d, then sends body.
func StallBody(d time.Duration, body string) Handler {
	head := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", len(body)))
	return func(c *Conn, r *Request) error {
		if _, err := c.Write(head); err != nil {
			return err
		}
		if !c.Sleep(d) {
			return errHangUp
		}
		_, err := io.WriteString(c, body)
		return err
	}
}

// Trickle sends the headers at once, then a body of n bytes one byte every
// interval.
func Trickle(n int, every time.Duration) Handler {
	head := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", n))
	return func(c *Conn, r *Request) error {
		if _, err := c.Write(head); err != nil {
			return err
		}
		for range n {
			if !c.Sleep(every) {
				return errHangUp
			}
			if _, err := c.Write([]byte{'t'}); err != nil {
				return err
			}
		}
		return nil
	}
}

// LyingLength declares a Content-Length of claimed, sends only sent body
// bytes and closes the connection.
func LyingLength(claimed, sent int) Handler {
	resp := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", claimed, strings.Repeat("l", sent)))
	return func(c *Conn, r *Request) error {
		if _, err := c.Write(resp); err != nil {
			return err
		}
		return errHangUp
	}
}

// Framing is how a generated body is delimited.
type Framing int

// Framings of Stream.
const (
	// ContentLength declares the size up front.
	ContentLength Framing = iota
	// Chunked sends Transfer-Encoding: chunked.
	Chunked
	// UntilClose sends neither and closes the connection at the end.
	UntilClose
)

// Stream answers with a body of size bytes generated on the fly from one
// reused block, so a body of gigabytes costs the test no memory. A size
// below 0 never ends (for Chunked and UntilClose). The write stops as soon
// as the client stops reading and closes.
func Stream(size int64, framing Framing) Handler {
	block := bytes.Repeat([]byte("0123456789abcdef"), writeBufSize/16)
	chunkHead := []byte(strconv.FormatInt(int64(len(block)), 16) + "\r\n")
	return func(c *Conn, r *Request) error {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		var head string
		switch framing {
		case ContentLength:
			if size < 0 {
				return errors.New("faultserver: an endless body cannot have a Content-Length")
			}
			head = fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", size)
		case Chunked:
			head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		case UntilClose:
			head = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
		}
		w := bufio.NewWriterSize(c, 2*writeBufSize)
		if _, err := w.WriteString(head); err != nil {
			return err
		}
		for left := size; size < 0 || left > 0; {
			b := block
			if size >= 0 && left < int64(len(b)) {
				b = b[:left]
			}
			if framing == Chunked {
				if len(b) == len(block) {
					_, _ = w.Write(chunkHead)
				} else {
					fmt.Fprintf(w, "%x\r\n", len(b))
				}
			}
			_, _ = w.Write(b)
			if framing == Chunked {
				_, _ = w.WriteString("\r\n")
			}
			// bufio.Writer keeps its first error and returns it from
			// every later call, so checking once per block is enough.
			if err := w.Flush(); err != nil {
				return err
			}
			left -= int64(len(b))
		}
		if framing == Chunked {
			_, _ = w.WriteString("0\r\n\r\n")
		}
		if err := w.Flush(); err != nil {
			return err
		}
		if framing == UntilClose {
			return errHangUp
		}
		return nil
	}
}

// Gzip answers with body as sent, declared as Content-Encoding: gzip.
// With a GzipBomb body the response is small on the wire and huge
// inflated; a client that measures wire bytes must never inflate it.
func Gzip(body []byte) Handler {
	head := []byte(fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(body)))
	return func(c *Conn, r *Request) error {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			return err
		}
		if _, err := c.Write(head); err != nil {
			return err
		}
		_, err := c.Write(body)
		return err
	}
}

// GzipBomb returns gzip data that inflates to inflated zero bytes (rounded
// up to whole MiB): concatenated members, each 1 MiB of zeros, about a
// thousandth of the inflated size in all. It is built without ever
// holding the inflated bytes.
func GzipBomb(inflated int64) ([]byte, error) {
	const member = 1 << 20
	var one bytes.Buffer
	zw, err := gzip.NewWriterLevel(&one, gzip.BestCompression)
	if err != nil {
		return nil, fmt.Errorf("gzip bomb: %w", err)
	}
	if _, err := zw.Write(make([]byte, member)); err != nil {
		return nil, fmt.Errorf("gzip bomb: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("gzip bomb: %w", err)
	}
	n := int((inflated + member - 1) / member)
	return bytes.Repeat(one.Bytes(), n), nil
}

// HugeHeaders answers with a status line and header fields adding up to
// size bytes, then an empty body.
func HugeHeaders(size int) Handler {
	field := []byte("X-Filler: " + strings.Repeat("h", 1000) + "\r\n")
	return func(c *Conn, r *Request) error {
		w := bufio.NewWriterSize(c, writeBufSize)
		_, _ = w.WriteString("HTTP/1.1 200 OK\r\n")
		for sent := 0; sent < size; sent += len(field) {
			if _, err := w.Write(field); err != nil {
				return err
			}
		}
		_, _ = w.WriteString("Content-Length: 0\r\n\r\n")
		return w.Flush()
	}
}

// Raw answers every request with data exactly as given, then closes: for
// garbage status lines and other malformed responses.
func Raw(data string) Handler {
	return func(c *Conn, r *Request) error {
		if _, err := io.WriteString(c, data); err != nil {
			return err
		}
		return errHangUp
	}
}

// RedirectLoop answers every request with a 302 back to the same target.
func RedirectLoop() Handler {
	return func(c *Conn, r *Request) error {
		return redirect(c, r, r.Target)
	}
}

// RedirectTo answers every request with a 302 to the same path on base
// (e.g. another server's URL): a cross-host redirect.
func RedirectTo(base string) Handler {
	return func(c *Conn, r *Request) error {
		return redirect(c, r, strings.TrimSuffix(base, "/")+r.Target)
	}
}

func redirect(c *Conn, r *Request, location string) error {
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		return err
	}
	_, err := fmt.Fprintf(c, "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n", location)
	return err
}

// Record answers like inner and hands each request head to seen first, so
// a test can check what reached the server (e.g. that no credential did).
func Record(seen func(*Request), inner Handler) Handler {
	return func(c *Conn, r *Request) error {
		seen(r)
		return inner(c, r)
	}
}

func reason(status int) string {
	switch status {
	case 200:
		return "OK"
	case 302:
		return "Found"
	case 404:
		return "Not Found"
	case 500:
		return "Internal Server Error"
	case 503:
		return "Service Unavailable"
	}
	return "Status"
}
