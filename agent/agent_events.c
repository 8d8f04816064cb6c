/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where events leave the agent: logs and alerts built by bw_events, and the
 * agent's own SystemEvents, all go into the shipper.  Nothing is dropped
 * without a counter: a full buffer is counted by the shipper (and reported
 * in heartbeats), kernel ring-buffer losses are announced as SystemEvents.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_audit.h"
#include "agent_int.h"
#include "bw_log.h"
#include "bw_time.h"

/* The rule set a log falls under: its container's, or the host's. */
static const Bulwark__V1__RuleSet *ruleset_of(const struct bw_agent *a,
					      const Bulwark__V1__Event *ev, int *host)
{
	const Bulwark__V1__CompiledPolicy *cp = a->policy;

	*host = !ev->container_id || !*ev->container_id;
	if (*host)
		return cp->host;
	for (size_t i = 0; i < cp->n_containers; i++)
		if (cp->containers[i]->container_id &&
		    strcmp(cp->containers[i]->container_id, ev->container_id) == 0)
			return cp->containers[i];
	return NULL;
}

/* A log that breaks a rule the enforcer could not apply: remember it. */
static void audit_check(struct bw_agent *a, const Bulwark__V1__Event *ev)
{
	const Bulwark__V1__RuleSet *rs;
	const Bulwark__V1__Rule *r;
	struct bw_audit_pending *p;
	const struct bw_container *c;
	int host;

	if (!a->policy || ev->kind != BULWARK__V1__EVENT_KIND__EVENT_LOG)
		return;
	rs = ruleset_of(a, ev, &host);
	r = bw_audit_match(rs, bw_audit_ops(a->enf_kind, host), ev);
	if (!r)
		return;
	/* a host process under bulwark-host: AppArmor decides and alerts */
	if (host && a->enf_kind == BULWARK__V1__ENFORCER__ENFORCER_APPARMOR &&
	    bw_audit_pid_is_host_confined((uint32_t)ev->host_pid))
		return;
	if (a->n_pending == sizeof(a->pending) / sizeof(a->pending[0])) {
		if (a->audit_overflow++ % 1000 == 0)
			bw_warn("audit-only matches over the per-record limit, not alerted | "
				"total=%llu",
				(unsigned long long)a->audit_overflow);
		return;
	}
	p = &a->pending[a->n_pending];
	memset(p, 0, sizeof(*p));
	c = host ? NULL : bw_containers_by_id(a->ctrs, ev->container_id);
	p->cgroup_id = c ? c->cgroup_id : 0;
	p->host = host;
	p->host_pid = (uint32_t)ev->host_pid;
	p->host_ppid = (uint32_t)ev->host_ppid;
	p->uid = (uint32_t)ev->uid;
	if (ev->process_name) {
		const char *slash = strrchr(ev->process_name, '/');

		/* comm is the kernel's short name: the binary's base name. */
		snprintf(p->comm, sizeof(p->comm), "%s", slash ? slash + 1 : ev->process_name);
	}
	p->operation = strcmp(ev->operation, "Process") == 0 ? "Process"
		       : strcmp(ev->operation, "File") == 0  ? "File"
							     : "Capabilities";
	p->resource = strdup(ev->resource ? ev->resource : "");
	p->data = strdup(ev->data ? ev->data : "");
	p->origin = r->origin;
	p->action = bw_audit_action(r);
	if (!p->resource || !p->data) {
		free(p->resource);
		free(p->data);
		return;
	}
	a->n_pending++;
}

static void audit_flush(struct bw_agent *a)
{
	for (size_t i = 0; i < a->n_pending; i++) {
		struct bw_audit_pending *p = &a->pending[i];
		struct bw_enforcer_alert al = {
		    .ts_boot_ns = bw_boot_ns(),
		    .cgroup_id = p->cgroup_id,
		    .host_pid = p->host_pid,
		    .host_tid = p->host_pid,
		    .host_ppid = p->host_ppid,
		    .uid = p->uid,
		    .operation = p->operation,
		    .resource = p->resource,
		    .data = p->data,
		    .enforcer = "eBPF Monitor",
		    .blocked = 0,
		    .host = p->host,
		    .origin = p->origin,
		    .action = p->action,
		};

		memcpy(al.comm, p->comm, sizeof(al.comm));
		a->st.audit_alerts++;
		bw_events_alert(a->events, &al);
		free(p->resource);
		free(p->data);
	}
	a->n_pending = 0;
}

void bw_agent_on_record(void *arg, const struct bw_mon_hdr *h, const char *data, size_t len)
{
	struct bw_agent *a = arg;

	bw_events_on_record(a->events, h, data, len);
	if (a->n_pending)
		audit_flush(a);
}

void bw_agent_ship(void *arg, Bulwark__V1__Event *ev)
{
	struct bw_agent *a = arg;
	int rc;

	audit_check(a, ev);

	if (!a->ship) {
		a->st.events_dropped++; /* no relay configured (warned at start) */
		return;
	}
	rc = bw_shipper_submit(a->ship, ev);
	if (rc == 0) {
		a->st.events_queued++;
		return;
	}
	/* -ENOBUFS / -EMSGSIZE are counted by the shipper as dropped; say so
	 * in the log once per burst rather than once per event. */
	if (a->st.events_queued != a->last_drop_logged_at) {
		a->last_drop_logged_at = a->st.events_queued;
		bw_warn("event not buffered (counted as dropped) | type=%s err=%s",
			ev->type ? ev->type : "", strerror(-rc));
	}
}

void bw_agent_on_alert(void *arg, const struct bw_enforcer_alert *al)
{
	struct bw_agent *a = arg;

	a->st.alerts++;
	/*
	 * The enforcer and the monitor have separate ring buffers, read in
	 * whatever order the loop wakes up.  The exec that started the
	 * offending process was recorded before the alert was, so draining
	 * the monitor first lets the process tree know it (ProcessName,
	 * Source, parent) even when the process has exited since.
	 */
	if (a->mon)
		bw_monitor_drain(a->mon);
	if (!bw_events_alert(a->events, al))
		return; /* throttled: bw_events counted it and announced the silence */
	bw_debug("alert | policy=%s action=%s operation=%s resource=%s blocked=%d cgroup=%llu",
		 al->origin && al->origin->policy_name
		     ? al->origin->policy_name
		     : (al->default_posture ? "DefaultPosture" : ""),
		 al->action ? al->action : "", al->operation ? al->operation : "",
		 al->resource ? al->resource : "", al->blocked, (unsigned long long)al->cgroup_id);
}

void bw_agent_check_losses(struct bw_agent *a)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	struct bw_monitor_stats ms;
	char when[40], msg[256];
	uint64_t lost, now;

	if (!a->mon)
		return;
	bw_monitor_stats(a->mon, &ms);
	lost = ms.lost_ringbuf + ms.lost_pending;
	if (lost <= a->lost_reported)
		return;
	now = bw_real_ns();
	bw_format_rfc3339(now, when, sizeof(when));
	snprintf(msg, sizeof(msg),
		 "%llu monitor records lost in the kernel (ring buffer full: %llu, pending "
		 "table full: %llu in total)",
		 (unsigned long long)(lost - a->lost_reported), (unsigned long long)ms.lost_ringbuf,
		 (unsigned long long)ms.lost_pending);
	bw_warn("monitor records lost | new=%llu ringbuf=%llu pending=%llu",
		(unsigned long long)(lost - a->lost_reported), (unsigned long long)ms.lost_ringbuf,
		(unsigned long long)ms.lost_pending);
	a->lost_reported = lost;
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_SYSTEM;
	ev.timestamp = (int64_t)(now / 1000000000ULL);
	ev.updated_time = when;
	ev.cluster_name = a->cfg.cluster_name;
	ev.host_name = a->cfg.node_name;
	ev.type = "SystemEvent";
	ev.operation = "EventLoss";
	ev.message = msg;
	ev.enforcer = "eBPF Monitor";
	bw_agent_ship(a, &ev);
}
