# bench/enforce-vm.sh inside the VM: syscall loops of the driver (a host
# process) with the enforcer attached and no policy, then with 1,000 host rules.
bw-enf-vmtest /scenario/bench.scn
