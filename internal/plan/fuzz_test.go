package plan

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// fakeBody stands in for body files so the fuzzer never touches the disk.
func fakeBody(path string, limit int64) ([]byte, error) {
	if filepath.Base(path) == "missing" {
		return nil, os.ErrNotExist
	}
	return []byte("body of " + path), nil
}

func FuzzParse(f *testing.F) {
	for _, dir := range []string{"valid", "invalid"} {
		paths, err := filepath.Glob(filepath.Join("testdata", dir, "*.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("url: http://127.0.0.1/\nduration: 1s\nbody_file: missing\n"))
	f.Add([]byte("a: &a [*a]\nurl: *a\n"))
	f.Add([]byte("x-a: &a {<<: *a}\nendpoints: [{<<: *a}]\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parse("fuzz.yaml", data, fakeBody)
		if err != nil {
			if p != nil {
				t.Fatalf("plan returned with an error: %v", err)
			}
			return
		}
		p.SetDefaults()
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted plan does not validate: %v\n%s", err, data)
		}
		again := p.Redacted()
		again.SetDefaults()
		if err := again.Validate(); err != nil {
			t.Fatalf("redacted plan does not validate: %v", err)
		}
		echo, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		var back Plan
		if err := json.Unmarshal(echo, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", echo, err)
		}
		if err := back.Validate(); err != nil {
			t.Fatalf("plan decoded from its echo does not validate: %v\n%s", err, echo)
		}
		for i := range p.Endpoints {
			back.Endpoints[i].Body = p.Endpoints[i].Body
		}
		if !reflect.DeepEqual(&back, p) {
			t.Fatalf("echo round trip:\ngot  %+v\nwant %+v", back, p)
		}
	})
}

func FuzzParseStages(f *testing.F) {
	for _, s := range []string{"30s:50,1m:50,10s:0", "1s:0.5", " 1m : 2 ", "0s:1", "1s:-1", "1s:inf", "a:b,c", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		stages, err := ParseStages(s)
		if err != nil {
			return
		}
		if len(stages) == 0 || len(stages) > MaxStages {
			t.Fatalf("ParseStages(%q): %d stages", s, len(stages))
		}
		for i, st := range stages {
			if st.Duration <= 0 || st.Target < 0 || math.IsNaN(st.Target) || math.IsInf(st.Target, 0) {
				t.Fatalf("ParseStages(%q): stage %d is %+v", s, i, st)
			}
		}
	})
}

func FuzzParseDuration(f *testing.F) {
	for _, s := range []string{"30s", "1m30s", "0", "-5s", "10", "1.5h", "10x", "", "9223372036854775807ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 {
			t.Fatalf("ParseDuration(%q) = %v, want >= 0", s, d)
		}
		// The echo's spelling must read back as the same duration.
		back, err := ParseDuration(formatDuration(d))
		if err != nil || back != d {
			t.Fatalf("ParseDuration(%q) = %v, echoed as %q, read back as %v, %v", s, d, formatDuration(d), back, err)
		}
	})
}
