/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes mode (kubernetes.enabled): the API server, followed through
 * bw_k8s, feeds the same state the admin API does.
 *
 *   KubeArmor policy CRDs -> policies, tagged as from Kubernetes (a 'K'
 *       record beside the policy) so that cleanup after the first list
 *       removes only those, never what was applied through the API;
 *   pods -> a container overlay per container id (namespace, pod, labels),
 *       marked "source": "kubernetes" for the same reason;
 *   namespace posture annotations -> namespace postures;
 *   node labels -> merged over the agent's labels for host policies;
 *   and back: each policy's status ("OK" once compiled, or why it was
 *   rejected).
 *
 * Everything here is soft state the API server gives again after a
 * restart, so it is committed lazily (the store's sync timer).
 */
#include "ctl.h"
#include "bw_k8s.h"
#include "bw_log.h"
#include "bw_time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATUS_MAX 1024

struct k8s_pod {
	char **ids;
	size_t n;
};

struct k8s_status {
	enum bw_k8s_resource r;
	char *ns, *name, *text;
};

struct ctl_k8s {
	struct bw_controller *c;
	struct bw_k8s *k;
	struct ctl_map *pods;	     /* "ns/name" -> k8s_pod */
	struct ctl_map *node_labels; /* node -> "k=v,..." from the API server */
	struct ctl_map *annotated;   /* namespaces whose posture came from annotations */
	struct ctl_map *status;	     /* policy key -> k8s_status owed after a compile */
	struct ctl_map *rejected;    /* policy key -> the document last rejected */
	int pods_synced;
};

static enum bw_policy_kind kind_of(enum bw_k8s_resource r)
{
	switch (r) {
	case BW_K8S_POLICY:
		return BW_KIND_POLICY;
	case BW_K8S_HOST_POLICY:
		return BW_KIND_HOST_POLICY;
	case BW_K8S_CLUSTER_POLICY:
		return BW_KIND_CLUSTER_POLICY;
	default:
		return 0;
	}
}

static void commit_lazy(struct bw_controller *c, struct bw_store_txn *t)
{
	if (bw_store_txn_ops(t) && bw_store_commit(c->store, t, BW_STORE_LAZY)) {
		c->metrics.store_errors++;
		bw_error("store write failed in Kubernetes mode");
	}
}

/* ---- policy status ------------------------------------------------------------- */

static void status_free(struct k8s_status *s)
{
	if (!s)
		return;
	free(s->ns);
	free(s->name);
	free(s->text);
	free(s);
}

static void status_done(void *arg, int rc, int http_status)
{
	char *what = arg;

	if (rc)
		bw_warn("writing a policy status failed | policy=%s err=%d http=%d", what, rc,
			http_status);
	free(what);
}

static void status_send(struct ctl_k8s *k, const struct k8s_status *s)
{
	char *what = NULL;

	if (asprintf(&what, "%s/%s/%s", bw_k8s_resource_kind(s->r), s->ns, s->name) < 0)
		what = NULL;
	if (bw_k8s_set_policy_status(k->k, s->r, s->ns, s->name, s->text, status_done, what))
		free(what);
}

/* Owed: replaces what was owed for the same policy (the latest wins). */
static void status_owe(struct ctl_k8s *k, const char *key, enum bw_k8s_resource r, const char *ns,
		       const char *name, const char *text)
{
	struct k8s_status *s = calloc(1, sizeof(*s)), *old = NULL;

	if (!s)
		return;
	s->r = r;
	s->ns = strdup(ns);
	s->name = strdup(name);
	s->text = strdup(text); /* callers bound it (STATUS_MAX) */
	if (!s->ns || !s->name || !s->text || ctl_map_put(k->status, key, s, (void **)&old)) {
		status_free(s);
		return;
	}
	status_free(old);
}

void ctl_k8s_compiled(struct bw_controller *c)
{
	struct ctl_k8s *k = c->k8s;
	struct k8s_status *s;
	const char *key;
	size_t it = 0;

	if (!k || !ctl_map_count(k->status))
		return;
	while (ctl_map_next(k->status, &it, &key, (void **)&s))
		status_send(k, s);
	/* The map is emptied by recreating it: no changes during iteration. */
	struct ctl_map *fresh;
	if (ctl_map_new(&fresh))
		return; /* sent again after the next compile */
	it = 0;
	while (ctl_map_next(k->status, &it, NULL, (void **)&s))
		status_free(s);
	ctl_map_free(k->status);
	k->status = fresh;
}

/* ---- policies ------------------------------------------------------------------ */

static void policy_drop(struct bw_controller *c, const char *key, struct ctl_policy *p)
{
	struct bw_store_txn *t = NULL;

	if (bw_store_txn_new(&t) || bw_store_txn_del(t, REC_POLICY, key) ||
	    bw_store_txn_del(t, REC_POLICY_SOURCE, key)) {
		bw_store_txn_free(t);
		return;
	}
	commit_lazy(c, t);
	bw_store_txn_free(t);
	bw_policy_set_remove(c->set, p->kind, p->ns, p->name);
	bw_info("policy removed (gone from Kubernetes) | policy=%s", key);
	ctl_map_del(c->policies, key);
	free(p->ns);
	free(p->name);
	free(p->json);
	free(p);
	ctl_mark_all_dirty(c);
}

/*
 * The policy as a user wrote it: the server's bookkeeping (resourceVersion,
 * uid, managedFields, ...) and our own status left out, so that a status
 * write-back, which comes back as a change, compares equal.
 */
static char *policy_doc(const char *json)
{
	cJSON *o = cJSON_Parse(json), *out = cJSON_CreateObject(), *meta;
	const char *keep[] = {"name", "namespace", "labels", "annotations"};
	char *txt = NULL;

	if (!o || !out)
		goto done;
	cJSON_AddItemToObject(out, "apiVersion",
			      cJSON_Duplicate(cJSON_GetObjectItem(o, "apiVersion"), 1));
	cJSON_AddItemToObject(out, "kind", cJSON_Duplicate(cJSON_GetObjectItem(o, "kind"), 1));
	meta = cJSON_AddObjectToObject(out, "metadata");
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		cJSON *m = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), keep[i]);

		if (m)
			cJSON_AddItemToObject(meta, keep[i], cJSON_Duplicate(m, 1));
	}
	cJSON_AddItemToObject(out, "spec", cJSON_Duplicate(cJSON_GetObjectItem(o, "spec"), 1));
	txt = cJSON_PrintUnformatted(out);
done:
	cJSON_Delete(o);
	cJSON_Delete(out);
	return txt;
}

static void on_policy_upsert(void *arg, enum bw_k8s_resource r, const char *ns, const char *name,
			     const char *json)
{
	struct ctl_k8s *k = arg;
	struct bw_controller *c = k->c;
	enum bw_policy_kind kind = kind_of(r);
	struct bw_diags *d = NULL;
	struct bw_policy **v = NULL;
	struct bw_store_txn *t = NULL;
	struct ctl_policy *old, *p = NULL;
	char *key = NULL, *canon = NULL, *doc = NULL, file[300];
	size_t nv = 0;

	if (!kind)
		return;
	snprintf(file, sizeof(file), "%s/%s%s%s", bw_k8s_resource_kind(r), ns, *ns ? "/" : "",
		 name);
	key = ctl_policy_key(kind, kind == BW_KIND_POLICY ? ns : "", name);
	if (!key || bw_diags_new(&d) || !(doc = policy_doc(json)))
		goto cleanup;
	if (bw_policy_parse(doc, strlen(doc), file, &v, &nv, d) || nv != 1) {
		char *msg, text[STATUS_MAX], *prev = ctl_map_get(k->rejected, key);

		/* Our status write comes back as a change: say it once per document. */
		if (prev && strcmp(prev, doc) == 0)
			goto cleanup;
		if (ctl_map_put(k->rejected, key, doc, (void **)&prev) == 0) {
			free(prev);
			doc = NULL;
		}
		msg = bw_diags_format(d);
		snprintf(text, sizeof(text), "Invalid: %s",
			 msg && *msg ? msg : "expected exactly one policy");
		text[strcspn(text, "\n")] = 0; /* the first error: a status is one line */
		bw_warn("policy from Kubernetes rejected | policy=%s error=\"%s\"", file, text);
		free(msg);
		/* Rejected at once: no compile needed to know.  The previously
		 * accepted version, if any, stays in force. */
		struct k8s_status s = {r, (char *)ns, (char *)name, text};
		status_send(k, &s);
		goto cleanup;
	}
	free(ctl_map_del(k->rejected, key));
	canon = bw_policy_to_json(v[0]);
	if (!canon)
		goto cleanup;
	old = ctl_map_get(c->policies, key);
	if (old && old->from_k8s && strcmp(old->json, canon) == 0) {
		old->k8s_seen = 1; /* unchanged (a re-list, or a status update) */
		goto cleanup;
	}
	p = calloc(1, sizeof(*p));
	if (!p || bw_store_txn_new(&t) ||
	    bw_store_txn_put(t, REC_POLICY, key, canon, strlen(canon)) ||
	    bw_store_txn_put(t, REC_POLICY_SOURCE, key, "kubernetes", 10))
		goto cleanup;
	commit_lazy(c, t);
	p->kind = kind;
	p->ns = strdup(bw_policy_namespace(v[0]));
	p->name = strdup(bw_policy_name(v[0]));
	p->json = canon;
	canon = NULL;
	p->updated_ns = bw_real_ns();
	p->from_k8s = 1;
	p->k8s_seen = 1;
	if (!p->ns || !p->name || ctl_map_put(c->policies, key, p, (void **)&old))
		goto cleanup;
	if (old) {
		free(old->ns);
		free(old->name);
		free(old->json);
		free(old);
	}
	p = NULL;
	if (bw_policy_set_put(c->set, v[0]) == 0)
		v[0] = NULL;
	bw_info("policy stored from Kubernetes | policy=%s", key);
	status_owe(k, key, r, ns, name, "OK");
	ctl_mark_all_dirty(c);
cleanup:
	if (p) {
		free(p->ns);
		free(p->name);
		free(p->json);
		free(p);
	}
	for (size_t i = 0; i < nv; i++)
		bw_policy_free(v[i]);
	free(v);
	free(canon);
	free(doc);
	free(key);
	bw_store_txn_free(t);
	bw_diags_free(d);
}

static void on_policy_delete(void *arg, enum bw_k8s_resource r, const char *ns, const char *name)
{
	struct ctl_k8s *k = arg;
	enum bw_policy_kind kind = kind_of(r);
	char *key = kind ? ctl_policy_key(kind, kind == BW_KIND_POLICY ? ns : "", name) : NULL;
	struct ctl_policy *p = key ? ctl_map_get(k->c->policies, key) : NULL;

	if (key)
		free(ctl_map_del(k->rejected, key));
	/* One applied through the API since is the API's to delete. */
	if (p && p->from_k8s)
		policy_drop(k->c, key, p);
	free(key);
}

/* After the first list: k8s-sourced policies of this kind not reported since
 * the start vanished while the controller was away. */
static void policies_synced(struct ctl_k8s *k, enum bw_policy_kind kind)
{
	struct bw_controller *c = k->c;
	const char **keys;
	size_t n;

	keys = ctl_map_sorted_keys(c->policies, &n);
	for (size_t i = 0; keys && i < n; i++) {
		struct ctl_policy *p = ctl_map_get(c->policies, keys[i]);

		if (p->kind == kind && p->from_k8s && !p->k8s_seen) {
			char *key = strdup(keys[i]); /* keys[i] goes with the entry */

			if (key)
				policy_drop(c, key, p);
			free(key);
		}
	}
	free(keys);
}

/* ---- pods ---------------------------------------------------------------------- */

static void pod_free(struct k8s_pod *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->ids[i]);
	free(p->ids);
	free(p);
}

/* "k=v,k=v" into o as a JSON object of strings. */
static void add_labels(cJSON *o, const char *name, const char *labels)
{
	cJSON *l = cJSON_AddObjectToObject(o, name);
	char *copy = strdup(labels ? labels : ""), *save = NULL;

	if (!l || !copy) {
		free(copy);
		return;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (eq)
			*eq = 0;
		cJSON_AddStringToObject(l, tok, eq ? eq + 1 : "");
	}
	free(copy);
}

static int is_k8s_overlay(const char *json)
{
	cJSON *o = json ? cJSON_Parse(json) : NULL;
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "source");
	int yes = cJSON_IsString(s) && strcmp(s->valuestring, "kubernetes") == 0;

	cJSON_Delete(o);
	return yes;
}

static void overlay_remove(struct bw_controller *c, const char *id, struct bw_store_txn *t)
{
	struct ctl_container *ct = ctl_map_get(c->containers, id);

	/* Only an overlay this mode wrote: the API's are the API's. */
	if (ct && ct->overlay && is_k8s_overlay(ct->overlay))
		ctl_container_remove_overlay(c, id, t);
}

static void on_pod_upsert(void *arg, const struct bw_k8s_pod *pod)
{
	struct ctl_k8s *k = arg;
	struct bw_controller *c = k->c;
	struct k8s_pod *np = calloc(1, sizeof(*np)), *old = NULL;
	struct bw_store_txn *t = NULL;
	char *key = NULL, err[128];

	if (!np || asprintf(&key, "%s/%s", pod->ns, pod->name) < 0 || bw_store_txn_new(&t)) {
		key = NULL;
		goto cleanup;
	}
	np->ids = calloc(pod->n_containers ? pod->n_containers : 1, sizeof(*np->ids));
	if (!np->ids)
		goto cleanup;
	for (size_t i = 0; i < pod->n_containers; i++) {
		const char *id = pod->container_ids[i];
		struct ctl_container *ct;
		cJSON *o = cJSON_CreateObject();
		char *json;

		if (!o)
			break;
		cJSON_AddStringToObject(o, "source", "kubernetes");
		cJSON_AddStringToObject(o, "namespace", pod->ns);
		cJSON_AddStringToObject(o, "pod", pod->name);
		cJSON_AddStringToObject(o, "container_name", pod->container_names[i]);
		if (*pod->node)
			cJSON_AddStringToObject(o, "node", pod->node);
		add_labels(o, "labels", pod->labels);
		json = cJSON_PrintUnformatted(o);
		cJSON_Delete(o);
		if (!json || !(np->ids[np->n] = strdup(id))) {
			free(json);
			break;
		}
		np->n++;
		ct = ctl_map_get(c->containers, id);
		/* Pods change often (status); only a changed overlay recompiles. */
		if (!ct || !ct->overlay || strcmp(ct->overlay, json) != 0)
			if (ctl_container_set_overlay(c, id, json, t, err, sizeof(err)))
				bw_warn("pod labels not applied | pod=%s container=%s err=\"%s\"",
					key, id, err);
		free(json);
	}
	if (ctl_map_put(k->pods, key, np, (void **)&old))
		goto cleanup;
	/* Containers that left the pod (restarted: new ids). */
	for (size_t i = 0; old && i < old->n; i++) {
		size_t j;

		for (j = 0; j < np->n && strcmp(np->ids[j], old->ids[i]); j++)
			;
		if (j == np->n)
			overlay_remove(c, old->ids[i], t);
	}
	pod_free(old);
	np = NULL;
	commit_lazy(c, t);
cleanup:
	pod_free(np);
	free(key);
	bw_store_txn_free(t);
}

static void on_pod_delete(void *arg, const char *ns, const char *name)
{
	struct ctl_k8s *k = arg;
	struct bw_store_txn *t = NULL;
	struct k8s_pod *p;
	char *key = NULL;

	if (asprintf(&key, "%s/%s", ns, name) < 0)
		return;
	p = ctl_map_del(k->pods, key);
	free(key);
	if (!p || bw_store_txn_new(&t)) {
		pod_free(p);
		return;
	}
	for (size_t i = 0; i < p->n; i++)
		overlay_remove(k->c, p->ids[i], t);
	commit_lazy(k->c, t);
	bw_store_txn_free(t);
	pod_free(p);
}

/* After the first pod list: overlays written for pods that are gone. */
static void pods_synced(struct ctl_k8s *k)
{
	struct bw_controller *c = k->c;
	struct ctl_map *live = NULL;
	struct bw_store_txn *t = NULL;
	struct k8s_pod *p;
	const char **ids;
	size_t it = 0, n;

	if (k->pods_synced++ || ctl_map_new(&live) || bw_store_txn_new(&t))
		goto cleanup;
	while (ctl_map_next(k->pods, &it, NULL, (void **)&p))
		for (size_t i = 0; i < p->n; i++)
			ctl_map_put(live, p->ids[i], p, NULL);
	ids = ctl_map_sorted_keys(c->containers, &n);
	for (size_t i = 0; ids && i < n; i++) {
		char *id;

		if (ctl_map_get(live, ids[i]) || !(id = strdup(ids[i])))
			continue;
		overlay_remove(c, id, t); /* may drop the entry ids[i] points into */
		free(id);
	}
	free(ids);
	commit_lazy(c, t);
cleanup:
	ctl_map_free(live);
	bw_store_txn_free(t);
}

/* ---- namespaces ---------------------------------------------------------------- */

static void posture_apply(struct bw_controller *c, const char *ns, const struct ctl_posture *np)
{
	struct ctl_posture *p = ctl_map_get(c->postures, ns);
	struct bw_store_txn *t = NULL;
	char buf[192];

	if (p && memcmp(p, np, sizeof(*np)) == 0)
		return;
	if (!p) {
		p = malloc(sizeof(*p));
		if (!p || ctl_map_put(c->postures, ns, p, NULL)) {
			free(p);
			return;
		}
	}
	*p = *np;
	int n = ctl_posture_record(p, buf, sizeof(buf));
	if (bw_store_txn_new(&t) == 0 && bw_store_txn_put(t, REC_POSTURE, ns, buf, (size_t)n) == 0)
		commit_lazy(c, t);
	bw_store_txn_free(t);
	ctl_posture_sync(c, ns, p);
	bw_info("namespace posture from Kubernetes | namespace=%s file=%s network=%s "
		"capabilities=%s visibility=%s",
		ns, p->file, p->network, p->capabilities, p->visibility[0] ? p->visibility : "-");
	ctl_mark_all_dirty(c);
}

static void posture_field(char dst[8], const char *v, const char *ns, const char *what)
{
	if (!v)
		return;
	if (strcmp(v, "audit") && strcmp(v, "block")) {
		bw_warn("namespace posture annotation ignored (audit or block) | namespace=%s "
			"annotation=kubearmor-%s-posture value=\"%.32s\"",
			ns, what, v);
		return;
	}
	snprintf(dst, 8, "%s", v);
}

static void on_namespace_upsert(void *arg, const struct bw_k8s_namespace *ns)
{
	struct ctl_k8s *k = arg;
	struct ctl_posture np = {{0}};
	int had = ctl_map_get(k->annotated, ns->name) != NULL;

	if (!ns->file_posture && !ns->network_posture && !ns->capabilities_posture &&
	    !ns->visibility) {
		/* No annotations: back to the default only if they were ours. */
		if (had) {
			free(ctl_map_del(k->annotated, ns->name));
			posture_apply(k->c, ns->name, &np);
		}
		return;
	}
	posture_field(np.file, ns->file_posture, ns->name, "file");
	posture_field(np.network, ns->network_posture, ns->name, "network");
	posture_field(np.capabilities, ns->capabilities_posture, ns->name, "capabilities");
	if (ns->visibility &&
	    bw_visibility_canon(ns->visibility, np.visibility, sizeof(np.visibility)))
		bw_warn("namespace visibility annotation ignored | namespace=%s "
			"annotation=kubearmor-visibility value=\"%.64s\"",
			ns->name, ns->visibility);
	if (!had)
		ctl_map_put(k->annotated, ns->name, strdup(""), NULL);
	posture_apply(k->c, ns->name, &np);
}

static void on_namespace_delete(void *arg, const char *name)
{
	struct ctl_k8s *k = arg;
	struct ctl_posture np = {{0}};
	char *had = ctl_map_del(k->annotated, name);

	if (had)
		posture_apply(k->c, name, &np);
	free(had);
}

/* ---- nodes --------------------------------------------------------------------- */

int ctl_node_sync_labels(struct bw_controller *c, struct ctl_node *n)
{
	const char *kl = c->k8s ? ctl_map_get(c->k8s->node_labels, n->name) : NULL;
	char *merged = NULL;
	int rc;

	if (!kl || !*kl)
		return bw_inventory_set_node(c->inv, n->name, n->labels);
	/* The API server's labels after the agent's: the inventory's parser
	 * keeps the last value of a key, so the API server wins. */
	if (asprintf(&merged, "%s%s%s", n->labels && *n->labels ? n->labels : "",
		     n->labels && *n->labels ? "," : "", kl) < 0)
		return -ENOMEM;
	rc = bw_inventory_set_node(c->inv, n->name, merged);
	free(merged);
	return rc;
}

static void node_labels_set(struct ctl_k8s *k, const char *name, char *labels)
{
	struct ctl_node *n;
	char *old = NULL;

	if (labels)
		ctl_map_put(k->node_labels, name, labels, (void **)&old);
	else
		old = ctl_map_del(k->node_labels, name);
	free(old);
	n = ctl_map_get(k->c->nodes, name);
	if (n && ctl_node_sync_labels(k->c, n) == 0)
		ctl_mark_dirty(k->c, n); /* host policies select by node labels */
}

static void on_node_upsert(void *arg, const char *name, const char *labels)
{
	struct ctl_k8s *k = arg;
	const char *cur = ctl_map_get(k->node_labels, name);
	char *copy;

	if (cur && strcmp(cur, labels) == 0)
		return; /* node status updates come every few seconds */
	copy = strdup(labels);
	if (copy)
		node_labels_set(k, name, copy);
}

static void on_node_delete(void *arg, const char *name)
{
	node_labels_set(arg, name, NULL);
}

static void on_synced(void *arg, enum bw_k8s_resource r)
{
	struct ctl_k8s *k = arg;

	bw_info("Kubernetes resource synced | kind=%s", bw_k8s_resource_kind(r));
	if (kind_of(r))
		policies_synced(k, kind_of(r));
	else if (r == BW_K8S_POD)
		pods_synced(k);
}

/* ---- lifecycle ----------------------------------------------------------------- */

int ctl_k8s_new(struct bw_controller *c)
{
	struct ctl_k8s *k = calloc(1, sizeof(*k));
	struct bw_k8s_config kc = {0};
	struct bw_k8s_callbacks cb = {
	    .policy_upsert = on_policy_upsert,
	    .policy_delete = on_policy_delete,
	    .pod_upsert = on_pod_upsert,
	    .pod_delete = on_pod_delete,
	    .namespace_upsert = on_namespace_upsert,
	    .namespace_delete = on_namespace_delete,
	    .node_upsert = on_node_upsert,
	    .node_delete = on_node_delete,
	    .synced = on_synced,
	};
	char err[256] = "";
	int rc;

	if (!k)
		return -ENOMEM;
	c->k8s = k; /* callbacks run from the loop, after this returns */
	k->c = c;
	cb.arg = k;
	if (ctl_map_new(&k->pods) || ctl_map_new(&k->node_labels) || ctl_map_new(&k->annotated) ||
	    ctl_map_new(&k->status) || ctl_map_new(&k->rejected)) {
		rc = -ENOMEM;
		goto fail;
	}
	kc.server = c->cfg.k8s_server && *c->cfg.k8s_server ? c->cfg.k8s_server : NULL;
	kc.token_path =
	    c->cfg.k8s_token_file && *c->cfg.k8s_token_file ? c->cfg.k8s_token_file : NULL;
	kc.ca_path = c->cfg.k8s_ca_file && *c->cfg.k8s_ca_file ? c->cfg.k8s_ca_file : NULL;
	rc = bw_k8s_new(&k->k, c->base, &kc, &cb, err, sizeof(err));
	if (rc) {
		bw_error("cannot start Kubernetes mode | err=\"%s\" server=%s",
			 err[0] ? err : strerror(-rc), kc.server ? kc.server : "(in-cluster)");
		goto fail;
	}
	bw_info("Kubernetes mode on | server=%s", kc.server ? kc.server : "(in-cluster)");
	return 0;
fail:
	ctl_k8s_free(c);
	return rc;
}

static void free_values(struct ctl_map *m, void (*fn)(void *))
{
	size_t it = 0;
	void *v;

	if (!m)
		return;
	while (ctl_map_next(m, &it, NULL, &v))
		fn(v);
	ctl_map_free(m);
}

static void pod_free_v(void *v)
{
	pod_free(v);
}

static void status_free_v(void *v)
{
	status_free(v);
}

void ctl_k8s_free(struct bw_controller *c)
{
	struct ctl_k8s *k = c ? c->k8s : NULL;

	if (!k)
		return;
	bw_k8s_free(k->k);
	free_values(k->pods, pod_free_v);
	free_values(k->node_labels, free);
	free_values(k->annotated, free);
	free_values(k->status, status_free_v);
	free_values(k->rejected, free);
	free(k);
	c->k8s = NULL;
}
