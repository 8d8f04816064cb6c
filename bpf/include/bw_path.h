/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Full path of a (vfsmount, dentry) pair, resolved in the kernel the way
 * d_path() does it: walk dentries up to the mount root, cross to the parent
 * mount at its mountpoint, stop at the task's root (so paths are what the
 * task itself sees, e.g. /bin/cat inside a container) or at the namespace's
 * root mount.
 *
 * The walk is bounded (BW_MON_PATH_DEPTH steps of bpf_loop, BW_MON_PATH_MAX
 * bytes); a path that did not fit, or whose walk
 * ended somewhere that is not a root (an unlinked or pseudo-fs dentry), is
 * reported incomplete, never silently cut.
 */
#ifndef BW_PATH_H
#define BW_PATH_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "monitor.h"

/*
 * Scratch space for one walk.  Components are written backwards ending at
 * BW_MON_PATH_MAX; the second half only exists so that a masked offset plus
 * a component length always stays inside the buffer for the verifier.
 */
struct bw_path_buf {
	char b[BW_MON_PATH_MAX * 2];
};

struct bw_path_res {
	__u32 off; /* path is b[off .. BW_MON_PATH_MAX) */
	__u32 len;
	int complete; /* 1: reached a root within the bounds */
};

static __always_inline struct mount *bw_real_mount(struct vfsmount *vm)
{
	/* container_of with a CO-RE offset, so a kernel with another layout works. */
	return (struct mount *)((char *)vm - bpf_core_field_offset(struct mount, mnt));
}

struct bw_path_walk_ctx {
	struct bw_path_buf *buf;
	struct vfsmount *vm;
	struct mount *mnt;
	struct dentry *mnt_root; /* of vm, read once per mount rather than per step */
	struct dentry *d;
	struct vfsmount *root_vm;
	struct dentry *root_d;
	__u32 off;
	int complete;
};

/* One step of the walk (a bpf_loop callback, so the verifier checks it once
 * instead of once per iteration). Returns 1 to stop. */
static int bw_path_step(__u32 i, void *arg)
{
	struct bw_path_walk_ctx *w = arg;
	struct dentry *d = w->d;
	struct vfsmount *vm = w->vm;
	struct mount *mnt = w->mnt;

	if (d == w->root_d && vm == w->root_vm) {
		w->complete = 1;
		return 1;
	}
	struct dentry *mnt_root = w->mnt_root;
	struct dentry *parent = BPF_CORE_READ(d, d_parent);

	if (d == mnt_root || d == parent) {
		if (d != mnt_root)
			return 1; /* a dentry with no mount above it: not a real path */
		struct mount *mp = BPF_CORE_READ(mnt, mnt_parent);

		if (mp == mnt || !mp) {
			w->complete = 1; /* namespace root */
			return 1;
		}
		w->d = BPF_CORE_READ(mnt, mnt_mountpoint);
		w->mnt = mp;
		vm = (struct vfsmount *)((char *)mp + bpf_core_field_offset(struct mount, mnt));
		w->vm = vm;
		w->mnt_root = BPF_CORE_READ(vm, mnt_root);
		return 0;
	}
	/* the name's length and pointer in one read */
	struct qstr q = {};

	bpf_core_read(&q, sizeof(q), &d->d_name);
	__u32 len = q.len;
	const unsigned char *name = q.name;
	__u32 off = w->off;
	struct bw_path_buf *buf = w->buf;

	if (len == 0 || len > 255 || len + 1 > off || off > BW_MON_PATH_MAX)
		return 1; /* does not fit: incomplete */
	off -= len;
	bpf_probe_read_kernel(&buf->b[off & (BW_MON_PATH_MAX - 1)], len & 255, name);
	off -= 1;
	buf->b[off & (BW_MON_PATH_MAX - 1)] = '/';
	w->off = off;
	w->d = parent;
	return 0;
}

/* Walks (vm, d) into buf; stops at (root_vm, root_d) when those are non-NULL. */
static __always_inline void bw_path_walk(struct bw_path_buf *buf, struct vfsmount *vm,
					 struct dentry *d, struct vfsmount *root_vm,
					 struct dentry *root_d, struct bw_path_res *res)
{
	struct bw_path_walk_ctx w = {
	    .buf = buf,
	    .vm = vm,
	    .mnt = bw_real_mount(vm),
	    .mnt_root = BPF_CORE_READ(vm, mnt_root),
	    .d = d,
	    .root_vm = root_vm,
	    .root_d = root_d,
	    .off = BW_MON_PATH_MAX,
	};
	__u32 off;

	bpf_loop(BW_MON_PATH_DEPTH, bw_path_step, &w, 0);
	off = w.off;
	if (off > BW_MON_PATH_MAX)
		off = BW_MON_PATH_MAX;
	if (off == BW_MON_PATH_MAX && w.complete) {
		/* the root itself */
		off -= 1;
		buf->b[off & (BW_MON_PATH_MAX - 1)] = '/';
	}
	res->off = off;
	res->len = BW_MON_PATH_MAX - off;
	res->complete = w.complete;
}

/* Path of an open file as the current task sees it. */
static __always_inline void bw_path_of_file(struct bw_path_buf *buf, struct task_struct *t,
					    struct file *f, struct bw_path_res *res)
{
	struct vfsmount *vm = BPF_CORE_READ(f, f_path.mnt);
	struct dentry *d = BPF_CORE_READ(f, f_path.dentry);
	struct vfsmount *rvm = BPF_CORE_READ(t, fs, root.mnt);
	struct dentry *rd = BPF_CORE_READ(t, fs, root.dentry);

	bw_path_walk(buf, vm, d, rvm, rd, res);
}

/* The task's current working directory. */
static __always_inline void bw_path_of_cwd(struct bw_path_buf *buf, struct task_struct *t,
					   struct bw_path_res *res)
{
	struct vfsmount *vm = BPF_CORE_READ(t, fs, pwd.mnt);
	struct dentry *d = BPF_CORE_READ(t, fs, pwd.dentry);
	struct vfsmount *rvm = BPF_CORE_READ(t, fs, root.mnt);
	struct dentry *rd = BPF_CORE_READ(t, fs, root.dentry);

	bw_path_walk(buf, vm, d, rvm, rd, res);
}

/* The struct file behind fd in the task's table, or NULL. */
static __always_inline struct file *bw_file_of_fd(struct task_struct *t, int fd)
{
	struct file **fds;
	struct file *f = NULL;

	if (fd < 0)
		return NULL;
	if ((unsigned int)fd >= BPF_CORE_READ(t, files, fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(t, files, fdt, fd);
	bpf_core_read(&f, sizeof(f), &fds[fd]);
	return f;
}

#endif
