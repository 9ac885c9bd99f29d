// Command perfkit drives load against HTTP services, records exact latency
// distributions, and compares runs.
package main

import (
	"os"
	"runtime/debug"
)

// gcPercent replaces Go's default GOGC of 100. The request path allocates
// nothing, so the heap's only garbage is a few hundred KiB per second of
// timeline encoding, and collections stay rare at any setting; a low
// target keeps RSS flat over a long run instead of letting the heap grow
// to twice its live size before each collection.
const gcPercent = 25

func main() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
	ctx, release := interruptContext(os.Stderr)
	code := run(ctx, os.Args[1:], systemStreams())
	release()
	os.Exit(code)
}
