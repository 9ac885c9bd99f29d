#!/usr/bin/env bash
# peers.sh: perfkit beside wrk, hey, vegeta and bombardier against one local
# nginx. nginx runs on CPU 1 (TARGET_CPU), every generator on CPU 0
# (GEN_CPU). For each tool it reports requests/s and the generator's
# CPU-µs per request, measured from outside the generator (rusage of the
# exited process via /usr/bin/time), and the ratio to wrk's CPU-µs per
# request in the same repetition.
#
# Closed loop: 50 connections, DURATION seconds per run, tools interleaved
# inside each rep (the order rotates from rep to rep). Open model: perfkit
# --rate RATE against vegeta -rate=RATE (and bombardier's token bucket as
# a reference), same duration, same reps.
#
# Environment (defaults in brackets):
#   REPS [3]          repetitions; each runs every tool once
#   DURATION [8]      seconds per load run
#   CONNS [50]        connections (closed loop) / in-flight cap (open model)
#   RATE [5000]       req/s of the open-model rows; OPEN=0 skips them
#   TOOLS             closed-loop tools [wrk perfkit hey vegeta bombardier]
#   QUIET_WAIT [40]   seconds to wait before each run for the machine to go quiet
#   QUIET_CORES [0.10] what counts as quiet: other load below this many cores
#   NOISY_CORES [0.15] a run with more other load than this is redone
#   RETRIES [2]       redos per disturbed run; the least disturbed attempt is kept
#   NO_BUILD=1        use bench/out/perfkit as it is
#   REPORT_FROM=F.tsv measure nothing; rebuild the report from an earlier
#                     run's rows (bench/out/peers-<stamp>.tsv)
#
# "×wrk, quiet reps only" is the same median over the reps in which
# neither the tool's run nor wrk's was disturbed (see NOISY_CORES).
#
# Output: a Markdown report on stdout and in bench/out/peers-<stamp>.md;
# one TSV row per run in bench/out/peers-<stamp>.tsv; every tool's raw
# output in bench/out/peers-<stamp>/.

set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REPS=${REPS:-3}
DURATION=${DURATION:-8}
CONNS=${CONNS:-50}
RATE=${RATE:-5000}
OPEN=${OPEN:-1}
TOOLS=${TOOLS:-wrk perfkit hey vegeta bombardier}
OPEN_TOOLS="perfkit-rate vegeta-rate bombardier-rate"
NOISY_CORES=${NOISY_CORES:-0.15}
RETRIES=${RETRIES:-2}
# A run that hangs is cut off: its own duration plus perfkit's graceful
# stop plus slack.
RUN_LIMIT=$((DURATION + 30))

# tool_cmd prints nothing; it sets CMD to the command line of one tool.
tool_cmd() {
	local tool=$1 raw=$2
	case $tool in
	wrk) CMD=(wrk -t1 -c"$CONNS" -d"${DURATION}s" -s "$BENCH_DIR/wrk-json.lua" "$TARGET_URL") ;;
	perfkit) CMD=("$PERFKIT" run "$TARGET_URL" -u "$CONNS" -d "${DURATION}s" -q --format json) ;;
	hey) CMD=("$BIN_DIR/hey" -z "${DURATION}s" -c "$CONNS" "$TARGET_URL") ;;
	vegeta) CMD=("$BIN_DIR/vegeta" attack -rate=0 -max-workers="$CONNS" -workers="$CONNS"
		-duration="${DURATION}s" -targets="$TARGETS_FILE" -output="$raw.bin") ;;
	bombardier) CMD=("$BIN_DIR/bombardier" -c "$CONNS" -d "${DURATION}s" -l -p r -o json "$TARGET_URL") ;;
	perfkit-rate) CMD=("$PERFKIT" run "$TARGET_URL" --rate "$RATE" --max-vus "$CONNS" -d "${DURATION}s"
		-q --format json) ;;
	vegeta-rate) CMD=("$BIN_DIR/vegeta" attack -rate="$RATE" -max-workers="$CONNS"
		-duration="${DURATION}s" -targets="$TARGETS_FILE" -output="$raw.bin") ;;
	bombardier-rate) CMD=("$BIN_DIR/bombardier" -c "$CONNS" -r "$RATE" -d "${DURATION}s" -l -p r
		-o json "$TARGET_URL") ;;
	*) die "unknown tool $tool" ;;
	esac
}

# parse_result prints "requests errors duration_s p50_ms p99_ms
# self_cpu_us_req send_lag_p99_ms" from one tool's output ("-" where the
# tool has no such figure). requests counts every completed response,
# errors the non-2xx responses plus transport errors.
parse_result() {
	local tool=$1 raw=$2
	case $tool in
	wrk)
		grep '^{' "$raw.out" | tail -n 1 | jq -r '[.requests, .errors + .non2xx, .duration_us/1e6,
			.p50_us/1000, .p99_us/1000, "-", "-"] | @tsv' ;;
	perfkit)
		jq -r '[.requests, .errors, .duration_s, .latency_ms.p50, .latency_ms.p99,
			.generator.cpu_us_per_request, "-"] | @tsv' "$raw.out" ;;
	perfkit-rate)
		jq -r '[.requests, .errors, .duration_s, .latency_ms.p50, .latency_ms.p99,
			.generator.cpu_us_per_request, .generator.send_lag_p99_ms] | @tsv' "$raw.out" ;;
	hey)
		awk '
			/^  Total:/ {dur=$2}
			/^  \[[0-9]+\]\t[0-9]+ responses/ {code=substr($1,2,3); n=$2; resp+=n; if (code !~ /^2/) bad+=n}
			/^Error distribution:/ {inerr=1; next}
			inerr && /^  \[[0-9]+\]/ {e=$1; gsub(/[\[\]]/,"",e); bad+=e}
			/^  50%% in/ {p50=$3*1000}
			/^  99%% in/ {p99=$3*1000}
			END {printf "%d\t%d\t%s\t%s\t%s\t-\t-\n", resp, bad+0, dur, p50, p99}' "$raw.out" ;;
	vegeta | vegeta-rate)
		"$BIN_DIR/vegeta" report -type=json "$raw.bin" >"$raw.report.json" || return 1
		# The binary results take tens of MB per run; the report keeps what counts.
		rm -f "$raw.bin"
		jq -r '[.requests, (.requests - (.status_codes["200"] // 0)), (.duration + .wait)/1e9,
			.latencies["50th"]/1e6, .latencies["99th"]/1e6, "-", "-"] | @tsv' "$raw.report.json" ;;
	bombardier | bombardier-rate)
		jq -r '.result | [.req1xx + .req2xx + .req3xx + .req4xx + .req5xx,
			.req1xx + .req3xx + .req4xx + .req5xx + .others, .timeTakenSeconds,
			.latency.percentiles["50"]/1000, .latency.percentiles["99"]/1000, "-", "-"] | @tsv' "$raw.out" ;;
	esac
}

# run_tool runs one tool once (redoing it up to RETRIES times while other
# load disturbed it), keeps the least disturbed attempt and appends its
# TSV row.
run_tool() {
	local rep=$1 tool=$2 attempt best_other= best_row= quiet raw rc
	for ((attempt = 1; attempt <= RETRIES + 1; attempt++)); do
		raw=$RAW_DIR/$tool-r$rep-a$attempt
		tool_cmd "$tool" "$raw"
		check_nginx
		quiet=$(wait_quiet)
		echo "${CMD[*]}" >"$raw.cmd"
		measure "$raw.out" "$raw.err" timeout --signal=INT "$RUN_LIMIT" "${CMD[@]}"
		rc=$?
		if [ $rc -ne 0 ]; then
			log "$tool rep $rep: exit $rc; stderr: $(head -c 400 "$raw.err")"
			continue
		fi
		local parsed requests errors dur p50 p99 self lag
		if ! parsed=$(parse_result "$tool" "$raw") || [ -z "$parsed" ]; then
			log "$tool rep $rep: cannot parse output $raw.out"
			continue
		fi
		read -r requests errors dur p50 p99 self lag <<<"$parsed"
		if [ "${requests:-0}" -le 0 ] 2>/dev/null; then
			log "$tool rep $rep: no requests completed"
			continue
		fi
		# nginx on loopback answers every request; an error means the run
		# measured something other than request handling.
		if [ "${errors:-0}" -gt 0 ]; then
			log "$tool rep $rep: $errors of $requests requests failed; see $raw.out"
			continue
		fi
		local row
		row=$(awk -v OFS='\t' -v rep="$rep" -v tool="$tool" -v req="$requests" -v err="$errors" \
			-v dur="$dur" -v cpu="$M_CPU_S" -v u="$M_USER_S" -v s="$M_SYS_S" -v self="$self" \
			-v p50="$p50" -v p99="$p99" -v lag="$lag" -v ng="$M_NGINX_S" -v oth="$M_OTHER_CORES" \
			-v q="$quiet" -v a="$attempt" -v rss="$M_MAXRSS_KB" -v served="$M_SERVED" 'BEGIN {
				sf = (self == "-") ? "-" : sprintf("%.2f", self)
				lf = (lag == "-") ? "-" : sprintf("%.3f", lag)
				print rep, tool, req, err, sprintf("%.3f", dur), sprintf("%.0f", req/dur),
					cpu, u, s, sprintf("%.2f", cpu*1e6/req), sf, sprintf("%.3f", p50),
					sprintf("%.3f", p99), lf, sprintf("%.2f", ng*1e6/req), oth, q, a, rss, served }')
		log "$tool rep $rep attempt $attempt: $(echo "$row" | awk -F'\t' '{printf "%s req (nginx served %s), %s rps, %s CPU-µs/req, other load %s cores", $3, $20, $6, $10, $16}')"
		if [ -z "$best_row" ] || awk -v a="$M_OTHER_CORES" -v b="$best_other" 'BEGIN {exit !(a < b)}'; then
			best_row=$row best_other=$M_OTHER_CORES
		fi
		if awk -v o="$M_OTHER_CORES" -v n="$NOISY_CORES" 'BEGIN {exit !(o <= n)}'; then
			break
		fi
		[ "$attempt" -le "$RETRIES" ] && log "$tool rep $rep: disturbed (${M_OTHER_CORES} cores of other load); redoing"
	done
	if [ -z "$best_row" ]; then
		log "$tool rep $rep: no usable attempt"
		return 0
	fi
	echo "$best_row" >>"$TSV"
}

# rotate prints the words of $2.. starting at index $1 (mod count), so each
# rep starts with a different tool and no tool always follows the same one.
rotate() {
	local k=$1
	shift
	local a=("$@") n=$# i
	for ((i = 0; i < n; i++)); do printf '%s ' "${a[$(((i + k) % n))]}"; done
}

if [ -n "${REPORT_FROM:-}" ]; then
	# Only rebuild the report from an earlier run's rows; the header takes
	# DURATION and the other settings from the environment as now.
	TSV=$REPORT_FROM RAW_DIR=${REPORT_FROM%.tsv} MD=${REPORT_FROM%.tsv}.md
	[ -r "$TSV" ] || die "cannot read $TSV"
	REPS=$(awk -F'\t' 'NR > 1 && $1 > n {n = $1} END {print n}' "$TSV")
	PERFKIT_ID="sha256 $(sha256sum "$RAW_DIR/perfkit" 2>/dev/null | cut -c1-12)"
else
	apt_install nginx:nginx wrk:wrk /usr/bin/time:time jq:jq curl:curl taskset:util-linux ss:iproute2
	go_install_peer hey github.com/rakyll/hey@latest
	go_install_peer vegeta github.com/tsenart/vegeta/v12@v12.13.0
	go_install_peer bombardier github.com/codesenberg/bombardier@v1.2.6
	[ "${NO_BUILD:-0}" = 1 ] || build_perfkit
	[ -x "$PERFKIT" ] || die "no perfkit binary at $PERFKIT"

	STAMP=$(date +%Y%m%d-%H%M%S)
	RAW_DIR=$OUT_DIR/peers-$STAMP
	TSV=$OUT_DIR/peers-$STAMP.tsv
	MD=$OUT_DIR/peers-$STAMP.md
	mkdir -p "$RAW_DIR"
	snapshot_perfkit "$RAW_DIR"
	TARGETS_FILE=$RAW_DIR/vegeta-targets.txt
	echo "GET $TARGET_URL" >"$TARGETS_FILE"

	trap stop_nginx EXIT
	trap 'exit 130' INT TERM
	start_nginx

	COLS="rep tool requests errors duration_s rps cpu_s user_s sys_s cpu_us_req self_cpu_us_req p50_ms p99_ms send_lag_p99_ms nginx_us_req other_cores quiet_before attempts maxrss_kb nginx_served"
	echo "$COLS" | tr ' ' '\t' >"$TSV"

	log "peers: $REPS reps x ($TOOLS${OPEN:+; open: $OPEN_TOOLS}) x ${DURATION}s; raw output in $RAW_DIR"
	for ((rep = 1; rep <= REPS; rep++)); do
		# shellcheck disable=SC2086
		for tool in $(rotate $((rep - 1)) $TOOLS); do run_tool "$rep" "$tool"; done
		if [ "$OPEN" = 1 ]; then
			# shellcheck disable=SC2086
			for tool in $(rotate $((rep - 1)) $OPEN_TOOLS); do run_tool "$rep" "$tool"; done
		fi
	done
	stop_nginx
fi

# summarize prints one Markdown row per tool: medians over reps, and the
# median of the per-rep ratio to the reference tool's CPU-µs/req.
summarize() {
	local ref=$1
	shift
	awk -F'\t' -v ref="$ref" -v tools="$*" -v noisy="$NOISY_CORES" '
		function median(list,    n, v, i, j, t) {
			n = split(list, v, " ")
			if (n == 0) return ""
			for (i = 2; i <= n; i++) { t = v[i] + 0; for (j = i - 1; j >= 1 && v[j] + 0 > t; j--) v[j+1] = v[j]; v[j+1] = t }
			return (n % 2) ? v[(n+1)/2] : (v[n/2] + v[n/2+1]) / 2
		}
		function thousands(x,    s) {
			s = sprintf("%.0f", x)
			while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
			return s
		}
		function range(list,    n, v, i, lo, hi) {
			n = split(list, v, " ")
			lo = hi = v[1] + 0
			for (i = 2; i <= n; i++) { if (v[i] + 0 < lo) lo = v[i] + 0; if (v[i] + 0 > hi) hi = v[i] + 0 }
			return sprintf("%.2f–%.2f", lo, hi)
		}
		NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{
			t = $col["tool"]; r = $col["rep"]
			n[t]++; rps[t] = rps[t] " " $col["rps"]; cpu[t] = cpu[t] " " $col["cpu_us_req"]
			us[t] = us[t] " " ($col["user_s"] * 1e6 / $col["requests"])
			sy[t] = sy[t] " " ($col["sys_s"] * 1e6 / $col["requests"])
			p50[t] = p50[t] " " $col["p50_ms"]; p99[t] = p99[t] " " $col["p99_ms"]
			ng[t] = ng[t] " " $col["nginx_us_req"]; err[t] += $col["errors"]
			if ($col["self_cpu_us_req"] != "-") self[t] = self[t] " " $col["self_cpu_us_req"]
			if ($col["send_lag_p99_ms"] != "-") lag[t] = lag[t] " " $col["send_lag_p99_ms"]
			if ($col["other_cores"] + 0 > noisy) bad[t]++
			if ($col["nginx_served"] > 0) cnt[t] = cnt[t] " " ($col["requests"] / $col["nginx_served"])
			c[t, r] = $col["cpu_us_req"]; o[t, r] = $col["other_cores"]; reps[r] = 1
		}
		END {
			nt = split(tools, tl, " ")
			for (k = 1; k <= nt; k++) {
				t = tl[k]
				if (!(t in n)) continue
				ratios = ""
				qratios = ""; nq = 0
				for (r in reps) if ((t, r) in c && (ref, r) in c && c[ref, r] > 0) {
					ratios = ratios " " sprintf("%.3f", c[t, r] / c[ref, r])
					if (o[t, r] + 0 <= noisy && o[ref, r] + 0 <= noisy) { qratios = qratios " " sprintf("%.3f", c[t, r] / c[ref, r]); nq++ }
				}
				printf "| %s | %d | %s | %.2f | %s | %s | %s | %.2f / %.2f | %.2f | %s | %.3f / %.3f | %s | %s | %d | %d |\n",
					t, n[t], thousands(median(rps[t])), median(cpu[t]),
					(ratios == "" ? "–" : sprintf("%.2f", median(ratios))), (ratios == "" ? "–" : range(ratios)),
					(qratios == "" ? "– (0)" : sprintf("%.2f (%d)", median(qratios), nq)),
					median(us[t]), median(sy[t]), median(ng[t]),
					(self[t] == "" ? "–" : sprintf("%.2f", median(self[t]))),
					median(p50[t]), median(p99[t]), (lag[t] == "" ? "–" : sprintf("%.3f", median(lag[t]))),
					(cnt[t] == "" ? "–" : sprintf("%.4f", median(cnt[t]))),
					err[t], bad[t]
			}
		}' "$TSV"
}

HEADER="| tool | reps | median rps | median CPU-µs/req | median ×REF (same-rep) | ×REF range | ×REF, quiet reps only (n) | user / sys µs/req | nginx µs/req | self-reported CPU-µs/req | p50 / p99 ms | send lag p99 ms | requests ÷ nginx-served | errors | noisy runs |
|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
{
	echo "# perfkit beside its peers — $(date '+%Y-%m-%d %H:%M %Z')"
	echo
	echo "Machine: $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r)."
	echo "perfkit $PERFKIT_ID."
	echo "nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') on CPU $TARGET_CPU (1 worker), generators on CPU $GEN_CPU."
	echo "$REPS reps, ${DURATION}s per run, $CONNS connections, tools interleaved (order rotated each rep)."
	echo "CPU = user+sys of the generator process from rusage (/usr/bin/time), ÷ completed requests."
	echo "A run is noisy when CPU used by neither the generator nor nginx exceeded $NOISY_CORES cores on average;"
	echo "such a run was redone up to $RETRIES times and the least disturbed attempt kept."
	echo
	echo "## Closed loop ($CONNS connections)"
	echo
	echo "${HEADER//REF/wrk}"
	# shellcheck disable=SC2086
	summarize wrk $TOOLS
	if [ "$OPEN" = 1 ]; then
		echo
		echo "## Open model ($RATE req/s, at most $CONNS in flight)"
		echo
		echo "${HEADER//REF/vegeta}"
		# shellcheck disable=SC2086
		summarize vegeta-rate $OPEN_TOOLS
	fi
	echo
	echo "Commands (per run; URL $TARGET_URL):"
	echo
	for tool in $TOOLS $([ "$OPEN" = 1 ] && echo "$OPEN_TOOLS"); do
		f=$(ls "$RAW_DIR/$tool-r1-a1.cmd" 2>/dev/null) && echo "- $tool: \`taskset -c $GEN_CPU $(sed "s|$REPO_DIR/||g" "$f")\`"
	done
	echo
	echo "Raw rows: $(basename "$TSV"); raw tool output: $(basename "$RAW_DIR")/."
} | tee "$MD"
