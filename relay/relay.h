/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay: agents' EventBatch messages (nng pair1 polyamorous, agents
 * dial) into Redis Streams with pipelined XADD on the daemon's libevent
 * loop, at least once.
 *
 * A batch is acknowledged (EventAck{upto_seq} to the pipe it came from) only
 * when Redis replied to every XADD of it, or when it is fsync'ed in the disk
 * spool.  While Redis is away, or while the spool still holds older events,
 * batches go to the spool; it is drained in order once Redis is back.  When
 * the spool is full the relay stops acknowledging (agents keep the events)
 * and answers Error{-ENOSPC}.  Malformed, oversized or unexpected messages
 * are answered with Error and counted; other agents are not affected.
 *
 * Ordering: per agent connection, events are written in seq order.  The
 * first batch on a connection must start at or before the agent's first
 * unacknowledged event (EventBatch.acked_seq + 1) and later ones must follow
 * without a gap; otherwise Error{-EAGAIN} asks the agent to resend from its
 * first unacknowledged event.  The one exception: if Redis refuses an
 * XADD with an error reply (e.g. OOM) while later XADDs succeed, the refused
 * events reach Redis later, from the spool.
 */
#ifndef BW_RELAY_H
#define BW_RELAY_H

#include <stdint.h>
#include <event2/event.h>

#include "bw_config.h"

struct bw_relay_config {
	char *listen;	      /* comma-separated nng URLs */
	char *redis;	      /* host:port, redis://[user[:pass]@]host:port[/db], unix:/path */
	char *redis_user;     /* ACL user ("" : none) */
	char *redis_password; /* AUTH password ("" : none) */
	long long redis_db;
	long long redis_timeout_ms; /* no reply for this long: reconnect */
	long long reconnect_min_ms, reconnect_max_ms;
	char *stream_alerts, *stream_logs;
	int stream_per_namespace;
	long long stream_maxlen; /* MAXLEN ~ N; 0: unbounded */
	char *spool_dir;
	long long spool_max_bytes, spool_segment_bytes;
	long long max_message_bytes;
	long long max_batch_events;
	long long drain_inflight;    /* events in flight while draining the spool */
	long long max_backlog;	     /* unsent bytes to Redis before pausing agents; 0: no limit */
	char *metrics_listen;	     /* "tcp:HOST:PORT" or "unix:/path"; "" off */
	long long stats_interval_ms; /* 0: no periodic stats line */
};

/* The relay's settings table (for bw_daemon_parse and tests). */
extern const struct bw_cfg_field bw_relay_config_table[];

struct bw_relay_stats {
	uint64_t messages;     /* nng messages received */
	uint64_t received;     /* events received (duplicates included) */
	uint64_t duplicates;   /* events already accepted on that connection */
	uint64_t written;      /* events Redis accepted */
	uint64_t spooled;      /* events written to the spool */
	uint64_t drained;      /* events written to Redis from the spool */
	uint64_t rejected;     /* messages refused (malformed, oversized, gap, ...) */
	uint64_t refused_full; /* batches not acknowledged because the spool was full */
	uint64_t redis_errors; /* error replies and lost connections */
	uint64_t redis_connects;
	uint64_t acks;	       /* EventAck messages sent */
	uint64_t backpressure; /* times reading from agents paused for Redis to catch up */
	uint64_t inflight;     /* events sent to Redis, reply pending */
	uint64_t spool_bytes;  /* pending in the spool */
	uint64_t lag_ms;       /* age of the oldest event not yet in Redis */
	int redis_up;
	int agents; /* connections with state */
};

struct bw_relay;

/*
 * Starts listening, opens the spool and begins connecting to Redis on base.
 * cfg is copied where needed; it may be freed after this returns.  *out is
 * written only on success, err says what failed.
 */
int bw_relay_new(struct bw_relay **out, struct event_base *base, const struct bw_relay_config *cfg,
		 char *err, size_t errlen);
/*
 * For a clean stop: stops taking batches and spends up to timeout_ms on the
 * loop so XADDs in flight complete and are acknowledged.  What is still in
 * flight afterwards is spooled by bw_relay_free (and acknowledged from
 * there), so nothing acknowledged is lost either way.  Returns 0, or
 * -ETIMEDOUT when XADDs were still pending.
 */
int bw_relay_quiesce(struct bw_relay *r, int timeout_ms);

/* Closes sockets and Redis; the spool stays on disk.  Accepts NULL. */
void bw_relay_free(struct bw_relay *r);

void bw_relay_get_stats(struct bw_relay *r, struct bw_relay_stats *st);
/* Prometheus text exposition of the stats; malloc'd, the caller frees. */
char *bw_relay_metrics_text(struct bw_relay *r);

#endif
