package faultserver

import (
	"fmt"
	"io"
)

// pprofHead is what net/http/pprof sends before a profile, so a client
// that recognises the endpoint by its headers is fooled too.
const pprofHead = "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n" +
	"Content-Disposition: attachment; filename=\"profile\"\r\nX-Content-Type-Options: nosniff\r\n"

// pprofBody answers every path under the base, as a pprof mount would,
// with body framed by its length.
func pprofBody(body []byte) Handler {
	head := []byte(fmt.Sprintf("%sContent-Length: %d\r\n\r\n", pprofHead, len(body)))
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

// PprofGarbage serves bytes that are neither gzip nor a profile, with a
// profile's headers, on every path.
func PprofGarbage() Handler {
	return pprofBody([]byte("\x00\x01\x02 this is not a profile \xff\xfe"))
}

// PprofBomb serves a gzip bomb inflating to inflated bytes as the profile
// on every path; a reader that inflates without a cap runs out of memory.
func PprofBomb(inflated int64) (Handler, error) {
	bomb, err := GzipBomb(inflated)
	if err != nil {
		return nil, err
	}
	return pprofBody(bomb), nil
}

// PprofEndless starts a profile response on every path and never ends it:
// the body streams until the client hangs up.
func PprofEndless() Handler {
	return Stream(-1, UntilClose)
}
