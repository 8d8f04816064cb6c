/* SPDX-License-Identifier: Apache-2.0 */
/* Internals shared by containers.c (table, lookups, loop) and
 * containers_state.c (runtime state parsing, cgroup helpers). */
#ifndef BW_CONTAINERS_INT_H
#define BW_CONTAINERS_INT_H

#include <limits.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include "containers.h"

#define STATE_MAX (4 << 20) /* a state.json bigger than this is not runc's */

struct bw_ctr_entry {
	struct bw_container c;
	char *state_path;
	char *cgpath; /* the container's cgroup v2 directory ("" unknown) */
	struct timespec mtime;
	uint64_t start_ticks;
	struct bw_kv *rt_labels; /* the runtime's own, before merging */
	size_t nrt;
	int seen;
};

struct bw_ctr_extra {
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
	struct bw_ctr_entry **ents;
	size_t n, cap;
	struct bw_ctr_extra *extras;
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
		struct bw_ctr_entry *e;
	} alias[256];
	size_t nalias;
	uint64_t nested_miss[64];
	size_t nnested_miss;
};

void bw_ctr_kv_free(struct bw_kv *kv, size_t n);
/* The controller labels kept for a container id, or NULL. */
struct bw_ctr_extra *bw_ctr_extra_find(struct bw_containers *c, const char *id);
/* "k=v,k=v" -> array; -EINVAL for an item without '=' or key. */
int bw_ctr_kv_parse(const char *s, struct bw_kv **out, size_t *n);
/* Recomputes e's effective labels (runtime + the controller's). */
int bw_ctr_merge_labels(struct bw_containers *c, struct bw_ctr_entry *e);
void bw_ctr_entry_free(struct bw_ctr_entry *e);
/* A running container from a state file, or NULL (not running, not runc's). */
struct bw_ctr_entry *bw_ctr_parse_state(struct bw_containers *c, const char *runtime,
					const char *ns, const char *id, const char *path,
					const struct stat *st);
/* Start time (clock ticks since boot) of a process, 0 when it is gone. */
uint64_t bw_ctr_pid_start_ticks(const char *proc, uint32_t pid);

#endif
