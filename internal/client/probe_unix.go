//go:build unix

package client

import (
	"errors"
	"syscall"
)

// alive reports whether an idle connection can still carry a request: a
// read that would block is alive; end of stream, an error, or bytes
// nobody asked for mean it is not. It makes one non-blocking read on the
// socket itself (a read with an expired deadline would not reach the
// kernel), so on TLS any byte (a close_notify alert) also means the
// connection is done.
func (s *slot) alive() bool {
	sc, ok := s.raw.(syscall.Conn)
	if !ok {
		return true // not a socket (tests' pipes): nothing to probe
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	err = rc.Read(func(fd uintptr) bool {
		_, rerr := syscall.Read(int(fd), s.probe[:])
		open = errors.Is(rerr, syscall.EAGAIN)
		return true // never wait: one look is the whole probe
	})
	return err == nil && open
}
