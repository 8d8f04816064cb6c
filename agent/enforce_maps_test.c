/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "bw_caps.h"
#include "enforce_maps.h"
#include "bw_enf_hash.h"
#include "bw_reason.h"
#include "pol.h"

#define CG 4242ULL

static uint64_t h(const char *p)
{
	uint64_t v = 0;

	assert_int_equal(bw_enf_path_hash(p, &v), 0);
	return v;
}

static const struct bw_enf_entry *find(const struct bw_enf_mapset *m, uint64_t cg, uint32_t kind,
				       uint64_t hash, uint32_t src)
{
	struct bw_enf_key k = {.cgroup_id = cg, .hash = hash, .kind = kind, .src = src};

	return bw_enf_mapset_find(m, &k);
}

static struct bw_enf_mapset *build(Bulwark__V1__CompiledPolicy *cp)
{
	struct bw_enf_mapset *m = NULL;
	char err[256];

	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), 0);
	assert_non_null(m);
	return m;
}

static void add(Bulwark__V1__RuleSet *rs, const char *text)
{
	char line[256], err[128];

	strcpy(line, text);
	assert_int_equal(pol_rule_parse(rs, line, err, sizeof(err)), 0);
}

static void test_path_hash(void **state)
{
	uint64_t v;

	assert_int_equal(h("/"), BW_FNV_BASIS);
	assert_true(h("/a//b/") == h("/a/b"));
	assert_true(h("/etc/") == h("/etc"));
	assert_true(h("/etc/passwd") != h("/etc/passw"));
	/* Streaming: the hash of "/a/b" continues the hash of "/a". */
	uint64_t x = h("/a");
	x = bw_fnv_byte(x, '/');
	x = bw_fnv_byte(x, 'b');
	assert_true(x == h("/a/b"));
	assert_int_equal(bw_enf_path_hash("etc/passwd", &v), -EINVAL);
	assert_int_equal(bw_enf_path_hash("/etc/../passwd", &v), -EINVAL);
	assert_int_equal(bw_enf_path_hash("/etc/./passwd", &v), -EINVAL);
	assert_int_equal(bw_enf_path_hash(NULL, &v), -EINVAL);
	assert_true(bw_enf_name_hash("sleep") != bw_enf_name_hash("sleeq"));
}

static void test_basic_kinds(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(7);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	const struct bw_enf_entry *e;

	add(rs, "file path /secret.txt block policy=p1");
	add(rs, "file dir /etc/ audit");
	add(rs, "file rdir /var/log/ block readOnly");
	add(rs, "process path /bin/sleep block ownerOnly");
	add(rs, "process name nc block");
	add(rs, "network proto tcp block");
	add(rs, "capability cap CAP_NET_RAW block");
	m = build(cp);
	assert_int_equal(m->n, 8); /* 7 rules + the ruleset */
	e = find(m, CG, BW_ENF_K_RULESET, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->val.version, 7);
	assert_int_equal(e->val.index, 1);
	assert_true(e->val.flags & BW_ENF_F_HAS_RULES(BW_ENF_OP_FILE));
	assert_true(e->val.flags & BW_ENF_F_HAS_RULES(BW_ENF_OP_NETWORK));
	assert_false(e->val.flags & BW_ENF_F_ALLOWLIST(BW_ENF_OP_FILE));
	assert_false(e->val.flags & BW_ENF_F_HAS_SOURCES);
	assert_true(e->val.flags & BW_ENF_F_HAS_DIR(BW_ENF_OP_FILE));
	assert_true(e->val.flags & BW_ENF_F_HAS_REC(BW_ENF_OP_FILE));
	assert_true(e->val.flags & BW_ENF_F_HAS_NAME);
	assert_false(e->val.flags & BW_ENF_F_HAS_DIR(BW_ENF_OP_PROCESS));
	assert_false(e->val.flags & BW_ENF_F_HAS_REC(BW_ENF_OP_PROCESS));
	assert_false(e->val.flags & BW_ENF_F_HAS_INODE(BW_ENF_OP_FILE));
	e = find(m, CG, BW_ENF_K_FILE_PATH, h("/secret.txt"), 0);
	assert_non_null(e);
	assert_true(e->val.deny.present);
	assert_int_equal(e->val.deny.action, BW_ENF_A_BLOCK);
	assert_int_equal(e->val.deny.rule_id, (1u << 16) | 0);
	assert_false(e->val.allow.present);
	e = find(m, CG, BW_ENF_K_FILE_DIR, h("/etc"), 0);
	assert_non_null(e);
	assert_int_equal(e->val.deny.action, BW_ENF_A_AUDIT);
	e = find(m, CG, BW_ENF_K_FILE_REC, h("/var/log"), 0);
	assert_non_null(e);
	assert_int_equal(e->val.deny.cond, BW_ENF_C_READ_ONLY);
	e = find(m, CG, BW_ENF_K_PROC_PATH, h("/bin/sleep"), 0);
	assert_non_null(e);
	assert_int_equal(e->val.deny.cond, BW_ENF_C_OWNER_ONLY);
	assert_non_null(find(m, CG, BW_ENF_K_PROC_NAME, bw_enf_name_hash("nc"), 0));
	assert_non_null(find(m, CG, BW_ENF_K_NET, bw_enf_net_hash(0, 1, 6), 0));
	e = find(m, CG, BW_ENF_K_CAP, 13, 0);
	assert_non_null(e);
	assert_int_equal(e->val.deny.rule_id, (1u << 16) | 6);
	/* The rule id leads back to the rule and its origin. */
	const Bulwark__V1__RuleSet *rso = NULL;
	const Bulwark__V1__Rule *r = bw_enf_rule_lookup(cp, (1u << 16) | 0, &rso);
	assert_non_null(r);
	assert_ptr_equal(rso, rs);
	assert_string_equal(r->origin->policy_name, "p1");
	assert_null(bw_enf_rule_lookup(cp, (1u << 16) | 99, NULL));
	assert_null(bw_enf_rule_lookup(cp, (5u << 16) | 0, NULL));
	assert_null(bw_enf_rule_lookup(cp, BW_ENF_RULE_NONE, NULL));
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_merge(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	const struct bw_enf_entry *e;

	add(rs, "file path /a audit");
	add(rs, "file path /a block readOnly");
	add(rs, "file path /a block");
	add(rs, "file path /a allow ownerOnly");
	add(rs, "file path /a allow");
	m = build(cp);
	assert_int_equal(m->n, 2);
	e = find(m, CG, BW_ENF_K_FILE_PATH, h("/a"), 0);
	assert_non_null(e);
	/* Block beats Audit; the unconditional Block beats the readOnly one. */
	assert_int_equal(e->val.deny.action, BW_ENF_A_BLOCK);
	assert_int_equal(e->val.deny.cond, 0);
	assert_int_equal(e->val.deny.rule_id & 0xffff, 2);
	assert_true(e->val.allow.present);
	assert_int_equal(e->val.allow.cond, 0);
	assert_int_equal(e->val.allow.rule_id & 0xffff, 4);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_sources(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	const struct bw_enf_entry *e, *s1, *s2;

	add(rs, "file path /x block from=/bin/cat fromdir=/usr/bin/");
	add(rs, "file path /y block from=/bin/cat");
	add(rs, "network proto udp block fromrdir=/opt/");
	m = build(cp);
	s1 = find(m, CG, BW_ENF_K_SRC_PATH, h("/bin/cat"), 0);
	s2 = find(m, CG, BW_ENF_K_SRC_DIR, h("/usr/bin"), 0);
	assert_non_null(s1);
	assert_non_null(s2);
	assert_non_null(find(m, CG, BW_ENF_K_SRC_REC, h("/opt"), 0));
	assert_int_not_equal(s1->val.index, 0);
	assert_int_not_equal(s1->val.index, s2->val.index);
	/* One entry per source, keyed by that source's id; none for "any". */
	assert_non_null(find(m, CG, BW_ENF_K_FILE_PATH, h("/x"), s1->val.index));
	assert_non_null(find(m, CG, BW_ENF_K_FILE_PATH, h("/x"), s2->val.index));
	assert_null(find(m, CG, BW_ENF_K_FILE_PATH, h("/x"), 0));
	assert_non_null(find(m, CG, BW_ENF_K_FILE_PATH, h("/y"), s1->val.index));
	assert_null(find(m, CG, BW_ENF_K_FILE_PATH, h("/y"), s2->val.index));
	e = find(m, CG, BW_ENF_K_RULESET, 0, 0);
	assert_true(e->val.flags & BW_ENF_F_HAS_SOURCES);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_allowlist_posture(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *host = pol_ruleset(cp, 1, 0, "");
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	const struct bw_enf_entry *e;

	add(rs, "file rdir /lib/ allow");
	rs->file_posture = BULWARK__V1__POSTURE__POSTURE_AUDIT;
	rs->network_posture = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	rs->process_allowlist = 1;
	add(host, "file path /root/secret block");
	m = build(cp);
	e = find(m, CG, BW_ENF_K_RULESET, 0, 0);
	assert_true(e->val.flags & BW_ENF_F_ALLOWLIST(BW_ENF_OP_FILE));
	assert_true(e->val.flags & BW_ENF_F_ALLOWLIST(BW_ENF_OP_PROCESS));
	assert_true(e->val.flags & BW_ENF_F_HAS_RULES(BW_ENF_OP_PROCESS));
	/* Process follows the file posture. */
	assert_false(e->val.flags & BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_FILE));
	assert_false(e->val.flags & BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_PROCESS));
	assert_true(e->val.flags & BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_NETWORK));
	e = find(m, 0, BW_ENF_K_RULESET, 0, 0);
	assert_non_null(e);
	assert_int_equal(e->val.index, 0);
	e = find(m, 0, BW_ENF_K_FILE_PATH, h("/root/secret"), 0);
	assert_non_null(e);
	assert_int_equal(e->val.deny.rule_id, 0);
	assert_ptr_equal(bw_enf_rule_lookup(cp, 0, NULL), host->rules[0]);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_unenforced(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	Bulwark__V1__RuleSet *late = pol_ruleset(cp, 0, 0, "not-started");
	struct bw_enf_mapset *m;
	Bulwark__V1__Rule *r;
	char **list;
	size_t n;

	add(rs, "file pattern /tmp/[ab].sh block"); /* not a kernel glob */
	r = pol_rule(rs, BULWARK__V1__OPERATION__OP_SYSCALL, BULWARK__V1__MATCH_KIND__MATCH_SYSCALL,
		     "", BULWARK__V1__ACTION__ACTION_BLOCK, "sys");
	r->syscall = 101;
	r = pol_rule(rs, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH, "/z",
		     BULWARK__V1__ACTION__ACTION_BLOCK, "aa");
	r->needs_apparmor = 1;
	add(late, "file path /q block");
	m = build(cp);
	bw_enf_mapset_take_unenforced(m, &list, &n);
	assert_int_equal(n, 4);
	assert_non_null(strstr(list[0], "pattern"));
	assert_non_null(strstr(list[0], "uses '['"));
	assert_non_null(strstr(list[1], "syscall"));
	assert_non_null(strstr(list[2], "AppArmor"));
	assert_non_null(strstr(list[3], "not-started"));
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
	assert_int_equal(m->n, 1); /* just c1's ruleset entry */
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_glob(void **state)
{
	static const struct {
		const char *pat, *path;
		int want;
	} cases[] = {
	    {"/etc/passwd", "/etc/passwd", 1},
	    {"/etc/passwd", "/etc/passwd2", 0},
	    {"/etc/passw", "/etc/passwd", 0},
	    {"/tmp/x*", "/tmp/xa", 1},
	    {"/tmp/x*", "/tmp/x", 1},
	    {"/tmp/x*", "/tmp/xa/b", 0}, /* '*' stops at '/' */
	    {"/tmp/x*", "/tmp", 0},
	    {"/tmp/*.sh", "/tmp/run.sh", 1},
	    {"/tmp/*.sh", "/tmp/a/run.sh", 0},
	    {"/tmp/*.sh", "/tmp/run.sh.bak", 0},
	    {"/tmp/*.sh", "/tmp/a.sh.sh", 1}, /* the '*' must grow past the first ".sh" */
	    {"/tmp/**.sh", "/tmp/a/b/run.sh", 1},
	    {"/tmp/**", "/tmp/a/b", 1},
	    {"/tmp/**", "/tmp/", 1},
	    {"/tmp/**", "/tmp", 0},
	    {"/**/secret", "/secret", 0},
	    {"/**/secret", "/a/secret", 1},
	    {"/**/secret", "/a/b/c/secret", 1},
	    {"/**secret", "/secret", 1},
	    {"/home/*/.ssh/*", "/home/u1/.ssh/id_rsa", 1},
	    {"/home/*/.ssh/*", "/home/u1/x/.ssh/id_rsa", 0},
	    {"/home/**/.ssh/*", "/home/u1/x/.ssh/id_rsa", 1},
	    {"/home/**/.ssh/*", "/home/u1/x/.ssh/keys/id_rsa", 0},
	    {"/a/?", "/a/b", 1},
	    {"/a/?", "/a/bc", 0},
	    {"/a?b", "/a/b", 0}, /* '?' is not '/' */
	    {"/a/*/c", "/a/b/c", 1},
	    {"/a/*/c", "/a//c", 1},
	    {"/a/*/c", "/a/b/x/c", 0},
	    /* '**' then '*': the '*' cannot cross '/', the '**' must move. */
	    {"/**/x*/y", "/a/x1/x2/y", 1},
	    {"/**/x*/y", "/a/x1/z/y", 0},
	    {"/**/*.log", "/var/log/app/2026/a.log", 1},
	    {"/var/**/*.log", "/var/a.log", 0},
	    {"/var/**/*.log", "/var/b/a.log", 1},
	    {"/**", "/", 1},
	    {"/*", "/", 1},
	    {"/*", "/a/b", 0},
	    {"/d*x*y", "/dxxxxxxxxxy", 1},
	    {"/d*x*y", "/dxxxxxxxxxz", 0},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = bw_enf_glob_match(cases[i].pat, cases[i].path);

		if (got != cases[i].want)
			fail_msg("'%s' vs '%s': got %d want %d", cases[i].pat, cases[i].path, got,
				 cases[i].want);
	}
}

static void test_glob_bounds(void **state)
{
	char pat[300], path[BW_ENF_PATH_BUF + 8], why[128];

	/* A pathological pattern against a long path: the step bound answers
	 * -E2BIG (decided by posture in the kernel), never a silent "no". */
	strcpy(pat, "/**");
	memset(pat + 3, 'a', 200);
	strcpy(pat + 203, "b");
	path[0] = '/';
	memset(path + 1, 'a', 3000);
	path[3001] = 0;
	assert_int_equal(bw_enf_glob_match(pat, path), -E2BIG);
	/* Many wildcards stay linear: only the last of each kind backtracks. */
	assert_int_equal(bw_enf_glob_match("/**a**a**a**a**a**a**a**a**b", path), 0);
	path[3000] = 'b';
	assert_int_equal(bw_enf_glob_match("/**a**a**a**a**a**a**a**a**b", path), 1);
	memset(path + 1, 'a', BW_ENF_PATH_BUF);
	path[BW_ENF_PATH_BUF + 1] = 0;
	assert_int_equal(bw_enf_glob_match("/**", path), -E2BIG);
	pat[0] = '/';
	memset(pat + 1, 'x', 255);
	pat[256] = 0;
	assert_int_equal(bw_enf_glob_match(pat, "/x"), -E2BIG);
	assert_int_equal(bw_enf_pattern_check(pat, why, sizeof(why)), -E2BIG);
	assert_non_null(strstr(why, "at most 255"));
	pat[255] = 0;
	assert_int_equal(bw_enf_pattern_check(pat, why, sizeof(why)), 0);
	assert_int_equal(bw_enf_pattern_check("tmp/*", why, sizeof(why)), -EINVAL);
	assert_int_equal(bw_enf_pattern_check("/tmp/{a,b}", why, sizeof(why)), -EINVAL);
	assert_int_equal(bw_enf_pattern_check("/tmp/***", why, sizeof(why)), -EINVAL);
}

/* The pattern text of entry idx reassembled from its chunks. */
static void pattern_text(const struct bw_enf_mapset *m, uint32_t kind, uint32_t idx, char *out)
{
	const struct bw_enf_entry *hd = find(m, CG, kind, (uint64_t)idx << 8, 0);
	size_t len;

	assert_non_null(hd);
	len = hd->val.version;
	assert_true(len < BW_ENF_PATTERN_MAX);
	for (size_t c = 0; c * BW_ENF_PATTERN_CHUNK < len; c++) {
		const struct bw_enf_entry *d = find(m, CG, kind, ((uint64_t)idx << 8) | (c + 1), 0);

		assert_non_null(d);
		memcpy(out + c * BW_ENF_PATTERN_CHUNK, &d->val, BW_ENF_PATTERN_CHUNK);
	}
	out[len] = 0;
}

static void test_patterns(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	const struct bw_enf_entry *e, *ruleset;
	char text[BW_ENF_PATTERN_MAX + BW_ENF_PATTERN_CHUNK], longpat[300];
	char **list;
	size_t n;

	add(rs, "file pattern /var/**/*.log audit");		  /* 0 */
	add(rs, "file pattern /tmp/*.sh block readOnly");	  /* 1 */
	add(rs, "process pattern /usr/**/s?ap allow");		  /* 2 */
	add(rs, "file pattern /home/*/.ssh/** block from=/bin/sh"); /* 3 */
	longpat[0] = '/';
	memset(longpat + 1, 'p', 253);
	strcpy(longpat + 254, "*"); /* 255 bytes: the longest kept */
	pol_rule(rs, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATTERN,
		 longpat, BULWARK__V1__ACTION__ACTION_ALLOW, "long");
	m = build(cp);
	ruleset = find(m, CG, BW_ENF_K_RULESET, 0, 0);
	assert_non_null(ruleset);
	assert_true(ruleset->val.flags & BW_ENF_F_HAS_PATTERN(BW_ENF_OP_FILE));
	assert_true(ruleset->val.flags & BW_ENF_F_HAS_PATTERN(BW_ENF_OP_PROCESS));
	assert_true(ruleset->val.flags & BW_ENF_F_HAS_RULES(BW_ENF_OP_FILE));
	assert_true(ruleset->val.flags & BW_ENF_F_HAS_SOURCES);
	/* File patterns: Blocks first (rule order among them), then Audit, Allow. */
	e = find(m, CG, BW_ENF_K_FILE_PATTERN, 0 << 8, 0);
	assert_non_null(e);
	assert_int_equal(e->val.deny.rule_id, (1u << 16) | 1);
	assert_int_equal(e->val.deny.action, BW_ENF_A_BLOCK);
	assert_int_equal(e->val.deny.cond, BW_ENF_C_READ_ONLY);
	assert_int_equal(e->val.index, 0);
	pattern_text(m, BW_ENF_K_FILE_PATTERN, 0, text);
	assert_string_equal(text, "/tmp/*.sh");
	e = find(m, CG, BW_ENF_K_FILE_PATTERN, 1 << 8, 0);
	assert_int_equal(e->val.deny.rule_id, (1u << 16) | 3);
	assert_int_not_equal(e->val.index, 0); /* the fromSource id */
	assert_non_null(find(m, CG, BW_ENF_K_SRC_PATH, h("/bin/sh"), 0));
	assert_int_equal(find(m, CG, BW_ENF_K_SRC_PATH, h("/bin/sh"), 0)->val.index,
			 e->val.index);
	e = find(m, CG, BW_ENF_K_FILE_PATTERN, 2 << 8, 0);
	assert_int_equal(e->val.deny.action, BW_ENF_A_AUDIT);
	pattern_text(m, BW_ENF_K_FILE_PATTERN, 2, text);
	assert_string_equal(text, "/var/**/*.log");
	e = find(m, CG, BW_ENF_K_FILE_PATTERN, 3 << 8, 0);
	assert_true(e->val.allow.present);
	assert_false(e->val.deny.present);
	pattern_text(m, BW_ENF_K_FILE_PATTERN, 3, text);
	assert_string_equal(text, longpat);
	assert_non_null(find(m, CG, BW_ENF_K_FILE_PATTERN, (3 << 8) | 8, 0));
	assert_null(find(m, CG, BW_ENF_K_FILE_PATTERN, (3 << 8) | 9, 0));
	assert_null(find(m, CG, BW_ENF_K_FILE_PATTERN, 4 << 8, 0)); /* end of list */
	/* Process patterns are numbered apart. */
	pattern_text(m, BW_ENF_K_PROC_PATTERN, 0, text);
	assert_string_equal(text, "/usr/**/s?ap");
	assert_int_equal(find(m, CG, BW_ENF_K_PROC_PATTERN, 0, 0)->val.allow.rule_id,
			 (1u << 16) | 2);
	bw_enf_mapset_take_unenforced(m, &list, &n);
	assert_int_equal(n, 0);
	free(list);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_patterns_cap(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	char line[128], **list;
	size_t n;

	for (int i = 0; i < BW_ENF_MAX_PATTERNS + 2; i++) {
		snprintf(line, sizeof(line), "file pattern /p%d/* audit", i);
		add(rs, line);
	}
	add(rs, "file pattern /last/** block"); /* Blocks are kept before Audits */
	m = build(cp);
	assert_non_null(find(m, CG, BW_ENF_K_FILE_PATTERN, (uint64_t)(BW_ENF_MAX_PATTERNS - 1) << 8,
			     0));
	assert_null(find(m, CG, BW_ENF_K_FILE_PATTERN, (uint64_t)BW_ENF_MAX_PATTERNS << 8, 0));
	assert_int_equal(find(m, CG, BW_ENF_K_FILE_PATTERN, 0, 0)->val.deny.action,
			 BW_ENF_A_BLOCK);
	bw_enf_mapset_take_unenforced(m, &list, &n);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		assert_non_null(strstr(list[i], "more than 64 file patterns"));
		free(list[i]);
	}
	free(list);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static void test_errors(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m = NULL;
	Bulwark__V1__Rule *r;
	char err[256];

	add(rs, "file path /ok block");
	add(rs, "file path relative/x block policy=badpol");
	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
	assert_non_null(strstr(err, "c1"));
	assert_non_null(strstr(err, "rule 1"));
	assert_non_null(strstr(err, "badpol"));
	assert_non_null(strstr(err, "relative/x"));
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);

	cp = pol_new(1);
	rs = pol_ruleset(cp, 0, CG, "c2");
	r = pol_rule(rs, BULWARK__V1__OPERATION__OP_NETWORK,
		     BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL, "", BULWARK__V1__ACTION__ACTION_BLOCK,
		     "net");
	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "protocol"));
	pol_protocol(r, 2, 1, 6, "tcp");
	r->action = 42;
	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "action"));
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);

	/* Two rulesets for one cgroup. */
	cp = pol_new(1);
	pol_ruleset(cp, 0, CG, "a");
	pol_ruleset(cp, 0, CG, "b");
	assert_int_equal(bw_enf_maps_build(cp, &m, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "4242"));
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);

	assert_int_equal(bw_enf_maps_build(NULL, &m, err, sizeof(err)), -EINVAL);
	assert_null(m);
}

static int fake_inode(void *arg, uint64_t cg, const char *path, uint32_t *dev, uint64_t *ino)
{
	int *calls = arg;

	(*calls)++;
	if (cg != CG)
		return -ENOENT;
	if (!strcmp(path, "/secret.txt") || !strcmp(path, "/data/hardlink")) {
		*dev = 7;
		*ino = 100; /* the same file under two names */
		return 0;
	}
	if (!strcmp(path, "/bin/tool")) {
		*dev = 7;
		*ino = 200;
		return 0;
	}
	return -ENOENT;
}

static void test_inodes(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m = NULL;
	const struct bw_enf_entry *e;
	char err[128];
	int calls = 0;

	add(rs, "file path /secret.txt audit");
	add(rs, "file path /data/hardlink block");
	add(rs, "file path /missing block");
	add(rs, "file dir /etc/ block");
	add(rs, "file path /bin/tool block from=/bin/sh");
	add(rs, "process path /bin/tool block");
	assert_int_equal(bw_enf_maps_build_ex(cp, fake_inode, &calls, &m, err, sizeof(err)), 0);
	/* Only exact paths without fromSource are resolved. */
	assert_int_equal(calls, 4);
	e = find(m, CG, BW_ENF_K_FILE_INODE, 100, 7);
	assert_non_null(e);
	/* Two names of one file fold into one inode entry; Block wins. */
	assert_int_equal(e->val.deny.action, BW_ENF_A_BLOCK);
	assert_int_equal(e->val.deny.rule_id & 0xffff, 1);
	e = find(m, CG, BW_ENF_K_RULESET, 0, 0);
	assert_true(e->val.flags & BW_ENF_F_HAS_INODE(BW_ENF_OP_FILE));
	assert_true(e->val.flags & BW_ENF_F_HAS_INODE(BW_ENF_OP_PROCESS));
	e = find(m, CG, BW_ENF_K_PROC_INODE, 200, 7);
	assert_non_null(e);
	assert_int_equal(e->val.deny.rule_id & 0xffff, 5);
	assert_null(find(m, CG, BW_ENF_K_FILE_INODE, 200, 7));
	bw_enf_mapset_free(m);
	/* Without a resolver: no inode entries at all. */
	m = build(cp);
	for (size_t i = 0; i < m->n; i++)
		assert_true(m->entries[i].key.kind != BW_ENF_K_FILE_INODE &&
			    m->entries[i].key.kind != BW_ENF_K_PROC_INODE);
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

static struct bw_enforcer_alert fill(const struct bw_enf_event *ev,
				     const Bulwark__V1__CompiledPolicy *cur,
				     const Bulwark__V1__CompiledPolicy *prev, char *res, char *data)
{
	struct bw_enforcer_alert a;

	bw_enf_alert_fill(ev, cur, prev, &a, res, 600, data, 64);
	return a;
}

static void test_alerts(void **state)
{
	Bulwark__V1__CompiledPolicy *cur = pol_new(9), *prev = pol_new(8);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cur, 0, CG, "c1");
	Bulwark__V1__RuleSet *rsp = pol_ruleset(prev, 0, CG, "c1");
	struct bw_enf_event ev = {0};
	struct bw_enforcer_alert a;
	char res[600], data[64];

	add(rs, "file path /secret block policy=now");
	add(rsp, "file path /secret block policy=before");
	ev.version = 9;
	ev.rule_id = 1u << 16;
	ev.reason = BW_REASON_RULE_BLOCK;
	ev.op = BW_ENF_OP_FILE;
	ev.hook = BW_HOOK_FILE_OPEN;
	ev.cgroup_id = CG;
	ev.pid = 42;
	strcpy(ev.comm, "cat");
	strcpy(ev.path, "/secret");
	a = fill(&ev, cur, prev, res, data);
	assert_string_equal(a.operation, "File");
	assert_string_equal(a.resource, "/secret");
	assert_string_equal(a.data, "lsm=FILE_OPEN");
	assert_string_equal(a.enforcer, "BPFLSM");
	assert_string_equal(a.action, "Block");
	assert_string_equal(a.comm, "cat");
	assert_int_equal(a.blocked, 1);
	assert_int_equal(a.default_posture, 0);
	assert_int_equal(a.host, 0);
	assert_int_equal(a.host_pid, 42);
	assert_non_null(a.origin);
	assert_string_equal(a.origin->policy_name, "now");
	/* An alert raised just before a swap still names its rule. */
	ev.version = 8;
	a = fill(&ev, cur, prev, res, data);
	assert_non_null(a.origin);
	assert_string_equal(a.origin->policy_name, "before");
	ev.version = 7;
	assert_null(fill(&ev, cur, prev, res, data).origin);
	assert_null(fill(&ev, NULL, NULL, res, data).origin);

	ev.version = 9;
	ev.reason = BW_REASON_RULE_AUDIT;
	ev.flags = BW_ENF_EV_TRUNCATED | BW_ENF_EV_HOST;
	a = fill(&ev, cur, prev, res, data);
	assert_int_equal(a.blocked, 0);
	assert_string_equal(a.action, "Audit");
	assert_string_equal(a.resource, "/secret...");
	assert_int_equal(a.host, 1);

	ev.flags = 0;
	ev.reason = BW_REASON_POSTURE_BLOCK;
	ev.rule_id = BW_ENF_RULE_NONE;
	a = fill(&ev, cur, prev, res, data);
	assert_int_equal(a.default_posture, 1);
	assert_int_equal(a.blocked, 1);
	assert_string_equal(a.action, "Block");
	assert_null(a.origin);
	ev.reason = BW_REASON_UNRESOLVED_AUDIT;
	a = fill(&ev, cur, prev, res, data);
	assert_int_equal(a.default_posture, 1);
	assert_int_equal(a.blocked, 0);
	assert_string_equal(a.action, "Audit");

	ev.op = BW_ENF_OP_NETWORK;
	ev.hook = BW_HOOK_SOCKET_CONNECT;
	ev.family = 2;
	ev.type = 2;
	ev.protocol = 17;
	a = fill(&ev, cur, prev, res, data);
	assert_string_equal(a.operation, "Network");
	assert_string_equal(a.resource, "domain=AF_INET type=SOCK_DGRAM protocol=17");
	assert_string_equal(a.data, "lsm=SOCKET_CONNECT");
	ev.family = 99;
	ev.type = 9;
	assert_string_equal(fill(&ev, cur, prev, res, data).resource,
			    "domain=99 type=9 protocol=17");

	ev.op = BW_ENF_OP_CAPABILITY;
	ev.hook = BW_HOOK_CAPABLE;
	ev.cap = 13;
	a = fill(&ev, cur, prev, res, data);
	assert_string_equal(a.operation, "Capabilities");
	assert_string_equal(a.resource, "CAP_NET_RAW");
	ev.cap = 99;
	assert_string_equal(fill(&ev, cur, prev, res, data).resource, "CAP_99");
	assert_string_equal(bw_enf_hook_name(0), "UNKNOWN");
	assert_string_equal(bw_enf_hook_name(BW_HOOK_BPRM_CHECK), "BPRM_CHECK");
	assert_null(bw_cap_name(64));
	bulwark__v1__compiled_policy__free_unpacked(cur, NULL);
	bulwark__v1__compiled_policy__free_unpacked(prev, NULL);
}

static void test_many_rules(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(1);
	Bulwark__V1__RuleSet *rs = pol_ruleset(cp, 0, CG, "c1");
	struct bw_enf_mapset *m;
	char path[64];

	for (int i = 0; i < 10000; i++) {
		snprintf(path, sizeof(path), "/data/d%d/f%d", i % 100, i);
		pol_rule(rs, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH,
			 path, BULWARK__V1__ACTION__ACTION_BLOCK, "many");
	}
	m = build(cp);
	assert_int_equal(m->n, 10001);
	for (size_t i = 1; i < m->n; i++)
		assert_true(memcmp(&m->entries[i - 1].key, &m->entries[i].key,
				   sizeof(struct bw_enf_key)) != 0);
	assert_non_null(find(m, CG, BW_ENF_K_FILE_PATH, h("/data/d42/f9942"), 0));
	bw_enf_mapset_free(m);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_hash),
	    cmocka_unit_test(test_basic_kinds),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_sources),
	    cmocka_unit_test(test_allowlist_posture),
	    cmocka_unit_test(test_unenforced),
	    cmocka_unit_test(test_glob),
	    cmocka_unit_test(test_glob_bounds),
	    cmocka_unit_test(test_patterns),
	    cmocka_unit_test(test_patterns_cap),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_many_rules),
	    cmocka_unit_test(test_inodes),
	    cmocka_unit_test(test_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
