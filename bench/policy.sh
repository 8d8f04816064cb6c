#!/usr/bin/env bash
# about: parse+compile 10,000 KubeArmor policies for 10,000 containers on 100 nodes, then one incremental change (targets: full < 1 s, incremental < 10 ms)
# Usage: bench/run policy [POLICIES CONTAINERS NODES]
# Prints "policy full_ms=... incremental_ms=... peak_rss_mb=..." last.
# full_ms = parsing every policy + the first compile of every node;
# incremental_ms = one policy re-parsed and stored, then every node brought
# up to date (containers of each namespace sit on every node, the worst case)
# through bw_compiler_node_packed, the path the controller pushes from.
set -euo pipefail
bin=$BW_BUILD/bin/policy_bench
if [ ! -x "$bin" ]; then
	cmake --build "$BW_BUILD" --target policy_bench -j2 >/dev/null
fi
"$bin" "${1:-10000}" "${2:-10000}" "${3:-100}"
