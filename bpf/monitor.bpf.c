// SPDX-License-Identifier: GPL-2.0
/*
 * System monitor: process lifecycle, file opens and unlinks, failed execs,
 * identity changes and capability checks, as records (monitor.h) in one ring
 * buffer (network: monitor_net.bpf.c).  Only tracepoints and raw
 * tracepoints: they work where trampolines (fentry, BPF-LSM) are refused.
 *
 * Cost: attaching any syscall tracepoint (tracepoint/syscalls/...) makes the
 * kernel send every syscall of every task on the node through the slow path,
 * whatever the program does.  So only the groups that need one attach one:
 * file (open, unlink) and the opt-in failed-exec and setuid/setgid groups.
 *
 * Syscalls are seen twice: sys_enter remembers the arguments per thread,
 * sys_exit emits the record with the return value, so Result can say what
 * the kernel decided.  Paths are resolved in the kernel at exit (from the new
 * fd when the open succeeded) and flagged when incomplete.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "monitor.h"
#include "bw_path.h"
#include "bw_task.h"
#include "bw_mon_out.h"

char LICENSE[] SEC("license") = "GPL";

#define AT_FDCWD_ -100
#define PF_KTHREAD_ 0x00200000
#define DATA_MASK (BW_MON_DATA_MAX / 2 - 1)

struct bw_mon_rec {
	struct bw_mon_hdr h;
	char data[BW_MON_DATA_MAX];
};

struct bw_pending {
	__u32 sys;
	__u32 type;
	__s64 arg[4];
	__u64 path; /* user pointer, read at exit */
};

/* One record under construction per CPU.  A plain array indexed by CPU
 * because a per-CPU map value may not exceed 32 KiB; the loader sizes it to
 * the number of possible CPUs. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_mon_rec);
} bw_mon_heap SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_path_buf);
} bw_mon_pathbuf SEC(".maps");

/* Arguments of syscalls in flight, per thread.  LRU: a thread killed inside
 * a syscall never reaches sys_exit and must not leak its entry. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct bw_pending);
} bw_mon_pending SEC(".maps");

/* (tgid << 32 | cap): capability checks already reported for a process, so a
 * process that checks CAP_SYS_ADMIN a million times is one record. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, __u8);
} bw_mon_capseen SEC(".maps");

static __always_inline struct bw_mon_rec *bw_rec_begin(struct task_struct *t, __u32 type, __u32 sys)
{
	__u32 cpu = bpf_get_smp_processor_id();
	struct bw_mon_rec *r = bpf_map_lookup_elem(&bw_mon_heap, &cpu);

	if (!r)
		return NULL;
	__builtin_memset(&r->h, 0, sizeof(r->h));
	r->h.ts_boot_ns = bpf_ktime_get_boot_ns();
	r->h.cgroup_id = bpf_get_current_cgroup_id();
	r->h.type = type;
	r->h.sys = sys;
	bw_task_ident(&r->h, t, type != BW_MON_FORK);
	return r;
}

/*
 * Appends len bytes of kernel (user == 0) or user memory (argv) as
 * string idx; *off is the data used.  user is a constant at every call, so
 * the branch folds away.
 */
static __always_inline void bw_put_mem(struct bw_mon_rec *r, __u32 *off, int idx, const void *src,
				       __u32 len, int user)
{
	__u32 o = *off;
	long err;

	if (o > DATA_MASK || len > BW_MON_PATH_MAX) {
		r->h.flags |= BW_MON_STR_TRUNC(idx);
		return;
	}
	r->h.str_off[idx & (BW_MON_NSTR - 1)] = o;
	/* hide the ranges from the compiler so it keeps the masks, which
	 * the verifier needs even where they are redundant */
	barrier_var(len);
	barrier_var(o);
	__u32 n = len & (BW_MON_PATH_MAX * 2 - 1);
	__u32 at = o & DATA_MASK;

	if (n) {
		err = user ? bpf_probe_read_user(&r->data[at], n, src)
			   : bpf_probe_read_kernel(&r->data[at], n, src);
		if (err) {
			r->h.flags |= BW_MON_STR_TRUNC(idx);
			len = 0;
		}
	}
	r->h.str_len[idx & (BW_MON_NSTR - 1)] = len;
	*off = o + len;
}

#define bw_put_kernel(r, off, idx, src, len) bw_put_mem(r, off, idx, src, len, 0)
#define bw_put_user(r, off, idx, src, len) bw_put_mem(r, off, idx, src, len, 1)

/* Appends a NUL-terminated user string of at most max-1 bytes. */
static __always_inline void bw_put_user_str(struct bw_mon_rec *r, __u32 *off, int idx,
					    const void *src, __u32 max)
{
	__u32 o = *off;
	long n;

	if (o > DATA_MASK) {
		r->h.flags |= BW_MON_STR_TRUNC(idx);
		return;
	}
	r->h.str_off[idx & (BW_MON_NSTR - 1)] = o;
	n = bpf_probe_read_user_str(&r->data[o & DATA_MASK], max & (BW_MON_PATH_MAX * 2 - 1), src);
	if (n <= 0) {
		r->h.flags |= BW_MON_STR_TRUNC(idx);
		n = 1;
	} else if (n >= max) {
		/* the helper cut it at max-1 bytes: we cannot know it was not longer */
		r->h.flags |= BW_MON_STR_TRUNC(idx);
	}
	r->h.str_len[idx & (BW_MON_NSTR - 1)] = n - 1;
	*off = o + n - 1;
}

static __always_inline void bw_put_path(struct bw_mon_rec *r, __u32 *off, int idx,
					struct bw_path_buf *pb, struct bw_path_res *res)
{
	if (!res->complete)
		r->h.flags |= BW_MON_STR_TRUNC(idx);
	bw_put_kernel(r, off, idx, &pb->b[res->off & (BW_MON_PATH_MAX - 1)], res->len);
}

static __always_inline struct bw_path_buf *bw_pathbuf(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&bw_mon_pathbuf, &zero);
}

static __always_inline int bw_rec_send(struct bw_mon_rec *r, __u32 off)
{
	__u64 size = sizeof(r->h) + (__u64)off;

	if (size > sizeof(*r))
		size = sizeof(*r);
	return bw_out(r, size);
}

/* ---------------------------------------------------------------- process */

SEC("raw_tracepoint/sched_process_fork")
int bw_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *parent = (struct task_struct *)ctx->args[0];
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	struct bw_mon_rec *r;

	/* threads share the process's identity: only new processes matter */
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0;
	r = bw_rec_begin(child, BW_MON_FORK, BW_SYS_NONE);
	if (!r)
		return 0;
	/* ppid comes from the child's real_parent, which CLONE_PARENT makes
	 * the caller's parent: that is the process tree the kernel keeps */
	(void)parent;
	bw_rec_send(r, 0);
	return 0;
}

SEC("raw_tracepoint/sched_process_exec")
int bw_exec(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = (struct task_struct *)ctx->args[0];
	struct linux_binprm *bprm = (struct linux_binprm *)ctx->args[2];
	struct bw_path_buf *pb = bw_pathbuf();
	struct bw_path_res res;
	struct bw_mon_rec *r;
	__u32 off = 0;

	if (!pb)
		return 0;
	r = bw_rec_begin(t, BW_MON_EXEC, BW_SYS_EXECVE);
	if (!r)
		return 0;
	/* 0: the name it was executed as (what KubeArmor shows as ProcessName);
	 * the kernel's own copy, so it cannot change under us */
	const char *fname = BPF_CORE_READ(bprm, filename);

	if (off <= DATA_MASK) {
		long n = bpf_probe_read_kernel_str(&r->data[0], BW_MON_PATH_MAX, fname);

		r->h.str_off[0] = 0;
		if (n > 0) {
			r->h.str_len[0] = n - 1;
			off = n - 1;
			if (n >= BW_MON_PATH_MAX)
				r->h.flags |= BW_MON_STR_TRUNC(0);
		} else {
			r->h.flags |= BW_MON_STR_TRUNC(0);
		}
	}

	/* 1: argv, NUL separated, from the new image's stack */
	unsigned long as = BPF_CORE_READ(t, mm, arg_start);
	unsigned long ae = BPF_CORE_READ(t, mm, arg_end);
	__u32 alen = ae > as ? ae - as : 0;

	if (alen > BW_MON_ARGS_MAX) {
		alen = BW_MON_ARGS_MAX;
		r->h.flags |= BW_MON_STR_TRUNC(1);
	}
	bw_put_user(r, &off, 1, (const void *)as, alen);

	/* 2: working directory */
	bw_path_of_cwd(pb, t, &res);
	bw_put_path(r, &off, 2, pb, &res);

	/* 3: controlling terminal name, "" without one */
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);

	if (tty && off <= DATA_MASK) {
		/* tty names are short ("pts/3"); the helper stops at the NUL */
		long n = bpf_probe_read_kernel_str(&r->data[off & DATA_MASK], 32, &tty->name);

		r->h.str_off[3] = off;
		if (n > 1) {
			r->h.str_len[3] = n - 1;
			off += n - 1;
		}
	}
	/* 4: the binary that runs now, symlinks resolved, as the task's root sees it */
	bw_path_of_file(pb, t, BPF_CORE_READ(bprm, file), &res);
	bw_put_path(r, &off, 4, pb, &res);
	bw_rec_send(r, off);
	return 0;
}

SEC("raw_tracepoint/sched_process_exit")
int bw_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *t = (struct task_struct *)ctx->args[0];
	struct bw_mon_rec *r;

	/* the process ends with its last thread, whichever that is */
	if (BPF_CORE_READ(t, signal, live.counter) != 0)
		return 0;
	r = bw_rec_begin(t, BW_MON_EXIT, BW_SYS_NONE);
	if (!r)
		return 0;
	r->h.ret = BPF_CORE_READ(t, exit_code);
	bw_rec_send(r, 0);
	return 0;
}

/* ---------------------------------------------------------------- syscalls */

static __always_inline int bw_enter(__u32 type, __u32 sys, __s64 a0, __s64 a1, __s64 a2, __u64 path)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bw_pending p = {};

	if (bw_ignored(id >> 32))
		return 0;
	p.type = type;
	p.sys = sys;
	p.arg[0] = a0;
	p.arg[1] = a1;
	p.arg[2] = a2;
	p.path = path;
	if (bpf_map_update_elem(&bw_mon_pending, &id, &p, BPF_ANY))
		bw_lost(BW_LOST_PENDING);
	return 0;
}

/*
 * Takes the pending arguments of the current thread's syscall (and forgets
 * them).  The entry must be for this syscall: one left behind by a syscall
 * whose exit program was detached meanwhile must not be taken for another.
 */
static __always_inline int bw_take(struct bw_pending *out, __u32 sys)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct bw_pending *p = bpf_map_lookup_elem(&bw_mon_pending, &id);

	if (!p)
		return -1;
	*out = *p;
	bpf_map_delete_elem(&bw_mon_pending, &id);
	return out->sys == sys ? 0 : -1;
}

/* Forgets the pending arguments without a record. */
static __always_inline int bw_drop(__u32 sys)
{
	struct bw_pending p;

	bw_take(&p, sys);
	return 0;
}

/* str0 = path as given; str1 = the directory it is relative to, resolved. */
static __always_inline void bw_put_given_path(struct bw_mon_rec *r, __u32 *off,
					      struct task_struct *t, struct bw_pending *p)
{
	struct bw_path_buf *pb = bw_pathbuf();
	struct bw_path_res res;
	char first = 0;

	r->h.flags |= BW_MON_F_UNRESOLVED;
	bw_put_user_str(r, off, 0, (const void *)p->path, BW_MON_PATH_MAX);
	bpf_probe_read_user(&first, 1, (const void *)p->path);
	if (first == '/' || !pb)
		return;
	if (p->arg[0] == AT_FDCWD_) {
		bw_path_of_cwd(pb, t, &res);
	} else {
		struct file *f = bw_file_of_fd(t, (int)p->arg[0]);

		if (!f) {
			r->h.flags |= BW_MON_STR_TRUNC(1);
			return;
		}
		bw_path_of_file(pb, t, f, &res);
	}
	bw_put_path(r, off, 1, pb, &res);
}

static __always_inline int bw_exit_path(long ret, __u32 sys)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct bw_pending p;
	struct bw_mon_rec *r;
	__u32 off = 0;

	if (bw_take(&p, sys))
		return 0;
	r = bw_rec_begin(t, p.type, p.sys);
	if (!r)
		return 0;
	r->h.ret = ret;
	r->h.arg[0] = p.arg[0];
	r->h.arg[1] = p.arg[1];
	r->h.arg[2] = p.arg[2];
	struct file *f = p.type == BW_MON_OPEN && ret >= 0 ? bw_file_of_fd(t, (int)ret) : NULL;
	struct bw_path_buf *pb = bw_pathbuf();

	if (f && pb) {
		struct bw_path_res res;

		bw_path_of_file(pb, t, f, &res);
		bw_put_path(r, &off, 0, pb, &res);
	} else {
		bw_put_given_path(r, &off, t, &p);
	}
	bw_rec_send(r, off);
	return 0;
}

/* setuid, setgid: numbers only */
static __always_inline int bw_exit_plain(long ret, __u32 sys)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	struct bw_pending p;
	struct bw_mon_rec *r;

	if (bw_take(&p, sys))
		return 0;
	r = bw_rec_begin(t, p.type, p.sys);
	if (!r)
		return 0;
	r->h.ret = ret;
	r->h.arg[0] = p.arg[0];
	r->h.arg[1] = p.arg[1];
	r->h.arg[2] = p.arg[2];
	bw_rec_send(r, 0);
	return 0;
}

#define ENTER(name)                                                                                \
	SEC("tracepoint/syscalls/sys_enter_" #name)                                                \
	int bw_enter_##name(struct trace_event_raw_sys_enter *ctx)
#define EXIT(name)                                                                                 \
	SEC("tracepoint/syscalls/sys_exit_" #name)                                                 \
	int bw_exit_##name(struct trace_event_raw_sys_exit *ctx)

/* open(path, flags, mode) */
ENTER(open)
{
	return bw_enter(BW_MON_OPEN, BW_SYS_OPEN, AT_FDCWD_, ctx->args[1], ctx->args[2],
			ctx->args[0]);
}
EXIT(open)
{
	return bw_exit_path(ctx->ret, BW_SYS_OPEN);
}

/* openat(dfd, path, flags, mode) */
ENTER(openat)
{
	return bw_enter(BW_MON_OPEN, BW_SYS_OPENAT, (int)ctx->args[0], ctx->args[2], ctx->args[3],
			ctx->args[1]);
}
EXIT(openat)
{
	return bw_exit_path(ctx->ret, BW_SYS_OPENAT);
}

/* openat2(dfd, path, struct open_how *how, size) */
ENTER(openat2)
{
	struct open_how how = {};

	bpf_probe_read_user(&how, sizeof(how), (const void *)ctx->args[2]);
	return bw_enter(BW_MON_OPEN, BW_SYS_OPENAT2, (int)ctx->args[0], how.flags, how.mode,
			ctx->args[1]);
}
EXIT(openat2)
{
	return bw_exit_path(ctx->ret, BW_SYS_OPENAT2);
}

/* execve(path, argv, envp) / execveat(dfd, path, argv, envp, flags): only
 * failures are reported from here (success is sched_process_exec's), since a
 * refused or broken exec is worth seeing too */
ENTER(execve)
{
	return bw_enter(BW_MON_EXEC_FAIL, BW_SYS_EXECVE, AT_FDCWD_, 0, 0, ctx->args[0]);
}
EXIT(execve)
{
	return ctx->ret < 0 ? bw_exit_path(ctx->ret, BW_SYS_EXECVE) : bw_drop(BW_SYS_EXECVE);
}

ENTER(execveat)
{
	return bw_enter(BW_MON_EXEC_FAIL, BW_SYS_EXECVEAT, (int)ctx->args[0], ctx->args[4], 0,
			ctx->args[1]);
}
EXIT(execveat)
{
	return ctx->ret < 0 ? bw_exit_path(ctx->ret, BW_SYS_EXECVEAT) : bw_drop(BW_SYS_EXECVEAT);
}

/* unlink(path) */
ENTER(unlink)
{
	return bw_enter(BW_MON_UNLINK, BW_SYS_UNLINK, AT_FDCWD_, 0, 0, ctx->args[0]);
}
EXIT(unlink)
{
	return bw_exit_path(ctx->ret, BW_SYS_UNLINK);
}

/* unlinkat(dfd, path, flags) */
ENTER(unlinkat)
{
	return bw_enter(BW_MON_UNLINK, BW_SYS_UNLINKAT, (int)ctx->args[0], ctx->args[2], 0,
			ctx->args[1]);
}
EXIT(unlinkat)
{
	return bw_exit_path(ctx->ret, BW_SYS_UNLINKAT);
}

ENTER(setuid)
{
	return bw_enter(BW_MON_SETUID, BW_SYS_SETUID, (__u32)ctx->args[0], 0, 0, 0);
}
EXIT(setuid)
{
	return bw_exit_plain(ctx->ret, BW_SYS_SETUID);
}

ENTER(setgid)
{
	return bw_enter(BW_MON_SETGID, BW_SYS_SETGID, (__u32)ctx->args[0], 0, 0, 0);
}
EXIT(setgid)
{
	return bw_exit_plain(ctx->ret, BW_SYS_SETGID);
}

/* ---------------------------------------------------------------- capabilities */

/* Exists since Linux 6.15 (capability:cap_capable); the loader skips it elsewhere. */
SEC("tracepoint/capability/cap_capable")
int bw_capable(struct trace_event_raw_cap_capable *ctx)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();
	__u64 id = bpf_get_current_pid_tgid();
	__u64 key;
	__u8 one = 1;
	struct bw_mon_rec *r;
	int cap = ctx->cap;
	int ret = ctx->ret;

	if (BPF_CORE_READ(t, flags) & PF_KTHREAD_ || bw_ignored(id >> 32))
		return 0;
	/* a check that was denied is worth a record even if one passed before */
	key = (id & 0xffffffff00000000ULL) | ((__u64)(ret != 0) << 31) | (__u32)(cap & 0xff);
	if (bpf_map_update_elem(&bw_mon_capseen, &key, &one, BPF_NOEXIST))
		return 0;
	r = bw_rec_begin(t, BW_MON_CAPABLE, BW_SYS_NONE);
	if (!r)
		return 0;
	r->h.arg[0] = cap;
	r->h.ret = ret;
	bw_rec_send(r, 0);
	return 0;
}
