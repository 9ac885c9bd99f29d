// Package targetmetrics polls the target's own resource metrics during a
// run — Prometheus text exposition or Go's expvar /debug/vars — and keeps
// the handful that let a report put the target's cost per request: process
// CPU seconds, resident memory, goroutines, open file descriptors and GC
// pause time. It works without pprof, and it never fails the load run.
package targetmetrics
