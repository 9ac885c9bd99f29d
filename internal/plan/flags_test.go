package plan

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"30s", 30 * time.Second, ""},
		{"1m30s", 90 * time.Second, ""},
		{"250ms", 250 * time.Millisecond, ""},
		{"1.5h", 90 * time.Minute, ""},
		{"0", 0, ""},
		{" 0 ", 0, ""},
		{"0s", 0, ""},
		{"-0s", 0, ""},
		{"+5s", 5 * time.Second, ""},
		{"10µs", 10 * time.Microsecond, ""},
		{"", 0, "empty duration (use e.g. 30s, 1m30s)"},
		{"10x", 0, `invalid duration "10x" (use e.g. 30s, 1m30s)`},
		{"30", 0, `invalid duration "30": missing unit (use e.g. 30s, 1m30s)`},
		{"2.5", 0, `invalid duration "2.5": missing unit (use e.g. 2.5s, 1m30s)`},
		{"-5s", 0, `invalid duration "-5s": must not be negative (use e.g. 30s, 1m30s)`},
		{"-0", 0, ""},
		{"9999999999h", 0, `invalid duration "9999999999h" (use e.g. 30s, 1m30s)`},
		{"1 m", 0, `invalid duration "1 m" (use e.g. 30s, 1m30s)`},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("ParseDuration(%q): got error %v, want %q", tt.in, err, tt.wantErr)
		case got != tt.want:
			t.Errorf("ParseDuration(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseDNSTTL(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		{"0", 0, ""},
		{"1s", time.Second, ""},
		{"5m", 5 * time.Minute, ""},
		{"forever", DNSTTLForever, ""},
		{" forever ", DNSTTLForever, ""},
		{"never", 0, `invalid duration "never" (use e.g. 30s, 1m30s); or forever to keep the first answer`},
		{"-1s", 0, `invalid duration "-1s": must not be negative (use e.g. 30s, 1m30s); or forever to keep the first answer`},
		{"-1", 0, `invalid DNS TTL "-1": 0 looks the name up for every new connection (vegeta's -1), forever keeps the first answer (vegeta's 0)`},
	}
	for _, tt := range tests {
		got, err := ParseDNSTTL(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseDNSTTL(%q): %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
			t.Errorf("ParseDNSTTL(%q): got error %v, want %q", tt.in, err, tt.wantErr)
		case got != tt.want:
			t.Errorf("ParseDNSTTL(%q): got %v, want %v", tt.in, got, tt.want)
		}
		if err == nil {
			if back, err := ParseDNSTTL(formatDNSTTL(got)); err != nil || back != got {
				t.Errorf("ParseDNSTTL(formatDNSTTL(%v)): got %v, %v", got, back, err)
			}
		}
	}
}

func TestParseStages(t *testing.T) {
	tests := []struct {
		in      string
		want    []Stage
		wantErr string
	}{
		{"30s:50,1m:50,10s:0", []Stage{{30 * time.Second, 50}, {time.Minute, 50}, {10 * time.Second, 0}}, ""},
		{" 30s : 12.5 , 1m:0 ", []Stage{{30 * time.Second, 12.5}, {time.Minute, 0}}, ""},
		{"1s:100000", []Stage{{time.Second, 100000}}, ""},
		{"", nil, "empty stages: want DURATION:TARGET[,...], e.g. 30s:50,1m:50,10s:0"},
		{"30s:50,", nil, `stages[1] "": want DURATION:TARGET, e.g. 30s:50`},
		{"30s:50,1m50", nil, `stages[1] "1m50": want DURATION:TARGET, e.g. 30s:50`},
		{"30x:50", nil, `stages[0] "30x:50": invalid duration "30x" (use e.g. 30s, 1m30s)`},
		{"30:50", nil, `stages[0] "30:50": invalid duration "30": missing unit (use e.g. 30s, 1m30s)`},
		{"0s:50", nil, `stages[0] "0s:50": duration must be > 0`},
		{"10s:-5", nil, `stages[0] "10s:-5": invalid target "-5": want a number >= 0`},
		{"10s:inf", nil, `stages[0] "10s:inf": invalid target "inf": want a number >= 0`},
		{"10s:1e3", nil, `stages[0] "10s:1e3": invalid target "1e3": want a number >= 0`},
		{"10s:", nil, `stages[0] "10s:": invalid target "": want a number >= 0`},
		{"10s:" + strings.Repeat("9", 400), nil, "out of range"},
		{strings.Repeat("1s:1,", MaxStages) + "1s:1", nil, "1001 stages: at most 1000"},
	}
	for _, tt := range tests {
		got, err := ParseStages(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseStages(%q): %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("ParseStages(%.40q): got error %v, want %q", tt.in, err, tt.wantErr)
		case !reflect.DeepEqual(got, tt.want):
			t.Errorf("ParseStages(%q): got %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseHeader(t *testing.T) {
	tests := []struct {
		in      string
		want    Header
		wantErr string
	}{
		{"Accept: application/json", Header{Name: "Accept", Value: "application/json"}, ""},
		{"X-Empty:", Header{Name: "X-Empty"}, ""},
		{" X-Pad :  a b  ", Header{Name: "X-Pad", Value: "a b"}, ""},
		{"Authorization: Bearer abc:def", Header{Name: "Authorization", Value: "Bearer abc:def", Secret: true}, ""},
		{"x-api-key: k", Header{Name: "x-api-key", Value: "k", Secret: true}, ""},
		{"Authorization Bearer abc", Header{}, `header: want "Name: value" (no colon found)`},
		{"Bad Name: v", Header{}, `header: invalid name "Bad Name"`},
		{": v", Header{}, `header: invalid name ""`},
		{"X-A: a\x00b", Header{}, "header: value of X-A contains a control character (byte 1)"},
	}
	for _, tt := range tests {
		got, err := ParseHeader(tt.in)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("ParseHeader(%q): %v", tt.in, err)
		case tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)):
			t.Errorf("ParseHeader(%q): got error %v, want %q", tt.in, err, tt.wantErr)
		case got != tt.want:
			t.Errorf("ParseHeader(%q): got %+v, want %+v", tt.in, got, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "Bearer") {
			t.Errorf("ParseHeader(%q): error %q quotes the value", tt.in, err)
		}
	}
}

func TestParseBody(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "body.json")
	if err := os.WriteFile(path, []byte(`{"a":1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.bin")
	if err := writeSparse(big, MaxBodyFileBytes+1); err != nil {
		t.Fatal(err)
	}

	body, file, err := ParseBody("@" + path)
	if err != nil || string(body) != `{"a":1}` || file != path {
		t.Errorf("ParseBody(@file): got %q, %q, %v; want the file's contents and path", body, file, err)
	}
	body, file, err = ParseBody(`{"literal":true}`)
	if err != nil || string(body) != `{"literal":true}` || file != "" {
		t.Errorf("ParseBody(literal): got %q, %q, %v", body, file, err)
	}
	body, file, err = ParseBody("")
	if err != nil || len(body) != 0 || file != "" {
		t.Errorf("ParseBody(\"\"): got %q, %q, %v; want an empty body", body, file, err)
	}

	missing := filepath.Join(dir, "missing.json")
	_, _, err = ParseBody("@" + missing)
	if want := "read body " + missing + ": no such file or directory"; err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("got %v, want %q", err, want)
	}
	_, _, err = ParseBody("@" + big)
	if want := "read body " + big + ": larger than 64 MiB"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
	_, _, err = ParseBody("@")
	if err == nil || !strings.Contains(err.Error(), "missing file name") {
		t.Errorf("got %v, want a missing file name error", err)
	}
}

// TestReadFileLimitedStream covers files with no size to check up front.
func TestReadFileLimitedStream(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err != nil {
		t.Skip("no /dev/zero")
	}
	_, err := readFileLimited("/dev/zero", 1024)
	if want := "larger than 1024 bytes"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

// writeSparse makes a file of size zero bytes without writing them.
func writeSparse(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
