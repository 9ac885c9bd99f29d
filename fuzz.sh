#!/usr/bin/env bash
# Runs every native fuzz target in turn, for FUZZTIME each (default 5m), and
# prints one line per target with its executions. CI does not run this: it
# runs the seed corpora (f.Add and testdata/fuzz) as ordinary tests.
#
#   ./fuzz.sh                    # 5 minutes per target, all targets
#   FUZZTIME=30s ./fuzz.sh plan  # only packages whose path contains "plan"
#
# FUZZMINIMIZE (default 5s) bounds the minimisation of each new input: at
# go's default of 60 s a worker spends most of a short run minimising, and
# its executions are not reported until it is done.
# FUZZPARALLEL (default 1) is the number of fuzzing workers per target; one
# leaves the other core free on a 2-core machine. A failing input is written
# by go test under the package's testdata/fuzz/<Target>/, where it becomes a
# regression seed once committed.
set -euo pipefail
cd "$(dirname "$0")"

fuzztime=${FUZZTIME:-5m}
parallel=${FUZZPARALLEL:-1}
filter=${1:-}
logdir=${FUZZLOGS:-bench/out/fuzz}
mkdir -p "$logdir"

status=0
while IFS= read -r line; do
	file=${line%%:*}
	target=$(sed -E 's/^func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"${line#*:}")
	pkg=./$(dirname "$file")
	if [ -n "$filter" ] && [[ $pkg != *"$filter"* ]]; then
		continue
	fi
	log="$logdir/$(tr / _ <<<"${pkg#./}")_$target.log"
	if go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" -fuzzminimizetime "${FUZZMINIMIZE:-5s}" -parallel "$parallel" "$pkg" >"$log" 2>&1; then
		result=ok
	else
		result=FAIL
		status=1
	fi
	# The last progress line carries the totals: elapsed, execs, new interesting.
	last=$(grep -E '^fuzz: elapsed' "$log" | tail -1 || true)
	printf '%-28s %-20s %-4s %s\n' "${pkg#./}" "$target" "$result" "${last#fuzz: }"
done < <(grep -r --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' internal cmd | sort)
exit $status
