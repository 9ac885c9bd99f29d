//go:build race

package loadgen

// raceEnabled reports whether the race detector instruments this build;
// it slows the client's code several-fold, so tests of timing precision
// run in the separate non-race pass of test.sh instead.
const raceEnabled = true
