#!/usr/bin/env bash
# about: system monitor overhead: open/close and exec loops with and without monitoring (same run), RSS, idle CPU
#
# The monitoring stack is tests/monitor/monitor_runner: the agent's monitor,
# process tree, container discovery and event building (every event packed
# as the shipper would).  One runner stays up; it is paused (all programs
# detached) and resumed between chunks, so "without" and "with" alternate
# every few seconds on the same machine.  The best chunk of each side is
# compared: other work on the shared cores only ever makes a chunk slower.
#
#   EXEC_N (20000 per side) OPEN_N (1600000 per side) CHUNKS (16) IDLE_S (10)
#
# open_overhead_pct: file visibility off (the target's case);
# open_filevis_overhead_pct: file visibility on (every open is an event);
# open_failedexec_overhead_pct: file visibility off but the failed-exec
#   opt-in on (monitor.failed-execs): what one syscall tracepoint costs every
#   syscall on the node (half the chunks);
# exec_overhead_pct: process and network visibility on (every exec is an event).
set -euo pipefail
: "${BW_SRC:?}" "${BW_BUILD:?}"
EXEC_N=${EXEC_N:-20000}
OPEN_N=${OPEN_N:-1600000}
CHUNKS=${CHUNKS:-16}
IDLE_S=${IDLE_S:-10}
exec_chunk=$((EXEC_N / CHUNKS))
open_chunk=$((OPEN_N / CHUNKS))

if [ "$(id -u)" != 0 ]; then
	echo "bench monitor: needs root (BPF)" >&2
	exit 77
fi
cmake --build "$BW_BUILD" --target monitor_runner monitor_loadgen -j2 >/dev/null 2>&1
RUNNER=$BW_BUILD/bin/monitor_runner
LOAD=$BW_BUILD/bin/monitor_loadgen
tmp=$(mktemp -d)
runner_pid=
cleanup() {
	if [ -n "$runner_pid" ]; then
		kill "$runner_pid" 2>/dev/null || true
		wait "$runner_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
target=$tmp/file
echo x >"$target"

wait_line() { # pattern count
	for _ in $(seq 200); do
		[ "$(grep -c "$1" "$tmp/runner.out" 2>/dev/null || true)" -ge "$2" ] && return 0
		kill -0 "$runner_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "bench monitor: runner did not answer ($1):" >&2
	cat "$tmp/runner.err" >&2
	exit 1
}
start_runner() { # visibility for host and containers, then runner flags
	local vis=$1
	shift
	"$RUNNER" --host-vis "$vis" --container-vis "$vis" "$@" >"$tmp/runner.out" 2>"$tmp/runner.err" &
	runner_pid=$!
	wait_line '^ready' 1
	npause=0
}
pause() { kill -USR1 "$runner_pid"; npause=$((npause + 1)); wait_line '^paused rc=0' "$npause"; }
resume() { kill -USR2 "$runner_pid"; wait_line '^resumed rc=0' "$npause"; }
stop_runner() {
	kill "$runner_pid"
	wait "$runner_pid" || true
	runner_pid=
	echo "  runner: $(tail -1 "$tmp/runner.out")" >&2
}
min() { sort -n | head -1; }

echo "process,network visibility: $CHUNKS chunks of $open_chunk opens and $exec_chunk execs per side" >&2
start_runner process,network
for _ in $(seq "$CHUNKS"); do
	pause
	"$LOAD" open "$open_chunk" "$target" >>"$tmp/open_base"
	"$LOAD" exec "$exec_chunk" >>"$tmp/exec_base"
	resume
	"$LOAD" open "$open_chunk" "$target" >>"$tmp/open_mon"
	"$LOAD" exec "$exec_chunk" >>"$tmp/exec_mon"
done
rss_kb=$(awk '/^VmHWM/ {print $2}' "/proc/$runner_pid/status")
stop_runner

echo "process,file,network visibility: $CHUNKS chunks of $open_chunk opens per side" >&2
start_runner process,file,network
for _ in $(seq "$CHUNKS"); do
	pause
	"$LOAD" open "$open_chunk" "$target" >>"$tmp/open_base2"
	resume
	"$LOAD" open "$open_chunk" "$target" >>"$tmp/open_vis"
done
vis_hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$runner_pid/status")
[ "$vis_hwm" -gt "$rss_kb" ] && rss_kb=$vis_hwm
stop_runner

echo "process,network visibility + failed execs: $((CHUNKS / 2)) chunks of $open_chunk opens per side" >&2
start_runner process,network --failed-execs
for _ in $(seq $((CHUNKS / 2))); do
	pause
	"$LOAD" open "$open_chunk" "$target" >>"$tmp/open_base3"
	resume
	"$LOAD" open "$open_chunk" "$target" >>"$tmp/open_fx"
done
stop_runner

# idle: monitoring on, nothing asked of it (other work on this machine is
# still monitored, so this is an upper bound)
start_runner process,network
sleep 2
ticks() { awk '{print $14 + $15}' "/proc/$runner_pid/stat"; }
t0=$(ticks)
sleep "$IDLE_S"
t1=$(ticks)
hz=$(getconf CLK_TCK)
idle_cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$IDLE_S" 'BEGIN {printf "%.2f", (b - a) / hz / s * 100}')
stop_runner

ob=$(min <"$tmp/open_base"); om=$(min <"$tmp/open_mon")
ob2=$(min <"$tmp/open_base2"); ov=$(min <"$tmp/open_vis")
ob3=$(min <"$tmp/open_base3"); ofx=$(min <"$tmp/open_fx")
eb=$(min <"$tmp/exec_base"); em=$(min <"$tmp/exec_mon")
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", (b / a - 1) * 100}'; }
per() { awk -v t="$1" -v n="$2" 'BEGIN {printf "%.3f", t / n / 1000}'; }
echo "open+close: $(per "$ob" "$open_chunk") us without, $(per "$om" "$open_chunk") us with (file visibility off);" \
	"$(per "$ob2" "$open_chunk") us without, $(per "$ov" "$open_chunk") us with (on)" >&2
echo "fork+exec /bin/true+wait: $(per "$eb" "$exec_chunk") us without, $(per "$em" "$exec_chunk") us with" >&2
echo "monitor open_overhead_pct=$(pct "$ob" "$om") open_filevis_overhead_pct=$(pct "$ob2" "$ov") open_failedexec_overhead_pct=$(pct "$ob3" "$ofx") exec_overhead_pct=$(pct "$eb" "$em") rss_mb=$(awk -v k="$rss_kb" 'BEGIN {printf "%.1f", k / 1024}') idle_cpu_pct=$idle_cpu"
