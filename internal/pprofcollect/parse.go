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

// readCapped reads r up to limit+1 bytes, so the caller can tell "at the
// limit" from "over it" without reading on. The buffer starts at hint
// (a Content-Length, say) and grows by doubling but never past limit+1,
// so a hostile stream costs about twice the limit at most.
func readCapped(r io.Reader, limit, hint int64) ([]byte, error) {
	const minBuf = 64 << 10
	buf := make([]byte, 0, min(max(hint, minBuf), limit+1))
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, nil
			}
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
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
