#!/usr/bin/env bash
# Builds the test VM's initramfs (cpio.gz): busybox, runc, apparmor_parser,
# the given programs with their shared libraries, a busybox container bundle
# at /bundle and the scenario directory at /scenario.  /init mounts what a
# node has (proc, sysfs, cgroup2, securityfs, bpffs, tmpfs /run), runs
# /scenario/run.sh and prints "BWVM-RESULT: rc=N" before powering off.
#
# usage: mkinitramfs.sh --out FILE --scenario DIR [--bin PATH]... [--file SRC:DST]...
set -euo pipefail

out="" scenario="" bins=() files=()
while [ $# -gt 0 ]; do
	case "$1" in
	--out) out=$2; shift 2 ;;
	--scenario) scenario=$2; shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	*) echo "mkinitramfs: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -n "$out" ] && [ -d "$scenario" ] || { echo "mkinitramfs: need --out FILE and --scenario DIR" >&2; exit 2; }

bb=$(command -v busybox || true)
[ -n "$bb" ] || { echo "mkinitramfs: busybox (busybox-static) not installed" >&2; exit 3; }
if ldd "$bb" >/dev/null 2>&1; then
	echo "mkinitramfs: $bb is dynamically linked; install busybox-static" >&2
	exit 3
fi

stage=$(mktemp -d /tmp/bwvm-stage.XXXXXX)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,lib,lib64,proc,sys,dev,tmp,run,etc,root,scenario,bundle/rootfs}

# A program and every library ldd names, at the same paths.
copy_bin() {
	local src=$1 dst=${2:-$1}
	mkdir -p "$stage/$(dirname "$dst")"
	cp -L "$src" "$stage/$dst"
	ldd "$src" 2>/dev/null | grep -oE '/[^ ]+' | while read -r lib; do
		[ -e "$lib" ] || continue
		mkdir -p "$stage/$(dirname "$lib")"
		[ -e "$stage/$lib" ] || cp -L "$lib" "$stage/$lib"
	done
}

cp "$bb" "$stage/bin/busybox"
for b in runc apparmor_parser; do
	p=$(command -v "$b" || true)
	[ -n "$p" ] && copy_bin "$p"
done
# apparmor_parser's ABI files, tunables and configuration.
for d in /etc/apparmor.d/abi /etc/apparmor.d/tunables /etc/apparmor /usr/share/apparmor-features; do
	if [ -e "$d" ]; then
		mkdir -p "$stage/$(dirname "$d")"
		cp -a "$d" "$stage/$d"
	fi
done
for b in "${bins[@]}"; do
	copy_bin "$b" "/usr/local/bin/$(basename "$b")"
done
for f in "${files[@]}"; do
	mkdir -p "$stage/$(dirname "${f#*:}")"
	cp -a "${f%%:*}" "$stage/${f#*:}"
done
cp -a "$scenario"/. "$stage/scenario/"

# The container: a busybox rootfs, runc's default spec adjusted for a VM
# initramfs (no rlimits, no network namespace, a few more capabilities).
rootfs=$stage/bundle/rootfs
mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,etc,home/user1,usr/local/bin,opt/tools,data}
cp "$bb" "$rootfs/bin/busybox"
for a in $("$bb" --list); do
	[ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"
done
printf 'root:x:0:0:root:/root:/bin/sh\nuser1:x:1000:1000:user1:/home/user1:/bin/sh\n' > "$rootfs/etc/passwd"
printf 'root:x:0:\nuser1:x:1000:\n' > "$rootfs/etc/group"
chown 1000:1000 "$rootfs/home/user1"
if [ -x "$scenario/rootfs-setup.sh" ]; then
	ROOTFS=$rootfs bash "$scenario/rootfs-setup.sh"
fi
(cd "$stage/bundle" && runc spec)
python3 - "$stage/bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sleep", "100000"]
c["process"].pop("rlimits", None)
caps = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_CHOWN", "CAP_DAC_OVERRIDE",
        "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID", "CAP_NET_RAW"]
for k in ("bounding", "effective", "permitted"):
    c["process"]["capabilities"][k] = caps
c["process"]["capabilities"].pop("inheritable", None)
c["process"]["capabilities"].pop("ambient", None)
c["root"]["readonly"] = False
c["root"]["path"] = "/bundle/rootfs"  # absolute: per-container copies of config.json share it
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] not in ("network", "cgroup")]
c["linux"]["namespaces"].append({"type": "cgroup"})  # the container sees its own cgroup subtree
c["linux"].pop("maskedPaths", None)
c["linux"].pop("readonlyPaths", None)
# A writable cgroupfs in the container: the scenarios check that moving into
# a sub-cgroup does not shed the container's rules.
for m in c["mounts"]:
    if m["type"] == "cgroup":
        m["options"] = [o for o in m["options"] if o != "ro"]
json.dump(c, open(p, "w"), indent=1)
PY

cat > "$stage/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t cgroup2 none /sys/fs/cgroup
mount -t securityfs none /sys/kernel/security
mount -t bpf bpf /sys/fs/bpf
ip link set lo up
echo "+cpu +memory +pids" > /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
echo "BWVM-LSM: $(cat /sys/kernel/security/lsm)"
cd /scenario
sh ./run.sh
echo "BWVM-RESULT: rc=$?"
poweroff -f
INIT
chmod +x "$stage/init"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
