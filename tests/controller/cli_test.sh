#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# bulwarkctl apply/get/delete/posture/status against the real controller:
# output, errors with file:line:col, exit codes, and an absent controller.
set -uo pipefail
B=${BW_BUILD:?}/bin
T=$(mktemp -d /tmp/bw-cli-XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$T/out" ] && cat "$T/out"; exit 1; }
S="--socket $T/ctl.sock"
ctl() { "$B/bulwarkctl" "$@" >"$T/out" 2>&1; }

# No controller yet: a clear error and exit 1.
ctl get policies $S; rc=$?
[ $rc = 1 ] || fail "absent controller: exit $rc"
grep -q "is bulwark-controller running" "$T/out" || fail "absent controller: unclear message"
ctl get policies --server http://127.0.0.1:1 --token abcdefabcdefabcdef; [ $? = 1 ] || fail "absent TCP controller"
ctl get policies --server http://127.0.0.1:1; [ $? = 2 ] || fail "--server without token must be a usage error"

TOKEN=cli-test-token-0123456789
"$B/bulwark-controller" --data-dir "$T/data" --admin.socket "$T/ctl.sock" \
	--admin.tcp 127.0.0.1:0 --admin.token "$TOKEN" --agents.listen tcp://127.0.0.1:0 \
	2>"$T/log" &
PID=$!
for _ in $(seq 100); do [ -S "$T/ctl.sock" ] && break; sleep 0.05; done
PORT=$(sed -n 's/.*tcp=127.0.0.1:\([0-9]*\).*/\1/p' "$T/log" | head -1)
[ -n "$PORT" ] || fail "no TCP port in the log"

# A second controller on the same socket refuses to start (and leaves it alone).
"$B/bulwark-controller" --data-dir "$T/data2" --admin.socket "$T/ctl.sock" \
	--agents.listen tcp://127.0.0.1:0 >"$T/out" 2>&1; [ $? = 1 ] || fail "second controller started"
grep -q "another controller is serving" "$T/out" || fail "second controller: unclear message"
[ -S "$T/ctl.sock" ] || fail "second controller removed the socket"
"$B/bulwark-controller" --check-config --admin.max-body 12 >"$T/out" 2>&1; [ $? = 2 ] || fail "bad config accepted"

mkdir "$T/pols"
cat >"$T/pols/a.yaml" <<'YAML'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: block-sh
  namespace: shop
spec:
  selector:
    matchLabels:
      app: web
  process:
    matchPaths:
    - path: /bin/sh
  action: Block
---
apiVersion: security.kubearmor.com/v1
kind: KubeArmorHostPolicy
metadata:
  name: host-shadow
spec:
  nodeSelector:
    matchLabels:
      kubernetes.io/hostname: n1
  file:
    matchPaths:
    - path: /etc/shadow
  action: Audit
YAML
cat >"$T/pols/b.json" <<'JSON'
{"apiVersion":"security.kubearmor.com/v1","kind":"KubeArmorPolicy","metadata":{"name":"audit-curl"},"spec":{"selector":{"matchLabels":{"app":"x"}},"process":{"matchPaths":[{"path":"/usr/bin/curl"}]},"action":"Audit"}}
JSON
ctl apply -f "$T/pols" $S || fail "apply dir"
grep -qx "kubearmorpolicy/shop/block-sh created" "$T/out" || fail "apply output"
grep -qx "kubearmorhostpolicy/host-shadow created" "$T/out" || fail "apply output (host)"
grep -qx "kubearmorpolicy/default/audit-curl created" "$T/out" || fail "apply output (json)"
ctl apply -f "$T/pols/a.yaml" $S || fail "re-apply"
grep -qx "kubearmorpolicy/shop/block-sh unchanged" "$T/out" || fail "re-apply output"
sed -i 's#/bin/sh#/bin/dash#' "$T/pols/a.yaml"
ctl apply -f "$T/pols/a.yaml" $S && grep -qx "kubearmorpolicy/shop/block-sh configured" "$T/out" || fail "configure"

# Invalid input: file:line:col and exit 1, nothing stored.
cat >"$T/bad.yaml" <<'YAML'
apiVersion: security.kubearmor.com/v1
kind: KubeArmorPolicy
metadata:
  name: broken
spec:
  selector:
    matchLabels:
      app: web
  file:
    matchDirectories:
    - dir: /etc
  action: Block
YAML
ctl apply -f "$T/bad.yaml" $S; [ $? = 1 ] || fail "invalid policy must exit 1"
grep -q "$T/bad.yaml:11:" "$T/out" || fail "no file:line:col in the error"
ctl apply -f "$T/missing.yaml" $S; [ $? = 1 ] || fail "missing file must exit 1"
ctl apply $S; [ $? = 2 ] || fail "apply without -f is a usage error"

ctl get policies $S || fail "get policies"
head -1 "$T/out" | grep -q "^NAMESPACE *NAME *KIND *AGE" || fail "policies table header"
grep -q "shop *block-sh *KubeArmorPolicy" "$T/out" || fail "policies table row"
[ "$(wc -l <"$T/out")" = 4 ] || fail "policies table rows"
ctl get policies -o json $S && python3 -c "import json,sys; d=json.load(open('$T/out')); assert len(d)==3" || fail "get -o json"
ctl get policies -o yaml $S && grep -q "^- kind: KubeArmor" "$T/out" || fail "get -o yaml"
ctl get policies -o wide $S && grep -q "ACTION" "$T/out" || fail "get -o wide"
ctl get policy KubeArmorPolicy shop/block-sh $S && grep -q "/bin/dash" "$T/out" || fail "get one policy"
ctl get policies -o xml $S; [ $? = 2 ] || fail "bad -o must be a usage error"
ctl get widgets $S; [ $? = 2 ] || fail "unknown resource must be a usage error"

ctl posture shop --file audit $S && grep -q "shop *audit *block *block" "$T/out" || fail "posture set"
ctl posture shop $S && grep -q "shop *audit" "$T/out" || fail "posture get"
ctl posture shop --file maybe $S; [ $? = 1 ] || fail "bad posture must exit 1"
ctl posture shop --visibility network,process $S && grep -q "shop *audit *block *block *process,network" "$T/out" || fail "visibility set"
ctl posture shop --visibility default $S && grep -q "shop *audit *block *block *default" "$T/out" || fail "visibility reset"
ctl posture shop --visibility disk $S; [ $? = 1 ] || fail "bad visibility must exit 1"

ctl get nodes $S || fail "get nodes"
grep -q "No resources found" "$T/out" || fail "empty nodes"
ctl status $S && grep -q "policies *3" "$T/out" || fail "status"

# Over TCP: the token is required.
ctl get policies --server "http://127.0.0.1:$PORT" --token "$TOKEN" || fail "TCP with token"
ctl get policies --server "http://127.0.0.1:$PORT" --token wrong-token-123456789; [ $? = 1 ] || fail "wrong token must exit 1"
grep -q "401" "$T/out" || fail "wrong token message"
echo "$TOKEN" >"$T/token"
ctl status --server "http://127.0.0.1:$PORT" --token-file "$T/token" || fail "token file"

ctl delete KubeArmorPolicy shop/block-sh $S && grep -qx "kubearmorpolicy/shop/block-sh deleted" "$T/out" || fail "delete"
ctl delete KubeArmorPolicy shop/block-sh $S; [ $? = 1 ] || fail "delete missing must exit 1"
ctl delete -f "$T/pols/b.json" $S && grep -q "audit-curl deleted" "$T/out" || fail "delete -f"
ctl delete Widget x $S; [ $? = 2 ] || fail "delete unknown kind"
ctl get policies -o json $S && python3 -c "import json; assert len(json.load(open('$T/out')))==1" || fail "after delete"
echo PASS
