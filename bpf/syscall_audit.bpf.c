// SPDX-License-Identifier: GPL-2.0
/*
 * Bulwark's syscall monitor: matchSyscalls rules (and syscalls matchPaths)
 * as audit alerts.
 *
 * One raw sys_enter tracepoint (needs neither BPF-LSM nor tracefs, so it
 * works on every node).  Each syscall of the node costs one hash lookup
 * ({any cgroup, nr}); only syscalls some rule names go on: the task's
 * ruleset (its cgroup, an ancestor cgroup - a container's sub-cgroups keep
 * its rules - or, for tasks of the host mount namespace, the host's), then
 * the path rules (the path argument made absolute and normalised, hashed
 * per prefix like the BPF-LSM enforcer does: a fixed number of lookups per
 * level) and the rules on the syscall itself.  Layout: syscall_audit_abi.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "syscall_audit_abi.h"
#include "bw_enf_hash.h"
#include "monitor.h"
#include "bw_path.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD -100
#define UPATH_MAX 4096
#define MAX_DEPTH 128
#define SLOTS 256 /* > MAX_DEPTH, power of two */

struct sys_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(key_size, sizeof(struct bw_sys_key));
	__uint(value_size, sizeof(struct bw_sys_val));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct sys_inner);
} bw_sys_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_sys_config);
} bw_sys_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 19);
} bw_sys_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_SYS_ST__MAX);
	__type(key, __u32);
	__type(value, __u64);
} bw_sys_stats SEC(".maps");

/* Per-CPU working memory of one path (too big for the stack). */
struct sys_scratch {
	struct bw_path_buf base;   /* cwd or dirfd path (bw_path.h) */
	char up[UPATH_MAX];	   /* the path argument */
	char out[UPATH_MAX + 256]; /* normalised text, for the alert */
	__u64 hash[SLOTS];	   /* hash[i]: the first i components */
	__u32 outpos[SLOTS];	   /* out length at each level ('..' goes back) */
	__u64 h;		   /* running hash of the component being read */
	__u32 n, out_len, comp_len, dots, bad;
	__u32 base_off, base_len, up_len;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sys_scratch);
} bw_sys_scratch SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bw_sys_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct sys_scratch *scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&bw_sys_scratch, &zero);
}

/* ---- path normalisation ------------------------------------------------------- */

/* Ends the component being read: "." vanishes, ".." pops a level. */
static __always_inline void end_component(struct sys_scratch *s)
{
	if (s->comp_len == 0)
		return;
	if (s->dots == 1 || s->dots == 2) {
		if (s->dots == 2 && s->n > 0)
			s->n--;
		s->out_len = s->outpos[s->n & (SLOTS - 1)];
	} else if (s->n + 1 >= MAX_DEPTH) {
		s->bad = 1;
	} else {
		s->n++;
		s->hash[s->n & (SLOTS - 1)] = s->h;
		s->outpos[s->n & (SLOTS - 1)] = s->out_len;
	}
	s->comp_len = 0;
	s->dots = 0;
}

static __always_inline void feed(struct sys_scratch *s, char c)
{
	__u32 o;

	if (c == '/') {
		end_component(s);
		return;
	}
	o = s->out_len;
	if (s->comp_len == 0) {
		s->h = bw_fnv_byte(s->hash[s->n & (SLOTS - 1)], '/');
		if (o < UPATH_MAX)
			s->out[o & (UPATH_MAX - 1)] = '/';
		o++;
	}
	s->h = bw_fnv_byte(s->h, (unsigned char)c);
	if (o < UPATH_MAX)
		s->out[o & (UPATH_MAX - 1)] = c;
	s->out_len = o + 1;
	s->comp_len++;
	if (c == '.' && s->comp_len <= 2 && s->dots == s->comp_len - 1)
		s->dots = s->comp_len;
	else
		s->dots = 3; /* an ordinary name */
}

static long feed_base_cb(__u32 j, void *c)
{
	struct sys_scratch *s = scratch();

	if (!s || j >= s->base_len || s->bad)
		return 1;
	feed(s, s->base.b[(s->base_off + j) & (BW_MON_PATH_MAX - 1)]);
	return 0;
}

#define FEED_PER_CB 4 /* characters per callback: fewer calls, same bound */

static long feed_up_cb(__u32 j, void *c)
{
	struct sys_scratch *s = scratch();

	if (!s)
		return 1;
	for (__u32 k = 0; k < FEED_PER_CB; k++) {
		__u32 i = j * FEED_PER_CB + k;

		if (i >= s->up_len || s->bad)
			return 1;
		feed(s, s->up[i & (UPATH_MAX - 1)]);
	}
	return 0;
}

/* s->hash[0..n] of the path argument; 0, or -1 when it cannot be resolved. */
static __always_inline int resolve_arg(struct sys_scratch *s, struct task_struct *task,
				       const void *uptr, int dirfd)
{
	long len = bpf_probe_read_user_str(s->up, UPATH_MAX, uptr);

	if (len <= 1)
		return -1; /* unreadable or empty (AT_EMPTY_PATH: the fd itself) */
	s->up_len = (__u32)len - 1;
	s->n = 0;
	s->out_len = 0;
	s->comp_len = 0;
	s->dots = 0;
	s->bad = 0;
	s->hash[0] = BW_FNV_BASIS;
	s->outpos[0] = 0;
	if (s->up[0] != '/') {
		struct bw_path_res res = {};

		if (dirfd == AT_FDCWD) {
			bw_path_of_cwd(&s->base, task, &res);
		} else {
			struct file *f = bw_file_of_fd(task, dirfd);

			if (!f)
				return -1;
			bw_path_of_file(&s->base, task, f, &res);
		}
		if (!res.complete)
			return -1;
		s->base_off = res.off;
		s->base_len = res.len;
		bpf_loop(BW_MON_PATH_MAX, feed_base_cb, NULL, 0);
		end_component(s);
	}
	bpf_loop(UPATH_MAX / FEED_PER_CB, feed_up_cb, NULL, 0);
	end_component(s);
	return s->bad ? -1 : 0;
}

/* ---- rules ------------------------------------------------------------------ */

struct lookup_ctx {
	void *rules;
	__u64 cg, ino;
	__u32 nr, dev;
	struct bw_sys_val *found;
};

static __always_inline struct bw_sys_val *rule_for(struct lookup_ctx *lc, __u32 kind, __u64 hash)
{
	struct bw_sys_key k = {.cgroup_id = lc->cg, .nr = lc->nr, .kind = kind, .path_hash = hash};
	struct bw_sys_val *v = bpf_map_lookup_elem(lc->rules, &k);

	if (v || !lc->ino)
		return v;
	k.src_ino = lc->ino;
	k.src_dev = lc->dev;
	return bpf_map_lookup_elem(lc->rules, &k);
}

/* Recursive directory rules, deepest ancestor first. */
static long rec_cb(__u32 i, void *c)
{
	struct lookup_ctx *lc = c;
	struct sys_scratch *s = scratch();

	if (!s || i >= s->n)
		return 1;
	lc->found = rule_for(lc, BW_SYS_K_REC, s->hash[(s->n - 1 - i) & (SLOTS - 1)]);
	return lc->found ? 1 : 0;
}

static __always_inline int has_ruleset(void *rules, __u64 cg)
{
	struct bw_sys_key k = {.cgroup_id = cg, .kind = BW_SYS_K_RULESET};

	return bpf_map_lookup_elem(rules, &k) != NULL;
}

/* A raw tracepoint: no tracefs needed, arguments straight from the registers
 * (x86_64 syscall convention, like the numbers in syscall_audit_abi.h). */
SEC("raw_tp/sys_enter")
int BPF_PROG(bw_sys_enter, struct pt_regs *regs, long id)
{
	__u32 zero = 0;
	struct bw_sys_config *cfg = bpf_map_lookup_elem(&bw_sys_config, &zero);
	void *rules = bpf_map_lookup_elem(&bw_sys_rules, &zero);
	struct bw_sys_key any = {.cgroup_id = BW_SYS_ANY_CGROUP};
	struct lookup_ctx lc = {};
	struct task_struct *task;
	struct bw_sys_val *filter, *v = NULL;
	struct bw_sys_event *ev;
	struct sys_scratch *s = NULL;
	struct file *exe;
	__u64 pid_tgid;
	__u32 path_ev = 0;
	int level, pidx, didx;

	if (!cfg || !cfg->enabled || !rules || id < 0 || id >= BW_SYS_NR_MAX)
		return 0;
	any.nr = (__u32)id;
	filter = bpf_map_lookup_elem(rules, &any);
	if (!filter)
		return 0;
	task = (void *)bpf_get_current_task();
	lc.rules = rules;
	lc.nr = (__u32)id;
	lc.cg = bpf_get_current_cgroup_id();
	if (!has_ruleset(rules, lc.cg)) {
		__u64 found = 0;
		int ok = 0;

		level = BPF_CORE_READ(task, cgroups, dfl_cgrp, level);
		for (int i = 1; i <= BW_SYS_MAX_CGROUP_NESTING; i++) {
			if (level - i < 1)
				break;
			found = bpf_get_current_ancestor_cgroup_id(level - i);
			if (has_ruleset(rules, found)) {
				ok = 1;
				break;
			}
		}
		if (!ok) {
			/* Host rules are for host tasks, not for containers
			 * that simply have no syscall rules. */
			if (BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) != cfg->host_mntns ||
			    !has_ruleset(rules, 0))
				return 0;
			found = 0;
		}
		lc.cg = found;
	}
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe) {
		lc.ino = BPF_CORE_READ(exe, f_inode, i_ino);
		lc.dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
	}
	if ((filter->flags & BW_SYS_F_PATHS) && bw_sys_path_arg(lc.nr, &pidx, &didx)) {
		__u64 args[8] = {BPF_CORE_READ(regs, di), BPF_CORE_READ(regs, si),
				 BPF_CORE_READ(regs, dx), BPF_CORE_READ(regs, r10),
				 BPF_CORE_READ(regs, r8), BPF_CORE_READ(regs, r9)};

		s = scratch();
		if (s && pidx >= 0 && pidx < 6 &&
		    resolve_arg(s, task, (const void *)args[pidx & 7],
				didx >= 0 && didx < 6 ? (int)args[didx & 7] : AT_FDCWD) == 0) {
			__u32 n = s->n;

			v = rule_for(&lc, BW_SYS_K_PATH, s->hash[n & (SLOTS - 1)]);
			if (!v && n >= 1)
				v = rule_for(&lc, BW_SYS_K_DIR, s->hash[(n - 1) & (SLOTS - 1)]);
			if (!v) {
				bpf_loop(MAX_DEPTH, rec_cb, &lc, 0);
				v = lc.found;
			}
			path_ev = v != NULL;
		}
	}
	if (!v)
		v = rule_for(&lc, BW_SYS_K_CALL, 0);
	if (!v)
		return 0;
	stat_inc(BW_SYS_ST_ALERTS);
	ev = bpf_ringbuf_reserve(&bw_sys_events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(BW_SYS_ST_LOST);
		return 0;
	}
	pid_tgid = bpf_get_current_pid_tgid();
	ev->ts_boot_ns = bpf_ktime_get_boot_ns();
	ev->cgroup_id = lc.cg ? lc.cg : bpf_get_current_cgroup_id();
	ev->version = v->version;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->nr = lc.nr;
	ev->rule_id = v->rule_id;
	ev->action = v->action;
	ev->flags = lc.cg == 0 ? BW_SYS_EV_HOST : 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->path_len = 0;
	ev->path[0] = 0;
	if (path_ev && s) {
		__u32 len = s->out_len;

		ev->flags |= BW_SYS_EV_PATH;
		if (len == 0) {
			ev->path[0] = '/';
			len = 1;
		} else {
			if (len >= BW_SYS_PATH_MAX) {
				len = BW_SYS_PATH_MAX - 1;
				ev->flags |= BW_SYS_EV_TRUNCATED;
			}
			bpf_probe_read_kernel(ev->path, len & (BW_SYS_PATH_MAX - 1), s->out);
		}
		ev->path[len & (BW_SYS_PATH_MAX - 1)] = 0;
		ev->path_len = len;
	}
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
