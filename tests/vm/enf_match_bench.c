/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw-enf-match-bench: times the BPF-LSM decision code in the kernel through
 * the enforcer's SEC("syscall") probe (BPF_PROG_TEST_RUN) with a small and a
 * large rule set, side by side.  The probe loops over the decision itself
 * (bpf_loop) and reports its own kernel time, so syscall overhead is out.
 *
 * usage: bw-enf-match-bench [SMALL LARGE [ITERATIONS]]   (default 10 10000 200000)
 * prints: enforce-match ns_<SMALL>=... ns_<LARGE>=... ratio=... ns_<LARGE>_pat8=...
 *         pattern_ns_each=... (the large set plus 8 glob patterns)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce_bpflsm.h"
#include "enforce_maps.h"
#include "bw_reason.h"
#include "enforcer.skel.h"
#include "pol.h"

#define CG 4242ULL
#define ROUNDS 7
#define PATTERNS 8

static const char *probe_path = "/srv/app/data/d7/sub/file-7";

static int install(struct enforcer *skel, int n_rules, int n_patterns)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new((uint64_t)n_rules);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "bench");
	struct bw_enf_mapset *m = NULL;
	char p[128], err[256];
	int rc;

	/* A realistic mix: exact paths, directories, recursive directories,
	 * none of which matches the probed path except its last rule. */
	for (int i = 0; i < n_rules - 1; i++) {
		Bulwark__V1__MatchKind k = i % 3 == 0 ? BULWARK__V1__MATCH_KIND__MATCH_PATH
					   : i % 3 == 1
					       ? BULWARK__V1__MATCH_KIND__MATCH_DIR
					       : BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE;

		snprintf(p, sizeof(p),
			 k == BULWARK__V1__MATCH_KIND__MATCH_PATH ? "/srv/r%d/f%d"
								  : "/srv/r%d/d%d/",
			 i % 97, i);
		pol_rule(rs, BULWARK__V1__OPERATION__OP_FILE, k, p,
			 BULWARK__V1__ACTION__ACTION_BLOCK, "bench");
	}
	pol_rule(rs, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE,
		 "/srv/app/data/", BULWARK__V1__ACTION__ACTION_AUDIT, "bench-hit");
	/* Block patterns sharing the probed path's prefix: each one is run
	 * through the glob matcher (a Block could outrank the Audit hit) and
	 * fails only near the end. */
	for (int i = 0; i < n_patterns; i++) {
		snprintf(p, sizeof(p), "/srv/app/**/d%d/**/*.tmp%d", i, i);
		pol_rule(rs, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATTERN,
			 p, BULWARK__V1__ACTION__ACTION_BLOCK, "bench-pattern");
	}
	rc = bw_enf_maps_build(cp, &m, err, sizeof(err));
	if (!rc)
		rc = bw_enf_mapset_install(m, bpf_map__fd(skel->maps.bw_enf_rules), err,
					   sizeof(err));
	if (rc)
		fprintf(stderr, "bw-enf-match-bench: %s\n", err);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
	return rc;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median ns per decision over ROUNDS runs of iters decisions. */
static int measure(struct enforcer *skel, uint32_t iters, double *ns, uint32_t *reason)
{
	uint64_t t[ROUNDS];

	for (int r = 0; r < ROUNDS; r++) {
		struct bw_enf_match_args a = {
		    .cgroup_id = CG, .op = BW_ENF_OP_FILE, .iterations = iters};
		LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));

		snprintf(a.path, sizeof(a.path), "%s", probe_path);
		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.bw_enf_match_probe), &o))
			return -errno;
		t[r] = a.ns;
		*reason = a.reason;
	}
	qsort(t, ROUNDS, sizeof(t[0]), cmp_u64);
	*ns = (double)t[ROUNDS / 2] / iters;
	return 0;
}

int main(int argc, char **argv)
{
	int small = argc > 2 ? atoi(argv[1]) : 10, large = argc > 2 ? atoi(argv[2]) : 10000;
	uint32_t iters = argc > 3 ? (uint32_t)atoi(argv[3]) : 200000;
	struct enforcer *skel;
	struct bpf_program *p;
	double ns_small, ns_large, ns_pat;
	uint32_t r_small, r_large, r_pat;
	int rc;

	if (small < 1 || large < 1 || iters < 1) {
		fprintf(stderr, "usage: bw-enf-match-bench [SMALL LARGE [ITERATIONS]]\n");
		return 2;
	}
	libbpf_set_print(NULL);
	skel = enforcer__open();
	if (!skel)
		return 1;
	bpf_object__for_each_program(p, skel->obj)
	    bpf_program__set_autoload(p, p == skel->progs.bw_enf_match_probe);
	rc = enforcer__load(skel);
	if (rc) {
		fprintf(stderr, "bw-enf-match-bench: the kernel refused the probe: %s\n",
			strerror(-rc));
		enforcer__destroy(skel);
		return 77;
	}
	rc = install(skel, small, 0) ?: measure(skel, iters, &ns_small, &r_small);
	if (!rc)
		rc = install(skel, large, 0) ?: measure(skel, iters, &ns_large, &r_large);
	if (!rc)
		rc = install(skel, large, PATTERNS) ?: measure(skel, iters / 10, &ns_pat, &r_pat);
	enforcer__destroy(skel);
	if (rc) {
		fprintf(stderr, "bw-enf-match-bench: %s\n", strerror(-rc));
		return 1;
	}
	if (r_small != BW_REASON_RULE_AUDIT || r_large != BW_REASON_RULE_AUDIT ||
	    r_pat != BW_REASON_RULE_AUDIT) {
		fprintf(stderr,
			"bw-enf-match-bench: wrong decision (%u, %u, %u): the probe is not "
			"matching\n",
			r_small, r_large, r_pat);
		return 1;
	}
	printf("path=%s depth=6 iterations=%u rounds=%d (median)\n", probe_path, iters, ROUNDS);
	printf("patterns: %d Block globs evaluated per decision on top of the %d rules\n",
	       PATTERNS, large);
	printf("enforce-match ns_%d=%.1f ns_%d=%.1f ratio=%.2f ns_%d_pat%d=%.1f pattern_ns_each=%.1f\n",
	       small, ns_small, large, ns_large, ns_large / ns_small, large, PATTERNS, ns_pat,
	       (ns_pat - ns_large) / PATTERNS);
	return 0;
}
