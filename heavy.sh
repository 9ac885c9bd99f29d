#!/usr/bin/env bash
# The heavy cases CI leaves out: 2 GiB bodies, 10,000 VUs, a 10-million-
# request soak, a day of virtual time, 5-second stalls, hostile profile
# endpoints (tests behind the heavy build tag, without the race detector,
# about a minute on 2 cores), then, with FUZZ=1, every fuzz target for FUZZTIME
# each (default 5m: about an hour; see fuzz.sh).
set -euo pipefail
cd "$(dirname "$0")"

echo "== heavy tests"
go test -tags heavy -count=1 -run Heavy -v -timeout 30m ./internal/loadgen ./cmd/perfkit 2>&1 |
	grep -E '^(=== RUN|--- |\s+\S+_test\.go:[0-9]+:|ok|FAIL|PASS)'

if [ "${FUZZ:-0}" = 1 ]; then
	echo "== fuzzing"
	./fuzz.sh
fi
