package client

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestEncodeRequest(t *testing.T) {
	tests := []struct {
		name        string
		ep          Endpoint
		noKeepAlive bool
		want        string
		close       bool
	}{
		{
			name: "GET",
			ep:   Endpoint{URL: "http://example.test"},
			want: "GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: UA\r\n\r\n",
		},
		{
			name: "POST with headers, sorted",
			ep: Endpoint{Method: "POST", URL: "https://example.test:8443/a%20b?x=1&y#frag",
				Header: http.Header{"X-B": {"2", "3"}, "Content-Type": {"application/json"}, "User-Agent": {"mine"}},
				Body:   []byte("{}")},
			want: "POST /a%20b?x=1&y HTTP/1.1\r\nHost: example.test:8443\r\nContent-Type: application/json\r\nUser-Agent: mine\r\nX-B: 2\r\nX-B: 3\r\nContent-Length: 2\r\n\r\n{}",
		},
		{
			name: "empty PUT announces its length",
			ep:   Endpoint{Method: "PUT", URL: "http://[::1]:8080/p"},
			want: "PUT /p HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: UA\r\nContent-Length: 0\r\n\r\n",
		},
		{
			name: "Host override and credentials",
			ep:   Endpoint{URL: "http://u:p@10.0.0.1/", Header: http.Header{"host": {"virtual.test"}}},
			want: "GET / HTTP/1.1\r\nHost: virtual.test\r\nUser-Agent: UA\r\nAuthorization: Basic dTpw\r\n\r\n",
		},
		{
			name:        "no keep-alive",
			ep:          Endpoint{Method: "HEAD", URL: "http://example.test/x"},
			noKeepAlive: true,
			want:        "HEAD /x HTTP/1.1\r\nHost: example.test\r\nUser-Agent: UA\r\nConnection: close\r\n\r\n",
			close:       true,
		},
		{
			name:  "caller asks to close",
			ep:    Endpoint{URL: "http://example.test/", Header: http.Header{"Connection": {"Close"}}},
			want:  "GET / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: UA\r\nConnection: Close\r\n\r\n",
			close: true,
		},
		{
			name: "matching Content-Length is sent once",
			ep:   Endpoint{Method: "POST", URL: "http://example.test/", Header: http.Header{"Content-Length": {"3"}}, Body: []byte("abc")},
			want: "POST / HTTP/1.1\r\nHost: example.test\r\nUser-Agent: UA\r\nContent-Length: 3\r\n\r\nabc",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := prepare(tt.ep, "UA", tt.noKeepAlive)
			if err != nil {
				t.Fatalf("prepare: %v", err)
			}
			if got := string(e.req); got != tt.want {
				t.Errorf("got request\n%q\nwant\n%q", got, tt.want)
			}
			if e.close != tt.close {
				t.Errorf("got close %v, want %v", e.close, tt.close)
			}
		})
	}
}

func TestNewRejects(t *testing.T) {
	const secret = "Bearer s3cret-token"
	tests := []struct {
		name string
		cfg  Config
		want []string // every one must appear in the error
	}{
		{"no endpoints", Config{}, []string{"no endpoints"}},
		{"bad scheme", Config{Endpoints: []Endpoint{{URL: "ftp://x/"}}}, []string{"endpoint 0", `scheme "ftp"`}},
		{"relative URL", Config{Endpoints: []Endpoint{{URL: "/path"}}}, []string{"endpoint 0", "scheme"}},
		{"no host", Config{Endpoints: []Endpoint{{URL: "http:///path"}}}, []string{"no host"}},
		{"bad port", Config{Endpoints: []Endpoint{{URL: "http://x:70000/"}}}, []string{"port"}},
		{"unparsable URL hides credentials", Config{Endpoints: []Endpoint{{URL: "http://u:pa ss@x y/"}}}, []string{"endpoint 0", "invalid URL"}},
		{"bad method", Config{Endpoints: []Endpoint{{Method: "GE T", URL: "http://x/"}}}, []string{"method"}},
		{"CONNECT", Config{Endpoints: []Endpoint{{Method: "CONNECT", URL: "http://x/"}}}, []string{"CONNECT"}},
		{"bad header name", Config{Endpoints: []Endpoint{{URL: "http://x/", Header: http.Header{"Bad Name": {"v"}}}}}, []string{`"Bad Name"`}},
		{"header value with newline", Config{Endpoints: []Endpoint{{URL: "http://x/", Header: http.Header{"Authorization": {secret + "\r\nX: y"}}}}}, []string{`header "Authorization"`, "control character"}},
		{"transfer-encoding", Config{Endpoints: []Endpoint{{URL: "http://x/", Header: http.Header{"Transfer-Encoding": {"chunked"}}}}}, []string{"Transfer-Encoding"}},
		{"wrong content-length", Config{Endpoints: []Endpoint{{URL: "http://x/", Header: http.Header{"Content-Length": {"9"}}, Body: []byte("a")}}}, []string{"Content-Length"}},
		{"negative limits", Config{Endpoints: []Endpoint{{URL: "http://x/"}}, Timeout: -1, MaxBody: -1}, []string{"timeout", "max body"}},
		{"every endpoint reported", Config{Endpoints: []Endpoint{{URL: "http://ok/"}, {URL: "ftp://a/"}, {URL: "gopher://b/"}}}, []string{"endpoint 1", "endpoint 2"}},
		{"proxy failure", Config{Endpoints: []Endpoint{{URL: "http://x/"}}, Proxy: func(*http.Request) (*url.URL, error) { return nil, errors.New("bad proxy") }}, []string{"endpoint 0", "bad proxy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg.Proxy == nil {
				tt.cfg.Proxy = noProxy
			}
			_, err := New(tt.cfg)
			if err == nil {
				t.Fatalf("got no error, want one mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("got error %q, want it to mention %q", err, w)
				}
			}
			for _, leak := range []string{"s3cret", "pa ss"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("got error %q, which leaks %q", err, leak)
				}
			}
		})
	}
}

func TestPathChoice(t *testing.T) {
	proxied := func(r *http.Request) (*url.URL, error) {
		if r.URL.Hostname() == "via-proxy.test" {
			return url.Parse("http://127.0.0.1:3128")
		}
		return nil, nil
	}
	tests := []struct {
		name  string
		cfg   Config
		wantT string
	}{
		{"fast", Config{Endpoints: []Endpoint{{URL: "http://a.test/"}, {URL: "https://b.test/"}}, Proxy: noProxy}, "*client.fastConn"},
		{"HTTP2", Config{Endpoints: []Endpoint{{URL: "http://a.test/"}}, HTTP2: true, Proxy: noProxy}, "*client.stdConn"},
		{"proxied", Config{Endpoints: []Endpoint{{URL: "http://via-proxy.test/"}}, Proxy: proxied}, "*client.stdConn"},
		{"mixed", Config{Endpoints: []Endpoint{{URL: "http://via-proxy.test/"}, {URL: "http://a.test/"}}, Proxy: proxied}, "*client.mixedConn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, tt.cfg)
			conn := c.NewConn()
			defer conn.Close()
			if got := typeName(conn); got != tt.wantT {
				t.Errorf("got %s, want %s", got, tt.wantT)
			}
		})
	}
}

func typeName(c Conn) string {
	switch c.(type) {
	case *fastConn:
		return "*client.fastConn"
	case *stdConn:
		return "*client.stdConn"
	case *mixedConn:
		return "*client.mixedConn"
	}
	return "unknown"
}
