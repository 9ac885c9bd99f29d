// Package demo is the sample service behind `perfkit demo`: a small orders
// API that reproduces the classic "N+1 queries" lesson so a first-time user
// can watch perfkit measure a real difference within a minute.
//
// The service keeps an in-memory database whose every query costs a fixed,
// deterministic amount of CPU (and optionally a fixed round trip), so the
// cost of a request is proportional to the number of queries it issues.
// Listing a customer's orders issues 1 + len(orders) queries in ModeNPlus1
// and 2 in ModeBatched (0 on a cache hit when the cache is on). The modes
// switch at run time, so one process can be load-tested before and after.
//
// Function names are part of the lesson: CPU profiles taken through the
// mounted /debug/pprof/ handlers attribute the N+1 cost to
// (*DB).queryItemsByOrder, called once per order, and the batched cost to
// (*DB).queryItemsByOrderIDs, with (*DB).execQuery and burnCPU below them.
package demo
