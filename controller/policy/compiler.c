/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Incremental compiling.  A container's rule set depends on the container
 * itself, the KubeArmorPolicies of its namespace, the cluster policies and
 * its namespace's postures; each of those carries a generation, and a cached
 * rule set is reused while all of them are unchanged.  A policy change thus
 * recompiles the containers of one namespace (or every container, for a
 * cluster policy), a container change recompiles that container.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

struct centry {
	Bulwark__V1__RuleSet *rs;
	uint8_t digest[32];
	uint64_t ctr_gen, ns_gen, cluster_gen, posture_gen;
	bool seen; /* still on the node in the latest build */
};

struct cnode {
	struct bw_strmap ctrs; /* container id -> centry */
	Bulwark__V1__RuleSet *host;
	uint8_t host_digest[32];
	uint64_t node_gen, host_gen, posture_gen;
	Bulwark__V1__CompiledPolicy *out; /* shell: rule sets belong to the cache */
};

struct bw_compiler {
	struct bw_strmap nodes; /* name -> cnode */
	uint64_t reused, compiled;
};

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

static void shell_free(Bulwark__V1__CompiledPolicy *cp)
{
	if (!cp)
		return;
	free(cp->node_name);
	free(cp->containers);
	free(cp->digest.data);
	free(cp);
}

static void cnode_free(struct cnode *n)
{
	const char *k;
	void *v;

	if (!n)
		return;
	for (size_t i = 0; bw_strmap_next(&n->ctrs, &i, &k, &v);) {
		ruleset_free(((struct centry *)v)->rs);
		free(v);
	}
	bw_strmap_fini(&n->ctrs);
	ruleset_free(n->host);
	shell_free(n->out);
	free(n);
}

void bw_compiler_free(struct bw_compiler *c)
{
	const char *k;
	void *v;

	if (!c)
		return;
	for (size_t i = 0; bw_strmap_next(&c->nodes, &i, &k, &v);)
		cnode_free(v);
	bw_strmap_fini(&c->nodes);
	free(c);
}

void bw_compiler_forget_node(struct bw_compiler *c, const char *node)
{
	cnode_free(bw_strmap_del(&c->nodes, node));
}

void bw_compiler_stats(const struct bw_compiler *c, uint64_t *reused, uint64_t *compiled)
{
	*reused = c->reused;
	*compiled = c->compiled;
}

/* The shell points at rule sets about to be replaced: it must go first. */
static void drop_shell(struct cnode *cn)
{
	shell_free(cn->out);
	cn->out = NULL;
}

static int cmp_entry(const void *pa, const void *pb)
{
	const struct centry *a = *(struct centry *const *)pa;
	const struct centry *b = *(struct centry *const *)pb;

	return strcmp(a->rs->container_id, b->rs->container_id);
}

int bw_compiler_node(struct bw_compiler *c, const struct bw_policy_set *s,
		     const struct bw_inventory *inv, const char *node, uint64_t version,
		     const Bulwark__V1__CompiledPolicy **out)
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
		bw_strmap_init(&cn->ctrs);
		if (bw_strmap_put(&c->nodes, node, cn)) {
			free(cn);
			return -ENOMEM;
		}
	}
	const char *k;
	void *v;
	for (size_t i = 0; bw_strmap_next(&cn->ctrs, &i, &k, &v);)
		((struct centry *)v)->seen = false;

	for (size_t i = 0; i < n->n_ctrs; i++) {
		const struct inv_container *ic = n->ctrs[i];
		const struct ns_bucket *b = bw_strmap_get(&s->ns, ic->ns);
		uint64_t ns_gen = b ? b->gen : 0;
		uint64_t pgen = bw_inventory_posture(inv, ic->ns)->gen;
		struct centry *e = bw_strmap_get(&cn->ctrs, ic->id);
		if (e && e->rs && e->ctr_gen == ic->gen && e->ns_gen == ns_gen &&
		    e->cluster_gen == s->cluster_gen && e->posture_gen == pgen) {
			e->seen = true;
			c->reused++;
			continue;
		}
		Bulwark__V1__RuleSet *rs = NULL;
		if ((rc = bw_compile_container(s, inv, ic->id, &rs)))
			return rc;
		if (!e) {
			e = calloc(1, sizeof(*e));
			if (!e || bw_strmap_put(&cn->ctrs, ic->id, e)) {
				free(e);
				ruleset_free(rs);
				return -ENOMEM;
			}
		}
		ruleset_free(e->rs);
		*e = (struct centry){.rs = rs,
				     .ctr_gen = ic->gen,
				     .ns_gen = ns_gen,
				     .cluster_gen = s->cluster_gen,
				     .posture_gen = pgen,
				     .seen = true};
		if ((rc = bw_ruleset_digest(rs, e->digest))) {
			ruleset_free(e->rs);
			e->rs = NULL;
			drop_shell(cn);
			return rc;
		}
		c->compiled++;
		drop_shell(cn);
	}
	/* Containers that left the node. */
	for (size_t i = 0; bw_strmap_next(&cn->ctrs, &i, &k, &v);) {
		struct centry *e = v;
		if (e->seen)
			continue;
		ruleset_free(e->rs);
		free(bw_strmap_del(&cn->ctrs, k));
		drop_shell(cn);
	}

	uint64_t hpgen = bw_inventory_posture(inv, "")->gen;
	if (!cn->host || cn->node_gen != n->gen || cn->host_gen != s->host_gen ||
	    cn->posture_gen != hpgen) {
		Bulwark__V1__RuleSet *rs = NULL;
		if ((rc = bw_compile_host(s, inv, node, &rs)))
			return rc;
		if ((rc = bw_ruleset_digest(rs, cn->host_digest))) {
			ruleset_free(rs);
			return rc;
		}
		ruleset_free(cn->host);
		cn->host = rs;
		cn->node_gen = n->gen;
		cn->host_gen = s->host_gen;
		cn->posture_gen = hpgen;
		drop_shell(cn);
	}

	if (!cn->out) {
		Bulwark__V1__CompiledPolicy *cp = calloc(1, sizeof(*cp));
		if (!cp)
			return -ENOMEM;
		bulwark__v1__compiled_policy__init(cp);
		cp->node_name = strdup(node);
		cp->containers = calloc(cn->ctrs.len ? cn->ctrs.len : 1, sizeof(*cp->containers));
		if (!cp->node_name || !cp->containers) {
			shell_free(cp);
			return -ENOMEM;
		}
		struct centry **ents = calloc(cn->ctrs.len ? cn->ctrs.len : 1, sizeof(*ents));
		uint8_t(*dg)[32] = calloc(cn->ctrs.len ? cn->ctrs.len : 1, 32);
		size_t ne = 0;
		if (!ents || !dg) {
			free(ents);
			free(dg);
			shell_free(cp);
			return -ENOMEM;
		}
		for (size_t i = 0; bw_strmap_next(&cn->ctrs, &i, &k, &v);)
			ents[ne++] = v;
		qsort(ents, ne, sizeof(*ents), cmp_entry);
		for (size_t i = 0; i < ne; i++) {
			cp->containers[cp->n_containers++] = ents[i]->rs;
			memcpy(dg[i], ents[i]->digest, 32);
		}
		cp->host = cn->host;
		rc = bw_digest_set(cp, (const uint8_t(*)[32])dg, ne, cn->host_digest);
		free(ents);
		free(dg);
		if (rc) {
			shell_free(cp);
			return rc;
		}
		cn->out = cp;
	}
	cn->out->version = version;
	*out = cn->out;
	return 0;
}
