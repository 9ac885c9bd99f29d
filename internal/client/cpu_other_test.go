//go:build !unix

package client

import "time"

// cpuTime is unknown here; the benchmarks then report no CPU metric.
func cpuTime() (time.Duration, bool) { return 0, false }
