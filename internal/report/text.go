package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	indent     = "  "
)

// textWriter carries the first write error so the layout code reads as a
// sequence of prints, checked once at the end.
type textWriter struct {
	w     io.Writer
	color bool
	err   error
}

func (t *textWriter) print(parts ...string) {
	for _, p := range parts {
		if t.err != nil {
			return
		}
		_, t.err = io.WriteString(t.w, p)
	}
}

// paint wraps s in an ANSI colour when colour is on.
func (t *textWriter) paint(s string, code string) string {
	if !t.color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func (t *textWriter) cell(c cell) string {
	s := clean(c.text)
	switch c.tone {
	case toneGood:
		return t.paint(s, ansiGreen)
	case toneBad:
		return t.paint(s, ansiRed)
	case toneWarn:
		return t.paint(s, ansiYellow)
	}
	return s
}

func renderText(w io.Writer, d *document, color bool) error {
	t := &textWriter{w: w, color: color}
	facts := make([]string, len(d.facts))
	for i, f := range d.facts {
		facts[i] = t.cell(f)
	}
	t.print(t.paint(clean(d.title), ansiBold), " · ", strings.Join(facts, " · "), "\n")
	for _, s := range d.sections {
		t.print("\n")
		if s.table == nil {
			parts := make([]string, len(s.line))
			for i, c := range s.line {
				parts[i] = t.cell(c)
			}
			t.print(t.paint(s.title, ansiBold), "  ", strings.Join(parts, " · "), "\n")
			continue
		}
		t.print(t.paint(s.title, ansiBold), "\n")
		if t.err == nil {
			t.err = t.table(s.table)
		}
	}
	if len(d.notes) > 0 {
		t.print("\n", t.paint("Notes", ansiBold), "\n")
		for i, n := range d.notes {
			t.print(indent, t.paint(fmt.Sprintf("[%d]", i+1), ansiYellow), " ", clean(n), "\n")
		}
	}
	return t.err
}

// table lays out one table without borders, like the summaries of k6 and
// oha: columns two spaces apart, numbers right-aligned, the whole block
// indented and with no trailing blanks.
func (t *textWriter) table(tb *table) error {
	var buf bytes.Buffer
	aligns := make(tw.Alignment, len(tb.align))
	for i, a := range tb.align {
		aligns[i] = tw.AlignLeft
		if a == alignRight {
			aligns[i] = tw.AlignRight
		}
	}
	r := renderer.NewBlueprint(tw.Rendition{
		Borders: tw.BorderNone,
		Settings: tw.Settings{
			Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off, ShowHeader: tw.Off, ShowFooter: tw.Off},
			Lines:      tw.Lines{ShowTop: tw.Off, ShowBottom: tw.Off, ShowHeaderLine: tw.Off, ShowFooterLine: tw.Off},
		},
	})
	out := tablewriter.NewTable(&buf,
		tablewriter.WithRenderer(r),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithAlignment(aligns),
		tablewriter.WithTrimSpace(tw.Off),
	)
	if !tb.keyValue {
		header := make([]any, len(tb.header))
		for i, h := range tb.header {
			header[i] = h
		}
		out.Header(header...)
	}
	for _, row := range tb.rows {
		cells := make([]any, len(row))
		for i, c := range row {
			cells[i] = t.cell(c)
		}
		if err := out.Append(cells...); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := out.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n") {
		// The renderer pads every cell by one space; the first is
		// part of the indent and the last would trail.
		t.print(indent, strings.TrimRight(strings.TrimPrefix(line, " "), " "), "\n")
	}
	return nil
}

// clean replaces control characters, so a string from a result file (an
// endpoint name, a warning) cannot move the cursor, recolour the terminal
// or break a table row.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}
