#!/usr/bin/env bash
# about: system monitor overhead: open/close and exec loops with and without monitoring (same run), RSS, idle CPU
#
# The monitoring stack is tests/monitor/monitor_runner: the agent's monitor,
# process tree, container discovery and event building (every event packed
# as the shipper would).  Rounds alternate without/with so both sides see the
# same machine; the best time of each side is compared, because other work
# on the shared cores only ever makes a run slower (the open loop runs three
# times per round for the same reason).
#
#   OPEN_N (500000) EXEC_N (20000) ROUNDS (3) IDLE_S (10)
#
# open_overhead_pct is measured with file visibility off (the targets' case),
# open_filevis_overhead_pct with it on; exec_overhead_pct with process and
# network visibility on (every exec is an event).
set -euo pipefail
: "${BW_SRC:?}" "${BW_BUILD:?}"
OPEN_N=${OPEN_N:-500000}
EXEC_N=${EXEC_N:-20000}
ROUNDS=${ROUNDS:-3}
IDLE_S=${IDLE_S:-10}

if [ "$(id -u)" != 0 ]; then
	echo "bench monitor: needs root (BPF)" >&2
	exit 77
fi
cmake --build "$BW_BUILD" --target monitor_runner monitor_loadgen -j2 >/dev/null
RUNNER=$BW_BUILD/bin/monitor_runner
LOAD=$BW_BUILD/bin/monitor_loadgen
tmp=$(mktemp -d)
runner_pid=
cleanup() {
	if [ -n "$runner_pid" ]; then kill "$runner_pid" 2>/dev/null || true; wait "$runner_pid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
target=$tmp/file
echo x >"$target"

start_runner() { # visibility for host and containers
	"$RUNNER" --host-vis "$1" --container-vis "$1" >"$tmp/runner.out" 2>"$tmp/runner.err" &
	runner_pid=$!
	for _ in $(seq 100); do
		grep -q '^ready' "$tmp/runner.out" 2>/dev/null && return 0
		kill -0 "$runner_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "bench monitor: monitor_runner did not start:" >&2
	cat "$tmp/runner.err" >&2
	exit 1
}
stop_runner() {
	kill "$runner_pid"
	wait "$runner_pid" || true
	runner_pid=
	tail -1 "$tmp/runner.out" >"$tmp/last_stats"
}
min() { sort -n | head -1; }

: >"$tmp/open_base"; : >"$tmp/open_mon"; : >"$tmp/open_vis"
: >"$tmp/exec_base"; : >"$tmp/exec_mon"
rss_kb=0
opens() { for _ in 1 2 3; do "$LOAD" open "$OPEN_N" "$target"; done; }
for r in $(seq "$ROUNDS"); do
	opens >>"$tmp/open_base"
	"$LOAD" exec "$EXEC_N" >>"$tmp/exec_base"

	start_runner process,network
	opens >>"$tmp/open_mon"
	"$LOAD" exec "$EXEC_N" >>"$tmp/exec_mon"
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$runner_pid/status")
	[ "$rss" -gt "$rss_kb" ] && rss_kb=$rss
	stop_runner
	echo "round $r: monitor stats: $(cat "$tmp/last_stats")" >&2

	start_runner process,file,network
	opens >>"$tmp/open_vis"
	stop_runner
done

# idle: the monitor running with the default visibility and nothing asked of it
start_runner process,network
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$runner_pid/stat"; }
t0=$(ticks)
sleep "$IDLE_S"
t1=$(ticks)
hz=$(getconf CLK_TCK)
idle_cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$IDLE_S" 'BEGIN {printf "%.2f", (b - a) / hz / s * 100}')
stop_runner
echo "idle: $(cat "$tmp/last_stats") (other work on this machine is monitored too)" >&2

ob=$(min <"$tmp/open_base"); om=$(min <"$tmp/open_mon"); ov=$(min <"$tmp/open_vis")
eb=$(min <"$tmp/exec_base"); em=$(min <"$tmp/exec_mon")
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b / a - 1) * 100}'; }
per() { awk -v t="$1" -v n="$2" 'BEGIN {printf "%.2f", t / n / 1000}'; }
echo "open/close: base $(per "$ob" "$OPEN_N") us, monitored $(per "$om" "$OPEN_N") us (file visibility off), $(per "$ov" "$OPEN_N") us (on)" >&2
echo "exec /bin/true: base $(per "$eb" "$EXEC_N") us, monitored $(per "$em" "$EXEC_N") us" >&2
echo "monitor open_overhead_pct=$(pct "$ob" "$om") open_filevis_overhead_pct=$(pct "$ob" "$ov") exec_overhead_pct=$(pct "$eb" "$em") rss_mb=$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k / 1024}') idle_cpu_pct=$idle_cpu"
