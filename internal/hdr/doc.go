// Package hdr wraps hdrhistogram-go once, so that every histogram in perfkit
// has the same settings (and therefore merges losslessly), takes quantiles as
// 0..1, never drops a value above its range, and encodes to a compact sparse
// form that decodes safely from untrusted input.
//
// Values are microseconds. The range is 1 µs to 1 hour at 3 significant
// digits; a larger value is recorded at the top of the range and counted in
// Overflow, so totals stay exact while the report can say how many values the
// histogram could not place.
package hdr
