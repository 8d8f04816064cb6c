# SPDX-License-Identifier: Apache-2.0
# Shell helpers for enforcer tests: a busybox OCI bundle runc can run here
# (no process.rlimits: this sandbox may not raise them; see PLATFORM.md).
# Sourced, not run.  Works in the VM's busybox shell too (no jq, no python).

# bw_bundle DIR [EXTRA_BINARY...]: rootfs with busybox (+ applet links) and
# the given static binaries in /bin.
bw_bundle() {
	local dir=$1 bb
	shift
	bb=$(command -v busybox) || return 1
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/proc" "$dir/rootfs/dev" "$dir/rootfs/tmp" \
		"$dir/rootfs/etc" "$dir/rootfs/sys" || return 1
	cp "$bb" "$dir/rootfs/bin/busybox" || return 1
	for a in sh sleep cat ls echo touch rm nc ping id wc; do
		ln -sf busybox "$dir/rootfs/bin/$a"
	done
	for f in "$@"; do
		cp "$f" "$dir/rootfs/bin/" || return 1
	done
}

# bw_oci_config DIR APPARMOR_PROFILE ARGS...: writes DIR/config.json.  An
# empty profile leaves process.apparmorProfile out.  BW_OCI_ROOT names the
# rootfs (default: DIR/rootfs); BW_OCI_NNP=false clears noNewPrivileges.
bw_oci_config() {
	local dir=$1 profile=$2 args="" a aa=""
	shift 2
	for a in "$@"; do
		args="$args${args:+, }\"$a\""
	done
	[ -n "$profile" ] && aa="\"apparmorProfile\": \"$profile\","
	cat >"$dir/config.json" <<JSON
{
  "ociVersion": "1.0.2-dev",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ $args ],
    "env": [ "PATH=/bin" ],
    "cwd": "/",
    $aa
    "capabilities": {
      "bounding": [ "CAP_NET_RAW", "CAP_CHOWN", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID" ],
      "effective": [ "CAP_NET_RAW", "CAP_CHOWN", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID" ],
      "permitted": [ "CAP_NET_RAW", "CAP_CHOWN", "CAP_KILL", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_SETUID", "CAP_SETGID" ]
    },
    "noNewPrivileges": ${BW_OCI_NNP:-true}
  },
  "root": { "path": "${BW_OCI_ROOT:-rootfs}", "readonly": false },
  "hostname": "bwtest",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": [ "nosuid", "size=8m" ] }
  ],
  "linux": {
    "namespaces": [ { "type": "pid" }, { "type": "network" }, { "type": "ipc" },
                    { "type": "uts" }, { "type": "mount" } ]
  }
}
JSON
}

# bw_wait_for FILE PATTERN [SECONDS]: waits until a line of FILE matches.
bw_wait_for() {
	local i=0 max=$(( ${3:-10} * 10 ))
	while [ $i -lt $max ]; do
		grep -q -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
