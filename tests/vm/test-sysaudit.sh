#!/usr/bin/env bash
# ctest vm_syscall_audit: the syscall monitor (tracepoint + matchPaths
# resolution) loaded and exercised on the VM's kernel, one boot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BW_BUILD=${BW_BUILD:?BW_BUILD must point at the build directory}
t=$BW_BUILD/tests/syscall_audit_test
[ -x "$t" ] || { echo "vm_syscall_audit: $t not built" >&2; exit 1; }
exec bash "$here/run-vm.sh" --scenario "$here/scenarios/sysaudit" --bin "$t" --timeout 300
