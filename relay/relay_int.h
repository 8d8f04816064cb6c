/* SPDX-License-Identifier: Apache-2.0 */
/* The relay's internals, shared by relay.c, relay_redis.c and relay_metrics.c. */
#ifndef BW_RELAY_INT_H
#define BW_RELAY_INT_H

#include <stdint.h>
#include <sys/queue.h>
#include <event2/event.h>
#include <nng/nng.h>

#include "bw_loop.h"
#include "bw_wire.h"
#include "redis_url.h"
#include "relay.h"
#include "spool.h"

#define AGENT_BUCKETS 256

struct redisAsyncContext;
struct bw_arena;
struct evhttp;

/* One agent connection (pipe): what it sent and what we acknowledged. */
struct agent {
	uint32_t pipe;
	char *node;
	uint64_t boot;
	uint64_t next_seq; /* next seq this connection may send; 0: any */
	uint64_t acked;
	uint64_t last_ns;
	uint64_t ack_sent_ns;
	int ack_dirty; /* queued in bw_relay.dirty */
	struct agent *hnext;
};

/* The XADDs of one batch (direct) or one spool record, completed in order. */
struct relay_unit {
	TAILQ_ENTRY(relay_unit) link;
	int from_spool;
	int failed;
	uint64_t remaining; /* replies outstanding */
	uint64_t n;	    /* events */
	uint64_t recv_ns;   /* CLOCK_REALTIME when received (or spooled) */
	uint64_t sent_ns;   /* CLOCK_MONOTONIC when the XADDs went out */
	/* direct */
	BwEnvelope *env;	 /* unpacked into arena */
	struct bw_arena *arena;
	uint64_t skip;
	uint32_t pipe;
	uint64_t upto;
	/* from the spool */
	struct bw_spool_pos end;
	uint64_t epoch;
};

TAILQ_HEAD(relay_units, relay_unit);

struct sync_ack {
	uint32_t pipe;
	uint64_t upto;
};

struct bw_relay {
	struct event_base *base;
	struct bw_relay_config cfg;
	struct bw_redis_url url;
	nng_socket sock;
	int sock_open;
	struct bw_nng_watch *watch;
	struct agent *agents[AGENT_BUCKETS];
	int nagents;

	struct bw_spool *spool;
	struct bw_spool_pos cursor; /* next record to drain */
	uint64_t epoch;		    /* bumped when a drain fails and the cursor rewinds */
	uint64_t spool_inflight;    /* events from the spool awaiting Redis */
	uint64_t drain_start_ns, drain_start_count; /* for the "spool drained" line */
	struct sync_ack *sync_acks;		    /* acks owed once the spool is synced */
	size_t nsync, capsync;
	struct event *flush_ev;
	uint32_t *dirty; /* pipes owed an ack this loop iteration */
	size_t ndirty, capdirty;
	struct event *ack_ev;

	char *resp; /* scratch for one encoded XADD */
	size_t resp_cap;

	struct relay_units units;
	int in_progress;
	int stopping; /* quiescing: no new batches, no new drain reads */
	int paused;   /* not reading agents until Redis takes the backlog */
	struct event *backlog_ev;

	/* Redis */
	struct redisAsyncContext *ac;
	int redis_ready;
	int handshake_failed;
	long long backoff_ms;
	struct event *reconnect_ev;
	uint64_t down_since_ns;
	uint64_t connect_ns; /* when the current connection attempt began */

	/* metrics and housekeeping */
	struct evhttp *http;
	char *http_unix_path;
	struct event *tick_ev;
	uint64_t last_stats_ns;
	struct bw_relay_stats st;

	uint64_t warn_window_ns, warn_count, warn_suppressed;
};

/* relay.c */
int relay_warn_ok(struct bw_relay *r);
void relay_send_ack(struct bw_relay *r, uint32_t pipe, uint64_t upto, int force);
void relay_on_reply(struct bw_relay *r, struct relay_unit *u, int ok);
void relay_progress(struct bw_relay *r);
void relay_sweep_agents(struct bw_relay *r);
void relay_resend_acks(struct bw_relay *r);
void relay_unit_free(struct relay_unit *u);

/* relay_redis.c */
int relay_redis_start(struct bw_relay *r, char *err, size_t errlen);
void relay_redis_stop(struct bw_relay *r);
/* Queues one RESP-encoded command for unit u; 0 or -EIO when the connection is gone. */
int relay_redis_command(struct bw_relay *r, struct relay_unit *u, const char *cmd, size_t len);
/* Bytes queued for Redis and not yet written (hiredis's output buffer). */
size_t relay_redis_backlog(struct bw_relay *r);
/* Called every second: notices a Redis that stopped answering. */
void relay_redis_watchdog(struct bw_relay *r);

/* relay_metrics.c */
int relay_config_copy(struct bw_relay_config *dst, const struct bw_relay_config *src);
int relay_metrics_start(struct bw_relay *r, char *err, size_t errlen);
void relay_metrics_stop(struct bw_relay *r);

#endif
