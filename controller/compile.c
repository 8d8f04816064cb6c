/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recompiling nodes whose inputs changed and pushing the result.
 *
 * Changes only mark nodes dirty; the compile event then works through the
 * dirty connected nodes a batch at a time, yielding to the loop between
 * batches so API requests and acknowledgements keep flowing while a policy
 * change fans out to a thousand nodes.  A node's version is bumped only
 * when its compiled policy's digest changed.  The new versions are appended
 * to the WAL before any is sent (so they survive a kill -9 of the
 * controller) but not fdatasync'ed here: that would put a disk flush on
 * every fan-out's critical path, and the periodic flush follows shortly.
 * If a power loss takes versions an agent has already applied, the agent
 * reports its applied version when it registers again, and registration
 * moves the node past it (channel.c) before anything is pushed to it: a
 * version an agent has applied is never handed out again with other content.
 */
#include "ctl.h"
#include "bw_log.h"
#include "bw_loop.h"
#include "bw_time.h"
#include "bw_wire.h"

#include <malloc.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Registered nodes wait this long for their first full container report. */
#define FULL_REPORT_GRACE_NS (1000ull * 1000 * 1000)

void ctl_schedule_compile(struct bw_controller *c)
{
	static const struct timeval soon = {0, 2000}; /* coalesce a burst of changes */

	if (!c->ev_compile || c->compile_scheduled)
		return;
	c->compile_scheduled = 1;
	event_add(c->ev_compile, &soon);
}

int ctl_compile_current(struct bw_controller *c, struct ctl_node *n,
			Bulwark__V1__CompiledPolicy **out)
{
	return bw_compile_node(c->set, c->inv, n->name, n->version, out);
}

/* A push ready to go once the batch's versions are durable. */
struct pending {
	struct ctl_node *n;
	nng_msg *msg;
	uint64_t version;
};

/*
 * The Envelope{schema, policy: PolicyUpdate{policy: CompiledPolicy}} that
 * bw_wire_encode would pack, framed by hand around the compiler's packed
 * bytes: nothing is encoded twice (controller_encode_test checks the bytes
 * are identical).
 */
int ctl_policy_update_msg(const struct bw_packed_policy *p, uint64_t version, nng_msg **out)
{
	/* Envelope.schema (1, varint), Envelope.policy (14, length-delimited),
	 * PolicyUpdate.policy (1, length-delimited). */
	enum { TAG_SCHEMA = 0x08, TAG_ENV_POLICY = 0x72, TAG_PU_POLICY = 0x0a };
	size_t cp_len = bw_packed_policy_size(p, version);
	size_t pu_len = 1 + bw_pb_varint_len(cp_len) + cp_len;
	size_t len = 1 + bw_pb_varint_len(BW_WIRE_SCHEMA) + 1 + bw_pb_varint_len(pu_len) + pu_len;
	nng_msg *msg;
	uint8_t *b;
	size_t o = 0;
	int rv;

	if (len > BW_WIRE_MAX_MSG)
		return -EMSGSIZE;
	if ((rv = nng_msg_alloc(&msg, len)))
		return bw_nng_errno(rv);
	b = nng_msg_body(msg);
	b[o++] = TAG_SCHEMA;
	o += bw_pb_varint(BW_WIRE_SCHEMA, b + o);
	b[o++] = TAG_ENV_POLICY;
	o += bw_pb_varint(pu_len, b + o);
	b[o++] = TAG_PU_POLICY;
	o += bw_pb_varint(cp_len, b + o);
	o += bw_packed_policy_write(p, version, b + o);
	if (o != len) { /* cannot happen: the sizes above are the ones written */
		nng_msg_free(msg);
		return -EPROTO;
	}
	*out = msg;
	return 0;
}

static void trim_later(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	malloc_trim(0);
}

void ctl_compile_event(evutil_socket_t fd, short what, void *arg)
{
	struct bw_controller *c = arg;
	size_t batch = (size_t)c->cfg.compile_batch, np = 0, nj = 0, it = 0;
	uint64_t now = bw_mono_ns(), t_a, t_compile = 0, t_encode = 0;
	struct bw_store_txn *t = NULL;
	struct pending *p = NULL;
	struct ctl_node *n;
	int more = 0, waiting = 0;

	c->compile_scheduled = 0;
	ctl_k8s_compiled(c); /* what was applied before this pass compiled */
	if (c->n_dirty == 0)
		return;
	p = calloc(batch, sizeof(*p));
	if (!p || bw_store_txn_new(&t))
		goto retry;
	while (ctl_map_next(c->nodes, &it, NULL, (void **)&n)) {
		struct bw_packed_policy pp;
		nng_msg *msg = NULL;
		uint64_t version;
		int rc;

		if (!n->dirty || !n->pipe)
			continue; /* disconnected nodes compile when they come back */
		if (n->awaiting_full && now - n->last_heartbeat_mono < FULL_REPORT_GRACE_NS) {
			waiting = 1;
			continue;
		}
		if (nj == batch) {
			more = 1;
			break;
		}
		n->dirty = 0;
		c->n_dirty--;
		nj++;
		c->metrics.compiles++;
		/* Incremental: only the containers whose inputs changed are
		 * recompiled; the output is valid until the next call. */
		t_a = bw_mono_ns();
		rc = bw_compiler_node_packed(c->compiler, c->set, c->inv, n->name, &pp);
		t_compile += bw_mono_ns() - t_a;
		if (rc) {
			c->metrics.compile_errors++;
			bw_error("compiling a node's policy failed | node=%s err=%d", n->name, rc);
			continue;
		}
		/* The policy's identity for change detection: the compiler's
		 * SHA-256 of the rule sets (it leaves out version and node
		 * name), truncated to 128 bits. */
		if (n->has_digest && memcmp(pp.digest, n->digest, 16) == 0) {
			c->metrics.compile_unchanged++;
			if (!n->force_send)
				continue;
			/* Resend what the node should have, under its current version
			 * (recorded again: a failed commit may have left it unsynced). */
			version = n->version;
			if (ctl_node_record(n, t)) {
				ctl_mark_dirty(c, n);
				goto retry;
			}
		} else {
			version = n->version + 1;
		}
		t_a = bw_mono_ns();
		rc = ctl_policy_update_msg(&pp, version, &msg);
		t_encode += bw_mono_ns() - t_a;
		if (rc) {
			n->force_send = 1;
			ctl_mark_dirty(c, n);
			continue;
		}
		if (version != n->version) {
			n->version = version;
			memcpy(n->digest, pp.digest, 16);
			n->has_digest = 1;
			if (ctl_node_record(n, t)) {
				nng_msg_free(msg);
				n->force_send = 1;
				ctl_mark_dirty(c, n);
				goto retry;
			}
		}
		n->force_send = 0;
		p[np].n = n;
		p[np].version = version;
		p[np].msg = msg;
		np++;
	}
	uint64_t t_built = bw_mono_ns();
	if (bw_store_commit(c->store, t, BW_STORE_LAZY)) {
		/* Never send a version the WAL does not hold: retry the batch later. */
		c->metrics.store_errors++;
		goto retry;
	}
	uint64_t t_synced = bw_mono_ns();
	for (size_t i = 0; i < np; i++) {
		ctl_channel_push(c, p[i].n, p[i].msg, p[i].version);
		p[i].msg = NULL;
	}
	bw_debug("compile batch | compiled=%zu pushed=%zu dirty_left=%zu compile_us=%llu "
		 "(compiler_us=%llu encode_us=%llu) wal_us=%llu send_us=%llu",
		 nj, np, c->n_dirty, (unsigned long long)((t_built - now) / 1000),
		 (unsigned long long)(t_compile / 1000), (unsigned long long)(t_encode / 1000),
		 (unsigned long long)((t_synced - t_built) / 1000),
		 (unsigned long long)((bw_mono_ns() - t_synced) / 1000));
	free(p);
	if (c->n_dirty == 0 && np >= 64) {
		/* A fan-out's transient buffers back to the system: now, and
		 * again once nng's threads have sent (and freed) the messages. */
		static const struct timeval later = {0, 100000};

		malloc_trim(0);
		event_base_once(c->base, -1, EV_TIMEOUT, trim_later, NULL, &later);
	}
	bw_store_txn_free(t);
	ctl_maybe_rewrite(c);
	if (more) {
		/* Next batch right after whatever the loop has pending (acks, API). */
		static const struct timeval now_tv = {0, 0};

		c->compile_scheduled = 1;
		event_add(c->ev_compile, &now_tv);
	} else if (waiting && !c->compile_scheduled) {
		static const struct timeval grace_poll = {0, 50000};

		c->compile_scheduled = 1;
		event_add(c->ev_compile, &grace_poll);
	}
	return;
retry:
	for (size_t i = 0; p && i < np; i++) {
		nng_msg_free(p[i].msg);
		p[i].n->force_send = 1;
		if (!p[i].n->dirty) {
			p[i].n->dirty = 1;
			c->n_dirty++;
		}
	}
	free(p);
	bw_store_txn_free(t);
	/* Try again shortly: a full disk or a memory spike may pass. */
	if (c->ev_compile && !c->compile_scheduled) {
		static const struct timeval later = {0, 200000};

		c->compile_scheduled = 1;
		event_add(c->ev_compile, &later);
	}
}
