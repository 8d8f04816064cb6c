/* SPDX-License-Identifier: Apache-2.0 */
/* Admin API handlers: policies, postures, nodes, containers, status. */
#include "api.h"
#include "bw_daemon.h"
#include "bw_log.h"
#include "bw_time.h"

#include <errno.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------------- */

static cJSON *labels_obj(const char *labels)
{
	cJSON *o = cJSON_CreateObject();
	char *copy, *save = NULL;

	if (!labels || !labels[0] || !(copy = strdup(labels)))
		return o;
	for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');

		if (eq)
			*eq = '\0';
		cJSON_AddStringToObject(o, kv, eq ? eq + 1 : "");
	}
	free(copy);
	return o;
}

static cJSON *csv_array(const char *s)
{
	cJSON *a = cJSON_CreateArray();
	char *copy, *save = NULL;

	if (!s || !s[0] || !(copy = strdup(s)))
		return a;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(t));
	free(copy);
	return a;
}

static void add_time(cJSON *o, const char *k, uint64_t ns)
{
	char buf[40];

	if (!ns) {
		cJSON_AddNullToObject(o, k);
		return;
	}
	bw_format_rfc3339(ns, buf, sizeof(buf));
	cJSON_AddStringToObject(o, k, buf);
}

static int commit(struct api_req *r, struct bw_store_txn *t)
{
	int rc = bw_store_commit(r->c->store, t, BW_STORE_SYNC);

	if (rc) {
		r->c->metrics.store_errors++;
		api_errorf(r, 500,
			   "the store could not make the change durable: %s; nothing changed",
			   strerror(-rc));
	}
	return rc;
}

/* ---- policies -------------------------------------------------------------------- */

static cJSON *policy_obj(const struct ctl_policy *p, int with_body)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", bw_policy_kind_name(p->kind));
	cJSON_AddStringToObject(o, "namespace", p->ns);
	cJSON_AddStringToObject(o, "name", p->name);
	cJSON_AddStringToObject(o, "source", p->from_k8s ? "kubernetes" : "api");
	add_time(o, "updated", p->updated_ns);
	if (with_body) {
		cJSON *body = cJSON_Parse(p->json);

		cJSON_AddItemToObject(o, "policy", body ? body : cJSON_CreateNull());
	}
	return o;
}

static void policies_post(struct api_req *r)
{
	const char *filename = api_query(r, "filename");
	struct bw_store_txn *t = NULL;
	struct bw_policy **v = NULL;
	struct bw_diags *d = NULL;
	char **jsons = NULL, **keys = NULL;
	const char **result = NULL;
	cJSON *out, *arr;
	int changed = 0;
	size_t nv = 0;

	if (!r->body || !r->body_len) {
		api_error(r, 400, "empty body: send one or more policy documents (YAML or JSON)",
			  NULL);
		return;
	}
	if (bw_diags_new(&d)) {
		api_error(r, 500, "out of memory", NULL);
		return;
	}
	if (bw_policy_parse(r->body, r->body_len, filename ? filename : "request", &v, &nv, d)) {
		cJSON *details = cJSON_CreateArray();
		size_t n = bw_diags_count(d);

		for (size_t i = 0; i < n; i++) {
			const struct bw_diag *g = bw_diags_get(d, i);
			char line[1024];

			if (!g)
				continue;
			snprintf(line, sizeof(line), "%s:%u:%u: %s", g->file ? g->file : "request",
				 g->line, g->col, g->message ? g->message : "invalid");
			cJSON_AddItemToArray(details, cJSON_CreateString(line));
		}
		char msg[128];

		snprintf(msg, sizeof(msg), "invalid policy (%zu error%s); nothing was stored", n,
			 n == 1 ? "" : "s");
		api_error(r, 400, msg, details);
		goto cleanup;
	}
	if (nv == 0) {
		api_error(r, 400, "no policy documents in the body", NULL);
		goto cleanup;
	}
	jsons = calloc(nv, sizeof(*jsons));
	keys = calloc(nv, sizeof(*keys));
	result = calloc(nv, sizeof(*result));
	if (!jsons || !keys || !result || bw_store_txn_new(&t)) {
		api_error(r, 500, "out of memory", NULL);
		goto cleanup;
	}
	for (size_t i = 0; i < nv; i++) {
		struct ctl_policy *old;

		keys[i] = ctl_policy_key(bw_policy_kind(v[i]), bw_policy_namespace(v[i]),
					 bw_policy_name(v[i]));
		jsons[i] = bw_policy_to_json(v[i]);
		if (!keys[i] || !jsons[i]) {
			api_error(r, 500, "out of memory", NULL);
			goto cleanup;
		}
		old = ctl_map_get(r->c->policies, keys[i]);
		result[i] = !old			  ? "created"
			    : strcmp(old->json, jsons[i]) ? "configured"
							  : "unchanged";
		/* Later documents with the same name win, as in kubectl apply. */
		for (size_t j = 0; j < i; j++)
			if (strcmp(keys[j], keys[i]) == 0)
				result[i] = "configured";
		/* From now on the API's, even if a CRD object brought it. */
		if (old && old->from_k8s && strcmp(result[i], "unchanged") != 0 &&
		    bw_store_txn_del(t, REC_POLICY_SOURCE, keys[i])) {
			api_error(r, 500, "out of memory", NULL);
			goto cleanup;
		}
		if (strcmp(result[i], "unchanged") != 0 &&
		    bw_store_txn_put(t, REC_POLICY, keys[i], jsons[i], strlen(jsons[i]))) {
			api_error(r, 500, "out of memory", NULL);
			goto cleanup;
		}
	}
	if (commit(r, t))
		goto cleanup;
	out = cJSON_CreateObject();
	arr = cJSON_AddArrayToObject(out, "results");
	for (size_t i = 0; i < nv; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "kind", bw_policy_kind_name(bw_policy_kind(v[i])));
		cJSON_AddStringToObject(o, "namespace", bw_policy_namespace(v[i]));
		cJSON_AddStringToObject(o, "name", bw_policy_name(v[i]));
		cJSON_AddStringToObject(o, "result", result[i]);
		cJSON_AddItemToArray(arr, o);
		if (strcmp(result[i], "unchanged") == 0)
			continue;
		struct ctl_policy *p = calloc(1, sizeof(*p)), *old = NULL;

		if (p) {
			p->kind = bw_policy_kind(v[i]);
			p->ns = strdup(bw_policy_namespace(v[i]));
			p->name = strdup(bw_policy_name(v[i]));
			p->json = jsons[i];
			jsons[i] = NULL;
			p->updated_ns = bw_real_ns();
			ctl_map_put(r->c->policies, keys[i], p, (void **)&old);
			if (old) {
				free(old->ns);
				free(old->name);
				free(old->json);
				free(old);
			}
		}
		if (bw_policy_set_put(r->c->set, v[i]) == 0)
			v[i] = NULL;
		changed = 1;
		bw_info("policy stored | policy=%s result=%s", keys[i], result[i]);
	}
	if (changed)
		ctl_mark_all_dirty(r->c);
	api_json(r, 200, out);
cleanup:
	for (size_t i = 0; i < nv; i++) {
		bw_policy_free(v[i]);
		if (jsons)
			free(jsons[i]);
		if (keys)
			free(keys[i]);
	}
	free(v);
	free(jsons);
	free(keys);
	free(result);
	bw_store_txn_free(t);
	bw_diags_free(d);
}

static void policies_list(struct api_req *r)
{
	const char *ns = api_query(r, "namespace"), *kind = api_query(r, "kind");
	enum bw_policy_kind k = kind ? bw_policy_kind_parse(kind) : 0;
	cJSON *out = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(out, "items");
	const char **keys;
	size_t n;

	if (kind && !k) {
		cJSON_Delete(out);
		api_errorf(r, 400, "unknown policy kind '%.64s'", kind);
		return;
	}
	keys = ctl_map_sorted_keys(r->c->policies, &n);
	for (size_t i = 0; keys && i < n; i++) {
		const struct ctl_policy *p = ctl_map_get(r->c->policies, keys[i]);

		if ((ns && strcmp(ns, p->ns) != 0) || (k && k != p->kind))
			continue;
		cJSON_AddItemToArray(items, policy_obj(p, 1));
	}
	free(keys);
	api_json(r, 200, out);
}

void api_policies(struct api_req *r)
{
	if (r->method == EVHTTP_REQ_POST)
		return policies_post(r);
	if (r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD)
		return policies_list(r);
	api_method_not_allowed(r, "GET, HEAD, POST");
}

/* /v1/policies/{kind}/{namespace}/{name}; "-" or "_" stands for no namespace. */
void api_policy_one(struct api_req *r)
{
	enum bw_policy_kind k = bw_policy_kind_parse(r->segs[2]);
	const char *ns = r->segs[3];
	struct bw_store_txn *t = NULL;
	struct ctl_policy *p;
	char *key;

	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD &&
	    r->method != EVHTTP_REQ_DELETE)
		return api_method_not_allowed(r, "GET, HEAD, DELETE");
	if (!k)
		return api_errorf(r, 400, "unknown policy kind '%.64s'", r->segs[2]);
	if (k != BW_KIND_POLICY || strcmp(ns, "-") == 0 || strcmp(ns, "_") == 0)
		ns = "";
	key = ctl_policy_key(k, ns, r->segs[4]);
	if (!key)
		return api_error(r, 500, "out of memory", NULL);
	p = ctl_map_get(r->c->policies, key);
	if (!p) {
		api_errorf(r, 404, "policy %s not found", key);
		goto cleanup;
	}
	if (r->method != EVHTTP_REQ_DELETE) {
		api_json(r, 200, policy_obj(p, 1));
		goto cleanup;
	}
	if (bw_store_txn_new(&t) || bw_store_txn_del(t, REC_POLICY, key) ||
	    (p->from_k8s && bw_store_txn_del(t, REC_POLICY_SOURCE, key))) {
		api_error(r, 500, "out of memory", NULL);
		goto cleanup;
	}
	if (commit(r, t))
		goto cleanup;
	bw_policy_set_remove(r->c->set, p->kind, p->ns, p->name);
	{
		cJSON *o = cJSON_CreateObject(), *d = policy_obj(p, 0);

		cJSON_AddStringToObject(d, "result", "deleted");
		cJSON_AddItemToObject(o, "deleted", d);
		api_json(r, 200, o);
	}
	ctl_map_del(r->c->policies, key);
	free(p->ns);
	free(p->name);
	free(p->json);
	free(p);
	bw_info("policy deleted | policy=%s", key);
	ctl_mark_all_dirty(r->c);
cleanup:
	bw_store_txn_free(t);
	free(key);
}

/* ---- postures --------------------------------------------------------------------- */

static cJSON *posture_obj(const char *ns, const struct ctl_posture *p)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "namespace", ns);
	cJSON_AddStringToObject(o, "file", p && p->file[0] ? p->file : "block");
	cJSON_AddStringToObject(o, "network", p && p->network[0] ? p->network : "block");
	cJSON_AddStringToObject(o, "capabilities",
				p && p->capabilities[0] ? p->capabilities : "block");
	/* null: no setting, each agent's own visibility configuration applies. */
	if (p && p->visibility[0])
		cJSON_AddStringToObject(o, "visibility", p->visibility);
	else
		cJSON_AddNullToObject(o, "visibility");
	return o;
}

void api_posture(struct api_req *r)
{
	static const char *const fields[] = {"file", "network", "capabilities"};
	const char *ns = r->segs[2];
	struct ctl_posture np, *p = ctl_map_get(r->c->postures, ns);
	struct bw_store_txn *t = NULL;
	cJSON *in = NULL, *rec;
	char *txt = NULL;

	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD &&
	    r->method != EVHTTP_REQ_PUT)
		return api_method_not_allowed(r, "GET, HEAD, PUT");
	/* Kubernetes namespace names: DNS labels. */
	if (strlen(ns) > 63 || strspn(ns, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(ns) ||
	    ns[0] == '-')
		return api_errorf(
		    r, 400,
		    "namespace '%.80s' is not a valid name (lowercase letters, digits "
		    "and '-', at most 63)",
		    ns);
	if (r->method != EVHTTP_REQ_PUT)
		return api_json(r, 200, posture_obj(ns, p));
	in = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	if (!cJSON_IsObject(in)) {
		api_error(r, 400,
			  "body must be a JSON object such as {\"file\":\"audit\",\"network\":"
			  "\"block\",\"capabilities\":\"audit\"}",
			  NULL);
		goto cleanup;
	}
	memset(&np, 0, sizeof(np));
	if (p)
		np = *p;
	for (const cJSON *f = in->child; f; f = f->next) {
		char *dst = NULL;

		if (strcmp(f->string, "visibility") == 0) {
			/* kubearmor-visibility; null forgets it. */
			if (cJSON_IsNull(f)) {
				np.visibility[0] = 0;
			} else if (!cJSON_IsString(f) ||
				   bw_visibility_canon(f->valuestring, np.visibility,
						       sizeof(np.visibility))) {
				api_errorf(r, 400,
					   "visibility must be null, \"none\" or a list such as "
					   "\"process,file,network,capabilities\"");
				goto cleanup;
			}
			continue;
		}
		for (size_t i = 0; i < 3; i++)
			if (strcmp(f->string, fields[i]) == 0)
				dst = i == 0 ? np.file : i == 1 ? np.network : np.capabilities;
		if (!dst) {
			api_errorf(r, 400,
				   "unknown posture field '%.64s' (file, network, capabilities, "
				   "visibility)",
				   f->string);
			goto cleanup;
		}
		if (!cJSON_IsString(f) ||
		    (strcmp(f->valuestring, "audit") && strcmp(f->valuestring, "block"))) {
			api_errorf(r, 400, "posture '%s' must be \"audit\" or \"block\"",
				   f->string);
			goto cleanup;
		}
		snprintf(dst, 8, "%s", f->valuestring);
	}
	rec = posture_obj(ns, &np);
	cJSON_DeleteItemFromObject(rec, "namespace");
	txt = cJSON_PrintUnformatted(rec);
	cJSON_Delete(rec);
	if (!txt || bw_store_txn_new(&t) ||
	    bw_store_txn_put(t, REC_POSTURE, ns, txt, strlen(txt))) {
		api_error(r, 500, "out of memory", NULL);
		goto cleanup;
	}
	if (commit(r, t))
		goto cleanup;
	if (!p) {
		p = malloc(sizeof(*p));
		if (!p || ctl_map_put(r->c->postures, ns, p, NULL)) {
			free(p);
			api_error(r, 500, "out of memory", NULL);
			goto cleanup;
		}
	}
	*p = np;
	ctl_posture_sync(r->c, ns, p);
	bw_info("namespace posture set | namespace=%s file=%s network=%s capabilities=%s "
		"visibility=%s",
		ns, np.file, np.network, np.capabilities, np.visibility[0] ? np.visibility : "-");
	ctl_mark_all_dirty(r->c);
	api_json(r, 200, posture_obj(ns, p));
cleanup:
	cJSON_Delete(in);
	free(txt);
	bw_store_txn_free(t);
}

/* ---- nodes -------------------------------------------------------------------------- */

static cJSON *node_obj(const struct ctl_node *n)
{
	cJSON *o = cJSON_CreateObject(), *ev;

	cJSON_AddStringToObject(o, "name", n->name);
	cJSON_AddStringToObject(o, "state", ctl_node_state_name(n->state));
	cJSON_AddBoolToObject(o, "connected", n->pipe != 0);
	cJSON_AddStringToObject(o, "enforcer", ctl_enforcer_name(n->enforcer));
	cJSON_AddItemToObject(o, "enforcers", csv_array(n->enforcers));
	cJSON_AddItemToObject(o, "unenforceable", csv_array(n->unenforceable));
	cJSON_AddStringToObject(o, "kernel", n->kernel ? n->kernel : "");
	cJSON_AddStringToObject(o, "agent_version", n->agent_version ? n->agent_version : "");
	cJSON_AddItemToObject(o, "labels", labels_obj(n->labels));
	cJSON_AddNumberToObject(o, "policy_version", (double)n->version);
	cJSON_AddNumberToObject(o, "applied_version", (double)n->applied_version);
	cJSON_AddBoolToObject(o, "in_sync", n->applied_version == n->version);
	/* When this controller processed that ack: RFC 3339, and Unix
	 * nanoseconds for measurements (bench/controller.sh). */
	add_time(o, "applied_at", n->applied_ns);
	cJSON_AddNumberToObject(o, "applied_at_ns", (double)n->applied_ns);
	cJSON_AddBoolToObject(o, "ack_ok", n->ack_ok);
	cJSON_AddStringToObject(o, "ack_message", n->ack_message ? n->ack_message : "");
	cJSON_AddItemToObject(o, "unenforced", csv_array(n->unenforced));
	add_time(o, "registered", n->registered_ns);
	add_time(o, "last_heartbeat", n->last_heartbeat_ns);
	cJSON_AddNumberToObject(o, "containers", (double)n->n_ctrs);
	ev = cJSON_AddObjectToObject(o, "events");
	cJSON_AddNumberToObject(ev, "sent", (double)n->events_sent);
	cJSON_AddNumberToObject(ev, "lost", (double)n->events_lost);
	cJSON_AddNumberToObject(ev, "dropped", (double)n->events_dropped);
	return o;
}

void api_nodes(struct api_req *r)
{
	cJSON *out, *items;
	const char **keys;
	size_t n;

	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
		return api_method_not_allowed(r, "GET, HEAD");
	out = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(out, "items");
	keys = ctl_map_sorted_keys(r->c->nodes, &n);
	for (size_t i = 0; keys && i < n; i++)
		cJSON_AddItemToArray(items, node_obj(ctl_map_get(r->c->nodes, keys[i])));
	free(keys);
	api_json(r, 200, out);
}

void api_node_one(struct api_req *r)
{
	struct ctl_node *n;

	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
		return api_method_not_allowed(r, "GET, HEAD");
	n = ctl_map_get(r->c->nodes, r->segs[2]);
	if (!n)
		return api_errorf(r, 404, "node '%.253s' not found", r->segs[2]);
	api_json(r, 200, node_obj(n));
}

void api_node_policy(struct api_req *r)
{
	Bulwark__V1__CompiledPolicy *cp = NULL;
	struct ctl_node *n;
	char *txt;
	int rc;

	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
		return api_method_not_allowed(r, "GET, HEAD");
	n = ctl_map_get(r->c->nodes, r->segs[2]);
	if (!n)
		return api_errorf(r, 404, "node '%.253s' not found", r->segs[2]);
	rc = ctl_compile_current(r->c, n, &cp);
	if (rc)
		return api_errorf(r, 500, "compiling the node's policy failed: %s", strerror(-rc));
	txt = bw_compiled_to_json(cp);
	bw_compiled_free(cp);
	if (!txt)
		return api_error(r, 500, "out of memory", NULL);
	{
		struct evbuffer *b = evbuffer_new();

		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type",
				  "application/json");
		evbuffer_add(b, txt, strlen(txt));
		evhttp_send_reply(r->req, 200, "OK", b);
		evbuffer_free(b);
	}
	free(txt);
}

/* ---- containers --------------------------------------------------------------------- */

static cJSON *kv_obj(Bulwark__V1__KeyValue **kv, size_t n)
{
	cJSON *o = cJSON_CreateObject();

	for (size_t i = 0; i < n; i++)
		cJSON_AddStringToObject(o, kv[i]->key, kv[i]->value);
	return o;
}

static int selector_match(const char *sel, const Bulwark__V1__Container *m)
{
	char *copy = strdup(sel), *save = NULL;
	int ok = 1;

	if (!copy)
		return 0;
	for (char *t = strtok_r(copy, ",", &save); t && ok; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		int found = 0;

		if (eq)
			*eq = '\0';
		for (size_t i = 0; i < m->n_labels; i++)
			if (strcmp(m->labels[i]->key, t) == 0 &&
			    (!eq || strcmp(m->labels[i]->value, eq + 1) == 0))
				found = 1;
		ok = found;
	}
	free(copy);
	return ok;
}

static void containers_list(struct api_req *r)
{
	const char *node = api_query(r, "node"), *ns = api_query(r, "namespace"),
		   *sel = api_query(r, "selector");
	cJSON *out = cJSON_CreateObject(), *items = cJSON_AddArrayToObject(out, "items");
	const char **keys;
	size_t n;

	keys = ctl_map_sorted_keys(r->c->containers, &n);
	for (size_t i = 0; keys && i < n; i++) {
		const struct ctl_container *ct = ctl_map_get(r->c->containers, keys[i]);
		Bulwark__V1__Container *m;
		char cg[24];
		cJSON *o;

		if (node && (!ct->node || strcmp(ct->node->name, node) != 0))
			continue;
		m = ctl_container_merged(ct);
		if (!m)
			continue;
		if ((ns && strcmp(m->namespace_name, ns) != 0) ||
		    (sel && !selector_match(sel, m))) {
			bulwark__v1__container__free_unpacked(m, NULL);
			continue;
		}
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "id", m->id);
		cJSON_AddStringToObject(o, "node", ct->node ? ct->node->name : "");
		cJSON_AddStringToObject(o, "name", m->name);
		cJSON_AddStringToObject(o, "image", m->image);
		cJSON_AddStringToObject(o, "namespace", m->namespace_name);
		cJSON_AddStringToObject(o, "pod", m->pod_name);
		cJSON_AddStringToObject(o, "container_name", m->container_name);
		cJSON_AddItemToObject(o, "labels", kv_obj(m->labels, m->n_labels));
		snprintf(cg, sizeof(cg), "%llu", (unsigned long long)m->cgroup_id);
		cJSON_AddStringToObject(o, "cgroup_id", cg);
		cJSON_AddNumberToObject(o, "pid", m->pid);
		cJSON_AddStringToObject(o, "runtime", m->runtime);
		cJSON_AddStringToObject(o, "owner", m->owner);
		cJSON_AddStringToObject(o, "source",
					ct->agent && ct->overlay ? "agent+api"
					: ct->agent		 ? "agent"
								 : "api");
		cJSON_AddItemToArray(items, o);
		bulwark__v1__container__free_unpacked(m, NULL);
	}
	free(keys);
	api_json(r, 200, out);
}

static const char *check_overlay(const cJSON *o)
{
	static const char *const strs[] = {"id",	"node", "name",		  "image",
					   "namespace", "pod",	"container_name", "owner"};
	const cJSON *f;

	if (!cJSON_IsObject(o))
		return "each container must be a JSON object";
	f = cJSON_GetObjectItemCaseSensitive(o, "id");
	if (!cJSON_IsString(f) || !f->valuestring[0] || strlen(f->valuestring) > 256)
		return "\"id\" (the container id, 1-256 characters) is required";
	for (f = o->child; f; f = f->next) {
		int known = 0;

		for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
			if (strcmp(f->string, strs[i]) == 0) {
				if (!cJSON_IsString(f))
					return "id, node, name, image, namespace, pod, "
					       "container_name and owner must be strings";
				known = 1;
			}
		if (strcmp(f->string, "labels") == 0) {
			const cJSON *l;

			if (!cJSON_IsObject(f))
				return "\"labels\" must be an object of strings";
			cJSON_ArrayForEach(l, f)
			{
				if (!cJSON_IsString(l) || strchr(l->string, ',') ||
				    strchr(l->string, '=') || strchr(l->valuestring, ','))
					return "labels must be strings without ',' (nor '=' in "
					       "keys)";
			}
			known = 1;
		}
		if (!known)
			return "unknown field (allowed: id, node, name, image, namespace, pod, "
			       "container_name, owner, labels)";
	}
	return NULL;
}

static void containers_post(struct api_req *r)
{
	cJSON *in = r->body ? cJSON_ParseWithLength(r->body, r->body_len) : NULL, *list, *out, *res;
	struct bw_store_txn *t = NULL;
	const cJSON *o;
	int i = 0;

	if (!in) {
		api_error(r, 400, "body must be a JSON object or an array of them", NULL);
		return;
	}
	list = cJSON_IsArray(in) ? in : NULL;
	if (bw_store_txn_new(&t)) {
		api_error(r, 500, "out of memory", NULL);
		goto cleanup;
	}
	/* Validate everything first: a request is stored whole or not at all. */
	for (o = list ? list->child : in; o; o = list ? o->next : NULL, i++) {
		const char *why = check_overlay(o);

		if (why) {
			api_errorf(r, 400, "container %d: %s", i, why);
			goto cleanup;
		}
	}
	for (o = list ? list->child : in; o; o = list ? o->next : NULL) {
		char *txt = cJSON_PrintUnformatted(o);
		const char *id = cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring;

		if (!txt || bw_store_txn_put(t, REC_OVERLAY, id, txt, strlen(txt))) {
			free(txt);
			api_error(r, 500, "out of memory", NULL);
			goto cleanup;
		}
		free(txt);
	}
	if (commit(r, t))
		goto cleanup;
	out = cJSON_CreateObject();
	res = cJSON_AddArrayToObject(out, "results");
	for (o = list ? list->child : in; o; o = list ? o->next : NULL) {
		const char *id = cJSON_GetObjectItemCaseSensitive(o, "id")->valuestring;
		struct ctl_container *ct = ctl_map_get(r->c->containers, id);
		char *txt = cJSON_PrintUnformatted(o), err[128];
		cJSON *e = cJSON_CreateObject();

		cJSON_AddStringToObject(e, "id", id);
		cJSON_AddStringToObject(e, "result", ct && ct->overlay ? "configured" : "created");
		cJSON_AddItemToArray(res, e);
		if (txt)
			ctl_container_set_overlay(r->c, id, txt, NULL, err, sizeof(err));
		free(txt);
	}
	api_json(r, 200, out);
cleanup:
	cJSON_Delete(in);
	bw_store_txn_free(t);
}

static void containers_delete(struct api_req *r)
{
	const char *id = api_query(r, "id");
	struct bw_store_txn *t = NULL;
	struct ctl_container *ct;
	cJSON *in = NULL, *o;

	if (!id && r->body) {
		const cJSON *f;

		in = cJSON_ParseWithLength(r->body, r->body_len);
		f = cJSON_GetObjectItemCaseSensitive(in, "id");
		id = cJSON_IsString(f) ? f->valuestring : NULL;
	}
	if (!id || !id[0]) {
		api_error(r, 400, "name the container: ?id=ID or a body {\"id\":\"ID\"}", NULL);
		goto cleanup;
	}
	ct = ctl_map_get(r->c->containers, id);
	if (!ct || !ct->overlay) {
		api_errorf(r, 404,
			   "no API-provided data for container '%.256s' (agent reports are "
			   "removed by their agent)",
			   id);
		goto cleanup;
	}
	if (bw_store_txn_new(&t) || bw_store_txn_del(t, REC_OVERLAY, id)) {
		api_error(r, 500, "out of memory", NULL);
		goto cleanup;
	}
	if (commit(r, t))
		goto cleanup;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "result", "deleted");
	ctl_container_remove_overlay(r->c, id, NULL);
	api_json(r, 200, o);
cleanup:
	cJSON_Delete(in);
	bw_store_txn_free(t);
}

void api_containers(struct api_req *r)
{
	switch (r->method) {
	case EVHTTP_REQ_GET:
	case EVHTTP_REQ_HEAD:
		return containers_list(r);
	case EVHTTP_REQ_POST:
		return containers_post(r);
	case EVHTTP_REQ_DELETE:
		return containers_delete(r);
	default:
		return api_method_not_allowed(r, "GET, HEAD, POST, DELETE");
	}
}

/* ---- status --------------------------------------------------------------------------- */

void api_status(struct api_req *r)
{
	uint64_t ready = 0, not_ready = 0, in_sync = 0;
	cJSON *o, *nodes;
	struct ctl_node *n;
	size_t it = 0;

	if (r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD)
		return api_method_not_allowed(r, "GET, HEAD");
	while (ctl_map_next(r->c->nodes, &it, NULL, (void **)&n)) {
		ready += n->state == NODE_READY;
		not_ready += n->state == NODE_NOT_READY;
		in_sync += n->applied_version == n->version && n->version;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "version", BW_VERSION);
	cJSON_AddNumberToObject(o, "uptime_seconds",
				(double)((bw_real_ns() - r->c->started_ns) / 1000000000ull));
	cJSON_AddStringToObject(o, "agents_url", ctl_channel_url(r->c));
	cJSON_AddNumberToObject(o, "policies", (double)ctl_map_count(r->c->policies));
	cJSON_AddNumberToObject(o, "containers", (double)ctl_map_count(r->c->containers));
	nodes = cJSON_AddObjectToObject(o, "nodes");
	cJSON_AddNumberToObject(nodes, "total", (double)ctl_map_count(r->c->nodes));
	cJSON_AddNumberToObject(nodes, "ready", (double)ready);
	cJSON_AddNumberToObject(nodes, "not_ready", (double)not_ready);
	cJSON_AddNumberToObject(nodes, "in_sync", (double)in_sync);
	cJSON_AddNumberToObject(o, "pushes", (double)r->c->metrics.pushes);
	cJSON_AddNumberToObject(o, "acks", (double)r->c->metrics.acks);
	api_json(r, 200, o);
}
