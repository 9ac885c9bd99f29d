package plan

import (
	"bytes"
	"net/url"
	"slices"
	"strings"
)

// Redaction replaces secret values in Redacted.
const Redaction = "[redacted]"

// Redacted returns a deep copy of the plan that is safe to store and show:
// values of secret headers (Header.Secret or IsSecretHeader) become
// Redaction, as do URL user info (of endpoints and the proxy) and query
// parameters whose names look secret (?api_key=...). Bodies are copied, since the echo records only
// their length.
func (p *Plan) Redacted() *Plan {
	c := p.clone()
	if c.Proxy != "" && c.Proxy != ProxyNone {
		c.Proxy = redactURL(c.Proxy)
	}
	if c.Profile != nil {
		// Headers sent to the profiling endpoint are credentials for
		// the target's internals; none of their values is echoed.
		c.Profile.URL = redactURL(c.Profile.URL)
		for j := range c.Profile.Headers {
			c.Profile.Headers[j].Value, c.Profile.Headers[j].Secret = Redaction, true
		}
	}
	for i := range c.Endpoints {
		e := &c.Endpoints[i]
		e.Body = bytes.Clone(e.Body)
		e.URL = redactURL(e.URL)
		for j := range e.Headers {
			if h := &e.Headers[j]; h.Secret || IsSecretHeader(h.Name) {
				h.Value, h.Secret = Redaction, true
			}
		}
	}
	return c
}

// clone returns a copy of p that shares nothing with it but the bodies,
// which nothing in this package modifies and which may be large.
func (p *Plan) clone() *Plan {
	c := *p
	c.Stages = slices.Clone(p.Stages)
	c.Thresholds = slices.Clone(p.Thresholds)
	c.Gates = slices.Clone(p.Gates)
	if p.Profile != nil {
		pr := *p.Profile
		pr.Headers = slices.Clone(pr.Headers)
		c.Profile = &pr
	}
	if p.Endpoints != nil {
		c.Endpoints = make([]Endpoint, len(p.Endpoints))
	}
	for i, e := range p.Endpoints {
		e.Headers = slices.Clone(e.Headers)
		c.Endpoints[i] = e
	}
	return &c
}

// redactURL hides the user info and secret-looking query values of an
// endpoint URL. A URL that does not parse is hidden whole: nothing can be
// said about where its secrets are.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Redaction
	}
	changed := false
	if u.User != nil {
		// The whole user info: a user name alone is often a token.
		u.User = url.User("redacted")
		changed = true
	}
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		for i, kv := range params {
			k, _, _ := strings.Cut(kv, "=")
			name, err := url.QueryUnescape(k)
			if err != nil || IsSecretHeader(name) {
				params[i] = k + "=" + Redaction
				changed = true
			}
		}
		u.RawQuery = strings.Join(params, "&")
	}
	if !changed {
		return raw
	}
	return u.String()
}

// secretNameParts are the substrings that make a header or query parameter
// name secret.
var secretNameParts = []string{"key", "token", "secret", "password", "passwd", "auth", "session", "credential"}

// IsSecretHeader reports whether a header with this name carries a
// credential: Authorization, Proxy-Authorization, Cookie, Set-Cookie, and
// any name containing key, token, secret, password, passwd, auth, session
// or credential, in any case.
func IsSecretHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, part := range secretNameParts {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}
