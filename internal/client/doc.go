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
//     and the next one dials afresh. A reused connection that the server
//     closed or reset before answering (its idle timeout racing the reuse)
//     is its own kind, eof_reused_conn, so it is not blamed on the target
//     as a plain closed or reset connection would be.
//
// net/http is used only where its machinery is needed: HTTP/2 (Config.HTTP2)
// and endpoints a proxy applies to (Config.Proxy: the environment's
// HTTP_PROXY, HTTPS_PROXY and NO_PROXY unless told otherwise). That path
// allocates and estimates header bytes, and it stops net/http's own retries
// by failing the request as soon as the transport takes a second connection
// for it. A proxy that refuses the CONNECT tunnel, or cannot be reached,
// fails the request as kind proxy.
//
// Both paths resolve names through one cache (Config.Resolver,
// Config.DNSTTL): by default every new connection looks its name up again,
// and new connections take the answer's addresses in turn. A kept-alive
// connection never resolves, so keep-alive pins the address it dialed.
//
// Outcomes are data, not Go errors: every failure is classified into a
// results.ErrKind by Classify, and the engine records it like any response.
// Header values may carry secrets, so they never appear in errors.
package client
