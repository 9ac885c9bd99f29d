# Shared by peers.sh and memory.sh: installs, builds perfkit, runs nginx
# pinned to one CPU, and accounts for CPU from /proc. Sourced, not run.
# Everything it creates lives under bench/out/ (gitignored).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)
OUT_DIR=$BENCH_DIR/out
BIN_DIR=$OUT_DIR/bin
PERFKIT=$OUT_DIR/perfkit
NGINX_PORT=${NGINX_PORT:-18090}
TARGET_URL=http://127.0.0.1:$NGINX_PORT/
# The generator and the target each get a CPU of their own, so that the
# generator's CPU time is not mixed with nginx's and neither steals the
# other's core.
GEN_CPU=${GEN_CPU:-0}
TARGET_CPU=${TARGET_CPU:-1}

# USER_HZ: /proc/<pid>/stat and /proc/stat count CPU time in these ticks.
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# apt_install installs the Debian packages whose command is missing;
# apt-get update runs once, and only when something is missing, so a rerun
# on a prepared machine starts at once.
apt_install() {
	local missing=() pair cmd pkg
	for pair in "$@"; do
		cmd=${pair%%:*} pkg=${pair##*:}
		if ! command -v "$cmd" >/dev/null 2>&1 && [ ! -x "$cmd" ]; then
			missing+=("$pkg")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	log "apt-get install ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || die "apt-get update failed"
	apt-get install -y -qq "${missing[@]}" >&2 || die "apt-get install ${missing[*]} failed"
}

# go_install_peer puts a peer load generator into bench/out/bin from the Go
# module proxy, at the version the results were measured with.
go_install_peer() {
	local name=$1 module=$2
	[ -x "$BIN_DIR/$name" ] && return 0
	log "go install $module"
	mkdir -p "$BIN_DIR"
	# Outside the repo, so perfkit's go.mod plays no part in the peer's build.
	(cd /tmp && GOBIN=$BIN_DIR GOFLAGS=-buildvcs=false go install "$module") >&2 ||
		die "go install $module failed"
}

build_perfkit() {
	log "go build ./cmd/perfkit"
	(cd "$REPO_DIR" && go build -o "$PERFKIT" ./cmd/perfkit) >&2 || die "build of perfkit failed"
}

# snapshot_perfkit copies the perfkit binary into a run's own directory
# and points PERFKIT at the copy, so that a rebuild of bench/out/perfkit by
# anyone else during a long run cannot mix two builds in one table.
snapshot_perfkit() {
	cp "$PERFKIT" "$1/perfkit" || die "copy perfkit to $1"
	PERFKIT=$1/perfkit
	PERFKIT_ID="sha256 $(sha256sum "$PERFKIT" | cut -c1-12), built $(date -r "$OUT_DIR/perfkit" '+%Y-%m-%d %H:%M')"
	log "perfkit $PERFKIT_ID"
}

NGINX_PID=
NGINX_DIR=$OUT_DIR/nginx

# start_nginx writes nginx's own config and run dir under bench/out/nginx
# and starts it in the foreground (daemon off) on TARGET_CPU, so its PID is
# ours to stop and its worker inherits the CPU mask.
start_nginx() {
	# Someone else's server on the port would answer in nginx's place, and
	# every number would be about the wrong target.
	if ss -Htln "sport = :$NGINX_PORT" | grep -q .; then
		die "port $NGINX_PORT is taken: $(ss -Htlnp "sport = :$NGINX_PORT" | head -n 1)"
	fi
	mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/tmp"
	cat >"$NGINX_DIR/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $NGINX_DIR/tmp/body;
    proxy_temp_path $NGINX_DIR/tmp/proxy;
    fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
    uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
    scgi_temp_path $NGINX_DIR/tmp/scgi;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        # Counts the requests nginx served, to check each tool's own count.
        location = /nginx_status {
            stub_status;
        }
        location / {
            default_type text/plain;
            return 200 "hello, perfkit\n";
        }
    }
}
EOF
	taskset -c "$TARGET_CPU" nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" \
		>"$NGINX_DIR/logs/stdout.log" 2>&1 &
	NGINX_PID=$!
	local i
	for i in $(seq 50); do
		kill -0 "$NGINX_PID" 2>/dev/null || break
		if nginx_served >/dev/null 2>&1; then
			log "nginx pid $NGINX_PID on CPU $TARGET_CPU at $TARGET_URL"
			return 0
		fi
		sleep 0.1
	done
	cat "$NGINX_DIR/logs/stdout.log" "$NGINX_DIR/logs/error.log" >&2 2>/dev/null
	die "nginx did not start on $TARGET_URL"
}

# check_nginx stops the script when our nginx is gone, rather than
# measuring connection errors.
check_nginx() {
	kill -0 "$NGINX_PID" 2>/dev/null || die "nginx (pid $NGINX_PID) is not running; see $NGINX_DIR/logs/error.log"
}

stop_nginx() {
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -QUIT "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
	fi
	NGINX_PID=
}

# nginx_cpu_ticks sums user+system ticks of the nginx master and its
# workers, so the target's CPU per request can be shown beside the
# generator's.
nginx_cpu_ticks() {
	local pids p total=0 t
	pids="$NGINX_PID $(pgrep -P "$NGINX_PID" 2>/dev/null | tr '\n' ' ')"
	for p in $pids; do
		t=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null) || continue
		total=$((total + ${t:-0}))
	done
	echo "$total"
}

# nginx_served prints the number of requests nginx has handled so far
# (stub_status); the query itself is one of them.
nginx_served() {
	curl -fsS "http://127.0.0.1:$NGINX_PORT/nginx_status" | awk 'NR == 3 && $3 ~ /^[0-9]+$/ {print $3; ok = 1} END {exit !ok}'
}

# machine_busy_ticks prints the busy ticks of all CPUs (everything but idle
# and iowait) from the first line of /proc/stat.
machine_busy_ticks() {
	awk '/^cpu / {print $2+$3+$4+$7+$8+$9; exit}' /proc/stat
}

# wait_quiet waits, up to QUIET_WAIT seconds, until the whole machine used
# less than QUIET_CORES of a core over one second, because other people's
# tests on this shared machine steal CPU and distort CPU per request. It
# prints the load it last saw (in cores) so the run can be marked.
QUIET_WAIT=${QUIET_WAIT:-40}
QUIET_CORES=${QUIET_CORES:-0.10}
wait_quiet() {
	local deadline=$((SECONDS + QUIET_WAIT)) a b load
	while :; do
		a=$(machine_busy_ticks)
		sleep 1
		b=$(machine_busy_ticks)
		load=$(awk -v d=$((b - a)) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", d/hz}')
		if awk -v l="$load" -v q="$QUIET_CORES" 'BEGIN {exit !(l < q)}'; then
			echo "$load"
			return 0
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			log "machine still busy (${load} cores) after ${QUIET_WAIT}s; running anyway"
			echo "$load"
			return 0
		fi
	done
}

# measure runs a command pinned to GEN_CPU under /usr/bin/time and records,
# in the shell variables M_CPU_S (user+system seconds of the command and
# its children), M_USER_S, M_SYS_S, M_MAXRSS_KB, M_WALL_S, M_NGINX_S
# (nginx's CPU seconds over the same span), M_SERVED (requests nginx
# served meanwhile) and M_OTHER_CORES (CPU that
# neither the generator nor nginx used, averaged over the run, in cores:
# a measure of disturbance). Its stdout goes to $1, stderr to $2.
# /usr/bin/time reads the rusage of the exited child (wait4), so the
# generator's own figure is never trusted.
measure() {
	local out=$1 err=$2
	shift 2
	local tf=$out.time b0 b1 n0 n1 t0 t1 s0 s1
	s0=$(nginx_served)
	b0=$(machine_busy_ticks)
	n0=$(nginx_cpu_ticks)
	t0=$(date +%s.%N)
	taskset -c "$GEN_CPU" /usr/bin/time -o "$tf" -f '%U %S %M %e' "$@" >"$out" 2>"$err"
	local rc=$?
	t1=$(date +%s.%N)
	n1=$(nginx_cpu_ticks)
	b1=$(machine_busy_ticks)
	s1=$(nginx_served)
	M_SERVED=-1
	[ -n "$s0" ] && [ -n "$s1" ] && M_SERVED=$((s1 - s0 - 1))
	read -r M_USER_S M_SYS_S M_MAXRSS_KB M_WALL_S < <(tail -n 1 "$tf")
	M_CPU_S=$(awk -v u="$M_USER_S" -v s="$M_SYS_S" 'BEGIN {printf "%.2f", u+s}')
	M_NGINX_S=$(awk -v d=$((n1 - n0)) -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", d/hz}')
	M_OTHER_CORES=$(awk -v b=$((b1 - b0)) -v hz="$CLK_TCK" -v g="$M_CPU_S" -v n="$M_NGINX_S" \
		-v t0="$t0" -v t1="$t1" 'BEGIN {o=(b/hz-g-n)/(t1-t0); if (o<0) o=0; printf "%.2f", o}')
	return $rc
}
