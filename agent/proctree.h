/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's process tree: host pid -> what runs there (binary, command
 * line, cwd, tty, uid, parent, pid namespace view), kept current from the
 * monitor's fork/exec/exit records and seeded from /proc at start-up.
 *
 * Every fork and exec gets a new exec id, so a pid that is reused later is
 * never confused with the process that had it before.
 */
#ifndef BW_PROCTREE_H
#define BW_PROCTREE_H

#include <stddef.h>
#include <stdint.h>

#include "../bpf/monitor.h"

struct bw_proc {
	uint32_t pid;	  /* host view (thread group id) */
	uint32_t ppid;	  /* host view */
	uint32_t ns_pid;  /* as the process's own pid namespace numbers it */
	uint32_t ns_ppid; /* 0 when the parent is outside that namespace */
	uint32_t uid;
	uint32_t pid_ns, mnt_ns;
	uint64_t cgroup_id;
	uint64_t exec_id;  /* unique per fork/exec for the agent's life */
	uint64_t start_ns; /* CLOCK_BOOTTIME of the fork/exec */
	uint64_t exit_ns;  /* 0 while running */
	char *path;	   /* as executed (absolute), as the process's root sees it; never NULL */
	char *exe;	   /* the binary with symlinks resolved; never NULL ("" unknown) */
	char *cmdline;	   /* "path arg1 arg2 ..." (KubeArmor's Source); never NULL */
	char *cwd;	   /* never NULL */
	char tty[32];	   /* "pts/0", "" without one */
	char comm[16];
};

struct bw_proctree;

/* Strings returned by lookups belong to the tree; valid until the next update/sweep. */
int bw_proctree_new(struct bw_proctree **out);
void bw_proctree_free(struct bw_proctree *t);

/*
 * Loads every process in proc_root (normally "/proc").  cgroup2_mnt, when
 * not NULL, is where cgroup v2 is mounted (to compute each process's cgroup
 * id).  Returns the number of processes loaded or negative errno.
 */
int bw_proctree_seed(struct bw_proctree *t, const char *proc_root, const char *cgroup2_mnt);

/* Applies a FORK, EXEC or EXIT record; other records are ignored. */
void bw_proctree_update(struct bw_proctree *t, const struct bw_mon_hdr *h, const char *data,
			size_t data_len);

/* The process with host pid, or NULL. */
const struct bw_proc *bw_proctree_get(const struct bw_proctree *t, uint32_t pid);

/*
 * Like bw_proctree_get, but a process the tree does not know (it started
 * before the monitor and seeding missed it) is loaded from proc_root first.
 */
const struct bw_proc *bw_proctree_lookup(struct bw_proctree *t, uint32_t pid, const char *proc_root,
					 const char *cgroup2_mnt);

/* Forgets processes that exited more than grace_ns before now (CLOCK_BOOTTIME). */
void bw_proctree_sweep(struct bw_proctree *t, uint64_t now_boot_ns, uint64_t grace_ns);

size_t bw_proctree_size(const struct bw_proctree *t);

/*
 * "path arg1 arg2" from an argv block (NUL separated, argv[0] replaced by
 * path); " <truncated>" is appended when the block was cut.  Caller frees.
 */
char *bw_proc_cmdline(const char *path, const char *argv, size_t argv_len, int truncated);

/* Marks a path the kernel could not resolve completely: "<truncated>" + p. Caller frees. */
char *bw_proc_path_str(const char *p, size_t len, int truncated);

#endif
