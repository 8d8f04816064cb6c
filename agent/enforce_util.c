/* SPDX-License-Identifier: Apache-2.0 */
/* File-system and BPF-map helpers shared by the enforcer backends (enforce_priv.h). */
#include "enforce_priv.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

int bw_mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *s = tmp + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(tmp, 0700) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(tmp, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int bw_on_bpffs(const char *dir)
{
	struct statfs st;

	return statfs(dir, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

int bw_percpu_sum(int map_fd, uint32_t n_keys, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	if (ncpu <= 0)
		return -EINVAL;
	vals = calloc((size_t)ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (uint32_t i = 0; i < n_keys; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(map_fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
	return 0;
}

int bw_unenforced_vadd(char ***list, size_t *n, const char *fmt, va_list ap)
{
	char **grown, *line;

	if (!list || !n)
		return 0;
	if (vasprintf(&line, fmt, ap) < 0)
		return -ENOMEM;
	grown = realloc(*list, (*n + 1) * sizeof(*grown));
	if (!grown) {
		free(line);
		return -ENOMEM;
	}
	grown[(*n)++] = line;
	*list = grown;
	return 0;
}

int bw_unenforced_add(char ***list, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bw_unenforced_vadd(list, n, fmt, ap);
	va_end(ap);
	return rc;
}

/* nftw has no callback argument: the search state is static, which is fine
 * for the agent's single thread (applies run on its event loop). */
static uint64_t cg_want;
static char cg_found[4096];

static int cg_find_cb(const char *path, const struct stat *st, int type, struct FTW *f)
{
	if (type == FTW_D && st->st_ino == cg_want) {
		snprintf(cg_found, sizeof(cg_found), "%s", path);
		return 1;
	}
	return 0;
}

int bw_cgroup_pid(uint64_t cgroup_id)
{
	static const char *const roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	char procs[sizeof(cg_found) + 32];
	struct statfs sfs;
	FILE *f;
	int pid = -ENOENT;

	cg_found[0] = 0;
	cg_want = cgroup_id;
	for (size_t i = 0; i < 2 && !cg_found[0]; i++) {
		if (statfs(roots[i], &sfs) || sfs.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		nftw(roots[i], cg_find_cb, 16, FTW_PHYS | FTW_MOUNT);
	}
	if (!cg_found[0])
		return -ENOENT;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_found);
	f = fopen(procs, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &pid) != 1)
		pid = -ENOENT;
	fclose(f);
	return pid;
}

uint64_t bw_host_mntns(void)
{
	struct stat st;

	if (stat("/proc/1/ns/mnt", &st) == 0 || stat("/proc/self/ns/mnt", &st) == 0)
		return st.st_ino;
	return 0;
}
