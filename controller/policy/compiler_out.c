/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The compiler's packed output (bw_compiler_node_packed): a node's
 * CompiledPolicy assembled from the cache's packed rule sets and the bare
 * ones packed by hand, byte for byte what protobuf-c packs for
 * bw_compiler_node's message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "compiler_int.h"
#include "sha256.h"

/* ---- packed output ------------------------------------------------------------------ */

/* Protobuf wire tags of CompiledPolicy's fields (field << 3 | wire type). */
#define TAG_NODE_NAME 0x0a  /* 1, length-delimited */
#define TAG_VERSION 0x10    /* 2, varint */
#define TAG_CONTAINERS 0x1a /* 3, length-delimited */
#define TAG_HOST 0x22	    /* 4, length-delimited */
#define TAG_DIGEST 0x2a	    /* 5, length-delimited */

size_t bw_pb_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

size_t bw_pb_varint(uint64_t v, uint8_t *out)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

size_t bw_pb_get_varint(const uint8_t *b, size_t len, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		*v |= (uint64_t)(b[i] & 0x7f) << (7 * i);
		if (!(b[i] & 0x80))
			return i + 1;
	}
	return 0;
}

static int out_reserve(struct bw_compiler *c, size_t more)
{
	size_t need = c->out_len + more, cap = c->out_cap ? c->out_cap : 4096;
	uint8_t *nb;

	if (need <= c->out_cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (!(nb = realloc(c->out, cap)))
		return -ENOMEM;
	c->out = nb;
	c->out_cap = cap;
	return 0;
}

/* Appends a length-delimited field holding a message, packed in place. */
static int out_message(struct bw_compiler *c, uint8_t tag, const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	int rc;

	if ((rc = out_reserve(c, 1 + 10 + len)))
		return rc;
	c->out[c->out_len++] = tag;
	c->out_len += bw_pb_varint(len, c->out + c->out_len);
	c->out_len += protobuf_c_message_pack(m, c->out + c->out_len);
	return 0;
}

static int out_bytes(struct bw_compiler *c, uint8_t tag, const uint8_t *b, size_t len)
{
	int rc;

	if ((rc = out_reserve(c, 1 + 10 + len)))
		return rc;
	c->out[c->out_len++] = tag;
	c->out_len += bw_pb_varint(len, c->out + c->out_len);
	memcpy(c->out + c->out_len, b, len);
	c->out_len += len;
	return 0;
}

int bw_compiler_node_packed(struct bw_compiler *c, const struct bw_policy_set *s,
			    const struct bw_inventory *inv, const char *node,
			    struct bw_packed_policy *out)
{
	const struct inv_node *n;
	uint8_t bodies[32];
	struct bw_sha256 h;
	struct cnode *cn;
	int rc;

	if ((rc = bw_compiler_prepare(c, s, inv, node, &cn, &n)) ||
	    (rc = bw_compiler_sort_order(cn)))
		return rc;
	c->out_len = 0;
	/* Field order is protobuf-c's (by number); proto3 leaves out empty
	 * strings and zero numbers.  The version goes between node_name and
	 * the rest: bw_packed_policy_write puts it there. */
	if (n->name[0] &&
	    (rc = out_bytes(c, TAG_NODE_NAME, (const uint8_t *)n->name, strlen(n->name))))
		return rc;
	c->out_name_len = c->out_len;
	bw_sha256_init(&h);
	for (size_t i = 0; i < cn->n; i++) {
		const struct centry *e = &cn->ents[cn->order[i]];
		const struct inv_container *ic = e->ic;

		/* The node digest's B (compile_int.h); its I is cn->ident. */
		if (e->pk) {
			rc = out_bytes(c, TAG_CONTAINERS, pk_bytes(e->pk), pk_len(e->pk));
			bw_sha256_update(&h, pk_digest(e->pk), 32);
		} else {
			/* The identity by hand, the body from the call's memo
			 * (see pack_bare.c). */
			const struct bare_memo *m = bw_compiler_bare_body(c, inv, ic);
			size_t idl = ic->id_len, len;

			if (!m)
				return -ENOMEM;
			len = (idl ? 1 + bw_pb_varint_len(idl) + idl : 0) +
			      (ic->cgroup_id ? 1 + bw_pb_varint_len(ic->cgroup_id) : 0) + m->len;
			if (!(rc = out_reserve(c, 1 + 10 + len))) {
				uint8_t *b = c->out + c->out_len;

				*b++ = TAG_CONTAINERS;
				b += bw_pb_varint(len, b);
				if (idl) {
					*b++ = 0x0a; /* RuleSet.container_id */
					b += bw_pb_varint(idl, b);
					memcpy(b, ic->id, idl);
					b += idl;
				}
				if (ic->cgroup_id) {
					*b++ = 0x10; /* RuleSet.cgroup_id */
					b += bw_pb_varint(ic->cgroup_id, b);
				}
				memcpy(b, m->body, m->len);
				b += m->len;
				c->out_len = (size_t)(b - c->out);
				bw_sha256_update(&h, m->digest, 32);
			}
		}
		if (rc)
			return rc;
	}
	if (cn->host && (rc = out_message(c, TAG_HOST, &cn->host->base)))
		return rc;
	bw_sha256_final(&h, bodies);
	bw_digest_combine(cn->ident, bodies, cn->host_digest, out->digest);
	if ((rc = out_bytes(c, TAG_DIGEST, out->digest, 32)))
		return rc;
	out->buf = c->out;
	out->len = c->out_len;
	out->name_len = c->out_name_len;
	return 0;
}

size_t bw_packed_policy_size(const struct bw_packed_policy *p, uint64_t version)
{
	return p->len + (version ? 1 + bw_pb_varint_len(version) : 0);
}

size_t bw_packed_policy_write(const struct bw_packed_policy *p, uint64_t version, uint8_t *dst)
{
	size_t o = p->name_len;

	memcpy(dst, p->buf, p->name_len);
	if (version) {
		dst[o++] = TAG_VERSION;
		o += bw_pb_varint(version, dst + o);
	}
	memcpy(dst + o, p->buf + p->name_len, p->len - p->name_len);
	return o + p->len - p->name_len;
}
