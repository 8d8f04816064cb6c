/* SPDX-License-Identifier: Apache-2.0 */
/* Container discovery: see containers.h. */
#include "bw_array.h"
#include "containers_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bw_log.h"
#include "bw_time.h"

static const struct bw_runtime_root default_roots[] = {
    {"runc", "/run/runc", 1},
    {"containerd", "/run/containerd/runc", 2},
    {"docker", "/run/docker/runtime-runc/moby", 1},
};

static struct bw_ctr_entry *find_id(struct bw_containers *c, const char *id, size_t *idx)
{
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->ents[i]->c.id, id) == 0) {
			if (idx)
				*idx = i;
			return c->ents[i];
		}
	}
	return NULL;
}

static void watch(struct bw_containers *c, const char *dir)
{
	if (c->ifd >= 0)
		inotify_add_watch(c->ifd, dir,
				  IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM |
				      IN_CLOSE_WRITE | IN_ONLYDIR);
}

static uint64_t path_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

/* Looks at one <dir>/<id>/state.json; returns 1 when the table changed. */
static int scan_one(struct bw_containers *c, const char *runtime, const char *ns, const char *dir,
		    const char *id)
{
	char path[PATH_MAX];
	struct stat st;
	struct bw_ctr_entry *old, *e;
	size_t idx = 0;

	if (snprintf(path, sizeof(path), "%s/%s/state.json", dir, id) >= (int)sizeof(path))
		return 0;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	old = find_id(c, id, &idx);
	if (old && old->mtime.tv_sec == st.st_mtim.tv_sec &&
	    old->mtime.tv_nsec == st.st_mtim.tv_nsec &&
	    bw_ctr_pid_start_ticks(c->proc, old->c.pid) == old->start_ticks) {
		old->seen = 1;
		return 0;
	}
	uint64_t h = path_hash(path);

	for (size_t i = 0; i < c->nbad && i < 32; i++)
		if (c->bad[i].hash == h && c->bad[i].mtime.tv_sec == st.st_mtim.tv_sec &&
		    c->bad[i].mtime.tv_nsec == st.st_mtim.tv_nsec)
			return 0; /* unchanged since it failed: not again on every rescan */
	e = bw_ctr_parse_state(c, runtime, ns, id, path, &st);
	if (!e) {
		size_t slot = c->nbad++ % 32;

		c->bad[slot].hash = h;
		c->bad[slot].mtime = st.st_mtim;
		return 0; /* not running: if it was known, the sweep removes it */
	}
	e->seen = 1;
	if (old) {
		c->nalias = 0; /* they may point at old */
		bw_ctr_entry_free(old);
		c->ents[idx] = e;
	} else {
		if (BW_GROW(c->ents, c->cap, c->n + 1)) {
			bw_ctr_entry_free(e);
			return 0;
		}
		c->ents[c->n++] = e;
	}
	c->nmiss = 0; /* a new container may explain a cgroup we called host */
	c->nnested_miss = 0;
	bw_info("container %s | id=%s name=%s runtime=%s cgroup_id=%llu pid=%u labels=%s",
		old ? "updated" : "started", e->c.id, e->c.name, e->c.runtime,
		(unsigned long long)e->c.cgroup_id, e->c.pid, e->c.labels_str);
	if (c->o.on_change)
		c->o.on_change(c->o.arg, &e->c, 1);
	return 1;
}

static int scan_dir(struct bw_containers *c, const char *runtime, const char *ns, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int changes = 0;

	if (!d)
		return 0;
	watch(c, dir);
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char sub[PATH_MAX];

		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
			watch(c, sub); /* state.json is written (renamed) in there */
		changes += scan_one(c, runtime, ns, dir, de->d_name);
	}
	closedir(d);
	return changes;
}

int bw_containers_rescan(struct bw_containers *c)
{
	int changes = 0;

	c->last_rescan_ns = bw_mono_ns();
	for (size_t i = 0; i < c->n; i++)
		c->ents[i]->seen = 0;
	for (size_t r = 0; r < c->nroots; r++) {
		const struct bw_runtime_root *rt = &c->roots[r];

		if (rt->depth <= 1) {
			changes += scan_dir(c, rt->runtime, NULL, rt->dir);
			continue;
		}
		DIR *d = opendir(rt->dir);
		struct dirent *de;

		if (!d)
			continue;
		watch(c, rt->dir);
		while ((de = readdir(d))) {
			char sub[PATH_MAX];

			if (de->d_name[0] == '.' || snprintf(sub, sizeof(sub), "%s/%s", rt->dir,
							     de->d_name) >= (int)sizeof(sub))
				continue;
			changes += scan_dir(c, rt->runtime, de->d_name, sub);
		}
		closedir(d);
	}
	for (size_t i = 0; i < c->n;) {
		struct bw_ctr_entry *e = c->ents[i];

		if (e->seen) {
			i++;
			continue;
		}
		bw_info("container stopped | id=%s name=%s", e->c.id, e->c.name);
		c->nalias = 0; /* they may point at e */
		c->ents[i] = c->ents[--c->n];
		if (c->o.on_change)
			c->o.on_change(c->o.arg, &e->c, 0);
		bw_ctr_entry_free(e);
		changes++;
	}
	c->last_hit = 0;
	return changes;
}

/* ------------------------------------------------------------- lookups */

const struct bw_container *bw_containers_by_cgroup(struct bw_containers *c, uint64_t cgroup_id)
{
	if (!cgroup_id)
		return NULL;
	if (c->last_hit < c->n && c->ents[c->last_hit]->c.cgroup_id == cgroup_id)
		return &c->ents[c->last_hit]->c;
	for (size_t i = 0; i < c->n; i++) {
		if (c->ents[i]->c.cgroup_id == cgroup_id) {
			c->last_hit = i;
			return &c->ents[i]->c;
		}
	}
	for (size_t i = 0; i < c->nalias; i++)
		if (c->alias[i].cgroup_id == cgroup_id)
			return &c->alias[i].e->c;
	for (size_t i = 0; i < c->nmiss; i++)
		if (c->miss[i] == cgroup_id)
			return NULL;
	if (bw_mono_ns() - c->last_rescan_ns < 50 * 1000000ull)
		return NULL;
	bw_containers_rescan(c);
	for (size_t i = 0; i < c->n; i++)
		if (c->ents[i]->c.cgroup_id == cgroup_id)
			return &c->ents[i]->c;
	c->miss[c->nmiss++ % 64] = cgroup_id;
	if (c->nmiss > 64)
		c->nmiss = 64;
	return NULL;
}

/* 1 when a directory below dir (depth-bounded) has inode id. */
static int subtree_has(const char *dir, uint64_t id, int depth, int *budget)
{
	DIR *d;
	struct dirent *de;
	int found = 0;

	if (depth > 8 || --*budget < 0)
		return 0;
	d = opendir(dir);
	if (!d)
		return 0;
	while (!found && (de = readdir(d))) {
		char sub[PATH_MAX];

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (de->d_ino == id) {
			found = 1;
			break;
		}
		if (snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name) < (int)sizeof(sub))
			found = subtree_has(sub, id, depth + 1, budget);
	}
	closedir(d);
	return found;
}

static void add_alias(struct bw_containers *c, uint64_t cgroup_id, struct bw_ctr_entry *e)
{
	c->alias[c->nalias % 256].cgroup_id = cgroup_id;
	c->alias[c->nalias % 256].e = e;
	if (c->nalias < 256)
		c->nalias++;
}

const struct bw_container *bw_containers_by_task(struct bw_containers *c, uint64_t cgroup_id,
						 uint32_t host_pid)
{
	const struct bw_container *hit = bw_containers_by_cgroup(c, cgroup_id);
	char path[PATH_MAX];

	if (hit || !cgroup_id)
		return hit;
	for (size_t i = 0; i < c->nnested_miss && i < 64; i++)
		if (c->nested_miss[i] == cgroup_id)
			return NULL;
	/* the task's cgroup may sit below a container's (systemd or docker
	 * inside the container): its path tells while it lives ... */
	if (host_pid && c->cg2[0] &&
	    bw_cgroup_path_of_pid(c->proc, c->cg2, host_pid, path, sizeof(path)) == 0 &&
	    bw_cgroup_id_of_path(path) == cgroup_id) {
		for (size_t i = 0; i < c->n; i++) {
			struct bw_ctr_entry *e = c->ents[i];
			size_t l = strlen(e->cgpath);

			if (l && strncmp(path, e->cgpath, l) == 0 && path[l] == '/') {
				add_alias(c, cgroup_id, e);
				return &e->c;
			}
		}
	}
	/* ... and the containers' cgroup subtrees (small) tell after it exited */
	for (size_t i = 0; i < c->n; i++) {
		struct bw_ctr_entry *e = c->ents[i];
		int budget = 4096;

		if (e->cgpath[0] && subtree_has(e->cgpath, cgroup_id, 0, &budget)) {
			add_alias(c, cgroup_id, e);
			return &e->c;
		}
	}
	c->nested_miss[c->nnested_miss++ % 64] = cgroup_id;
	return NULL;
}

const struct bw_container *bw_containers_by_id(struct bw_containers *c, const char *id)
{
	struct bw_ctr_entry *e = find_id(c, id, NULL);

	return e ? &e->c : NULL;
}

size_t bw_containers_count(const struct bw_containers *c)
{
	return c->n;
}

const struct bw_container *bw_containers_at(const struct bw_containers *c, size_t i)
{
	return i < c->n ? &c->ents[i]->c : NULL;
}

const char *bw_containers_cgroup2(const struct bw_containers *c)
{
	return c->cg2;
}

int bw_containers_set_labels(struct bw_containers *c, const char *id, const char *kvtext)
{
	struct bw_kv *kv;
	size_t n;
	struct bw_ctr_extra *x;
	struct bw_ctr_entry *e;
	int rc = bw_ctr_kv_parse(kvtext, &kv, &n);

	if (rc)
		return rc;
	x = bw_ctr_extra_find(c, id);
	if (x && x->n == n) {
		size_t i = 0;

		while (i < n && !strcmp(x->kv[i].key, kv[i].key) &&
		       !strcmp(x->kv[i].value, kv[i].value))
			i++;
		if (i == n) {
			/* Unchanged: a policy re-sent with the same labels is no
			 * container change (and no report to the controller). */
			bw_ctr_kv_free(kv, n);
			return find_id(c, id, NULL) ? 0 : -ENOENT;
		}
	}
	if (!x) {
		struct bw_ctr_extra *nx = realloc(c->extras, (c->nextras + 1) * sizeof(*nx));
		char *idc = strdup(id);

		if (!nx || !idc) {
			if (nx)
				c->extras = nx;
			free(idc);
			bw_ctr_kv_free(kv, n);
			return -ENOMEM;
		}
		c->extras = nx;
		x = &nx[c->nextras++];
		x->id = idc;
		x->kv = NULL;
		x->n = 0;
	}
	bw_ctr_kv_free(x->kv, x->n);
	x->kv = kv;
	x->n = n;
	e = find_id(c, id, NULL);
	if (!e)
		return -ENOENT;
	rc = bw_ctr_merge_labels(c, e);
	if (!rc && c->o.on_change)
		c->o.on_change(c->o.arg, &e->c, 1);
	return rc;
}

int bw_containers_retain_labels(struct bw_containers *c, int (*keep)(void *arg, const char *id),
				void *arg)
{
	struct bw_ctr_entry **back = NULL;
	size_t kept = 0, nback = 0, dropped = 0;

	if (c->nextras && !(back = calloc(c->nextras, sizeof(*back))))
		return -ENOMEM;
	for (size_t i = 0; i < c->nextras; i++) {
		struct bw_ctr_extra x = c->extras[i];
		struct bw_ctr_entry *e;

		if (keep(arg, x.id)) {
			c->extras[kept++] = x;
			continue;
		}
		if ((e = find_id(c, x.id, NULL)))
			back[nback++] = e;
		free(x.id);
		bw_ctr_kv_free(x.kv, x.n);
		dropped++;
	}
	c->nextras = kept;
	/* Merged again once the table no longer holds their extras. */
	for (size_t i = 0; i < nback; i++)
		if (!bw_ctr_merge_labels(c, back[i]) && c->o.on_change)
			c->o.on_change(c->o.arg, &back[i]->c, 1);
	free(back);
	return (int)dropped;
}

int bw_container_to_proto(const struct bw_container *c, Bulwark__V1__Container *out)
{
	bulwark__v1__container__init(out);
	if (c->nrt_labels) {
		Bulwark__V1__KeyValue **arr = calloc(c->nrt_labels, sizeof(*arr));
		Bulwark__V1__KeyValue *kvs = calloc(c->nrt_labels, sizeof(*kvs));

		if (!arr || !kvs) {
			free(arr);
			free(kvs);
			return -ENOMEM;
		}
		for (size_t i = 0; i < c->nrt_labels; i++) {
			bulwark__v1__key_value__init(&kvs[i]);
			kvs[i].key = c->rt_labels[i].key;
			kvs[i].value = c->rt_labels[i].value;
			arr[i] = &kvs[i];
		}
		out->labels = arr;
		out->n_labels = c->nrt_labels;
	}
	out->id = c->id;
	out->name = c->name;
	out->image = c->image;
	out->pod_name = c->pod_name;
	out->namespace_name = c->namespace_name;
	out->container_name = c->container_name;
	out->cgroup_id = c->cgroup_id;
	out->pid_ns = c->pid_ns;
	out->mnt_ns = c->mnt_ns;
	out->pid = c->pid;
	out->runtime = c->runtime;
	out->apparmor_profile = c->apparmor_profile;
	out->owner = c->owner;
	return 0;
}

void bw_container_proto_release(Bulwark__V1__Container *out)
{
	if (!out)
		return;
	if (out->n_labels) {
		free(out->labels[0]); /* the KeyValue block */
		free(out->labels);
	}
	out->labels = NULL;
	out->n_labels = 0;
}

int bw_containers_report_full(const struct bw_containers *c, const char *node_name,
			      Bulwark__V1__ContainerReport *out)
{
	bulwark__v1__container_report__init(out);
	out->node_name = (char *)(node_name ? node_name : "");
	out->full = 1;
	if (!c->n)
		return 0;
	out->added = calloc(c->n, sizeof(*out->added));
	if (!out->added)
		return -ENOMEM;
	for (size_t i = 0; i < c->n; i++) {
		Bulwark__V1__Container *pc = malloc(sizeof(*pc));

		if (!pc || bw_container_to_proto(&c->ents[i]->c, pc)) {
			free(pc);
			bw_containers_report_release(out);
			return -ENOMEM;
		}
		out->added[out->n_added++] = pc;
	}
	return 0;
}

void bw_containers_report_release(Bulwark__V1__ContainerReport *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < out->n_added; i++) {
		bw_container_proto_release(out->added[i]);
		free(out->added[i]);
	}
	free(out->added);
	out->added = NULL;
	out->n_added = 0;
}

/* ------------------------------------------------------------- loop */

static void on_debounce(evutil_socket_t fd, short what, void *arg)
{
	bw_containers_rescan(arg);
}

static void on_inotify(evutil_socket_t fd, short what, void *arg)
{
	struct bw_containers *c = arg;
	char buf[8192];
	struct timeval tv = {0, 20 * 1000};

	/* drain; what changed does not matter, one rescan after the burst does */
	while (read(c->ifd, buf, sizeof(buf)) > 0)
		;
	evtimer_add(c->debounce, &tv);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	bw_containers_rescan(arg);
}

int bw_containers_new(struct bw_containers **out, const struct bw_containers_opts *opts, char *err,
		      size_t errlen)
{
	struct bw_containers *c = calloc(1, sizeof(*c));
	int rc = 0;

	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	c->ifd = -1;
	if (opts)
		c->o = *opts;
	if (!c->o.rescan_ms)
		c->o.rescan_ms = 5000;
	snprintf(c->proc, sizeof(c->proc), "%s", c->o.proc_root ? c->o.proc_root : "/proc");
	snprintf(c->docker, sizeof(c->docker), "%s",
		 c->o.docker_root ? c->o.docker_root : "/var/lib/docker");
	if (c->o.cgroup2_mnt) {
		snprintf(c->cg2, sizeof(c->cg2), "%s", c->o.cgroup2_mnt);
	} else {
		char mi[PATH_MAX];

		if (snprintf(mi, sizeof(mi), "%s/self/mountinfo", c->proc) >= (int)sizeof(mi) ||
		    bw_cgroup2_detect(mi, c->cg2, sizeof(c->cg2)))
			bw_warn(
			    "no cgroup v2 mount found: containers cannot be told from the host");
	}
	const struct bw_runtime_root *roots = c->o.roots ? c->o.roots : default_roots;
	size_t nroots = c->o.roots ? c->o.nroots : sizeof(default_roots) / sizeof(default_roots[0]);

	c->roots = calloc(nroots ? nroots : 1, sizeof(*c->roots));
	if (!c->roots) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < nroots; i++) {
		if (!roots[i].dir || !roots[i].runtime || roots[i].depth < 1 ||
		    roots[i].depth > 2) {
			rc = -EINVAL;
			snprintf(err, errlen,
				 "container root %zu: needs runtime, dir and depth 1 or 2", i);
			goto cleanup;
		}
		c->roots[i] = roots[i];
	}
	c->nroots = nroots;
	if (c->o.base) {
		struct timeval tv = {c->o.rescan_ms / 1000, (c->o.rescan_ms % 1000) * 1000};

		c->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (c->ifd < 0) {
			rc = -errno;
			snprintf(err, errlen, "inotify_init1: %s", strerror(errno));
			goto cleanup;
		}
		c->iev = event_new(c->o.base, c->ifd, EV_READ | EV_PERSIST, on_inotify, c);
		c->debounce = evtimer_new(c->o.base, on_debounce, c);
		c->tick = event_new(c->o.base, -1, EV_PERSIST, on_tick, c);
		if (!c->iev || !c->debounce || !c->tick || event_add(c->iev, NULL) ||
		    event_add(c->tick, &tv)) {
			rc = -ENOMEM;
			snprintf(err, errlen, "adding container watches to the event loop failed");
			goto cleanup;
		}
	}
	bw_containers_rescan(c);
	bw_info("container discovery started | cgroup2=%s containers=%zu", c->cg2, c->n);
	*out = c;
	return 0;
cleanup:
	bw_containers_free(c);
	return rc;
}

void bw_containers_free(struct bw_containers *c)
{
	if (!c)
		return;
	if (c->iev)
		event_free(c->iev);
	if (c->debounce)
		event_free(c->debounce);
	if (c->tick)
		event_free(c->tick);
	if (c->ifd >= 0)
		close(c->ifd);
	for (size_t i = 0; i < c->n; i++)
		bw_ctr_entry_free(c->ents[i]);
	free(c->ents);
	for (size_t i = 0; i < c->nextras; i++) {
		free(c->extras[i].id);
		bw_ctr_kv_free(c->extras[i].kv, c->extras[i].n);
	}
	free(c->extras);
	free(c->roots);
	free(c);
}
