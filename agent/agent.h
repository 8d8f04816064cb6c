/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent daemon: one per node.  struct bw_agent owns the event loop's
 * modules and wires them together:
 *
 *   monitor (eBPF) --events--> visibility/throttle --> shipper --> relay
 *   enforcer --alerts--> enrich (container, process) --> shipper --> relay
 *   container discovery --changes--> ctlclient reports, enforcer re-apply
 *   ctlclient --policy--> enforcer apply --> ack (with what is unenforced)
 *   counters (sent, lost, dropped) --> ctlclient heartbeats
 *
 * Everything runs on the one event_base the caller passes in.
 */
#ifndef BW_AGENT_H
#define BW_AGENT_H

#include <stdint.h>
#include <stdio.h>
#include <event2/event.h>

#include "bw_config.h"

#define BW_AGENT_MAX_RELAYS 16

struct bw_agent_config {
	char *node_name;       /* default: the host name */
	char *node_labels;     /* "k=v,k=v"; kubearmor.io/hostname is always added */
	char *cluster_name;    /* ClusterName in every event */
	char *controller_url;  /* nng URL the controller listens on; "" runs without one */
	char *relay_urls;      /* comma-separated nng URLs; "": events counted as dropped */
	char *pin_dir;	       /* bpffs directory for pinned enforcement */
	char *enforcer;	       /* auto, bpflsm, apparmor, cgroup, none */
	char *visibility;      /* containers: any of process,file,network,capabilities or none */
	char *host_visibility; /* the host, same syntax */
	int throttle;	       /* per-container alert throttling on/off */
	long long throttle_alerts;    /* alerts per second before throttling */
	long long throttle_period_ms; /* silence after the limit was hit */
	long long buffer_bytes;	      /* shipper's bounded buffer */
	long long batch_events;	      /* events per EventBatch */
	long long ringbuf_bytes;      /* monitor's BPF ring buffer */
	int mon_failed_execs;	      /* monitor: report failed execs (syscall tracepoints) */
	int mon_setid;		      /* monitor: report setuid/setgid (syscall tracepoints) */
	long long stats_interval_ms;  /* how often counters are logged */
	char *runc_root;	      /* runc's state directory */
	char *containerd_root;	      /* containerd's runc state directory (all namespaces) */
	char *log_level;	      /* the file's level; --log-level beats it */
	char *status_file;	      /* health status, rewritten every health_interval_ms; "": none */
	long long health_interval_ms;
};

/* The agent's config table, for bw_daemon_parse and --help. */
extern const struct bw_cfg_field bw_agent_config_table[];

/*
 * Checks what a table cannot: enumerations (enforcer, visibility), URL
 * schemes, the node name.  Fills the host name into node_name when it
 * is unset.  Returns 0 or -EINVAL with "key: what was expected" in err.
 */
int bw_agent_config_check(struct bw_agent_config *cfg, char *err, size_t errlen);

struct bw_agent;

/*
 * Creates every module and connects to the controller and the relays
 * (connections are retried in the background, so a missing peer is not an
 * error).  The config is copied; base stays the caller's and must outlive
 * the agent.  *out is written only on success.
 */
int bw_agent_new(struct bw_agent **out, struct event_base *base, const struct bw_agent_config *cfg);

/*
 * Before bw_agent_free on a clean stop: detaches the monitor (no new logs)
 * and runs the loop until a relay acknowledged every buffered event, or
 * timeout_ms passed, or no relay is connected.  What is left is logged as
 * discarded with its count.
 */
void bw_agent_drain(struct bw_agent *a, unsigned timeout_ms);

/*
 * Stops every module.  Pinned enforcement stays in place so the node stays
 * protected while the agent is down; a restarted agent adopts it.
 * Accepts NULL.
 */
void bw_agent_free(struct bw_agent *a);

struct bw_agent_stats {
	uint64_t events_seen;	   /* records from the monitor, before visibility */
	uint64_t events_filtered;  /* hidden by visibility */
	uint64_t logs;		   /* ContainerLog and HostLog events built */
	uint64_t alerts;	   /* alerts from the enforcer */
	uint64_t audit_alerts;	   /* audit-only matches of rules no enforcer applies */
	uint64_t events_throttled; /* alerts suppressed by throttling */
	uint64_t system_events;	   /* SystemEvents (throttling, losses) */
	uint64_t events_queued;	   /* handed to the shipper */
	uint64_t events_sent;	   /* acknowledged by a relay */
	uint64_t events_lost;	   /* lost in the kernel (ring buffer full) */
	uint64_t events_dropped;   /* did not fit the shipper's buffer */
	uint64_t events_buffered;  /* waiting for a relay's acknowledgement */
	uint64_t policies_applied;
	uint64_t policies_failed;
	uint64_t applied_version;
	uint64_t containers;
};

void bw_agent_get_stats(const struct bw_agent *a, struct bw_agent_stats *out);

/* Logs one line of counters (also done every stats_interval_ms). */
void bw_agent_log_stats(const struct bw_agent *a);

/*
 * --health: judges the status file a running agent rewrites every
 * health.interval (agent_health.c says what healthy means: pid alive and
 * the writer, rewritten within 3 intervals, running, monitor attached,
 * an enforcer up).  Returns 0 when healthy, else 1; msg gets one line
 * saying why (or, when healthy, what is running).
 */
int bw_agent_health(const char *status_file, char *msg, size_t len);
/* The judgement itself, on a status file's text, for tests: proc_root is
 * where pids are looked up, now_mono_ns the CLOCK_MONOTONIC "now". */
int bw_agent_health_check(const char *text, const char *proc_root, uint64_t now_mono_ns,
			  char *msg, size_t len);

/*
 * --probe: prints which enforcers this node can run and what each cannot
 * enforce.  Returns the process exit code (0: some enforcer is usable).
 */
int bw_agent_probe(FILE *out);

#endif
