/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiling: which policies select a container (or a node), their rules as
 * bulwark.v1.Rule with the producing policy attached, KubeArmor's
 * precedence applied, sorted so the same inputs give the same bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"
#include "sha256.h"

/* ---- selectors -------------------------------------------------------------- */

static const char *kv_get(const struct bw_kv *kv, size_t n, const char *key)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(kv[i].key, key))
			return kv[i].value;
	return NULL;
}

static bool in_values(const struct bw_expr *e, const char *v)
{
	for (size_t i = 0; i < e->n_values; i++)
		if (!strcmp(e->values[i], v))
			return true;
	return false;
}

/* Cluster policy "label" values are "key=value". */
static bool has_label_pair(const struct inv_container *c, const char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t klen = (size_t)(eq - kv);

	for (size_t i = 0; i < c->n_labels; i++)
		if (c->labels[i]->klen == klen && !strncmp(c->labels[i]->kv, kv, klen) &&
		    !strcmp(c->labels[i]->kv + klen + 1, eq + 1))
			return true;
	return false;
}

static const char *ctr_label(const struct inv_container *c, const char *key)
{
	for (size_t i = 0; i < c->n_labels; i++)
		if (!strncmp(c->labels[i]->kv, key, c->labels[i]->klen) && !key[c->labels[i]->klen])
			return c->labels[i]->kv + c->labels[i]->klen + 1;
	return NULL;
}

bool bw_match_container(const struct bw_policy *p, const struct inv_container *c)
{
	if (p->kind == BW_KIND_HOST_POLICY)
		return false;
	if (p->kind == BW_KIND_POLICY) {
		if (strcmp(p->ns, c->ns))
			return false;
		for (size_t i = 0; i < p->n_labels; i++) {
			const char *v = ctr_label(c, p->labels[i].key);
			if (!v || strcmp(v, p->labels[i].value))
				return false;
		}
		for (size_t i = 0; i < p->n_exprs; i++) {
			const struct bw_expr *e = &p->exprs[i];
			const char *v = ctr_label(c, e->key);
			bool in = v && in_values(e, v);
			if (in == e->not_in)
				return false;
		}
		return true;
	}
	/* KubeArmorClusterPolicy: every expression must hold. */
	for (size_t i = 0; i < p->n_exprs; i++) {
		const struct bw_expr *e = &p->exprs[i];
		bool in;
		if (!strcmp(e->key, "namespace")) {
			in = in_values(e, c->ns);
		} else {
			in = false;
			for (size_t k = 0; k < e->n_values && !in; k++)
				in = has_label_pair(c, e->values[k]);
		}
		if (in == e->not_in)
			return false;
	}
	return true;
}

bool bw_match_node(const struct bw_policy *p, const struct inv_node *n)
{
	if (p->kind != BW_KIND_HOST_POLICY)
		return false;
	for (size_t i = 0; i < p->n_labels; i++) {
		if (!strcmp(p->labels[i].key, "kubearmor.io/hostname") &&
		    !strcmp(p->labels[i].value, "*"))
			continue;
		const char *v = kv_get(n->labels, n->n_labels, p->labels[i].key);
		if (!v || strcmp(v, p->labels[i].value))
			return false;
	}
	return true;
}

/* ---- rules ------------------------------------------------------------------ */

struct rvec {
	Bulwark__V1__Rule **v;
	size_t n, cap;
};

static char *xstrdup(const char *s, bool *oom)
{
	char *d = strdup(s ? s : "");

	if (!d)
		*oom = true;
	return d;
}

static void rule_free(Bulwark__V1__Rule *r)
{
	if (r)
		protobuf_c_message_free_unpacked(&r->base, NULL);
}

static Bulwark__V1__Rule *make_rule(const struct bw_policy *p, const struct bw_prule *pr)
{
	Bulwark__V1__Rule *r = malloc(sizeof(*r));
	Bulwark__V1__RuleOrigin *o = malloc(sizeof(*o));
	bool oom = false;

	if (!r || !o) {
		free(r);
		free(o);
		return NULL;
	}
	bulwark__v1__rule__init(r);
	bulwark__v1__rule_origin__init(o);
	r->origin = o;
	r->operation = pr->op;
	r->match = pr->match;
	r->value = xstrdup(pr->value, &oom);
	r->capability = pr->capability;
	r->syscall = pr->syscall;
	r->owner_only = pr->owner_only;
	r->read_only = pr->read_only;
	r->action = pr->action;
	r->needs_apparmor = pr->needs_apparmor;
	r->needs_bpflsm = pr->needs_bpflsm;
	if (pr->apparmor_raw)
		r->apparmor_raw = xstrdup(pr->apparmor_raw, &oom);
	r->port_min = pr->port_min;
	r->port_max = pr->port_max;
	if (pr->match == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL ||
	    pr->match == BULWARK__V1__MATCH_KIND__MATCH_ADDRESS) {
		Bulwark__V1__Protocol *pt = malloc(sizeof(*pt));
		if (pt) {
			bulwark__v1__protocol__init(pt);
			pt->family = pr->family;
			pt->type = pr->type;
			pt->protocol = pr->protocol;
			/* An address rule's protocol has no name of its own. */
			pt->name = xstrdup(
			    pr->match == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL ? pr->value : "",
			    &oom);
			r->protocol = pt;
		} else {
			oom = true;
		}
	}
	if (pr->n_src) {
		r->from_source = calloc(pr->n_src, sizeof(*r->from_source));
		if (!r->from_source)
			oom = true;
		for (size_t i = 0; r->from_source && i < pr->n_src; i++) {
			Bulwark__V1__Source *s = malloc(sizeof(*s));
			if (!s) {
				oom = true;
				break;
			}
			bulwark__v1__source__init(s);
			s->path = xstrdup(pr->src[i].path, &oom);
			s->dir = pr->src[i].dir;
			s->recursive = pr->src[i].recursive;
			r->from_source[r->n_from_source++] = s;
		}
	}
	o->policy_name = xstrdup(p->name, &oom);
	o->policy_namespace = xstrdup(p->ns, &oom);
	o->policy_kind = xstrdup(bw_policy_kind_name(p->kind), &oom);
	o->severity = pr->severity;
	o->message = xstrdup(pr->message, &oom);
	if (pr->n_tags) {
		o->tags = calloc(pr->n_tags, sizeof(char *));
		if (!o->tags)
			oom = true;
		for (size_t i = 0; o->tags && i < pr->n_tags; i++) {
			o->tags[i] = xstrdup(pr->tags[i], &oom);
			if (o->tags[i])
				o->n_tags++;
		}
	}
	if (oom) {
		rule_free(r);
		return NULL;
	}
	return r;
}

static int rvec_add_policy(struct rvec *v, const struct bw_policy *p)
{
	if (v->n + p->n_rules > v->cap) {
		size_t cap = v->cap ? v->cap : 16;
		while (cap < v->n + p->n_rules)
			cap *= 2;
		Bulwark__V1__Rule **nv = realloc(v->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		v->v = nv;
		v->cap = cap;
	}
	for (size_t i = 0; i < p->n_rules; i++) {
		Bulwark__V1__Rule *r = make_rule(p, &p->rules[i]);
		if (!r)
			return -ENOMEM;
		v->v[v->n++] = r;
	}
	return 0;
}

static int cmp_u(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_s(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* What a rule is about, irrespective of what it does: the key of "Block
 * beats Allow on the same resource". */
static int cmp_resource(const Bulwark__V1__Rule *a, const Bulwark__V1__Rule *b)
{
	int d;

	if ((d = cmp_u(a->operation, b->operation)) || (d = cmp_u(a->match, b->match)) ||
	    (d = cmp_s(a->value, b->value)) || (d = cmp_u(a->syscall, b->syscall)) ||
	    (d = cmp_u(a->capability, b->capability)) || (d = cmp_u(a->port_min, b->port_min)) ||
	    (d = cmp_u(a->port_max, b->port_max)))
		return d;
	if (a->protocol && b->protocol &&
	    ((d = cmp_u(a->protocol->family, b->protocol->family)) ||
	     (d = cmp_u(a->protocol->type, b->protocol->type)) ||
	     (d = cmp_u(a->protocol->protocol, b->protocol->protocol))))
		return d;
	if ((d = cmp_u(a->n_from_source, b->n_from_source)))
		return d;
	for (size_t i = 0; i < a->n_from_source; i++) {
		const Bulwark__V1__Source *x = a->from_source[i], *y = b->from_source[i];
		if ((d = cmp_s(x->path, y->path)) || (d = cmp_u(x->dir, y->dir)) ||
		    (d = cmp_u(x->recursive, y->recursive)))
			return d;
	}
	return cmp_s(a->apparmor_raw, b->apparmor_raw);
}

static int cmp_rule(const void *pa, const void *pb)
{
	const Bulwark__V1__Rule *a = *(Bulwark__V1__Rule *const *)pa;
	const Bulwark__V1__Rule *b = *(Bulwark__V1__Rule *const *)pb;
	const Bulwark__V1__RuleOrigin *x = a->origin, *y = b->origin;
	int d;

	if ((d = cmp_resource(a, b)) || (d = cmp_u(a->action, b->action)) ||
	    (d = cmp_u(a->owner_only, b->owner_only)) || (d = cmp_u(a->read_only, b->read_only)) ||
	    (d = cmp_s(x->policy_kind, y->policy_kind)) ||
	    (d = cmp_s(x->policy_namespace, y->policy_namespace)) ||
	    (d = cmp_s(x->policy_name, y->policy_name)) || (d = cmp_u(x->severity, y->severity)) ||
	    (d = cmp_s(x->message, y->message)) || (d = cmp_u(x->n_tags, y->n_tags)))
		return d;
	for (size_t i = 0; i < x->n_tags; i++)
		if ((d = cmp_s(x->tags[i], y->tags[i])))
			return d;
	return 0;
}

static bool counts_for_allowlist(const Bulwark__V1__Rule *r)
{
	return r->action == BULWARK__V1__ACTION__ACTION_ALLOW &&
	       r->match != BULWARK__V1__MATCH_KIND__MATCH_PRESET &&
	       r->match != BULWARK__V1__MATCH_KIND__MATCH_APPARMOR;
}

/*
 * Sorts, drops exact duplicates, and drops Allow rules of a resource that a
 * Block rule also names: KubeArmor gives Block precedence.  Audit rules
 * stay, they only report.  Allow-list flags are decided before dropping: the
 * overridden Allow still made the operation an allow-list.
 */
static void finish_rules(Bulwark__V1__RuleSet *rs, struct rvec *v)
{
	size_t out = 0;

	for (size_t i = 0; i < v->n; i++) {
		const Bulwark__V1__Rule *r = v->v[i];
		if (!counts_for_allowlist(r))
			continue;
		switch (r->operation) {
		case BULWARK__V1__OPERATION__OP_PROCESS:
			rs->process_allowlist = true;
			break;
		case BULWARK__V1__OPERATION__OP_FILE:
			rs->file_allowlist = true;
			break;
		case BULWARK__V1__OPERATION__OP_NETWORK:
			rs->network_allowlist = true;
			break;
		case BULWARK__V1__OPERATION__OP_CAPABILITY:
			rs->capability_allowlist = true;
			break;
		default:
			break;
		}
	}
	if (v->n > 1)
		qsort(v->v, v->n, sizeof(*v->v), cmp_rule);
	for (size_t i = 0; i < v->n;) {
		size_t j = i + 1;
		bool blocked = v->v[i]->action == BULWARK__V1__ACTION__ACTION_BLOCK;
		while (j < v->n && !cmp_resource(v->v[i], v->v[j])) {
			blocked |= v->v[j]->action == BULWARK__V1__ACTION__ACTION_BLOCK;
			j++;
		}
		for (size_t k = i; k < j; k++) {
			Bulwark__V1__Rule *r = v->v[k];
			bool dup = out && !cmp_rule(&v->v[out - 1], &r);
			if (dup || (blocked && r->action == BULWARK__V1__ACTION__ACTION_ALLOW))
				rule_free(r);
			else
				v->v[out++] = r;
		}
		i = j;
	}
	rs->rules = v->v;
	rs->n_rules = out;
	v->v = NULL;
	v->n = v->cap = 0;
}

static void rvec_free(struct rvec *v)
{
	for (size_t i = 0; i < v->n; i++)
		rule_free(v->v[i]);
	free(v->v);
}

static Bulwark__V1__RuleSet *ruleset_new(const struct inv_posture *pos)
{
	Bulwark__V1__RuleSet *rs = malloc(sizeof(*rs));

	if (!rs)
		return NULL;
	bulwark__v1__rule_set__init(rs);
	rs->file_posture = pos->file;
	rs->network_posture = pos->network;
	rs->capability_posture = pos->capabilities;
	return rs;
}

static int ruleset_fill(Bulwark__V1__RuleSet *rs, struct rvec *v, int rc)
{
	if (rc) {
		rvec_free(v);
		return rc;
	}
	finish_rules(rs, v);
	return 0;
}

/* rs->visibility = an owned copy of ns's setting (none: left absent). */
static int ruleset_set_visibility(Bulwark__V1__RuleSet *rs, const struct bw_inventory *inv,
				  const char *ns)
{
	const Bulwark__V1__Visibility *v = bw_inventory_visibility(inv, ns);

	if (!v)
		return 0;
	rs->visibility = malloc(sizeof(*rs->visibility));
	if (!rs->visibility)
		return -ENOMEM;
	*rs->visibility = *v;
	return 0;
}

/* rs->labels = owned copies of c's labels (sorted in the inventory). */
static int ruleset_set_labels(Bulwark__V1__RuleSet *rs, const struct inv_container *c)
{
	if (!c->n_labels)
		return 0;
	rs->labels = calloc(c->n_labels, sizeof(*rs->labels));
	if (!rs->labels)
		return -ENOMEM;
	for (size_t i = 0; i < c->n_labels; i++) {
		Bulwark__V1__KeyValue *kv;

		if (c->labels[i]->name_label)
			continue; /* matched on, not the container's own label */
		kv = malloc(sizeof(*kv));
		if (!kv)
			return -ENOMEM;
		bulwark__v1__key_value__init(kv);
		rs->labels[rs->n_labels++] = kv;
		kv->key = strdup(c->labels[i]->msg.key);
		kv->value = strdup(c->labels[i]->msg.value);
		if (!kv->key || !kv->value)
			return -ENOMEM;
	}
	return 0;
}

Bulwark__V1__RuleSet *bw_ruleset_bare(const struct bw_inventory *inv, const struct inv_container *c)
{
	Bulwark__V1__RuleSet *rs = ruleset_new(bw_inventory_posture(inv, c->ns));

	if (!rs)
		return NULL;
	rs->container_id = strdup(c->id);
	rs->namespace_name = strdup(c->ns);
	rs->cgroup_id = c->cgroup_id;
	if (!rs->container_id || !rs->namespace_name || ruleset_set_labels(rs, c) ||
	    ruleset_set_visibility(rs, inv, c->ns)) {
		protobuf_c_message_free_unpacked(&rs->base, NULL);
		return NULL;
	}
	return rs;
}

int bw_compile_container(const struct bw_policy_set *s, const struct bw_inventory *inv,
			 const char *container_id, Bulwark__V1__RuleSet **out)
{
	const struct inv_container *c = bw_strmap_get(&inv->containers, container_id);
	struct rvec v = {0};
	int rc = 0;

	if (!c)
		return -ENOENT;
	Bulwark__V1__RuleSet *rs = bw_ruleset_bare(inv, c);
	if (!rs)
		return -ENOMEM;

	/* Each namespaced policy sits in exactly one index list, so none is
	 * seen twice. */
	const struct ns_bucket *b = bw_strmap_get(&s->ns, c->ns);
	if (b) {
		for (size_t i = 0; !rc && i < b->scan.n; i++)
			if (bw_match_container(b->scan.v[i], c))
				rc = rvec_add_policy(&v, b->scan.v[i]);
		for (size_t l = 0; !rc && l < c->n_labels; l++) {
			if (c->labels[l]->name_label && !b->n_name_lists)
				continue; /* nothing here selects by name */
			const struct pvec *pv = bw_strmap_get(&b->by_label, c->labels[l]->kv);
			for (size_t i = 0; !rc && pv && i < pv->n; i++)
				if (bw_match_container(pv->v[i], c))
					rc = rvec_add_policy(&v, pv->v[i]);
		}
	}
	for (size_t i = 0; !rc && i < s->cluster.n; i++)
		if (bw_match_container(s->cluster.v[i], c))
			rc = rvec_add_policy(&v, s->cluster.v[i]);
	rc = ruleset_fill(rs, &v, rc);
	if (rc) {
		protobuf_c_message_free_unpacked(&rs->base, NULL);
		return rc;
	}
	*out = rs;
	return 0;
}

int bw_compile_host(const struct bw_policy_set *s, const struct bw_inventory *inv, const char *node,
		    Bulwark__V1__RuleSet **out)
{
	const struct inv_node *n = bw_strmap_get(&inv->nodes, node);
	struct rvec v = {0};
	int rc = 0;

	if (!n)
		return -ENOENT;
	Bulwark__V1__RuleSet *rs = ruleset_new(bw_inventory_posture(inv, ""));
	if (!rs)
		return -ENOMEM;
	rc = ruleset_set_visibility(rs, inv, "");
	for (size_t i = 0; !rc && i < s->host.n; i++)
		if (bw_match_node(s->host.v[i], n))
			rc = rvec_add_policy(&v, s->host.v[i]);
	rc = ruleset_fill(rs, &v, rc);
	if (rc) {
		protobuf_c_message_free_unpacked(&rs->base, NULL);
		return rc;
	}
	*out = rs;
	return 0;
}

static int cmp_ruleset(const void *pa, const void *pb)
{
	const Bulwark__V1__RuleSet *a = *(Bulwark__V1__RuleSet *const *)pa;
	const Bulwark__V1__RuleSet *b = *(Bulwark__V1__RuleSet *const *)pb;

	return strcmp(a->container_id, b->container_id);
}

int bw_ruleset_digest(const Bulwark__V1__RuleSet *rs, uint8_t out[32])
{
	uint8_t stackbuf[4096], *buf = stackbuf;
	/* The body: the rule set less its identity (fields 1 and 2). */
	Bulwark__V1__RuleSet body = *rs;
	struct bw_sha256 h;
	size_t len;

	body.container_id = (char *)"";
	body.cgroup_id = 0;
	len = protobuf_c_message_get_packed_size(&body.base);
	if (len > sizeof(stackbuf) && !(buf = malloc(len)))
		return -ENOMEM;
	protobuf_c_message_pack(&body.base, buf);
	bw_sha256_init(&h);
	bw_sha256_update(&h, buf, len);
	bw_sha256_final(&h, out);
	if (buf != stackbuf)
		free(buf);
	return 0;
}

void bw_digest_identity(struct bw_sha256 *h, const char *id, size_t id_len, uint64_t cgroup_id)
{
	uint8_t b[2 * 10];
	size_t n = bw_pb_varint(id_len, b);

	bw_sha256_update(h, b, n);
	bw_sha256_update(h, id, id_len);
	n = bw_pb_varint(cgroup_id, b);
	bw_sha256_update(h, b, n);
}

void bw_digest_combine(const uint8_t ident[32], const uint8_t bodies[32], const uint8_t host[32],
		       uint8_t out[32])
{
	struct bw_sha256 h;

	bw_sha256_init(&h);
	bw_sha256_update(&h, ident, 32);
	bw_sha256_update(&h, bodies, 32);
	bw_sha256_update(&h, host, 32);
	bw_sha256_final(&h, out);
}

int bw_digest_set(Bulwark__V1__CompiledPolicy *cp, const uint8_t (*ctr)[32], size_t n,
		  const uint8_t host[32])
{
	struct bw_sha256 hi, hb;
	uint8_t ident[32], bodies[32];
	uint8_t *d = malloc(32);

	if (!d)
		return -ENOMEM;
	bw_sha256_init(&hi);
	bw_sha256_init(&hb);
	for (size_t i = 0; i < n; i++) {
		const Bulwark__V1__RuleSet *rs = cp->containers[i];
		const char *id = rs->container_id ? rs->container_id : "";

		bw_digest_identity(&hi, id, strlen(id), rs->cgroup_id);
		bw_sha256_update(&hb, ctr[i], 32);
	}
	bw_sha256_final(&hi, ident);
	bw_sha256_final(&hb, bodies);
	bw_digest_combine(ident, bodies, host, d);
	free(cp->digest.data);
	cp->digest.data = d;
	cp->digest.len = 32;
	return 0;
}

int bw_compiled_digest(Bulwark__V1__CompiledPolicy *cp)
{
	uint8_t(*d)[32] = calloc(cp->n_containers + 1, 32);
	uint8_t host[32] = {0};
	int rc = 0;

	if (!d)
		return -ENOMEM;
	for (size_t i = 0; !rc && i < cp->n_containers; i++)
		rc = bw_ruleset_digest(cp->containers[i], d[i]);
	if (!rc && cp->host)
		rc = bw_ruleset_digest(cp->host, host);
	if (!rc)
		rc = bw_digest_set(cp, (const uint8_t(*)[32])d, cp->n_containers, host);
	free(d);
	return rc;
}

void bw_compiled_free(Bulwark__V1__CompiledPolicy *cp)
{
	if (cp)
		protobuf_c_message_free_unpacked(&cp->base, NULL);
}

int bw_compile_node(const struct bw_policy_set *s, const struct bw_inventory *inv, const char *node,
		    uint64_t version, Bulwark__V1__CompiledPolicy **out)
{
	const struct inv_node *n = bw_strmap_get(&inv->nodes, node);
	Bulwark__V1__CompiledPolicy *cp;
	int rc = -ENOMEM;

	if (!n)
		return -ENOENT;
	cp = malloc(sizeof(*cp));
	if (!cp)
		return -ENOMEM;
	bulwark__v1__compiled_policy__init(cp);
	cp->version = version;
	if (!(cp->node_name = strdup(node)))
		goto fail;
	if (n->n_ctrs && !(cp->containers = calloc(n->n_ctrs, sizeof(*cp->containers))))
		goto fail;
	for (size_t i = 0; i < n->n_ctrs; i++) {
		if ((rc = bw_compile_container(s, inv, n->ctrs[i]->id,
					       &cp->containers[cp->n_containers])))
			goto fail;
		cp->n_containers++;
	}
	if (cp->n_containers > 1)
		qsort(cp->containers, cp->n_containers, sizeof(*cp->containers), cmp_ruleset);
	if ((rc = bw_compile_host(s, inv, node, &cp->host)) || (rc = bw_compiled_digest(cp)))
		goto fail;
	*out = cp;
	return 0;
fail:
	bw_compiled_free(cp);
	return rc;
}
