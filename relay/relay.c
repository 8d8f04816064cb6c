/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay's core: nng in, Redis out, the spool in between.  See relay.h
 * for the guarantees; relay_redis.c holds the Redis connection and
 * relay_metrics.c the stats and /metrics.
 */
#include "relay_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/protocol/pair1/pair.h>

#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "arena.h"
#include "event_fields.h"

/* Warnings about misbehaving agents: at most this many a second. */
#define WARN_PER_SEC 20

int relay_warn_ok(struct bw_relay *r)
{
	uint64_t now = bw_mono_ns();

	if (now - r->warn_window_ns > 1000000000ull) {
		if (r->warn_suppressed)
			bw_warn("suppressed warnings | count=%" PRIu64, r->warn_suppressed);
		r->warn_window_ns = now;
		r->warn_count = 0;
		r->warn_suppressed = 0;
	}
	if (r->warn_count < WARN_PER_SEC) {
		r->warn_count++;
		return 1;
	}
	r->warn_suppressed++;
	return 0;
}

/* ---- agents (one per connection) ------------------------------------- */

static struct agent **agent_slot(struct bw_relay *r, uint32_t pipe)
{
	struct agent **pp = &r->agents[pipe % AGENT_BUCKETS];

	while (*pp && (*pp)->pipe != pipe)
		pp = &(*pp)->hnext;
	return pp;
}

static struct agent *agent_find(struct bw_relay *r, uint32_t pipe)
{
	return *agent_slot(r, pipe);
}

static void agent_drop(struct bw_relay *r, uint32_t pipe)
{
	struct agent **pp = agent_slot(r, pipe), *a = *pp;

	if (!a)
		return;
	*pp = a->hnext;
	free(a->node);
	free(a);
	r->nagents--;
}

static struct agent *agent_get(struct bw_relay *r, uint32_t pipe, const char *node, uint64_t boot)
{
	struct agent *a = agent_find(r, pipe);

	if (a && (a->boot != boot || strcmp(a->node, node) != 0)) {
		/* Another identity on the same connection: start afresh. */
		agent_drop(r, pipe);
		a = NULL;
	}
	if (!a) {
		a = calloc(1, sizeof(*a));
		if (!a)
			return NULL;
		a->node = strdup(node);
		if (!a->node) {
			free(a);
			return NULL;
		}
		a->pipe = pipe;
		a->boot = boot;
		a->hnext = r->agents[pipe % AGENT_BUCKETS];
		r->agents[pipe % AGENT_BUCKETS] = a;
		r->nagents++;
		bw_info("agent connected | node=%s boot=%" PRIu64 " pipe=%u", node, boot, pipe);
	}
	a->last_ns = bw_mono_ns();
	return a;
}

/* Forgets connections nng has closed (their pipe id no longer resolves). */
void relay_sweep_agents(struct bw_relay *r)
{
	for (int b = 0; b < AGENT_BUCKETS; b++) {
		struct agent *a = r->agents[b], *next;

		for (; a; a = next) {
			nng_pipe p = NNG_PIPE_INITIALIZER;
			int v;

			next = a->hnext;
			p.id = a->pipe;
			if (nng_pipe_get_int(p, NNG_OPT_RECVMAXSZ, &v) == NNG_ENOENT) {
				bw_info("agent gone | node=%s pipe=%u acked=%" PRIu64, a->node,
					a->pipe, a->acked);
				agent_drop(r, a->pipe);
			}
		}
	}
}

static void send_error(struct bw_relay *r, uint32_t pipe, int code, const char *msg)
{
	Bulwark__V1__Error e = BULWARK__V1__ERROR__INIT;
	nng_pipe p = NNG_PIPE_INITIALIZER;
	BwEnvelope env;

	p.id = pipe;
	bw_envelope_init(&env);
	e.code = code;
	e.message = (char *)msg;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_ERROR;
	env.error = &e;
	(void)bw_wire_send(r->sock, p, &env);
}

static void reject(struct bw_relay *r, uint32_t pipe, int code, const char *why)
{
	r->st.rejected++;
	if (relay_warn_ok(r))
		bw_warn("message rejected | pipe=%u code=%d why=\"%s\"", pipe, code, why);
	send_error(r, pipe, code, why);
}

/*
 * Acks are cumulative, so one per agent and loop iteration is enough: the
 * completions of a whole hiredis read coalesce into one message.
 */
void relay_send_ack(struct bw_relay *r, uint32_t pipe, uint64_t upto, int force)
{
	struct agent *a = agent_find(r, pipe);

	if (!a || (upto <= a->acked && !force))
		return;
	if (upto > a->acked)
		a->acked = upto;
	if (a->ack_dirty)
		return;
	if (r->ndirty == r->capdirty) {
		size_t cap = r->capdirty ? r->capdirty * 2 : 64;
		uint32_t *d = realloc(r->dirty, cap * sizeof(*d));

		if (!d)
			return; /* the tick sends it again */
		r->dirty = d;
		r->capdirty = cap;
	}
	a->ack_dirty = 1;
	r->dirty[r->ndirty++] = pipe;
	event_active(r->ack_ev, 0, 0);
}

static void on_flush(evutil_socket_t fd, short what, void *arg);

static void on_acks(evutil_socket_t fd, short what, void *arg)
{
	struct bw_relay *r = arg;

	(void)fd;
	(void)what;
	/* An ack covers everything before it: what was spooled must be durable first. */
	if (r->nsync)
		on_flush(-1, 0, r);
	for (size_t i = 0; i < r->ndirty; i++) {
		Bulwark__V1__EventAck ack = BULWARK__V1__EVENT_ACK__INIT;
		nng_pipe p = NNG_PIPE_INITIALIZER;
		struct agent *a = agent_find(r, r->dirty[i]);
		BwEnvelope env;
		int rc;

		if (!a)
			continue;
		a->ack_dirty = 0;
		a->ack_sent_ns = bw_mono_ns();
		p.id = a->pipe;
		bw_envelope_init(&env);
		ack.node = a->node;
		ack.boot = a->boot;
		ack.upto_seq = a->acked;
		env.body_case = BULWARK__V1__ENVELOPE__BODY_EVENT_ACK;
		env.event_ack = &ack;
		rc = bw_wire_send(r->sock, p, &env);
		if (rc == 0)
			r->st.acks++;
		else if (relay_warn_ok(r))
			bw_warn("cannot send ack | node=%s pipe=%u err=%s", a->node, a->pipe,
				strerror(-rc));
	}
	r->ndirty = 0;
}

/*
 * nng's polyamorous pair drops a message when the peer's queue is full, so
 * an ack can vanish; the agent would wait for its ack timeout.  Agents
 * active lately get their (cumulative) ack again every second.
 */
void relay_resend_acks(struct bw_relay *r)
{
	uint64_t now = bw_mono_ns();

	for (int b = 0; b < AGENT_BUCKETS; b++)
		for (struct agent *a = r->agents[b]; a; a = a->hnext)
			if (a->acked && now - a->last_ns < 10000000000ull &&
			    now - a->ack_sent_ns > 500000000ull)
				relay_send_ack(r, a->pipe, a->acked, 1);
}

/*
 * Neither Redis nor the spool holds events this connection sent, yet its
 * state says they were taken: close it, so the agent reconnects and resends
 * from its first unacknowledged event (acks on this connection would claim
 * too much).
 */
static void drop_connection(struct bw_relay *r, uint32_t pipe, const char *why, int err)
{
	nng_pipe p = NNG_PIPE_INITIALIZER;

	p.id = pipe;
	bw_error("dropping an agent's connection so it resends | pipe=%u why=\"%s\" err=%s", pipe,
		 why, strerror(-err));
	agent_drop(r, pipe);
	nng_pipe_close(p);
}

/* ---- units: the XADDs of one batch, completed in order ---------------- */

void relay_unit_free(struct relay_unit *u)
{
	if (!u)
		return;
	bw_arena_free(u->arena);
	free(u);
}

/* Spools a unit's events; on success its ack waits for the next sync. */
static int spool_events(struct bw_relay *r, const char *node, uint64_t boot, uint64_t first,
			Bulwark__V1__Event **events, size_t n, uint32_t pipe, uint64_t upto)
{
	Bulwark__V1__EventBatch b = BULWARK__V1__EVENT_BATCH__INIT;
	uint8_t *buf;
	size_t len;
	int rc;

	if (r->nsync == r->capsync) {
		size_t cap = r->capsync ? r->capsync * 2 : 64;
		struct sync_ack *s = realloc(r->sync_acks, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		r->sync_acks = s;
		r->capsync = cap;
	}
	b.node = (char *)node;
	b.boot = boot;
	b.first_seq = first;
	b.n_events = n;
	b.events = events;
	len = bulwark__v1__event_batch__get_packed_size(&b);
	buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	bulwark__v1__event_batch__pack(&b, buf);
	rc = bw_spool_append(r->spool, buf, len);
	free(buf);
	if (rc)
		return rc;
	r->st.spooled += n;
	r->sync_acks[r->nsync].pipe = pipe;
	r->sync_acks[r->nsync].upto = upto;
	r->nsync++;
	event_active(r->flush_ev, 0, 0);
	return 0;
}

/* Makes spooled batches durable, then acknowledges them. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct bw_relay *r = arg;
	int rc;

	(void)fd;
	(void)what;
	if (!r->nsync)
		return;
	rc = bw_spool_sync(r->spool);
	if (rc) {
		for (size_t i = 0; i < r->nsync; i++)
			if (agent_find(r, r->sync_acks[i].pipe))
				drop_connection(r, r->sync_acks[i].pipe, "spool sync failed", rc);
		r->nsync = 0;
		return;
	}
	for (size_t i = 0; i < r->nsync; i++)
		relay_send_ack(r, r->sync_acks[i].pipe, r->sync_acks[i].upto, 0);
	r->nsync = 0;
}

static void complete_units(struct bw_relay *r)
{
	struct relay_unit *u;

	while ((u = TAILQ_FIRST(&r->units)) && u->remaining == 0) {
		TAILQ_REMOVE(&r->units, u, link);
		if (u->from_spool) {
			r->spool_inflight -= u->n;
			if (u->epoch != r->epoch) {
				/* After a failure: the cursor was rewound, these come again. */
			} else if (!u->failed) {
				bw_spool_release(r->spool, u->end);
				r->st.written += u->n;
				r->st.drained += u->n;
				if (r->drain_start_ns && bw_spool_empty(r->spool)) {
					bw_info("spool drained | events=%" PRIu64 " ms=%" PRIu64,
						r->st.drained - r->drain_start_count,
						(bw_mono_ns() - r->drain_start_ns) / 1000000);
					r->drain_start_ns = 0;
				}
			} else {
				r->epoch++;
				r->cursor = bw_spool_head(r->spool);
			}
		} else if (!u->failed) {
			r->st.written += u->n;
			relay_send_ack(r, u->pipe, u->upto, 0);
		} else {
			Bulwark__V1__EventBatch *b = u->env->events;
			int rc = spool_events(r, b->node, b->boot, b->first_seq + u->skip,
					      b->events + u->skip, b->n_events - u->skip, u->pipe,
					      u->upto);

			if (rc) {
				r->st.refused_full++;
				drop_connection(r, u->pipe,
						"cannot spool events Redis did not take", rc);
			}
		}
		relay_unit_free(u);
	}
}

/* Issues the XADDs of events[0..n) for unit u (u->remaining counts replies). */
static void issue(struct bw_relay *r, struct relay_unit *u, const char *node, uint64_t boot,
		  uint64_t first, Bulwark__V1__Event **events, size_t n)
{
	char key[512];

	for (size_t i = 0; i < n; i++) {
		struct bw_xadd x;
		size_t len;
		int rc;

		if (bw_event_stream_key(events[i], r->cfg.stream_alerts, r->cfg.stream_logs,
					r->cfg.stream_per_namespace, key, sizeof(key)) ||
		    bw_xadd_build(&x, key, r->cfg.stream_maxlen, events[i], node, boot,
				  first + i)) {
			u->failed = 1;
			continue;
		}
		len = bw_xadd_resp(&x, r->resp, r->resp_cap);
		if (len > r->resp_cap) {
			char *nb = realloc(r->resp, len * 2);

			if (!nb) {
				bw_xadd_release(&x);
				u->failed = 1;
				break;
			}
			r->resp = nb;
			r->resp_cap = len * 2;
			len = bw_xadd_resp(&x, r->resp, r->resp_cap);
		}
		rc = relay_redis_command(r, u, r->resp, len);
		bw_xadd_release(&x);
		if (rc) {
			u->failed = 1;
			break;
		}
		u->remaining++;
		r->st.inflight++;
	}
}

/*
 * Backpressure: hiredis moves its whole output buffer down after every
 * partial write, so a buffer of tens of MB costs more than the XADDs in it.
 * Above redis.max-backlog the relay stops reading agents (they keep their
 * events in their windows) and the spool; it resumes below a quarter of it.
 */

static void on_nng(void *arg);

static int backlogged(struct bw_relay *r)
{
	struct timeval tv = {0, 1000};

	if (!r->cfg.max_backlog || relay_redis_backlog(r) < (size_t)r->cfg.max_backlog)
		return 0;
	if (!evtimer_pending(r->backlog_ev, NULL))
		evtimer_add(r->backlog_ev, &tv);
	return 1;
}

static void on_backlog(evutil_socket_t fd, short what, void *arg)
{
	struct bw_relay *r = arg;
	struct timeval tv = {0, 1000};

	(void)fd;
	(void)what;
	if (r->paused && r->watch) {
		/* freed here, not in its own callback */
		bw_nng_watch_free(r->watch);
		r->watch = NULL;
	}
	if (relay_redis_backlog(r) > (size_t)r->cfg.max_backlog / 4) {
		evtimer_add(r->backlog_ev, &tv);
		return;
	}
	if (r->paused && !r->stopping) {
		if (!r->watch && bw_nng_watch_new(&r->watch, r->base, r->sock, on_nng, r) == 0)
			r->paused = 0;
		else
			evtimer_add(r->backlog_ev, &tv);
	}
	relay_progress(r);
}

/* Reads spooled batches into Redis while the in-flight bound allows. */
static int pump_drain(struct bw_relay *r)
{
	int added = 0;

	while (r->redis_ready && !r->stopping &&
	       r->spool_inflight < (uint64_t)r->cfg.drain_inflight && !backlogged(r)) {
		Bulwark__V1__EventBatch *b;
		struct relay_unit *u;
		uint64_t ts;
		void *data;
		size_t len;
		int rc;

		rc = bw_spool_read(r->spool, &r->cursor, &data, &len, &ts);
		if (rc) {
			if (rc != -ENOENT)
				bw_error("spool read failed | err=%s", strerror(-rc));
			break;
		}
		u = calloc(1, sizeof(*u));
		if (!u) {
			free(data);
			break;
		}
		b = bulwark__v1__event_batch__unpack(NULL, len, data);
		free(data);
		u->from_spool = 1;
		u->end = r->cursor;
		u->epoch = r->epoch;
		u->recv_ns = ts;
		TAILQ_INSERT_TAIL(&r->units, u, link);
		added++;
		if (!b) {
			/* CRC-valid yet undecodable: written by another build; skip it. */
			bw_error("spool record is not an EventBatch, skipping | bytes=%zu", len);
			continue;
		}
		u->n = b->n_events;
		r->spool_inflight += u->n;
		issue(r, u, b->node, b->boot, b->first_seq, b->events, b->n_events);
		bulwark__v1__event_batch__free_unpacked(b, NULL);
	}
	return added;
}

void relay_progress(struct bw_relay *r)
{
	struct relay_unit *head;

	if (r->in_progress)
		return;
	r->in_progress = 1;
	do {
		complete_units(r);
		pump_drain(r);
		head = TAILQ_FIRST(&r->units);
	} while (head && head->remaining == 0);
	r->in_progress = 0;
}

/* Called by relay_redis.c for every XADD reply; reply NULL: connection lost. */
void relay_on_reply(struct bw_relay *r, struct relay_unit *u, int ok)
{
	if (!ok)
		u->failed = 1;
	u->remaining--;
	r->st.inflight--;
	if (u->remaining == 0 && u == TAILQ_FIRST(&r->units))
		relay_progress(r);
}

/* ---- batches from agents -------------------------------------------- */

static int direct_ok(struct bw_relay *r)
{
	return r->redis_ready && bw_spool_empty(r->spool) && r->spool_inflight == 0 && !r->nsync;
}

/* Takes env and the arena it was unpacked into. */
static void handle_batch(struct bw_relay *r, uint32_t pipe, BwEnvelope *env,
			 struct bw_arena *arena)
{
	Bulwark__V1__EventBatch *b = env->events;
	char why[1024];
	uint64_t last, skip;
	struct agent *a;
	size_t n = b->n_events;

	if (!b->node || !*b->node || strlen(b->node) > 253) {
		reject(r, pipe, -EINVAL, "EventBatch.node must be 1..253 characters");
		goto free_env;
	}
	if (n == 0 || n > (size_t)r->cfg.max_batch_events) {
		snprintf(why, sizeof(why), "EventBatch from %s has %zu events (allowed 1..%lld)",
			 b->node, n, r->cfg.max_batch_events);
		reject(r, pipe, -EINVAL, why);
		goto free_env;
	}
	if (b->first_seq == 0 || b->first_seq > UINT64_MAX - n) {
		snprintf(why, sizeof(why),
			 "EventBatch from %s has first_seq %" PRIu64 " (must be >= 1)", b->node,
			 b->first_seq);
		reject(r, pipe, -EINVAL, why);
		goto free_env;
	}
	for (size_t i = 0; i < n; i++) {
		const Bulwark__V1__EventId *id = b->events[i]->id;

		if (id && (id->boot != b->boot || id->seq != b->first_seq + i ||
			   strcmp(id->node ? id->node : "", b->node) != 0)) {
			snprintf(why, sizeof(why),
				 "EventBatch from %s: event %zu has id %s:%" PRIu64 ":%" PRIu64
				 " but the batch implies %s:%" PRIu64 ":%" PRIu64,
				 b->node, i, id->node ? id->node : "", id->boot, id->seq, b->node,
				 b->boot, b->first_seq + i);
			reject(r, pipe, -EINVAL, why);
			goto free_env;
		}
	}
	a = agent_get(r, pipe, b->node, b->boot);
	if (!a) {
		reject(r, pipe, -ENOMEM, "relay out of memory");
		goto free_env;
	}
	r->st.received += n;
	last = b->first_seq + n - 1;
	if (a->next_seq && b->first_seq > a->next_seq) {
		snprintf(why, sizeof(why),
			 "EventBatch from %s starts at seq %" PRIu64 " but %" PRIu64
			 " is next: resend from the first unacknowledged event",
			 b->node, b->first_seq, a->next_seq);
		reject(r, pipe, -EAGAIN, why);
		goto free_env;
	}
	if (!a->next_seq && b->first_seq > b->acked_seq + 1) {
		/*
		 * A new connection must start at the agent's first unacknowledged
		 * event: this batch was queued on an earlier connection and the
		 * events before it may never reach us on this one.
		 */
		snprintf(why, sizeof(why),
			 "EventBatch from %s starts a connection at seq %" PRIu64
			 " but the agent's first unacknowledged event is %" PRIu64
			 ": resend from there",
			 b->node, b->first_seq, b->acked_seq + 1);
		reject(r, pipe, -EAGAIN, why);
		goto free_env;
	}
	skip = a->next_seq > b->first_seq ? a->next_seq - b->first_seq : 0;
	if (skip >= n) {
		r->st.duplicates += n;
		if (a->acked >= last)
			relay_send_ack(r, pipe, a->acked, 1);
		goto free_env;
	}
	r->st.duplicates += skip;
	if (direct_ok(r)) {
		struct relay_unit *u = calloc(1, sizeof(*u));

		if (!u) {
			reject(r, pipe, -ENOMEM, "relay out of memory");
			goto free_env;
		}
		u->env = env;
		u->arena = arena;
		u->skip = skip;
		u->n = n - skip;
		u->pipe = pipe;
		u->upto = last;
		u->recv_ns = bw_real_ns();
		a->next_seq = last + 1;
		TAILQ_INSERT_TAIL(&r->units, u, link);
		issue(r, u, b->node, b->boot, b->first_seq + skip, b->events + skip, n - skip);
		if (u->remaining == 0)
			relay_progress(r);
		return;
	} else {
		int rc = spool_events(r, b->node, b->boot, b->first_seq + skip, b->events + skip,
				      n - skip, pipe, last);

		if (rc == -ENOSPC) {
			r->st.refused_full++;
			snprintf(why, sizeof(why),
				 "relay spool is full (%lld bytes) while Redis is unavailable: "
				 "keep the events and retry later",
				 r->cfg.spool_max_bytes);
			reject(r, pipe, -ENOSPC, why);
		} else if (rc) {
			snprintf(why, sizeof(why), "relay cannot spool events: %s", strerror(-rc));
			reject(r, pipe, rc, why);
		} else {
			a->next_seq = last + 1;
			relay_progress(r);
		}
	}
free_env:
	bw_arena_free(arena);
}

/*
 * bw_wire_decode's checks, unpacking into an arena: the batch's strings
 * live until its XADDs complete and then go in one free.
 */
static void handle_msg(struct bw_relay *r, nng_msg *msg)
{
	uint32_t pipe = nng_pipe_id(nng_msg_get_pipe(msg));
	size_t len = nng_msg_len(msg);
	struct bw_arena *arena;
	BwEnvelope *env;
	char why[320];

	r->st.messages++;
	if (len > (size_t)r->cfg.max_message_bytes) {
		snprintf(why, sizeof(why), "message of %zu bytes exceeds the limit of %lld", len,
			 r->cfg.max_message_bytes);
		reject(r, pipe, -EMSGSIZE, why);
		return;
	}
	if (bw_arena_new(&arena, 2 * len + 65536)) {
		reject(r, pipe, -ENOMEM, "relay out of memory");
		return;
	}
	env = bulwark__v1__envelope__unpack(bw_arena_allocator(arena), len, nng_msg_body(msg));
	if (!env) {
		snprintf(why, sizeof(why), "message of %zu bytes is not a valid bulwark.v1.Envelope",
			 len);
		reject(r, pipe, -EBADMSG, why);
	} else if (env->schema != BW_WIRE_SCHEMA) {
		snprintf(why, sizeof(why), "unsupported schema %u (this build speaks %u)",
			 env->schema, BW_WIRE_SCHEMA);
		reject(r, pipe, -EPROTO, why);
	} else if (env->body_case != BULWARK__V1__ENVELOPE__BODY_EVENTS) {
		snprintf(why, sizeof(why), "the relay takes only EventBatch messages, got %s",
			 bw_wire_body_name(env));
		reject(r, pipe, env->body_case == BULWARK__V1__ENVELOPE__BODY__NOT_SET ? -EBADMSG
											 : -EPROTO,
		       why);
	} else {
		handle_batch(r, pipe, env, arena);
		return;
	}
	bw_arena_free(arena);
}

static void on_nng(void *arg)
{
	struct bw_relay *r = arg;

	if (r->paused)
		return;
	/* Bounded so Redis replies get their turn; the fd stays readable. */
	for (int i = 0; i < 256; i++) {
		nng_msg *msg;
		int rv;

		if (backlogged(r)) {
			/* on_backlog drops the (level-triggered) watch until Redis catches up */
			r->paused = 1;
			r->st.backpressure++;
			break;
		}
		rv = nng_recvmsg(r->sock, &msg, NNG_FLAG_NONBLOCK);

		if (rv == NNG_EAGAIN)
			break;
		if (rv) {
			bw_error("nng receive failed | err=%s", nng_strerror(rv));
			break;
		}
		handle_msg(r, msg);
		nng_msg_free(msg);
	}
}

/* ---- lifecycle -------------------------------------------------------- */

static int listen_all(struct bw_relay *r, char *err, size_t errlen)
{
	char *list = strdup(r->cfg.listen), *save = NULL, *url;
	int rv = 0;

	if (!list)
		return -ENOMEM;
	for (url = strtok_r(list, ",", &save); url; url = strtok_r(NULL, ",", &save)) {
		while (*url == ' ')
			url++;
		if (!*url)
			continue;
		rv = nng_listen(r->sock, url, NULL, 0);
		if (rv) {
			snprintf(err, errlen, "cannot listen on %s: %s", url, nng_strerror(rv));
			rv = bw_nng_errno(rv);
			break;
		}
		bw_info("listening for agents | url=%s", url);
	}
	free(list);
	return rv;
}

int bw_relay_new(struct bw_relay **out, struct event_base *base, const struct bw_relay_config *cfg,
		 char *err, size_t errlen)
{
	struct bw_relay *r;
	int rc, rv;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->base = base;
	TAILQ_INIT(&r->units);
	rc = relay_config_copy(&r->cfg, cfg);
	if (rc) {
		snprintf(err, errlen, "out of memory");
		free(r);
		return rc;
	}
	rc = bw_redis_url_parse(r->cfg.redis, &r->url, err, errlen);
	if (rc)
		goto cleanup;
	/* The separate keys keep secrets out of the URL; they win over its parts. */
	if (r->cfg.redis_user[0])
		snprintf(r->url.user, sizeof(r->url.user), "%s", r->cfg.redis_user);
	if (r->cfg.redis_password[0])
		snprintf(r->url.password, sizeof(r->url.password), "%s", r->cfg.redis_password);
	if (r->cfg.redis_db > 0)
		r->url.db = (int)r->cfg.redis_db;
	if (r->url.user[0] && !r->url.password[0]) {
		snprintf(err, errlen, "redis user '%s' needs a password (redis.password)",
			 r->url.user);
		rc = -EINVAL;
		goto cleanup;
	}
	rc = bw_spool_open(&r->spool, r->cfg.spool_dir, (uint64_t)r->cfg.spool_max_bytes,
			   (uint64_t)r->cfg.spool_segment_bytes, err, errlen);
	if (rc)
		goto cleanup;
	r->cursor = bw_spool_head(r->spool);
	r->flush_ev = event_new(base, -1, 0, on_flush, r);
	r->ack_ev = event_new(base, -1, 0, on_acks, r);
	r->backlog_ev = evtimer_new(base, on_backlog, r);
	if (!r->flush_ev || !r->ack_ev || !r->backlog_ev) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rv = nng_pair1_open_poly(&r->sock);
	if (rv) {
		snprintf(err, errlen, "cannot open the agent socket: %s", nng_strerror(rv));
		rc = bw_nng_errno(rv);
		goto cleanup;
	}
	r->sock_open = 1;
	/* nng cuts connections past this; the configured limit is checked by us so
	 * the agent gets an Error first. */
	nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, BW_WIRE_MAX_MSG);
	nng_socket_set_int(r->sock, NNG_OPT_RECVBUF, 1024);
	nng_socket_set_int(r->sock, NNG_OPT_SENDBUF, 1024);
	rc = listen_all(r, err, errlen);
	if (rc)
		goto cleanup;
	rc = bw_nng_watch_new(&r->watch, base, r->sock, on_nng, r);
	if (rc) {
		snprintf(err, errlen, "cannot watch the agent socket: %s", strerror(-rc));
		goto cleanup;
	}
	rc = relay_metrics_start(r, err, errlen);
	if (rc)
		goto cleanup;
	rc = relay_redis_start(r, err, errlen);
	if (rc)
		goto cleanup;
	*out = r;
	return 0;
cleanup:
	bw_relay_free(r);
	return rc;
}

static void on_quiesce_tick(evutil_socket_t fd, short what, void *arg)
{
}

int bw_relay_quiesce(struct bw_relay *r, int timeout_ms)
{
	uint64_t until = bw_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	struct timeval tv = {0, 10000};
	struct bw_relay_stats st;
	struct event *tick;
	int pending;

	r->stopping = 1;
	bw_nng_watch_free(r->watch);
	r->watch = NULL;
	tick = event_new(r->base, -1, EV_PERSIST, on_quiesce_tick, NULL);
	if (tick)
		event_add(tick, &tv);
	while (!TAILQ_EMPTY(&r->units) && r->redis_ready && bw_mono_ns() < until)
		event_base_loop(r->base, EVLOOP_ONCE);
	/* the acks (and any spool sync) of what just completed */
	event_base_loop(r->base, EVLOOP_NONBLOCK);
	if (tick)
		event_free(tick);
	pending = !TAILQ_EMPTY(&r->units);
	bw_relay_get_stats(r, &st);
	bw_info("quiesced | inflight=%" PRIu64 " spool_bytes=%" PRIu64, st.inflight,
		st.spool_bytes);
	return pending ? -ETIMEDOUT : 0;
}

void bw_relay_free(struct bw_relay *r)
{
	struct relay_unit *u;

	if (!r)
		return;
	/* Replies still owed fail into the spool; their acks go out once it syncs. */
	relay_redis_stop(r);
	if (r->flush_ev && r->nsync)
		on_flush(-1, 0, r);
	if (r->ack_ev && r->ndirty)
		on_acks(-1, 0, r);
	relay_metrics_stop(r);
	bw_nng_watch_free(r->watch);
	if (r->sock_open)
		nng_close(r->sock);
	while ((u = TAILQ_FIRST(&r->units))) {
		TAILQ_REMOVE(&r->units, u, link);
		relay_unit_free(u);
	}
	for (int b = 0; b < AGENT_BUCKETS; b++)
		while (r->agents[b])
			agent_drop(r, r->agents[b]->pipe);
	if (r->flush_ev)
		event_free(r->flush_ev);
	if (r->ack_ev)
		event_free(r->ack_ev);
	if (r->backlog_ev)
		event_free(r->backlog_ev);
	free(r->dirty);
	bw_spool_close(r->spool);
	free(r->sync_acks);
	free(r->resp);
	bw_cfg_free(bw_relay_config_table, &r->cfg);
	free(r);
}
