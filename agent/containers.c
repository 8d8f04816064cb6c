/* SPDX-License-Identifier: Apache-2.0 */
/* Container discovery: see containers.h. */
#include "containers.h"

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

#include <cjson/cJSON.h>

#include "bw_log.h"
#include "bw_time.h"

#define STATE_MAX (4 << 20) /* a state.json bigger than this is not runc's */

static const struct bw_runtime_root default_roots[] = {
	{ "runc", "/run/runc", 1 },
	{ "containerd", "/run/containerd/runc", 2 },
	{ "docker", "/run/docker/runtime-runc/moby", 1 },
};

struct entry {
	struct bw_container c;
	char *state_path;
	char *cgpath; /* the container's cgroup v2 directory ("" unknown) */
	struct timespec mtime;
	uint64_t start_ticks;
	struct bw_kv *rt_labels; /* the runtime's own, before merging */
	size_t nrt;
	int seen;
};

struct extra {
	char *id;
	struct bw_kv *kv;
	size_t n;
};

struct bw_containers {
	struct bw_containers_opts o;
	struct bw_runtime_root *roots;
	size_t nroots;
	char proc[PATH_MAX];
	char cg2[PATH_MAX];
	char docker[PATH_MAX];
	struct entry **ents;
	size_t n, cap;
	struct extra *extras;
	size_t nextras;
	int ifd;
	struct event *iev, *debounce, *tick;
	uint64_t last_rescan_ns;
	uint64_t miss[64]; /* cgroup ids a rescan did not explain (host cgroups) */
	/* state files that did not give a running container, by path hash and
	 * mtime: not parsed (nor warned about) again until they change */
	struct {
		uint64_t hash;
		struct timespec mtime;
	} bad[32];
	size_t nbad;
	size_t nmiss;
	size_t last_hit;
	/* cgroups below a container's own (nested), found through /proc */
	struct {
		uint64_t cgroup_id;
		struct entry *e;
	} alias[256];
	size_t nalias;
	uint64_t nested_miss[64];
	size_t nnested_miss;
};

/* ------------------------------------------------------------- helpers */

static void kv_free(struct bw_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

/* Adds or replaces key in (*kv, *n). 0 or -ENOMEM. */
static int kv_put(struct bw_kv **kv, size_t *n, const char *k, const char *v)
{
	char *val = strdup(v);

	if (!val)
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*kv)[i].key, k) == 0) {
			free((*kv)[i].value);
			(*kv)[i].value = val;
			return 0;
		}
	}
	struct bw_kv *nk = realloc(*kv, (*n + 1) * sizeof(**kv));
	char *key = strdup(k);

	if (!nk || !key) {
		if (nk)
			*kv = nk;
		free(val);
		free(key);
		return -ENOMEM;
	}
	*kv = nk;
	nk[*n].key = key;
	nk[*n].value = val;
	(*n)++;
	return 0;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct bw_kv *)a)->key, ((const struct bw_kv *)b)->key);
}

/* Parses "k=v,k=v"; an item without '=' or with an empty key is -EINVAL. */
static int kv_parse(const char *s, struct bw_kv **out, size_t *n)
{
	struct bw_kv *kv = NULL;
	size_t cnt = 0;
	char *dup, *save = NULL, *tok;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (!s || !*s)
		return 0;
	dup = strdup(s);
	if (!dup)
		return -ENOMEM;
	for (tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq || eq == tok) {
			rc = -EINVAL;
			break;
		}
		*eq = 0;
		rc = kv_put(&kv, &cnt, tok, eq + 1);
		if (rc)
			break;
	}
	free(dup);
	if (rc) {
		kv_free(kv, cnt);
		return rc;
	}
	*out = kv;
	*n = cnt;
	return 0;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	if (n == max) { /* too big to be what we expect */
		free(buf);
		return NULL;
	}
	buf[n] = 0;
	return buf;
}

int bw_cgroup2_detect(const char *mountinfo, char *buf, size_t len)
{
	FILE *f = fopen(mountinfo, "re");
	char line[4096];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	/* "36 25 0:31 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw" */
	while (fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char mnt[PATH_MAX];

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(buf, len, "%s", mnt) >= len)
			continue;
		rc = 0;
		break;
	}
	fclose(f);
	return rc;
}

uint64_t bw_cgroup_id_of_path(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return 0;
	return (uint64_t)st.st_ino;
}

int bw_cgroup_path_of_pid(const char *proc_root, const char *cgroup2_mnt, uint32_t pid, char *buf,
			  size_t len)
{
	char p[PATH_MAX], line[PATH_MAX];
	int rc = -ENOENT;
	FILE *f;

	if (snprintf(p, sizeof(p), "%s/%u/cgroup", proc_root, pid) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) != 0)
			continue;
		line[strcspn(line, "\n")] = 0;
		/* the root cgroup is "/": keep the mount point without a trailing slash */
		rc = (size_t)snprintf(buf, len, "%s%s", cgroup2_mnt, strcmp(line + 3, "/") ? line + 3 : "") <
				     len
			     ? 0
			     : -ENAMETOOLONG;
		break;
	}
	fclose(f);
	return rc;
}

uint64_t bw_cgroup_id_of_pid(const char *proc_root, const char *cgroup2_mnt, uint32_t pid)
{
	char p[PATH_MAX];

	if (bw_cgroup_path_of_pid(proc_root, cgroup2_mnt, pid, p, sizeof(p)))
		return 0;
	return bw_cgroup_id_of_path(p);
}

/* Field 22 of /proc/<pid>/stat (start time in clock ticks), 0 when gone. */
static uint64_t pid_start_ticks(const char *proc, uint32_t pid)
{
	char p[PATH_MAX], buf[2048];
	int fd;
	ssize_t n;
	char *s;

	if (snprintf(p, sizeof(p), "%s/%u/stat", proc, pid) >= (int)sizeof(p))
		return 0;
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	s = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (!s)
		return 0;
	/* after ") " come fields 3..; start time is field 22 */
	s += 2;
	for (int field = 3; field < 22 && s; field++) {
		s = strchr(s, ' ');
		if (s)
			s++;
	}
	return s ? strtoull(s, NULL, 10) : 0;
}

static uint32_t ns_inode(const char *proc, uint32_t pid, const char *ns)
{
	char p[PATH_MAX];
	struct stat st;

	if (snprintf(p, sizeof(p), "%s/%u/ns/%s", proc, pid, ns) >= (int)sizeof(p))
		return 0;
	return stat(p, &st) == 0 ? (uint32_t)st.st_ino : 0;
}

/* ------------------------------------------------------------- entries */

static void container_clear(struct bw_container *c)
{
	free(c->id);
	free(c->name);
	free(c->image);
	free(c->runtime);
	free(c->bundle);
	free(c->pod_name);
	free(c->namespace_name);
	free(c->container_name);
	free(c->owner);
	free(c->apparmor_profile);
	kv_free(c->labels, c->nlabels);
	free(c->labels_str);
	memset(c, 0, sizeof(*c));
}

static void entry_free(struct entry *e)
{
	if (!e)
		return;
	container_clear(&e->c);
	free(e->state_path);
	free(e->cgpath);
	kv_free(e->rt_labels, e->nrt);
	free(e);
}

static struct extra *extra_find(struct bw_containers *c, const char *id)
{
	for (size_t i = 0; i < c->nextras; i++)
		if (strcmp(c->extras[i].id, id) == 0)
			return &c->extras[i];
	return NULL;
}

/* Effective labels = runtime labels, then the controller's over them. */
static int merge_labels(struct bw_containers *c, struct entry *e)
{
	struct bw_kv *kv = NULL;
	size_t n = 0, len = 1;
	struct extra *x = extra_find(c, e->c.id);
	char *s;
	int rc = 0;

	for (size_t i = 0; i < e->nrt && !rc; i++)
		rc = kv_put(&kv, &n, e->rt_labels[i].key, e->rt_labels[i].value);
	for (size_t i = 0; x && i < x->n && !rc; i++)
		rc = kv_put(&kv, &n, x->kv[i].key, x->kv[i].value);
	if (rc) {
		kv_free(kv, n);
		return rc;
	}
	if (n)
		qsort(kv, n, sizeof(*kv), kv_cmp);
	for (size_t i = 0; i < n; i++)
		len += strlen(kv[i].key) + strlen(kv[i].value) + 2;
	s = malloc(len);
	if (!s) {
		kv_free(kv, n);
		return -ENOMEM;
	}
	s[0] = 0;
	for (size_t i = 0, o = 0; i < n; i++)
		o += sprintf(s + o, "%s%s=%s", i ? "," : "", kv[i].key, kv[i].value);
	kv_free(e->c.labels, e->c.nlabels);
	free(e->c.labels_str);
	e->c.labels = kv;
	e->c.nlabels = n;
	e->c.labels_str = s;
	return 0;
}

/* Annotations that describe the runtime rather than the workload. */
static int reserved_label(const char *k)
{
	static const char *const pfx[] = { "io.kubernetes.", "io.containerd.", "org.opencontainers.",
					   "bulwark.io/",    "io.katacontainers.", "nerdctl/",
					   "com.docker." };

	if (strcmp(k, "bundle") == 0)
		return 1;
	for (size_t i = 0; i < sizeof(pfx) / sizeof(pfx[0]); i++)
		if (strncmp(k, pfx[i], strlen(pfx[i])) == 0)
			return 1;
	return 0;
}

static const char *kv_get(const struct bw_kv *kv, size_t n, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(kv[i].key, k) == 0)
			return kv[i].value;
	return NULL;
}

static const char *first_of(const struct bw_kv *kv, size_t n, const char *a, const char *b,
			    const char *c)
{
	const char *v = kv_get(kv, n, a);

	if (!v && b)
		v = kv_get(kv, n, b);
	if (!v && c)
		v = kv_get(kv, n, c);
	return v;
}

/* Docker keeps the name, image and labels outside the runtime state. */
static void docker_meta(struct bw_containers *c, const char *id, char **name, char **image,
			struct bw_kv **labels, size_t *nl)
{
	char p[PATH_MAX];
	char *txt;
	cJSON *j, *cfg, *it;

	if (snprintf(p, sizeof(p), "%s/containers/%s/config.v2.json", c->docker, id) >=
	    (int)sizeof(p))
		return;
	txt = slurp(p, STATE_MAX);
	if (!txt)
		return;
	j = cJSON_Parse(txt);
	free(txt);
	if (!j) {
		bw_warn("docker container config is not JSON | path=%s", p);
		return;
	}
	it = cJSON_GetObjectItemCaseSensitive(j, "Name");
	if (cJSON_IsString(it) && it->valuestring[0])
		*name = strdup(it->valuestring[0] == '/' ? it->valuestring + 1 : it->valuestring);
	cfg = cJSON_GetObjectItemCaseSensitive(j, "Config");
	it = cJSON_GetObjectItemCaseSensitive(cfg, "Image");
	if (cJSON_IsString(it))
		*image = strdup(it->valuestring);
	it = cJSON_GetObjectItemCaseSensitive(cfg, "Labels");
	cJSON *l;
	cJSON_ArrayForEach(l, it)
	{
		if (cJSON_IsString(l) && l->string && !reserved_label(l->string))
			kv_put(labels, nl, l->string, l->valuestring);
	}
	cJSON_Delete(j);
}

static char *dup_or(const char *v, const char *def)
{
	return strdup(v ? v : def);
}

/*
 * Builds an entry from a runtime state file.  Returns NULL (and says why at
 * debug level) for a container that is not running or a file that is not a
 * runc state.
 */
static struct entry *parse_state(struct bw_containers *c, const char *runtime, const char *ns,
				 const char *id, const char *path, const struct stat *st)
{
	struct bw_kv *ann = NULL;
	size_t nann = 0;
	char *txt = slurp(path, STATE_MAX);
	cJSON *j = NULL, *cfg, *it;
	struct entry *e = NULL;
	char *dname = NULL, *dimage = NULL;
	uint32_t pid;
	char cgpath[PATH_MAX];

	if (!txt)
		return NULL;
	j = cJSON_Parse(txt);
	free(txt);
	if (!j) {
		bw_warn("container state is not JSON | path=%s", path);
		return NULL;
	}
	it = cJSON_GetObjectItemCaseSensitive(j, "init_process_pid");
	if (!cJSON_IsNumber(it) || it->valuedouble <= 0 || it->valuedouble > UINT32_MAX) {
		bw_warn("container state has no init_process_pid | path=%s", path);
		goto cleanup;
	}
	pid = (uint32_t)it->valuedouble;
	e = calloc(1, sizeof(*e));
	if (!e)
		goto cleanup;
	it = cJSON_GetObjectItemCaseSensitive(j, "init_process_start");
	e->start_ticks = cJSON_IsNumber(it) ? (uint64_t)it->valuedouble : 0;
	/* a stopped container keeps its state until deleted; its pid may be reused */
	uint64_t now_ticks = pid_start_ticks(c->proc, pid);

	if (!now_ticks || (e->start_ticks && now_ticks != e->start_ticks)) {
		bw_debug("container not running | id=%s pid=%u", id, pid);
		entry_free(e);
		e = NULL;
		goto cleanup;
	}
	cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	/* runc keeps the OCI annotations as "k=v" labels (plus bundle=) */
	cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cfg, "labels"))
	{
		char *eq;

		if (!cJSON_IsString(l) || !(eq = strchr(l->valuestring, '=')) || eq == l->valuestring)
			continue;
		*eq = 0;
		kv_put(&ann, &nann, l->valuestring, eq + 1);
		*eq = '=';
	}
	for (size_t i = 0; i < nann; i++)
		if (!reserved_label(ann[i].key))
			kv_put(&e->rt_labels, &e->nrt, ann[i].key, ann[i].value);
	if (strcmp(runtime, "docker") == 0 || (ns && strcmp(ns, "moby") == 0)) {
		runtime = "docker";
		docker_meta(c, id, &dname, &dimage, &e->rt_labels, &e->nrt);
	}

	e->c.id = strdup(id);
	e->c.runtime = strdup(runtime);
	e->c.bundle = dup_or(kv_get(ann, nann, "bundle"), "");
	e->c.pod_name = dup_or(first_of(ann, nann, "io.kubernetes.pod.name",
					"io.kubernetes.cri.sandbox-name", NULL), "");
	e->c.namespace_name = dup_or(first_of(ann, nann, "io.kubernetes.pod.namespace",
					      "io.kubernetes.cri.sandbox-namespace", NULL),
				     "container_namespace");
	e->c.container_name = dup_or(first_of(ann, nann, "io.kubernetes.container.name",
					      "io.kubernetes.cri.container-name", NULL), "");
	const char *nm = dname ? dname : first_of(ann, nann, "bulwark.io/name",
						 "io.kubernetes.container.name",
						 "io.kubernetes.cri.container-name");
	e->c.name = dup_or(nm, id);
	e->c.image = dup_or(dimage ? dimage : first_of(ann, nann, "bulwark.io/image",
						       "io.kubernetes.cri.image-name", NULL), "");
	e->c.owner = dup_or(kv_get(ann, nann, "bulwark.io/owner"), "");
	it = cJSON_GetObjectItemCaseSensitive(cfg, "apparmor_profile");
	e->c.apparmor_profile = dup_or(cJSON_IsString(it) ? it->valuestring : NULL, "");
	e->state_path = strdup(path);
	e->mtime = st->st_mtim;
	e->c.pid = pid;
	e->c.pid_ns = ns_inode(c->proc, pid, "pid");
	e->c.mnt_ns = ns_inode(c->proc, pid, "mnt");

	/* the v2 cgroup: runc records it under "" in cgroup_paths; else ask /proc */
	it = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "cgroup_paths"), "");
	cgpath[0] = 0;
	if (cJSON_IsString(it) && snprintf(cgpath, sizeof(cgpath), "%s", it->valuestring) < PATH_MAX)
		e->c.cgroup_id = bw_cgroup_id_of_path(cgpath);
	if (!e->c.cgroup_id && c->cg2[0] &&
	    bw_cgroup_path_of_pid(c->proc, c->cg2, pid, cgpath, sizeof(cgpath)) == 0)
		e->c.cgroup_id = bw_cgroup_id_of_path(cgpath);
	if (!e->c.cgroup_id)
		cgpath[0] = 0;
	e->cgpath = strdup(cgpath);
	if (!e->c.id || !e->c.runtime || !e->c.bundle || !e->c.pod_name || !e->c.namespace_name ||
	    !e->c.container_name || !e->c.name || !e->c.image || !e->c.owner ||
	    !e->c.apparmor_profile || !e->state_path || !e->cgpath || merge_labels(c, e)) {
		entry_free(e);
		e = NULL;
		goto cleanup;
	}
	if (!e->c.cgroup_id)
		bw_warn("container has no cgroup v2 id: its events will count as host events | id=%s",
			id);
cleanup:
	kv_free(ann, nann);
	free(dname);
	free(dimage);
	cJSON_Delete(j);
	return e;
}

static struct entry *find_id(struct bw_containers *c, const char *id, size_t *idx)
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
				  IN_CREATE | IN_DELETE | IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE |
					  IN_ONLYDIR);
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
	struct entry *old, *e;
	size_t idx = 0;

	if (snprintf(path, sizeof(path), "%s/%s/state.json", dir, id) >= (int)sizeof(path))
		return 0;
	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	old = find_id(c, id, &idx);
	if (old && old->mtime.tv_sec == st.st_mtim.tv_sec && old->mtime.tv_nsec == st.st_mtim.tv_nsec &&
	    pid_start_ticks(c->proc, old->c.pid) == old->start_ticks) {
		old->seen = 1;
		return 0;
	}
	uint64_t h = path_hash(path);

	for (size_t i = 0; i < c->nbad && i < 32; i++)
		if (c->bad[i].hash == h && c->bad[i].mtime.tv_sec == st.st_mtim.tv_sec &&
		    c->bad[i].mtime.tv_nsec == st.st_mtim.tv_nsec)
			return 0; /* unchanged since it failed: not again on every rescan */
	e = parse_state(c, runtime, ns, id, path, &st);
	if (!e) {
		size_t slot = c->nbad++ % 32;

		c->bad[slot].hash = h;
		c->bad[slot].mtime = st.st_mtim;
		return 0; /* not running: if it was known, the sweep removes it */
	}
	e->seen = 1;
	if (old) {
		c->nalias = 0; /* they may point at old */
		entry_free(old);
		c->ents[idx] = e;
	} else {
		if (c->n == c->cap) {
			size_t ncap = c->cap ? c->cap * 2 : 16;
			struct entry **ne = realloc(c->ents, ncap * sizeof(*ne));

			if (!ne) {
				entry_free(e);
				return 0;
			}
			c->ents = ne;
			c->cap = ncap;
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

			if (de->d_name[0] == '.' ||
			    snprintf(sub, sizeof(sub), "%s/%s", rt->dir, de->d_name) >= (int)sizeof(sub))
				continue;
			changes += scan_dir(c, rt->runtime, de->d_name, sub);
		}
		closedir(d);
	}
	for (size_t i = 0; i < c->n;) {
		struct entry *e = c->ents[i];

		if (e->seen) {
			i++;
			continue;
		}
		bw_info("container stopped | id=%s name=%s", e->c.id, e->c.name);
		c->nalias = 0; /* they may point at e */
		c->ents[i] = c->ents[--c->n];
		if (c->o.on_change)
			c->o.on_change(c->o.arg, &e->c, 0);
		entry_free(e);
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

static void add_alias(struct bw_containers *c, uint64_t cgroup_id, struct entry *e)
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
			struct entry *e = c->ents[i];
			size_t l = strlen(e->cgpath);

			if (l && strncmp(path, e->cgpath, l) == 0 && path[l] == '/') {
				add_alias(c, cgroup_id, e);
				return &e->c;
			}
		}
	}
	/* ... and the containers' cgroup subtrees (small) tell after it exited */
	for (size_t i = 0; i < c->n; i++) {
		struct entry *e = c->ents[i];
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
	struct entry *e = find_id(c, id, NULL);

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
	struct extra *x;
	struct entry *e;
	int rc = kv_parse(kvtext, &kv, &n);

	if (rc)
		return rc;
	x = extra_find(c, id);
	if (!x) {
		struct extra *nx = realloc(c->extras, (c->nextras + 1) * sizeof(*nx));
		char *idc = strdup(id);

		if (!nx || !idc) {
			if (nx)
				c->extras = nx;
			free(idc);
			kv_free(kv, n);
			return -ENOMEM;
		}
		c->extras = nx;
		x = &nx[c->nextras++];
		x->id = idc;
		x->kv = NULL;
		x->n = 0;
	}
	kv_free(x->kv, x->n);
	x->kv = kv;
	x->n = n;
	e = find_id(c, id, NULL);
	if (!e)
		return -ENOENT;
	rc = merge_labels(c, e);
	if (!rc && c->o.on_change)
		c->o.on_change(c->o.arg, &e->c, 1);
	return rc;
}

int bw_container_to_proto(const struct bw_container *c, Bulwark__V1__Container *out)
{
	bulwark__v1__container__init(out);
	if (c->nlabels) {
		Bulwark__V1__KeyValue **arr = calloc(c->nlabels, sizeof(*arr));
		Bulwark__V1__KeyValue *kvs = calloc(c->nlabels, sizeof(*kvs));

		if (!arr || !kvs) {
			free(arr);
			free(kvs);
			return -ENOMEM;
		}
		for (size_t i = 0; i < c->nlabels; i++) {
			bulwark__v1__key_value__init(&kvs[i]);
			kvs[i].key = c->labels[i].key;
			kvs[i].value = c->labels[i].value;
			arr[i] = &kvs[i];
		}
		out->labels = arr;
		out->n_labels = c->nlabels;
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
	struct timeval tv = { 0, 20 * 1000 };

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
			bw_warn("no cgroup v2 mount found: containers cannot be told from the host");
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
		if (!roots[i].dir || !roots[i].runtime || roots[i].depth < 1 || roots[i].depth > 2) {
			rc = -EINVAL;
			snprintf(err, errlen, "container root %zu: needs runtime, dir and depth 1 or 2", i);
			goto cleanup;
		}
		c->roots[i] = roots[i];
	}
	c->nroots = nroots;
	if (c->o.base) {
		struct timeval tv = { c->o.rescan_ms / 1000, (c->o.rescan_ms % 1000) * 1000 };

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
		entry_free(c->ents[i]);
	free(c->ents);
	for (size_t i = 0; i < c->nextras; i++) {
		free(c->extras[i].id);
		kv_free(c->extras[i].kv, c->extras[i].n);
	}
	free(c->extras);
	free(c->roots);
	free(c);
}
