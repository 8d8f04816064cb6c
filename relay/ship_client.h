/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw_shipper: the agent's side of the relay protocol (HACKING.md,
 * Transports).  The agent submits events; the shipper numbers them
 * (EventId{node, boot, seq}, seq from 1), keeps them in a bounded in-memory
 * buffer, sends EventBatch{node, boot, first_seq, events} to a relay over
 * nng pair1 as the window allows, and drops them only when the relay
 * answers EventAck{upto_seq}.  After a reconnect, an ack timeout or an
 * Error from the relay it sends again from the first unacknowledged event.
 *
 * When the buffer is full, bw_shipper_submit refuses the event and counts
 * it in `dropped`: nothing is lost without being counted (the agent reports
 * the count in its Heartbeat and may emit a SystemEvent).
 *
 * Several relay URLs: the shipper starts at one picked from a hash of the
 * node name (agents spread over relays) and moves to the next when it has
 * not been connected for failover_ms.
 *
 * Runs on the caller's libevent loop (single-threaded); nng's connection
 * notices reach the loop through a pipe.
 */
#ifndef BW_SHIP_CLIENT_H
#define BW_SHIP_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "bulwark.pb-c.h"

struct bw_shipper;

struct bw_shipper_opts {
	const char *const *urls; /* relay nng URLs (copied) */
	size_t n_urls;
	const char *node;	  /* node name (copied) */
	uint64_t boot_id;	  /* random per agent start */
	size_t max_buffer_bytes;  /* 0: 64 MiB (packed events) */
	size_t max_buffer_events; /* 0: 1,000,000 */
	size_t batch_max;	  /* events per batch; 0: 512 */
	size_t batch_max_bytes;	  /* 0: 1 MiB (stays under the relay's max-message) */
	size_t window;		  /* events sent and not yet acked; 0: 8192 */
	uint64_t ack_timeout_ms;  /* resend when no ack progress for this long; 0: 5000 */
	uint64_t failover_ms;	  /* next relay URL after this long unconnected; 0: 3000 */
};

struct bw_shipper_stats {
	uint64_t queued; /* events in the buffer now (unacked) */
	uint64_t queued_bytes;
	uint64_t submitted; /* events accepted by bw_shipper_submit */
	uint64_t sent;	    /* events sent (resends included) */
	uint64_t acked;	    /* events the relay acknowledged */
	uint64_t dropped;   /* events refused: buffer full or too large */
	uint64_t resent;    /* events sent more than once */
	uint64_t errors;    /* Error messages from relays */
	uint64_t connects;  /* connections made */
	uint64_t last_seq;  /* seq of the newest accepted event */
	int connected;
	int url_index; /* the relay URL in use */
};

/* *out written only on success.  Returns 0, -EINVAL (bad opts) or -errno. */
int bw_shipper_new(struct bw_shipper **out, struct event_base *base,
		   const struct bw_shipper_opts *opts);
/* Closes the connection; unacked events are discarded.  Accepts NULL. */
void bw_shipper_free(struct bw_shipper *s);

/*
 * Copies ev into the buffer, setting its id to {node, boot, next seq} (any
 * id in ev is ignored), and schedules sending.  Returns 0, -ENOBUFS when the
 * buffer is full or -EMSGSIZE when the event alone exceeds batch_max_bytes
 * (both counted in dropped), or -ENOMEM.  ev stays the caller's.
 */
int bw_shipper_submit(struct bw_shipper *s, const Bulwark__V1__Event *ev);

void bw_shipper_stats(const struct bw_shipper *s, struct bw_shipper_stats *st);

#endif
