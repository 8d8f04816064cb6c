#!/usr/bin/env bash
# bulwarkctl logs against streams the real relay wrote: karmor-style text,
# --json with KubeArmor field names, filters, --since and -f.
set -euo pipefail
BIN=${BW_BUILD:?}/bin
for b in bulwark-relay bw-relay-load bulwarkctl; do
	[ -x "$BIN/$b" ] || { echo "skip: $BIN/$b is not built" >&2; exit 77; }
done
command -v redis-server >/dev/null || { echo "skip: redis-server is not installed" >&2; exit 77; }

. "$(dirname "$0")/lib.sh"
relay_lib_init bw_relay_cli
fail() { echo "FAIL: $*"; exit 1; }

redis_port=$(free_port)
relay_url=tcp://127.0.0.1:$(free_port)
redis_start "$redis_port" --appendonly no
"$BIN/bulwark-relay" --listen "$relay_url" --redis "127.0.0.1:$redis_port" --spool.dir "$tmp/spool" \
	--metrics '' --stats-interval 0 2>"$tmp/relay.log" &
pids+=($!)
sleep 0.3

"$BIN/bw-relay-load" send --relay "$relay_url" --agents 3 --events 4 --prefix a >/dev/null
"$BIN/bw-relay-load" send --relay "$relay_url" --agents 1 --events 2 --prefix l --log >/dev/null
logs() { "$BIN/bulwarkctl" logs --redis "127.0.0.1:$redis_port" "$@"; }

out=$(logs)
[ "$(grep -c '^== Alert / 20[0-9-]* [0-9:.]* ==$' <<<"$out")" = 12 ] || fail "12 alert headers expected: $out"
[ "$(grep -c '^Policy Name: block-etc-shadow$' <<<"$out")" = 12 ] || fail "Policy Name lines"
grep -q '^Namespace Name: shop$' <<<"$out" || fail "Namespace Name line"
grep -q '^Action: Block$' <<<"$out" || fail "Action line"
grep -q '^Result: Permission denied$' <<<"$out" || fail "Result line"

out=$(logs --type log)
[ "$(grep -c '^== Log / ' <<<"$out")" = 2 ] || fail "2 logs expected: $out"
grep -q '^Policy Name' <<<"$out" && fail "logs have no Policy Name line"
[ "$(logs --type all | grep -c '^== ')" = 14 ] || fail "--type all"

logs --type all --json >"$tmp/all.json"
python3 - "$tmp/all.json" <<'EOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 14, len(rows)
for r in rows:
    for k in ("Timestamp", "UpdatedTime", "ClusterName", "HostName", "NamespaceName", "PodName",
              "ContainerID", "HostPID", "ProcessName", "Type", "Operation", "Resource", "Result",
              "EventId"):
        assert k in r, (k, r)
    assert isinstance(r["HostPID"], int) and isinstance(r["Timestamp"], int)
alerts = [r for r in rows if r["Type"] == "MatchedPolicy"]
assert len(alerts) == 12 and all(a["PolicyName"] == "block-etc-shadow" for a in alerts)
ids = [r["EventId"] for r in rows]
assert len(set(ids)) == 14, "EventIds are unique"
EOF

[ "$(logs --json --pod 'web-1-*' | wc -l)" = 4 ] || fail "--pod filter"
[ "$(logs --json --namespace nope | wc -l)" = 0 ] || fail "--namespace filter"
[ "$(logs --json --operation File | wc -l)" = 12 ] || fail "--operation filter"
[ "$(logs --json --since 1h | wc -l)" = 12 ] || fail "--since 1h"
[ "$(logs --json --since 2100-01-01T00:00:00Z | wc -l)" = 0 ] || fail "--since in the future"
[ "$(logs --json --limit 5 | wc -l)" = 5 ] || fail "--limit"

# -f prints what arrives after it started
"$BIN/bulwarkctl" logs --redis "127.0.0.1:$redis_port" -f --json >"$tmp/follow.json" &
follower=$!
pids+=($follower)
sleep 0.5
"$BIN/bw-relay-load" send --relay "$relay_url" --agents 1 --events 3 --prefix f >/dev/null
for _ in $(seq 50); do [ "$(wc -l <"$tmp/follow.json")" -ge 3 ] && break; sleep 0.1; done
kill "$follower"
[ "$(wc -l <"$tmp/follow.json")" = 3 ] || fail "-f printed $(wc -l <"$tmp/follow.json") lines, wanted 3"
grep -q '"EventId":"f-0:' "$tmp/follow.json" || fail "-f shows the new events"

# bad input: clear errors, usage exit code
set +e
logs --type nonsense 2>"$tmp/err"; [ $? = 2 ] || fail "--type nonsense exit code"
grep -q 'alert, log or all' "$tmp/err" || fail "--type message"
logs --since yesterday 2>"$tmp/err"; [ $? = 2 ] || fail "--since exit code"
"$BIN/bulwarkctl" logs --redis 127.0.0.1:1 2>"$tmp/err"; [ $? = 1 ] || fail "unreachable redis exit code"
grep -q 'cannot connect to redis at 127.0.0.1:1' "$tmp/err" || fail "unreachable redis message"
"$BIN/bulwarkctl" logs --redis 'redis://h/x' 2>"$tmp/err"; [ $? = 1 ] || fail "bad url"
grep -q 'database' "$tmp/err" || fail "bad url message"
set -e
echo PASS
