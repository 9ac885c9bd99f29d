// Package threshold parses the pass/fail expressions a run is judged by,
// such as "p95<500ms", "error_rate<1%" or "p99{endpoint=create-order}<300ms".
//
// Expressions arrive from flags and plan files, so Parse is strict and says
// what a valid expression looks like when it rejects one. A parsed Threshold
// holds its bound in base units (milliseconds, fractions, per-second rates,
// counts) so the code that evaluates it compares numbers taken straight from
// a result file, and Key gives the canonical label reports show beside it.
package threshold
