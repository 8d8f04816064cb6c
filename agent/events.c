/* SPDX-License-Identifier: Apache-2.0 */
/* Records and alerts -> events: see events.h. */
#include "events.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bw_time.h"
#include "containers.h"
#include "enrich.h"
#include "proctree.h"

struct ns_vis {
	char *ns;
	unsigned vis;
};

/* Alert throttling state of one container ("" is the host). */
struct throttle {
	char *id;
	uint64_t window_start;
	uint32_t count;
	uint64_t silent_until;
};

struct bw_events {
	struct bw_events_opts o;
	char host[256];
	char cluster[128];
	struct ns_vis *nsv;
	size_t nnsv;
	struct throttle *thr;
	size_t nthr;
	uint64_t (*now)(void);
	uint64_t last_sweep_boot_ns;
	struct bw_events_stats st;
};

/* Exited processes stay this long so events that trail their exit (a
 * child's, a late record from another CPU) still find them. */
#define PROC_GRACE_NS (10ull * 1000000000ull)

static const char *const sys_names[BW_SYS_MAX] = {
    [BW_SYS_NONE] = "",
    [BW_SYS_EXECVE] = "SYS_EXECVE",
    [BW_SYS_OPEN] = "SYS_OPEN",
    [BW_SYS_OPENAT] = "SYS_OPENAT",
    [BW_SYS_OPENAT2] = "SYS_OPENAT2",
    [BW_SYS_UNLINK] = "SYS_UNLINK",
    [BW_SYS_UNLINKAT] = "SYS_UNLINKAT",
    [BW_SYS_SOCKET] = "SYS_SOCKET",
    [BW_SYS_BIND] = "SYS_BIND",
    [BW_SYS_LISTEN] = "SYS_LISTEN",
    [BW_SYS_ACCEPT] = "SYS_ACCEPT",
    [BW_SYS_ACCEPT4] = "SYS_ACCEPT4",
    [BW_SYS_CONNECT] = "SYS_CONNECT",
    [BW_SYS_SETUID] = "SYS_SETUID",
    [BW_SYS_SETGID] = "SYS_SETGID",
    [BW_SYS_EXECVEAT] = "SYS_EXECVEAT",
};

int bw_visibility_parse(const char *text, unsigned *out, char *err, size_t errlen)
{
	static const struct {
		const char *w;
		unsigned bit;
	} words[] = {
	    {"process", BW_VIS_PROCESS},
	    {"file", BW_VIS_FILE},
	    {"network", BW_VIS_NETWORK},
	    {"capabilities", BW_VIS_CAPS},
	};
	unsigned v = 0;
	const char *p = text ? text : "";

	while (*p) {
		size_t n;
		int found = 0;

		while (*p == ' ' || *p == ',')
			p++;
		n = strcspn(p, ", ");
		if (!n)
			break;
		if (n == 4 && strncmp(p, "none", 4) == 0) {
			found = 1;
		} else {
			for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
				if (strlen(words[i].w) == n && strncmp(p, words[i].w, n) == 0) {
					v |= words[i].bit;
					found = 1;
				}
			}
		}
		if (!found) {
			snprintf(err, errlen,
				 "visibility: unknown item '%.*s' (expected process, file, "
				 "network, capabilities or none)",
				 (int)n, p);
			return -EINVAL;
		}
		p += n;
	}
	*out = v;
	return 0;
}

unsigned bw_visibility_groups(unsigned vis)
{
	unsigned g = BW_MON_G_PROCESS;

	/* setuid/setgid and failed execs are process events too, but their
	 * syscall tracepoints slow down the whole node: opt-ins of the
	 * monitor, never implied by a visibility */
	if (vis & BW_VIS_FILE)
		g |= BW_MON_G_FILE;
	if (vis & BW_VIS_NETWORK)
		g |= BW_MON_G_NETWORK;
	if (vis & BW_VIS_CAPS)
		g |= BW_MON_G_CAPS;
	return g;
}

static uint64_t default_now(void)
{
	return bw_mono_ns();
}

int bw_events_new(struct bw_events **out, const struct bw_events_opts *opts)
{
	struct bw_events *e;

	if (!opts || !opts->proctree || !opts->emit)
		return -EINVAL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->o = *opts;
	if (!e->o.alerts_per_sec)
		e->o.alerts_per_sec = 10;
	if (!e->o.throttle_silence_s)
		e->o.throttle_silence_s = 30;
	if (opts->host_name)
		snprintf(e->host, sizeof(e->host), "%s", opts->host_name);
	else if (gethostname(e->host, sizeof(e->host) - 1))
		snprintf(e->host, sizeof(e->host), "unknown");
	snprintf(e->cluster, sizeof(e->cluster), "%s",
		 opts->cluster_name ? opts->cluster_name : "default");
	e->now = default_now;
	*out = e;
	return 0;
}

void bw_events_free(struct bw_events *e)
{
	if (!e)
		return;
	bw_events_clear_ns_visibility(e);
	for (size_t i = 0; i < e->nthr; i++)
		free(e->thr[i].id);
	free(e->thr);
	free(e);
}

void bw_events_set_clock(struct bw_events *e, uint64_t (*now_ns)(void))
{
	e->now = now_ns ? now_ns : default_now;
}

int bw_events_set_visibility(struct bw_events *e, const char *ns, unsigned vis)
{
	if (!ns) {
		e->o.host_visibility = vis;
		return 0;
	}
	for (size_t i = 0; i < e->nnsv; i++) {
		if (strcmp(e->nsv[i].ns, ns) == 0) {
			e->nsv[i].vis = vis;
			return 0;
		}
	}
	struct ns_vis *n = realloc(e->nsv, (e->nnsv + 1) * sizeof(*n));
	char *d = strdup(ns);

	if (!n || !d) {
		if (n)
			e->nsv = n;
		free(d);
		return -ENOMEM;
	}
	e->nsv = n;
	n[e->nnsv].ns = d;
	n[e->nnsv].vis = vis;
	e->nnsv++;
	return 0;
}

void bw_events_clear_ns_visibility(struct bw_events *e)
{
	for (size_t i = 0; i < e->nnsv; i++)
		free(e->nsv[i].ns);
	free(e->nsv);
	e->nsv = NULL;
	e->nnsv = 0;
}

unsigned bw_events_groups(const struct bw_events *e)
{
	unsigned v = e->o.host_visibility | e->o.container_visibility;

	for (size_t i = 0; i < e->nnsv; i++)
		v |= e->nsv[i].vis;
	return bw_visibility_groups(v);
}

static unsigned vis_for(const struct bw_events *e, const char *ns, int in_container)
{
	if (!in_container)
		return e->o.host_visibility;
	for (size_t i = 0; ns && i < e->nnsv; i++)
		if (strcmp(e->nsv[i].ns, ns) == 0)
			return e->nsv[i].vis;
	return e->o.container_visibility;
}

static unsigned vis_needed(uint32_t type)
{
	switch (type) {
	case BW_MON_EXEC:
	case BW_MON_EXEC_FAIL:
	case BW_MON_SETUID:
	case BW_MON_SETGID:
		return BW_VIS_PROCESS;
	case BW_MON_OPEN:
	case BW_MON_UNLINK:
		return BW_VIS_FILE;
	case BW_MON_SOCKET:
	case BW_MON_BIND:
	case BW_MON_LISTEN:
	case BW_MON_ACCEPT:
	case BW_MON_CONNECT:
		return BW_VIS_NETWORK;
	case BW_MON_CAPABLE:
		return BW_VIS_CAPS;
	default:
		return 0; /* fork, exit: the process tree only */
	}
}

static void set_time(Bulwark__V1__Event *ev, uint64_t ts_boot_ns, char *buf)
{
	uint64_t real = bw_real_ns(), boot = bw_boot_ns();
	/* the record's boot time moved onto the wall clock */
	uint64_t ts = ts_boot_ns && ts_boot_ns <= boot ? real - (boot - ts_boot_ns) : real;

	ev->timestamp = (int64_t)(ts / 1000000000ull);
	bw_format_rfc3339(ts, buf, 40);
	ev->updated_time = buf;
}

/* The file path of an OPEN/UNLINK record, joined with its base dir when relative. */
static void record_path(const struct bw_mon_hdr *h, const char *data, char *buf, size_t len)
{
	size_t l0, l1;
	const char *s0 = bw_mon_str(h, data, 0, &l0);
	const char *s1 = bw_mon_str(h, data, 1, &l1);
	const char *mark0 = h->flags & BW_MON_STR_TRUNC(0) ? "<truncated>" : "";
	const char *mark1 = h->flags & BW_MON_STR_TRUNC(1) ? "<truncated>" : "";

	if (s1 && l0 && s0[0] != '/') {
		/* "./x" reads better as "x" under the directory */
		while (l0 >= 2 && s0[0] == '.' && s0[1] == '/') {
			s0 += 2;
			l0 -= 2;
		}
		snprintf(buf, len, "%s%.*s%s%.*s%s", mark1, (int)l1, s1,
			 l1 && s1[l1 - 1] == '/' ? "" : "/", (int)l0, s0, mark0);
	} else {
		/* an unresolved path cut by the kernel is marked at its end */
		if (h->flags & BW_MON_F_UNRESOLVED)
			snprintf(buf, len, "%.*s%s", (int)l0, s0 ? s0 : "", mark0);
		else
			snprintf(buf, len, "%s%.*s", mark0, (int)l0, s0 ? s0 : "");
	}
}

void bw_events_on_record(void *arg, const struct bw_mon_hdr *h, const char *data, size_t data_len)
{
	struct bw_events *e = arg;
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	char resource[BW_MON_PATH_MAX * 2 + 64], dbuf[256], tbuf[40], tmp[32];
	const struct bw_proc *parent = NULL;
	const char *sys = h->sys < BW_SYS_MAX ? sys_names[h->sys] : "";
	unsigned need = vis_needed(h->type);
	int in_c;

	bw_proctree_update(e->o.proctree, h, data, data_len);
	if (h->type == BW_MON_EXIT && h->ts_boot_ns > e->last_sweep_boot_ns + PROC_GRACE_NS / 2) {
		bw_proctree_sweep(e->o.proctree, h->ts_boot_ns, PROC_GRACE_NS);
		e->last_sweep_boot_ns = h->ts_boot_ns;
	}
	if (!need)
		return;
	in_c = bw_enrich_event(e->o.proctree, e->o.containers, h->cgroup_id, h->pid, &ev);
	if (!(vis_for(e, ev.namespace_name, in_c) & need)) {
		e->st.invisible++;
		return;
	}
	resource[0] = 0;
	dbuf[0] = 0;
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_LOG;
	ev.type = in_c ? "ContainerLog" : "HostLog";
	ev.cluster_name = e->cluster;
	ev.host_name = e->host;
	ev.uid = (int32_t)h->uid;
	ev.result = (char *)bw_result_str(h->ret);
	set_time(&ev, h->ts_boot_ns, tbuf);

	switch (h->type) {
	case BW_MON_EXEC:
		/* KubeArmor: Resource is the new command line, Source the parent binary */
		ev.operation = "Process";
		snprintf(resource, sizeof(resource), "%s", ev.source ? ev.source : "");
		parent = bw_proctree_get(e->o.proctree, h->ppid);
		ev.source = parent ? parent->path : "";
		snprintf(dbuf, sizeof(dbuf), "syscall=%s", sys);
		ev.result = "Passed";
		break;
	case BW_MON_EXEC_FAIL:
		/* the process still runs its old image: it is the Source */
		ev.operation = "Process";
		record_path(h, data, resource, sizeof(resource));
		snprintf(dbuf, sizeof(dbuf), "syscall=%s", sys);
		break;
	case BW_MON_OPEN:
		ev.operation = "File";
		record_path(h, data, resource, sizeof(resource));
		{
			char fl[200];

			bw_fmt_open_flags(h->arg[1], fl, sizeof(fl));
			if (h->sys == BW_SYS_OPEN)
				snprintf(dbuf, sizeof(dbuf), "syscall=%s flags=%s", sys, fl);
			else
				snprintf(dbuf, sizeof(dbuf), "syscall=%s fd=%lld flags=%s", sys,
					 (long long)h->arg[0], fl);
		}
		break;
	case BW_MON_UNLINK:
		ev.operation = "File";
		record_path(h, data, resource, sizeof(resource));
		if (h->sys == BW_SYS_UNLINKAT)
			snprintf(dbuf, sizeof(dbuf), "syscall=%s fd=%lld flags=%s", sys,
				 (long long)h->arg[0], h->arg[1] & 0x200 ? "AT_REMOVEDIR" : "0");
		else
			snprintf(dbuf, sizeof(dbuf), "syscall=%s", sys);
		break;
	/* network records come from socket hooks, not syscalls: no fd */
	case BW_MON_SOCKET:
		ev.operation = "Network";
		bw_fmt_socket(h->arg[0], h->arg[1], h->arg[2], resource, sizeof(resource));
		snprintf(dbuf, sizeof(dbuf), "syscall=%s", sys);
		break;
	case BW_MON_BIND:
	case BW_MON_CONNECT:
	case BW_MON_ACCEPT:
	case BW_MON_LISTEN: {
		size_t al;
		const char *a = bw_mon_str(h, data, 0, &al);

		ev.operation = "Network";
		bw_fmt_sockaddr(a, al, !!(h->flags & BW_MON_STR_TRUNC(0)), resource,
				sizeof(resource));
		if (h->type == BW_MON_LISTEN)
			snprintf(dbuf, sizeof(dbuf), "syscall=%s backlog=%lld", sys,
				 (long long)h->arg[1]);
		else
			snprintf(dbuf, sizeof(dbuf), "syscall=%s", sys);
		break;
	}
	case BW_MON_SETUID:
	case BW_MON_SETGID:
		ev.operation = "Syscall";
		snprintf(dbuf, sizeof(dbuf), "syscall=%s %s=%lld", sys,
			 h->type == BW_MON_SETUID ? "userid" : "groupid", (long long)h->arg[0]);
		break;
	case BW_MON_CAPABLE:
		ev.operation = "Capabilities";
		snprintf(resource, sizeof(resource), "%s",
			 bw_cap_name_or_number((unsigned)h->arg[0], tmp, sizeof(tmp)));
		snprintf(dbuf, sizeof(dbuf), "capability=%lld", (long long)h->arg[0]);
		break;
	default:
		return;
	}
	ev.resource = resource;
	ev.data = dbuf;
	e->st.logs++;
	e->o.emit(e->o.arg, &ev);
}

/* ------------------------------------------------------------- alerts */

static struct throttle *throttle_for(struct bw_events *e, const char *id, uint64_t now)
{
	for (size_t i = 0; i < e->nthr; i++)
		if (strcmp(e->thr[i].id, id) == 0)
			return &e->thr[i];
	if (e->nthr >= 256) {
		/* forget containers with no alert for a minute and no silence running */
		for (size_t i = 0; i < e->nthr;) {
			struct throttle *t = &e->thr[i];

			if (now - t->window_start > 60000000000ull && now >= t->silent_until) {
				free(t->id);
				e->thr[i] = e->thr[--e->nthr];
			} else {
				i++;
			}
		}
	}
	struct throttle *n = realloc(e->thr, (e->nthr + 1) * sizeof(*n));
	char *d = strdup(id);

	if (!n || !d) {
		if (n)
			e->thr = n;
		free(d);
		return NULL;
	}
	e->thr = n;
	memset(&n[e->nthr], 0, sizeof(n[0]));
	n[e->nthr].id = d;
	return &n[e->nthr++];
}

/* 1: emit; 0: drop; 2: emit the SystemEvent (and drop this alert). */
static int throttle_check(struct bw_events *e, const char *id)
{
	uint64_t now = e->now();
	struct throttle *t = throttle_for(e, id, now);

	if (!t)
		return 1; /* without memory for the state, never lose the alert */
	if (t->silent_until && now < t->silent_until)
		return 0;
	t->silent_until = 0;
	if (!t->window_start || now - t->window_start >= 1000000000ull) {
		t->window_start = now;
		t->count = 0;
	}
	if (++t->count <= e->o.alerts_per_sec)
		return 1;
	t->silent_until = now + (uint64_t)e->o.throttle_silence_s * 1000000000ull;
	t->window_start = 0;
	return 2;
}

int bw_events_alert(struct bw_events *e, const struct bw_enforcer_alert *a)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	char tbuf[40], sev[16], tags[1024], msg[256], data[128];
	int in_c, verdict;

	in_c = bw_enrich_event(e->o.proctree, e->o.containers, a->cgroup_id, a->host_pid, &ev);
	ev.cluster_name = e->cluster;
	ev.host_name = e->host;
	set_time(&ev, a->ts_boot_ns, tbuf);
	verdict = throttle_check(e, in_c ? ev.container_id : "");
	if (verdict == 0) {
		e->st.throttled++;
		return 0;
	}
	if (verdict == 2) {
		e->st.throttled++;
		ev.kind = BULWARK__V1__EVENT_KIND__EVENT_SYSTEM;
		ev.type = "SystemEvent";
		ev.operation = "AlertThreshold";
		snprintf(msg, sizeof(msg),
			 "Alert threshold reached: more than %u alerts per second, alerts are "
			 "dropped for %u s",
			 e->o.alerts_per_sec, e->o.throttle_silence_s);
		snprintf(data, sizeof(data), "max_alerts_per_sec=%u dropping_alerts_interval=%u",
			 e->o.alerts_per_sec, e->o.throttle_silence_s);
		ev.message = msg;
		ev.data = data;
		ev.resource = "";
		ev.result = "Passed";
		e->st.system++;
		e->o.emit(e->o.arg, &ev);
		return 0;
	}
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	ev.type = a->host ? "MatchedHostPolicy" : "MatchedPolicy";
	ev.uid = (int32_t)a->uid;
	if (!ev.host_ppid)
		ev.host_ppid = (int32_t)a->host_ppid;
	if (!ev.process_name || !*ev.process_name)
		ev.process_name = (char *)a->comm;
	ev.operation = (char *)(a->operation ? a->operation : "");
	ev.resource = (char *)(a->resource ? a->resource : "");
	ev.data = (char *)(a->data ? a->data : "");
	ev.enforcer = (char *)(a->enforcer ? a->enforcer : "");
	ev.action = (char *)(a->action ? a->action : (a->blocked ? "Block" : "Audit"));
	ev.result = a->blocked ? "Permission denied" : "Passed";
	if (a->origin && !a->default_posture) {
		const Bulwark__V1__RuleOrigin *o = a->origin;
		size_t off = 0;

		ev.policy_name = o->policy_name;
		snprintf(sev, sizeof(sev), "%u", o->severity);
		ev.severity = sev;
		tags[0] = 0;
		for (size_t i = 0; i < o->n_tags; i++)
			off += snprintf(tags + off, off < sizeof(tags) ? sizeof(tags) - off : 0,
					"%s%s", i ? "," : "", o->tags[i]);
		ev.tags = tags;
		ev.atags = o->tags;
		ev.n_atags = o->n_tags;
		ev.message = o->message;
	} else {
		ev.policy_name = "DefaultPosture";
	}
	e->st.alerts++;
	e->o.emit(e->o.arg, &ev);
	return 1;
}

void bw_events_stats(const struct bw_events *e, struct bw_events_stats *out)
{
	*out = e->st;
}
