#!/usr/bin/env bash
# about: controller: 1,000 simulated agents on loopback; p99 apply-to-ack and controller RSS with 1,000 nodes x 100 containers
# Starts a real bulwark-controller, connects NODES agents (bw_ctlclient, one
# process, one event loop) each reporting CONTAINERS containers, applies a
# policy selecting containers on every node ROUNDS times, and reports the
# per-node apply-to-ack latency and the controller's RSS with everything
# loaded.  Targets: p99 < 100 ms, RSS < 64 MiB.
# apply-to-ack is measured where the issue puts it: from the start of the
# POST /v1/policies (bench clock, before sending) until the controller has
# received and processed the node's acknowledgement (its applied_at_ns in
# GET /v1/nodes, stamped after the ack is processed; same machine, same
# wall clock).  all_acked is the whole round: POST start to the last ack.
# The simulated agents only read each update's version (node-0000 decodes
# its policy in full); DECODE_ALL=1 makes all of them decode, as real agents
# do on their own machines.  LOG_LEVEL=debug KEEP_LOG=FILE keeps the
# controller's log (compile batch timings); CONTROLLER_ARGS adds options
# (e.g. "--compile-batch 256").
set -euo pipefail
B=${BW_BUILD:?}/bin
NODES=${NODES:-1000}
CONTAINERS=${CONTAINERS:-100}
ROUNDS=${ROUNDS:-5}
for b in bulwark-controller bw-controller-bench; do
	[ -x "$B/$b" ] || { echo "missing $B/$b; build first" >&2; exit 1; }
done
T=$(mktemp -d /tmp/bw-bench-ctl-XXXXXX)
PID=
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; [ -n "${KEEP_LOG:-}" ] && cp "$T/log" "$KEEP_LOG"; rm -rf "$T"' EXIT
ulimit -n 20000 2>/dev/null || true
"$B/bulwark-controller" --data-dir "$T/data" --admin.socket "$T/ctl.sock" \
	--agents.listen tcp://127.0.0.1:0 --log-level "${LOG_LEVEL:-info}" ${CONTROLLER_ARGS:-} 2>"$T/log" &
PID=$!
for _ in $(seq 100); do grep -q "listening for agents" "$T/log" && break; sleep 0.05; done
URL=$(sed -n 's/.*listening for agents.*url=\([^ ]*\).*/\1/p' "$T/log" | head -1)
[ -n "$URL" ] || { echo "controller did not start" >&2; cat "$T/log" >&2; exit 1; }
echo "load: $(cut -d" " -f1-3 /proc/loadavg) (other work on this machine skews the figures)"
echo "controller pid=$PID agents=$URL nodes=$NODES containers/node=$CONTAINERS rounds=$ROUNDS"
"$B/bw-controller-bench" -s "$T/ctl.sock" -u "$URL" -n "$NODES" -c "$CONTAINERS" \
	-r "$ROUNDS" -p "$PID" ${DECODE_ALL:+-D} | tee "$T/out"
fig() { sed -n "s/^apply_to_ack_ms.* $1=\([0-9.]*\).*/\1/p" "$T/out"; }
P50=$(fig p50)
P99=$(fig p99)
MAX=$(fig max)
ALLMAX=$(sed -n 's/.*all_acked_ms mean=[0-9.]* max=\([0-9.]*\).*/\1/p' "$T/out")
RSS=$(sed -n 's/.*controller_rss_kb=\([0-9]*\).*/\1/p' "$T/out")
grep -c "agent registered" "$T/log" | sed 's/^/registrations logged: /'
echo "controller p99_apply_to_ack_ms=$P99 p50_apply_to_ack_ms=$P50 max_apply_to_ack_ms=$MAX" \
	"all_acked_ms_max=$ALLMAX rss_mb=$(awk "BEGIN{printf \"%.1f\", $RSS/1024}") nodes=$NODES" \
	"containers=$((NODES * CONTAINERS)) load1=$(cut -d" " -f1 /proc/loadavg)"
