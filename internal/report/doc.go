// Package report renders a results.Summary for people and programs: an
// aligned text summary for the terminal, the summary JSON for scripts, and
// Markdown for pull requests and CI job pages.
//
// Renderers print and never measure. Everything they show comes from the
// Summary, which is computed from a result file alone, so a report rendered
// later, elsewhere, or from a merged file equals the one printed live. The
// text and Markdown renderers share one document model (see document.go):
// the choice of sections, their order and their figures are made once, and
// each format only decides how a table, a line or a footnote looks. New
// formats slot in as one more renderer of that model.
//
// Strings that came from the plan or the target (the title, endpoint names,
// threshold expressions, warnings) are untrusted: the text renderer replaces
// control characters so a result file cannot drive the terminal, and the
// Markdown renderer escapes every character Markdown would act on.
package report
