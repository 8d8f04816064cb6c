/* SPDX-License-Identifier: Apache-2.0 */
/* Container discovery: reading the runtimes' state, cgroup v2 helpers. */
#include "bw_file.h"
#include "containers_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bw_log.h"

/* ------------------------------------------------------------- helpers */

void bw_ctr_kv_free(struct bw_kv *kv, size_t n)
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
int bw_ctr_kv_parse(const char *s, struct bw_kv **out, size_t *n)
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
		bw_ctr_kv_free(kv, cnt);
		return rc;
	}
	*out = kv;
	*n = cnt;
	return 0;
}

/* A runtime's state file; NULL when unreadable or too big to be one. */
static char *slurp(const char *path)
{
	size_t len;

	return bw_read_file(path, STATE_MAX - 1, &len);
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
		rc = (size_t)snprintf(buf, len, "%s%s", cgroup2_mnt,
				      strcmp(line + 3, "/") ? line + 3 : "") < len
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
uint64_t bw_ctr_pid_start_ticks(const char *proc, uint32_t pid)
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
	bw_ctr_kv_free(c->labels, c->nlabels);
	free(c->labels_str);
	memset(c, 0, sizeof(*c));
}

void bw_ctr_entry_free(struct bw_ctr_entry *e)
{
	if (!e)
		return;
	container_clear(&e->c);
	free(e->state_path);
	free(e->cgpath);
	bw_ctr_kv_free(e->rt_labels, e->nrt);
	free(e);
}

struct bw_ctr_extra *bw_ctr_extra_find(struct bw_containers *c, const char *id)
{
	for (size_t i = 0; i < c->nextras; i++)
		if (strcmp(c->extras[i].id, id) == 0)
			return &c->extras[i];
	return NULL;
}

/* Effective labels = runtime labels, then the controller's over them. */
int bw_ctr_merge_labels(struct bw_containers *c, struct bw_ctr_entry *e)
{
	struct bw_kv *kv = NULL;
	size_t n = 0, len = 1;
	struct bw_ctr_extra *x = bw_ctr_extra_find(c, e->c.id);
	char *s;
	int rc = 0;

	for (size_t i = 0; i < e->nrt && !rc; i++)
		rc = kv_put(&kv, &n, e->rt_labels[i].key, e->rt_labels[i].value);
	for (size_t i = 0; x && i < x->n && !rc; i++)
		rc = kv_put(&kv, &n, x->kv[i].key, x->kv[i].value);
	if (rc) {
		bw_ctr_kv_free(kv, n);
		return rc;
	}
	if (n)
		qsort(kv, n, sizeof(*kv), kv_cmp);
	for (size_t i = 0; i < n; i++)
		len += strlen(kv[i].key) + strlen(kv[i].value) + 2;
	s = malloc(len);
	if (!s) {
		bw_ctr_kv_free(kv, n);
		return -ENOMEM;
	}
	s[0] = 0;
	for (size_t i = 0, o = 0; i < n; i++)
		o += sprintf(s + o, "%s%s=%s", i ? "," : "", kv[i].key, kv[i].value);
	bw_ctr_kv_free(e->c.labels, e->c.nlabels);
	free(e->c.labels_str);
	e->c.labels = kv;
	e->c.nlabels = n;
	e->c.labels_str = s;
	e->c.rt_labels = e->rt_labels;
	e->c.nrt_labels = e->nrt;
	return 0;
}

/* Annotations that describe the runtime rather than the workload. */
static int reserved_label(const char *k)
{
	static const char *const pfx[] = {
	    "io.kubernetes.",	  "io.containerd.", "org.opencontainers.", "bulwark.io/",
	    "io.katacontainers.", "nerdctl/",	    "com.docker."};

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
	txt = slurp(p);
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
struct bw_ctr_entry *bw_ctr_parse_state(struct bw_containers *c, const char *runtime,
					const char *ns, const char *id, const char *path,
					const struct stat *st)
{
	struct bw_kv *ann = NULL;
	size_t nann = 0;
	char *txt = slurp(path);
	cJSON *j = NULL, *cfg, *it;
	struct bw_ctr_entry *e = NULL;
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
	uint64_t now_ticks = bw_ctr_pid_start_ticks(c->proc, pid);

	if (!now_ticks || (e->start_ticks && now_ticks != e->start_ticks)) {
		bw_debug("container not running | id=%s pid=%u", id, pid);
		bw_ctr_entry_free(e);
		e = NULL;
		goto cleanup;
	}
	cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
	/* runc keeps the OCI annotations as "k=v" labels (plus bundle=) */
	cJSON *l;
	cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(cfg, "labels"))
	{
		char *eq;

		if (!cJSON_IsString(l) || !(eq = strchr(l->valuestring, '=')) ||
		    eq == l->valuestring)
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
	e->c.pod_name = dup_or(
	    first_of(ann, nann, "io.kubernetes.pod.name", "io.kubernetes.cri.sandbox-name", NULL),
	    "");
	e->c.namespace_name = dup_or(first_of(ann, nann, "io.kubernetes.pod.namespace",
					      "io.kubernetes.cri.sandbox-namespace", NULL),
				     "container_namespace");
	e->c.container_name = dup_or(first_of(ann, nann, "io.kubernetes.container.name",
					      "io.kubernetes.cri.container-name", NULL),
				     "");
	const char *nm =
	    dname ? dname
		  : first_of(ann, nann, "bulwark.io/name", "io.kubernetes.container.name",
			     "io.kubernetes.cri.container-name");
	e->c.name = dup_or(nm, id);
	e->c.image = dup_or(
	    dimage ? dimage
		   : first_of(ann, nann, "bulwark.io/image", "io.kubernetes.cri.image-name", NULL),
	    "");
	e->c.owner = dup_or(kv_get(ann, nann, "bulwark.io/owner"), "");
	it = cJSON_GetObjectItemCaseSensitive(cfg, "apparmor_profile");
	e->c.apparmor_profile = dup_or(cJSON_IsString(it) ? it->valuestring : NULL, "");
	e->state_path = strdup(path);
	e->mtime = st->st_mtim;
	e->c.pid = pid;
	e->c.pid_ns = ns_inode(c->proc, pid, "pid");
	e->c.mnt_ns = ns_inode(c->proc, pid, "mnt");

	/* the v2 cgroup: runc records it under "" in cgroup_paths; else ask /proc */
	it = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "cgroup_paths"),
					      "");
	cgpath[0] = 0;
	if (cJSON_IsString(it) &&
	    snprintf(cgpath, sizeof(cgpath), "%s", it->valuestring) < PATH_MAX)
		e->c.cgroup_id = bw_cgroup_id_of_path(cgpath);
	if (!e->c.cgroup_id && c->cg2[0] &&
	    bw_cgroup_path_of_pid(c->proc, c->cg2, pid, cgpath, sizeof(cgpath)) == 0)
		e->c.cgroup_id = bw_cgroup_id_of_path(cgpath);
	if (!e->c.cgroup_id)
		cgpath[0] = 0;
	e->cgpath = strdup(cgpath);
	if (!e->c.id || !e->c.runtime || !e->c.bundle || !e->c.pod_name || !e->c.namespace_name ||
	    !e->c.container_name || !e->c.name || !e->c.image || !e->c.owner ||
	    !e->c.apparmor_profile || !e->state_path || !e->cgpath || bw_ctr_merge_labels(c, e)) {
		bw_ctr_entry_free(e);
		e = NULL;
		goto cleanup;
	}
	if (!e->c.cgroup_id)
		bw_warn(
		    "container has no cgroup v2 id: its events will count as host events | id=%s",
		    id);
cleanup:
	bw_ctr_kv_free(ann, nann);
	free(dname);
	free(dimage);
	cJSON_Delete(j);
	return e;
}
