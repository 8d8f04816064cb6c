#!/usr/bin/env bash
# about: syscall monitor cost per syscall: none vs prefilter miss vs matchPaths resolution
# faccessat in a loop with no monitor, with the monitor's rules on another
# syscall, and with a (non-matching) matchPaths rule on faccessat itself.
set -euo pipefail
BW_BUILD=${BW_BUILD:-$(cd "$(dirname "$0")/.." && pwd)/build}
tool=$BW_BUILD/bin/bw-syscall-audit-bench
if [ ! -x "$tool" ]; then
	cmake --build "$BW_BUILD" --target bw-syscall-audit-bench -j2 >/dev/null
fi
if [ "$(id -u)" != 0 ]; then
	echo "syscall-audit: needs root for BPF" >&2
	exit 77
fi
"$tool" 1000000
