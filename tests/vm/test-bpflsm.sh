#!/usr/bin/env bash
# ctest vm_bpflsm: the BPF-LSM scenario suite in one VM boot.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BW_BUILD=${BW_BUILD:?BW_BUILD must point at the build directory}
drv=$BW_BUILD/bin/bw-enf-vmtest
[ -x "$drv" ] || { echo "vm_bpflsm: $drv not built" >&2; exit 1; }
exec bash "$here/run-vm.sh" --scenario "$here/scenarios/bpflsm" --bin "$drv" --timeout 1000
