# SPDX-License-Identifier: Apache-2.0
# Sourced by lib.sh (and the AppArmor VM scenarios): launching a container
# under the profile the agent's AppArmor enforcer generates for it.
#
# AppArmor confines a task from its next exec on, and only the runtime can
# ask for that before the container's first exec, so the profile's name must
# be known before the container starts and a profile of that name must be
# loaded (runc refuses to start under a profile the kernel does not know).
# The name is a convention shared with the agent (bw_aa_profile_name in
# agent/enforce_apparmor_gen.c): "bulwark-" + the first 12 characters of the
# container id, lower-cased, keeping [a-z0-9_.-].  The placeholder loaded
# here allows everything; the agent replaces it in place (atomically) with
# the generated profile as soon as a policy for the container arrives, and
# from then on every policy change applies to the running container.

# lab_aa_profile_name ID: prints the profile name for container ID.
lab_aa_profile_name() {
	local id n
	id=$(printf '%s' "$1" | tr 'A-Z' 'a-z' | tr -cd 'a-z0-9_.-' | cut -c1-12)
	n=${id:-unnamed}
	printf 'bulwark-%s\n' "$n"
}

# lab_aa_preload NAME DIR: loads a permissive placeholder profile NAME
# (written to DIR/NAME) unless the kernel has a profile of that name already.
lab_aa_preload() {
	local name=$1 dir=$2
	if grep -q "^$name " /sys/kernel/security/apparmor/profiles 2>/dev/null; then
		return 0
	fi
	mkdir -p "$dir" || return 1
	cat >"$dir/$name" <<EOF
# Placeholder loaded by the Bulwark lab before the container starts; the
# agent replaces it with the profile generated from the policy.
profile $name flags=(attach_disconnected,mediate_deleted) {
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  /{,**} rwlkm,
  /{,**} ix,
  network,
  capability,
}
EOF
	apparmor_parser -r -K "$dir/$name"
}
