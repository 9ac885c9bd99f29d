#!/usr/bin/env bash
# memory.sh: does perfkit's memory stay flat as a run gets longer? It runs
# perfkit (closed loop, 50 VUs, pinned to CPU 0) against nginx (CPU 1) for
# about SMALL and about LARGE requests and compares the peak RSS that
# /usr/bin/time -v reports ("Maximum resident set size"). perfkit has no
# request-count flag, so a short probe measures the achievable rate and
# each run's duration is the request count divided by that rate; the
# table shows the requests each run actually completed.
#
# Requirement: the LARGE run's peak RSS within 20 % of the SMALL run's.
#
# Environment (defaults in brackets):
#   SMALL [200000]    requests in the short run
#   LARGE [2000000]   requests in the long run
#   VUS [50]          closed-loop virtual users
#   MEM_RPS           skip the probe and assume this rate (req/s)
#   LIMIT_PCT [20]    allowed growth of peak RSS, percent
#   CONTROL [1]       also run the large run's duration with few requests
#                     (--think-time CONTROL_THINK [10ms]); CONTROL=0 skips it
#   NO_BUILD=1        use bench/out/perfkit as it is
#
# Output: a Markdown table on stdout and in bench/out/memory-<stamp>.md;
# perfkit's JSON summaries and time -v output in bench/out/memory-<stamp>/.
# Exit status 1 when the requirement is not met.

set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMALL=${SMALL:-200000}
LARGE=${LARGE:-2000000}
VUS=${VUS:-50}
LIMIT_PCT=${LIMIT_PCT:-20}
CONTROL=${CONTROL:-1}
CONTROL_THINK=${CONTROL_THINK:-10ms}

apt_install nginx:nginx /usr/bin/time:time jq:jq curl:curl taskset:util-linux ss:iproute2
[ "${NO_BUILD:-0}" = 1 ] || build_perfkit
[ -x "$PERFKIT" ] || die "no perfkit binary at $PERFKIT"

STAMP=$(date +%Y%m%d-%H%M%S)
RAW_DIR=$OUT_DIR/memory-$STAMP
MD=$OUT_DIR/memory-$STAMP.md
mkdir -p "$RAW_DIR"
snapshot_perfkit "$RAW_DIR"

trap stop_nginx EXIT
trap 'exit 130' INT TERM
start_nginx

# run_perfkit NAME SECONDS [FLAGS...] runs perfkit pinned to GEN_CPU under
# /usr/bin/time -v and sets R_REQUESTS, R_RPS, R_ERRORS, R_RSS_KB, R_CPU_US.
run_perfkit() {
	local name=$1 secs=$2 raw=$RAW_DIR/$1
	shift 2
	local cmd=("$PERFKIT" run "$TARGET_URL" -u "$VUS" -d "${secs}s" "$@" -q --format json)
	echo "taskset -c $GEN_CPU /usr/bin/time -v ${cmd[*]}" >"$raw.cmd"
	check_nginx
	wait_quiet >/dev/null
	log "$name: perfkit -u $VUS -d ${secs}s"
	# A hung run is cut off after its duration plus perfkit's graceful
	# stop plus slack.
	if ! taskset -c "$GEN_CPU" /usr/bin/time -v -o "$raw.time" \
		timeout --signal=INT $((secs + 60)) "${cmd[@]}" >"$raw.json" 2>"$raw.err"; then
		die "$name: perfkit failed: $(head -c 400 "$raw.err")"
	fi
	R_REQUESTS=$(jq -r .requests "$raw.json")
	[ "$(jq -r .errors "$raw.json")" = 0 ] || die "$name: perfkit saw errors: $(jq -c .error_kinds "$raw.json")"
	R_RPS=$(jq -r '.rps | floor' "$raw.json")
	R_ERRORS=$(jq -r .errors "$raw.json")
	R_RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$raw.time")
	R_CPU_US=$(awk -F': ' -v n="$R_REQUESTS" '/User time|System time/ {s += $2}
		END {printf "%.2f", s*1e6/n}' "$raw.time")
	log "$name: $R_REQUESTS requests, $R_RPS req/s, peak RSS $R_RSS_KB KiB"
}

if [ -n "${MEM_RPS:-}" ]; then
	rate=$MEM_RPS
else
	run_perfkit probe 3
	rate=$R_RPS
fi
[ "${rate:-0}" -gt 0 ] || die "probe achieved no requests"

# Seconds for a count at the probed rate, plus 5 % so that a slightly
# slower run still reaches the count; never under 2 s.
secs_for() { awk -v n="$1" -v r="$rate" 'BEGIN {s = int(n / r * 1.05 + 0.999); if (s < 2) s = 2; print s}'; }

declare -A REQ RPS ERR RSS CPU SECS
for name in small large; do
	target=$SMALL
	[ $name = large ] && target=$LARGE
	SECS[$name]=$(secs_for "$target")
	run_perfkit "$name" "${SECS[$name]}"
	# Other people's load on this shared machine can slow a run well below
	# the probed rate; one longer redo then brings it to the count.
	if [ "$R_REQUESTS" -lt $((target * 95 / 100)) ]; then
		SECS[$name]=$(awk -v s="${SECS[$name]}" -v t="$target" -v n="$R_REQUESTS" \
			'BEGIN {print int(s * t / n * 1.1 + 0.999)}')
		log "$name: $R_REQUESTS of $target requests; redoing with ${SECS[$name]}s"
		run_perfkit "$name" "${SECS[$name]}"
	fi
	REQ[$name]=$R_REQUESTS RPS[$name]=$R_RPS ERR[$name]=$R_ERRORS RSS[$name]=$R_RSS_KB CPU[$name]=$R_CPU_US
done
# The control run lasts as long as the large one but sends about a tenth of
# its requests (each VU pauses between requests): when its peak RSS is
# close to the large run's, memory follows the run's duration, not its
# request count.
if [ "$CONTROL" = 1 ]; then
	SECS[control]=${SECS[large]}
	run_perfkit control "${SECS[control]}" --think-time "$CONTROL_THINK"
	REQ[control]=$R_REQUESTS RPS[control]=$R_RPS ERR[control]=$R_ERRORS RSS[control]=$R_RSS_KB CPU[control]=$R_CPU_US
fi
stop_nginx

growth=$(awk -v a="${RSS[small]}" -v b="${RSS[large]}" 'BEGIN {printf "%+.1f", (b/a - 1) * 100}')
ratio=$(awk -v a="${RSS[small]}" -v b="${RSS[large]}" 'BEGIN {printf "%.3f", b/a}')
verdict=PASS
awk -v g="$growth" -v l="$LIMIT_PCT" 'BEGIN {exit !(g > l)}' && verdict=FAIL

{
	echo "# perfkit memory flatness — $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "Machine: $(nproc) CPUs, kernel $(uname -r). nginx on CPU $TARGET_CPU, perfkit on CPU $GEN_CPU;"
	echo "closed loop, $VUS VUs; durations from a probed rate of $rate req/s. perfkit $PERFKIT_ID."
	echo
	echo "| run | target requests | duration | requests completed | req/s | errors | CPU-µs/req | peak RSS (MiB) |"
	echo "|---|---|---|---|---|---|---|---|"
	for name in small large $([ "$CONTROL" = 1 ] && echo control); do
		case $name in small) target=$SMALL ;; large) target=$LARGE ;; control) target=0 ;; esac
		awk -v n="$name" -v t="$target" -v s="${SECS[$name]}" -v r="${REQ[$name]}" -v q="${RPS[$name]}" \
			-v e="${ERR[$name]}" -v c="${CPU[$name]}" -v m="${RSS[$name]}" \
			'BEGIN {printf "| %s | %s | %d s | %d | %d | %d | %s | %.1f |\n", n, (t ? t : "–"), s, r, q, e, c, m/1024}'
	done
	echo
	if [ "$CONTROL" = 1 ]; then
		echo "control: the large run's duration with --think-time $CONTROL_THINK (far fewer requests)."
		echo "Peak RSS control ÷ small: $(awk -v a="${RSS[small]}" -v b="${RSS[control]}" 'BEGIN {printf "%.3f", b/a}');" \
			"control ÷ large: $(awk -v a="${RSS[large]}" -v b="${RSS[control]}" 'BEGIN {printf "%.3f", b/a}')."
		echo "Growth that the control shares with the large run comes from the run's duration, not its request count."
		echo
	fi
	echo "Peak RSS large ÷ small: **$ratio** ($growth %); requirement ≤ +$LIMIT_PCT %: **$verdict**."
	echo
	echo "Command: \`$(sed "s|$REPO_DIR/||g" "$RAW_DIR/large.cmd")\` (and the same with the small run's duration)."
} | tee "$MD"

[ "$verdict" = PASS ]
