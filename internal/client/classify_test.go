package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"net/url"
	"os"
	"syscall"
	"testing"

	"github.com/perfkit/perfkit/internal/results"
)

func TestClassify(t *testing.T) {
	opErr := func(op string, err error) error {
		return &net.OpError{Op: op, Net: "tcp", Err: os.NewSyscallError(op, err)}
	}
	urlErr := func(err error) error { return &url.Error{Op: "Get", URL: "http://x", Err: err} }
	tests := []struct {
		name string
		err  error
		want results.ErrKind
	}{
		{"nil", nil, results.KindNone},
		{"closed by Close", errCanceled, results.KindCanceled},
		{"context canceled", urlErr(context.Canceled), results.KindCanceled},
		{"use of closed connection", &net.OpError{Op: "read", Err: net.ErrClosed}, results.KindCanceled},
		{"context deadline", urlErr(context.DeadlineExceeded), results.KindTimeout},
		{"i/o deadline", &net.OpError{Op: "read", Err: os.ErrDeadlineExceeded}, results.KindTimeout},
		{"connect timed out", opErr("connect", syscall.ETIMEDOUT), results.KindTimeout},
		{"deadline during TLS handshake", &handshakeError{context.DeadlineExceeded}, results.KindTimeout},
		{"DNS not found", &net.DNSError{Err: "no such host", Name: "x.invalid", IsNotFound: true}, results.KindDNS},
		{"DNS server timeout", &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}, results.KindDNS},
		{"refused", opErr("connect", syscall.ECONNREFUSED), results.KindConnRefused},
		{"reset", opErr("read", syscall.ECONNRESET), results.KindConnReset},
		{"broken pipe", opErr("write", syscall.EPIPE), results.KindConnReset},
		{"EOF", io.EOF, results.KindConnClosed},
		{"unexpected EOF", fmt.Errorf("read body: %w", io.ErrUnexpectedEOF), results.KindConnClosed},
		{"unknown authority", urlErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), results.KindTLS},
		{"hostname mismatch", x509.HostnameError{Host: "x"}, results.KindTLS},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, results.KindTLS},
		{"remote alert", &net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}, results.KindTLS},
		{"hung up during handshake", &handshakeError{io.EOF}, results.KindTLS},
		{"reset during handshake", &handshakeError{opErr("read", syscall.ECONNRESET)}, results.KindConnReset},
		{"parser", protocolError("invalid status line"), results.KindProtocol},
		{"textproto", urlErr(textproto.ProtocolError("malformed MIME header line")), results.KindProtocol},
		{"net/http malformed", urlErr(errors.New(`net/http: HTTP/1.x transport connection broken: malformed HTTP response "x"`)), results.KindProtocol},
		{"net/http closed idle", urlErr(errors.New("http: server closed idle connection")), results.KindConnClosed},
		{"plain HTTP from an https URL", urlErr(errors.New("http: server gave HTTP response to HTTPS client")), results.KindTLS},
		{"body too large", fmt.Errorf("read: %w", errBodyTooLarge), results.KindBodyTooLarge},
		{"unreachable", opErr("connect", syscall.EHOSTUNREACH), results.KindOther},
		{"anything else", errors.New("boom"), results.KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Classify(tt.err); got != tt.want {
				t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
