package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/textproto"
	"os"
	"strings"
	"syscall"

	"github.com/perfkit/perfkit/internal/results"
)

// handshakeError wraps any failure of a TLS handshake, so that a server
// that hangs up on the ClientHello counts as a TLS failure, not as a
// closed connection.
type handshakeError struct{ err error }

func (e *handshakeError) Error() string { return "tls handshake: " + e.err.Error() }
func (e *handshakeError) Unwrap() error { return e.err }

// Classify maps a request's failure to the kind recorded for it. It
// understands the errors of both paths: the fast path's own, and those of
// net/http, some of which exist only as message text.
//
// The order matters where an error matches several kinds: cancellation
// first (it causes the other symptoms), then our own deadline, the proxy,
// DNS, TLS, the socket errors, and a premature EOF last.
//
// Classify knows nothing of the connection; classifyOnConn adds what the
// caller knows of it.
func Classify(err error) results.ErrKind {
	if err == nil {
		return results.KindNone
	}
	switch {
	case errors.Is(err, errCanceled), errors.Is(err, context.Canceled), errors.Is(err, net.ErrClosed):
		return results.KindCanceled
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return results.KindTimeout
	}
	var (
		refused *proxyError
		opErr   *net.OpError
	)
	switch {
	case errors.As(err, &refused):
		return results.KindProxy
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		// net/http's wrapping of any failure to reach the proxy (its
		// name, its port, its TLS): the target was never tried.
		return results.KindProxy
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		// Including the resolver's own timeouts: the name did not resolve.
		return results.KindDNS
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return results.KindTimeout
	}
	var protoErr protocolError
	var textErr textproto.ProtocolError
	switch {
	case errors.Is(err, errBodyTooLarge):
		return results.KindBodyTooLarge
	case errors.As(err, &protoErr), errors.As(err, &textErr):
		return results.KindProtocol
	case isTLSError(err):
		return results.KindTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return results.KindConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return results.KindConnReset
	}
	var hsErr *handshakeError
	switch {
	case errors.As(err, &hsErr):
		return results.KindTLS
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return results.KindConnClosed
	}
	return classifyText(err.Error())
}

// classifyOnConn is Classify for a request that knows whether its
// connection was reused and whether any response byte arrived. A reused
// connection closed or reset before the response began is the race between
// the server's idle timeout and the reuse, not a fault of a fresh
// exchange: the request may never have been read, or been read and
// dropped, and (unlike net/http) perfkit does not resend it to find out.
func classifyOnConn(err error, reused, responded bool) results.ErrKind {
	k := Classify(err)
	if reused && !responded && (k == results.KindConnClosed || k == results.KindConnReset) {
		return results.KindEOFReusedConn
	}
	return k
}

// isTLSError reports the typed errors of crypto/tls and crypto/x509.
func isTLSError(err error) bool {
	var (
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		verifyErr   *tls.CertificateVerificationError
		echErr      *tls.ECHRejectionError
		authErr     x509.UnknownAuthorityError
		hostErr     x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		rootsErr    x509.SystemRootsError
		constrained x509.ConstraintViolationError
		opErr       *net.OpError
	)
	switch {
	case errors.As(err, &recordErr), errors.As(err, &alertErr), errors.As(err, &verifyErr),
		errors.As(err, &echErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &rootsErr), errors.As(err, &constrained):
		return true
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls reports a TLS alert from the peer this way; the alert
		// type itself is unexported.
		return true
	}
	return false
}

// textKinds are net/http failures that carry no type to test, only text.
var textKinds = []struct {
	text string
	kind results.ErrKind
}{
	// net/http says so only of a kept-alive connection it was reusing.
	{"server closed idle connection", results.KindEOFReusedConn},
	{"server sent GOAWAY", results.KindConnClosed},
	{"server gave HTTP response to HTTPS client", results.KindTLS},
	{"malformed HTTP", results.KindProtocol},
	{"malformed response from server", results.KindProtocol},
	{"malformed chunked encoding", results.KindProtocol},
	{"bad Content-Length", results.KindProtocol},
	{"transfer encoding", results.KindProtocol},
	{"invalid Trailer", results.KindProtocol},
	{"response headers exceeded", results.KindProtocol},
	{"stream error:", results.KindProtocol},
	{"connection error:", results.KindProtocol},
}

func classifyText(msg string) results.ErrKind {
	for _, t := range textKinds {
		if strings.Contains(msg, t.text) {
			return t.kind
		}
	}
	return results.KindOther
}
