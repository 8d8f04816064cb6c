#!/usr/bin/env bash
# about: BPF-LSM decision cost in the kernel (BPF_PROG_TEST_RUN) with 10 vs 10,000 rules, and with 8 glob patterns
# The enforcer's SEC("syscall") probe runs the same lookups as the LSM hooks
# (path + every directory prefix, hash maps) in a bpf_loop and times itself.
# Cost must not grow with the number of rules: ratio close to 1.
set -euo pipefail
BW_BUILD=${BW_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
tool=$BW_BUILD/bin/bw-enf-match-bench
if [ ! -x "$tool" ]; then
	cmake --build "$BW_BUILD" --target bw-enf-match-bench -j2 >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
	echo "enforce-match: needs root for BPF" >&2
	exit 77
fi
"$tool" 10 10000 200000
