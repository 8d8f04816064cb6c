/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay's Redis connection: hiredis async on the daemon's libevent loop,
 * AUTH / SELECT / PING handshake, reconnection with exponential backoff, and
 * a watchdog for a Redis that accepts the connection but stops answering.
 */
#include "relay_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/sds.h>

#include "bw_log.h"
#include "bw_time.h"

static void redis_connect(struct bw_relay *r);

static void schedule_reconnect(struct bw_relay *r)
{
	struct timeval tv;

	if (!r->reconnect_ev)
		return;
	if (!r->down_since_ns)
		r->down_since_ns = bw_mono_ns();
	tv.tv_sec = r->backoff_ms / 1000;
	tv.tv_usec = (r->backoff_ms % 1000) * 1000;
	evtimer_add(r->reconnect_ev, &tv);
	r->backoff_ms *= 2;
	if (r->backoff_ms > r->cfg.reconnect_max_ms)
		r->backoff_ms = r->cfg.reconnect_max_ms;
}

static void on_reconnect_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	redis_connect(arg);
}

static void on_xadd(redisAsyncContext *ac, void *reply, void *priv)
{
	struct bw_relay *r = ac->data;
	redisReply *rep = reply;
	int ok = rep && rep->type != REDIS_REPLY_ERROR;

	if (!rep) {
		r->redis_ready = 0;
	} else if (!ok) {
		r->st.redis_errors++;
		if (relay_warn_ok(r))
			bw_error("redis refused an XADD; reconnecting and keeping events in the "
				 "spool | err=\"%s\"",
				 rep->str);
		if (r->redis_ready) {
			/* Stop sending here; later replies still complete their units. */
			r->redis_ready = 0;
			redisAsyncDisconnect(ac);
		}
	}
	relay_on_reply(r, priv, ok);
}

static void on_handshake(redisAsyncContext *ac, void *reply, void *priv)
{
	struct bw_relay *r = ac->data;
	redisReply *rep = reply;

	if (!rep)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		bw_error("redis refused the handshake | step=%s err=\"%s\"", (const char *)priv,
			 rep->str);
		r->handshake_failed = 1;
		r->st.redis_errors++;
		redisAsyncDisconnect(ac);
	}
}

static void on_ready(redisAsyncContext *ac, void *reply, void *priv)
{
	struct bw_relay *r = ac->data;
	redisReply *rep = reply;

	(void)priv;
	if (!rep || r->handshake_failed || rep->type == REDIS_REPLY_ERROR)
		return;
	r->redis_ready = 1;
	r->backoff_ms = r->cfg.reconnect_min_ms;
	r->st.redis_connects++;
	bw_info("redis ready | addr=%s down_ms=%" PRIu64, r->cfg.redis,
		r->down_since_ns ? (bw_mono_ns() - r->down_since_ns) / 1000000 : 0);
	r->down_since_ns = 0;
	/* The spool, if anything is in it, drains first. */
	r->cursor = bw_spool_head(r->spool);
	r->epoch++;
	if (!bw_spool_empty(r->spool)) {
		r->drain_start_ns = bw_mono_ns();
		r->drain_start_count = r->st.drained;
	}
	relay_progress(r);
}

static void on_connect(const redisAsyncContext *cac, int status)
{
	redisAsyncContext *ac = (redisAsyncContext *)cac;
	struct bw_relay *r = ac->data;
	char db[24];

	if (status != REDIS_OK) {
		bw_warn("cannot connect to redis | addr=%s err=\"%s\" retry_ms=%lld", r->cfg.redis,
			ac->errstr, r->backoff_ms);
		r->ac = NULL; /* hiredis frees it */
		schedule_reconnect(r);
		return;
	}
	r->handshake_failed = 0;
	if (r->url.password[0]) {
		if (r->url.user[0])
			redisAsyncCommand(ac, on_handshake, "AUTH", "AUTH %s %s", r->url.user,
					  r->url.password);
		else
			redisAsyncCommand(ac, on_handshake, "AUTH", "AUTH %s", r->url.password);
	}
	if (r->url.db > 0) {
		snprintf(db, sizeof(db), "%d", r->url.db);
		redisAsyncCommand(ac, on_handshake, "SELECT", "SELECT %s", db);
	}
	redisAsyncCommand(ac, on_ready, NULL, "PING");
}

static void on_disconnect(const redisAsyncContext *cac, int status)
{
	struct bw_relay *r = cac->data;

	r->ac = NULL;
	r->redis_ready = 0;
	r->st.redis_errors += status != REDIS_OK;
	bw_warn("redis connection lost; spooling | addr=%s err=\"%s\" retry_ms=%lld", r->cfg.redis,
		status == REDIS_OK ? "closed" : cac->errstr, r->backoff_ms);
	schedule_reconnect(r);
}

static void redis_connect(struct bw_relay *r)
{
	redisAsyncContext *ac;

	if (r->url.path[0])
		ac = redisAsyncConnectUnix(r->url.path);
	else
		ac = redisAsyncConnect(r->url.host, r->url.port);
	if (!ac || ac->err) {
		bw_warn("cannot connect to redis | addr=%s err=\"%s\" retry_ms=%lld", r->cfg.redis,
			ac ? ac->errstr : "out of memory", r->backoff_ms);
		if (ac)
			redisAsyncFree(ac);
		schedule_reconnect(r);
		return;
	}
	ac->data = r;
	if (redisLibeventAttach(ac, r->base) != REDIS_OK) {
		redisAsyncFree(ac);
		schedule_reconnect(r);
		return;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	r->ac = ac;
	r->connect_ns = bw_mono_ns();
}

int relay_redis_command(struct bw_relay *r, struct relay_unit *u, const char *cmd, size_t len)
{
	if (!r->ac || !r->redis_ready)
		return -EIO;
	if (redisAsyncFormattedCommand(r->ac, on_xadd, u, cmd, len) != REDIS_OK)
		return -EIO;
	if (!u->sent_ns)
		u->sent_ns = bw_mono_ns();
	return 0;
}

size_t relay_redis_backlog(struct bw_relay *r)
{
	return r->ac && r->ac->c.obuf ? sdslen(r->ac->c.obuf) : 0;
}

void relay_redis_watchdog(struct bw_relay *r)
{
	struct relay_unit *u = TAILQ_FIRST(&r->units);
	redisAsyncContext *ac = r->ac;
	uint64_t now = bw_mono_ns(), limit = (uint64_t)r->cfg.redis_timeout_ms * 1000000ull;
	const char *what;
	uint64_t since;

	if (!ac)
		return;
	if (!r->redis_ready) {
		/* connect + AUTH/SELECT/PING must not hang forever either */
		what = "redis did not complete the handshake";
		since = r->connect_ns;
	} else if (u && u->remaining && u->sent_ns) {
		what = "redis stopped answering";
		since = u->sent_ns;
	} else {
		return;
	}
	if (now - since < limit)
		return;
	bw_error("%s; reconnecting | addr=%s waited_ms=%" PRIu64, what, r->cfg.redis,
		 (now - since) / 1000000);
	r->redis_ready = 0;
	r->st.redis_errors++;
	/* Fails every pending reply (they go to the spool), then on_disconnect. */
	redisAsyncFree(ac);
	if (r->ac == ac) {
		r->ac = NULL;
		schedule_reconnect(r);
	}
}

int relay_redis_start(struct bw_relay *r, char *err, size_t errlen)
{
	r->backoff_ms = r->cfg.reconnect_min_ms;
	r->reconnect_ev = evtimer_new(r->base, on_reconnect_timer, r);
	if (!r->reconnect_ev) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	r->down_since_ns = bw_mono_ns();
	redis_connect(r);
	return 0;
}

void relay_redis_stop(struct bw_relay *r)
{
	if (r->reconnect_ev) {
		event_free(r->reconnect_ev);
		r->reconnect_ev = NULL; /* schedule_reconnect does nothing from now on */
	}
	if (r->ac) {
		r->redis_ready = 0;
		redisAsyncFree(r->ac);
		r->ac = NULL;
	}
}
