// Package plan describes what a load test does — the load model, its
// length, the endpoints it requests and the thresholds that judge it — and
// turns plan files and command-line values into that description.
//
// A Plan comes either from YAML (Load, Parse) or from flags (ParseDuration,
// ParseStages, ParseHeader, ParseBody); the command line then overwrites the
// fields whose flags were set and calls SetDefaults and Validate. Every
// problem is reported at once, each naming the field (and, for files, the
// line) it concerns, because a plan is usually fixed in one sitting.
//
// Plans are untrusted input: files and bodies are read with size caps and
// the parser never panics. Secrets in headers and URLs are kept out of the
// echo stored in result files by Redacted.
package plan
