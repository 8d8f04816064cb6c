/* SPDX-License-Identifier: Apache-2.0 */
/*
 * List/watch per resource, as client-go's reflector does it:
 *
 *   LIST (pages) --> reconcile known objects --> WATCH from the list's
 *   resourceVersion --+-- stream ends normally --> WATCH from last version
 *                     +-- 410 Gone / ERROR 410 --> LIST again
 *                     +-- failure --> backoff --> WATCH (or LIST) again
 *
 * Each resource keeps the objects it reported (key -> resourceVersion), so
 * a relist reports exactly what changed while no watch was open: new or
 * changed objects as upserts, vanished ones as deletes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_log.h"
#include "bw_time.h"
#include "k8s_internal.h"

#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KEY_MAX 512
#define URI_MAX 2048
/* A watch that ends this soon with nothing in it counts as a failure. */
#define WATCH_MIN_NS (1000ull * 1000 * 1000)

struct known {
	struct known *next;
	unsigned gen; /* list generation that last saw it */
	char *rv;
	char key[];
};

#define KNOWN_BUCKETS 1024

enum watch_state { ST_IDLE, ST_LIST, ST_WATCH, ST_BACKOFF };

struct watch {
	struct bw_k8s *k;
	enum bw_k8s_resource res;
	enum watch_state state;
	struct k8s_req *req;
	struct event *timer;
	struct known *known[KNOWN_BUCKETS];
	unsigned gen;
	char *rv;   /* where the next watch starts */
	char *cont; /* list continuation token */
	int relist; /* after the backoff: list (1) or watch (0) */
	int gone;   /* the stream said 410: our resourceVersion expired */
	int synced; /* a list completed at least once */
	long long backoff_ms;
	uint64_t watch_start_ns;
	unsigned long long watch_events;
	struct evbuffer *line; /* partial watch event */
};

struct bw_k8s {
	struct event_base *base;
	struct k8s_client *client;
	struct bw_k8s_callbacks cb;
	struct bw_k8s_config cfg;
	struct watch watches[BW_K8S_NR_RESOURCES];
	struct bw_k8s_stats stats;
	struct status_op *ops; /* status writes in flight */
};

struct status_op {
	struct status_op *next;
	struct bw_k8s *k;
	struct k8s_req *req;
	void (*done)(void *arg, int rc, int http_status);
	void *arg;
};

static void start_list(struct watch *w);
static void start_watch(struct watch *w);

/* --- the known-object table ---------------------------------------------- */

static unsigned hash_key(const char *s)
{
	unsigned h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % KNOWN_BUCKETS;
}

static struct known **known_find(struct watch *w, const char *key)
{
	struct known **pp = &w->known[hash_key(key)];

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

/* Records key at rv; returns 1 when that is news (new object or new version). */
static int known_put(struct watch *w, const char *key, const char *rv)
{
	struct known **pp = known_find(w, key);
	struct known *n = *pp;
	char *copy;

	if (n) {
		n->gen = w->gen;
		if (rv && n->rv && strcmp(n->rv, rv) == 0)
			return 0;
		copy = rv ? strdup(rv) : NULL;
		free(n->rv);
		n->rv = copy;
		return 1;
	}
	n = calloc(1, sizeof(*n) + strlen(key) + 1);
	if (!n)
		return 1; /* report it anyway; a relist will report it again */
	strcpy(n->key, key);
	n->rv = rv ? strdup(rv) : NULL;
	n->gen = w->gen;
	*pp = n;
	return 1;
}

static int known_del(struct watch *w, const char *key)
{
	struct known **pp = known_find(w, key);
	struct known *n = *pp;

	if (!n)
		return 0;
	*pp = n->next;
	free(n->rv);
	free(n);
	return 1;
}

/* Deletes (and reports) every object the current list generation did not see. */
static void known_sweep(struct watch *w)
{
	for (size_t b = 0; b < KNOWN_BUCKETS; b++) {
		struct known **pp = &w->known[b];

		while (*pp) {
			struct known *n = *pp;

			if (n->gen == w->gen) {
				pp = &n->next;
				continue;
			}
			*pp = n->next;
			k8s_dispatch_delete(&w->k->cb, w->res, n->key);
			free(n->rv);
			free(n);
		}
	}
}

static void known_clear(struct watch *w)
{
	for (size_t b = 0; b < KNOWN_BUCKETS; b++) {
		while (w->known[b]) {
			struct known *n = w->known[b];

			w->known[b] = n->next;
			free(n->rv);
			free(n);
		}
	}
}

/* --- retries --------------------------------------------------------------- */

static void set_str(char **dst, const char *src)
{
	char *copy = src ? strdup(src) : NULL;

	free(*dst);
	*dst = copy;
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct watch *w = arg;

	if (w->relist)
		start_list(w);
	else
		start_watch(w);
}

static void retry_later(struct watch *w, int relist, const char *why)
{
	struct bw_k8s *k = w->k;
	long long ms = w->backoff_ms ? w->backoff_ms : k->cfg.backoff_min_ms;
	/* Full jitter on the upper half, so many controllers do not retry in step. */
	long long delay = ms / 2 + (long long)(bw_random_u64() % (uint64_t)(ms / 2 + 1));
	struct timeval tv = {delay / 1000, (delay % 1000) * 1000};

	w->req = NULL;
	w->state = ST_BACKOFF;
	w->relist = relist;
	w->backoff_ms = ms * 2 > k->cfg.backoff_max_ms ? k->cfg.backoff_max_ms : ms * 2;
	k->stats.errors++;
	bw_warn("kubernetes: retrying | resource=%s after_ms=%lld relist=%d why=\"%s\"",
		bw_k8s_resource_kind(w->res), delay, relist, why);
	evtimer_add(w->timer, &tv);
}

/* --- list ------------------------------------------------------------------ */

static int status_code(const cJSON *status)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(status, "code");

	return cJSON_IsNumber(code) ? code->valueint : 0;
}

static void list_done(void *arg, int status, struct evbuffer *body)
{
	struct watch *w = arg;
	struct bw_k8s *k = w->k;
	const cJSON *items, *item, *meta;
	const char *rv, *cont;
	cJSON *doc = NULL;
	char why[128];
	char key[KEY_MAX];

	w->req = NULL;
	if (status == 410 && w->cont) {
		/* The continue token expired: start the list over. */
		k->stats.expired++;
		free(w->cont);
		w->cont = NULL;
		start_list(w);
		return;
	}
	if (status != 200 || !body) {
		snprintf(why, sizeof(why), "list: HTTP %d", status);
		retry_later(w, 1, status ? why : "list: connection failed");
		return;
	}
	doc = cJSON_ParseWithLength((const char *)evbuffer_pullup(body, -1),
				    evbuffer_get_length(body));
	items = cJSON_GetObjectItemCaseSensitive(doc, "items");
	meta = cJSON_GetObjectItemCaseSensitive(doc, "metadata");
	rv = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));
	if (!doc || !cJSON_IsArray(items) || !rv) {
		retry_later(w, 1, "list: not a list object");
		goto cleanup;
	}
	cJSON_ArrayForEach(item, items)
	{
		const char *item_rv;

		if (k8s_object_key(item, key, sizeof(key), &item_rv)) {
			bw_warn("kubernetes: skipping an object without a usable name | "
				"resource=%s",
				bw_k8s_resource_kind(w->res));
			continue;
		}
		if (known_put(w, key, item_rv))
			k8s_dispatch_upsert(&k->cb, w->res, item);
	}
	cont = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "continue"));
	if (cont && *cont) {
		set_str(&w->cont, cont);
		start_list(w);
		goto cleanup;
	}
	free(w->cont);
	w->cont = NULL;
	known_sweep(w);
	set_str(&w->rv, rv);
	w->synced = 1;
	w->backoff_ms = 0;
	bw_debug("kubernetes: listed | resource=%s rv=%s", bw_k8s_resource_kind(w->res), rv);
	if (k->cb.synced)
		k->cb.synced(k->cb.arg, w->res);
	start_watch(w);
cleanup:
	cJSON_Delete(doc);
}

static void start_list(struct watch *w)
{
	struct bw_k8s *k = w->k;
	const struct k8s_resource_info *info = k8s_resource(w->res);
	char uri[URI_MAX];
	int n, rc;

	if (!w->cont)
		w->gen++; /* a new list: everything must be seen again to survive */
	if (w->cont) {
		char *enc = evhttp_encode_uri(w->cont);

		n = snprintf(uri, sizeof(uri), "%s?limit=%d&continue=%s", info->path,
			     k->cfg.page_size, enc ? enc : "");
		free(enc);
	} else {
		n = snprintf(uri, sizeof(uri), "%s?limit=%d", info->path, k->cfg.page_size);
	}
	if (n < 0 || (size_t)n >= sizeof(uri)) {
		/* A continue token this long is not one; start over. */
		free(w->cont);
		w->cont = NULL;
		retry_later(w, 1, "list: continue token too long");
		return;
	}
	w->state = ST_LIST;
	k->stats.lists++;
	rc = k8s_request(k->client, EVHTTP_REQ_GET, uri, NULL, NULL, 60, k->cfg.max_object_bytes,
			 NULL, list_done, w, &w->req);
	if (rc)
		retry_later(w, 1, "list: cannot send");
}

/* --- watch ----------------------------------------------------------------- */

/* Applies one watch event; returns 0, or 1 when the stream must end with a relist. */
static int apply_event(struct watch *w, const char *line, size_t len)
{
	struct bw_k8s *k = w->k;
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(ev, "type"));
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	const char *rv = NULL;
	char key[KEY_MAX];
	int rc = 0;

	if (!ev || !type || !cJSON_IsObject(obj)) {
		bw_warn("kubernetes: bad watch event | resource=%s bytes=%zu",
			bw_k8s_resource_kind(w->res), len);
		k->stats.errors++;
		rc = 1;
		goto cleanup;
	}
	if (strcmp(type, "ERROR") == 0) {
		int code = status_code(obj);

		if (code == 410) {
			k->stats.expired++;
			w->gone = 1;
			bw_info(
			    "kubernetes: resourceVersion expired, relisting | resource=%s rv=%s",
			    bw_k8s_resource_kind(w->res), w->rv ? w->rv : "");
		} else {
			k->stats.errors++;
			bw_warn("kubernetes: watch error | resource=%s code=%d",
				bw_k8s_resource_kind(w->res), code);
		}
		rc = 1;
		goto cleanup;
	}
	if (strcmp(type, "BOOKMARK") == 0) {
		const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

		rv =
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion"));
		if (rv)
			set_str(&w->rv, rv);
		goto cleanup;
	}
	if (k8s_object_key(obj, key, sizeof(key), &rv)) {
		bw_warn("kubernetes: watch event without a usable name | resource=%s type=%s",
			bw_k8s_resource_kind(w->res), type);
		goto cleanup;
	}
	if (strcmp(type, "ADDED") == 0 || strcmp(type, "MODIFIED") == 0) {
		if (known_put(w, key, rv))
			k8s_dispatch_upsert(&k->cb, w->res, obj);
	} else if (strcmp(type, "DELETED") == 0) {
		if (known_del(w, key))
			k8s_dispatch_delete(&k->cb, w->res, key);
	} else {
		bw_warn("kubernetes: unknown watch event type | resource=%s type=%s",
			bw_k8s_resource_kind(w->res), type);
	}
	if (rv)
		set_str(&w->rv, rv);
	k->stats.events++;
	w->watch_events++;
cleanup:
	cJSON_Delete(ev);
	return rc;
}

static int watch_chunk(void *arg, struct evbuffer *data)
{
	struct watch *w = arg;
	struct evbuffer_ptr eol;
	size_t eol_len;

	evbuffer_add_buffer(w->line, data);
	for (;;) {
		size_t n;
		char *line;
		int rc;

		eol = evbuffer_search_eol(w->line, NULL, &eol_len, EVBUFFER_EOL_LF);
		if (eol.pos < 0)
			break;
		n = (size_t)eol.pos;
		line = (char *)evbuffer_pullup(w->line, (ev_ssize_t)(n + eol_len));
		rc = n ? apply_event(w, line, n) : 0;
		evbuffer_drain(w->line, n + eol_len);
		if (rc) {
			w->relist = 1;
			return 1;
		}
	}
	if (evbuffer_get_length(w->line) > w->k->cfg.max_object_bytes) {
		bw_warn("kubernetes: watch event over the size limit | resource=%s limit=%zu",
			bw_k8s_resource_kind(w->res), w->k->cfg.max_object_bytes);
		w->k->stats.errors++;
		w->relist = 1;
		return 1;
	}
	return 0;
}

static void watch_done(void *arg, int status, struct evbuffer *body)
{
	struct watch *w = arg;
	struct bw_k8s *k = w->k;
	int brief = bw_mono_ns() - w->watch_start_ns < WATCH_MIN_NS && !w->watch_events;
	char why[64];

	w->req = NULL;
	evbuffer_drain(w->line, evbuffer_get_length(w->line));
	if (status == -1) { /* ended by watch_chunk */
		if (w->gone) {
			w->gone = 0;
			start_list(w);
			return;
		}
		retry_later(w, 1, "watch: error event or bad data");
		return;
	}
	if (status == 410) {
		k->stats.expired++;
		start_list(w);
		return;
	}
	if (status != 200) {
		snprintf(why, sizeof(why), "watch: HTTP %d", status);
		retry_later(w, 0, status ? why : "watch: connection failed");
		return;
	}
	if (brief) {
		retry_later(w, 0, "watch: ended at once");
		return;
	}
	/* The server's timeout or a proxy closed the stream: carry on from rv. */
	w->backoff_ms = 0;
	start_watch(w);
}

static void start_watch(struct watch *w)
{
	struct bw_k8s *k = w->k;
	const struct k8s_resource_info *info = k8s_resource(w->res);
	char uri[URI_MAX];
	char *enc;
	int n, rc;

	if (!w->rv) {
		start_list(w);
		return;
	}
	enc = evhttp_encode_uri(w->rv);
	n = snprintf(uri, sizeof(uri),
		     "%s?watch=1&allowWatchBookmarks=true&resourceVersion=%s&timeoutSeconds=%d",
		     info->path, enc ? enc : "", k->cfg.watch_timeout_s);
	free(enc);
	if (n < 0 || (size_t)n >= sizeof(uri)) {
		retry_later(w, 1, "watch: resourceVersion too long");
		return;
	}
	w->state = ST_WATCH;
	w->relist = 0;
	w->watch_events = 0;
	w->watch_start_ns = bw_mono_ns();
	k->stats.watches++;
	/* No event for a whole server timeout plus slack means the stream is dead. */
	rc = k8s_request(k->client, EVHTTP_REQ_GET, uri, NULL, NULL, k->cfg.watch_timeout_s + 60, 0,
			 watch_chunk, watch_done, w, &w->req);
	if (rc)
		retry_later(w, 0, "watch: cannot send");
}

/* --- status write-back ----------------------------------------------------- */

static void status_done(void *arg, int status, struct evbuffer *body)
{
	struct status_op *op = arg;
	struct bw_k8s *k = op->k;
	struct status_op **pp = &k->ops;

	while (*pp && *pp != op)
		pp = &(*pp)->next;
	if (*pp)
		*pp = op->next;
	if (status < 200 || status > 299)
		k->stats.errors++;
	if (op->done)
		op->done(op->arg, (status >= 200 && status <= 299) ? 0 : -EIO, status);
	free(op);
}

int bw_k8s_set_policy_status(struct bw_k8s *k, enum bw_k8s_resource r, const char *ns,
			     const char *name, const char *text,
			     void (*done)(void *arg, int rc, int http_status), void *arg)
{
	const struct k8s_resource_info *info = k8s_resource(r);
	struct status_op *op = NULL;
	cJSON *patch = NULL, *st;
	char *body = NULL, *ens = NULL, *ename = NULL;
	char uri[URI_MAX];
	int n, rc = -ENOMEM;

	if (r > BW_K8S_CLUSTER_POLICY || !info || !name || !*name || !text ||
	    (r == BW_K8S_POLICY && (!ns || !*ns)))
		return -EINVAL;
	/* A merge patch touches status.status only. */
	patch = cJSON_CreateObject();
	st = cJSON_AddObjectToObject(patch, "status");
	if (!st || !cJSON_AddStringToObject(st, "status", text))
		goto cleanup;
	body = cJSON_PrintUnformatted(patch);
	ename = evhttp_encode_uri(name);
	ens = info->namespaced ? evhttp_encode_uri(ns) : NULL;
	op = calloc(1, sizeof(*op));
	if (!body || !ename || (info->namespaced && !ens) || !op)
		goto cleanup;
	if (info->namespaced)
		n = snprintf(uri, sizeof(uri), "%s/namespaces/%s/%s/%s/status", info->group_path,
			     ens, info->plural, ename);
	else
		n = snprintf(uri, sizeof(uri), "%s/%s/%s/status", info->group_path, info->plural,
			     ename);
	if (n < 0 || (size_t)n >= sizeof(uri)) {
		rc = -ENAMETOOLONG;
		goto cleanup;
	}
	op->k = k;
	op->done = done;
	op->arg = arg;
	rc = k8s_request(k->client, EVHTTP_REQ_PATCH, uri, "application/merge-patch+json", body, 30,
			 1 << 20, NULL, status_done, op, &op->req);
	if (rc)
		goto cleanup;
	op->next = k->ops;
	k->ops = op;
	op = NULL;
cleanup:
	free(op);
	free(ens);
	free(ename);
	cJSON_free(body);
	cJSON_Delete(patch);
	return rc;
}

/* --- lifecycle --------------------------------------------------------------- */

static int in_cluster_server(char *buf, size_t len, char *err, size_t errlen)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	int n;

	if (!host || !*host) {
		snprintf(err, errlen,
			 "no server given and KUBERNETES_SERVICE_HOST is unset "
			 "(not running in a cluster)");
		return -ENOENT;
	}
	/* IPv6 service addresses need brackets in a URL. */
	n = snprintf(buf, len, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
		     port && *port ? port : "443");
	if (n < 0 || (size_t)n >= len) {
		snprintf(err, errlen, "KUBERNETES_SERVICE_HOST is too long");
		return -EINVAL;
	}
	return 0;
}

int bw_k8s_new(struct bw_k8s **out, struct event_base *base, const struct bw_k8s_config *cfg,
	       const struct bw_k8s_callbacks *cb, char *err, size_t errlen)
{
	struct bw_k8s *k;
	char server[512];
	int rc;

	if (!base || !cfg || !cb) {
		snprintf(err, errlen, "base, config and callbacks are required");
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->base = base;
	k->cb = *cb;
	k->cfg = *cfg;
	if (!k->cfg.resources)
		k->cfg.resources = BW_K8S_ALL;
	if (k->cfg.resources & ~BW_K8S_ALL) {
		snprintf(err, errlen, "resources: unknown bits 0x%x",
			 k->cfg.resources & ~BW_K8S_ALL);
		rc = -EINVAL;
		goto cleanup;
	}
	if (k->cfg.watch_timeout_s <= 0)
		k->cfg.watch_timeout_s = 300;
	if (k->cfg.page_size <= 0)
		k->cfg.page_size = 500;
	if (k->cfg.backoff_min_ms <= 0)
		k->cfg.backoff_min_ms = 500;
	if (k->cfg.backoff_max_ms < k->cfg.backoff_min_ms)
		k->cfg.backoff_max_ms =
		    k->cfg.backoff_min_ms > 30000 ? k->cfg.backoff_min_ms : 30000;
	if (!k->cfg.max_object_bytes)
		k->cfg.max_object_bytes = 64u << 20;
	/* Only the client keeps the strings; do not hold borrowed pointers. */
	k->cfg.server = k->cfg.token_path = k->cfg.ca_path = NULL;
	if (cfg->server) {
		snprintf(server, sizeof(server), "%s", cfg->server);
	} else {
		rc = in_cluster_server(server, sizeof(server), err, errlen);
		if (rc)
			goto cleanup;
	}
	rc = k8s_client_new(&k->client, base, server,
			    cfg->token_path ? cfg->token_path : SA_DIR "/token",
			    cfg->ca_path ? cfg->ca_path : SA_DIR "/ca.crt", err, errlen);
	if (rc)
		goto cleanup;
	for (int r = 0; r < BW_K8S_NR_RESOURCES; r++) {
		struct watch *w = &k->watches[r];

		w->k = k;
		w->res = (enum bw_k8s_resource)r;
		w->timer = evtimer_new(base, timer_cb, w);
		w->line = evbuffer_new();
		if (!w->timer || !w->line) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	bw_info("kubernetes: following the API server | server=%s resources=0x%x", server,
		k->cfg.resources);
	for (int r = 0; r < BW_K8S_NR_RESOURCES; r++)
		if (k->cfg.resources & (1u << r))
			start_list(&k->watches[r]);
	*out = k;
	return 0;
cleanup:
	bw_k8s_free(k);
	return rc;
}

void bw_k8s_free(struct bw_k8s *k)
{
	if (!k)
		return;
	for (int r = 0; r < BW_K8S_NR_RESOURCES; r++) {
		struct watch *w = &k->watches[r];

		k8s_request_cancel(w->req);
		if (w->timer)
			event_free(w->timer);
		if (w->line)
			evbuffer_free(w->line);
		known_clear(w);
		free(w->rv);
		free(w->cont);
	}
	while (k->ops) {
		struct status_op *op = k->ops;

		k->ops = op->next;
		k8s_request_cancel(op->req);
		free(op);
	}
	k8s_client_free(k->client);
	free(k);
}

int bw_k8s_synced(const struct bw_k8s *k)
{
	for (int r = 0; r < BW_K8S_NR_RESOURCES; r++)
		if ((k->cfg.resources & (1u << r)) && !k->watches[r].synced)
			return 0;
	return 1;
}

void bw_k8s_get_stats(const struct bw_k8s *k, struct bw_k8s_stats *out)
{
	*out = k->stats;
}
