/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw_ctlclient: the agent's side of the controller channel (library
 * bw_ctlclient; links bw_common only).
 *
 * The client dials the controller with an nng pair1 socket and runs on the
 * caller's event_base.  It handles the whole protocol of HACKING.md
 * "Transports":
 *   - on every (re)connect: Register, then the full container set;
 *   - Heartbeat on a timer (the controller's interval unless overridden),
 *     carrying the applied policy version and the event counters;
 *   - PolicyUpdate -> on_policy callback -> PolicyAck;
 *   - container changes reported as deltas while connected; the client
 *     keeps the current set so a reconnect resends it whole.
 * Dialing never blocks: without a controller the client keeps retrying in
 * the background (nng's reconnect timer).
 *
 * Conventions: bw_ctlclient_new writes *out only on success; functions
 * return 0 or a negative errno; bw_ctlclient_free accepts NULL.  All calls
 * and all callbacks happen on the event loop's thread.
 */
#ifndef BW_AGENT_CLIENT_H
#define BW_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "bulwark.pb-c.h"

struct bw_ctlclient;
struct bw_ctlclient_ack;

/* Everything is copied by bw_ctlclient_new; the caller keeps its memory. */
struct bw_ctlclient_opts {
	const char *url;	    /* tcp://host:port or tls+tcp://host:port (required) */
	const char *node_name;	    /* required */
	const char *labels;	    /* node labels "k=v,k=v"; may be NULL */
	const char *kernel_version; /* may be NULL */
	const char *agent_version;  /* may be NULL */
	const Bulwark__V1__Enforcer *enforcers; /* available, best first */
	size_t n_enforcers;
	Bulwark__V1__Enforcer active_enforcer;
	const char *const *unenforceable; /* e.g. "file" under the cgroup fallback */
	size_t n_unenforceable;
	uint64_t boot_id;	  /* random per agent start */
	uint64_t applied_version; /* policy version already enforced at start (0: none) */
	uint32_t heartbeat_ms;	  /* 0: as the controller says (5 s until it does) */
	uint32_t reconnect_min_ms, reconnect_max_ms; /* 0: 100 ms and 5 s */
	/* tls+tcp: the CA that signed the controller, our certificate+key (PEM). */
	const char *tls_ca_file;
	const char *tls_cert_key_file;
	const char *tls_server_name; /* checked against the controller's certificate */
	/* For load generators (bw-controller-bench), not agents: PolicyUpdates
	 * are not decoded, on_policy gets a CompiledPolicy with only node_name
	 * and version set, so that simulated agents cost little CPU. */
	int policy_version_only;
};

struct bw_ctlclient_callbacks {
	/*
	 * A new compiled policy.  cp is valid only during the call.  Return 0
	 * once it is enforced, or a negative errno (the ack then carries
	 * ok=false and the message set with bw_ctlclient_ack_message).
	 * Rules the active enforcer cannot apply are listed with
	 * bw_ctlclient_ack_unenforced either way.  Required.
	 */
	int (*on_policy)(void *arg, const Bulwark__V1__CompiledPolicy *cp,
			 struct bw_ctlclient_ack *ack);
	/* The controller accepted our registration.  May be NULL. */
	void (*on_connected)(void *arg);
	/* The connection dropped (reconnecting).  May be NULL. */
	void (*on_disconnected)(void *arg);
	void *arg;
};

/* Only valid inside on_policy; both copy their arguments. */
void bw_ctlclient_ack_message(struct bw_ctlclient_ack *ack, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int bw_ctlclient_ack_unenforced(struct bw_ctlclient_ack *ack, const char *what);

int bw_ctlclient_new(struct bw_ctlclient **out, struct event_base *base,
		     const struct bw_ctlclient_opts *opts,
		     const struct bw_ctlclient_callbacks *cbs);
/* Closes the connection; no callback runs after it returns.  Accepts NULL. */
void bw_ctlclient_free(struct bw_ctlclient *c);

/*
 * Container inventory.  full=1: added is the complete set (removed is
 * ignored); full=0: added are new or changed containers, removed are ids
 * gone.  The messages are copied (packed).  Sent at once when connected,
 * else with the next registration.
 */
int bw_ctlclient_report_containers(struct bw_ctlclient *c, int full,
				   const Bulwark__V1__Container *const *added, size_t n_added,
				   const char *const *removed, size_t n_removed);

/* Event counters for the next heartbeats (totals since the agent started). */
void bw_ctlclient_set_counters(struct bw_ctlclient *c, uint64_t sent, uint64_t lost,
			       uint64_t dropped);

/* 1 when registered with the controller now. */
int bw_ctlclient_connected(const struct bw_ctlclient *c);
/* The version last applied (acknowledged with ok). */
uint64_t bw_ctlclient_applied_version(const struct bw_ctlclient *c);
/* Sends a heartbeat now (also done on the timer). */
int bw_ctlclient_heartbeat(struct bw_ctlclient *c);

#endif
