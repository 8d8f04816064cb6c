#!/usr/bin/env bash
# ctest vm_monitor: the monitor's attach and network tests (cgroup hooks,
# sock:inet_sock_set_state, no syscall tracepoint by default) on the VM's
# Debian 6.1 kernel, one boot (tests/vm/run-vm.sh).
set -euo pipefail
BW_BUILD=${BW_BUILD:?BW_BUILD must point at the build directory}
BW_SRC=${BW_SRC:?BW_SRC must point at the source directory}
bins=()
for t in monitor_attach_test monitor_net_test; do
	[ -x "$BW_BUILD/tests/$t" ] || { echo "vm_monitor: $BW_BUILD/tests/$t not built" >&2; exit 1; }
	bins+=(--bin "$BW_BUILD/tests/$t")
done
exec bash "$BW_SRC/tests/vm/run-vm.sh" --scenario "$BW_SRC/tests/monitor/vm" "${bins[@]}" --timeout 300
