/* SPDX-License-Identifier: Apache-2.0 */
/* Loader for bpf/monitor.bpf.c and bpf/monitor_net.bpf.c: see monitor.h. */
#include "monitor.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bw_log.h"
#include "monitor.skel.h"
#include "monitor_net.skel.h"
#include "monitor_seed.h"
#include "probe.h"

#define TRACEFS "/sys/kernel/tracing"
#define DEBUG_TRACEFS "/sys/kernel/debug/tracing"
#define SECURITYFS "/sys/kernel/security"

struct bw_mon_prog {
	struct bpf_program *prog;
	unsigned group;
	int available;
	int cgroup; /* attached to the cgroup v2 root, not to a tracepoint */
	struct bpf_link *link;
};

struct bw_monitor {
	struct monitor *skel;
	struct monitor_net *net; /* NULL: no network group on this node */
	int cgfd;		 /* the cgroup v2 root, for the network group */
	char cg2[512];		 /* its path */
	unsigned optin;		 /* groups attached whatever the visibility */
	struct ring_buffer *rb;
	struct event *ev;
	struct event *drain; /* periodic drain when the kernel batches wakeups */
	bw_monitor_record_fn on_record;
	void *arg;
	struct bw_mon_prog progs[64];
	int nprogs;
	unsigned groups;
	unsigned available;
	int paused;
	uint64_t records;
	uint64_t malformed;
};

static int path_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0;
}

static const char *tracefs_dir(void)
{
	if (path_exists(TRACEFS "/events"))
		return TRACEFS;
	if (path_exists(DEBUG_TRACEFS "/events"))
		return DEBUG_TRACEFS;
	return NULL;
}

int bw_monitor_prepare_fs(char *err, size_t errlen)
{
	if (!tracefs_dir()) {
		if (mount("tracefs", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
			int e = errno;

			snprintf(err, errlen, "mounting tracefs on %s: %s", TRACEFS, strerror(e));
			return -e;
		}
		bw_info("mounted tracefs | path=%s", TRACEFS);
	}
	if (!path_exists(SECURITYFS "/lsm")) {
		if (mount("securityfs", SECURITYFS, "securityfs", 0, NULL) && errno != EBUSY) {
			int e = errno;

			snprintf(err, errlen, "mounting securityfs on %s: %s", SECURITYFS,
				 strerror(e));
			return -e;
		}
		bw_info("mounted securityfs | path=%s", SECURITYFS);
	}
	return 0;
}

/* Which group a program of monitor.bpf.c belongs to, from its section name. */
static unsigned prog_group(const char *sec)
{
	static const struct {
		const char *needle;
		unsigned group;
	} map[] = {
	    {"sched_process", BW_MON_G_PROCESS},
	    {"_execve", BW_MON_G_EXECFAIL},
	    {"_open", BW_MON_G_FILE},
	    {"_unlink", BW_MON_G_FILE},
	    {"cap_capable", BW_MON_G_CAPS},
	    {"_setuid", BW_MON_G_SETID},
	    {"_setgid", BW_MON_G_SETID},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strstr(sec, map[i].needle))
			return map[i].group;
	return 0;
}

/* A "tracepoint/cat/name" program whose event this kernel lacks is not loaded. */
static int tracepoint_exists(const char *tfs, const char *sec)
{
	char p[512];

	if (strncmp(sec, "tracepoint/", 11) != 0)
		return 1;
	snprintf(p, sizeof(p), "%s/events/%s", tfs, sec + 11);
	return path_exists(p);
}

/* Checks the string bounds of a record so consumers can trust them. */
static int on_sample(void *ctx, void *data, size_t size)
{
	struct bw_monitor *m = ctx;
	const struct bw_mon_hdr *h = data;
	size_t dlen;

	if (size < sizeof(*h) || h->type == 0 || h->type >= BW_MON_TYPE_MAX) {
		m->malformed++;
		return 0;
	}
	dlen = size - sizeof(*h);
	for (int i = 0; i < BW_MON_NSTR; i++) {
		if (h->str_len[i] && (size_t)h->str_off[i] + h->str_len[i] > dlen) {
			m->malformed++;
			return 0;
		}
	}
	m->records++;
	m->on_record(m->arg, h, (const char *)data + sizeof(*h), dlen);
	return 0;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct bw_monitor *m = arg;
	int n = ring_buffer__consume(m->rb);

	if (n < 0)
		bw_warn("ring buffer consume failed | err=%s", strerror(-n));
}

int bw_monitor_drain(struct bw_monitor *m)
{
	return ring_buffer__consume(m->rb);
}

static int attach_one(struct bw_monitor *m, struct bw_mon_prog *p)
{
	struct bpf_link *l =
	    p->cgroup ? bpf_program__attach_cgroup(p->prog, m->cgfd) : bpf_program__attach(p->prog);

	if (!l)
		return errno ? -errno : -EINVAL;
	p->link = l;
	return 0;
}

static int group_attached(const struct bw_monitor *m, unsigned group)
{
	for (int i = 0; i < m->nprogs; i++)
		if (m->progs[i].link && m->progs[i].group == group)
			return 1;
	return 0;
}

/*
 * Listeners that started listening while the network group was detached
 * (or before the monitor existed) are learnt from /proc, so their accepted
 * connections are reported too.
 */
static void seed_listeners(struct bw_monitor *m)
{
	int n = bw_monitor_seed_listeners(bpf_map__fd(m->net->maps.bw_mon_listen), "/proc", m->cg2,
					  m->skel->rodata->bw_agent_tgid);

	if (n < 0)
		bw_warn("existing TCP listeners not learnt: their accepts go unreported | err=%s",
			strerror(-n));
	else
		bw_debug("existing TCP listeners learnt | listeners=%d", n);
}

int bw_monitor_set_groups(struct bw_monitor *m, unsigned groups)
{
	int net_was, rc = 0;

	groups |= BW_MON_G_PROCESS | m->optin;
	groups &= m->available;
	if (m->paused) {
		m->groups = groups; /* applied on resume */
		return 0;
	}
	net_was = group_attached(m, BW_MON_G_NETWORK);
	for (int i = 0; i < m->nprogs; i++) {
		struct bw_mon_prog *p = &m->progs[i];

		if (!p->available || !(groups & p->group) || p->link)
			continue;
		rc = attach_one(m, p);
		if (rc) {
			bw_warn("attaching monitor program failed | prog=%s err=%s",
				bpf_program__name(p->prog), strerror(-rc));
			/* undo what this call attached so the old set holds */
			for (int j = 0; j < i; j++) {
				struct bw_mon_prog *q = &m->progs[j];

				if (q->link && !(m->groups & q->group)) {
					bpf_link__destroy(q->link);
					q->link = NULL;
				}
			}
			return rc;
		}
	}
	for (int i = 0; i < m->nprogs; i++) {
		struct bw_mon_prog *p = &m->progs[i];

		if (p->link && !(groups & p->group)) {
			bpf_link__destroy(p->link);
			p->link = NULL;
		}
	}
	m->groups = groups;
	if (!net_was && group_attached(m, BW_MON_G_NETWORK))
		seed_listeners(m);
	return 0;
}

int bw_monitor_pause(struct bw_monitor *m, int pause)
{
	if (pause) {
		for (int i = 0; i < m->nprogs; i++) {
			bpf_link__destroy(m->progs[i].link);
			m->progs[i].link = NULL;
		}
		m->paused = 1;
		return 0;
	}
	if (!m->paused)
		return 0;
	m->paused = 0;
	return bw_monitor_set_groups(m, m->groups);
}

unsigned bw_monitor_groups(const struct bw_monitor *m)
{
	return m->groups;
}

unsigned bw_monitor_available(const struct bw_monitor *m)
{
	return m->available;
}

/* Registers the programs of one object; net: all of them are the network group. */
static int add_progs(struct bw_monitor *m, struct bpf_object *obj, const char *tfs, int net,
		     char *err, size_t errlen)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, obj)
	{
		struct bw_mon_prog *p;
		const char *sec = bpf_program__section_name(prog);

		if (m->nprogs >= (int)(sizeof(m->progs) / sizeof(m->progs[0]))) {
			snprintf(err, errlen, "monitor objects have too many programs");
			return -E2BIG;
		}
		p = &m->progs[m->nprogs++];
		p->prog = prog;
		p->group = net ? BW_MON_G_NETWORK : prog_group(sec);
		p->cgroup = strncmp(sec, "cgroup/", 7) == 0;
		p->available = tracepoint_exists(tfs, sec);
		if (!p->available) {
			bpf_program__set_autoload(prog, false);
			bw_info("monitor tracepoint missing on this kernel | section=%s", sec);
		}
	}
	return 0;
}

/*
 * The network group: a second object sharing the first one's ring buffer and
 * loss counters, with cgroup programs for the cgroup v2 root.  Without cgroup
 * v2 or with a kernel that refuses the programs the group is unavailable,
 * which costs network events only: not fatal.
 */
static void load_net(struct bw_monitor *m, const struct bw_monitor_opts *opts, const char *tfs)
{
	char root[512], err[256];
	int first = m->nprogs, rc;

	if (opts->cgroup2) {
		snprintf(root, sizeof(root), "%s", opts->cgroup2);
	} else if (bw_cgroup2_root(root, sizeof(root))) {
		bw_warn("no cgroup v2 hierarchy: no network events");
		return;
	}
	snprintf(m->cg2, sizeof(m->cg2), "%s", root);
	m->cgfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (m->cgfd < 0) {
		bw_warn("cannot open the cgroup v2 root: no network events | path=%s err=%s", root,
			strerror(errno));
		return;
	}
	m->net = monitor_net__open();
	if (!m->net) {
		bw_warn("opening the network monitor object failed | err=%s", strerror(errno));
		return;
	}
	m->net->rodata->bw_agent_tgid = m->skel->rodata->bw_agent_tgid;
	m->net->rodata->bw_wakeup_bytes = m->skel->rodata->bw_wakeup_bytes;
	if (bpf_map__reuse_fd(m->net->maps.bw_mon_events,
			      bpf_map__fd(m->skel->maps.bw_mon_events)) ||
	    bpf_map__reuse_fd(m->net->maps.bw_mon_lost, bpf_map__fd(m->skel->maps.bw_mon_lost))) {
		bw_warn("sharing the ring buffer with the network monitor failed | err=%s",
			strerror(errno));
		goto fail;
	}
	if (add_progs(m, m->net->obj, tfs, 1, err, sizeof(err))) {
		bw_warn("network monitor | err=%s", err);
		goto fail;
	}
	for (int i = first; i < m->nprogs; i++) {
		if (!m->progs[i].available) {
			/* the group needs all of its hooks; load none of them */
			bw_warn("sock:inet_sock_set_state missing: no network events");
			goto fail;
		}
	}
	rc = monitor_net__load(m->net);
	if (rc) {
		bw_warn("loading the network monitor programs failed: no network events | err=%s",
			strerror(-rc));
		goto fail;
	}
	m->available |= BW_MON_G_NETWORK;
	return;
fail:
	m->nprogs = first;
	monitor_net__destroy(m->net);
	m->net = NULL;
}

int bw_monitor_new(struct bw_monitor **out, const struct bw_monitor_opts *opts, char *err,
		   size_t errlen)
{
	struct bw_monitor *m = NULL;
	const char *tfs;
	int rc;

	if (!opts || !opts->base || !opts->on_record) {
		snprintf(err, errlen, "monitor options need base and on_record");
		return -EINVAL;
	}
	if (opts->ringbuf_bytes &&
	    (opts->ringbuf_bytes < 4096 || (opts->ringbuf_bytes & (opts->ringbuf_bytes - 1)))) {
		snprintf(err, errlen, "ring buffer size %u is not a power of two >= 4096",
			 opts->ringbuf_bytes);
		return -EINVAL;
	}
	rc = bw_monitor_prepare_fs(err, errlen);
	if (rc)
		return rc;
	tfs = tracefs_dir();
	if (!tfs) {
		snprintf(err, errlen, "tracefs has no events directory after mounting");
		return -ENOENT;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	m->cgfd = -1;
	m->on_record = opts->on_record;
	m->arg = opts->arg;
	m->optin = opts->optin_groups & (BW_MON_G_SETID | BW_MON_G_EXECFAIL);
	m->skel = monitor__open();
	if (!m->skel) {
		rc = errno ? -errno : -EINVAL;
		snprintf(err, errlen, "opening the monitor BPF object: %s", strerror(-rc));
		goto cleanup;
	}
	m->skel->rodata->bw_agent_tgid = opts->report_self ? 0 : (uint32_t)getpid();
	if (opts->drain_ms >= 0) {
		uint32_t rb = opts->ringbuf_bytes ? opts->ringbuf_bytes : 4u << 20;
		uint32_t wb = opts->wakeup_bytes ? opts->wakeup_bytes : 64u << 10;

		/* never wait for more than a quarter of the buffer */
		m->skel->rodata->bw_wakeup_bytes = wb < rb / 4 ? wb : rb / 4;
	}
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(m->skel->maps.bw_mon_events, opts->ringbuf_bytes);
	rc = libbpf_num_possible_cpus();
	if (rc <= 0) {
		snprintf(err, errlen, "cannot count the possible CPUs");
		rc = rc ? rc : -EINVAL;
		goto cleanup;
	}
	bpf_map__set_max_entries(m->skel->maps.bw_mon_heap, (uint32_t)rc);
	rc = add_progs(m, m->skel->obj, tfs, 0, err, errlen);
	if (rc)
		goto cleanup;
	/* a group is available when all of its programs are */
	m->available = BW_MON_G_ALL & ~BW_MON_G_NETWORK;
	for (int i = 0; i < m->nprogs; i++)
		if (!m->progs[i].available)
			m->available &= ~m->progs[i].group;
	for (int i = 0; i < m->nprogs; i++)
		if (!(m->available & m->progs[i].group))
			m->progs[i].available = 0;
	if (!(m->available & BW_MON_G_PROCESS)) {
		snprintf(err, errlen, "process tracepoints are missing under %s", tfs);
		rc = -ENOENT;
		goto cleanup;
	}
	rc = monitor__load(m->skel);
	if (rc) {
		snprintf(err, errlen, "loading the monitor BPF programs: %s", strerror(-rc));
		goto cleanup;
	}
	load_net(m, opts, tfs);
	m->rb = ring_buffer__new(bpf_map__fd(m->skel->maps.bw_mon_events), on_sample, m, NULL);
	if (!m->rb) {
		rc = errno ? -errno : -EINVAL;
		snprintf(err, errlen, "creating the ring buffer reader: %s", strerror(-rc));
		goto cleanup;
	}
	m->ev = event_new(opts->base, ring_buffer__epoll_fd(m->rb), EV_READ | EV_PERSIST,
			  on_readable, m);
	if (!m->ev || event_add(m->ev, NULL)) {
		rc = -ENOMEM;
		snprintf(err, errlen, "adding the ring buffer to the event loop failed");
		goto cleanup;
	}
	if (opts->drain_ms >= 0) {
		int ms = opts->drain_ms ? opts->drain_ms : 50;
		struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

		m->drain = event_new(opts->base, -1, EV_PERSIST, on_readable, m);
		if (!m->drain || event_add(m->drain, &tv)) {
			rc = -ENOMEM;
			snprintf(err, errlen, "adding the ring buffer drain timer failed");
			goto cleanup;
		}
	}
	rc = bw_monitor_set_groups(m, opts->groups);
	if (rc && (m->available & BW_MON_G_NETWORK) && (opts->groups & BW_MON_G_NETWORK)) {
		/* a node that loads the cgroup hooks but refuses to attach
		 * them loses network events, not the whole monitor */
		bw_warn("network monitor not attached: no network events | err=%s", strerror(-rc));
		m->available &= ~BW_MON_G_NETWORK;
		rc = bw_monitor_set_groups(m, opts->groups);
	}
	if (rc) {
		snprintf(err, errlen, "attaching the monitor programs: %s", strerror(-rc));
		goto cleanup;
	}
	bw_info("monitor attached | groups=0x%x available=0x%x", m->groups, m->available);
	*out = m;
	return 0;
cleanup:
	bw_monitor_free(m);
	return rc;
}

void bw_monitor_stats(struct bw_monitor *m, struct bw_monitor_stats *out)
{
	int ncpu = libbpf_num_possible_cpus();

	memset(out, 0, sizeof(*out));
	out->records = m->records;
	out->malformed = m->malformed;
	if (ncpu <= 0)
		return;
	uint64_t vals[ncpu];

	for (uint32_t idx = 0; idx < BW_LOST_MAX; idx++) {
		uint64_t sum = 0;

		if (bpf_map__lookup_elem(m->skel->maps.bw_mon_lost, &idx, sizeof(idx), vals,
					 sizeof(vals), 0))
			continue;
		for (int c = 0; c < ncpu; c++)
			sum += vals[c];
		if (idx == BW_LOST_RINGBUF)
			out->lost_ringbuf = sum;
		else if (idx == BW_LOST_PENDING)
			out->lost_pending = sum;
	}
}

void bw_monitor_free(struct bw_monitor *m)
{
	if (!m)
		return;
	if (m->ev)
		event_free(m->ev);
	if (m->drain)
		event_free(m->drain);
	for (int i = 0; i < m->nprogs; i++)
		bpf_link__destroy(m->progs[i].link);
	ring_buffer__free(m->rb);
	monitor_net__destroy(m->net);
	monitor__destroy(m->skel);
	if (m->cgfd >= 0)
		close(m->cgfd);
	free(m);
}
