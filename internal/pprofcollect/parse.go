package pprofcollect

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/pprof/profile"
)

// Defaults for Limits. A real CPU profile of a busy service is tens of
// kilobytes gzipped and a few hundred inflated, so these are far above any
// honest profile and far below what would hurt the load generator.
const (
	DefaultMaxDownload     = 64 << 20
	DefaultMaxDecompressed = 256 << 20
	DefaultTimeout         = 10 * time.Second
)

// Limits bound one profile: the bytes read from the wire, the bytes after
// gunzip, and the time allowed beyond the profile's own duration. Zero
// fields take the defaults.
type Limits struct {
	MaxDownload     int64
	MaxDecompressed int64
	// Timeout is the margin a fetch gets on top of the seconds it asks
	// the target to profile for; a CPU chunk of N seconds gets
	// N + max(Timeout, N/2), since its response only starts after N
	// seconds. Snapshots get Timeout alone.
	Timeout time.Duration
}

func (l Limits) withDefaults() Limits {
	if l.MaxDownload <= 0 {
		l.MaxDownload = DefaultMaxDownload
	}
	if l.MaxDecompressed <= 0 {
		l.MaxDecompressed = DefaultMaxDecompressed
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	return l
}

// ErrOversize and ErrInvalid classify Parse failures; callers test with
// errors.Is to pick the results.Profile status.
var (
	ErrOversize = errors.New("profile over the size limit")
	ErrInvalid  = errors.New("not a valid pprof profile")
)

var gzipMagic = []byte{0x1f, 0x8b}

// Parse decodes a pprof profile, gzipped or not, without ever holding more
// than lim.MaxDecompressed inflated bytes. The gzip ISIZE trailer is not
// trusted; the inflated stream is read through a limit instead.
func Parse(data []byte, lim Limits) (*profile.Profile, error) {
	lim = lim.withDefaults()
	if int64(len(data)) > lim.MaxDownload {
		return nil, fmt.Errorf("profile of %d bytes, limit %d: %w", len(data), lim.MaxDownload, ErrOversize)
	}
	raw := data
	if bytes.HasPrefix(data, gzipMagic) {
		var err error
		if raw, err = gunzip(data, lim.MaxDecompressed); err != nil {
			return nil, err
		}
		// ParseData would inflate a second layer with no limit at all.
		if bytes.HasPrefix(raw, gzipMagic) {
			return nil, fmt.Errorf("gzip inside gzip: %w", ErrInvalid)
		}
	} else if int64(len(raw)) > lim.MaxDecompressed {
		return nil, fmt.Errorf("profile of %d bytes, limit %d: %w", len(raw), lim.MaxDecompressed, ErrOversize)
	}
	return parseRecovered(raw)
}

// gunzip inflates data in two passes: the first only counts, into a
// discarding writer, so a bomb costs CPU up to the limit but no memory;
// the second fills a buffer of the exact size. Growing a buffer instead
// would transiently hold up to three times the limit.
func gunzip(data []byte, limit int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("decompress: %v: %w", err, ErrInvalid)
	}
	n, err := io.Copy(io.Discard, io.LimitReader(zr, limit+1))
	if err != nil {
		return nil, fmt.Errorf("decompress: %v: %w", err, ErrInvalid)
	}
	if n > limit {
		return nil, fmt.Errorf("decompressed profile over %d bytes (%d compressed): %w", limit, len(data), ErrOversize)
	}
	if err := zr.Reset(bytes.NewReader(data)); err != nil {
		return nil, fmt.Errorf("decompress: %v: %w", err, ErrInvalid)
	}
	raw := make([]byte, n)
	if _, err := io.ReadFull(zr, raw); err != nil {
		return nil, fmt.Errorf("decompress: %v: %w", err, ErrInvalid)
	}
	return raw, nil
}

// Chunk sizes for readCapped: the first chunk holds a typical profile of
// tens of kilobytes; later ones double up to maxChunk, which bounds the
// unused tail of the last chunk.
const (
	firstChunk = 32 << 10
	maxChunk   = 1 << 20
)

// readCapped returns all of r if it holds at most limit bytes, and an
// error wrapping ErrOversize as soon as it has seen byte limit+1. hint is
// the announced length (a Content-Length, -1 for none): over the limit,
// it fails before reading; otherwise it sizes the first chunk, so an
// honest announcement costs one exact allocation. n counts the bytes read,
// for the message of a failed read.
//
// The stream goes into chunks that are not copied while reading and whose
// capacities add up to the limit at most: one byte is probed before each
// new chunk, so none is allocated for a stream that has ended, nor room
// made for the byte over the limit. An endless stream thus costs the limit
// once, not the limit twice over while a doubled buffer is copied (three
// times in all) as growing one buffer did. A stream that fits is joined
// into a buffer of its exact length, so no slack is held in the results
// for the rest of the run; that join briefly holds the bytes twice, which
// only a profile near the limit makes large.
func readCapped(r io.Reader, limit, hint int64) (data []byte, n int64, err error) {
	if hint > limit {
		return nil, 0, fmt.Errorf("download of %d bytes announced, over the %d-byte limit: %w", hint, limit, ErrOversize)
	}
	size := int64(firstChunk)
	if hint > 0 {
		size = hint
	}
	var (
		chunks [][]byte
		probe  [1]byte
	)
	for {
		got, err := fill(r, probe[:])
		if got > 0 {
			if n == limit {
				return nil, n + 1, fmt.Errorf("download over %d bytes: %w", limit, ErrOversize)
			}
			c := make([]byte, 1, min(size, limit-n))
			c[0] = probe[0]
			if err == nil {
				got, err = fill(r, c[1:cap(c)])
				c = c[:1+got]
			}
			n += int64(len(c))
			chunks = append(chunks, c)
		}
		switch {
		case err == io.EOF:
			return join(chunks, n), n, nil
		case err != nil:
			return nil, n, err
		}
		size = min(2*size, maxChunk)
	}
}

// fill reads until b is full or r fails, and returns r's error as is:
// unlike io.ReadFull, which reports a short stream as io.ErrUnexpectedEOF,
// a clean end stays io.EOF and a body cut short stays an error.
func fill(r io.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := r.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// join returns the chunks' n bytes in one slice of exactly that capacity.
func join(chunks [][]byte, n int64) []byte {
	if len(chunks) == 1 && len(chunks[0]) == cap(chunks[0]) {
		return chunks[0]
	}
	out := make([]byte, 0, n)
	for _, c := range chunks {
		out = append(out, c...)
	}
	return out
}

// parseRecovered turns a parser panic into ErrInvalid: the parser was not
// written for hostile input, and a profile must never take perfkit down.
func parseRecovered(raw []byte) (p *profile.Profile, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("parser panic: %v: %w", r, ErrInvalid)
		}
	}()
	p, err = profile.ParseData(raw)
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, ErrInvalid)
	}
	return p, nil
}
