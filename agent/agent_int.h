/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the agent daemon: struct bw_agent and what its parts share. */
#ifndef BW_AGENT_INT_H
#define BW_AGENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "agent.h"
#include "bulwark.pb-c.h"
#include "containers.h"
#include "enforcer.h"
#include "events.h"
#include "monitor.h"
#include "proctree.h"
#include "ship_client.h"
#include "syscall_audit.h"

struct bw_ctlclient;

struct bw_agent {
	struct event_base *base;
	struct bw_agent_config cfg; /* deep copy, freed with the table */
	uint64_t boot_id;
	unsigned vis_containers, vis_host; /* BW_VIS_* bits */
	char *node_labels;		   /* cfg.node_labels + kubearmor.io/hostname */

	struct bw_containers *ctrs;
	struct bw_proctree *tree;
	struct bw_monitor *mon;
	struct bw_monitor_stats mon_final; /* its counters once bw_agent_drain freed it */
	struct bw_shipper *ship;
	struct bw_events *events;
	struct bw_enforcer *enf; /* never NULL once started ("none" enforces nothing) */
	Bulwark__V1__Enforcer enf_kind;
	/* matchSyscalls alerts on any kernel (a tracepoint); NULL if it failed to load */
	struct bw_syscall_audit *sysaudit;
	struct bw_ctlclient *ctl; /* NULL without a controller */

	/*
	 * The policy as the controller sent it (owned, unpacked copy): re-applied
	 * with fresh cgroup ids when a container it names starts or stops here.
	 */
	Bulwark__V1__CompiledPolicy *policy;
	int in_identity;   /* merging the policy's labels: not a container change */
	char **unenforced; /* from the last successful apply */
	size_t n_unenforced;

	/*
	 * Audit-only matches found while bw_events was emitting a log; turned
	 * into alerts once it returned (bw_events is not re-entrant).
	 */
	struct bw_audit_pending {
		uint64_t cgroup_id;
		uint32_t host_pid, host_ppid, uid;
		int host;
		char comm[16];
		const char *operation; /* static text */
		char *resource, *data;
		const Bulwark__V1__RuleOrigin *origin; /* into policy: flushed before it changes */
		const char *action;
	} pending[32];
	size_t n_pending;
	uint64_t audit_overflow; /* matches beyond the pending table (logged) */

	uint64_t last_status_ns; /* health status file last written (monotonic) */
	int status_warned;	 /* a write failed and was logged */
	int stopping;		 /* bw_agent_drain ran: the status says so */
	struct event *tick_ev;
	struct event *counters_ev; /* heartbeat counters refresh */
	uint64_t last_stats_ns;
	uint64_t lost_reported;	      /* kernel losses already announced as a SystemEvent */
	uint64_t last_drop_logged_at; /* events_queued when a drop was last logged */
	struct bw_agent_stats st;
};

/* agent_events.c: events (logs, alerts, system events) into the shipper. */
/* bw_events_emit_fn: hands one event to the shipper, counting the outcome. */
void bw_agent_ship(void *arg, Bulwark__V1__Event *ev);
/* bw_monitor_record_fn: bw_events first, then the audit-only alerts it found. */
void bw_agent_on_record(void *arg, const struct bw_mon_hdr *h, const char *data, size_t len);
/* bw_enforcer_alert_fn: enriched and throttled by bw_events, then shipped. */
void bw_agent_on_alert(void *arg, const struct bw_enforcer_alert *al);
/* Announces new kernel-side losses as a SystemEvent (called every second). */
void bw_agent_check_losses(struct bw_agent *a);

/* agent_ctl.c: the controller channel (register, reports, policy, heartbeat). */
int bw_agent_ctl_start(struct bw_agent *a);
void bw_agent_ctl_stop(struct bw_agent *a);
/* Container discovery's callback: reports the change, re-applies policy. */
void bw_agent_on_container(void *arg, const struct bw_container *c, int added);

/* agent_policy.c */
/*
 * Applies a policy from the controller; takes ownership of cp whatever the
 * outcome.  On failure err says why and the previous policy stays enforced.
 */
int bw_agent_policy_apply(struct bw_agent *a, Bulwark__V1__CompiledPolicy *cp, char *err,
			  size_t errlen);
/* 1 when the current policy has a rule set for this container id. */
int bw_agent_policy_names(const struct bw_agent *a, const char *container_id);
/* Re-applies the current policy after a container change (same version). */
void bw_agent_policy_reapply(struct bw_agent *a, const char *why);
void bw_agent_policy_free(struct bw_agent *a);

/* agent.c */
int bw_agent_kernel_version(char *buf, size_t len);

/* agent_health.c: the status file --health reads.  state: "running",
 * "stopping".  0 or negative errno (logged once until it works again). */
int bw_agent_status_write(struct bw_agent *a, const char *state);
void bw_agent_status_remove(struct bw_agent *a);

#endif
