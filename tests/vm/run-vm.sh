#!/usr/bin/env bash
# Boots Debian's kernel in qemu with BPF-LSM and AppArmor active, runs a
# scenario directory's run.sh inside (see mkinitramfs.sh) and exits with its
# status.  77 (skip) only when qemu or a kernel image is missing.
#
# usage: run-vm.sh --scenario DIR [--bin PATH]... [--file SRC:DST]...
#                  [--timeout SECONDS] [--memory MB] [--log FILE]
# env:   BW_VM_KERNEL (default: newest /boot/vmlinuz-*), BW_VM_VERBOSE=1 streams the console,
#        BW_VM_KVM=1 uses KVM
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
timeout_s=600 mem=1024 log="" args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--timeout) timeout_s=$2; shift 2 ;;
	--memory) mem=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--scenario|--bin|--file) args+=("$1" "$2"); shift 2 ;;
	*) echo "run-vm: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "run-vm: SKIP: qemu-system-x86_64 is not installed (package qemu-system-x86)" >&2
	exit 77
fi
kernel=${BW_VM_KERNEL:-$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -1)}
if [ -z "$kernel" ] || [ ! -r "$kernel" ]; then
	echo "run-vm: SKIP: no readable kernel image in /boot (package linux-image-amd64)" >&2
	exit 77
fi

work=$(mktemp -d /tmp/bwvm.XXXXXX)
trap 'rm -rf "$work"' EXIT
[ -n "$log" ] || log=$work/console.log
bash "$here/mkinitramfs.sh" --out "$work/initrd.gz" "${args[@]}"

# TCG by default: /dev/kvm may exist here without working (nested). BW_VM_KVM=1 opts in.
accel=(-accel tcg)
if [ "${BW_VM_KVM:-0}" = 1 ] && [ -w /dev/kvm ]; then accel=(-accel kvm -cpu host); fi
cmdline="console=ttyS0 lsm=landlock,lockdown,yama,apparmor,bpf panic=-1 quiet loglevel=4"
set +e
if [ "${BW_VM_VERBOSE:-0}" = 1 ]; then
	timeout "$timeout_s" "$qemu" "${accel[@]}" -m "$mem" -smp 1 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$work/initrd.gz" -append "$cmdline" </dev/null 2>&1 | tee "$log"
else
	timeout "$timeout_s" "$qemu" "${accel[@]}" -m "$mem" -smp 1 -nographic -no-reboot \
		-kernel "$kernel" -initrd "$work/initrd.gz" -append "$cmdline" </dev/null >"$log" 2>&1
fi
qrc=${PIPESTATUS[0]}
set -e
tr -d '\r' < "$log" > "$work/console.txt"
rc=$(sed -n 's/^BWVM-RESULT: rc=\([0-9]*\).*/\1/p' "$work/console.txt" | tail -1)
if [ -z "$rc" ]; then
	echo "run-vm: the VM did not report a result (qemu exit $qrc; timeout ${timeout_s}s); console tail:" >&2
	tail -40 "$work/console.txt" >&2
	exit 1
fi
[ "${BW_VM_VERBOSE:-0}" = 1 ] || grep -v '^\s*$' "$work/console.txt" | grep -E '^(BWVM|PASS|FAIL|BENCH|  )' || true
exit "$rc"
