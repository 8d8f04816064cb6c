/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test helpers shared by the live BPF tests (tests/monitor, syscall_audit_test):
 * a soft check that counts failures and goes on (so one run reports every
 * broken expectation), and the kernel's own list of the tracepoints this
 * process attaches programs to.  Header-only; each test includes it once.
 */
#ifndef BW_BPF_TESTUTIL_H
#define BW_BPF_TESTUTIL_H

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <bpf/bpf.h>

/* Failed check() calls so far; the test's exit status comes from it. */
static int failures __attribute__((unused));

static inline __attribute__((format(printf, 2, 3))) void check(int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, ok ? "ok:   " : "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	if (!ok)
		failures++;
}

/*
 * Names of the tracepoints and raw tracepoints this process has BPF programs
 * on, as the kernel reports them (BPF_TASK_FD_QUERY on each fd, what
 * `bpftool perf` shows): at most max names of namelen bytes into names;
 * returns how many.
 */
static inline int bw_test_attached_tracepoints(char *names, size_t namelen, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d))) {
		char buf[128];
		__u32 len = sizeof(buf), prog_id = 0, type = 0;
		__u64 off = 0, addr = 0;
		int fd = atoi(de->d_name);

		if (de->d_name[0] == '.' || fd == dirfd(d))
			continue;
		if (bpf_task_fd_query(getpid(), fd, 0, buf, &len, &prog_id, &type, &off, &addr))
			continue;
		if ((type == BPF_FD_TYPE_TRACEPOINT || type == BPF_FD_TYPE_RAW_TRACEPOINT) &&
		    n < max)
			snprintf(names + (size_t)n++ * namelen, namelen, "%s", buf);
	}
	if (d)
		closedir(d);
	return n;
}

#endif
