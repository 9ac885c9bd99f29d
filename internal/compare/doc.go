// Package compare answers the CI question "did this change make the service
// slower?" from two sets of result files: a baseline and a candidate.
//
// The run is the unit of replication. Every metric (rps, error rate, latency
// percentiles, per-endpoint figures, and per-request target costs supplied
// by the caller) is computed once per run, and the two sides' per-run values
// are compared with the Mann-Whitney U test (golang.org/x/perf/benchmath).
// Requests and timeline intervals inside one run are never treated as
// independent samples: they share that run's conditions (CPU contention,
// placement, heap state), so testing them gives false positives on an
// unchanged service.
//
// A Gate bounds the change of one metric ("p99<+10%"). It fails only when the
// change is beyond its bound and significant; when the runs are too few for
// the test ever to reach significance, or a side lacks the metric, it is
// inconclusive rather than guessed. Problems that do not stop the comparison
// (different plans, interrupted runs, too few runs for an interval) are
// carried as numbered warnings beside the figures, the way benchstat prints
// footnotes, and never as errors.
package compare
