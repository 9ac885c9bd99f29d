// Package results owns perfkit's result file: the Run a load test produced,
// the per-shard recorders the engine fills on the request path, the file's
// encoding, decoding, validation and merging, and the Summary every report
// renders. It is the leaf the engine, the reports and compare share; it never
// measures and never prints.
package results
