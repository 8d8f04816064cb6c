/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container discovery from the runtimes' own state: runc (/run/runc/<id>),
 * containerd's runc shim (/run/containerd/runc/<namespace>/<id>) and docker
 * (/run/docker/runtime-runc/moby/<id>, names from /var/lib/docker).  Every
 * container is keyed by its cgroup v2 id, which BPF programs read with
 * bpf_get_current_cgroup_id(); a cgroup id no container has is the host.
 *
 * Start and stop are noticed through inotify on the state directories (on
 * the daemon's loop) plus a periodic rescan, and on demand when an event
 * names a cgroup the table does not know yet.
 */
#ifndef BW_CONTAINERS_H
#define BW_CONTAINERS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <event2/event.h>

#include "bulwark.pb-c.h"

struct bw_kv {
	char *key;
	char *value;
};

struct bw_container {
	char *id;
	char *name;           /* docker name, k8s container name, bulwark.io/name, else the id */
	char *image;
	char *runtime;        /* "runc", "containerd", "docker" */
	char *bundle;
	char *pod_name;       /* "" outside Kubernetes */
	char *namespace_name; /* k8s namespace, else "container_namespace" (as KubeArmor) */
	char *container_name; /* k8s container name inside the pod, "" otherwise */
	char *owner;
	char *apparmor_profile;
	struct bw_kv *labels; /* effective: runtime labels with the controller's merged over them */
	size_t nlabels;
	/* The runtime's own labels, what the agent reports to the controller:
	 * reporting the merged ones would keep a label the controller dropped. */
	const struct bw_kv *rt_labels;
	size_t nrt_labels;
	char *labels_str;     /* "k=v,k=v" sorted by key (KubeArmor's Labels) */
	uint64_t cgroup_id;
	uint32_t pid;         /* init process, host view */
	uint32_t pid_ns, mnt_ns;
};

/* added: 1 for a new or changed container, 0 when it stopped (c is gone after the call). */
typedef void (*bw_containers_change_fn)(void *arg, const struct bw_container *c, int added);

struct bw_runtime_root {
	const char *runtime; /* "runc", "containerd", "docker" */
	const char *dir;
	int depth;           /* 1: dir/<id>/state.json; 2: dir/<namespace>/<id>/state.json */
};

struct bw_containers_opts {
	struct event_base *base;              /* NULL: no inotify or timer; call bw_containers_rescan */
	const struct bw_runtime_root *roots;  /* NULL: the defaults above */
	size_t nroots;
	const char *proc_root;                /* NULL: "/proc" */
	const char *cgroup2_mnt;              /* NULL: detected from /proc/self/mountinfo */
	const char *docker_root;              /* NULL: "/var/lib/docker" */
	uint32_t rescan_ms;                   /* periodic rescan; 0: 5000 */
	bw_containers_change_fn on_change;    /* may be NULL */
	void *arg;
};

struct bw_containers;

/* *out only on success.  Runs the first scan before returning. */
int bw_containers_new(struct bw_containers **out, const struct bw_containers_opts *opts, char *err,
		      size_t errlen);
void bw_containers_free(struct bw_containers *c);

/* Reads the runtime state now; returns the number of changes or negative errno. */
int bw_containers_rescan(struct bw_containers *c);

/*
 * The container with this cgroup v2 id (or a nested cgroup already seen by
 * bw_containers_by_task), or NULL (the host).  An id not seen before
 * triggers one rescan (at most every 50 ms), so a container's first event is
 * attributed even when inotify has not been handled yet.
 * Returned pointers stay valid until control returns to the loop or the
 * next rescan.
 */
const struct bw_container *bw_containers_by_cgroup(struct bw_containers *c, uint64_t cgroup_id);
/*
 * Like bw_containers_by_cgroup, and when that finds nothing, a cgroup nested
 * below a container's own (systemd or docker inside a container) is found
 * from host_pid's /proc/<pid>/cgroup and remembered.  Use this for events.
 */
const struct bw_container *bw_containers_by_task(struct bw_containers *c, uint64_t cgroup_id,
						 uint32_t host_pid);
const struct bw_container *bw_containers_by_id(struct bw_containers *c, const char *id);
size_t bw_containers_count(const struct bw_containers *c);
const struct bw_container *bw_containers_at(const struct bw_containers *c, size_t i);

/*
 * Labels the controller knows (pod labels), "k=v,k=v" (NULL or "" clears);
 * merged over the runtime's and kept across rescans.  Returns 0, -ENOENT
 * (no such container: the labels are still kept for when it appears) or
 * -EINVAL (malformed text).  The same labels as before change nothing and
 * call no on_change.
 */
int bw_containers_set_labels(struct bw_containers *c, const char *id, const char *kv);
/*
 * Forgets the controller's labels of every container id keep() rejects
 * (one the controller no longer names), so they do not pile up as
 * containers come and go; a running container among them gets its runtime
 * labels back (and on_change).  Returns how many were forgotten, or -ENOMEM.
 */
int bw_containers_retain_labels(struct bw_containers *c, int (*keep)(void *arg, const char *id),
				void *arg);

/* The cgroup v2 mount point in use ("/sys/fs/cgroup" or "/sys/fs/cgroup/unified"). */
const char *bw_containers_cgroup2(const struct bw_containers *c);

/*
 * Fills out with pointers into c (valid as long as c is) and an allocated
 * labels array; release with bw_container_proto_release.  Returns 0 or -ENOMEM.
 */
int bw_container_to_proto(const struct bw_container *c, Bulwark__V1__Container *out);
void bw_container_proto_release(Bulwark__V1__Container *out);

/*
 * A full ContainerReport (full = true, every known container in added) for
 * the controller after (re)registering.  Strings point into c; release with
 * bw_containers_report_release before c changes.  0 or -ENOMEM.
 */
int bw_containers_report_full(const struct bw_containers *c, const char *node_name,
			      Bulwark__V1__ContainerReport *out);
void bw_containers_report_release(Bulwark__V1__ContainerReport *out);

/* --- cgroup v2 helpers (also used by the process tree) --- */

/* Finds the cgroup2 mount in mountinfo; writes it to buf.  0 or -ENOENT. */
int bw_cgroup2_detect(const char *mountinfo, char *buf, size_t len);
/* The id (inode number) of a cgroup directory, 0 on error. */
uint64_t bw_cgroup_id_of_path(const char *dir);
/* The cgroup v2 directory of a process (cgroup2_mnt + its "0::" path).  0 or negative errno. */
int bw_cgroup_path_of_pid(const char *proc_root, const char *cgroup2_mnt, uint32_t pid, char *buf,
			  size_t len);
/* The cgroup v2 id of a process from proc_root/<pid>/cgroup, 0 on error. */
uint64_t bw_cgroup_id_of_pid(const char *proc_root, const char *cgroup2_mnt, uint32_t pid);

#endif
