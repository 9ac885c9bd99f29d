package client

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// endpoint is an Endpoint prepared for sending.
type endpoint struct {
	req    []byte // the whole HTTP/1.1 request, encoded once
	head   bool   // HEAD: the response has no body whatever its headers say
	close  bool   // the request asks the server to close the connection
	std    bool   // sent through net/http
	origin int    // the fast path's connection slot

	// What net/http needs to rebuild the request.
	method string
	url    *url.URL
	host   string      // Host header override; "" sends the URL's host
	header http.Header // the user's headers plus User-Agent; read-only once built
	body   []byte
	// proxyAuth is the user's Proxy-Authorization header, kept out of req
	// and header: it is for a proxy, never for the target.
	proxyAuth []string
}

// prepare validates ep and encodes its request. Errors name the problem and
// at most a header's name, never a value.
func prepare(ep Endpoint, ua string, noKeepAlive bool) (endpoint, error) {
	var errs []error
	method := ep.Method
	if method == "" {
		method = http.MethodGet
	}
	switch {
	case !isToken(method):
		errs = append(errs, fmt.Errorf("method %q is not a valid HTTP method", method))
	case method == http.MethodConnect:
		errs = append(errs, errors.New("method CONNECT is not supported"))
	}
	u, err := parseURL(ep.URL)
	if err != nil {
		errs = append(errs, err)
	}

	e := endpoint{method: method, url: u, body: ep.Body, head: method == http.MethodHead}
	var hasUA, hasAuth, hasConn bool
	keys := make([]string, 0, len(ep.Header))
	for k, vs := range ep.Header {
		if !isToken(k) {
			errs = append(errs, fmt.Errorf("header name %q is not a valid token", k))
			continue
		}
		for _, v := range vs {
			if !validHeaderValue(v) {
				errs = append(errs, fmt.Errorf("header %q: value contains a control character", k))
			}
		}
		switch {
		case strings.EqualFold(k, "Host"):
			if len(vs) != 1 {
				errs = append(errs, fmt.Errorf("header %q: want exactly one value, got %d", k, len(vs)))
			} else {
				e.host = vs[0]
			}
			continue
		case strings.EqualFold(k, "Transfer-Encoding"):
			errs = append(errs, fmt.Errorf("header %q is not supported: the body is sent with a Content-Length", k))
			continue
		case strings.EqualFold(k, "Content-Length"):
			// Accepted only when it agrees with the body, and then sent
			// by the client, which computes it anyway.
			for _, v := range vs {
				if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err != nil || n != int64(len(ep.Body)) {
					errs = append(errs, fmt.Errorf("header %q disagrees with the body length %d", k, len(ep.Body)))
					break
				}
			}
			continue
		case strings.EqualFold(k, "Proxy-Authorization"):
			e.proxyAuth = vs
			continue
		case strings.EqualFold(k, "User-Agent"):
			hasUA = true
		case strings.EqualFold(k, "Authorization"):
			hasAuth = true
		case strings.EqualFold(k, "Connection"):
			hasConn = true
			for _, v := range vs {
				for tok := range strings.SplitSeq(v, ",") {
					if strings.EqualFold(strings.TrimSpace(tok), "close") {
						e.close = true
					}
				}
			}
		}
		keys = append(keys, k)
	}
	if len(errs) > 0 {
		return endpoint{}, errors.Join(errs...)
	}
	slices.Sort(keys)

	host := e.host
	if host == "" {
		host = strings.TrimSuffix(u.Host, ":")
	}
	b := make([]byte, 0, 256+len(ep.Body))
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, u.RequestURI()...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	if !hasUA {
		b = append(b, "User-Agent: "...)
		b = append(b, ua...)
		b = append(b, "\r\n"...)
	}
	if u.User != nil && !hasAuth {
		// What net/http's Client does with credentials in the URL, so
		// both paths send the same request.
		pw, _ := u.User.Password()
		b = append(b, "Authorization: Basic "...)
		b = base64.StdEncoding.AppendEncode(b, []byte(u.User.Username()+":"+pw))
		b = append(b, "\r\n"...)
	}
	for _, k := range keys {
		for _, v := range ep.Header[k] {
			b = append(b, k...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, "\r\n"...)
		}
	}
	if len(ep.Body) > 0 || bodyExpected(method) {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(ep.Body)), 10)
		b = append(b, "\r\n"...)
	}
	if noKeepAlive {
		e.close = true
		if !hasConn {
			b = append(b, "Connection: close\r\n"...)
		}
	}
	b = append(b, "\r\n"...)
	b = append(b, ep.Body...)
	e.req = b

	e.header = make(http.Header, len(keys)+1)
	for _, k := range keys {
		e.header[k] = ep.Header[k]
	}
	if !hasUA {
		e.header["User-Agent"] = []string{ua}
	}
	return e, nil
}

// bodyExpected reports whether a request with this method announces an
// empty body with "Content-Length: 0", as net/http does, so servers that
// require a length for these methods accept it.
func bodyExpected(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
		return true
	}
	return false
}

// parseURL checks that raw is an absolute http or https URL. Its errors
// leave out the URL itself, which may hold credentials.
func parseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("invalid URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("URL %s: scheme %q is not http or https", u.Redacted(), u.Scheme)
	case u.Opaque != "":
		return nil, fmt.Errorf("URL %s: not an absolute URL with a host", u.Redacted())
	case u.Hostname() == "":
		return nil, fmt.Errorf("URL %s: no host", u.Redacted())
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("URL %s: port %q is out of range", u.Redacted(), p)
		}
	}
	return u, nil
}

// defaultPort returns u's port, or the scheme's default.
func defaultPort(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

// validHeaderValue rejects the bytes that would end the header line early
// or that servers refuse (RFC 9110 5.5).
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}
