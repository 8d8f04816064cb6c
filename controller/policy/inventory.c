/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory the compiler compiles against: nodes with labels, the
 * containers on them, and per-namespace default postures.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"

uint64_t bw_gen_next(void)
{
	static uint64_t gen;

	return __atomic_add_fetch(&gen, 1, __ATOMIC_RELAXED);
}

int bw_inventory_new(struct bw_inventory **out)
{
	struct bw_inventory *inv = calloc(1, sizeof(*inv));

	if (!inv)
		return -ENOMEM;
	bw_strmap_init(&inv->nodes);
	bw_strmap_init(&inv->containers);
	bw_strmap_init(&inv->postures);
	bw_strmap_init(&inv->ns_pool);
	bw_strmap_init(&inv->label_pool);
	inv->intern_epoch = bw_gen_next();
	*out = inv;
	return 0;
}

static void kv_free(struct bw_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* ---- interning ---------------------------------------------------------- */

static const char *ns_ref(struct bw_inventory *inv, const char *ns)
{
	uintptr_t refs = (uintptr_t)bw_strmap_get(&inv->ns_pool, ns);

	if (bw_strmap_put(&inv->ns_pool, ns, (void *)(refs + 1)))
		return NULL;
	return bw_strmap_key(&inv->ns_pool, ns);
}

static void ns_unref(struct bw_inventory *inv, const char *ns)
{
	uintptr_t refs = (uintptr_t)bw_strmap_get(&inv->ns_pool, ns);

	if (refs > 1) {
		bw_strmap_put(&inv->ns_pool, ns, (void *)(refs - 1));
	} else {
		bw_strmap_del(&inv->ns_pool, ns); /* frees the key ns points to */
		inv->intern_epoch = bw_gen_next();
	}
}

/* The pool key separates key and value with a byte labels do not carry, so
 * that "a=b"+"c" and "a"+"b=c" stay apart. */
static char *label_pool_key(const char *k, const char *v)
{
	size_t kl = strlen(k), vl = strlen(v);
	char *s = malloc(kl + vl + 2);

	if (s) {
		memcpy(s, k, kl);
		s[kl] = '\x1f';
		memcpy(s + kl + 1, v, vl + 1);
	}
	return s;
}

static struct inv_label *label_ref(struct bw_inventory *inv, const char *k, const char *v)
{
	char *pk = label_pool_key(k, v);
	struct inv_label *l;
	size_t kl = strlen(k), vl = strlen(v);

	if (!pk)
		return NULL;
	l = bw_strmap_get(&inv->label_pool, pk);
	if (l) {
		l->refs++;
		free(pk);
		return l;
	}
	/* "key=value\0" then "key\0value\0" for msg. */
	l = malloc(sizeof(*l) + 2 * (kl + vl + 2));
	if (!l) {
		free(pk);
		return NULL;
	}
	l->refs = 1;
	l->name_label = !strcmp(k, BW_CONTAINER_NAME_LABEL);
	l->klen = kl;
	l->kv = (char *)(l + 1);
	memcpy(l->kv, k, kl);
	l->kv[kl] = '=';
	memcpy(l->kv + kl + 1, v, vl + 1);
	bulwark__v1__key_value__init(&l->msg);
	l->msg.key = l->kv + kl + vl + 2;
	memcpy(l->msg.key, k, kl + 1);
	l->msg.value = l->msg.key + kl + 1;
	memcpy(l->msg.value, v, vl + 1);
	if (bw_strmap_put(&inv->label_pool, pk, l)) {
		free(l);
		free(pk);
		return NULL;
	}
	free(pk);
	return l;
}

static void label_unref(struct bw_inventory *inv, struct inv_label *l)
{
	if (--l->refs)
		return;
	char *pk = label_pool_key(l->msg.key, l->msg.value);
	if (pk)
		bw_strmap_del(&inv->label_pool, pk);
	free(pk);
	free(l);
	inv->intern_epoch = bw_gen_next();
}

static void container_free(struct bw_inventory *inv, struct inv_container *c)
{
	if (!c)
		return;
	if (c->ns)
		ns_unref(inv, c->ns);
	for (size_t i = 0; i < c->n_labels; i++)
		label_unref(inv, c->labels[i]);
	if (c->msg)
		protobuf_c_message_free_unpacked(&c->msg->base, NULL);
	free(c);
}

static void node_free(struct inv_node *n)
{
	if (!n)
		return;
	free(n->name);
	kv_free(n->labels, n->n_labels);
	free(n->ctrs);
	free(n);
}

void bw_inventory_free(struct bw_inventory *inv)
{
	const char *k;
	void *v;

	if (!inv)
		return;
	for (size_t i = 0; bw_strmap_next(&inv->containers, &i, &k, &v);)
		container_free(inv, v);
	for (size_t i = 0; bw_strmap_next(&inv->nodes, &i, &k, &v);)
		node_free(v);
	for (size_t i = 0; bw_strmap_next(&inv->postures, &i, &k, &v);)
		free(v);
	bw_strmap_fini(&inv->containers); /* frees the ids unless borrowed */
	bw_strmap_fini(&inv->nodes);
	bw_strmap_fini(&inv->postures);
	bw_strmap_fini(&inv->ns_pool);
	bw_strmap_fini(&inv->label_pool); /* empty: every label went with its container */
	free(inv);
}

/* "k=v,k=v" -> pairs; a bare "k" has an empty value. */
static int parse_labels(const char *s, struct bw_kv **out, size_t *n_out)
{
	struct bw_kv *v = NULL;
	size_t n = 0;
	char *copy, *save = NULL;

	*out = NULL;
	*n_out = 0;
	if (!s || !*s)
		return 0;
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		struct bw_kv *nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv)
			goto oom;
		v = nv;
		if (eq)
			*eq = 0;
		v[n].key = strdup(tok);
		v[n].value = strdup(eq ? eq + 1 : "");
		n++;
		if (!v[n - 1].key || !v[n - 1].value)
			goto oom;
	}
	free(copy);
	*out = v;
	*n_out = n;
	return 0;
oom:
	free(copy);
	kv_free(v, n);
	return -ENOMEM;
}

static struct inv_node *node_get_or_add(struct bw_inventory *inv, const char *name)
{
	struct inv_node *n = bw_strmap_get(&inv->nodes, name);

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(name)) || bw_strmap_put(&inv->nodes, name, n)) {
		node_free(n);
		return NULL;
	}
	n->gen = bw_gen_next();
	return n;
}

int bw_inventory_set_node(struct bw_inventory *inv, const char *node, const char *labels)
{
	struct bw_kv *kv;
	size_t n, i;
	int rc;

	if (!node || !*node)
		return -EINVAL;
	rc = parse_labels(labels, &kv, &n);
	if (rc)
		return rc;
	/* Every node carries its hostname label, as Kubernetes nodes do. */
	for (i = 0; i < n && strcmp(kv[i].key, "kubearmor.io/hostname"); i++)
		;
	if (i == n) {
		struct bw_kv *nv = realloc(kv, (n + 1) * sizeof(*kv));
		if (!nv) {
			kv_free(kv, n);
			return -ENOMEM;
		}
		kv = nv;
		kv[n].key = strdup("kubearmor.io/hostname");
		kv[n].value = strdup(node);
		n++;
		if (!kv[n - 1].key || !kv[n - 1].value) {
			kv_free(kv, n);
			return -ENOMEM;
		}
	}
	struct inv_node *nd = node_get_or_add(inv, node);
	if (!nd) {
		kv_free(kv, n);
		return -ENOMEM;
	}
	kv_free(nd->labels, nd->n_labels);
	nd->labels = kv;
	nd->n_labels = n;
	nd->gen = bw_gen_next();
	return 0;
}

static void node_drop_container(struct inv_node *n, struct inv_container *c)
{
	for (size_t i = 0; i < n->n_ctrs; i++)
		if (n->ctrs[i] == c) {
			n->ctrs[i] = n->ctrs[--n->n_ctrs];
			return;
		}
}

int bw_inventory_remove_node(struct bw_inventory *inv, const char *node)
{
	struct inv_node *n = bw_strmap_del(&inv->nodes, node);

	if (!n)
		return -ENOENT;
	/* Its containers go with it: they cannot run elsewhere. */
	for (size_t i = 0; i < n->n_ctrs; i++) {
		struct inv_container *c = n->ctrs[i];

		bw_strmap_del(&inv->containers, c->id); /* frees c->id */
		c->id = NULL;
		container_free(inv, c);
	}
	node_free(n);
	return 0;
}

int bw_inventory_keep_messages(struct bw_inventory *inv, int keep)
{
	if (!keep == inv->drop_messages)
		return 0;
	if (inv->containers.len)
		return -EBUSY; /* the copies already made (or not) cannot change */
	inv->drop_messages = !keep;
	return 0;
}

int bw_inventory_borrow_ids(struct bw_inventory *inv)
{
	if (inv->containers.len)
		return -EBUSY;
	inv->containers.borrow_keys = 1;
	return 0;
}

static int cmp_label(const void *pa, const void *pb)
{
	const struct inv_label *a = *(struct inv_label *const *)pa;
	const struct inv_label *b = *(struct inv_label *const *)pb;
	int r = strcmp(a->msg.key, b->msg.key);

	return r ? r : strcmp(a->msg.value, b->msg.value);
}

int bw_inventory_set_container(struct bw_inventory *inv, const char *node,
			       const Bulwark__V1__Container *c)
{
	struct inv_container *nc;
	int rc = -ENOMEM;

	if (!node || !*node || !c || !c->id || !*c->id)
		return -EINVAL;
	/* The container's name, as KubeArmor's kubearmor.io/container.name
	 * selects it: the name inside the pod, else the runtime's. */
	const char *cname = c->container_name && *c->container_name ? c->container_name
			    : c->name && *c->name			   ? c->name
									   : NULL;
	nc = calloc(1, sizeof(*nc) + (c->n_labels + !!cname) * sizeof(nc->labels[0]));
	if (!nc)
		return -ENOMEM;
	if (!inv->drop_messages) {
		/* A deep copy by round trip: the message has nested repeated fields. */
		size_t len = protobuf_c_message_get_packed_size(&c->base);
		uint8_t *buf = malloc(len ? len : 1);

		if (!buf)
			goto fail;
		protobuf_c_message_pack(&c->base, buf);
		nc->msg = bulwark__v1__container__unpack(NULL, len, buf);
		free(buf);
		if (!nc->msg)
			goto fail;
	}
	nc->cgroup_id = c->cgroup_id;
	nc->ns =
	    ns_ref(inv, c->namespace_name && *c->namespace_name ? c->namespace_name : "default");
	if (!nc->ns)
		goto fail;
	for (size_t i = 0; i < c->n_labels; i++) {
		const Bulwark__V1__KeyValue *kv = c->labels[i];

		/* The reserved key is the container's name, not a label to trust. */
		if (kv->key && !strcmp(kv->key, BW_CONTAINER_NAME_LABEL))
			continue;
		nc->labels[nc->n_labels] =
		    label_ref(inv, kv->key ? kv->key : "", kv->value ? kv->value : "");
		if (!nc->labels[nc->n_labels])
			goto fail;
		nc->n_labels++;
	}
	if (cname) {
		nc->labels[nc->n_labels] = label_ref(inv, BW_CONTAINER_NAME_LABEL, cname);
		if (!nc->labels[nc->n_labels])
			goto fail;
		nc->n_labels++;
	}
	/* Sorted by key (then value): RuleSet.labels is then deterministic
	 * whatever order the agent or the API gave them in. */
	if (nc->n_labels > 1)
		qsort(nc->labels, nc->n_labels, sizeof(nc->labels[0]), cmp_label);
	struct inv_node *nd = node_get_or_add(inv, node);
	if (!nd)
		goto fail;
	if (!nd->n_labels && (rc = bw_inventory_set_node(inv, node, NULL)))
		goto fail;
	if (nd->n_ctrs == nd->cap_ctrs) {
		size_t cap = nd->cap_ctrs ? nd->cap_ctrs * 2 : 16;
		struct inv_container **v = realloc(nd->ctrs, cap * sizeof(*v));
		if (!v) {
			rc = -ENOMEM;
			goto fail;
		}
		nd->ctrs = v;
		nd->cap_ctrs = cap;
	}
	struct inv_container *old = bw_strmap_get(&inv->containers, c->id);
	if ((rc = bw_strmap_put(&inv->containers, c->id, nc)))
		goto fail;
	/* Replacing keeps the map's key, so old and new share it. */
	nc->id = bw_strmap_key(&inv->containers, c->id);
	nc->id_len = (uint32_t)strlen(nc->id);
	nc->node = nd;
	if (old) {
		node_drop_container(old->node, old);
		container_free(inv, old);
	}
	nd->ctrs[nd->n_ctrs++] = nc;
	nc->gen = bw_gen_next();
	return 0;
fail:
	container_free(inv, nc);
	return rc;
}

int bw_inventory_remove_container(struct bw_inventory *inv, const char *container_id)
{
	struct inv_container *c = bw_strmap_get(&inv->containers, container_id);

	if (!c)
		return -ENOENT;
	node_drop_container(c->node, c);
	bw_strmap_del(&inv->containers, container_id); /* frees c->id */
	c->id = NULL;
	container_free(inv, c);
	return 0;
}

static int posture_value(const char *s, int *out)
{
	if (!s)
		return 0;
	if (!strcmp(s, "audit"))
		*out = BULWARK__V1__POSTURE__POSTURE_AUDIT;
	else if (!strcmp(s, "block"))
		*out = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	else
		return -EINVAL;
	return 0;
}

/* KubeArmor's defaults: block for namespaces, audit for hosts. */
static const struct inv_posture ns_default = {.file = BULWARK__V1__POSTURE__POSTURE_BLOCK,
					      .network = BULWARK__V1__POSTURE__POSTURE_BLOCK,
					      .capabilities = BULWARK__V1__POSTURE__POSTURE_BLOCK,
					      .vis = BULWARK__V1__VISIBILITY__INIT};
static const struct inv_posture host_default = {.file = BULWARK__V1__POSTURE__POSTURE_AUDIT,
						.network = BULWARK__V1__POSTURE__POSTURE_AUDIT,
						.capabilities = BULWARK__V1__POSTURE__POSTURE_AUDIT,
						.vis = BULWARK__V1__VISIBILITY__INIT};

int bw_inventory_set_posture(struct bw_inventory *inv, const char *ns, const char *file,
			     const char *network, const char *capabilities)
{
	struct inv_posture *p;
	const char *key = ns ? ns : "";
	struct inv_posture tmp;

	p = bw_strmap_get(&inv->postures, key);
	tmp = p ? *p : *key ? ns_default : host_default;
	if (posture_value(file, &tmp.file) || posture_value(network, &tmp.network) ||
	    posture_value(capabilities, &tmp.capabilities))
		return -EINVAL;
	if (!p) {
		p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		if (bw_strmap_put(&inv->postures, key, p)) {
			free(p);
			return -ENOMEM;
		}
		inv->intern_epoch = bw_gen_next(); /* the namespace leaves the default */
	}
	*p = tmp;
	p->gen = bw_gen_next();
	return 0;
}

/* "process,file,network,capabilities" in any order, or "none" / "". */
int bw_visibility_check(const char *s, Bulwark__V1__Visibility *v)
{
	const char *p = s;

	bulwark__v1__visibility__init(v);
	v->set = 1;
	if (!strcmp(s, "none"))
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		protobuf_c_boolean *bit = NULL;

		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		size_t m = n;
		while (m && (p[m - 1] == ' ' || p[m - 1] == '\t'))
			m--;
		if (m == 7 && !strncmp(p, "process", 7))
			bit = &v->process;
		else if (m == 4 && !strncmp(p, "file", 4))
			bit = &v->file;
		else if (m == 7 && !strncmp(p, "network", 7))
			bit = &v->network;
		else if (m == 12 && !strncmp(p, "capabilities", 12))
			bit = &v->capabilities;
		if (!bit)
			return -EINVAL;
		*bit = 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

int bw_visibility_canon(const char *vis, char *out, size_t len)
{
	Bulwark__V1__Visibility v;
	char buf[64];

	if (!vis || bw_visibility_check(vis, &v))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s%s%s%s", v.process ? ",process" : "", v.file ? ",file" : "",
		 v.network ? ",network" : "", v.capabilities ? ",capabilities" : "");
	snprintf(out, len, "%s", buf[0] ? buf + 1 : "none");
	return 0;
}

int bw_inventory_set_visibility(struct bw_inventory *inv, const char *ns, const char *vis)
{
	const char *key = ns ? ns : "";
	struct inv_posture *p = bw_strmap_get(&inv->postures, key);
	Bulwark__V1__Visibility v = BULWARK__V1__VISIBILITY__INIT;

	if (vis && bw_visibility_check(vis, &v))
		return -EINVAL;
	if (!p) {
		if (!vis)
			return 0; /* nothing set, nothing to forget */
		p = malloc(sizeof(*p));
		if (!p)
			return -ENOMEM;
		*p = *key ? ns_default : host_default;
		if (bw_strmap_put(&inv->postures, key, p)) {
			free(p);
			return -ENOMEM;
		}
		inv->intern_epoch = bw_gen_next(); /* the namespace leaves the default */
	}
	p->vis = v;
	p->gen = bw_gen_next();
	return 0;
}

const Bulwark__V1__Visibility *bw_inventory_visibility(const struct bw_inventory *inv,
						       const char *ns)
{
	const struct inv_posture *p = bw_strmap_get(&inv->postures, ns);

	return p && p->vis.set ? &p->vis : NULL;
}

const struct inv_posture *bw_inventory_posture(const struct bw_inventory *inv, const char *ns)
{
	const struct inv_posture *p = bw_strmap_get(&inv->postures, ns);

	return p ? p : *ns ? &ns_default : &host_default;
}

const Bulwark__V1__Container *bw_inventory_container(const struct bw_inventory *inv,
						     const char *container_id)
{
	const struct inv_container *c = bw_strmap_get(&inv->containers, container_id);

	return c ? c->msg : NULL; /* NULL too when messages are not kept */
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int bw_inventory_nodes(const struct bw_inventory *inv, const char ***out, size_t *n_out)
{
	const char **v = calloc(inv->nodes.len ? inv->nodes.len : 1, sizeof(*v));
	const char *k;
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; bw_strmap_next(&inv->nodes, &i, &k, NULL);)
		v[n++] = ((struct inv_node *)bw_strmap_get(&inv->nodes, k))->name;
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	*n_out = n;
	return 0;
}
