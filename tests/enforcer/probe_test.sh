#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# The probe's report agrees with the kernel: the LSM list it prints is the
# one in securityfs, BPF-LSM is reported usable only when "bpf" is listed,
# AppArmor only when "apparmor" is, and "auto" picks the best usable one.
set -u
B=${BW_BUILD:?}
TOOL=$B/tests/bw-enforce-tool
fail() { echo "FAIL: $*" >&2; echo "$out" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (securityfs, BPF)" >&2; exit 77; }
[ -x "$TOOL" ] || fail "bw-enforce-tool not built"

out=$("$TOOL" --probe)
rc=$?
field() { printf '%s\n' "$out" | sed -n "s/^$1: *//p"; }

lsms=$(cat /sys/kernel/security/lsm 2>/dev/null) || fail "securityfs not mounted after the probe"
[ "$(field 'active LSMs')" = "$lsms" ] || fail "LSM list differs from securityfs ($lsms)"
bpf=$(field 'BPF-LSM'); aa=$(field 'AppArmor'); cg=$(field 'cgroup-BPF network')
auto=$(field 'enforcer (auto)')
case ",$lsms," in *,bpf,*) ;; *) [ "${bpf%% *}" = no ] || fail "BPF-LSM usable without bpf listed";; esac
case ",$lsms," in *,apparmor,*) ;; *) [ "$aa" = no ] || fail "AppArmor usable without apparmor listed";; esac
if [ "${bpf%% *}" = yes ]; then want=BPFLSM
elif [ "$aa" = yes ]; then want=AppArmor
elif [ "$cg" = yes ]; then want=CgroupBPF
else want=none; fi
[ "$auto" = "$want" ] || fail "auto picked $auto, want $want"
[ "${bpf%% *}" = yes ] || field 'why not' | grep -q 'bpf-lsm' || fail "no reason given for BPF-LSM"
printf '%s\n' "$out" | grep -q '^  - ' || [ "$auto" = BPFLSM ] || fail "no limits listed for $auto"
if [ "$want" = none ]; then [ $rc -eq 1 ] || fail "exit $rc with no enforcer"; else [ $rc -eq 0 ] || fail "exit $rc"; fi
# Nothing left behind by the trial attach.
root=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
ls -d "$root"/bulwark-probe.* >/dev/null 2>&1 && fail "probe left a cgroup behind"
echo "$out"
echo PASS
