package report

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"
)

// renderMarkdown writes GitHub-flavoured Markdown: the threshold verdict
// first, where a PR reader looks, then each section as a pipe table.
func renderMarkdown(w io.Writer, d *document) error {
	var b strings.Builder
	if v := d.verdict; v != nil {
		if v.failed == 0 {
			fmt.Fprintf(&b, "✅ all %s passed\n\n", plural(v.total, "threshold"))
		} else {
			fmt.Fprintf(&b, "❌ %d of %s failed\n\n", v.failed, plural(v.total, "threshold"))
		}
	}
	facts := make([]string, len(d.facts))
	for i, f := range d.facts {
		facts[i] = escapeMarkdown(f.text)
	}
	fmt.Fprintf(&b, "### %s\n\n%s\n", escapeMarkdown(d.title), strings.Join(facts, " · "))
	for _, s := range d.sections {
		if s.table == nil {
			parts := make([]string, len(s.line))
			for i, c := range s.line {
				parts[i] = escapeMarkdown(c.text)
			}
			fmt.Fprintf(&b, "\n**%s:** %s\n", s.title, strings.Join(parts, " · "))
			continue
		}
		fmt.Fprintf(&b, "\n#### %s\n\n", escapeMarkdown(s.title))
		if err := markdownTable(&b, s.table); err != nil {
			return err
		}
	}
	if len(d.notes) > 0 {
		b.WriteString("\n#### Notes\n\n")
		for i, n := range d.notes {
			fmt.Fprintf(&b, "%d. %s\n", i+1, escapeMarkdown(n))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func markdownTable(w io.Writer, tb *table) error {
	aligns := make(tw.Alignment, len(tb.align))
	for i, a := range tb.align {
		aligns[i] = tw.AlignLeft
		if a == alignRight {
			aligns[i] = tw.AlignRight
		}
	}
	out := tablewriter.NewTable(w,
		tablewriter.WithRenderer(renderer.NewMarkdown()),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithAlignment(aligns),
	)
	header := make([]any, len(tb.header))
	for i, h := range tb.header {
		header[i] = escapeMarkdown(h)
	}
	out.Header(header...)
	for _, row := range tb.rows {
		cells := make([]any, len(row))
		for i, c := range row {
			cells[i] = escapeMarkdown(c.text)
		}
		if err := out.Append(cells...); err != nil {
			return fmt.Errorf("table: %w", err)
		}
	}
	if err := out.Render(); err != nil {
		return fmt.Errorf("table: %w", err)
	}
	return nil
}

// markdownActive are the characters that start emphasis, code, links,
// HTML, entities, strikethrough, headings, GitHub math, or end a table cell,
// wherever they stand. CommonMark lets any ASCII punctuation be escaped
// with a backslash, so escaping renders as the character itself.
const markdownActive = "\\`*_[]<>|~&#$!"

// escapeMarkdown makes s render as literal text in a paragraph, list item
// or table cell. Besides the characters active anywhere, a leading "-",
// "+", "=" or "1. " would start a list or underline a heading, so those are
// escaped at the start only (after trimming the spaces that would let them
// count as a start); line breaks become spaces, since a newline would end a
// table row.
func escapeMarkdown(s string) string {
	rs := []rune(strings.TrimSpace(s))
	digits := 0 // length of the leading run of digits
	for digits < len(rs) && rs[digits] >= '0' && rs[digits] <= '9' {
		digits++
	}
	var b strings.Builder
	for i, r := range rs {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			r = ' '
		case unicode.IsControl(r):
			r = '\uFFFD'
		}
		listNumber := i > 0 && i == digits && (r == '.' || r == ')') &&
			(i+1 == len(rs) || unicode.IsSpace(rs[i+1]))
		if strings.ContainsRune(markdownActive, r) || (i == 0 && strings.ContainsRune("-+=", r)) || listNumber {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
