// Command perfkit drives load against HTTP services, records exact latency
// distributions, and compares runs.
package main

import "os"

func main() {
	ctx, release := interruptContext(os.Stderr)
	code := run(ctx, os.Args[1:], systemStreams())
	release()
	os.Exit(code)
}
