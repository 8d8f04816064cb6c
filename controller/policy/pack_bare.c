/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The bare rule set (bw_ruleset_bare: identity, postures, labels,
 * visibility; no rules) packed by hand.  A policy fan-out re-encodes about
 * a hundred of these per node while only the few containers a policy
 * selects have cached bytes, and protobuf-c's descriptor-driven
 * get_packed_size + pack walk took a fifth of the controller's time.  The
 * bytes must be exactly protobuf-c's (field number order, proto3 zero
 * values left out): policy_compile_test and controller_encode_test compare
 * them with protobuf-c's packing.
 */
#include <string.h>

#include "compile_int.h"

/* RuleSet and its nested messages' wire tags (field << 3 | wire type). */
enum {
	RS_CONTAINER_ID = 0x0a, /* 1, length-delimited */
	RS_CGROUP_ID = 0x10,	/* 2, varint */
	RS_FILE_POSTURE = 0x18, /* 3 */
	RS_NET_POSTURE = 0x20,	/* 4 */
	RS_CAP_POSTURE = 0x28,	/* 5 */
	RS_NAMESPACE = 0x5a,	/* 11, length-delimited */
	RS_LABELS = 0x62,	/* 12 */
	RS_VISIBILITY = 0x6a,	/* 13 */
	KV_KEY = 0x0a,
	KV_VALUE = 0x12,
};

/* A writer that only counts when out is NULL. */
struct w {
	uint8_t *out;
	size_t n;
};

static void put_varint(struct w *w, uint64_t v)
{
	if (w->out)
		w->n += bw_pb_varint(v, w->out + w->n);
	else
		w->n += bw_pb_varint_len(v);
}

static void put_byte(struct w *w, uint8_t b)
{
	if (w->out)
		w->out[w->n] = b;
	w->n++;
}

static void put_string(struct w *w, uint8_t tag, const char *s, size_t len)
{
	if (!len)
		return;
	put_byte(w, tag);
	put_varint(w, len);
	if (w->out)
		memcpy(w->out + w->n, s, len);
	w->n += len;
}

/* protobuf-c packs an enum as an int32: a negative one sign-extended. */
static void put_enum(struct w *w, uint8_t tag, int v)
{
	if (!v)
		return;
	put_byte(w, tag);
	put_varint(w, (uint64_t)(int64_t)v);
}

static size_t kv_len(const Bulwark__V1__KeyValue *kv, size_t *kl, size_t *vl)
{
	*kl = kv->key ? strlen(kv->key) : 0;
	*vl = kv->value ? strlen(kv->value) : 0;
	return (*kl ? 1 + bw_pb_varint_len(*kl) + *kl : 0) +
	       (*vl ? 1 + bw_pb_varint_len(*vl) + *vl : 0);
}

static size_t vis_len(const Bulwark__V1__Visibility *v)
{
	return 2 * (!!v->set + !!v->process + !!v->file + !!v->network + !!v->capabilities);
}

static void put_vis(struct w *w, const Bulwark__V1__Visibility *v)
{
	const protobuf_c_boolean f[] = {v->set, v->process, v->file, v->network, v->capabilities};

	put_byte(w, RS_VISIBILITY);
	put_varint(w, vis_len(v));
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!f[i])
			continue;
		put_byte(w, (uint8_t)((i + 1) << 3)); /* field i + 1, varint */
		put_byte(w, 1);
	}
}

static void put_body(struct w *w, const struct inv_posture *pos, const Bulwark__V1__Visibility *vis,
		     const struct inv_container *ic)
{
	put_enum(w, RS_FILE_POSTURE, pos->file);
	put_enum(w, RS_NET_POSTURE, pos->network);
	put_enum(w, RS_CAP_POSTURE, pos->capabilities);
	put_string(w, RS_NAMESPACE, ic->ns, strlen(ic->ns));
	for (size_t i = 0; i < ic->n_labels; i++) {
		const Bulwark__V1__KeyValue *kv = &ic->labels[i]->msg;
		size_t kl, vl, len;

		if (ic->labels[i]->name_label)
			continue;
		len = kv_len(kv, &kl, &vl);
		put_byte(w, RS_LABELS);
		put_varint(w, len);
		put_string(w, KV_KEY, kv->key, kl);
		put_string(w, KV_VALUE, kv->value, vl);
	}
	if (vis)
		put_vis(w, vis);
}

size_t bw_pack_bare(const struct inv_posture *pos, const Bulwark__V1__Visibility *vis,
		    const struct inv_container *ic, uint8_t *out)
{
	struct w w = {.out = out};

	put_string(&w, RS_CONTAINER_ID, ic->id, ic->id_len);
	if (ic->cgroup_id) {
		put_byte(&w, RS_CGROUP_ID);
		put_varint(&w, ic->cgroup_id);
	}
	put_body(&w, pos, vis, ic);
	return w.n;
}

size_t bw_pack_bare_body(const struct inv_posture *pos, const Bulwark__V1__Visibility *vis,
			 const struct inv_container *ic, uint8_t *out)
{
	struct w w = {.out = out};

	put_body(&w, pos, vis, ic);
	return w.n;
}
