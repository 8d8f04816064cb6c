#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ctest vm_apparmor: the AppArmor backend's scenario suite in one VM boot of
# Debian's kernel (tests/vm/run-vm.sh), real runc containers launched under
# their bulwark-<id> profile.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BW_BUILD=${BW_BUILD:?BW_BUILD must point at the build directory}
export BW_BUILD
tool=$BW_BUILD/tests/bw-enforce-tool
[ -x "$tool" ] && [ -x "$BW_BUILD/tests/bw-sockprobe" ] ||
	{ echo "vm_apparmor: bw-enforce-tool / bw-sockprobe not built" >&2; exit 1; }
command -v apparmor_parser >/dev/null ||
	{ echo "vm_apparmor: apparmor_parser not installed (package apparmor)" >&2; exit 1; }
extra=()
# Debian pins the AppArmor feature ABI (parser.conf policy-features): give
# the VM the same file so its parser compiles exactly as a Debian node's.
feat=/usr/share/apparmor-features/features
[ -r "$feat" ] && extra+=(--file "$feat:$feat")
exec bash "$here/../run-vm.sh" --scenario "$here" --bin "$tool" \
	--file "$here/../../enforcer/oci.sh:/scenario/oci.sh" \
	--file "$here/../../../deploy/lab/apparmor.sh:/scenario/lab-apparmor.sh" \
	"${extra[@]}" --timeout 1000 "$@"
