# SPDX-License-Identifier: Apache-2.0
# Sourced by run.sh (and tests): make_bundle DIR BUSYBOX builds an OCI bundle
# for runc: a busybox rootfs and a config.json whose annotations carry the
# container's identity: bulwark.io/name and bulwark.io/image, the pod and
# namespace under Kubernetes' keys, and every other annotation is a label.
# LAB_AA_PROFILE, when set, is the AppArmor profile the container starts
# under (process.apparmorProfile; see apparmor.sh).

# The labels the example policies select on.
LAB_POD=lab-web-0
LAB_NAMESPACE=lab

make_bundle() {
	local dir=$1 busybox=$2 root=$1/rootfs a
	mkdir -p "$root"/{bin,sbin,usr/bin,etc,proc,sys,dev,tmp,root} || return 1
	cp "$busybox" "$root/bin/busybox" || return 1
	for a in $("$busybox" --list); do
		[ -e "$root/bin/$a" ] || ln -s busybox "$root/bin/$a"
	done
	# Real copies, not symlinks: an exec of a symlink runs (and an LSM sees)
	# /bin/busybox, so a process rule on /usr/bin/wget needs its own file.
	rm -f "$root/bin/wget"
	cp "$busybox" "$root/usr/bin/wget" || return 1
	printf 'root:x:0:0:root:/root:/bin/sh\nweb:x:1000:1000:web:/tmp:/bin/sh\n' >"$root/etc/passwd"
	printf 'root:x:0:\nweb:x:1000:\n' >"$root/etc/group"
	printf 'root:$6$lab$notarealhash:19000:0:99999:7:::\n' >"$root/etc/shadow"
	chmod 0640 "$root/etc/shadow"
	printf 'lab-web\n' >"$root/etc/hostname"
	printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"

	# process.rlimits is left out: this sandbox may not raise rlimits, and runc
	# fails the start when it cannot.
	cat >"$dir/config.json" <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "sleep", "86400" ],
    "env": [ "PATH=/usr/bin:/bin:/sbin", "HOME=/root" ],
    "cwd": "/",
    "capabilities": {
      "bounding": [ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW" ],
      "effective": [ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW" ],
      "permitted": [ "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETUID", "CAP_SETGID", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW" ]
    },
    ${LAB_AA_PROFILE:+\"apparmorProfile\": \"$LAB_AA_PROFILE\",}
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "lab-web",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": [ "nosuid", "noexec", "nodev", "ro" ] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "nodev", "mode=1777" ] }
  ],
  "annotations": {
    "bulwark.io/name": "${CTR:-lab-web}",
    "bulwark.io/image": "busybox:lab",
    "io.kubernetes.pod.name": "$LAB_POD",
    "io.kubernetes.pod.namespace": "$LAB_NAMESPACE",
    "io.kubernetes.container.name": "web",
    "app": "web",
    "tier": "frontend"
  },
  "linux": {
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" } ],
    "maskedPaths": [ "/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware" ],
    "readonlyPaths": [ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger" ]
  }
}
EOF
}
