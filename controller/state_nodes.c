/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Nodes in the controller's state: lookup, the dirty set the compile event
 * works through, and the node's store record (JSON written by hand: a
 * fan-out writes a thousand of them, and a cJSON tree cost ~7 us each;
 * read back with cJSON at replay, where speed does not matter).
 */
#include "ctl.h"
#include "bw_log.h"
#include "bw_time.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ctl_node_free(struct ctl_node *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->labels);
	free(n->kernel);
	free(n->agent_version);
	free(n->enforcers);
	free(n->unenforceable);
	free(n->ack_message);
	free(n->unenforced);
	free(n);
}

/* ---- nodes -------------------------------------------------------------------- */

struct ctl_node *ctl_node_get_or_add(struct bw_controller *c, const char *name)
{
	struct ctl_node *n = ctl_map_get(c->nodes, name);

	if (n)
		return n;
	n = calloc(1, sizeof(*n));
	if (!n || !(n->name = strdup(name)) || ctl_map_put(c->nodes, name, n, NULL)) {
		ctl_node_free(n);
		return NULL;
	}
	n->ack_ok = 1;
	return n;
}

void ctl_mark_dirty(struct bw_controller *c, struct ctl_node *n)
{
	if (!n->dirty) {
		n->dirty = 1;
		c->n_dirty++;
	}
	ctl_schedule_compile(c);
}

void ctl_mark_all_dirty(struct bw_controller *c)
{
	struct ctl_node *n;
	size_t it = 0;

	while (ctl_map_next(c->nodes, &it, NULL, (void **)&n))
		ctl_mark_dirty(c, n);
}

static uint64_t get_u64(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	if (cJSON_IsString(v))
		return strtoull(v->valuestring, NULL, 10);
	if (cJSON_IsNumber(v))
		return (uint64_t)v->valuedouble;
	return 0;
}

static char *get_str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? strdup(v->valuestring) : NULL;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* A small JSON writer for ctl_node_record: a fan-out writes a thousand node
 * records per policy change, and building cJSON trees for them took as
 * long as compiling the nodes' policies. */
struct jw {
	char *b;
	size_t len, cap;
	int oom;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
	if (w->oom)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 512;
		char *nb;

		while (cap < w->len + n + 1)
			cap *= 2;
		if (!(nb = realloc(w->b, cap))) {
			w->oom = 1;
			return;
		}
		w->b = nb;
		w->cap = cap;
	}
	memcpy(w->b + w->len, s, n);
	w->len += n;
	w->b[w->len] = '\0';
}

/* ,"key": then the value as a JSON string (escaped as RFC 8259 asks). */
static void jw_str(struct jw *w, const char *k, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = v;

	jw_raw(w, w->len > 1 ? ",\"" : "\"", w->len > 1 ? 2 : 1);
	jw_raw(w, k, strlen(k));
	jw_raw(w, "\":\"", 3);
	for (const char *p = v ? v : "";; p++) {
		unsigned char ch = (unsigned char)*p;
		char esc[6];

		if (ch && ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		jw_raw(w, run, (size_t)(p - run));
		if (!ch)
			break;
		esc[0] = '\\';
		if (ch == '"' || ch == '\\') {
			esc[1] = (char)ch;
			jw_raw(w, esc, 2);
		} else {
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			jw_raw(w, esc, 6);
		}
		run = p + 1;
	}
	jw_raw(w, "\"", 1);
}

/* As a string: JSON numbers lose precision past 2^53. */
static void jw_u64(struct jw *w, const char *k, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf) - 1;

	*p = '\0';
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	jw_str(w, k, p);
}

int ctl_node_record(const struct ctl_node *n, struct bw_store_txn *t)
{
	struct jw w = {0};
	char num[24];
	int rc;

	jw_raw(&w, "{", 1);
	jw_str(&w, "labels", nz(n->labels));
	jw_str(&w, "kernel", nz(n->kernel));
	jw_str(&w, "agent_version", nz(n->agent_version));
	snprintf(num, sizeof(num), ",\"enforcer\":%d", n->enforcer);
	jw_raw(&w, num, strlen(num));
	jw_str(&w, "enforcers", nz(n->enforcers));
	jw_str(&w, "unenforceable", nz(n->unenforceable));
	jw_u64(&w, "boot_id", n->boot_id);
	jw_u64(&w, "version", n->version);
	if (n->has_digest) {
		static const char xd[] = "0123456789abcdef";
		char hex[33];

		for (int i = 0; i < 16; i++) {
			hex[2 * i] = xd[n->digest[i] >> 4];
			hex[2 * i + 1] = xd[n->digest[i] & 15];
		}
		hex[32] = '\0';
		jw_str(&w, "digest", hex);
	}
	jw_u64(&w, "applied_version", n->applied_version);
	jw_raw(&w, n->ack_ok ? ",\"ack_ok\":true" : ",\"ack_ok\":false", n->ack_ok ? 14 : 15);
	jw_str(&w, "ack_message", nz(n->ack_message));
	jw_str(&w, "unenforced", nz(n->unenforced));
	jw_u64(&w, "registered_ns", n->registered_ns);
	jw_u64(&w, "last_heartbeat_ns", n->last_heartbeat_ns);
	jw_u64(&w, "events_sent", n->events_sent);
	jw_u64(&w, "events_lost", n->events_lost);
	jw_u64(&w, "events_dropped", n->events_dropped);
	jw_raw(&w, "}", 1);
	if (w.oom) {
		free(w.b);
		return -ENOMEM;
	}
	rc = bw_store_txn_put(t, REC_NODE, n->name, w.b, w.len);
	free(w.b);
	return rc;
}

int ctl_node_load(struct bw_controller *c, const char *name, const char *json, size_t len)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	struct ctl_node *n;
	const cJSON *v;

	if (!o)
		return -EBADMSG;
	n = ctl_node_get_or_add(c, name);
	if (!n) {
		cJSON_Delete(o);
		return -ENOMEM;
	}
#define SETSTR(f, k)                                                                               \
	do {                                                                                       \
		free(n->f);                                                                        \
		n->f = get_str(o, k);                                                              \
	} while (0)
	SETSTR(labels, "labels");
	SETSTR(kernel, "kernel");
	SETSTR(agent_version, "agent_version");
	SETSTR(enforcers, "enforcers");
	SETSTR(unenforceable, "unenforceable");
	SETSTR(ack_message, "ack_message");
	SETSTR(unenforced, "unenforced");
#undef SETSTR
	v = cJSON_GetObjectItemCaseSensitive(o, "enforcer");
	n->enforcer = cJSON_IsNumber(v) ? v->valueint : 0;
	n->boot_id = get_u64(o, "boot_id");
	n->version = get_u64(o, "version");
	n->applied_version = get_u64(o, "applied_version");
	n->ack_ok = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "ack_ok"));
	n->registered_ns = get_u64(o, "registered_ns");
	n->last_heartbeat_ns = get_u64(o, "last_heartbeat_ns");
	n->events_sent = get_u64(o, "events_sent");
	n->events_lost = get_u64(o, "events_lost");
	n->events_dropped = get_u64(o, "events_dropped");
	v = cJSON_GetObjectItemCaseSensitive(o, "digest");
	n->has_digest = 0;
	if (cJSON_IsString(v) && strlen(v->valuestring) == 32) {
		for (int i = 0; i < 16; i++) {
			unsigned int b;

			sscanf(v->valuestring + 2 * i, "%2x", &b);
			n->digest[i] = (unsigned char)b;
		}
		n->has_digest = 1;
	}
	/* Until its agent registers again, a restored node is not known to be up. */
	n->state = n->registered_ns ? NODE_NOT_READY : NODE_UNKNOWN;
	cJSON_Delete(o);
	return 0;
}
