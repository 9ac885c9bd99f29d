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
		{"net/http closed idle", urlErr(errors.New("http: server closed idle connection")), results.KindEOFReusedConn},
		{"plain HTTP from an https URL", urlErr(errors.New("http: server gave HTTP response to HTTPS client")), results.KindTLS},
		{"body too large", fmt.Errorf("read: %w", errBodyTooLarge), results.KindBodyTooLarge},
		{"proxy refused CONNECT", urlErr(&proxyError{status: "403 Forbidden"}), results.KindProxy},
		{"proxy refused the connection", urlErr(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: opErr("dial", syscall.ECONNREFUSED)}), results.KindProxy},
		{"proxy name unresolvable", urlErr(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "proxy.invalid", IsNotFound: true}}), results.KindProxy},
		{"proxy dial timed out", urlErr(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: context.DeadlineExceeded}), results.KindTimeout},
		{"proxy dial canceled", urlErr(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: context.Canceled}), results.KindCanceled},
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

func TestClassifyOnConn(t *testing.T) {
	reset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name              string
		err               error
		reused, responded bool
		want              results.ErrKind
	}{
		{"EOF on a fresh connection", io.EOF, false, false, results.KindConnClosed},
		{"reset on a fresh connection", reset, false, false, results.KindConnReset},
		{"EOF on a reused connection", io.EOF, true, false, results.KindEOFReusedConn},
		{"reset on a reused connection", reset, true, false, results.KindEOFReusedConn},
		{"EOF once the response began", io.ErrUnexpectedEOF, true, true, results.KindConnClosed},
		{"reset once the response began", reset, true, true, results.KindConnReset},
		{"timeout on a reused connection", os.ErrDeadlineExceeded, true, false, results.KindTimeout},
		{"canceled on a reused connection", errCanceled, true, false, results.KindCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classifyOnConn(tt.err, tt.reused, tt.responded); got != tt.want {
				t.Errorf("classifyOnConn(%v, reused %v, responded %v) = %v, want %v", tt.err, tt.reused, tt.responded, got, tt.want)
			}
		})
	}
}
