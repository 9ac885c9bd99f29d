package results

import (
	"bytes"
	"strings"
	"testing"
)

// A result file cut short anywhere (a copy interrupted, a disk that
// filled) is rejected with an error, never half-read and never a panic.
func TestDecodeRejectsEveryTruncation(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, testResult(t)); err != nil {
		t.Fatal(err)
	}
	full := bytes.TrimRight(buf.Bytes(), " \n")
	if _, err := Decode(bytes.NewReader(full)); err != nil {
		t.Fatalf("the whole file: %v", err)
	}
	t.Logf("%d bytes, truncated at every offset", len(full))
	for n := range len(full) {
		if _, err := Decode(bytes.NewReader(full[:n])); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(full))
		}
	}
}

// Settings are perfkit's own, so a file cannot make a reader allocate by
// claiming a huge histogram: other settings are rejected before anything
// is built, whatever the buckets say.
func TestDecodeRejectsHugeHistogramClaims(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, testResult(t)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ from, to string }{
		{`"highest":3600000000`, `"highest":4611686018427387904`},
		{`"sig_figs":3`, `"sig_figs":5`},
		{`"lowest":1`, `"lowest":0`},
	} {
		bad := strings.Replace(buf.String(), tc.from, tc.to, 1)
		if bad == buf.String() {
			t.Fatalf("%s not found in the encoded result", tc.from)
		}
		_, err := Decode(strings.NewReader(bad))
		if err == nil || !strings.Contains(err.Error(), "settings") {
			t.Errorf("%s: got %v, want an error about the histogram settings", tc.to, err)
		}
	}
}

// Depth is bounded too: a plan nested a million levels deep is refused by
// the JSON scanner's depth limit, not recursed into.
func TestDecodeRejectsDeepNesting(t *testing.T) {
	const depth = 1 << 20
	for _, where := range []string{"plan", "runs"} {
		doc := `{"schema":"perfkit.result/v1","` + where + `":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		_, err := Decode(strings.NewReader(doc))
		if err == nil || !strings.Contains(err.Error(), "depth") {
			t.Errorf("%s nested %d deep: got %v, want an error about the nesting depth", where, depth, err)
		}
	}
}
