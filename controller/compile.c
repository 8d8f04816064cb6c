/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Recompiling nodes whose inputs changed and pushing the result.
 *
 * Changes only mark nodes dirty; the compile event then works through the
 * dirty connected nodes a batch at a time, yielding to the loop between
 * batches so API requests and acknowledgements keep flowing while a policy
 * change fans out to a thousand nodes.  A node's version is bumped only
 * when its compiled policy's digest changed, and the new versions are made
 * durable (one fdatasync per batch) before any is sent, so a version an
 * agent has seen is never handed out again after a crash.
 */
#include "ctl.h"
#include "bw_log.h"
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

/* The policy's identity for change detection: the compiler's SHA-256 of the
 * rule sets (it leaves out version and node name), truncated to 128 bits. */
static int digest_of(const Bulwark__V1__CompiledPolicy *cp, unsigned char out[16])
{
	if (cp->digest.len < 16)
		return -EINVAL;
	memcpy(out, cp->digest.data, 16);
	return 0;
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

/* Encodes the PolicyUpdate now so the compiled policy can be freed at once. */
static int encode_update(const Bulwark__V1__CompiledPolicy *cp, nng_msg **out)
{
	Bulwark__V1__PolicyUpdate pu = BULWARK__V1__POLICY_UPDATE__INIT;
	BwEnvelope env;

	bw_envelope_init(&env);
	pu.policy = (Bulwark__V1__CompiledPolicy *)cp;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY;
	env.policy = &pu;
	return bw_wire_encode(&env, out);
}

void ctl_compile_event(evutil_socket_t fd, short what, void *arg)
{
	struct bw_controller *c = arg;
	size_t batch = (size_t)c->cfg.compile_batch, np = 0, nj = 0, it = 0;
	uint64_t now = bw_mono_ns();
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
		const Bulwark__V1__CompiledPolicy *cp;
		unsigned char dg[16];
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
		rc = bw_compiler_node(c->compiler, c->set, c->inv, n->name, n->version + 1, &cp);
		if (!rc)
			rc = digest_of(cp, dg);
		if (rc) {
			c->metrics.compile_errors++;
			bw_error("compiling a node's policy failed | node=%s err=%d", n->name, rc);
			continue;
		}
		if (n->has_digest && memcmp(dg, n->digest, 16) == 0) {
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
		((Bulwark__V1__CompiledPolicy *)cp)->version = version;
		if (encode_update(cp, &msg)) {
			n->force_send = 1;
			ctl_mark_dirty(c, n);
			continue;
		}
		if (version != n->version) {
			n->version = version;
			memcpy(n->digest, dg, 16);
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
	if (bw_store_commit(c->store, t, BW_STORE_SYNC)) {
		/* Never send a version that is not durable: retry the batch later. */
		c->metrics.store_errors++;
		goto retry;
	}
	uint64_t t_synced = bw_mono_ns();
	for (size_t i = 0; i < np; i++) {
		ctl_channel_push(c, p[i].n, p[i].msg, p[i].version);
		p[i].msg = NULL;
	}
	bw_debug("compile batch | compiled=%zu pushed=%zu dirty_left=%zu compile_us=%llu "
		 "sync_us=%llu send_us=%llu",
		 nj, np, c->n_dirty, (unsigned long long)((t_built - now) / 1000),
		 (unsigned long long)((t_synced - t_built) / 1000),
		 (unsigned long long)((bw_mono_ns() - t_synced) / 1000));
	free(p);
	if (c->n_dirty == 0 && np >= 64)
		malloc_trim(0); /* a fan-out's transient buffers back to the system */
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
