# Runs inside the VM (busybox sh), from /scenario: the syscall monitor's test
# on Debian's 6.1 kernel (the host test covers the host's kernel).  Here a
# skip (77: the kernel refused the program) is a failure.
syscall_audit_test
rc=$?
if [ "$rc" = 77 ]; then
	echo "syscall monitor refused by the VM kernel"
	exit 1
fi
exit $rc
