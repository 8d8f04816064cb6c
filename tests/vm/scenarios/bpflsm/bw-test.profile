# A minimal AppArmor profile: checks that the harness starts a container
# under a profile (process.apparmorProfile), for the AppArmor backend's suite.
abi <abi/3.0>,
profile bw-test flags=(attach_disconnected,mediate_deleted) {
  file,
  network,
  capability,
  signal,
  mount,
  umount,
  pivot_root,
  ptrace,
  unix,
  deny /secret.txt rw,
}
