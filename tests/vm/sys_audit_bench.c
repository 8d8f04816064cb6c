/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw-syscall-audit-bench: what the syscall monitor costs a syscall, side by
 * side in one run: faccessat on an absolute 5-level path with no monitor,
 * with the monitor holding a rule on another syscall (the one prefilter
 * lookup every syscall of the node pays), and with a matchPaths rule on
 * faccessat that does not match (the path argument read, made absolute,
 * normalised and looked up per level on every call).
 *
 * usage: bw-syscall-audit-bench [CALLS]   (default 1000000)
 * prints: syscall-audit ns_none=... ns_prefilter=... ns_path=... ratio_prefilter=... ratio_path=...
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/libbpf.h>

#include "syscall_audit.h"
#include "pol.h"

#define ROUNDS 5
#define PATH "/usr/lib/bw-bench/a/b/c"

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per faccessat over ROUNDS rounds of calls. */
static double measure(long calls)
{
	double t[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		struct timespec a, b;

		clock_gettime(CLOCK_MONOTONIC, &a);
		for (long i = 0; i < calls; i++)
			syscall(SYS_faccessat, AT_FDCWD, PATH, F_OK, 0);
		clock_gettime(CLOCK_MONOTONIC, &b);
		t[r] = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) /
		       (double)calls;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_d);
	return t[ROUNDS / 2];
}

static int apply(struct bw_syscall_audit *sa, int path_rule)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(path_rule ? 2 : 1);
	Bulwark__V1__RuleSet *host = pol_ruleset(cp, 1, 0, NULL);
	Bulwark__V1__Rule *r;
	char err[256];
	int rc;

	r = pol_rule(host, BULWARK__V1__OPERATION__OP_SYSCALL,
		     BULWARK__V1__MATCH_KIND__MATCH_SYSCALL, "mknodat",
		     BULWARK__V1__ACTION__ACTION_AUDIT, "bench");
	r->syscall = SYS_mknodat;
	if (path_rule) {
		r = pol_rule(host, BULWARK__V1__OPERATION__OP_SYSCALL,
			     BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE, "/nonexistent-bw/",
			     BULWARK__V1__ACTION__ACTION_AUDIT, "bench");
		r->syscall = SYS_faccessat;
	}
	rc = bw_syscall_audit_apply(sa, cp, NULL, NULL, err, sizeof(err));
	if (rc)
		fprintf(stderr, "bw-syscall-audit-bench: %s\n", err);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
	return rc;
}

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 1000000;
	struct bw_syscall_audit *sa = NULL;
	double none, pre, path;
	int rc;

	if (calls < 1) {
		fprintf(stderr, "usage: bw-syscall-audit-bench [CALLS]\n");
		return 2;
	}
	libbpf_set_print(NULL);
	none = measure(calls);
	rc = bw_syscall_audit_new(&sa, NULL, NULL, NULL);
	if (rc) {
		fprintf(stderr, "bw-syscall-audit-bench: the kernel refused the monitor: %s\n",
			strerror(-rc));
		return 77;
	}
	rc = apply(sa, 0);
	if (!rc)
		pre = measure(calls);
	if (!rc)
		rc = apply(sa, 1);
	if (!rc)
		path = measure(calls);
	bw_syscall_audit_free(sa);
	if (rc)
		return 1;
	printf("path=%s calls=%ld rounds=%d (median)\n", PATH, calls, ROUNDS);
	printf("syscall-audit ns_none=%.1f ns_prefilter=%.1f ns_path=%.1f ratio_prefilter=%.2f "
	       "ratio_path=%.2f\n",
	       none, pre, path, pre / none, path / none);
	return 0;
}
