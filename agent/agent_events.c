/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where events leave the agent: logs and alerts built by bw_events, and the
 * agent's own SystemEvents, all go into the shipper.  Nothing is dropped
 * without a counter: a full buffer is counted by the shipper (and reported
 * in heartbeats), kernel ring-buffer losses are announced as SystemEvents.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent_int.h"
#include "bw_log.h"
#include "bw_time.h"

void bw_agent_ship(void *arg, Bulwark__V1__Event *ev)
{
	struct bw_agent *a = arg;
	int rc;

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
		 al->origin && al->origin->policy_name ? al->origin->policy_name :
							 (al->default_posture ? "DefaultPosture" : ""),
		 al->action ? al->action : "", al->operation ? al->operation : "",
		 al->resource ? al->resource : "", al->blocked,
		 (unsigned long long)al->cgroup_id);
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
		 (unsigned long long)(lost - a->lost_reported),
		 (unsigned long long)ms.lost_ringbuf, (unsigned long long)ms.lost_pending);
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
