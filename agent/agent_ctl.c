/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller channel as the agent uses it: registration with what this
 * node can enforce, the container inventory (full, then deltas), policies
 * into the enforcer with an acknowledgement that lists what the enforcer
 * could not apply, and event counters in heartbeats.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bw_wire.h"
#include "agent_client.h"
#include "agent_int.h"
#include "bw_daemon.h"
#include "bw_log.h"
#include "probe.h"
static int on_policy(void *arg, const Bulwark__V1__CompiledPolicy *cp, struct bw_ctlclient_ack *ack)
{
	struct bw_agent *a = arg;
	Bulwark__V1__CompiledPolicy *copy;
	char err[512];
	int rc;

	/* cp is only valid during the callback; the agent keeps a copy to
	 * re-apply it when containers change. */
	copy = bw_compiled_policy_dup(cp);
	if (!copy) {
		bw_ctlclient_ack_message(ack, "agent out of memory copying policy %llu",
					 (unsigned long long)cp->version);
		return -ENOMEM;
	}
	rc = bw_agent_policy_apply(a, copy, err, sizeof(err));
	if (rc) {
		bw_ctlclient_ack_message(ack, "%s", err);
		return rc;
	}
	for (size_t i = 0; i < a->n_unenforced; i++)
		bw_ctlclient_ack_unenforced(ack, a->unenforced[i]);
	return 0;
}

static void on_connected(void *arg)
{
	struct bw_agent *a = arg;

	bw_info("controller connected | url=%s node=%s", a->cfg.controller_url, a->cfg.node_name);
}

static void on_disconnected(void *arg)
{
	struct bw_agent *a = arg;

	bw_warn("controller disconnected, retrying | url=%s", a->cfg.controller_url);
}

/* Every running container as protobuf; release with report_release. */
static int report_full(struct bw_agent *a)
{
	size_t n = bw_containers_count(a->ctrs);
	Bulwark__V1__Container *msgs = calloc(n ? n : 1, sizeof(*msgs));
	const Bulwark__V1__Container **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	size_t made = 0;
	int rc = -ENOMEM;

	if (!msgs || !ptrs)
		goto cleanup;
	for (; made < n; made++) {
		rc = bw_container_to_proto(bw_containers_at(a->ctrs, made), &msgs[made]);
		if (rc)
			goto cleanup;
		ptrs[made] = &msgs[made];
	}
	rc = bw_ctlclient_report_containers(a->ctl, 1, ptrs, n, NULL, 0);
cleanup:
	for (size_t i = 0; i < made; i++)
		bw_container_proto_release(&msgs[i]);
	free(msgs);
	free(ptrs);
	if (rc)
		bw_warn("container inventory not reported | err=%s", strerror(-rc));
	return rc;
}

void bw_agent_on_container(void *arg, const struct bw_container *c, int added)
{
	struct bw_agent *a = arg;
	int rc = 0;

	/* The controller's own labels coming back: it knows them already, and
	 * the report carries the runtime's labels only. */
	if (a->in_identity)
		return;
	if (a->ctl) {
		if (added) {
			Bulwark__V1__Container msg;
			const Bulwark__V1__Container *one = &msg;

			rc = bw_container_to_proto(c, &msg);
			if (!rc) {
				rc = bw_ctlclient_report_containers(a->ctl, 0, &one, 1, NULL, 0);
				bw_container_proto_release(&msg);
			}
		} else {
			const char *id = c->id;

			rc = bw_ctlclient_report_containers(a->ctl, 0, NULL, 0, &id, 1);
		}
		if (rc)
			bw_warn("container change not reported | id=%s err=%s", c->id,
				strerror(-rc));
	}
	/* A container the policy names came up (or back with a new cgroup):
	 * give it its rules now rather than after the controller's round trip. */
	if (added && bw_agent_policy_names(a, c->id))
		bw_agent_policy_reapply(a, "container started");
}

/* Counters ride on every heartbeat; refreshed once a second by the tick. */
static void push_counters(evutil_socket_t fd, short what, void *arg)
{
	struct bw_agent *a = arg;
	struct bw_agent_stats st;

	bw_agent_get_stats(a, &st);
	bw_ctlclient_set_counters(a->ctl, st.events_sent, st.events_lost, st.events_dropped);
}

int bw_agent_ctl_start(struct bw_agent *a)
{
	Bulwark__V1__Enforcer avail[4];
	size_t n_avail = 0, n_limits = 0;
	const char *const *limits;
	struct bw_probe p;
	char kernel[128] = "";
	struct timeval one_s = {1, 0};
	int rc;

	if (!*a->cfg.controller_url) {
		bw_warn("no controller configured: no policy will arrive | key=controller.url");
		return 0;
	}
	/* What this node could run, best first, for the controller's status. */
	if (bw_enforcer_probe(&p) == 0) {
		if (p.bpf_lsm_active && p.bpf_lsm_loads)
			avail[n_avail++] = BULWARK__V1__ENFORCER__ENFORCER_BPFLSM;
		if (p.apparmor_active)
			avail[n_avail++] = BULWARK__V1__ENFORCER__ENFORCER_APPARMOR;
		if (p.cgroup_bpf)
			avail[n_avail++] = BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF;
	}
	limits = bw_enforcer_limits(a->enf_kind);
	while (limits && limits[n_limits])
		n_limits++;
	bw_agent_kernel_version(kernel, sizeof(kernel));

	struct bw_ctlclient_opts o = {
	    .url = a->cfg.controller_url,
	    .node_name = a->cfg.node_name,
	    .labels = a->node_labels,
	    .kernel_version = kernel,
	    .agent_version = BW_VERSION,
	    .enforcers = avail,
	    .n_enforcers = n_avail,
	    .active_enforcer = a->enf_kind,
	    .unenforceable = limits,
	    .n_unenforceable = n_limits,
	    .boot_id = a->boot_id,
	    /* 0: the controller sends its latest, which the agent then holds
	     * in memory for re-applying (adopted pins carry no rules text). */
	    .applied_version = 0,
	};
	struct bw_ctlclient_callbacks cb = {
	    .on_policy = on_policy,
	    .on_connected = on_connected,
	    .on_disconnected = on_disconnected,
	    .arg = a,
	};

	rc = bw_ctlclient_new(&a->ctl, a->base, &o, &cb);
	if (rc) {
		bw_error("controller client did not start | url=%s err=%s", a->cfg.controller_url,
			 strerror(-rc));
		return rc;
	}
	report_full(a);
	a->counters_ev = event_new(a->base, -1, EV_PERSIST, push_counters, a);
	if (!a->counters_ev || event_add(a->counters_ev, &one_s))
		return -ENOMEM;
	return 0;
}

void bw_agent_ctl_stop(struct bw_agent *a)
{
	if (a->counters_ev)
		event_free(a->counters_ev);
	a->counters_ev = NULL;
	bw_ctlclient_free(a->ctl);
	a->ctl = NULL;
}
