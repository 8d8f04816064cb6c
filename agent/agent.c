/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's lifecycle: builds the modules in dependency order, connects
 * their callbacks, and tears them down in reverse.  The per-record and
 * per-alert paths are in agent_events.c, the policy path in
 * agent_policy.c, the controller channel in agent_ctl.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/utsname.h>

#include "enforce_bpflsm.h"
#include "agent_int.h"
#include "bw_log.h"
#include "bw_time.h"
#include "probe.h"

/* Deep copy of a config struct: every string the table owns is duplicated. */
static int config_copy(struct bw_agent_config *dst, const struct bw_agent_config *src)
{
	memcpy(dst, src, sizeof(*dst));
	for (const struct bw_cfg_field *f = bw_agent_config_table; f->key; f++) {
		char **p;

		if (f->type != BW_CFG_STRING && f->type != BW_CFG_KV)
			continue;
		p = (char **)((char *)dst + f->offset);
		if (*p && !(*p = strdup(*p))) {
			/* Strings not yet copied still point into src: clear them. */
			for (const struct bw_cfg_field *g = f + 1; g->key; g++)
				if (g->type == BW_CFG_STRING || g->type == BW_CFG_KV)
					*(char **)((char *)dst + g->offset) = NULL;
			bw_cfg_free(bw_agent_config_table, dst);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The process tree and the event builder: what turns records into logs. */
static int start_events(struct bw_agent *a)
{
	struct bw_events_opts eo = {
	    .containers = a->ctrs,
	    .emit = bw_agent_ship,
	    .arg = a,
	    .cluster_name = a->cfg.cluster_name,
	    .host_name = a->cfg.node_name,
	    .container_visibility = a->vis_containers,
	    .host_visibility = a->vis_host,
	    /* "Off" is a limit no container reaches. */
	    .alerts_per_sec = a->cfg.throttle ? (uint32_t)a->cfg.throttle_alerts : UINT32_MAX,
	    .throttle_silence_s = (uint32_t)(a->cfg.throttle_period_ms / 1000),
	};
	int rc;

	rc = bw_proctree_new(&a->tree);
	if (rc)
		return rc;
	eo.proctree = a->tree;
	rc = bw_events_new(&a->events, &eo);
	if (rc)
		bw_error("event builder did not start | err=%s", strerror(-rc));
	return rc;
}

static int start_monitor(struct bw_agent *a)
{
	struct bw_monitor_opts mo = {
	    .base = a->base,
	    .on_record = bw_agent_on_record,
	    .arg = a,
	    .groups = bw_events_groups(a->events),
	    .optin_groups = (a->cfg.mon_failed_execs ? BW_MON_G_EXECFAIL : 0) |
			    (a->cfg.mon_setid ? BW_MON_G_SETID : 0),
	    .ringbuf_bytes = (uint32_t)a->cfg.ringbuf_bytes,
	};
	char err[512];
	int rc;

	rc = bw_monitor_prepare_fs(err, sizeof(err));
	if (rc)
		bw_warn("could not mount a kernel filesystem | err=\"%s\"", err);
	rc = bw_monitor_new(&a->mon, &mo, err, sizeof(err));
	if (rc) {
		bw_error("monitor did not start | err=\"%s\"", err);
		return rc;
	}
	/* Seed after attaching: a process forked in between is then seen twice
	 * (harmless), never missed. */
	rc = bw_proctree_seed(a->tree, "/proc", bw_containers_cgroup2(a->ctrs));
	if (rc < 0)
		bw_warn("process tree not seeded from /proc | err=%s", strerror(-rc));
	else
		bw_info("process tree seeded | processes=%d", rc);
	return 0;
}

static int start_containers(struct bw_agent *a)
{
	const struct bw_runtime_root roots[] = {
	    {"runc", a->cfg.runc_root, 1},
	    {"containerd", a->cfg.containerd_root, 2},
	    {"docker", "/run/docker/runtime-runc/moby", 1},
	};
	struct bw_containers_opts co = {
	    .base = a->base,
	    .roots = roots,
	    .nroots = sizeof(roots) / sizeof(roots[0]),
	    .on_change = bw_agent_on_container,
	    .arg = a,
	};
	char err[512];
	int rc;

	rc = bw_containers_new(&a->ctrs, &co, err, sizeof(err));
	if (rc) {
		bw_error("container discovery did not start | err=\"%s\"", err);
		return rc;
	}
	bw_info("container discovery running | containers=%zu cgroup2=%s",
		bw_containers_count(a->ctrs), bw_containers_cgroup2(a->ctrs));
	return 0;
}

static int start_shipper(struct bw_agent *a)
{
	const char *urls[BW_AGENT_MAX_RELAYS];
	size_t n = 0;
	char *list, *save = NULL, *tok;
	int rc;

	if (!*a->cfg.relay_urls) {
		bw_warn("no relay configured: events are counted as dropped, not shipped | "
			"key=relay.urls");
		return 0;
	}
	list = strdup(a->cfg.relay_urls);
	if (!list)
		return -ENOMEM;
	for (tok = strtok_r(list, ",", &save); tok && n < BW_AGENT_MAX_RELAYS;
	     tok = strtok_r(NULL, ",", &save))
		urls[n++] = tok;
	struct bw_shipper_opts so = {
	    .urls = urls,
	    .n_urls = n,
	    .node = a->cfg.node_name,
	    .boot_id = a->boot_id,
	    .max_buffer_bytes = (size_t)a->cfg.buffer_bytes,
	    .batch_max = (size_t)a->cfg.batch_events,
	};
	rc = bw_shipper_new(&a->ship, a->base, &so);
	free(list);
	if (rc) {
		bw_error("shipper did not start | relays=%s err=%s", a->cfg.relay_urls,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

/*
 * Pinning needs a bpffs; a node booted without one mounted at /sys/fs/bpf
 * gets it here (as the monitor mounts tracefs), so enforcement outlives the
 * agent from its first start.  A pin dir elsewhere is the operator's.
 */
static void prepare_bpffs(const char *pin_dir)
{
	static const char root[] = "/sys/fs/bpf";
	struct statfs st;

	if (strncmp(pin_dir, root, sizeof(root) - 1) != 0 ||
	    (pin_dir[sizeof(root) - 1] != '/' && pin_dir[sizeof(root) - 1] != '\0'))
		return;
	if (statfs(root, &st) == 0 && st.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", root, "bpf", 0, NULL) == 0)
		bw_info("mounted bpffs | path=%s", root);
	else
		bw_warn("bpffs is not mounted and mounting it failed: enforcement will not "
			"outlive the agent | path=%s err=%s",
			root, strerror(errno));
}

static int start_enforcer(struct bw_agent *a)
{
	struct bw_enforcer_opts eo = {
	    .base = a->base,
	    .on_alert = bw_agent_on_alert,
	    .alert_arg = a,
	    .pin_dir = a->cfg.pin_dir,
	    .prefer = a->cfg.enforcer,
	};
	int rc;

	prepare_bpffs(a->cfg.pin_dir);
	rc = bw_enforcer_new(&a->enf, &eo);
	if (rc) {
		/* An explicit choice that cannot run is fatal: enforcing less
		 * than the operator asked for, silently, would be worse. */
		bw_error("enforcer did not start | prefer=%s err=%s", a->cfg.enforcer,
			 strerror(-rc));
		return rc;
	}
	a->enf_kind = a->enf->ops->kind;
	/* Syscall rules are audited by a tracepoint whatever the enforcer; a
	 * kernel that refuses it costs those alerts only, so it is not fatal. */
	rc = bw_syscall_audit_new(&a->sysaudit, a->base, bw_agent_on_alert, a);
	if (rc)
		bw_warn("syscall monitor not started: matchSyscalls rules give no alerts | err=%s",
			strerror(-rc));
	return 0;
}

/* Once a second: kernel loss counters and the stats line.  (bw_events
 * sweeps the process tree; the shipper logs relay connections.) */
static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct bw_agent *a = arg;
	uint64_t now = bw_mono_ns();

	bw_agent_check_losses(a);
	/* Ticks are 1 s apart and jitter: half a second early is on time. */
	if (now - a->last_status_ns + 500000000ULL >=
	    (uint64_t)a->cfg.health_interval_ms * 1000000ULL)
		bw_agent_status_write(a, a->stopping ? "stopping" : "running");
	if (a->cfg.stats_interval_ms &&
	    now - a->last_stats_ns >= (uint64_t)a->cfg.stats_interval_ms * 1000000ULL) {
		a->last_stats_ns = now;
		bw_agent_log_stats(a);
	}
}

int bw_agent_new(struct bw_agent **out, struct event_base *base, const struct bw_agent_config *cfg)
{
	struct bw_agent *a;
	struct timeval one_s = {1, 0};
	char err[256];
	int rc;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->base = base;
	rc = config_copy(&a->cfg, cfg);
	if (rc) {
		free(a);
		return rc;
	}
	rc = bw_agent_config_check(&a->cfg, err, sizeof(err));
	if (rc) {
		bw_error("invalid configuration | err=\"%s\"", err);
		goto fail;
	}
	/* Both parse: bw_agent_config_check said so. */
	bw_visibility_parse(a->cfg.visibility, &a->vis_containers, err, sizeof(err));
	bw_visibility_parse(a->cfg.host_visibility, &a->vis_host, err, sizeof(err));
	a->boot_id = bw_random_u64();
	/* Host policies select nodes by this label (KubeArmor's convention). */
	if (asprintf(&a->node_labels, "%s%skubearmor.io/hostname=%s", a->cfg.node_labels,
		     *a->cfg.node_labels ? "," : "", a->cfg.node_name) < 0) {
		a->node_labels = NULL;
		rc = -ENOMEM;
		goto fail;
	}

	/* Order: containers first (the monitor and enforcer ask it about
	 * cgroups), shipper before anything that produces events, the
	 * controller channel last (it may deliver a policy at once). */
	rc = start_containers(a);
	if (rc)
		goto fail;
	rc = start_shipper(a);
	if (rc)
		goto fail;
	rc = start_events(a);
	if (rc)
		goto fail;
	/* The enforcer before the monitor: an explicit choice that cannot run
	 * fails the start before the (slow to load) monitor is attached. */
	rc = start_enforcer(a);
	if (rc)
		goto fail;
	rc = start_monitor(a);
	if (rc)
		goto fail;
	rc = bw_agent_ctl_start(a);
	if (rc)
		goto fail;

	a->tick_ev = event_new(base, -1, EV_PERSIST, tick, a);
	if (!a->tick_ev || event_add(a->tick_ev, &one_s)) {
		rc = -ENOMEM;
		goto fail;
	}
	a->last_stats_ns = bw_mono_ns();
	bw_agent_status_write(a, "running");
	bw_info("agent running | node=%s boot=%016llx enforcer=%s controller=%s relays=%s "
		"visibility=%s host_visibility=%s",
		a->cfg.node_name, (unsigned long long)a->boot_id, a->enf->ops->name,
		*a->cfg.controller_url ? a->cfg.controller_url : "none",
		*a->cfg.relay_urls ? a->cfg.relay_urls : "none", a->cfg.visibility,
		a->cfg.host_visibility);
	*out = a;
	return 0;
fail:
	bw_agent_free(a);
	return rc;
}

/* Wakes EVLOOP_ONCE up so the drain loop can look at its deadline. */
static void drain_wake(evutil_socket_t fd, short what, void *arg)
{
}

void bw_agent_drain(struct bw_agent *a, unsigned timeout_ms)
{
	uint64_t deadline;
	struct timeval tick_20ms = {0, 20000};
	struct bw_shipper_stats ss;
	struct event *wake;

	if (!a)
		return;
	/* Probes fail from now on: the agent is going away. */
	a->stopping = 1;
	bw_agent_status_write(a, "stopping");
	/* No new logs from here on; alerts still come (the kernel keeps
	 * enforcing) and are shipped while the drain lasts. */
	if (a->mon) {
		bw_monitor_stats(a->mon, &a->mon_final); /* the counters outlive it */
		bw_monitor_free(a->mon);
		a->mon = NULL;
	}
	if (!a->ship)
		return;
	/* From here: detaching the monitor above can take a second itself. */
	deadline = bw_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;
	wake = event_new(a->base, -1, EV_PERSIST, drain_wake, NULL);
	if (wake)
		event_add(wake, &tick_20ms);
	for (;;) {
		bw_shipper_stats(a->ship, &ss);
		if (!ss.queued || !ss.connected || bw_mono_ns() >= deadline || !wake)
			break;
		event_base_loop(a->base, EVLOOP_ONCE);
	}
	if (wake)
		event_free(wake);
	if (ss.queued)
		bw_warn("events not acknowledged by a relay are discarded | events=%llu relay=%s",
			(unsigned long long)ss.queued, ss.connected ? "slow" : "unreachable");
	else
		bw_info("every event acknowledged by the relay | sent=%llu",
			(unsigned long long)ss.acked);
}

void bw_agent_free(struct bw_agent *a)
{
	if (!a)
		return;
	if (a->tick_ev) {
		event_free(a->tick_ev);
		/* Only a started agent wrote one; a failed start leaves the
		 * file of another agent (if any) alone. */
		bw_agent_status_remove(a);
	}
	/* Reverse order of start: nothing calls into a freed module. */
	bw_agent_ctl_stop(a);
	/* bw_enforcer_free leaves the pinned programs and maps in place: the
	 * node stays protected until the next agent adopts them. */
	bw_syscall_audit_free(a->sysaudit);
	bw_enforcer_free(a->enf);
	bw_monitor_free(a->mon);
	bw_events_free(a->events);
	bw_proctree_free(a->tree);
	bw_shipper_free(a->ship);
	bw_containers_free(a->ctrs);
	bw_agent_policy_free(a);
	free(a->node_labels);
	bw_cfg_free(bw_agent_config_table, &a->cfg);
	free(a);
}

void bw_agent_get_stats(const struct bw_agent *a, struct bw_agent_stats *out)
{
	struct bw_monitor_stats ms = a->mon_final;
	struct bw_shipper_stats ss;
	struct bw_events_stats es;

	*out = a->st;
	if (a->ship) {
		bw_shipper_stats(a->ship, &ss);
		out->events_sent = ss.acked;
		out->events_dropped += ss.dropped;
		out->events_buffered = ss.queued;
	}
	if (a->mon)
		bw_monitor_stats(a->mon, &ms);
	out->events_seen = ms.records;
	out->events_lost = ms.lost_ringbuf + ms.lost_pending + ms.malformed;
	/* Alerts the kernel could not queue are losses too, and say so. */
	if (a->enf && a->enf_kind == BULWARK__V1__ENFORCER__ENFORCER_BPFLSM) {
		uint64_t enf_st[BW_ENF_ST__MAX];

		if (bw_enforcer_bpflsm_stats(a->enf, enf_st) == 0)
			out->events_lost += enf_st[BW_ENF_ST_LOST];
	}
	if (a->sysaudit) {
		uint64_t sys_st[BW_SYS_ST__MAX];

		if (bw_syscall_audit_stats(a->sysaudit, sys_st) == 0)
			out->events_lost += sys_st[BW_SYS_ST_LOST];
	}
	if (a->events) {
		bw_events_stats(a->events, &es);
		out->events_filtered = es.invisible;
		out->events_throttled = es.throttled;
		out->logs = es.logs;
		out->system_events = es.system;
	}
	out->containers = a->ctrs ? bw_containers_count(a->ctrs) : 0;
}

void bw_agent_log_stats(const struct bw_agent *a)
{
	struct bw_agent_stats st;

	if (!a)
		return;
	bw_agent_get_stats(a, &st);
	bw_info("stats | records=%llu filtered=%llu logs=%llu alerts=%llu audit_alerts=%llu "
		"throttled=%llu system=%llu queued=%llu sent=%llu buffered=%llu dropped=%llu "
		"lost=%llu containers=%llu policy=%llu policy_failures=%llu",
		(unsigned long long)st.events_seen, (unsigned long long)st.events_filtered,
		(unsigned long long)st.logs, (unsigned long long)st.alerts,
		(unsigned long long)st.audit_alerts, (unsigned long long)st.events_throttled,
		(unsigned long long)st.system_events, (unsigned long long)st.events_queued,
		(unsigned long long)st.events_sent, (unsigned long long)st.events_buffered,
		(unsigned long long)st.events_dropped, (unsigned long long)st.events_lost,
		(unsigned long long)st.containers, (unsigned long long)st.applied_version,
		(unsigned long long)st.policies_failed);
}

int bw_agent_probe(FILE *out)
{
	return bw_probe_print(out);
}

int bw_agent_kernel_version(char *buf, size_t len)
{
	struct utsname u;

	if (uname(&u))
		return -errno;
	snprintf(buf, len, "%s", u.release);
	return 0;
}
