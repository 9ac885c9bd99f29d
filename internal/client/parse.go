package client

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Limits on what a response may spend outside its body. They bound the
// memory and time a hostile or broken target can take; real servers stay
// far below them.
const (
	maxHeaderBytes = 64 << 10 // status line plus header section of one response; also the trailer section
	maxInterim     = 8        // informational (1xx) responses before the final one
	readBufSize    = 16 << 10 // per connection; also bounds a chunk-size line
)

// errBodyTooLarge ends a response whose body exceeds Config.MaxBody.
var errBodyTooLarge = errors.New("response body exceeds the configured maximum")

// protocolError is a response that breaks HTTP/1.1 syntax or framing.
type protocolError string

func (e protocolError) Error() string { return "malformed response: " + string(e) }

// response is what the parser learned about one response.
type response struct {
	status    int   // status of the final response; 0 until its status line is read
	bytes     int64 // bytes consumed: status lines, headers, framing and body
	body      int64 // body bytes (chunk data only, for chunked)
	keepAlive bool  // the connection may carry another request
}

// head is the part of a response's header section that decides framing.
type head struct {
	status      int
	minor       byte  // the x in HTTP/1.x
	length      int64 // Content-Length; -1 when absent
	te          bool  // a Transfer-Encoding header was present
	chunked     bool  // chunked appeared among the codings
	chunkedLast bool  // chunked is the final coding, so it frames the body
	close       bool  // Connection: close
	keepAlive   bool  // Connection: keep-alive (matters for HTTP/1.0)
	fields      bool  // a header field was seen (obs-fold needs a predecessor)
	prevFraming bool  // the previous field decides framing (may not be folded)
}

type parser struct {
	br     *bufio.Reader
	r      *response
	budget int // header bytes left in the current section
}

// readResponse reads one whole response to a request from br, skipping
// informational responses, and discards its body. isHead marks a response to
// HEAD, which has no body. Bodies beyond maxBody are not read. It allocates
// nothing on success.
func readResponse(br *bufio.Reader, isHead bool, maxBody int64, r *response) error {
	*r = response{}
	p := parser{br: br, r: r}
	var h head
	for interim := 0; ; interim++ {
		if err := p.readHead(&h); err != nil {
			return err
		}
		if h.status >= 200 || h.status == 101 {
			break
		}
		if interim == maxInterim {
			return protocolError("too many informational responses")
		}
	}
	return p.readBody(&h, isHead, maxBody)
}

// readHead reads a status line and header section into h.
func (p *parser) readHead(h *head) error {
	*h = head{length: -1}
	p.budget = maxHeaderBytes
	line, full, err := p.line(true)
	if err != nil {
		return err
	}
	if err := parseStatusLine(line, h); err != nil {
		return err
	}
	if h.status >= 200 || h.status == 101 {
		p.r.status = h.status
	}
	if !full {
		if err := p.skipLine(); err != nil {
			return err
		}
	}
	for {
		line, full, err := p.line(true)
		if err != nil {
			return err
		}
		if full && len(line) == 0 {
			return nil
		}
		if err := h.field(line, full); err != nil {
			return err
		}
		if !full {
			if err := p.skipLine(); err != nil {
				return err
			}
		}
	}
}

// parseStatusLine accepts "HTTP/1.x NNN[ reason]".
func parseStatusLine(line []byte, h *head) error {
	if len(line) < 12 || string(line[:7]) != "HTTP/1." || !isDigit(line[7]) || line[8] != ' ' ||
		!isDigit(line[9]) || !isDigit(line[10]) || !isDigit(line[11]) ||
		(len(line) > 12 && line[12] != ' ') {
		return protocolError("invalid status line")
	}
	h.minor = line[7] - '0'
	h.status = int(line[9]-'0')*100 + int(line[10]-'0')*10 + int(line[11]-'0')
	if h.status < 100 {
		return protocolError("invalid status code")
	}
	return nil
}

// field reads one header line. A line that did not fit in the buffer
// (full false) holds only its start: enough to skip an unknown field, never
// enough to trust a framing one.
func (h *head) field(line []byte, full bool) error {
	if line[0] == ' ' || line[0] == '\t' {
		// obs-fold continues the previous field's value (RFC 9112 5.2).
		// Nothing read here uses it, unless it extends a framing field,
		// which would change how the body is delimited.
		if !h.fields || h.prevFraming {
			return protocolError("folded header line")
		}
		return nil
	}
	if err := checkFieldName(line); err != nil {
		return err
	}
	h.fields = true
	colon := bytes.IndexByte(line, ':')
	name, value := line[:colon], trimOWS(line[colon+1:])
	h.prevFraming = true
	switch {
	case equalFold(name, "content-length"):
		if !full {
			return protocolError("Content-Length too long")
		}
		n, ok := parseLength(value)
		if !ok {
			return protocolError("invalid Content-Length")
		}
		if h.length >= 0 && h.length != n {
			return protocolError("conflicting Content-Length headers")
		}
		h.length = n
	case equalFold(name, "transfer-encoding"):
		if !full {
			return protocolError("Transfer-Encoding too long")
		}
		return h.transferEncoding(value)
	case equalFold(name, "connection"):
		if !full {
			return protocolError("Connection header too long")
		}
		for rest := value; len(rest) > 0; {
			var tok []byte
			tok, rest = nextToken(rest)
			switch {
			case equalFold(tok, "close"):
				h.close = true
			case equalFold(tok, "keep-alive"):
				h.keepAlive = true
			}
		}
	default:
		h.prevFraming = false
	}
	return nil
}

// checkFieldName requires "name:" with a token name and no space before
// the colon, whose absence is a request-smuggling vector (RFC 9112 5.1).
func checkFieldName(line []byte) error {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 || !isToken(line[:colon]) {
		return protocolError("invalid header field name")
	}
	return nil
}

// transferEncoding records the codings of one Transfer-Encoding field.
func (h *head) transferEncoding(value []byte) error {
	h.te = true
	n := 0
	for rest := value; len(rest) > 0; {
		var tok []byte
		tok, rest = nextToken(rest)
		if len(tok) == 0 {
			continue
		}
		n++
		if equalFold(tok, "chunked") {
			if h.chunked {
				return protocolError("chunked applied twice")
			}
			h.chunked, h.chunkedLast = true, true
		} else {
			h.chunkedLast = false
		}
	}
	if n == 0 {
		return protocolError("empty Transfer-Encoding")
	}
	return nil
}

// readBody discards the body framed as h says (RFC 9112 6.3) and decides
// whether the connection can be reused.
func (p *parser) readBody(h *head, isHead bool, maxBody int64) error {
	keep := !h.close && (h.minor >= 1 || h.keepAlive)
	switch {
	case h.status == 101:
		// The connection now speaks another protocol; nothing more of it
		// is HTTP/1.1.
		return nil
	case isHead || h.status == 204 || h.status == 304:
		p.r.keepAlive = keep
		return nil
	case h.te && h.chunkedLast:
		if err := p.chunked(maxBody); err != nil {
			return err
		}
		// A response with both framings may be an attempt to desync a
		// proxy; never read another response after it.
		p.r.keepAlive = keep && h.length < 0
		return nil
	case h.te:
		// Codings without a final chunked: the body ends at close.
		return p.untilClose(maxBody)
	case h.length >= 0:
		if h.length > maxBody {
			return errBodyTooLarge
		}
		if err := p.discard(h.length); err != nil {
			return err
		}
		p.r.keepAlive = keep
		return nil
	default:
		return p.untilClose(maxBody)
	}
}

// chunked discards a chunked body and its trailer section.
func (p *parser) chunked(maxBody int64) error {
	for {
		line, full, err := p.line(false)
		if err != nil {
			return err
		}
		if !full {
			return protocolError("chunk size line too long")
		}
		size, ok := parseChunkSize(line)
		if !ok {
			return protocolError("invalid chunk size")
		}
		if size == 0 {
			break
		}
		if size > maxBody-p.r.body {
			return errBodyTooLarge
		}
		if err := p.discard(size); err != nil {
			return err
		}
		line, full, err = p.line(false)
		if err != nil {
			return err
		}
		if !full || len(line) != 0 {
			return protocolError("chunk data not followed by CRLF")
		}
	}
	p.budget = maxHeaderBytes
	for {
		line, full, err := p.line(true)
		if err != nil {
			return err
		}
		if full && len(line) == 0 {
			return nil
		}
		if line[0] != ' ' && line[0] != '\t' {
			if err := checkFieldName(line); err != nil {
				return err
			}
		}
		if !full {
			if err := p.skipLine(); err != nil {
				return err
			}
		}
	}
}

// untilClose discards a body that ends when the server closes the
// connection, reading at most maxBody bytes of it.
func (p *parser) untilClose(maxBody int64) error {
	for {
		if p.r.body >= maxBody {
			// Peek fills the buffer but consumes nothing: one more byte
			// means the body is too large.
			_, err := p.br.Peek(1)
			switch {
			case err == nil:
				return errBodyTooLarge
			case endOfStream(err):
				return nil
			default:
				return err
			}
		}
		d, err := p.br.Discard(chunk(maxBody - p.r.body))
		p.r.bytes += int64(d)
		p.r.body += int64(d)
		if err != nil {
			if endOfStream(err) {
				return nil
			}
			return err
		}
	}
}

// endOfStream reports whether err is the close that ends a close-delimited
// body. crypto/tls reports a close without close_notify as
// io.ErrUnexpectedEOF; many servers skip close_notify, and a load generator
// measures rather than guards against truncation, so both count.
func endOfStream(err error) bool {
	return err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)
}

// discard consumes n body bytes; running out is a premature close.
func (p *parser) discard(n int64) error {
	for n > 0 {
		d, err := p.br.Discard(chunk(n))
		p.r.bytes += int64(d)
		p.r.body += int64(d)
		n -= int64(d)
		if err != nil {
			if err == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return err
		}
	}
	return nil
}

// chunk bounds one Discard so its int argument cannot overflow.
func chunk(n int64) int {
	return int(min(n, 1<<30))
}

// line reads one line and returns it without its line ending. full is false
// when the line did not fit in the buffer: line then holds its first part,
// valid until the next read, and the caller must skip the rest. counted
// lines draw on the header budget.
func (p *parser) line(counted bool) (line []byte, full bool, err error) {
	line, err = p.br.ReadSlice('\n')
	p.r.bytes += int64(len(line))
	if counted {
		p.budget -= len(line)
		if p.budget < 0 {
			return nil, false, protocolError("header section too large")
		}
	}
	switch {
	case err == nil:
		line = line[:len(line)-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, true, nil
	case err == bufio.ErrBufferFull:
		return line, false, nil
	case err == io.EOF && len(line) > 0:
		return nil, false, io.ErrUnexpectedEOF
	default:
		return nil, false, err
	}
}

// skipLine consumes the rest of a line that did not fit in the buffer.
func (p *parser) skipLine() error {
	for {
		_, full, err := p.line(true)
		if err != nil || full {
			return err
		}
	}
}

// parseLength parses a Content-Length value: digits only, no sign, no list.
func parseLength(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseChunkSize parses "hex[;ext]" with optional whitespace before the
// extension, as net/http does.
func parseChunkSize(line []byte) (int64, bool) {
	var n int64
	i := 0
	for ; i < len(line); i++ {
		c := line[i]
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			goto rest
		}
		if i == 15 {
			return 0, false // more than 2^60 bytes: overflow, not a size
		}
		n = n<<4 | int64(d)
	}
rest:
	if i == 0 {
		return 0, false
	}
	rest := trimOWS(line[i:])
	if len(rest) > 0 && rest[0] != ';' {
		return 0, false
	}
	return n, true
}

// nextToken splits the next comma-separated element off a list value.
func nextToken(v []byte) (tok, rest []byte) {
	if i := bytes.IndexByte(v, ','); i >= 0 {
		return trimOWS(v[:i]), v[i+1:]
	}
	return trimOWS(v), nil
}

// trimOWS trims optional whitespace (space and tab).
func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// equalFold compares b with lower, an ASCII lower-case string, ignoring
// ASCII case.
func equalFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isToken reports whether s is an RFC 9110 token: header names, methods.
func isToken[S []byte | string](s S) bool {
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isTokenChar(s[i]) {
			return false
		}
	}
	return true
}

func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}
