// Package pprofcollect pulls pprof profiles from the target while perfkit
// drives load, ties each one to the requests perfkit completed in the same
// window, and turns them into per-request costs by function: CPU time,
// bytes and objects allocated, lock delay. Two such tables diff into "which
// functions got more expensive per request", which is what a profile
// comparison between two builds is for.
//
// The target is untrusted. Every download is capped, a gzipped profile is
// inflated into a capped buffer by this package (profile.ParseData has no
// limit of its own), the parser runs under recover, and every failure is
// data: Capture never returns an error, it records each attempted profile
// with a results.Profile status (ok, unreachable, not_mounted, busy,
// timeout, oversize, invalid, empty, error). Profiling uses its own HTTP
// client so it never takes connections from the load, and header values
// (they often carry credentials) never appear in errors.
//
// Shape of a capture, following net/http/pprof's measured behaviour:
// back-to-back CPU chunks over the steady window (the CPU profiler is
// single-tenant, so a busy answer is retried with backoff); cumulative
// allocs, mutex and block snapshots at the window edges, subtracted here
// rather than with the server's ?seconds= delta, which drops the default
// sample type and differences the in-use values too; heap and goroutine
// snapshots at the end, and goroutine again after the load drained.
//
// Per-request arithmetic is float64 throughout: profile.Scale rounds to
// int64, which turns "0.3 allocations per request" into 0. Costs are keyed
// by function name, not by location, so two different binaries compare;
// the runtime.asyncPreempt frame the runtime injects into a preempted tight
// loop is charged to that loop (see stackNames).
package pprofcollect
