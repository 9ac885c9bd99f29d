// Package plan describes what a load test does — the load model, its
// length, the endpoints it requests and the thresholds that judge it — and
// turns plan files and command-line values into that description.
//
// A Plan comes either from YAML (Load, Parse) or from flags (ParseDuration,
// ParseStages, ParseHeader, ParseBody, ParseDNSTTL); the command line lays
// the flags that were set over the file's plan and then calls SetDefaults
// and Validate. Every problem is reported at once, each naming the field (and,
// for files, the line) it concerns, because a plan is usually fixed in one
// sitting.
//
// A plan file:
//
//	name: checkout
//	rate: 0                 # open model, ramping up from 0 requests/s
//	stages:
//	  - {duration: 30s, target: 200}
//	  - {duration: 2m, target: 200}
//	timeout: 5s
//	endpoints:
//	  - name: browse
//	    url: https://shop.example.test/products
//	    headers: {Authorization: Bearer ...}
//	    weight: 8
//	  - name: create-order
//	    method: POST
//	    url: https://shop.example.test/orders
//	    body_file: order.json   # relative to this file
//	    weight: 2
//	thresholds:
//	  - p95{endpoint=create-order}<300ms
//	  - error_rate<1%
//
// Plans are untrusted input: files and bodies are read with size caps,
// aliases cannot multiply the work, and the parser never panics. Secrets
// in headers and URLs are kept out of the echo stored in result files by
// Redacted.
package plan
