# Runs inside the VM (busybox sh), from /scenario.
grep -q bpf /sys/kernel/security/lsm || { echo "bpf is not an active LSM"; exit 1; }
bw-enf-vmtest /scenario/enforce.scn -v
