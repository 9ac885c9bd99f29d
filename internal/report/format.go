package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/perfkit/perfkit/internal/results"
)

// Format names an output format.
type Format string

// The formats Render produces.
const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
	// FormatHTML is one self-contained page (inline CSS, no network).
	FormatHTML Format = "html"
	// FormatJUnit is JUnit XML: one test case per threshold and gate, for
	// CI systems that show test results.
	FormatJUnit Format = "junit"
)

// Formats lists the formats Render produces, in the order help texts show
// them.
func Formats() []Format {
	return []Format{FormatText, FormatJSON, FormatMarkdown, FormatHTML, FormatJUnit}
}

// ParseFormat checks s against the allowed formats, or against Formats()
// when none are given. Commands pass their own subset (compare may allow
// html, report junit) so the message names exactly what that command takes.
func ParseFormat(s string, allowed ...Format) (Format, error) {
	if len(allowed) == 0 {
		allowed = Formats()
	}
	names := make([]string, len(allowed))
	for i, f := range allowed {
		if string(f) == s {
			return f, nil
		}
		names[i] = string(f)
	}
	return "", fmt.Errorf("invalid format %q: want one of %s", s, strings.Join(names, ", "))
}

// Options adjusts decoration, never data.
type Options struct {
	// Color turns on ANSI colour in the text format. The caller decides
	// from the terminal and NO_COLOR; the other formats ignore it.
	Color bool
	// Title heads the report, e.g. the plan name or the target URL.
	Title string
}

// Render writes s to w in format f.
func Render(w io.Writer, s *results.Summary, f Format, opts Options) error {
	if s == nil {
		return fmt.Errorf("render %s: no summary", f)
	}
	var err error
	switch f {
	case FormatText:
		err = renderText(w, build(s, opts.Title), opts.Color)
	case FormatJSON:
		err = renderJSON(w, s)
	case FormatMarkdown:
		err = renderMarkdown(w, build(s, opts.Title))
	case FormatHTML:
		err = renderHTML(w, build(s, opts.Title))
	case FormatJUnit:
		return RenderSummaryJUnit(w, s)
	default:
		return fmt.Errorf("render: unsupported format %q", f)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", f, err)
	}
	return nil
}
