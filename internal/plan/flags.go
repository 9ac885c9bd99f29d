package plan

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Size limits for files a plan refers to.
const (
	MaxPlanBytes     = 4 << 20  // a plan file
	MaxBodyFileBytes = 64 << 20 // one request body file
)

const durationHint = "(use e.g. 30s, 1m30s)"

// ParseDuration parses a duration in Go syntax ("30s", "1m30s", "250ms")
// or a bare "0". Negative durations are rejected; a bare number is rejected
// with a hint to add a unit, since "30" could mean seconds or milliseconds.
func ParseDuration(s string) (time.Duration, error) {
	t := strings.TrimSpace(s)
	switch {
	case t == "0":
		return 0, nil
	case t == "":
		return 0, errors.New("empty duration " + durationHint)
	}
	d, err := time.ParseDuration(t)
	switch {
	case err != nil && isDecimal(t):
		return 0, fmt.Errorf("invalid duration %q: missing unit (use e.g. %ss, 1m30s)", s, t)
	case err != nil:
		return 0, fmt.Errorf("invalid duration %q %s", s, durationHint)
	case d < 0:
		return 0, fmt.Errorf("invalid duration %q: must not be negative %s", s, durationHint)
	}
	return d, nil
}

// ParseDNSTTL parses a DNS TTL: "forever" (DNSTTLForever), "0" (look up
// on every new connection) or a duration such as 30s.
func ParseDNSTTL(s string) (time.Duration, error) {
	switch strings.TrimSpace(s) {
	case "forever":
		return DNSTTLForever, nil
	case "-1":
		// vegeta's -dns-ttl spelling of "no caching", where 0 is forever.
		return 0, fmt.Errorf("invalid DNS TTL %q: 0 looks the name up for every new connection (vegeta's -1), forever keeps the first answer (vegeta's 0)", s)
	}
	d, err := ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%w; or forever to keep the first answer", err)
	}
	return d, nil
}

// formatDNSTTL is ParseDNSTTL's inverse.
func formatDNSTTL(d time.Duration) string {
	if d == DNSTTLForever {
		return "forever"
	}
	return formatDuration(d)
}

// isDecimal reports whether s is an unsigned decimal number such as "12"
// or "2.5". Unlike strconv.ParseFloat it refuses "inf", "NaN", exponents,
// hex and underscores, none of which a person means by a count.
func isDecimal(s string) bool {
	digits, dot := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// ParseStages parses the --stages flag: comma-separated DURATION:TARGET
// pairs such as "30s:50,1m:50,10s:0". Errors name the element at fault by
// its index, as Validate does.
func ParseStages(s string) ([]Stage, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("empty stages: want DURATION:TARGET[,...], e.g. 30s:50,1m:50,10s:0")
	}
	if n := strings.Count(s, ",") + 1; n > MaxStages {
		return nil, fmt.Errorf("%d stages: at most %d", n, MaxStages)
	}
	parts := strings.Split(s, ",")
	stages := make([]Stage, 0, len(parts))
	for i, part := range parts {
		part = strings.TrimSpace(part)
		durText, targetText, ok := strings.Cut(part, ":")
		if !ok {
			return nil, fmt.Errorf("stages[%d] %q: want DURATION:TARGET, e.g. 30s:50", i, part)
		}
		d, err := ParseDuration(durText)
		if err != nil {
			return nil, fmt.Errorf("stages[%d] %q: %w", i, part, err)
		}
		if d == 0 {
			return nil, fmt.Errorf("stages[%d] %q: duration must be > 0", i, part)
		}
		target, err := parseTarget(strings.TrimSpace(targetText))
		if err != nil {
			return nil, fmt.Errorf("stages[%d] %q: %w", i, part, err)
		}
		stages = append(stages, Stage{Duration: d, Target: target})
	}
	return stages, nil
}

func parseTarget(s string) (float64, error) {
	if !isDecimal(s) {
		return 0, fmt.Errorf("invalid target %q: want a number >= 0", s)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Errorf("invalid target %q: out of range", s)
	}
	return v, nil
}

// ParseHeader parses the -H flag, "Name: value". Space around the name and
// the value is dropped. The header is marked secret when its name looks
// like one (IsSecretHeader). Errors never quote the value.
func ParseHeader(s string) (Header, error) {
	name, value, ok := strings.Cut(s, ":")
	if !ok {
		return Header{}, errors.New(`header: want "Name: value" (no colon found)`)
	}
	h := Header{Name: strings.TrimSpace(name), Value: strings.TrimSpace(value)}
	h.Secret = IsSecretHeader(h.Name)
	if msg := checkHeader(h); msg != "" {
		return Header{}, errors.New("header: " + msg)
	}
	return h, nil
}

// ParseBody parses the --body flag: "@path" reads the file at path (at
// most MaxBodyFileBytes) and returns the path as file; anything else is the
// body itself.
func ParseBody(s string) (body []byte, file string, err error) {
	path, ok := strings.CutPrefix(s, "@")
	if !ok {
		return []byte(s), "", nil
	}
	if path == "" {
		return nil, "", errors.New(`body "@": missing file name after @`)
	}
	body, err = readFileLimited(path, MaxBodyFileBytes)
	if err != nil {
		return nil, "", fmt.Errorf("read body %s: %w", path, err)
	}
	return body, path, nil
}

// readFileLimited reads at most limit bytes of a file and fails when there
// are more, so a wrong path (a device, a huge log) cannot exhaust memory.
func readFileLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		// The caller names the path; keep only why it failed.
		var pathErr *fs.PathError
		if errors.As(err, &pathErr) {
			return nil, pathErr.Err
		}
		return nil, err
	}
	defer f.Close()
	// A regular file's size is known up front: refuse it without reading.
	// Pipes and devices have no size and are caught by the limited read.
	if info, err := f.Stat(); err == nil && info.Mode().IsRegular() && info.Size() > limit {
		return nil, fmt.Errorf("larger than %s", formatBytes(limit))
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than %s", formatBytes(limit))
	}
	return data, nil
}
