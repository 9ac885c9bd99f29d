package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"github.com/perfkit/perfkit/internal/hdr"
)

// MaxFileSize bounds how much of a result file a reader will take in. A
// result is untrusted input (downloaded artifacts, merged parts), and a
// coarsened timeline keeps honest files far below this.
const MaxFileSize = 512 << 20

// Encode writes r as JSON. It refuses a result that would not validate, so
// perfkit never writes a file it could not read back.
func Encode(w io.Writer, r *Result) error {
	if err := Validate(r); err != nil {
		return fmt.Errorf("refusing to write an invalid result: %w", err)
	}
	enc := json.NewEncoder(w)
	return enc.Encode(r)
}

// Decode reads and validates one result document.
func Decode(rd io.Reader) (*Result, error) {
	data, err := io.ReadAll(io.LimitReader(rd, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d MiB: not a perfkit result", MaxFileSize>>20)
	}
	var probe struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, describeJSONError(data, err)
	}
	if probe.Schema != Schema {
		if probe.Schema == "" {
			return nil, fmt.Errorf("no \"schema\" key: not a perfkit result file")
		}
		return nil, fmt.Errorf("schema %q is not supported (this perfkit reads %q); use the perfkit version that wrote it", probe.Schema, Schema)
	}
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, describeJSONError(data, err)
	}
	if err := Validate(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		line := 1 + bytes.Count(data[:min(int(syn.Offset), len(data))], []byte("\n"))
		return fmt.Errorf("line %d (byte %d): %w (truncated or corrupted file?)", line, syn.Offset, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: the file is truncated", err)
	}
	return err
}

// ReadFile reads and validates a result file; errors name the file.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read result: %w", err)
	}
	defer f.Close()
	r, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("read result %s: %w", path, err)
	}
	return r, nil
}

// WriteFile writes r to path atomically: into a temporary file beside it,
// synced, then renamed over path, so a failure never leaves a truncated
// result behind.
func WriteFile(path string, r *Result) (err error) {
	var buf bytes.Buffer
	if err := Encode(&buf, r); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		// A device or pipe (/dev/stdout, a FIFO): write through it. A
		// rename would replace the device node itself.
		return writeThrough(path, buf.Bytes())
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	return nil
}

func writeThrough(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write result %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write result %s: %w", path, err)
	}
	return nil
}

// Validate checks the invariants every reader relies on, so reports never
// divide by a missing histogram or show a count that contradicts itself.
func Validate(r *Result) error {
	if r.Schema != Schema {
		return fmt.Errorf("schema %q, want %q", r.Schema, Schema)
	}
	if len(r.Runs) == 0 {
		return errors.New("no runs")
	}
	if len(r.Plan) == 0 || !json.Valid(r.Plan) {
		return errors.New("plan: missing or not JSON")
	}
	var errs []error
	for i, run := range r.Runs {
		if run == nil {
			errs = append(errs, fmt.Errorf("runs[%d]: null", i))
			continue
		}
		if err := validateRun(run); err != nil {
			errs = append(errs, fmt.Errorf("runs[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func validateRun(r *Run) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if r.Status != StatusComplete && r.Status != StatusInterrupted {
		bad("status %q, want %q or %q", r.Status, StatusComplete, StatusInterrupted)
	}
	if r.WindowEnd.Before(r.WindowStart) {
		bad("window ends before it starts")
	}
	if err := validateStats("totals", &r.Totals); err != nil {
		errs = append(errs, err)
	}
	var sum int64
	for i := range r.Endpoints {
		e := &r.Endpoints[i]
		if err := validateStats(fmt.Sprintf("endpoints[%d] (%s)", i, e.Name), &e.Stats); err != nil {
			errs = append(errs, err)
		}
		sum += e.Requests
	}
	if len(r.Endpoints) == 0 {
		bad("no endpoints")
	} else if sum != r.Totals.Requests {
		bad("endpoint requests add up to %d, totals say %d", sum, r.Totals.Requests)
	}
	if r.Phases.DNS == nil || r.Phases.Connect == nil || r.Phases.TLS == nil {
		bad("phases: missing histogram")
	} else if !fine(r.Phases.DNS, r.Phases.Connect, r.Phases.TLS) {
		bad("phases: histograms must have %d significant figures", hdr.SigFigs)
	}
	if r.Generator.SendLag == nil {
		bad("generator: missing send_lag histogram")
	} else if !fine(r.Generator.SendLag) {
		bad("generator: send_lag must have %d significant figures", hdr.SigFigs)
	}
	for _, f := range []float64{r.Generator.CPUUserS, r.Generator.CPUSysS} {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 {
			bad("generator: CPU seconds %v out of range", f)
		}
	}
	if r.Generator.Dropped < 0 {
		bad("generator: negative dropped count")
	}
	if m := r.Target; m != nil {
		for _, ser := range m.Series {
			if len(ser.Values) != len(m.Samples) {
				bad("target metric %q: %d values for %d samples", ser.Name, len(ser.Values), len(m.Samples))
			}
		}
	}
	for i, p := range r.Profiles {
		switch p.Status {
		case ProfileOK, ProfileUnreachable, ProfileNotMounted, ProfileBusy, ProfileTimeout, ProfileOversize, ProfileInvalid, ProfileEmpty, ProfileError:
		default:
			bad("profiles[%d]: unknown status %q", i, p.Status)
		}
		if p.Requests < 0 || p.SizeBytes < 0 {
			bad("profiles[%d]: negative counts", i)
		}
	}
	if r.Timeline.IntervalMs <= 0 {
		bad("timeline: interval_ms %d, want > 0", r.Timeline.IntervalMs)
	}
	for i, iv := range r.Timeline.Intervals {
		if iv.Requests < 0 || iv.Errors < 0 || iv.Errors > iv.Requests || iv.Dropped < 0 || iv.DurationMs < 0 {
			bad("timeline[%d]: counts out of range", i)
		}
		for _, h := range []struct {
			name string
			e    hdr.Encoded
		}{{"latency", iv.Latency}, {"service_time", iv.Service}, {"ttfb", iv.TTFB}} {
			if _, err := hdr.Decode(h.e); err != nil {
				bad("timeline[%d] %s: %v", i, h.name, err)
			} else if h.e.SigFigs != hdr.CoarseSigFigs {
				bad("timeline[%d] %s: %d significant figures, want %d", i, h.name, h.e.SigFigs, hdr.CoarseSigFigs)
			}
		}
		if iv.Latency.Count != iv.Requests {
			bad("timeline[%d]: %d requests but %d latency values", i, iv.Requests, iv.Latency.Count)
		}
	}
	return errors.Join(errs...)
}

func validateStats(name string, s *Stats) error {
	if s.Latency == nil || s.Service == nil || s.TTFB == nil {
		return fmt.Errorf("%s: missing histogram", name)
	}
	if s.Requests < 0 || s.Errors < 0 || s.Errors > s.Requests || s.BytesIn < 0 || s.BytesOut < 0 {
		return fmt.Errorf("%s: counts out of range", name)
	}
	if !fine(s.Latency, s.Service, s.TTFB) {
		return fmt.Errorf("%s: histograms must have %d significant figures", name, hdr.SigFigs)
	}
	if s.Latency.Count() != s.Requests {
		return fmt.Errorf("%s: %d requests but %d latency values", name, s.Requests, s.Latency.Count())
	}
	var kinds int64
	for k, n := range s.ErrorKinds {
		if n < 0 {
			return fmt.Errorf("%s: error kind %q has negative count", name, k)
		}
		kinds += n
	}
	if kinds != s.Errors {
		return fmt.Errorf("%s: error kinds add up to %d, errors say %d", name, kinds, s.Errors)
	}
	for k, n := range s.StatusCodes {
		if n < 0 {
			return fmt.Errorf("%s: status %q has negative count", name, k)
		}
	}
	return nil
}

// fine reports whether every histogram has full precision: totals merge
// only with totals of the same precision.
func fine(hs ...*hdr.Histogram) bool {
	for _, h := range hs {
		if h.SigFigs() != hdr.SigFigs {
			return false
		}
	}
	return true
}
