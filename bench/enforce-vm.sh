#!/usr/bin/env bash
# about: syscall cost in the VM with BPF-LSM attached: no policy vs 1,000 rules
# Boots the test VM (tests/vm/run-vm.sh, TCG: absolute numbers are slow,
# the ratio is what counts) and times open/close and socket/close loops in a
# process the host rules apply to: without rules, with 10, with 1,000.  The
# 1,000/10 ratio shows the cost does not grow with the rule count; the
# 1,000/none ratio is the price of a path walk per open under emulation.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
BW_BUILD=${BW_BUILD:-$src/build}
drv=$BW_BUILD/bin/bw-enf-vmtest
if [ ! -x "$drv" ]; then
	cmake --build "$BW_BUILD" --target bw-enf-vmtest -j2 >/dev/null
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set +e
bash "$src/tests/vm/run-vm.sh" --scenario "$src/tests/vm/scenarios/bench" --bin "$drv" \
	--timeout 600 >"$out" 2>&1
rc=$?
set -e
cat "$out"
[ $rc -eq 77 ] && exit 77
[ $rc -eq 0 ] || { echo "enforce-vm: the VM run failed (rc=$rc)" >&2; exit 1; }
awk '
function keep(arr,    i, kv) {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] ~ /_ns$/ && (!(kv[1] in arr) || kv[2] + 0 < arr[kv[1]] + 0)) arr[kv[1]] = kv[2]
	}
}
/^BENCH label=none / { keep(n) }
/^BENCH label=rules10 / { keep(t) }
/^BENCH label=rules1000 / { keep(r) }
END {
	if (!n["open_ns"] || !t["open_ns"] || !r["open_ns"]) { print "enforce-vm: no BENCH lines" > "/dev/stderr"; exit 1 }
	printf "enforce-vm open_ns_none=%d open_ns_10=%d open_ns_1000=%d open_ratio=%.2f open_ratio_1000_vs_10=%.2f socket_ns_none=%d socket_ns_1000=%d socket_ratio=%.2f\n",
		n["open_ns"], t["open_ns"], r["open_ns"], r["open_ns"] / n["open_ns"], r["open_ns"] / t["open_ns"],
		n["socket_ns"], r["socket_ns"], r["socket_ns"] / n["socket_ns"]
}' "$out"
