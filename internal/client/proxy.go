package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// ProxyNone as a proxy setting sends every request straight to its target,
// whatever the environment says.
const ProxyNone = "none"

// ProxySetting returns the Config.Proxy for a --proxy setting:
//
//   - "" reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY from the environment,
//     as curl and vegeta do (nil: Config's default). Go never proxies
//     localhost or loopback addresses, whatever NO_PROXY says;
//   - ProxyNone uses no proxy;
//   - a URL (http, https, socks5 or socks5h) sends every request through
//     that proxy; NO_PROXY does not apply to it.
//
// A URL that does not parse yields a function returning the error, which
// New reports.
func ProxySetting(s string) func(*http.Request) (*url.URL, error) {
	switch s {
	case "":
		return nil
	case ProxyNone:
		return func(*http.Request) (*url.URL, error) { return nil, nil }
	}
	u, err := parseProxyURL(s)
	if err != nil {
		return func(*http.Request) (*url.URL, error) { return nil, err }
	}
	return http.ProxyURL(u)
}

// parseProxyURL checks a proxy URL. Its errors show the URL without
// credentials.
func parseProxyURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		// Not wrapped: url.Parse's error quotes the input, password included.
		return nil, errors.New("proxy URL does not parse: want e.g. http://proxy.example:3128")
	}
	switch {
	case !slices.Contains([]string{"http", "https", "socks5", "socks5h"}, u.Scheme):
		return nil, fmt.Errorf("proxy URL %s: scheme %q is not http, https, socks5 or socks5h", proxyName(u), u.Scheme)
	case u.Hostname() == "":
		return nil, fmt.Errorf("proxy URL %s: no host", proxyName(u))
	}
	return u, nil
}

// proxyName is how a proxy is named in results and messages: its URL
// without user info, which holds the proxy's credentials.
func proxyName(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

// proxyError is a proxy's refusal to open a CONNECT tunnel.
type proxyError struct{ status string }

func (e *proxyError) Error() string { return "proxy refused CONNECT: " + e.status }

// refusedTunnel fails a CONNECT that did not get the 200 net/http
// requires, with a typed error that Classify tells apart from the target's
// own failures (net/http's own is the bare status text).
func refusedTunnel(_ context.Context, _ *url.URL, _ *http.Request, resp *http.Response) error {
	if resp.StatusCode != http.StatusOK {
		return &proxyError{status: resp.Status}
	}
	return nil
}

// proxyAuthKey carries an endpoint's Proxy-Authorization header values
// from Do to the CONNECT request its dial sends.
type proxyAuthKey struct{}

// connectHeader sends an endpoint's Proxy-Authorization header on the
// CONNECT request, the only place the proxy can see it once the tunnel
// is encrypted. Credentials in the proxy URL are added by net/http.
func connectHeader(ctx context.Context, _ *url.URL, _ string) (http.Header, error) {
	vs, _ := ctx.Value(proxyAuthKey{}).([]string)
	if len(vs) == 0 {
		return nil, nil
	}
	return http.Header{"Proxy-Authorization": vs}, nil
}

// Proxy names the proxies that endpoints go through, credentials removed
// and comma-separated; "" when every request goes direct.
func (c *Client) Proxy() string { return strings.Join(c.proxies, ", ") }
