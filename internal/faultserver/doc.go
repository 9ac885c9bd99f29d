// Package faultserver runs misbehaving HTTP servers on loopback for tests:
// targets that refuse, reset, hang, stall, trickle, lie about their length,
// never end a body, send gigabytes, gzip bombs, huge headers or garbage,
// redirect in circles or to another host, serve bad certificates, or die
// and come back on the same port; and a CONNECT proxy (Proxy) that tunnels
// or refuses and records what it was asked.
//
// It is for tests only: it takes a testing.TB, and nothing but _test.go
// files may import it (TestOnlyTestsImportIt holds that rule).
//
// The servers speak raw HTTP/1.1 over net.Listen("tcp", "127.0.0.1:0")
// rather than through net/http, because net/http will not misbehave on
// request: it fixes up lengths, refuses bad status lines and cannot reset a
// connection half-way through a body. A Handler gets the connection itself
// and each request's head, and writes whatever bytes the fault calls for.
//
// Every server counts the connections it accepted and the requests it read,
// and Close (registered with t.Cleanup) closes the listener and every
// connection and waits for every goroutine it started, so a test that
// checks for leaks sees none of the server's own.
package faultserver
