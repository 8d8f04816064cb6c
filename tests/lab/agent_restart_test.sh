#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Enforcement outlives the agent: with the lab's daemons and a runc
# container under a UDP-blocking policy, the container's UDP sockets stay
# refused while the agent is stopped (SIGTERM) and after it was killed
# (SIGKILL); each restarted agent registers again, is sent the policy,
# applies it and reports new alerts; alerts raised while the relay is down
# arrive once it is back; a controller crash and restart leaves the node
# enforcing and back in sync.
set -u
SRC=${BW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BW_BUILD:-$SRC/build}

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (BPF programs, runc)"
for t in redis-server redis-cli runc busybox ss; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
BUSYBOX=$(command -v busybox)
ldd "$BUSYBOX" >/dev/null 2>&1 && skip "busybox is not the static build (busybox-static)"
for b in bulwark-controller bulwark-relay bulwark-agent bulwarkctl; do
	[ -x "$BUILD/bin/$b" ] || { echo "FAIL: $BUILD/bin/$b is not built"; exit 1; }
done

BIN=$BUILD/bin
LABSRC=$SRC/deploy/lab
LAB=$(mktemp -d /tmp/bw-restart-test.XXXXXX)
NODE=restart-node
CTR=restart-web
PIN_DIR=/sys/fs/bpf/bulwark-restart-test
TIMEOUT=15
. "$LABSRC/lib.sh"
mkdir -p "$LAB/logs" "$LAB/redis" "$LAB/controller" "$LAB/relay" "$LAB/runc"
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || { echo "FAIL: cannot mount bpffs"; exit 1; }
rm -rf "$PIN_DIR"

FAILS=0
finish() {
	local rc=$?
	trap - EXIT
	if [ $FAILS -ne 0 ] || [ $rc -ne 0 ]; then
		for f in "$LAB"/logs/agent*.log; do
			echo "--- $f"
			grep -v 'Log"' "$f" | tail -n 15
		done
	fi
	lab_stop_all
	rm -rf "$LAB"
	[ $FAILS -eq 0 ] && exit $rc
	exit 1
}
trap finish EXIT
check() { # check DESCRIPTION CMD...
	local what=$1
	shift
	if "$@"; then
		echo "ok   $what"
	else
		echo "FAIL $what"
		FAILS=$((FAILS + 1))
	fi
}
need() { check "$@" || exit 1; }

udp_refused() {
	local out
	out=$(cexec nslookup restart.example 127.0.0.1 2>&1 </dev/null) && return 1
	printf '%s' "$out" | grep -i 'not permitted\|permission denied' >/dev/null
}
# policy_applied LOG: the agent writing LOG enforces a policy for the container.
policy_applied() { grep -q 'policy applied.*containers=1' "$1"; }
pins_present() { [ -n "$(ls -A "$PIN_DIR" 2>/dev/null)" ]; }
# Distinct agent boots (EventId node:boot:seq) among the UDP alerts in Redis.
alert_boots() {
	rcli --raw XREAD COUNT 10000 STREAMS bulwark:alerts 0 | awk '
		NR == 1 { next }
		!f && /^[0-9]+-[0-9]+$/ { if (p == "lab-block-udp" && c == "'"$CTR"'") print b; p = c = b = ""; next }
		!f { k = $0; f = 1; next }
		{ if (k == "PolicyName") p = $0; if (k == "ContainerName") c = $0
		  if (k == "EventId") { split($0, x, ":"); b = x[2] } f = 0 }
		END { if (p == "lab-block-udp" && c == "'"$CTR"'") print b }' | sort -u | wc -l
}
boots_at_least() { [ "$(alert_boots)" -ge "$1" ]; }

need "redis-server" lab_start_redis
need "bulwark-controller" lab_start_controller
need "bulwark-relay" lab_start_relay
need "bulwark-agent registered" lab_start_agent "$LAB/logs/agent1.log"
need "policy lab-block-udp applied" ctl apply -f "$LABSRC/policies/lab-block-udp.yaml"
need "container $CTR started" lab_start_container
need "the agent enforces the policy for $CTR" wait_for "$TIMEOUT" policy_applied "$LAB/logs/agent1.log"
check "UDP refused in $CTR with the agent running" udp_refused
check "an alert from the first agent reached Redis" wait_for "$TIMEOUT" boots_at_least 1

kill -TERM "$PID_agent"
wait "$PID_agent"
rc=$?
check "the agent exits 0 on SIGTERM (rc=$rc)" test "$rc" = 0
check "enforcement stays pinned in $PIN_DIR" pins_present
check "UDP still refused while no agent runs" udp_refused

need "a restarted agent registers again" lab_start_agent "$LAB/logs/agent2.log"
check "the restarted agent is sent the policy and applies it" \
	wait_for "$TIMEOUT" policy_applied "$LAB/logs/agent2.log"
check "UDP refused with the restarted agent" udp_refused
check "the restarted agent's alert reached Redis" wait_for "$TIMEOUT" boots_at_least 2

kill -KILL "$PID_agent"
wait "$PID_agent" 2>/dev/null
check "UDP still refused after the agent was killed (SIGKILL)" udp_refused

need "an agent started after a crash registers" lab_start_agent "$LAB/logs/agent3.log"
check "it applies the policy" wait_for "$TIMEOUT" policy_applied "$LAB/logs/agent3.log"
check "UDP refused with the third agent" udp_refused
check "the third agent's alert reached Redis" wait_for "$TIMEOUT" boots_at_least 3

# The relay crashes: the agent keeps its events and delivers them once the
# relay is back.
udp_alert_count() {
	rcli --raw XREAD COUNT 100000 STREAMS bulwark:alerts 0 | grep -cx 'lab-block-udp'
}
count_above() { [ "$(udp_alert_count)" -gt "$1" ]; }
kill -KILL "$PID_relay"
wait "$PID_relay" 2>/dev/null
n_before=$(udp_alert_count)
check "UDP refused while the relay is down" udp_refused
sleep 1
check "no new alert in Redis while the relay is down" test "$(udp_alert_count)" = "$n_before"
need "the relay restarts" lab_start_relay
check "the alert kept by the agent reaches Redis after the relay is back" \
	wait_for "$TIMEOUT" count_above "$n_before"

# The controller crashes and comes back from its data directory: the agent
# reconnects on its own, and the node is in sync again.
kill -KILL "$PID_controller"
wait "$PID_controller" 2>/dev/null
check "UDP still refused while the controller is down" udp_refused
need "the controller restarts from its data directory" lab_start_controller
node_in_sync() { # NAME STATUS ENFORCER POLICY APPLIED ...
	ctl get nodes | awk -v n="$NODE" '$1 == n && $2 == "Ready" && $4 == $5 && $4 > 0 { ok = 1 }
		END { exit !ok }'
}
check "the agent re-registers and the node is in sync" wait_for "$TIMEOUT" node_in_sync
check "UDP refused after the controller came back" udp_refused

[ $FAILS -eq 0 ] && echo "all checks passed"
