/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Incremental compiling.  A container's rule set depends on the container
 * itself, the policy lists of its namespace it is checked against, the
 * cluster policies and its namespace's postures.  Every one of those
 * carries a generation from one process-wide counter, so the maximum of
 * them (dep_of) grows whenever any input does:
 * a cached rule set is reused while that maximum is unchanged.  A policy
 * change thus recompiles only the containers that carry its first label
 * (or its namespace's, for a policy without matchLabels; every container
 * for a cluster policy), a container change that container.
 *
 * Memory matters as much as time here (100,000 containers per controller):
 * an entry is 32 bytes, and a rule set no policy contributes to (most of
 * them) is not kept at all but rebuilt from the inventory when the node's
 * output is assembled.  The others are kept packed: a few hundred bytes
 * instead of the unpacked message's many small allocations (about 1.5 KiB
 * for two rules), and bw_compiler_node_packed copies them into the node's
 * output as they are, so a fan-out encodes only the bare rule sets.  Only
 * the latest output is kept.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"
#include "sha256.h"

#include "compiler_int.h"

static void memo_reset(struct bw_compiler *c)
{
	for (unsigned i = 0; i < c->n_memo; i++) {
		free(c->memo[i].rest);
		free(c->memo[i].labels);
	}
	c->n_memo = 0;
	c->memo_next = 0;
}

/* A bare body leaves the name label out, so containers that differ only in
 * their names (often unique) share it: the name label is not part of the
 * key. */
static size_t label_hash(const struct inv_container *ic)
{
	uintptr_t h = (uintptr_t)ic->ns;

	for (size_t i = 0; i < ic->n_labels; i++)
		if (!ic->labels[i]->name_label)
			h = h * 31 + ((uintptr_t)ic->labels[i] >> 4);
	return (size_t)(h ^ (h >> 17)) % (BARE_MEMO / BARE_WAYS);
}

static bool same_body_labels(struct inv_label *const *a, size_t na, struct inv_label *const *b,
			     size_t nb)
{
	size_t i = 0, j = 0;

	for (;;) {
		while (i < na && a[i]->name_label)
			i++;
		while (j < nb && b[j]->name_label)
			j++;
		if (i == na || j == nb)
			return i == na && j == nb;
		if (a[i++] != b[j++])
			return false;
	}
}

const struct bare_memo *bw_compiler_bare_body(struct bw_compiler *c,
					      const struct bw_inventory *inv,
					      const struct inv_container *ic)
{
	size_t set = label_hash(ic);
	struct bare_memo *m = &c->bare_memo[set * BARE_WAYS];
	const struct inv_posture *pos;
	const Bulwark__V1__Visibility *vis;
	struct bw_sha256 h;
	size_t len;

	for (unsigned w = 0; w < BARE_WAYS; w++, m++)
		if (m->ns == ic->ns && m->inv == inv && m->epoch == inv->intern_epoch &&
		    m->posture_gen == m->pos->gen &&
		    same_body_labels(m->labels, m->n_labels, ic->labels, ic->n_labels))
			return m;
	/* A miss replaces the ways in turn. */
	m = &c->bare_memo[set * BARE_WAYS + c->bare_victim[set]++ % BARE_WAYS];
	pos = bw_inventory_posture(inv, ic->ns);
	m->ns = NULL; /* until filled */
	if (ic->n_labels > m->cap_labels) {
		struct inv_label **nl = realloc(m->labels, ic->n_labels * sizeof(*nl));

		if (!nl)
			return NULL;
		m->labels = nl;
		m->cap_labels = ic->n_labels;
	}
	m->n_labels = 0;
	for (size_t i = 0; i < ic->n_labels; i++)
		if (!ic->labels[i]->name_label)
			m->labels[m->n_labels++] = ic->labels[i];
	vis = bw_inventory_visibility(inv, ic->ns);
	len = bw_pack_bare_body(pos, vis, ic, NULL);
	if (len > m->cap) {
		uint8_t *nb = realloc(m->body, len);

		if (!nb)
			return NULL;
		m->body = nb;
		m->cap = len;
	}
	bw_pack_bare_body(pos, vis, ic, m->body);
	m->len = len;
	bw_sha256_init(&h);
	bw_sha256_update(&h, m->body, len);
	bw_sha256_final(&h, m->digest);
	m->ns = ic->ns;
	m->inv = inv;
	m->epoch = inv->intern_epoch;
	m->pos = pos;
	m->posture_gen = pos->gen;
	return m;
}

size_t bw_ruleset_body_offset(const uint8_t *packed, size_t len)
{
	size_t o = 0, k;
	uint64_t v;

	if (o < len && packed[o] == 0x0a) { /* container_id */
		k = bw_pb_get_varint(packed + o + 1, len - o - 1, &v);
		if (!k || v > len - o - 1 - k)
			return len;
		o += 1 + k + (size_t)v;
	}
	if (o < len && packed[o] == 0x10) { /* cgroup_id */
		if (!(k = bw_pb_get_varint(packed + o + 1, len - o - 1, &v)))
			return len;
		o += 1 + k;
	}
	return o;
}

int bw_compiler_new(struct bw_compiler **out)
{
	struct bw_compiler *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	bw_strmap_init(&c->nodes);
	*out = c;
	return 0;
}

static void ruleset_free(Bulwark__V1__RuleSet *rs)
{
	if (rs)
		protobuf_c_message_free_unpacked(&rs->base, NULL);
}

static void shell_drop(struct bw_compiler *c)
{
	Bulwark__V1__CompiledPolicy *cp = c->shell;

	if (!cp)
		return;
	free(cp->node_name);
	free(cp->containers);
	free(cp->digest.data);
	free(cp);
	free(c->bare);
	free(c->bare_labels);
	for (size_t i = 0; i < c->n_unpacked; i++)
		ruleset_free(c->unpacked[i]);
	free(c->unpacked);
	c->unpacked = NULL;
	c->n_unpacked = 0;
	c->shell = NULL;
	c->shell_node = NULL;
	c->bare = NULL;
	c->bare_labels = NULL;
}

static void cnode_free(struct cnode *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		free(n->ents[i].pk);
	free(n->ents);
	free(n->order);
	free(n->slot);
	ruleset_free(n->host);
	free(n);
}

void bw_compiler_free(struct bw_compiler *c)
{
	const char *k;
	void *v;

	if (!c)
		return;
	shell_drop(c);
	for (size_t i = 0; bw_strmap_next(&c->nodes, &i, &k, &v);)
		cnode_free(v);
	bw_strmap_fini(&c->nodes);
	memo_reset(c);
	for (unsigned i = 0; i < BARE_MEMO; i++) {
		free(c->bare_memo[i].body);
		free(c->bare_memo[i].labels);
	}
	free(c->out);
	free(c);
}

void bw_compiler_forget_node(struct bw_compiler *c, const char *node)
{
	struct cnode *n = bw_strmap_del(&c->nodes, node);

	if (n && c->shell_node == n)
		shell_drop(c);
	cnode_free(n);
}

void bw_compiler_stats(const struct bw_compiler *c, uint64_t *reused, uint64_t *compiled)
{
	*reused = c->reused;
	*compiled = c->compiled;
}

static uint64_t max3(uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t m = a > b ? a : b;

	return m > c ? m : c;
}

/*
 * What a container's rule set depends on, memoised for one call: a node's
 * containers share a namespace or two and a handful of interned labels, so
 * each index list is looked up once instead of once per container.
 */
#define MEMO_SLOTS 64

struct dep_memo {
	const char *ns; /* interned: compared by pointer */
	uint64_t ns_gen;
	const struct ns_bucket *bucket;
	const struct inv_label *label[MEMO_SLOTS];
	uint64_t label_gen[MEMO_SLOTS];
};

static uint64_t dep_of(struct dep_memo *m, const struct bw_policy_set *s,
		       const struct bw_inventory *inv, const struct inv_container *ic)
{
	uint64_t g;

	if (m->ns != ic->ns) {
		uint64_t pg = bw_inventory_posture(inv, ic->ns)->gen;

		m->ns = ic->ns;
		m->bucket = bw_strmap_get(&s->ns, ic->ns);
		m->ns_gen = s->cluster_gen > pg ? s->cluster_gen : pg;
		if (m->bucket) {
			if (m->bucket->scan.gen > m->ns_gen)
				m->ns_gen = m->bucket->scan.gen;
			if (m->bucket->dropped_gen > m->ns_gen)
				m->ns_gen = m->bucket->dropped_gen;
		}
		memset(m->label, 0, sizeof(m->label)); /* label lists are per namespace */
	}
	g = m->ns_gen;
	if (!m->bucket)
		return g;
	for (size_t i = 0; i < ic->n_labels; i++) {
		const struct inv_label *l = ic->labels[i];
		size_t slot = ((uintptr_t)l >> 4) % MEMO_SLOTS;

		if (l->name_label && !m->bucket->n_name_lists)
			continue; /* no list here is keyed by a name */

		if (m->label[slot] != l) {
			const struct pvec *v = bw_strmap_get(&m->bucket->by_label, l->kv);

			m->label[slot] = l;
			m->label_gen[slot] = v ? v->gen : 0;
		}
		if (m->label_gen[slot] > g)
			g = m->label_gen[slot];
	}
	return g;
}

static struct centry *find_entry(struct cnode *cn, uint64_t gen)
{
	size_t lo = 0, hi = cn->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (cn->ents[mid].ctr_gen == gen)
			return &cn->ents[mid];
		if (cn->ents[mid].ctr_gen < gen)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cmp_gen(const void *pa, const void *pb)
{
	const struct centry *a = pa, *b = pb;

	return a->ctr_gen < b->ctr_gen ? -1 : a->ctr_gen > b->ctr_gen;
}

/* A replica's compiled result: same namespace and labels (the name label
 * aside while no policy looks at names: the output leaves it out). */
static struct rs_memo *memo_find(struct bw_compiler *c, const struct bw_policy_set *s,
				 const struct bw_inventory *inv, const struct inv_container *ic,
				 uint64_t dep)
{
	for (unsigned i = 0; i < c->n_memo; i++) {
		struct rs_memo *m = &c->memo[i];

		if (m->ns != ic->ns || m->dep != dep || m->inv != inv || m->set != s ||
		    m->epoch != inv->intern_epoch || m->by_name != !!s->n_name_refs)
			continue;
		if (s->n_name_refs ? m->n_labels == ic->n_labels &&
					 !memcmp(m->labels, ic->labels,
						 ic->n_labels * sizeof(ic->labels[0]))
				   : same_body_labels(m->labels, m->n_labels, ic->labels,
						      ic->n_labels))
			return m;
	}
	return NULL;
}

/* Remembers ic's result (packed bytes and their body's digest); packed
 * NULL: bare.  Best effort (memory). */
static void memo_add(struct bw_compiler *c, const struct bw_policy_set *s,
		     const struct bw_inventory *inv, const struct inv_container *ic, uint64_t dep,
		     const uint8_t *packed, size_t len, const uint8_t *digest)
{
	struct rs_memo *m;
	size_t o = 0;

	if (packed && (o = bw_ruleset_body_offset(packed, len)) == len)
		return;
	if (c->n_memo < RS_MEMO) {
		m = &c->memo[c->n_memo++];
	} else {
		m = &c->memo[c->memo_next++ % RS_MEMO];
		free(m->rest);
		m->rest = NULL;
	}
	m->ns = NULL; /* until filled */
	if (ic->n_labels > m->cap_labels) {
		struct inv_label **nl = realloc(m->labels, ic->n_labels * sizeof(*nl));

		if (!nl)
			return;
		m->labels = nl;
		m->cap_labels = ic->n_labels;
	}
	memcpy(m->labels, ic->labels, ic->n_labels * sizeof(*m->labels));
	m->n_labels = ic->n_labels;
	m->inv = inv;
	m->set = s;
	m->epoch = inv->intern_epoch;
	m->dep = dep;
	m->by_name = !!s->n_name_refs;
	m->bare = !packed;
	m->rest = NULL;
	m->rest_len = packed ? len - o : 0;
	if (packed && !(m->rest = malloc(m->rest_len ? m->rest_len : 1)))
		return; /* stays empty */
	if (packed) {
		memcpy(m->rest, packed + o, m->rest_len);
		memcpy(m->digest, digest, 32);
	}
	m->ns = ic->ns;
}

/* The packed entry from a memoised result: ic's identity, then the rest
 * (whose digest is the entry's: nothing to hash). */
static int entry_from_memo(const struct rs_memo *m, const struct inv_container *ic, uint8_t **out)
{
	size_t idl = ic->id_len, len, o = PK_HDR;
	uint32_t len32;
	uint8_t *pk;

	len = (idl ? 1 + bw_pb_varint_len(idl) + idl : 0) +
	      (ic->cgroup_id ? 1 + bw_pb_varint_len(ic->cgroup_id) : 0) + m->rest_len;
	if (len > UINT32_MAX || !(pk = malloc(PK_HDR + len)))
		return -ENOMEM;
	if (idl) {
		pk[o++] = 0x0a;
		o += bw_pb_varint(idl, pk + o);
		memcpy(pk + o, ic->id, idl);
		o += idl;
	}
	if (ic->cgroup_id) {
		pk[o++] = 0x10;
		o += bw_pb_varint(ic->cgroup_id, pk + o);
	}
	memcpy(pk + o, m->rest, m->rest_len);
	len32 = (uint32_t)len;
	memcpy(pk, &len32, sizeof(len32));
	memcpy(pk + sizeof(len32), m->digest, 32);
	*out = pk;
	return 0;
}

/* Compiles one container into e, packed; an empty result is not kept. */
static int compile_entry(struct bw_compiler *c, const struct bw_policy_set *s,
			 const struct bw_inventory *inv, const struct inv_container *ic,
			 uint64_t dep, struct centry *e)
{
	const struct rs_memo *m = memo_find(c, s, inv, ic, dep);
	Bulwark__V1__RuleSet *rs = NULL;
	struct bw_sha256 h;
	uint32_t len32;
	uint8_t *pk;
	size_t len, o;
	int rc;

	e->ctr_gen = ic->gen;
	e->dep_gen = dep;
	e->pk = NULL;
	if (m)
		return m->bare ? 0 : entry_from_memo(m, ic, &e->pk);
	if ((rc = bw_compile_container(s, inv, ic->id, &rs)))
		return rc;
	len = protobuf_c_message_get_packed_size(&rs->base);
	if (len > UINT32_MAX || !(pk = malloc(PK_HDR + len))) {
		ruleset_free(rs);
		return -ENOMEM;
	}
	len32 = (uint32_t)len;
	memcpy(pk, &len32, sizeof(len32));
	protobuf_c_message_pack(&rs->base, pk + PK_HDR);
	/* bw_ruleset_digest's definition: SHA-256 of the body. */
	o = bw_ruleset_body_offset(pk + PK_HDR, len);
	bw_sha256_init(&h);
	bw_sha256_update(&h, pk + PK_HDR + o, len - o);
	bw_sha256_final(&h, pk + sizeof(len32));
	e->pk = pk;
	/* No rules, no allow-list: what bw_ruleset_bare builds, so not kept. */
	if (!rs->n_rules && !rs->process_allowlist && !rs->file_allowlist &&
	    !rs->network_allowlist && !rs->capability_allowlist) {
		free(pk);
		e->pk = NULL;
	}
	memo_add(c, s, inv, ic, dep, e->pk ? e->pk + PK_HDR : NULL, len,
		 e->pk ? pk_digest(e->pk) : NULL);
	ruleset_free(rs);
	return 0;
}

/*
 * The common case, a fan-out over a node whose containers did not change:
 * entries updated in place, their order kept.  Returns 1 when the node's
 * containers are not the cached ones (nothing lost: entries updated so far
 * are valid), 0 or a negative errno.
 */
#define PREFETCH_AHEAD 8

static int sync_in_place(struct bw_compiler *c, struct cnode *cn, const struct bw_policy_set *s,
			 const struct bw_inventory *inv, const struct inv_node *n)
{
	struct dep_memo memo = {0};
	int rc;

	if (n->n_ctrs != cn->n)
		return 1;
	/* The containers are scattered over the heap, one cache miss each:
	 * ask for a few ahead (and their ids, which the output reads). */
	for (size_t i = 0; i < n->n_ctrs && i < PREFETCH_AHEAD; i++)
		__builtin_prefetch(n->ctrs[i]);
	for (size_t i = 0; i < n->n_ctrs; i++) {
		const struct inv_container *ic = n->ctrs[i];

		if (i + PREFETCH_AHEAD < n->n_ctrs)
			__builtin_prefetch(n->ctrs[i + PREFETCH_AHEAD]);
		__builtin_prefetch(ic->id);
		/* The inventory keeps its order: last call's position first. */
		struct centry *e =
		    cn->slot && cn->slot[i] < cn->n && cn->ents[cn->slot[i]].ctr_gen == ic->gen
			? &cn->ents[cn->slot[i]]
			: find_entry(cn, ic->gen);
		uint64_t dep;

		if (!e)
			return 1;
		if (cn->slot)
			cn->slot[i] = (uint32_t)(e - cn->ents);
		e->ic = ic;
		dep = dep_of(&memo, s, inv, ic);
		if (e->dep_gen == dep) {
			c->reused++;
			continue;
		}
		struct centry ne;
		if ((rc = compile_entry(c, s, inv, ic, dep, &ne)))
			return rc;
		ne.ic = ic;
		free(e->pk);
		*e = ne;
		c->compiled++;
		cn->changed = true;
	}
	return 0;
}

/* Brings cn's entries in line with the node's containers. */
static int sync_entries(struct bw_compiler *c, struct cnode *cn, const struct bw_policy_set *s,
			const struct bw_inventory *inv, const struct inv_node *n)
{
	struct centry *ents = calloc(n->n_ctrs ? n->n_ctrs : 1, sizeof(*ents));
	struct dep_memo memo = {0};
	size_t ne = 0, kept = 0;
	int rc = 0;

	if (!ents)
		return -ENOMEM;
	rc = sync_in_place(c, cn, s, inv, n);
	if (rc <= 0) {
		free(ents);
		if (rc == 0)
			return 0;
		goto fail;
	}
	rc = 0;
	free(cn->order); /* the containers changed */
	cn->order = NULL;
	free(cn->slot);
	cn->slot = NULL;
	for (size_t i = 0; i < n->n_ctrs; i++) {
		const struct inv_container *ic = n->ctrs[i];
		uint64_t dep = dep_of(&memo, s, inv, ic);
		struct centry *e = find_entry(cn, ic->gen);

		if (e && e->dep_gen == dep) {
			e->ic = ic;
			ents[ne++] = *e;
			e->ctr_gen = 0; /* moved */
			e->pk = NULL;
			c->reused++;
			kept++;
			continue;
		}
		if ((rc = compile_entry(c, s, inv, ic, dep, &ents[ne])))
			break;
		ents[ne++].ic = ic;
		c->compiled++;
	}
	if (rc) {
		/* Drop this node's cache (moved rule sets are in ents only): the
		 * next call compiles it afresh. */
		for (size_t i = 0; i < ne; i++)
			free(ents[i].pk);
		free(ents);
	fail:
		for (size_t i = 0; i < cn->n; i++)
			free(cn->ents[i].pk);
		free(cn->ents);
		free(cn->order);
		free(cn->slot);
		cn->ents = NULL;
		cn->order = NULL;
		cn->slot = NULL;
		cn->n = 0;
		cn->changed = true;
		return rc;
	}
	if (kept != cn->n || ne != cn->n)
		cn->changed = true;
	for (size_t i = 0; i < cn->n; i++)
		free(cn->ents[i].pk); /* containers that left or changed */
	free(cn->ents);
	qsort(ents, ne, sizeof(*ents), cmp_gen);
	cn->ents = ents;
	cn->n = ne;
	cn->slot = malloc((ne ? ne : 1) * sizeof(*cn->slot)); /* NULL: searched */
	for (size_t i = 0; cn->slot && i < ne; i++)
		cn->slot[i] = (uint32_t)(find_entry(cn, n->ctrs[i]->gen) - cn->ents);
	return 0;
}

static int sync_host(struct cnode *cn, const struct bw_policy_set *s,
		     const struct bw_inventory *inv, const struct inv_node *n)
{
	uint64_t dep = max3(n->gen, s->host_gen, bw_inventory_posture(inv, "")->gen);
	Bulwark__V1__RuleSet *rs = NULL;
	int rc;

	if (cn->host && cn->host_dep == dep)
		return 0;
	if ((rc = bw_compile_host(s, inv, n->name, &rs)))
		return rc;
	if ((rc = bw_ruleset_digest(rs, cn->host_digest))) {
		ruleset_free(rs);
		ruleset_free(cn->host);
		cn->host = NULL;
		return rc;
	}
	ruleset_free(cn->host);
	cn->host = rs;
	cn->host_dep = dep;
	cn->changed = true;
	return 0;
}

static int cmp_ctr_id(const void *pa, const void *pb, void *arg)
{
	const struct centry *ents = arg;

	return strcmp(ents[*(const uint32_t *)pa].ic->id, ents[*(const uint32_t *)pb].ic->id);
}

/* The output's order, and the digest of the identities in it: both once
 * per change of the node's containers. */
int bw_compiler_sort_order(struct cnode *cn)
{
	struct bw_sha256 h;

	if (cn->order)
		return 0;
	cn->order = malloc((cn->n ? cn->n : 1) * sizeof(*cn->order));
	if (!cn->order)
		return -ENOMEM;
	for (size_t i = 0; i < cn->n; i++)
		cn->order[i] = (uint32_t)i;
	qsort_r(cn->order, cn->n, sizeof(*cn->order), cmp_ctr_id, cn->ents);
	bw_sha256_init(&h);
	for (size_t i = 0; i < cn->n; i++) {
		const struct inv_container *ic = cn->ents[cn->order[i]].ic;

		bw_digest_identity(&h, ic->id, ic->id_len, ic->cgroup_id);
	}
	bw_sha256_final(&h, cn->ident);
	return 0;
}

/* As bw_ruleset_bare, with strings borrowed from the inventory; the labels
 * go to lab[0 .. ic->n_labels). */
static void fill_bare(Bulwark__V1__RuleSet *rs, const struct bw_inventory *inv,
		      const struct inv_container *ic, Bulwark__V1__KeyValue **lab)
{
	const struct inv_posture *pos = bw_inventory_posture(inv, ic->ns);

	bulwark__v1__rule_set__init(rs);
	rs->file_posture = pos->file;
	rs->network_posture = pos->network;
	rs->capability_posture = pos->capabilities;
	rs->container_id = (char *)ic->id;
	rs->namespace_name = (char *)ic->ns;
	rs->cgroup_id = ic->cgroup_id;
	rs->visibility = (Bulwark__V1__Visibility *)bw_inventory_visibility(inv, ic->ns);
	rs->labels = lab;
	rs->n_labels = 0;
	for (size_t l = 0; l < ic->n_labels; l++)
		if (!ic->labels[l]->name_label) /* matched on, never output */
			lab[rs->n_labels++] = &ic->labels[l]->msg;
}

/* Assembles the node's output: containers sorted by id, bare rule sets
 * filled in (no allocation per bare container), the cached ones unpacked
 * (bw_compiler_node_packed is the fast path; this one serves tests and
 * tools). */
static int build_shell(struct bw_compiler *c, struct cnode *cn, const struct bw_inventory *inv,
		       const struct inv_node *n)
{
	size_t nc = cn->n, one = nc ? nc : 1;
	uint8_t(*dg)[32] = malloc(one * 32);
	Bulwark__V1__CompiledPolicy *cp = calloc(1, sizeof(*cp));
	Bulwark__V1__RuleSet *bare = malloc(one * sizeof(*bare));
	Bulwark__V1__RuleSet **unp = calloc(one, sizeof(*unp));
	Bulwark__V1__KeyValue **lab = NULL;
	size_t n_lab = 0, n_unp = 0;
	int rc = -ENOMEM;

	for (size_t i = 0; i < nc; i++)
		if (!cn->ents[i].pk)
			n_lab += cn->ents[i].ic->n_labels;
	if (n_lab && !(lab = malloc(n_lab * sizeof(*lab))))
		goto fail;
	n_lab = 0;
	if (!dg || !cp || !bare || !unp || (rc = bw_compiler_sort_order(cn)))
		goto fail;
	rc = -ENOMEM;
	bulwark__v1__compiled_policy__init(cp);
	cp->node_name = strdup(n->name);
	cp->containers = malloc(one * sizeof(*cp->containers));
	if (!cp->node_name || !cp->containers)
		goto fail;
	for (size_t i = 0; i < nc; i++) {
		struct centry *e = &cn->ents[cn->order[i]];

		if (e->pk) {
			unp[n_unp] =
			    bulwark__v1__rule_set__unpack(NULL, pk_len(e->pk), pk_bytes(e->pk));
			if (!unp[n_unp])
				goto fail;
			cp->containers[i] = unp[n_unp++];
			memcpy(dg[i], pk_digest(e->pk), 32);
		} else {
			fill_bare(&bare[i], inv, e->ic, lab + n_lab);
			n_lab += e->ic->n_labels;
			cp->containers[i] = &bare[i];
			if ((rc = bw_ruleset_digest(&bare[i], dg[i])))
				goto fail;
		}
		cp->n_containers++;
	}
	cp->host = cn->host;
	if ((rc = bw_digest_set(cp, (const uint8_t(*)[32])dg, nc, cn->host_digest)))
		goto fail;
	free(dg);
	c->shell = cp;
	c->shell_node = cn;
	c->bare = bare;
	c->bare_labels = lab;
	c->unpacked = unp;
	c->n_unpacked = n_unp;
	cn->changed = false;
	return 0;
fail:
	if (cp) {
		free(cp->node_name);
		free(cp->containers);
		free(cp->digest.data);
	}
	for (size_t i = 0; i < n_unp; i++)
		ruleset_free(unp[i]);
	free(unp);
	free(cp);
	free(bare);
	free(lab);
	free(dg);
	return rc;
}

/* Brings the node's cache in line with inv; *out is its entry. */
int bw_compiler_prepare(struct bw_compiler *c, const struct bw_policy_set *s,
			const struct bw_inventory *inv, const char *node, struct cnode **out,
			const struct inv_node **out_n)
{
	const struct inv_node *n = bw_strmap_get(&inv->nodes, node);
	struct cnode *cn;
	int rc;

	if (!n) {
		bw_compiler_forget_node(c, node);
		return -ENOENT;
	}
	cn = bw_strmap_get(&c->nodes, node);
	if (!cn) {
		cn = calloc(1, sizeof(*cn));
		if (!cn)
			return -ENOMEM;
		if (bw_strmap_put(&c->nodes, node, cn)) {
			free(cn);
			return -ENOMEM;
		}
		cn->changed = true;
	}
	if ((rc = sync_entries(c, cn, s, inv, n)) || (rc = sync_host(cn, s, inv, n))) {
		if (c->shell_node == cn)
			shell_drop(c);
		return rc;
	}
	*out = cn;
	*out_n = n;
	return 0;
}

int bw_compiler_node(struct bw_compiler *c, const struct bw_policy_set *s,
		     const struct bw_inventory *inv, const char *node, uint64_t version,
		     const Bulwark__V1__CompiledPolicy **out)
{
	const struct inv_node *n;
	struct cnode *cn;
	int rc;

	if ((rc = bw_compiler_prepare(c, s, inv, node, &cn, &n)))
		return rc;
	if (c->shell_node != cn || cn->changed) {
		shell_drop(c);
		if ((rc = build_shell(c, cn, inv, n)))
			return rc;
	}
	c->shell->version = version;
	*out = c->shell;
	return 0;
}
