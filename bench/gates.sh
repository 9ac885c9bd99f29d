#!/usr/bin/env bash
# gates.sh — does `perfkit compare` judge honestly on this machine?
#
# Trials (TRIALS each, default 10), every side recorded with
# `perfkit run --count RUNS` (default 5) against local gatetarget processes:
#   A/A      same target twice                    → must pass
#   slower   candidate's tail requests (3 %) sleep 55 ms instead of 50
#            → p99 +10 %, must fail 'p99<+5%'
#   allocs   candidate allocates ~20 % more bytes per request in total
#            → must fail 'alloc_bytes_per_request<+10%'
# Every comparison applies both gates. Prints how many trials came out right.
set -euo pipefail
cd "$(dirname "$0")"
TRIALS=${TRIALS:-10}
RUNS=${RUNS:-5}
DUR=${DUR:-3s}
out=out/gates
mkdir -p "$out"
go build -o out/perfkit ../cmd/perfkit
go build -o out/gatetarget ./gatetarget

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # port tail alloc
	./out/gatetarget -addr "127.0.0.1:$1" -tail "$2" -alloc "$3" 2>>"$out/targets.log" &
	pids+=($!)
	for _ in $(seq 50); do curl -fs "http://127.0.0.1:$1/work" >/dev/null 2>&1 && return; sleep 0.1; done
	echo "gatetarget on $1 did not start" >&2; exit 1
}
# The handler allocates 40 KiB (base) in 1 KiB objects; net/http adds about
# 7 KiB per request, so 50 KiB makes the whole request allocate ~20 % more.
start 18301 50ms 40960   # base
start 18302 55ms 40960   # p99 10 % slower
start 18303 50ms 51200   # ~20 % more bytes per request in total

record() { # port file
	./out/perfkit run "http://127.0.0.1:$1/work" -u 8 -d "$DUR" --warmup 300ms --count "$RUNS" -q \
		--profile "http://127.0.0.1:$1/debug/pprof" --profile-chunk 1s -o "$2" >/dev/null
}
judge() { # base cand → prints verdict
	./out/perfkit compare "$1" "$2" --gate 'p99<+5%' --gate 'alloc_bytes_per_request<+10%' --format json \
		| python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["verdict"], " ".join(g["expr"]+"="+g["status"] for g in d["gates"]))' || true
}

declare -A right=([aa]=0 [slower]=0 [allocs]=0)
for t in $(seq "$TRIALS"); do
	record 18301 "$out/base-$t.json"
	record 18301 "$out/aa-$t.json"
	record 18302 "$out/slower-$t.json"
	record 18303 "$out/allocs-$t.json"
	aa=$(judge "$out/base-$t.json" "$out/aa-$t.json")
	sl=$(judge "$out/base-$t.json" "$out/slower-$t.json")
	al=$(judge "$out/base-$t.json" "$out/allocs-$t.json")
	[[ $aa == pass* ]] && right[aa]=$((right[aa] + 1))
	[[ $sl == fail* ]] && right[slower]=$((right[slower] + 1))
	[[ $al == fail* ]] && right[allocs]=$((right[allocs] + 1))
	printf 'trial %2d  A/A: %-60s  slower: %-60s  allocs: %s\n' "$t" "$aa" "$sl" "$al"
done
echo
echo "| comparison | expected | right |"
echo "|---|---|---|"
echo "| A/A (same target) | pass | ${right[aa]}/$TRIALS |"
echo "| candidate p99 +10 % (gate p99<+5%) | fail | ${right[slower]}/$TRIALS |"
echo "| candidate +20 % bytes/request (gate alloc_bytes_per_request<+10%) | fail | ${right[allocs]}/$TRIALS |"
