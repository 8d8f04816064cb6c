/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy set, indexed for compiling: KubeArmorPolicies by namespace and
 * by their first matchLabels pair, so a container looks at the policies
 * that can select it instead of at all of them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_array.h"
#include "compile_int.h"


/* Whether a by_label key ("key=value") is the container name's. */
static size_t is_name_key(const char *lk)
{
	size_t n = strlen(BW_CONTAINER_NAME_LABEL);

	return strncmp(lk, BW_CONTAINER_NAME_LABEL, n) == 0 && lk[n] == '=';
}
static int pvec_add(struct pvec *v, struct bw_policy *p)
{
	if (BW_GROW(v->v, v->cap, v->n + 1))
		return -ENOMEM;
	v->v[v->n++] = p;
	return 0;
}

static void pvec_del(struct pvec *v, const struct bw_policy *p)
{
	for (size_t i = 0; i < v->n; i++)
		if (v->v[i] == p) {
			/* Order is irrelevant: the compiler sorts what it emits. */
			v->v[i] = v->v[--v->n];
			return;
		}
}

int bw_policy_set_new(struct bw_policy_set **out)
{
	struct bw_policy_set *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	bw_strmap_init(&s->all);
	bw_strmap_init(&s->ns);
	s->cluster_gen = bw_gen_next();
	s->host_gen = bw_gen_next();
	*out = s;
	return 0;
}

static void bucket_free(struct ns_bucket *b)
{
	const char *k;
	void *v;

	if (!b)
		return;
	for (size_t i = 0; bw_strmap_next(&b->by_label, &i, &k, &v);) {
		free(((struct pvec *)v)->v);
		free(v);
	}
	bw_strmap_fini(&b->by_label);
	free(b->scan.v);
	free(b);
}

void bw_policy_set_free(struct bw_policy_set *s)
{
	const char *k;
	void *v;

	if (!s)
		return;
	for (size_t i = 0; bw_strmap_next(&s->all, &i, &k, &v);)
		bw_policy_free(v);
	for (size_t i = 0; bw_strmap_next(&s->ns, &i, &k, &v);)
		bucket_free(v);
	bw_strmap_fini(&s->all);
	bw_strmap_fini(&s->ns);
	free(s->cluster.v);
	free(s->host.v);
	free(s);
}

static char *set_key(enum bw_policy_kind kind, const char *ns, const char *name)
{
	char *k = NULL;

	if (asprintf(&k, "%d/%s/%s", (int)kind, kind == BW_KIND_POLICY ? ns : "", name) < 0)
		return NULL;
	return k;
}

static char *label_key(const struct bw_kv *kv)
{
	char *k = NULL;

	if (asprintf(&k, "%s=%s", kv->key, kv->value) < 0)
		return NULL;
	return k;
}

/* Adds p to (or removes it from) the index; only adding can fail. */
/* Whether a container policy's selector can look at a container's name. */
static bool refs_name(const struct bw_policy *p)
{
	size_t n = strlen(BW_CONTAINER_NAME_LABEL);

	for (size_t i = 0; i < p->n_labels; i++)
		if (!strcmp(p->labels[i].key, BW_CONTAINER_NAME_LABEL))
			return true;
	for (size_t i = 0; i < p->n_exprs; i++) {
		if (!strcmp(p->exprs[i].key, BW_CONTAINER_NAME_LABEL))
			return true;
		for (size_t v = 0; p->kind == BW_KIND_CLUSTER_POLICY && v < p->exprs[i].n_values; v++)
			if (!strncmp(p->exprs[i].values[v], BW_CONTAINER_NAME_LABEL, n) &&
			    p->exprs[i].values[v][n] == '=')
				return true;
	}
	return false;
}

static int index_policy(struct bw_policy_set *s, struct bw_policy *p, bool add)
{
	/* Counted on every add and remove (an add that fails later leaves an
	 * extra count, which only costs sharing). */
	if (p->kind != BW_KIND_HOST_POLICY && refs_name(p)) {
		if (add)
			s->n_name_refs++;
		else if (s->n_name_refs)
			s->n_name_refs--;
	}
	if (p->kind == BW_KIND_CLUSTER_POLICY) {
		s->cluster_gen = bw_gen_next();
		if (add)
			return pvec_add(&s->cluster, p);
		pvec_del(&s->cluster, p);
		return 0;
	}
	if (p->kind == BW_KIND_HOST_POLICY) {
		s->host_gen = bw_gen_next();
		if (add)
			return pvec_add(&s->host, p);
		pvec_del(&s->host, p);
		return 0;
	}
	struct ns_bucket *b = bw_strmap_get(&s->ns, p->ns);
	if (!b) {
		if (!add)
			return 0;
		b = calloc(1, sizeof(*b));
		if (!b)
			return -ENOMEM;
		bw_strmap_init(&b->by_label);
		if (bw_strmap_put(&s->ns, p->ns, b)) {
			free(b);
			return -ENOMEM;
		}
	}
	b->gen = bw_gen_next();
	if (!p->n_labels) {
		b->scan.gen = b->gen;
		if (add)
			return pvec_add(&b->scan, p);
		pvec_del(&b->scan, p);
		return 0;
	}
	char *lk = label_key(&p->labels[0]);
	if (!lk)
		return -ENOMEM;
	struct pvec *v = bw_strmap_get(&b->by_label, lk);
	int rc = 0;
	if (!add) {
		if (v) {
			pvec_del(v, p);
			v->gen = b->gen;
			if (!v->n) {
				free(v->v);
				free(bw_strmap_del(&b->by_label, lk));
				b->dropped_gen = b->gen;
				b->n_name_lists -= is_name_key(lk);
			}
		}
	} else {
		if (!v) {
			v = calloc(1, sizeof(*v));
			if (!v || bw_strmap_put(&b->by_label, lk, v)) {
				free(v);
				free(lk);
				return -ENOMEM;
			}
			b->n_name_lists += is_name_key(lk);
		}
		rc = pvec_add(v, p);
		v->gen = b->gen;
	}
	free(lk);
	return rc;
}

int bw_policy_set_put(struct bw_policy_set *s, struct bw_policy *p)
{
	char *key = set_key(p->kind, p->ns, p->name);
	int rc;

	if (!key)
		return -ENOMEM;
	/* Reserve the slot first so that failing leaves the old policy in place. */
	struct bw_policy *old = bw_strmap_get(&s->all, key);
	if ((rc = index_policy(s, p, true)))
		goto out;
	if ((rc = bw_strmap_put(&s->all, key, p))) {
		index_policy(s, p, false);
		goto out;
	}
	if (old) {
		index_policy(s, old, false);
		bw_policy_free(old);
	}
out:
	free(key);
	return rc;
}

int bw_policy_set_remove(struct bw_policy_set *s, enum bw_policy_kind kind, const char *ns,
			 const char *name)
{
	char *key = set_key(kind, ns ? ns : "", name);

	if (!key)
		return -ENOMEM;
	struct bw_policy *p = bw_strmap_del(&s->all, key);
	free(key);
	if (!p)
		return -ENOENT;
	index_policy(s, p, false);
	bw_policy_free(p);
	return 0;
}

size_t bw_policy_set_count(const struct bw_policy_set *s)
{
	return s->all.len;
}

const struct bw_policy *bw_policy_set_get(const struct bw_policy_set *s, enum bw_policy_kind kind,
					  const char *ns, const char *name)
{
	char *key = set_key(kind, ns ? ns : "", name);
	const struct bw_policy *p;

	if (!key)
		return NULL;
	p = bw_strmap_get(&s->all, key);
	free(key);
	return p;
}
