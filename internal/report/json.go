package report

import (
	"encoding/json"
	"io"

	"github.com/perfkit/perfkit/internal/results"
)

// renderJSON writes the summary exactly as its JSON schema defines it, one
// document with a trailing newline. HTML escaping is off: threshold
// expressions such as "p95<500ms" stay readable to people reading the file,
// and every JSON decoder reads them either way.
func renderJSON(w io.Writer, s *results.Summary) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}
