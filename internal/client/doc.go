// Package client sends the load engine's HTTP requests and measures each one.
//
// A general-purpose HTTP client spends most of a load generator's CPU on
// itself: net/http costs about four times wrk per request, mostly in user
// space (per-request objects, goroutine hand-offs, header maps). Because the
// generator shares the machine with what it measures, that cost caps the load
// one machine can offer and skews the latencies it reports. So HTTP/1.1 goes
// through a fast path built for this one job:
//
//   - each endpoint's request is encoded once, in New, to the exact bytes sent;
//   - each virtual user owns its connections (one per origin) and a reused
//     bufio.Reader; the status line and headers are parsed in place with
//     ReadSlice and the body is discarded, so a keep-alive request allocates
//     nothing;
//   - one deadline per request bounds the whole exchange, dial included;
//   - nothing is retried. net/http quietly resends an idempotent request whose
//     reused connection turned out dead; a load generator that does so hides
//     exactly the failures it exists to find. Here the request is an error
//     and the next one dials afresh.
//
// net/http is used only where its machinery is needed: HTTP/2 (Config.HTTP2)
// and endpoints that an HTTP proxy from the environment applies to. That path
// allocates and estimates header bytes, and it stops net/http's own retries
// by failing the request as soon as the transport takes a second connection
// for it.
//
// Outcomes are data, not Go errors: every failure is classified into a
// results.ErrKind by Classify, and the engine records it like any response.
// Header values may carry secrets, so they never appear in errors.
package client
