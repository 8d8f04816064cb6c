/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Monitor records and enforcer alerts -> Bulwark__V1__Event with KubeArmor's
 * field values (ContainerLog/HostLog, MatchedPolicy/MatchedHostPolicy,
 * SystemEvent), filtered by per-namespace and host visibility, with
 * per-container alert throttling.
 */
#ifndef BW_EVENTS_H
#define BW_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark.pb-c.h"
#include "bw_caps.h"
#include "enforcer.h"
#include "monitor.h"

/* Visibility bits (KubeArmor's "process,file,network,capabilities"). */
enum bw_vis {
	BW_VIS_PROCESS = 1u << 0, /* exec; failed execs, setuid/setgid when opted in */
	BW_VIS_FILE = 1u << 1,	  /* open, unlink */
	BW_VIS_NETWORK = 1u << 2,
	BW_VIS_CAPS = 1u << 3,
};

/*
 * Parses "process,file,network,capabilities" (any subset, any order) or
 * "none" / "".  Returns 0 or -EINVAL with the bad word in err.
 */
int bw_visibility_parse(const char *text, unsigned *out, char *err, size_t errlen);
/* The monitor program groups (BW_MON_G_*) a visibility needs. */
unsigned bw_visibility_groups(unsigned vis);

/*
 * Called for each event.  ev and every string in it are valid during the
 * call only (they point into the agent's tables and stack); pack or copy it.
 * ev->id is left NULL: the shipper numbers events.
 */
typedef void (*bw_events_emit_fn)(void *arg, Bulwark__V1__Event *ev);

struct bw_proctree;
struct bw_containers;

struct bw_events_opts {
	struct bw_proctree *proctree;	  /* required; updated from fork/exec/exit records */
	struct bw_containers *containers; /* may be NULL: everything is the host */
	bw_events_emit_fn emit;
	void *arg;
	const char *cluster_name;      /* NULL: "default" */
	const char *host_name;	       /* NULL: gethostname() */
	unsigned container_visibility; /* default for namespaces without their own */
	unsigned host_visibility;
	uint32_t alerts_per_sec;     /* 0: 10 (KubeArmor's default) */
	uint32_t throttle_silence_s; /* 0: 30 */
};

struct bw_events;

int bw_events_new(struct bw_events **out, const struct bw_events_opts *opts);
void bw_events_free(struct bw_events *e);

/* Visibility for one namespace (ns != NULL) or the host (ns == NULL). */
int bw_events_set_visibility(struct bw_events *e, const char *ns, unsigned vis);
/* Forgets every per-namespace setting (the default applies again). */
void bw_events_clear_ns_visibility(struct bw_events *e);
/* Groups the monitor must have attached for the current visibility settings. */
unsigned bw_events_groups(const struct bw_events *e);

/* A monitor record (bw_monitor_record_fn signature; arg is the bw_events). */
void bw_events_on_record(void *arg, const struct bw_mon_hdr *h, const char *data, size_t data_len);

/*
 * An enforcer alert: enriched, throttled per container (N per second, then
 * one SystemEvent and silence), emitted.  Returns 1 emitted, 0 throttled.
 */
int bw_events_alert(struct bw_events *e, const struct bw_enforcer_alert *a);

/* Clock for throttling; tests replace it.  Returns CLOCK_MONOTONIC ns by default. */
void bw_events_set_clock(struct bw_events *e, uint64_t (*now_ns)(void));

struct bw_events_stats {
	uint64_t logs;	    /* ContainerLog + HostLog emitted */
	uint64_t alerts;    /* alerts emitted */
	uint64_t invisible; /* records dropped by visibility */
	uint64_t throttled; /* alerts silenced by throttling */
	uint64_t system;    /* SystemEvents emitted */
};
void bw_events_stats(const struct bw_events *e, struct bw_events_stats *out);

/* --- formatting helpers, exported for tests and the enforcers --- */
/* "O_WRONLY|O_CREAT|O_TRUNC" */
void bw_fmt_open_flags(long long flags, char *buf, size_t len);
/* "domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK protocol=0" */
void bw_fmt_socket(long long domain, long long type, long long proto, char *buf, size_t len);
/* "sa_family=AF_INET sin_port=80 sin_addr=127.0.0.1"; "" for an empty address */
void bw_fmt_sockaddr(const void *sa, size_t salen, int truncated, char *buf, size_t len);
/* Capability names: bw_cap_name_or_number and friends in common/bw_caps.h. */
/* "Passed" for ret >= 0, else strerror(-ret) */
const char *bw_result_str(long long ret);

#endif
