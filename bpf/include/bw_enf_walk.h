/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF side only: resolving a struct path into the hash of every prefix
 * ("/", "/a", "/a/b", ...) and the path text for alerts.  Walks up the
 * dentries (crossing mounts like d_path) to the task's root, then hashes
 * down; both loops are bpf_loop callbacks so each is verified once.
 */
#ifndef BW_ENF_WALK_H
#define BW_ENF_WALK_H

#include "bw_enf_state.h"

/* One step up the dentry chain, crossing mount points like d_path does. */
static long walk_up(__u32 i, void *c)
{
	struct walk_ctx *w = c;
	struct scratch *s = get_scratch();
	struct dentry *d = (void *)w->d;
	struct mount *m = (void *)(w->vfsmnt - w->mnt_off);
	struct dentry *parent, *mnt_root;

	if (!s)
		return 1;
	if (w->d == w->root_d && w->vfsmnt == w->root_mnt) {
		w->done = 1;
		return 1;
	}
	mnt_root = BPF_CORE_READ(m, mnt.mnt_root);
	parent = BPF_CORE_READ(d, d_parent);
	if (d == mnt_root || d == parent) {
		struct mount *mp = BPF_CORE_READ(m, mnt_parent);

		/* The top of a tree the task's root is not in (another
		 * namespace, an internal mount such as memfd): the path is
		 * relative to that top, like d_path's. */
		if (mp == m || d != mnt_root) {
			w->done = 1;
			return 1;
		}
		w->d = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
		w->vfsmnt = (__u64)mp + w->mnt_off;
		return 0;
	}
	if (s->n >= BW_ENF_MAX_DEPTH) {
		w->unresolved = 1;
		return 1;
	}
	s->dent[s->n & DEPTH_MASK] = w->d;
	s->n++;
	w->d = (__u64)parent;
	return 0;
}

/* Appends one component to the path and extends the prefix hashes. */
static long walk_down(__u32 i, void *c)
{
	struct walk_ctx *w = c;
	struct scratch *s = get_scratch();
	struct dentry *d;
	const unsigned char *name;
	__u32 len, off;
	__u64 h, nh;

	if (!s || i >= s->n)
		return 1;
	d = (void *)s->dent[(s->n - 1 - i) & DEPTH_MASK];
	len = BPF_CORE_READ(d, d_name.len);
	name = BPF_CORE_READ(d, d_name.name);
	if (len > 255)
		len = 255; /* NAME_MAX: cannot happen */
	if (len == 0 || bpf_probe_read_kernel(s->name, len & 255, name)) {
		/* A prefix hash would be missing: decide by posture, never
		 * by stale hashes. */
		w->unresolved = 1;
		return 1;
	}
	h = bw_fnv_byte(s->h, '/');
	nh = BW_FNV_BASIS;
	for (int j = 0; j < 255; j++) {
		unsigned char ch;

		if (j >= len)
			break;
		ch = s->name[j];
		h = bw_fnv_byte(h, ch);
		nh = bw_fnv_byte(nh, ch);
	}
	s->h = h;
	s->nh = nh;
	s->hash[(i + 1) & (HASH_SLOTS - 1)] = h;
	off = s->path_len;
	if (off + 1 + len < BW_ENF_PATH_BUF) {
		s->path[off & (BW_ENF_PATH_BUF - 1)] = '/';
		bpf_probe_read_kernel(&s->path[(off + 1) & (BW_ENF_PATH_BUF - 1)], len & 255,
				      s->name);
		s->path_len = off + 1 + len;
	} else {
		w->truncated = 1;
	}
	return 0;
}

/* Resolves f_path into s->hash[0..n] (and s->path for alerts). */
static __always_inline int resolve(struct scratch *s, const struct path *p, struct resolved *r)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct walk_ctx w = {};

	w.d = (__u64)BPF_CORE_READ(p, dentry);
	w.vfsmnt = (__u64)BPF_CORE_READ(p, mnt);
	w.root_d = (__u64)BPF_CORE_READ(task, fs, root.dentry);
	w.root_mnt = (__u64)BPF_CORE_READ(task, fs, root.mnt);
	w.mnt_off = bpf_core_field_offset(struct mount, mnt);
	s->h = BW_FNV_BASIS;
	s->nh = BW_FNV_BASIS;
	s->n = 0;
	s->path_len = 0;
	bpf_loop(2 * BW_ENF_MAX_DEPTH + 32, walk_up, &w, 0);
	if (!w.done)
		w.unresolved = 1;
	s->hash[0] = BW_FNV_BASIS;
	if (!w.unresolved)
		bpf_loop(BW_ENF_MAX_DEPTH, walk_down, &w, 0);
	if (s->path_len == 0) {
		s->path[0] = '/';
		s->path_len = 1;
	}
	s->path[s->path_len & (BW_ENF_PATH_BUF - 1)] = 0;
	r->n = s->n;
	r->unresolved = w.unresolved;
	r->path_len = s->path_len;
	r->truncated = w.truncated;
	r->name_hash = s->nh;
	return 0;
}

#endif
