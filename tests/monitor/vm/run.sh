# Runs inside the VM (busybox sh), from /scenario: the monitor's attach and
# network tests on Debian's 6.1 kernel (the host tests cover the host's).
# Here a skip (77: the kernel refused a program) is a failure.
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
rc=0
for t in monitor_attach_test monitor_net_test; do
	"$t"
	r=$?
	echo "$t: exit $r"
	[ "$r" = 0 ] || rc=1
done
exit $rc
