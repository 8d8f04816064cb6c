/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CompiledPolicy -> BPF-LSM rule map entries.  Every rule becomes one entry
 * per fromSource (or one with source 0); entries with the same key are
 * merged into one value with a deny slot (Block/Audit) and an allow slot, so
 * the kernel does a fixed number of lookups per path level.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_array.h"
#include "enforce_priv.h"
#include "bw_caps.h"
#include "enforce_maps.h"
#include "events.h"
#include "bw_enf_hash.h"
#include "bw_reason.h"
#include "bw_enf_glob.h"

#define RULESET_MAX 0xffff
#define RULE_MAX 0xffff

struct builder {
	struct bw_enf_mapset *m;
	bw_enf_inode_fn resolve;
	void *resolve_arg;
	size_t cap;
	char *err;
	size_t errlen;
};

struct src_entry {
	uint32_t kind;
	uint64_t hash;
	uint32_t id;
};

/* A pattern rule waiting for its index (Block first, then rule order). */
struct pat_entry {
	uint32_t op; /* BW_ENF_OP_PROCESS or BW_ENF_OP_FILE */
	uint32_t src;
	uint32_t ri;
	struct bw_enf_val val; /* the verdict */
};

_Static_assert(sizeof(struct bw_enf_val) == BW_ENF_PATTERN_CHUNK,
	       "pattern text chunks ride in rule map values");

int bw_enf_glob_match(const char *pattern, const char *path)
{
	static char txt[BW_ENF_PATH_BUF];
	char pat[BW_ENF_PATTERN_MAX];
	size_t plen = strlen(pattern), tlen = strlen(path);
	struct bw_glob_state g;

	if (plen >= BW_ENF_PATTERN_MAX || tlen >= BW_ENF_PATH_BUF)
		return -E2BIG;
	memcpy(pat, pattern, plen);
	memcpy(txt, path, tlen);
	bw_glob_init(&g);
	for (uint32_t i = 0; i < BW_ENF_GLOB_STEPS; i++) {
		int r = bw_glob_step(&g, pat, (__u32)plen, txt, (__u32)tlen);

		if (r != BW_GLOB_MORE)
			return r == BW_GLOB_MATCH;
	}
	return -E2BIG;
}

int bw_enf_pattern_check(const char *pattern, char *why, size_t whylen)
{
	size_t len = pattern ? strlen(pattern) : 0;

	if (!pattern || pattern[0] != '/') {
		snprintf(why, whylen, "must start with '/'");
		return -EINVAL;
	}
	if (len >= BW_ENF_PATTERN_MAX) {
		snprintf(why, whylen, "is %zu bytes; the kernel matcher takes at most %d", len,
			 BW_ENF_PATTERN_MAX - 1);
		return -E2BIG;
	}
	for (const char *q = pattern; *q; q++) {
		if (strchr("[]{}^\\", *q)) {
			snprintf(why, whylen, "uses '%c'; the kernel matcher knows only '*', '**', '?'",
				 *q);
			return -EINVAL;
		}
		if (q[0] == '*' && q[1] == '*' && q[2] == '*') {
			snprintf(why, whylen, "has '***'");
			return -EINVAL;
		}
	}
	return 0;
}

int bw_enf_path_hash(const char *path, uint64_t *out)
{
	uint64_t h = BW_FNV_BASIS;
	const char *p = path;

	if (!path || path[0] != '/')
		return -EINVAL;
	while (*p) {
		const char *start, *end;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		end = p;
		if ((end - start == 1 && start[0] == '.') ||
		    (end - start == 2 && start[0] == '.' && start[1] == '.'))
			return -EINVAL;
		if (end - start > 255)
			return -ENAMETOOLONG;
		h = bw_fnv_byte(h, '/');
		for (const char *c = start; c < end; c++)
			h = bw_fnv_byte(h, (unsigned char)*c);
	}
	*out = h;
	return 0;
}

uint64_t bw_enf_name_hash(const char *name)
{
	uint64_t h = BW_FNV_BASIS;

	for (const char *c = name; *c; c++)
		h = bw_fnv_byte(h, (unsigned char)*c);
	return h;
}

static int key_cmp(const struct bw_enf_key *a, const struct bw_enf_key *b)
{
	if (a->cgroup_id != b->cgroup_id)
		return a->cgroup_id < b->cgroup_id ? -1 : 1;
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->hash != b->hash)
		return a->hash < b->hash ? -1 : 1;
	if (a->src != b->src)
		return a->src < b->src ? -1 : 1;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct bw_enf_entry *x = a, *y = b;
	int c = key_cmp(&x->key, &y->key);

	if (c)
		return c;
	/* Stable for equal keys: merge keeps the earliest rule first. */
	return x->val.index < y->val.index ? -1 : x->val.index > y->val.index;
}

static int fail(struct builder *b, int rc, const char *fmt, ...)
{
	va_list ap;

	if (b->err && b->errlen) {
		va_start(ap, fmt);
		vsnprintf(b->err, b->errlen, fmt, ap);
		va_end(ap);
	}
	return rc;
}

static int push(struct builder *b, const struct bw_enf_entry *e)
{
	struct bw_enf_mapset *m = b->m;

	if (BW_GROW(m->entries, b->cap, m->n + 1))
		return -ENOMEM;
	m->entries[m->n++] = *e;
	return 0;
}

static int unenforced(struct builder *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bw_unenforced_vadd(&b->m->unenforced, &b->m->n_unenforced, fmt, ap);
	va_end(ap);
	return rc;
}

static const char *rs_name(const Bulwark__V1__RuleSet *rs)
{
	return rs->container_id && rs->container_id[0] ? rs->container_id : "host";
}

static const char *rule_policy(const Bulwark__V1__Rule *r)
{
	return r->origin && r->origin->policy_name ? r->origin->policy_name : "?";
}

/* Kind and hash of a path/dir/execname match, or 1 when not enforceable. */
static int path_key(struct builder *b, const Bulwark__V1__RuleSet *rs, size_t ri,
		    const Bulwark__V1__Rule *r, uint32_t *kind, uint64_t *hash)
{
	uint32_t base = r->operation == BULWARK__V1__OPERATION__OP_PROCESS ? BW_ENF_K_PROC_PATH
									   : BW_ENF_K_FILE_PATH;
	int rc;

	switch (r->match) {
	case BULWARK__V1__MATCH_KIND__MATCH_PATH:
		*kind = base;
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_DIR:
		*kind = base + 1;
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE:
		*kind = base + 2;
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_EXECNAME:
		if (r->operation != BULWARK__V1__OPERATION__OP_PROCESS || !r->value ||
		    !r->value[0] || strchr(r->value, '/'))
			return fail(b, -EINVAL,
				    "ruleset %s rule %zu (policy %s): bad execname '%s'",
				    rs_name(rs), ri, rule_policy(r), r->value ? r->value : "");
		*kind = BW_ENF_K_PROC_NAME;
		*hash = bw_enf_name_hash(r->value);
		return 0;
	case BULWARK__V1__MATCH_KIND__MATCH_PATTERN: {
		char why[128];

		/* The compiler only marks kernel-evaluable patterns as not
		 * needing AppArmor; a hand-made policy may still carry others. */
		if (bw_enf_pattern_check(r->value, why, sizeof(why))) {
			rc = unenforced(b,
					"ruleset %s rule %zu (policy %s): pattern '%s' %s: not "
					"enforced by BPF-LSM",
					rs_name(rs), ri, rule_policy(r), r->value ? r->value : "",
					why);
			return rc ? rc : 1;
		}
		*kind = base == BW_ENF_K_PROC_PATH ? BW_ENF_K_PROC_PATTERN : BW_ENF_K_FILE_PATTERN;
		*hash = 0;
		return 0;
	}
	default:
		return fail(
		    b, -EINVAL,
		    "ruleset %s rule %zu (policy %s): match kind %d is not valid for %s rules",
		    rs_name(rs), ri, rule_policy(r), r->match,
		    base == BW_ENF_K_PROC_PATH ? "process" : "file");
	}
	rc = bw_enf_path_hash(r->value, hash);
	if (rc)
		return fail(
		    b, rc,
		    "ruleset %s rule %zu (policy %s): path '%s' is not absolute and normalised",
		    rs_name(rs), ri, rule_policy(r), r->value ? r->value : "");
	return 0;
}

/* Source ids of this ruleset: one per distinct (kind, hash), from 1. */
static int source_id(struct builder *b, struct src_entry **srcs, size_t *n_srcs,
		     const Bulwark__V1__Source *s, uint32_t *id, const char *where)
{
	uint32_t kind = s->recursive ? BW_ENF_K_SRC_REC
			: s->dir     ? BW_ENF_K_SRC_DIR
				     : BW_ENF_K_SRC_PATH;
	uint64_t h;
	struct src_entry *n;
	int rc = bw_enf_path_hash(s->path, &h);

	if (rc)
		return fail(b, rc, "%s: fromSource '%s' is not an absolute normalised path", where,
			    s->path ? s->path : "");
	for (size_t i = 0; i < *n_srcs; i++) {
		if ((*srcs)[i].kind == kind && (*srcs)[i].hash == h) {
			*id = (*srcs)[i].id;
			return 0;
		}
	}
	n = realloc(*srcs, (*n_srcs + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	*srcs = n;
	n[*n_srcs] = (struct src_entry){.kind = kind, .hash = h, .id = (uint32_t)*n_srcs + 1};
	*id = (uint32_t)++ * n_srcs;
	return 0;
}

struct pat_list {
	struct pat_entry *v;
	size_t n;
};

static int pat_push(struct pat_list *pl, const struct pat_entry *pe)
{
	struct pat_entry *n = realloc(pl->v, (pl->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	pl->v = n;
	pl->v[pl->n++] = *pe;
	return 0;
}

static int add_rule(struct builder *b, const Bulwark__V1__RuleSet *rs, uint32_t rs_idx, size_t ri,
		    struct src_entry **srcs, size_t *n_srcs, uint32_t *flags, struct pat_list *pats)
{
	const Bulwark__V1__Rule *r = rs->rules[ri];
	struct bw_enf_entry e = {0};
	struct bw_enf_verdict v = {.present = 1};
	uint32_t op, kind = 0;
	uint64_t hash = 0;
	char where[160];
	int rc;

	snprintf(where, sizeof(where), "ruleset %s rule %zu (policy %s)", rs_name(rs), ri,
		 rule_policy(r));
	if (r->needs_apparmor)
		return unenforced(b, "%s: needs AppArmor", where);
	e.key.cgroup_id = rs->cgroup_id;
	switch (r->operation) {
	case BULWARK__V1__OPERATION__OP_PROCESS:
	case BULWARK__V1__OPERATION__OP_FILE:
		op = r->operation == BULWARK__V1__OPERATION__OP_PROCESS ? BW_ENF_OP_PROCESS
									: BW_ENF_OP_FILE;
		rc = path_key(b, rs, ri, r, &kind, &hash);
		if (rc)
			return rc > 0 ? 0 : rc;
		e.key.kind = kind;
		e.key.hash = hash;
		break;
	case BULWARK__V1__OPERATION__OP_NETWORK:
		op = BW_ENF_OP_NETWORK;
		if (r->match != BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL || !r->protocol)
			return fail(b, -EINVAL, "%s: network rule without a protocol", where);
		e.key.kind = BW_ENF_K_NET;
		e.key.hash =
		    bw_enf_net_hash(r->protocol->family, r->protocol->type, r->protocol->protocol);
		break;
	case BULWARK__V1__OPERATION__OP_CAPABILITY:
		op = BW_ENF_OP_CAPABILITY;
		if (r->match != BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY || r->capability > 63)
			return fail(b, -EINVAL, "%s: capability rule with capability %u", where,
				    r->capability);
		e.key.kind = BW_ENF_K_CAP;
		e.key.hash = r->capability;
		break;
	case BULWARK__V1__OPERATION__OP_SYSCALL:
		return unenforced(b, "%s: syscall rules are not enforced by BPF-LSM", where);
	default:
		return fail(b, -EINVAL, "%s: unknown operation %d", where, r->operation);
	}
	if (r->action != BULWARK__V1__ACTION__ACTION_BLOCK &&
	    r->action != BULWARK__V1__ACTION__ACTION_AUDIT &&
	    r->action != BULWARK__V1__ACTION__ACTION_ALLOW)
		return fail(b, -EINVAL, "%s: unknown action %d", where, r->action);
	v.rule_id = (rs_idx << 16) | (uint32_t)ri;
	v.action = r->action == BULWARK__V1__ACTION__ACTION_BLOCK   ? BW_ENF_A_BLOCK
		   : r->action == BULWARK__V1__ACTION__ACTION_AUDIT ? BW_ENF_A_AUDIT
								    : BW_ENF_A_ALLOW;
	v.cond =
	    (r->owner_only ? BW_ENF_C_OWNER_ONLY : 0) | (r->read_only ? BW_ENF_C_READ_ONLY : 0);
	if (v.action == BW_ENF_A_ALLOW)
		e.val.allow = v;
	else
		e.val.deny = v;
	/* Remember the rule order for deterministic merging. */
	e.val.index = (uint32_t)ri;
	*flags |= BW_ENF_F_HAS_RULES(op);
	if (kind == BW_ENF_K_PROC_PATTERN || kind == BW_ENF_K_FILE_PATTERN) {
		/* Indexed per ruleset once all are known (add_patterns). */
		struct pat_entry pe = {.op = op, .ri = (uint32_t)ri, .val = e.val};

		*flags |= BW_ENF_F_HAS_PATTERN(op);
		if (r->n_from_source == 0)
			return pat_push(pats, &pe);
		*flags |= BW_ENF_F_HAS_SOURCES;
		for (size_t i = 0; i < r->n_from_source; i++) {
			rc = source_id(b, srcs, n_srcs, r->from_source[i], &pe.src, where);
			if (rc)
				return rc;
			rc = pat_push(pats, &pe);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (e.key.kind == BW_ENF_K_PROC_DIR || e.key.kind == BW_ENF_K_FILE_DIR)
		*flags |= BW_ENF_F_HAS_DIR(op);
	else if (e.key.kind == BW_ENF_K_PROC_REC || e.key.kind == BW_ENF_K_FILE_REC)
		*flags |= BW_ENF_F_HAS_REC(op);
	else if (e.key.kind == BW_ENF_K_PROC_NAME)
		*flags |= BW_ENF_F_HAS_NAME;
	if (r->n_from_source == 0) {
		uint32_t dev;
		uint64_t ino;

		rc = push(b, &e);
		if (rc || !b->resolve || r->match != BULWARK__V1__MATCH_KIND__MATCH_PATH ||
		    b->resolve(b->resolve_arg, rs->cgroup_id, r->value, &dev, &ino))
			return rc;
		*flags |= BW_ENF_F_HAS_INODE(op);
		e.key.kind = op == BW_ENF_OP_PROCESS ? BW_ENF_K_PROC_INODE : BW_ENF_K_FILE_INODE;
		e.key.hash = ino;
		e.key.src = dev;
		return push(b, &e);
	}
	*flags |= BW_ENF_F_HAS_SOURCES;
	for (size_t i = 0; i < r->n_from_source; i++) {
		uint32_t sid = 0;

		rc = source_id(b, srcs, n_srcs, r->from_source[i], &sid, where);
		if (rc)
			return rc;
		e.key.src = sid;
		rc = push(b, &e);
		if (rc)
			return rc;
	}
	return 0;
}

static int pat_rank(const struct pat_entry *p)
{
	if (p->val.deny.present)
		return p->val.deny.action == BW_ENF_A_BLOCK ? 0 : 1;
	return 2;
}

static int pat_cmp(const void *a, const void *b)
{
	const struct pat_entry *x = a, *y = b;
	int rx = pat_rank(x), ry = pat_rank(y);

	if (rx != ry)
		return rx - ry;
	if (x->ri != y->ri)
		return x->ri < y->ri ? -1 : 1;
	return x->src < y->src ? -1 : x->src > y->src;
}

/* Header and text entries of each pattern (layout in bw_enf_types.h). */
static int add_patterns(struct builder *b, const Bulwark__V1__RuleSet *rs, struct pat_list *pl)
{
	uint32_t next[2] = {0, 0};

	qsort(pl->v, pl->n, sizeof(pl->v[0]), pat_cmp);
	for (size_t i = 0; i < pl->n; i++) {
		const struct pat_entry *pe = &pl->v[i];
		const Bulwark__V1__Rule *r = rs->rules[pe->ri];
		size_t len = strlen(r->value);
		struct bw_enf_entry e = {0};
		uint32_t idx;
		int rc;

		if (next[pe->op] >= BW_ENF_MAX_PATTERNS) {
			rc = unenforced(b,
					"ruleset %s rule %u (policy %s): pattern '%s' not enforced "
					"by BPF-LSM: more than %d %s patterns in one ruleset",
					rs_name(rs), pe->ri, rule_policy(r), r->value,
					BW_ENF_MAX_PATTERNS, pe->op ? "file" : "process");
			if (rc)
				return rc;
			continue;
		}
		idx = next[pe->op]++;
		e.key.cgroup_id = rs->cgroup_id;
		e.key.kind = pe->op == BW_ENF_OP_PROCESS ? BW_ENF_K_PROC_PATTERN
							 : BW_ENF_K_FILE_PATTERN;
		e.key.hash = (uint64_t)idx << 8;
		e.val.deny = pe->val.deny;
		e.val.allow = pe->val.allow;
		e.val.index = pe->src;
		e.val.version = len;
		rc = push(b, &e);
		for (size_t c = 0; !rc && c * BW_ENF_PATTERN_CHUNK < len; c++) {
			size_t n = len - c * BW_ENF_PATTERN_CHUNK;

			memset(&e.val, 0, sizeof(e.val));
			memcpy(&e.val, r->value + c * BW_ENF_PATTERN_CHUNK,
			       n < BW_ENF_PATTERN_CHUNK ? n : BW_ENF_PATTERN_CHUNK);
			e.key.hash = ((uint64_t)idx << 8) | (c + 1);
			rc = push(b, &e);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int add_ruleset(struct builder *b, const Bulwark__V1__CompiledPolicy *cp,
		       const Bulwark__V1__RuleSet *rs, uint32_t rs_idx)
{
	struct bw_enf_entry e = {0};
	struct src_entry *srcs = NULL;
	struct pat_list pats = {0};
	size_t n_srcs = 0;
	uint32_t flags = 0;
	int rc = 0;

	if (rs->n_rules > RULE_MAX) {
		rc = fail(b, -E2BIG, "ruleset %s has %zu rules; at most %d", rs_name(rs),
			  rs->n_rules, RULE_MAX);
		goto cleanup;
	}
	for (size_t i = 0; i < rs->n_rules; i++) {
		if (!rs->rules[i]) {
			rc = fail(b, -EINVAL, "ruleset %s rule %zu is empty", rs_name(rs), i);
			goto cleanup;
		}
		rc = add_rule(b, rs, rs_idx, i, &srcs, &n_srcs, &flags, &pats);
		if (rc)
			goto cleanup;
	}
	rc = add_patterns(b, rs, &pats);
	if (rc)
		goto cleanup;
	for (size_t i = 0; i < n_srcs; i++) {
		struct bw_enf_entry se = {0};

		se.key = (struct bw_enf_key){
		    .cgroup_id = rs->cgroup_id, .hash = srcs[i].hash, .kind = srcs[i].kind};
		se.val.index = srcs[i].id;
		rc = push(b, &se);
		if (rc)
			goto cleanup;
	}
	if (rs->process_allowlist)
		flags |=
		    BW_ENF_F_ALLOWLIST(BW_ENF_OP_PROCESS) | BW_ENF_F_HAS_RULES(BW_ENF_OP_PROCESS);
	if (rs->file_allowlist)
		flags |= BW_ENF_F_ALLOWLIST(BW_ENF_OP_FILE) | BW_ENF_F_HAS_RULES(BW_ENF_OP_FILE);
	if (rs->network_allowlist)
		flags |=
		    BW_ENF_F_ALLOWLIST(BW_ENF_OP_NETWORK) | BW_ENF_F_HAS_RULES(BW_ENF_OP_NETWORK);
	if (rs->capability_allowlist)
		flags |= BW_ENF_F_ALLOWLIST(BW_ENF_OP_CAPABILITY) |
			 BW_ENF_F_HAS_RULES(BW_ENF_OP_CAPABILITY);
	/* Process follows the file posture (KubeArmor). */
	if (rs->file_posture == BULWARK__V1__POSTURE__POSTURE_BLOCK)
		flags |= BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_PROCESS) |
			 BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_FILE);
	if (rs->network_posture == BULWARK__V1__POSTURE__POSTURE_BLOCK)
		flags |= BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_NETWORK);
	if (rs->capability_posture == BULWARK__V1__POSTURE__POSTURE_BLOCK)
		flags |= BW_ENF_F_POSTURE_BLOCK(BW_ENF_OP_CAPABILITY);
	e.key = (struct bw_enf_key){.cgroup_id = rs->cgroup_id, .kind = BW_ENF_K_RULESET};
	e.val.version = cp->version;
	e.val.flags = flags;
	e.val.index = rs_idx;
	rc = push(b, &e);
cleanup:
	free(srcs);
	free(pats.v);
	return rc;
}

/* Sorts and folds entries with equal keys into one value. */
static int merge(struct builder *b)
{
	struct bw_enf_mapset *m = b->m;
	size_t out = 0;

	if (m->n == 0)
		return 0;
	qsort(m->entries, m->n, sizeof(m->entries[0]), entry_cmp);
	for (size_t i = 1; i < m->n; i++) {
		struct bw_enf_entry *d = &m->entries[out];
		const struct bw_enf_entry *s = &m->entries[i];

		if (key_cmp(&d->key, &s->key) != 0) {
			m->entries[++out] = *s;
			continue;
		}
		if (d->key.kind == BW_ENF_K_RULESET)
			return fail(b, -EINVAL, "two rulesets for cgroup %llu",
				    (unsigned long long)d->key.cgroup_id);
		/* Block beats Audit; among equals the unconditional (wider)
		 * rule wins, then the earlier one. */
		if (s->val.deny.present && (!d->val.deny.present ||
					    (d->val.deny.action == BW_ENF_A_AUDIT &&
					     s->val.deny.action == BW_ENF_A_BLOCK) ||
					    (d->val.deny.action == s->val.deny.action &&
					     d->val.deny.cond && !s->val.deny.cond)))
			d->val.deny = s->val.deny;
		if (s->val.allow.present &&
		    (!d->val.allow.present || (d->val.allow.cond && !s->val.allow.cond)))
			d->val.allow = s->val.allow;
	}
	m->n = out + 1;
	/* index was the merge order of rule entries; only rulesets and sources keep it. */
	for (size_t i = 0; i < m->n; i++) {
		uint32_t k = m->entries[i].key.kind;

		if (k != BW_ENF_K_RULESET && k != BW_ENF_K_SRC_PATH && k != BW_ENF_K_SRC_DIR &&
		    k != BW_ENF_K_SRC_REC && k != BW_ENF_K_PROC_PATTERN &&
		    k != BW_ENF_K_FILE_PATTERN)
			m->entries[i].val.index = 0;
	}
	return 0;
}

int bw_enf_maps_build(const Bulwark__V1__CompiledPolicy *cp, struct bw_enf_mapset **out, char *err,
		      size_t errlen)
{
	return bw_enf_maps_build_ex(cp, NULL, NULL, out, err, errlen);
}

int bw_enf_maps_build_ex(const Bulwark__V1__CompiledPolicy *cp, bw_enf_inode_fn resolve,
			 void *resolve_arg, struct bw_enf_mapset **out, char *err, size_t errlen)
{
	struct bw_enf_mapset *m = calloc(1, sizeof(*m));
	struct builder b = {
	    .m = m, .err = err, .errlen = errlen, .resolve = resolve, .resolve_arg = resolve_arg};
	int rc = 0;

	if (err && errlen)
		err[0] = 0;
	if (!m)
		return -ENOMEM;
	if (!cp) {
		rc = fail(&b, -EINVAL, "no compiled policy");
		goto cleanup;
	}
	if (cp->n_containers + 1 > RULESET_MAX) {
		rc = fail(&b, -E2BIG, "%zu container rulesets; at most %d", cp->n_containers,
			  RULESET_MAX - 1);
		goto cleanup;
	}
	if (cp->host) {
		if (cp->host->cgroup_id != 0) {
			rc = fail(&b, -EINVAL, "host ruleset has cgroup id %llu; must be 0",
				  (unsigned long long)cp->host->cgroup_id);
			goto cleanup;
		}
		rc = add_ruleset(&b, cp, cp->host, 0);
		if (rc)
			goto cleanup;
	}
	for (size_t i = 0; i < cp->n_containers; i++) {
		const Bulwark__V1__RuleSet *rs = cp->containers[i];

		if (!rs || rs->cgroup_id == 0) {
			/* A container not started yet has no cgroup: nothing to key on. */
			if (rs)
				rc = unenforced(
				    &b,
				    "ruleset %s: no cgroup id yet; rules wait for the container",
				    rs_name(rs));
			if (rc)
				goto cleanup;
			continue;
		}
		rc = add_ruleset(&b, cp, rs, (uint32_t)i + 1);
		if (rc)
			goto cleanup;
	}
	rc = merge(&b);
cleanup:
	if (rc) {
		bw_enf_mapset_free(m);
		return rc == -ENOMEM && err && errlen && !err[0]
			   ? (snprintf(err, errlen, "out of memory"), rc)
			   : rc;
	}
	*out = m;
	return 0;
}

void bw_enf_mapset_free(struct bw_enf_mapset *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n_unenforced; i++)
		free(m->unenforced[i]);
	free(m->unenforced);
	free(m->entries);
	free(m);
}

void bw_enf_mapset_take_unenforced(struct bw_enf_mapset *m, char ***list, size_t *n)
{
	*list = m->unenforced;
	*n = m->n_unenforced;
	m->unenforced = NULL;
	m->n_unenforced = 0;
}

const struct bw_enf_entry *bw_enf_mapset_find(const struct bw_enf_mapset *m,
					      const struct bw_enf_key *key)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = key_cmp(&m->entries[mid].key, key);

		if (c == 0)
			return &m->entries[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const Bulwark__V1__Rule *bw_enf_rule_lookup(const Bulwark__V1__CompiledPolicy *cp, uint32_t rule_id,
					    const Bulwark__V1__RuleSet **rs_out)
{
	uint32_t rsi = rule_id >> 16, ri = rule_id & 0xffff;
	const Bulwark__V1__RuleSet *rs;

	if (!cp || rule_id == BW_ENF_RULE_NONE)
		return NULL;
	if (rsi == 0)
		rs = cp->host;
	else if (rsi - 1 < cp->n_containers)
		rs = cp->containers[rsi - 1];
	else
		return NULL;
	if (!rs || ri >= rs->n_rules)
		return NULL;
	if (rs_out)
		*rs_out = rs;
	return rs->rules[ri];
}

/* ---- alerts ------------------------------------------------------------- */

static const char *const hook_names[BW_HOOK__MAX] = {
    [BW_HOOK_BPRM_CHECK] = "BPRM_CHECK",
    [BW_HOOK_FILE_OPEN] = "FILE_OPEN",
    [BW_HOOK_FILE_PERMISSION] = "FILE_PERMISSION",
    [BW_HOOK_SOCKET_CREATE] = "SOCKET_CREATE",
    [BW_HOOK_SOCKET_BIND] = "SOCKET_BIND",
    [BW_HOOK_SOCKET_LISTEN] = "SOCKET_LISTEN",
    [BW_HOOK_SOCKET_ACCEPT] = "SOCKET_ACCEPT",
    [BW_HOOK_SOCKET_CONNECT] = "SOCKET_CONNECT",
    [BW_HOOK_CAPABLE] = "CAPABLE",
};

const char *bw_enf_hook_name(uint32_t hook)
{
	return hook < BW_HOOK__MAX && hook_names[hook] ? hook_names[hook] : "UNKNOWN";
}

void bw_enf_alert_fill(const struct bw_enf_event *ev, const Bulwark__V1__CompiledPolicy *cur,
		       const Bulwark__V1__CompiledPolicy *prev, struct bw_enforcer_alert *out,
		       char *resource, size_t resource_len, char *dataf, size_t data_len)
{
	struct bw_enforcer_alert a = {0};
	const Bulwark__V1__Rule *rule = NULL;
	static const char *const ops[] = {"Process", "File", "Network", "Capabilities"};
	a.ts_boot_ns = ev->ts_boot_ns;
	a.cgroup_id = ev->cgroup_id;
	a.host_pid = ev->pid;
	a.host_tid = ev->tid;
	a.host_ppid = ev->ppid;
	a.uid = ev->uid;
	memcpy(a.comm, ev->comm, sizeof(a.comm));
	a.comm[sizeof(a.comm) - 1] = 0;
	a.operation = ev->op < 4 ? ops[ev->op] : "Unknown";
	if (ev->op == BW_ENF_OP_NETWORK) {
		bw_fmt_socket(ev->family, ev->type, ev->protocol, resource, resource_len);
	} else if (ev->op == BW_ENF_OP_CAPABILITY) {
		const char *c = bw_cap_name((unsigned)ev->cap);

		if (c)
			snprintf(resource, resource_len, "%s", c);
		else
			snprintf(resource, resource_len, "CAP_%d", ev->cap);
	} else {
		snprintf(resource, resource_len, "%.*s%s", (int)strnlen(ev->path, BW_ENF_PATH_MAX),
			 ev->path, ev->flags & BW_ENF_EV_TRUNCATED ? "..." : "");
	}
	a.resource = resource;
	snprintf(dataf, data_len, "lsm=%s", bw_enf_hook_name(ev->hook));
	a.data = dataf;
	a.enforcer = "BPFLSM";
	a.host = !!(ev->flags & BW_ENF_EV_HOST);
	switch (ev->reason) {
	case BW_REASON_RULE_BLOCK:
	case BW_REASON_RULE_AUDIT:
		a.blocked = ev->reason == BW_REASON_RULE_BLOCK;
		if (cur && cur->version == ev->version)
			rule = bw_enf_rule_lookup(cur, ev->rule_id, NULL);
		else if (prev && prev->version == ev->version)
			rule = bw_enf_rule_lookup(prev, ev->rule_id, NULL);
		a.origin = rule ? rule->origin : NULL;
		a.action = a.blocked ? "Block" : "Audit";
		break;
	case BW_REASON_POSTURE_BLOCK:
	case BW_REASON_UNRESOLVED_BLOCK:
		a.blocked = 1;
		a.default_posture = 1;
		a.action = "Block";
		break;
	default:
		a.default_posture = 1;
		a.action = "Audit";
		break;
	}
	*out = a;
}
