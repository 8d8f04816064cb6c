#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
#
# The single-host lab (`make lab`): redis-server, bulwark-controller,
# bulwark-relay and bulwark-agent as local processes, the example policies
# applied, a real runc container that breaks them, and the alerts read back
# from Redis.  Stays up until Ctrl-C; with LAB_EXIT=1 it stops after the demo
# and exits 0 only if every step worked.
#
# Environment:
#   BW_BUILD        build directory holding bin/ (default: ./build)
#   LAB_DIR         state: configs, logs, Redis data, the container bundle
#                   (default: ./.lab; wiped at start)
#   LAB_EXIT=1      stop after the demo; exit status says whether it all worked
#   LAB_ALERTS_OUT  also copy the alerts read from Redis to this file
#   LAB_TIMEOUT     seconds each wait may take (default 20)
#
# Must run as root: the agent loads BPF programs and runc starts a container.
set -u
set -o pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LABSRC=$SRC/deploy/lab
BUILD=${BW_BUILD:-$SRC/build}
BIN=$BUILD/bin
LAB=${LAB_DIR:-$SRC/.lab}
LAB_EXIT=${LAB_EXIT:-0}
TIMEOUT=${LAB_TIMEOUT:-20}
NODE=lab-node
CTR=lab-web
PIN_DIR=/sys/fs/bpf/bulwark-lab
STREAM_ALERTS=bulwark:alerts
STREAM_LOGS=bulwark:logs

if [ -t 1 ]; then
	C_OK=$'\e[32m' C_FAIL=$'\e[31m' C_DIM=$'\e[2m' C_OFF=$'\e[0m'
else
	C_OK='' C_FAIL='' C_DIM='' C_OFF=''
fi

FAILED=0

say() { printf '%s\n' "$*"; }
ok() { printf '  [%sok%s]   %s\n' "$C_OK" "$C_OFF" "$*"; }
fail() {
	printf '  [%sFAIL%s] %s\n' "$C_FAIL" "$C_OFF" "$*"
	FAILED=$((FAILED + 1))
}
# Prints the last lines of a daemon's log after a failure: the reason is
# usually there.
show_log() {
	[ -f "$1" ] || return 0
	printf '%s' "$C_DIM"
	tail -n "${2:-15}" "$1" | sed 's/^/         | /'
	printf '%s' "$C_OFF"
}
# A step that cannot work stops the lab: everything after it depends on it.
die() {
	fail "$*"
	say ""
	say "lab stopped at the failed step; logs are in $LAB/logs/"
	exit 1
}

. "$LABSRC/lib.sh"

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	lab_stop_all
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------
say "Bulwark lab: state in $LAB"
say "== preflight"
[ "$(id -u)" = 0 ] || die "must run as root (BPF programs, runc)"
for b in bulwark-controller bulwark-relay bulwark-agent bulwarkctl; do
	[ -x "$BIN/$b" ] || die "$BIN/$b is missing: build first (make build)"
done
for t in redis-server redis-cli runc ss; do
	command -v "$t" >/dev/null || die "$t is not installed (make deps)"
done
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	die "a static busybox is needed for the container's rootfs (apt-get install busybox-static)"
fi
ok "binaries in $BIN, redis-server, runc, static busybox"

# The state directory is wiped at start: only when it is one of ours.
if [ -e "$LAB" ] && [ ! -e "$LAB/.bulwark-lab" ] && [ -n "$(ls -A "$LAB" 2>/dev/null)" ]; then
	die "$LAB exists and is not a lab directory (no .bulwark-lab in it); refusing to wipe it"
fi
rm -rf "$LAB"
mkdir -p "$LAB" && touch "$LAB/.bulwark-lab" || die "cannot create $LAB"
mkdir -p "$LAB/logs" "$LAB/redis" "$LAB/controller" "$LAB/relay" "$LAB/runc" || die "cannot create $LAB"

# The agent pins enforcement into bpffs and its monitor needs tracefs; both
# are mounted here when the machine did not do it at boot.
mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs on /sys/fs/bpf"
ok "bpffs mounted on /sys/fs/bpf"

# ---------------------------------------------------------------------------
say "== daemons"
lab_start_redis || { show_log "$LAB/logs/redis.log"; die "redis-server on 127.0.0.1:${REDIS_PORT:-?}"; }
ok "redis-server on 127.0.0.1:$REDIS_PORT"
if ! lab_start_controller; then
	show_log "$LAB/logs/controller.log"
	die "bulwark-controller: admin API on $LAB/controller.sock"
fi
ok "bulwark-controller: API on $LAB/controller.sock, agents on tcp://127.0.0.1:$CTL_PORT"
if ! lab_start_relay; then
	show_log "$LAB/logs/relay.log"
	die "bulwark-relay: agents on tcp://127.0.0.1:$RELAY_PORT, connected to Redis"
fi
ok "bulwark-relay: agents on tcp://127.0.0.1:$RELAY_PORT, connected to Redis"
if ! lab_start_agent; then
	show_log "$LAB/logs/agent.log"
	show_log "$LAB/logs/controller.log" 5
	die "bulwark-agent registered with the controller as $NODE"
fi
ok "bulwark-agent registered with the controller as $NODE"
if ! wait_for "$TIMEOUT" agent_on_relay; then
	show_log "$LAB/logs/agent.log"
	show_log "$LAB/logs/relay.log" 5
	die "bulwark-agent connected to the relay"
fi
ok "bulwark-agent connected to the relay"
ENFORCER=$(sed -n 's/.*msg="agent running".* enforcer=\([A-Za-z]*\) .*/\1/p' "$LAB/logs/agent.log" | head -n1)
say "  enforcer on this node: ${ENFORCER:-unknown} (see: bulwark-agent --probe)"

# ---------------------------------------------------------------------------
say "== policies"
if ctl apply -f "$LABSRC/policies/" >"$LAB/logs/apply.out" 2>&1; then
	ok "applied deploy/lab/policies/ ($(ls "$LABSRC"/policies/*.yaml | wc -l) files)"
else
	show_log "$LAB/logs/apply.out"
	die "bulwarkctl apply -f deploy/lab/policies/"
fi
ctl get policies 2>&1 | sed 's/^/    /'

# ---------------------------------------------------------------------------
say "== container"
if lab_start_container; then
	ok "runc container $CTR running (labels app=web,tier=frontend; namespace lab)"
else
	show_log "$LAB/logs/container.log"
	die "runc run $CTR (bundle in $LAB/bundle)"
fi
container_known() { ctl get containers | grep -F "$CTR" >/dev/null; }
if ! wait_for "$TIMEOUT" container_known; then
	show_log "$LAB/logs/agent.log"
	die "the controller lists $CTR (reported by the agent)"
fi
ok "the controller lists $CTR (reported by the agent)"
# The container's rules reach the kernel once the agent acknowledged the
# policy version compiled with the container in it.
policy_applied() { grep -q "policy applied.*containers=[1-9]" "$LAB/logs/agent.log"; }
if ! wait_for "$TIMEOUT" policy_applied; then
	show_log "$LAB/logs/agent.log"
	die "the agent enforces a policy for $CTR"
fi
ok "the agent enforces a policy for $CTR"
UNENFORCED=$(sed -n 's/.*policy applied.*unenforced=\([0-9]*\).*/\1/p' "$LAB/logs/agent.log" | tail -n1)
[ "${UNENFORCED:-0}" != 0 ] &&
	say "  ${UNENFORCED} rule(s) this enforcer cannot apply are audit-only (bulwarkctl get node $NODE -o json: unenforced)"
say "  the node as the controller sees it:"
ctl get nodes 2>&1 | sed 's/^/    /'
ctl get containers 2>&1 | sed 's/^/    /'

# ---------------------------------------------------------------------------
say "== breaking the policies inside $CTR"
# Each entry: policy name | command | what the kernel must do (block, pass).
# Block rules are checked as blocked only where the active enforcer applies
# them; the cgroup fallback applies network rules everywhere.
run_case() { # run_case NAME EXPECT CMD...
	local name=$1 expect=$2 out rc
	shift 2
	# Each case in its own second: with the runc exec's own reads of
	# /etc/passwd (audited) a fast sequence would reach the throttle limit.
	sleep 1.1
	out=$(cexec "$@" 2>&1 </dev/null)
	rc=$?
	printf '%s\n' "$ $* -> rc=$rc: $out" >>"$LAB/logs/cases.log"
	case $expect in
	block)
		if [ $rc -ne 0 ] && printf '%s' "$out" | grep -i 'permission denied\|not permitted' >/dev/null; then
			ok "$name: '$*' was refused by the kernel"
		else
			fail "$name: '$*' should have been refused, got rc=$rc: $(printf '%s' "$out" | head -c 200)"
		fi
		;;
	pass)
		if [ $rc -eq 0 ]; then
			ok "$name: '$*' ran (the policy only audits it)"
		else
			fail "$name: '$*' should have run, got rc=$rc: $(printf '%s' "$out" | head -c 200)"
		fi
		;;
	audit)
		if [ $rc -eq 0 ]; then
			ok "$name: '$*' ran: $ENFORCER cannot refuse it, the agent reports it (audit only)"
		else
			fail "$name: '$*' should have run under $ENFORCER, got rc=$rc: $(printf '%s' "$out" | head -c 200)"
		fi
		;;
	esac
}
# What the active enforcer blocks: everything with BPF-LSM and AppArmor;
# network only with the cgroup-BPF fallback.
# Rules an enforcer cannot apply are matched by the agent against the
# monitor's logs and reported as "Audit (Block)" (as KubeArmor does).
case "$ENFORCER" in
BPFLSM | AppArmor) FILE_EXPECT=block PROC_EXPECT=block BLOCK_ACTION=Block ;;
*) FILE_EXPECT=audit PROC_EXPECT=audit BLOCK_ACTION="Audit (Block)" ;;
esac
: >"$LAB/logs/cases.log"
run_case lab-block-udp block nslookup lab.example 127.0.0.1
run_case lab-block-shadow "$FILE_EXPECT" cat /etc/shadow
run_case lab-block-wget "$PROC_EXPECT" /usr/bin/wget --help
run_case lab-audit-passwd pass cat /etc/passwd
run_case lab-audit-unlink pass sh -c 'touch /tmp/lab-unlink && rm /tmp/lab-unlink'

# ---------------------------------------------------------------------------
say "== alerts in Redis ($STREAM_ALERTS)"
# An alert for each case, read back with XREAD as any consumer would.
read_alerts() {
	rcli --raw XREAD COUNT 1000 STREAMS "$STREAM_ALERTS" 0 >"$LAB/alerts.txt" 2>&1
}
has_alert() { # has_alert POLICY ACTION
	read_alerts && awk -f "$LABSRC/alerts.awk" "$LAB/alerts.txt" |
		awk -F'\t' -v c="$CTR" -v p="$1" -v a="$2" \
			'$1 == c && $2 == p && $3 == a { found = 1 } END { exit !found }'
}
expect_alert() { # expect_alert POLICY ACTION RESULT-DESCRIPTION
	if wait_for "$TIMEOUT" has_alert "$1" "$2"; then
		ok "alert: PolicyName=$1 Action=$2 ContainerName=$CTR"
	else
		fail "no alert PolicyName=$1 Action=$2 ContainerName=$CTR in $STREAM_ALERTS"
	fi
}
expect_alert lab-block-udp Block
expect_alert lab-block-shadow "$BLOCK_ACTION"
expect_alert lab-block-wget "$BLOCK_ACTION"
expect_alert lab-audit-passwd Audit
expect_alert lab-audit-unlink Audit
read_alerts
say "  redis-cli -p $REDIS_PORT XREAD COUNT 1000 STREAMS $STREAM_ALERTS 0:"
awk -f "$LABSRC/alerts.awk" "$LAB/alerts.txt" | awk -F'\t' '
	BEGIN { printf "    %-10s %-18s %-14s %-18s %-10s %s\n", "CONTAINER", "POLICY", "ACTION", "RESULT", "OPERATION", "RESOURCE" }
	{ printf "    %-10s %-18s %-14s %-18s %-10s %s\n", $1, $2, $3, $4, $5, $6 }'
[ -n "${LAB_ALERTS_OUT:-}" ] && cp "$LAB/alerts.txt" "$LAB_ALERTS_OUT"
NLOGS=$(rcli XLEN "$STREAM_LOGS" 2>/dev/null || echo 0)
say "  $STREAM_LOGS holds ${NLOGS} log entries (redis-cli -p $REDIS_PORT XREVRANGE $STREAM_LOGS + - COUNT 5)"
if "$BIN/bulwarkctl" logs --help >/dev/null 2>&1; then
	say "  bulwarkctl logs --type alert:"
	"$BIN/bulwarkctl" logs --redis "127.0.0.1:$REDIS_PORT" --type alert 2>&1 | head -n 20 | sed 's/^/    /'
fi

# ---------------------------------------------------------------------------
# Last, because the container stays silent for throttle.period afterwards.
say "== alert throttling (throttle: in deploy/lab/agent.yaml)"
udp_alerts() {
	read_alerts && awk -f "$LABSRC/alerts.awk" "$LAB/alerts.txt" |
		awk -F'\t' -v c="$CTR" '$1 == c && $2 == "lab-block-udp"' | wc -l
}
# Only what the burst added: the logs stream also holds the host's logs.
threshold_event() {
	rcli --raw XRANGE "$STREAM_LOGS" "($last_log" + | grep -x 'AlertThreshold' >/dev/null
}
# Four loops side by side: well over the limit even on a loaded machine.
BURST=120
sleep 1.1 # a fresh one-second window
before=$(udp_alerts)
last_log=$(rcli --raw XREVRANGE "$STREAM_LOGS" + - COUNT 1 | head -n1)
cexec sh -c "for j in 1 2 3 4; do (i=0; while [ \$i -lt $((BURST / 4)) ]; do
	nslookup x 127.0.0.1 >/dev/null 2>&1; i=\$((i+1)); done) & done; wait" </dev/null
if wait_for "$TIMEOUT" threshold_event; then
	ok "a SystemEvent (Operation AlertThreshold) in $STREAM_LOGS announces the silence"
else
	fail "no SystemEvent with Operation AlertThreshold in $STREAM_LOGS after $BURST refused sockets"
fi
sleep 0.5
burst=$(($(udp_alerts) - before))
if [ "$burst" -ge 1 ] && [ "$burst" -lt "$BURST" ]; then
	ok "$BURST refused UDP sockets in a burst: $burst alerts, then silence"
else
	fail "$BURST refused UDP sockets in a burst gave $burst alerts (expected 1..$((BURST - 1)))"
fi

# ---------------------------------------------------------------------------
say ""
if [ $FAILED -ne 0 ]; then
	say "${C_FAIL}$FAILED step(s) failed${C_OFF}; logs are in $LAB/logs/"
else
	say "${C_OK}every step worked${C_OFF}"
fi
if [ "$LAB_EXIT" = 1 ]; then
	[ $FAILED -eq 0 ]
	exit $?
fi
cat <<EOF

The lab is up.  Talk to it from another shell:
  $BIN/bulwarkctl get nodes --socket $LAB/controller.sock
  $BIN/bulwarkctl get containers -o wide --socket $LAB/controller.sock
  $BIN/bulwarkctl get node $NODE -o json --socket $LAB/controller.sock
  $BIN/bulwarkctl apply -f $LABSRC/policies/ --socket $LAB/controller.sock
  $BIN/bulwarkctl logs -f --redis 127.0.0.1:$REDIS_PORT --type alert
  redis-cli -p $REDIS_PORT XREAD BLOCK 0 STREAMS $STREAM_ALERTS '\$'
  runc --root $LAB/runc exec $CTR cat /etc/shadow
Logs: $LAB/logs/.  Ctrl-C stops everything.
EOF
while :; do
	for pid in "${PIDS[@]}"; do
		if ! alive "$pid"; then
			say "a daemon (pid $pid) exited; see $LAB/logs/; stopping the lab"
			exit 1
		fi
	done
	sleep 1
done
