package report

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/perfkit/perfkit/internal/compare"
	"github.com/perfkit/perfkit/internal/results"
)

// FuzzRenderResult feeds result files, untrusted input to perfkit report
// and compare, through every renderer: whatever the decoder accepts must
// summarize, compare with itself and render in every format without a
// panic (a division by a zero count, an index past an empty slice).
func FuzzRenderResult(f *testing.F) {
	for _, name := range []string{"base.json", "cand.json"} {
		data, err := os.ReadFile(filepath.Join("testdata", "compare", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"schema":"perfkit.result/v1","plan":{},"runs":[]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := results.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		s, err := results.Summarize(r)
		if err == nil {
			for _, f := range Formats() {
				if err := Render(io.Discard, s, f, Options{Title: "fuzz"}); err != nil {
					t.Fatalf("render %s of an accepted result: %v", f, err)
				}
			}
		}
		c, err := compare.Compare([]*results.Result{r}, []*results.Result{r}, compare.Options{})
		if err != nil {
			return
		}
		for _, f := range []Format{FormatText, FormatJSON, FormatMarkdown, FormatHTML, FormatJUnit} {
			if err := RenderComparison(io.Discard, c, f, Options{}); err != nil {
				t.Fatalf("render comparison %s of an accepted result: %v", f, err)
			}
		}
	})
}
