package results

// ErrKind classifies why a request did not succeed. The names are part of
// the result file and the summary JSON (`error_kinds`), so they never change.
type ErrKind uint8

// Error kinds. KindNone means the exchange completed; its status code may
// still make it an error (KindHTTP4xx, KindHTTP5xx are assigned by the
// recorder from the status, never by a client).
const (
	KindNone ErrKind = iota
	KindTimeout
	KindConnRefused
	KindConnReset
	KindConnClosed // the peer closed the connection before a full response
	KindDNS
	KindTLS
	KindProtocol // malformed status line, headers or framing
	KindBodyTooLarge
	KindRedirect // too many redirects, or a redirect the client will not follow
	KindCanceled // cut off by the hard stop at the end of the grace period
	KindHTTP4xx
	KindHTTP5xx
	KindOther
	NumKinds
)

var kindNames = [NumKinds]string{
	KindNone:         "none",
	KindTimeout:      "timeout",
	KindConnRefused:  "connection_refused",
	KindConnReset:    "connection_reset",
	KindConnClosed:   "connection_closed",
	KindDNS:          "dns",
	KindTLS:          "tls",
	KindProtocol:     "protocol",
	KindBodyTooLarge: "body_too_large",
	KindRedirect:     "redirect",
	KindCanceled:     "canceled",
	KindHTTP4xx:      "http_4xx",
	KindHTTP5xx:      "http_5xx",
	KindOther:        "other",
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
