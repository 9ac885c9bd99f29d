// Package progress shows a load test while it runs, on stderr.
//
// On a terminal it keeps one line redrawn in place (elapsed against planned
// time as a bar, the last interval's rate and latency, running error and VU
// counts); elsewhere, such as a CI log, it prints a plain line every few
// seconds so the log stays readable and small. It only decorates: the
// figures come from the engine's interval snapshots, the summary printed
// afterwards comes from the result, and nothing here feeds back into either.
package progress
