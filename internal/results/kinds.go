package results

// ErrKind classifies why a request did not succeed. The names are part of
// the result file and the summary JSON (`error_kinds`), so they never change;
// the numbers are internal (counters are indexed by them, files carry names),
// so a new kind may go anywhere before NumKinds.
type ErrKind uint8

// Error kinds. KindNone means the exchange completed; its status code may
// still make it an error (KindHTTP4xx, KindHTTP5xx are assigned by the
// recorder from the status, never by a client).
const (
	KindNone ErrKind = iota
	KindTimeout
	KindConnRefused
	KindConnReset  // reset by the peer (on a reused connection: after the response began)
	KindConnClosed // closed by the peer before a full response (on a reused connection: after it began)
	KindDNS
	KindTLS
	KindProtocol // malformed status line, headers or framing
	KindBodyTooLarge
	KindRedirect // too many redirects, or a redirect the client will not follow
	KindCanceled // cut off by the hard stop at the end of the grace period
	KindHTTP4xx
	KindHTTP5xx
	// KindEOFReusedConn is a kept-alive connection the peer closed or reset
	// before any byte of the response: the server's idle timeout racing the
	// client's reuse. The server may or may not have processed the request,
	// which is why it is told apart from connection_closed and
	// connection_reset (a fresh connection) and is never retried.
	KindEOFReusedConn
	KindProxy // the proxy refused the tunnel (CONNECT not 200) or could not be reached
	KindOther
	NumKinds
)

var kindNames = [NumKinds]string{
	KindNone:          "none",
	KindTimeout:       "timeout",
	KindConnRefused:   "connection_refused",
	KindConnReset:     "connection_reset",
	KindConnClosed:    "connection_closed",
	KindDNS:           "dns",
	KindTLS:           "tls",
	KindProtocol:      "protocol",
	KindBodyTooLarge:  "body_too_large",
	KindRedirect:      "redirect",
	KindCanceled:      "canceled",
	KindHTTP4xx:       "http_4xx",
	KindHTTP5xx:       "http_5xx",
	KindEOFReusedConn: "eof_reused_conn",
	KindProxy:         "proxy",
	KindOther:         "other",
}

// String returns the stable name used in result files and reports.
func (k ErrKind) String() string {
	if k < NumKinds {
		return kindNames[k]
	}
	return "other"
}

// ParseErrKind maps a stable name back to its kind.
func ParseErrKind(name string) (ErrKind, bool) {
	for k, n := range kindNames {
		if n == name {
			return ErrKind(k), true
		}
	}
	return KindOther, false
}
