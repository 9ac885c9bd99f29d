#!/usr/bin/env bash
# The whole test suite: formatting, vet, every test under the race
# detector, then the timing-precision tests again without it (the race
# detector slows instrumented code several-fold, which no latency
# tolerance survives). .ci/run runs exactly this.
set -euo pipefail
cd "$(dirname "$0")"

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './bench/out/*'))
if [ -n "$unformatted" ]; then
	echo "gofmt would change:" >&2
	echo "$unformatted" >&2
	exit 1
fi

echo "== go vet ./..."
go vet ./...

echo "== go test -race ./..."
go test -race ./...

echo "== timing precision and the virtual soak (no race detector)"
go test -count=1 -run 'Loopback|SoakVirtual' ./internal/loadgen
