#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Runs deploy/lab/run.sh with LAB_EXIT=1 and checks, from the entries it read
# back from Redis, that the container's policy violations arrived as alerts
# with KubeArmor's fields, and that the lab left nothing running behind.
set -u
SRC=${BW_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${BW_BUILD:-$SRC/build}

skip() { echo "SKIP: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (BPF programs, runc)"
for t in redis-server redis-cli runc busybox ss; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
ldd "$(command -v busybox)" >/dev/null 2>&1 && skip "busybox is not the static build (busybox-static)"

TMP=$(mktemp -d /tmp/bw-lab-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
LAB=$TMP/lab
ALERTS=$TMP/alerts.txt
FAILS=0
TAB=$'\t'
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

echo "== deploy/lab/run.sh (LAB_EXIT=1)"
LAB_DIR=$LAB LAB_EXIT=1 LAB_ALERTS_OUT=$ALERTS LAB_TIMEOUT=15 BW_BUILD=$BUILD \
	bash "$SRC/deploy/lab/run.sh" >"$TMP/lab.out" 2>&1
rc=$?
cat "$TMP/lab.out"
echo "== checks"
check "run.sh exits 0 (rc=$rc)" test "$rc" = 0
no_fail_step() { ! grep -q '\[FAIL\]' "$TMP/lab.out"; }
check "run.sh printed no FAIL step" no_fail_step

# Every entry of the alerts stream as one line of tab-separated Field=Value.
entries() {
	[ -f "$ALERTS" ] || return 0
	awk 'NR == 1 { next }
	     !infield && /^[0-9]+-[0-9]+$/ { if (line != "") print line; line = ""; next }
	     !infield { key = $0; infield = 1; next }
	     { line = line key "=" $0 "\t"; infield = 0 }
	     END { if (line != "") print line }' "$ALERTS"
}
# has_entry Field=Value...: some entry holds every pair.
has_entry() {
	entries | while IFS= read -r e; do
		local all=1
		for kv in "$@"; do
			case "	$e" in *"	$kv	"*) ;; *) all=0 ;; esac
		done
		[ $all = 1 ] && { echo yes; break; }
	done | grep -q yes
}

check "Redis returned alerts" test -s "$ALERTS"
echo "   $(entries | wc -l) alert(s) in bulwark:alerts"
check "UDP socket in lab-web: blocked alert with the container's identity" has_entry \
	Type=MatchedPolicy PolicyName=lab-block-udp Action=Block "Result=Permission denied" \
	Operation=Network ContainerName=lab-web NamespaceName=lab HostName=lab-node Severity=4
udp_alert() { entries | grep -F "PolicyName=lab-block-udp$TAB"; }
# The exec of nslookup (busybox) preceded the alert: the process tree knows
# it, so the alert carries its command line as Source and its parent.
udp_alert_has_process() {
	udp_alert | grep -E "(^|$TAB)ProcessName=[^$TAB]*(nslookup|busybox)" |
		grep -E "(^|$TAB)Source=[^$TAB]*nslookup|(^|$TAB)Source=[^$TAB]*lab\.example" |
		grep -qE "(^|$TAB)ParentProcessName=[^$TAB]+"
}
udp_alert_has_identity() {
	udp_alert | grep -E "(^|$TAB)Labels=[^$TAB]*app=web" | grep -E "(^|$TAB)PodName=lab-web-0$TAB" |
		grep -qE "(^|$TAB)ContainerID=[0-9A-Za-z_.-]+$TAB"
}
check "the UDP alert names the process, its command line and its parent" udp_alert_has_process
check "the UDP alert carries the container's labels, pod and id" udp_alert_has_identity
# File and process rules reach the kernel only with BPF-LSM or AppArmor;
# elsewhere the agent matches them against its logs and reports them as
# audit-only ("Audit (Block)", Enforcer "eBPF Monitor", nothing refused).
if grep -q 'enforcer on this node: \(BPFLSM\|AppArmor\)' "$TMP/lab.out"; then
	BLOCKED=(Action=Block "Result=Permission denied")
else
	BLOCKED=("Action=Audit (Block)" Result=Passed "Enforcer=eBPF Monitor")
fi
check "cat /etc/shadow: ${BLOCKED[0]} alert" has_entry PolicyName=lab-block-shadow "${BLOCKED[@]}" \
	Type=MatchedPolicy Operation=File Resource=/etc/shadow ContainerName=lab-web Severity=7
check "wget: ${BLOCKED[0]} alert" has_entry PolicyName=lab-block-wget "${BLOCKED[@]}" \
	Operation=Process ProcessName=/usr/bin/wget ContainerName=lab-web
check "cat /etc/passwd: an Audit alert that passed" has_entry PolicyName=lab-audit-passwd \
	Action=Audit Result=Passed Operation=File Resource=/etc/passwd ContainerName=lab-web
check "rm /tmp/lab-unlink: a syscall Audit alert" has_entry PolicyName=lab-audit-unlink \
	Action=Audit Result=Passed Operation=Syscall Resource=SYS_UNLINK Data=syscall=SYS_UNLINK \
	"Enforcer=eBPF Monitor" ContainerName=lab-web
echo "== clean-up"
# The agent stopped first and flushed its buffer to the still running relay.
agent_flushed() { grep -q 'msg="every event acknowledged by the relay"' "$LAB/logs/agent.log"; }
check "the stopping agent had every buffered event acknowledged" agent_flushed
no_container() { [ -z "$(runc --root "$LAB/runc" list -q 2>/dev/null)" ]; }
# Every daemon had the lab directory on its command line; this script does not.
no_daemon() { ! pgrep -f -- "$LAB/" >/dev/null; }
check "no container left in the lab's runc root" no_container
check "no lab daemon left running" no_daemon
check "lab pins removed from /sys/fs/bpf" test ! -e /sys/fs/bpf/bulwark-lab

if [ $FAILS -ne 0 ]; then
	echo "$FAILS check(s) failed; agent log:"
	tail -n 40 "$LAB/logs/agent.log" 2>/dev/null
	exit 1
fi
echo "all checks passed"
