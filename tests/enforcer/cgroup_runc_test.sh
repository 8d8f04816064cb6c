#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The cgroup-BPF fallback on this host, against a real runc container:
#   1. Block udp: socket(AF_INET, SOCK_DGRAM) inside the container gets EPERM
#      with a blocked alert; tcp still works; the host is unaffected.
#   2. Live update to an allow-list of tcp only (posture block): udp denied
#      with a DefaultPosture alert, tcp allowed, without restarting anything.
#   3. Live update to Audit udp: allowed, alert with Result Passed.
#   3b. Live update to a destination rule (127.0.0.1 port 53): connect()
#      refused with EPERM inside the container only, other ports untouched.
#   4. Empty policy: udp allowed, no alert.
#   5. Pinned enforcement survives the enforcer process being killed, is
#      adopted by a new one, and goes when the new one applies nothing.
set -u
B=${BW_BUILD:?BW_BUILD not set}
S=${BW_SRC:?BW_SRC not set}
TOOL=$B/tests/bw-enforce-tool
SOCK=$B/tests/bw-sockprobe
. "$S/tests/enforcer/oci.sh"

skip() { echo "SKIP: $*" >&2; exit 77; }
T=""
TOOLPID=""
ID=bwcg$$
fail() {
	echo "FAIL: $*" >&2
	[ -n "$T" ] && [ -f "$T/tool.out" ] && sed 's/^/  tool: /' "$T/tool.out" >&2
	[ -n "$T" ] && [ -f "$T/tool.err" ] && sed 's/^/  tool stderr: /' "$T/tool.err" >&2
	exit 1
}
cleanup() {
	[ -n "$TOOLPID" ] && kill "$TOOLPID" 2>/dev/null && wait "$TOOLPID" 2>/dev/null
	runc kill "$ID" KILL >/dev/null 2>&1
	runc delete -f "$ID" >/dev/null 2>&1
	if [ -n "$T" ]; then
		rm -f "$T/bpffs/cgroup_net/link" "$T/bpffs/cgroup_net/"bw_* 2>/dev/null
		umount "$T/bpffs" 2>/dev/null
		rm -rf "$T"
	fi
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || skip "needs root (runc, BPF)"
command -v runc >/dev/null || skip "runc not installed"
command -v busybox >/dev/null || skip "busybox-static not installed"
[ -x "$TOOL" ] && [ -x "$SOCK" ] || fail "bw-enforce-tool / bw-sockprobe not built"
"$TOOL" --probe | grep -q '^cgroup-BPF network: yes' ||
	skip "cgroup-BPF cannot attach here: $("$TOOL" --probe | grep 'why not')"

T=$(mktemp -d /tmp/bw-cgtest.XXXXXX)
bw_bundle "$T/bundle" "$SOCK" || fail "cannot build the bundle"
mv "$T/bundle/rootfs/bin/bw-sockprobe" "$T/bundle/rootfs/bin/sockprobe"
bw_oci_config "$T/bundle" "" sleep 1000
runc run -d --bundle "$T/bundle" "$ID" </dev/null >"$T/runc.log" 2>&1 ||
	fail "runc run: $(cat "$T/runc.log")"

CG=$(awk -F: '$1 == "0" { print $3 }' "/proc/$(runc state "$ID" | sed -n 's/.*"pid": *\([0-9]*\).*/\1/p')/cgroup")
[ -n "$CG" ] || fail "container has no cgroup v2 path"
CG=${CG#/}

in_ctr() { runc exec "$ID" /bin/sockprobe "$@" 2>&1; }
on_host() { "$SOCK" "$@" 2>&1; }
expect() { # what got want
	[ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"
	echo "ok: $1 -> $2"
}
alerts() { grep -c '^{' "$T/tool.out"; }

# 1. Block udp ------------------------------------------------------------
cat >"$T/policy" <<EOF2
set $ID cgroup=$CG
rule network protocol udp Block policy=block-udp severity=7
EOF2
"$TOOL" --enforcer cgroup "$T/policy" >"$T/tool.out" 2>"$T/tool.err" &
TOOLPID=$!
bw_wait_for "$T/tool.out" '^applied version=1 enforcer=CgroupBPF' 10 || fail "policy 1 not applied"
expect "container udp under Block" "$(in_ctr inet dgram)" EPERM
expect "container udp6 under Block" "$(in_ctr inet6 dgram)" EPERM
expect "container tcp under Block udp" "$(in_ctr inet stream)" OK
expect "host udp under container policy" "$(on_host inet dgram)" OK
bw_wait_for "$T/tool.out" '"Result":"Permission denied","PolicyName":"block-udp"' 5 ||
	fail "no blocked alert for udp"
grep '"PolicyName":"block-udp"' "$T/tool.out" | head -1 | grep -q '"Resource":"domain=AF_INET type=SOCK_DGRAM protocol=17"' ||
	fail "alert resource wrong"
grep '"PolicyName":"block-udp"' "$T/tool.out" | grep -q '"Comm":"sockprobe"' || fail "alert comm wrong"
[ "$(grep -c '"Action":"Block"' "$T/tool.out")" -eq 2 ] || fail "want exactly 2 block alerts (udp, udp6)"

# 2. live update: allow-list tcp, posture block --------------------------------
cat >"$T/policy" <<EOF2
set $ID cgroup=$CG network_posture=block
rule network protocol tcp Allow policy=only-tcp
EOF2
kill -HUP $TOOLPID
bw_wait_for "$T/tool.out" '^applied version=2' 10 || fail "policy 2 not applied"
expect "container udp under tcp allow-list" "$(in_ctr inet dgram)" EPERM
expect "container tcp under tcp allow-list" "$(in_ctr inet stream)" OK
expect "container tcp6 under tcp allow-list" "$(in_ctr inet6 stream)" OK
bw_wait_for "$T/tool.out" '"Result":"Permission denied","PolicyName":"DefaultPosture"' 5 ||
	fail "no DefaultPosture alert"

# 3. live update: audit udp ------------------------------------------------------
cat >"$T/policy" <<EOF2
set $ID cgroup=$CG
rule network protocol udp Audit policy=audit-udp
EOF2
kill -HUP $TOOLPID
bw_wait_for "$T/tool.out" '^applied version=3' 10 || fail "policy 3 not applied"
expect "container udp under Audit" "$(in_ctr inet dgram)" OK
bw_wait_for "$T/tool.out" '"Action":"Audit","Result":"Passed","PolicyName":"audit-udp"' 5 ||
	fail "no audit alert"

# 3b. live update: destinations (connect) ------------------------------------------
cat >"$T/policy" <<EOF2
set $ID cgroup=$CG
rule network address 127.0.0.1 Block ports=53 policy=no-local-dns
EOF2
kill -HUP $TOOLPID
bw_wait_for "$T/tool.out" '^applied version=4' 10 || fail "policy 3b not applied"
expect "container udp connect 127.0.0.1:53 (blocked)" "$(in_ctr connect inet dgram 127.0.0.1 53)" EPERM
expect "container udp connect 127.0.0.1:54" "$(in_ctr connect inet dgram 127.0.0.1 54)" OK
expect "container tcp connect 127.0.0.1:53 (blocked, refused otherwise)" "$(in_ctr connect inet stream 127.0.0.1 53)" EPERM
expect "container tcp connect 127.0.0.1:54" "$(in_ctr connect inet stream 127.0.0.1 54)" ECONNREFUSED
expect "host udp connect 127.0.0.1:53" "$(on_host connect inet dgram 127.0.0.1 53)" OK
bw_wait_for "$T/tool.out" '"Resource":"remote=127.0.0.1 port=53 domain=AF_INET type=SOCK_DGRAM protocol=17","Data":"hook=cgroup/connect4","Action":"Block"' 5 ||
	fail "no connect alert"

# 4. empty policy ---------------------------------------------------------------
n=$(alerts)
printf 'set %s cgroup=%s\n' "$ID" "$CG" >"$T/policy"
kill -HUP $TOOLPID
bw_wait_for "$T/tool.out" '^applied version=5' 10 || fail "policy 4 not applied"
expect "container udp with no rules" "$(in_ctr inet dgram)" OK
sleep 0.3
[ "$(alerts)" -eq "$n" ] || fail "alerts without any rule"
kill $TOOLPID
wait $TOOLPID 2>/dev/null
TOOLPID=""
expect "container udp after the enforcer stopped (unpinned)" "$(in_ctr inet dgram)" OK

# 5. pinned enforcement survives the process --------------------------------------
mkdir -p "$T/bpffs"
if mount -t bpf bpf "$T/bpffs" 2>/dev/null; then
	cat >"$T/policy" <<EOF2
set $ID cgroup=$CG
rule network protocol udp Block policy=pinned
EOF2
	: >"$T/tool.out" # truncated now, not whenever the background job starts
	"$TOOL" --enforcer cgroup --pin "$T/bpffs" "$T/policy" >"$T/tool.out" 2>"$T/tool.err" &
	TOOLPID=$!
	bw_wait_for "$T/tool.out" '^applied version=1' 10 || fail "pinned policy not applied"
	kill -KILL $TOOLPID
	wait $TOOLPID 2>/dev/null
	TOOLPID=""
	expect "container udp after the enforcer was killed (pinned)" "$(in_ctr inet dgram)" EPERM
	# A new process adopts the pinned rules: they hold until its first
	# successful apply (its first policy file here is invalid).
	echo 'nonsense' >"$T/policy.next"
	: >"$T/tool.out" # truncated now, not whenever the background job starts
	"$TOOL" --enforcer cgroup --pin "$T/bpffs" "$T/policy.next" >"$T/tool.out" 2>"$T/tool.err" &
	TOOLPID=$!
	bw_wait_for "$T/tool.out" '^error: ' 10 || fail "restarted enforcer did not start"
	grep -q 'adopted pinned enforcement map' "$T/tool.err" || fail "pinned maps not adopted"
	expect "container udp after restart, before any apply" "$(in_ctr inet dgram)" EPERM
	printf 'set %s cgroup=%s\n' "$ID" "$CG" >"$T/policy.next"
	kill -HUP $TOOLPID
	bw_wait_for "$T/tool.out" '^applied version=2' 10 || fail "restarted enforcer did not apply"
	expect "container udp after the restarted enforcer applied nothing" "$(in_ctr inet dgram)" OK
else
	echo "note: cannot mount a bpffs here; pinning not tested"
fi
echo "PASS"
