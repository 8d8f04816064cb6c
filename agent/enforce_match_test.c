/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The in-kernel decision code of bpf/enforcer.bpf.c, run natively through
 * its SEC("syscall") probe and BPF_PROG_TEST_RUN: the same lookups the LSM
 * hooks do, against maps filled by the real translation (enforce_maps) and
 * installed by the real swap (bw_enf_mapset_install).  Skips (77) where the
 * kernel refuses BPF.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "enforce_bpflsm.h"
#include "enforce_maps.h"
#include "bw_reason.h"
#include "enforcer.skel.h"
#include "pol.h"

#define CG 777ULL

static struct enforcer *skel;

static int load(void)
{
	struct bpf_program *p;

	if (!getenv("BW_BPF_DEBUG"))
		libbpf_set_print(NULL);
	skel = enforcer__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(p, skel->obj)
	    bpf_program__set_autoload(p, p == skel->progs.bw_enf_match_probe);
	return enforcer__load(skel);
}

static void install(Bulwark__V1__CompiledPolicy *cp)
{
	struct bw_enf_mapset *m = NULL;
	char err[256];

	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), 0);
	assert_int_equal(
	    bw_enf_mapset_install(m, bpf_map__fd(skel->maps.bw_enf_rules), err, sizeof(err)), 0);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

struct q {
	uint32_t op, write, uid, owner, is_dir, src;
	uint64_t cg;
};

static struct bw_enf_match_args run(const char *path, struct q q)
{
	struct bw_enf_match_args a = {0};
	LIBBPF_OPTS(bpf_test_run_opts, o, .ctx_in = &a, .ctx_size_in = sizeof(a));

	a.cgroup_id = q.cg ? q.cg : CG;
	a.op = q.op;
	a.write = q.write;
	a.uid = q.uid;
	a.owner = q.owner;
	a.is_dir = q.is_dir;
	a.src = q.src;
	a.iterations = 1;
	snprintf(a.path, sizeof(a.path), "%s", path);
	assert_int_equal(
	    bpf_prog_test_run_opts(bpf_program__fd(skel->progs.bw_enf_match_probe), &o), 0);
	return a;
}

#define FILE_Q(...) ((struct q){.op = BW_ENF_OP_FILE, __VA_ARGS__})
#define PROC_Q(...) ((struct q){.op = BW_ENF_OP_PROCESS, __VA_ARGS__})

static Bulwark__V1__RuleSet *rs_of(Bulwark__V1__CompiledPolicy *cp, const char *const *rules)
{
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	char line[256], err[128];

	for (; *rules; rules++) {
		snprintf(line, sizeof(line), "%s", *rules);
		assert_int_equal(pol_rule_parse(rs, line, err, sizeof(err)), 0);
	}
	return rs;
}

static void test_blocklist(void **state)
{
	static const char *const rules[] = {
	    "file path /secret.txt block",	/* 0 */
	    "file dir /etc/ block",		/* 1: directly inside only */
	    "file rdir /data/ audit",		/* 2 */
	    "file rdir /data/private/ block",	/* 3 */
	    "file path /ro.txt block readOnly", /* 4 */
	    "file path /mine block ownerOnly",	/* 5 */
	    NULL,
	};
	Bulwark__V1__CompiledPolicy *cp = pol_new(3);
	struct bw_enf_match_args a;

	rs_of(cp, rules);
	install(cp);
	a = run("/secret.txt", FILE_Q());
	assert_int_equal(a.verdict, -1);
	assert_int_equal(a.reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(a.rule_id, (1u << 16) | 0);
	assert_int_equal(run("/secret.txt2", FILE_Q()).verdict, 0);
	assert_int_equal(run("/secret.txt2", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/etc/passwd", FILE_Q()).rule_id, (1u << 16) | 1);
	assert_int_equal(run("/etc/ssl/x", FILE_Q()).verdict, 0); /* not recursive */
	a = run("/data/a/b/c", FILE_Q());
	assert_int_equal(a.verdict, 0);
	assert_int_equal(a.reason, BW_REASON_RULE_AUDIT);
	assert_int_equal(a.rule_id, (1u << 16) | 2);
	/* A Block deeper down beats the Audit above it. */
	a = run("/data/private/deep/er/file", FILE_Q());
	assert_int_equal(a.reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(a.rule_id, (1u << 16) | 3);
	/* The directory itself counts when it is what is opened. */
	assert_int_equal(run("/data/private", FILE_Q(.is_dir = 1)).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/data/private", FILE_Q()).reason, BW_REASON_RULE_AUDIT);
	assert_int_equal(run("/ro.txt", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/ro.txt", FILE_Q(.write = 1)).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/mine", FILE_Q(.uid = 1000, .owner = 1000)).reason, BW_REASON_NONE);
	assert_int_equal(run("/mine", FILE_Q(.uid = 0, .owner = 1000)).reason,
			 BW_REASON_RULE_BLOCK);
	/* Another cgroup has no rules; file rules do not leak into process ones. */
	assert_int_equal(run("/secret.txt", FILE_Q(.cg = 778)).reason, BW_REASON_NONE);
	assert_int_equal(run("/secret.txt", PROC_Q()).reason, BW_REASON_NONE);
}

static void test_allowlist(void **state)
{
	static const char *const rules[] = {
	    "file rdir /lib/ allow",
	    "file path /etc/hosts allow readOnly",
	    "file path /home/u/notes allow ownerOnly",
	    "file path /lib/evil.so block",
	    "process path /bin/sh allow",
	    "process name busybox allow",
	    NULL,
	};
	Bulwark__V1__CompiledPolicy *cp = pol_new(4);
	Bulwark__V1__RuleSet *rs = rs_of(cp, rules);

	rs->file_posture = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	install(cp);
	assert_int_equal(run("/lib/x86_64/libc.so.6", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/lib/evil.so", FILE_Q()).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/etc/passwd", FILE_Q()).reason, BW_REASON_POSTURE_BLOCK);
	assert_int_equal(run("/etc/passwd", FILE_Q()).rule_id, BW_ENF_RULE_NONE);
	assert_int_equal(run("/etc/hosts", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/etc/hosts", FILE_Q(.write = 1)).reason, BW_REASON_POSTURE_BLOCK);
	assert_int_equal(run("/home/u/notes", FILE_Q(.uid = 5, .owner = 5)).reason, BW_REASON_NONE);
	assert_int_equal(run("/home/u/notes", FILE_Q(.uid = 6, .owner = 5)).reason,
			 BW_REASON_POSTURE_BLOCK);
	assert_int_equal(run("/bin/sh", PROC_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/usr/local/bin/busybox", PROC_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/bin/cat", PROC_Q()).reason, BW_REASON_POSTURE_BLOCK);

	/* Posture audit: misses are reported, not denied. */
	cp = pol_new(5);
	rs = rs_of(cp, rules);
	rs->file_posture = BULWARK__V1__POSTURE__POSTURE_AUDIT;
	install(cp);
	assert_int_equal(run("/etc/passwd", FILE_Q()).reason, BW_REASON_POSTURE_AUDIT);
	assert_int_equal(run("/etc/passwd", FILE_Q()).verdict, 0);
	assert_int_equal(run("/bin/cat", PROC_Q()).reason, BW_REASON_POSTURE_AUDIT);
}

static uint32_t src_id(Bulwark__V1__CompiledPolicy *cp, uint32_t kind, const char *path)
{
	struct bw_enf_mapset *m = NULL;
	const struct bw_enf_entry *e;
	struct bw_enf_key k = {.cgroup_id = CG, .kind = kind};
	uint64_t hh = 0;
	uint32_t id;
	char err[128];

	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), 0);
	assert_int_equal(bw_enf_path_hash(path, &hh), 0);
	k.hash = hh;
	e = bw_enf_mapset_find(m, &k);
	assert_non_null(e);
	id = e->val.index;
	bw_enf_mapset_free(m);
	return id;
}

static void test_from_source(void **state)
{
	static const char *const block[] = {
	    "file path /key block from=/bin/cat",
	    "file path /key2 audit fromdir=/usr/bin/",
	    NULL,
	};
	static const char *const allow[] = {
	    "file path /open allow from=/usr/bin/trusted",
	    NULL,
	};
	Bulwark__V1__CompiledPolicy *cp = pol_new(6);
	uint32_t cat, usrbin, trusted;

	rs_of(cp, block);
	cat = src_id(cp, BW_ENF_K_SRC_PATH, "/bin/cat");
	usrbin = src_id(cp, BW_ENF_K_SRC_DIR, "/usr/bin");
	assert_int_not_equal(cat, usrbin);
	install(cp);
	assert_int_equal(run("/key", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/key", FILE_Q(.src = cat)).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/key", FILE_Q(.src = usrbin)).reason, BW_REASON_NONE);
	assert_int_equal(run("/key2", FILE_Q(.src = usrbin)).reason, BW_REASON_RULE_AUDIT);
	assert_int_equal(run("/key2", FILE_Q(.src = cat)).reason, BW_REASON_NONE);

	cp = pol_new(7);
	rs_of(cp, allow);
	trusted = src_id(cp, BW_ENF_K_SRC_PATH, "/usr/bin/trusted");
	install(cp);
	assert_int_equal(run("/open", FILE_Q(.src = trusted)).reason, BW_REASON_NONE);
	assert_int_equal(run("/open", FILE_Q()).reason, BW_REASON_POSTURE_BLOCK);
	assert_int_equal(run("/open", FILE_Q(.src = trusted + 1)).reason, BW_REASON_POSTURE_BLOCK);
}

/* A swap replaces everything at once: no rule of the old policy survives. */
static void test_swap(void **state)
{
	static const char *const r1[] = {"file path /a block", NULL};
	static const char *const r2[] = {"file path /b block", NULL};
	Bulwark__V1__CompiledPolicy *cp = pol_new(10);

	rs_of(cp, r1);
	install(cp);
	assert_int_equal(run("/a", FILE_Q()).reason, BW_REASON_RULE_BLOCK);
	cp = pol_new(11);
	rs_of(cp, r2);
	install(cp);
	assert_int_equal(run("/a", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/b", FILE_Q()).reason, BW_REASON_RULE_BLOCK);
	install(pol_new(12));
	assert_int_equal(run("/b", FILE_Q()).reason, BW_REASON_NONE);
}

/* Many rules: the answer for a path does not depend on their number. */
static void test_many(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(20);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	char p[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(p, sizeof(p), "/srv/d%d/f%d", i % 50, i);
		pol_rule(
		    rs, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH, p,
		    i % 2 ? BULWARK__V1__ACTION__ACTION_AUDIT : BULWARK__V1__ACTION__ACTION_BLOCK,
		    "many");
	}
	install(cp);
	assert_int_equal(run("/srv/d10/f4010", FILE_Q()).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/srv/d10/f4010", FILE_Q()).rule_id, (1u << 16) | 4010);
	assert_int_equal(run("/srv/d11/f4011", FILE_Q()).reason, BW_REASON_RULE_AUDIT);
	assert_int_equal(run("/srv/d11/f4010", FILE_Q()).reason, BW_REASON_NONE);
}

/* Pattern rules: the kernel matcher agrees with the userspace one, and
 * pattern matches merge with exact/directory ones by the usual precedence. */
static void test_patterns(void **state)
{
	static const char *const rules[] = {
	    "file pattern /tmp/*.sh block",		   /* 0 */
	    "file pattern /var/**/*.log audit",		   /* 1 */
	    "file path /var/log/keep.log block",	   /* 2: exact Block over pattern Audit */
	    "file pattern /home/*/.ssh/** block readOnly", /* 3 */
	    "process pattern /usr/**/ba?h block",	   /* 4 */
	    "file pattern /src/** audit from=/bin/cat",	   /* 5 */
	    NULL,
	};
	Bulwark__V1__CompiledPolicy *cp = pol_new(30);
	struct bw_enf_match_args a;
	uint32_t cat;

	rs_of(cp, rules);
	cat = src_id(cp, BW_ENF_K_SRC_PATH, "/bin/cat");
	install(cp);
	a = run("/tmp/run.sh", FILE_Q());
	assert_int_equal(a.reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(a.rule_id, (1u << 16) | 0);
	assert_int_equal(a.verdict, -1);
	assert_int_equal(run("/tmp/a/run.sh", FILE_Q()).reason, BW_REASON_NONE);
	a = run("/var/log/app/x.log", FILE_Q());
	assert_int_equal(a.reason, BW_REASON_RULE_AUDIT);
	assert_int_equal(a.rule_id, (1u << 16) | 1);
	a = run("/var/log/keep.log", FILE_Q());
	assert_int_equal(a.reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(a.rule_id, (1u << 16) | 2);
	assert_int_equal(run("/var/x.log", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/home/u1/.ssh/id_rsa", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/home/u1/.ssh/id_rsa", FILE_Q(.write = 1)).reason,
			 BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/home/u1/x/.ssh/id_rsa", FILE_Q(.write = 1)).reason,
			 BW_REASON_NONE);
	assert_int_equal(run("/usr/local/bin/bash", PROC_Q()).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/usr/local/bin/bash", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/bin/bash", PROC_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/src/a/b.c", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/src/a/b.c", FILE_Q(.src = cat)).reason, BW_REASON_RULE_AUDIT);
}

static void test_pattern_allowlist(void **state)
{
	static const char *const rules[] = {
	    "file pattern /lib/**.so* allow",
	    "file pattern /etc/*.conf allow",
	    "file pattern /etc/secret*.conf block",
	    "file path /etc/secret2.conf allow", /* the pattern's Block beats it */
	    "process pattern /bin/* allow",
	    NULL,
	};
	Bulwark__V1__CompiledPolicy *cp = pol_new(31);
	Bulwark__V1__RuleSet *rs = rs_of(cp, rules);

	rs->file_posture = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	install(cp);
	assert_int_equal(run("/lib/x86_64/libc.so.6", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/etc/app.conf", FILE_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/etc/secret1.conf", FILE_Q()).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/etc/secret2.conf", FILE_Q()).reason, BW_REASON_RULE_BLOCK);
	assert_int_equal(run("/etc/app/x.conf", FILE_Q()).reason, BW_REASON_POSTURE_BLOCK);
	assert_int_equal(run("/etc/passwd", FILE_Q()).reason, BW_REASON_POSTURE_BLOCK);
	assert_int_equal(run("/bin/sh", PROC_Q()).reason, BW_REASON_NONE);
	assert_int_equal(run("/usr/bin/sh", PROC_Q()).reason, BW_REASON_POSTURE_BLOCK);
}

/* The step bound: a pattern the matcher cannot decide in time leaves the
 * decision to the posture (never a silent allow); a Block elsewhere still
 * decides. */
static void test_pattern_bound(void **state)
{
	char pat[256], path[256], line[300];
	Bulwark__V1__CompiledPolicy *cp;
	Bulwark__V1__RuleSet *rs;

	strcpy(pat, "/**");
	memset(pat + 3, 'a', 200);
	strcpy(pat + 203, "b");
	path[0] = '/';
	memset(path + 1, 'a', 250);
	path[251] = 0;
	assert_int_equal(bw_enf_glob_match(pat, path), -E2BIG);
	for (int posture = 0; posture < 2; posture++) {
		cp = pol_new(40 + posture);
		rs = pol_ruleset(cp, 0, CG, "c1");
		snprintf(line, sizeof(line), "file pattern %s block", pat);
		assert_int_equal(pol_rule_parse(rs, line, NULL, 0), 0);
		rs->file_posture = posture ? BULWARK__V1__POSTURE__POSTURE_BLOCK
					   : BULWARK__V1__POSTURE__POSTURE_AUDIT;
		install(cp);
		assert_int_equal(run(path, FILE_Q()).reason, posture ? BW_REASON_UNRESOLVED_BLOCK
								     : BW_REASON_UNRESOLVED_AUDIT);
		assert_int_equal(run("/short", FILE_Q()).reason, BW_REASON_NONE);
	}
}

/* Kernel and userspace matchers agree on a table of cases. */
static void test_pattern_table(void **state)
{
	static const char *const cases[][2] = {
	    {"/tmp/x*", "/tmp/xa"},	     {"/tmp/x*", "/tmp/xa/b"},
	    {"/tmp/*.sh", "/tmp/a.sh.sh"},   {"/tmp/**", "/tmp"},
	    {"/**/secret", "/a/b/secret"},   {"/**/secret", "/secret"},
	    {"/a?b", "/a/b"},		     {"/a/?", "/a/b"},
	    {"/**/x*/y", "/a/x1/x2/y"},	     {"/**/x*/y", "/a/x1/z/y"},
	    {"/var/**/*.log", "/var/a.log"}, {"/*", "/"},
	    {"/d*x*y", "/dxxxxxxxxxy"},	     {"/d*x*y", "/dxxxxxxxxxz"},
	    {"/home/*/.ssh/*", "/home/u/.ssh/k"},
	};
	char line[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Bulwark__V1__CompiledPolicy *cp = pol_new(100 + i);
		Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
		int want = bw_enf_glob_match(cases[i][0], cases[i][1]);
		uint32_t got;

		snprintf(line, sizeof(line), "file pattern %s audit", cases[i][0]);
		assert_int_equal(pol_rule_parse(rs, line, NULL, 0), 0);
		install(cp);
		got = run(cases[i][1], FILE_Q()).reason;
		if (got != (want == 1 ? BW_REASON_RULE_AUDIT : BW_REASON_NONE))
			fail_msg("'%s' vs '%s': kernel reason %u, userspace %d", cases[i][0],
				 cases[i][1], got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blocklist),	cmocka_unit_test(test_allowlist),
	    cmocka_unit_test(test_from_source), cmocka_unit_test(test_swap),
	    cmocka_unit_test(test_many),	cmocka_unit_test(test_patterns),
	    cmocka_unit_test(test_pattern_allowlist), cmocka_unit_test(test_pattern_bound),
	    cmocka_unit_test(test_pattern_table),
	};
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "enforce_match_test: needs root for BPF; skipped\n");
		return 77;
	}
	rc = load();
	if (rc) {
		fprintf(stderr,
			"enforce_match_test: the kernel refused the matching probe (%s); skipped\n",
			strerror(-rc));
		return 77;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	enforcer__destroy(skel);
	return rc;
}
