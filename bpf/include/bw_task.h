/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Task identity for monitor records: host pids, the pids the task's own pid
 * namespace shows (what a container sees), namespaces, credentials.
 */
#ifndef BW_TASK_H
#define BW_TASK_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "monitor.h"

/* The number of pid p at namespace depth level, 0 when p has no number there. */
static __always_inline __u32 bw_pid_nr_at(struct pid *p, __u32 level)
{
	struct upid up = {};

	if (!p || BPF_CORE_READ(p, level) < level)
		return 0;
	bpf_core_read(&up, sizeof(up), &p->numbers[level & 31]);
	return (__u32)up.nr;
}

/*
 * Fills the identity part of h for task t; cur says t is the current task,
 * whose ids and name the cheaper helpers give.
 */
static __always_inline void bw_task_ident(struct bw_mon_hdr *h, struct task_struct *t, int cur)
{
	struct task_struct *leader = BPF_CORE_READ(t, group_leader);
	struct task_struct *parent = BPF_CORE_READ(t, real_parent);
	struct pid *tp = BPF_CORE_READ(leader, thread_pid);
	__u32 level = BPF_CORE_READ(tp, level);
	struct upid up = {};

	if (cur) {
		__u64 id = bpf_get_current_pid_tgid();
		__u64 ug = bpf_get_current_uid_gid();

		h->pid = id >> 32;
		h->tid = (__u32)id;
		h->uid = (__u32)ug;
		h->gid = ug >> 32;
		bpf_get_current_comm(&h->comm, sizeof(h->comm));
	} else {
		h->pid = BPF_CORE_READ(t, tgid);
		h->tid = BPF_CORE_READ(t, pid);
		h->uid = BPF_CORE_READ(t, cred, uid.val);
		h->gid = BPF_CORE_READ(t, cred, gid.val);
		BPF_CORE_READ_STR_INTO(&h->comm, t, comm);
	}
	h->ppid = BPF_CORE_READ(parent, tgid);
	h->ns_pid = bw_pid_nr_at(tp, level);
	h->ns_ppid = bw_pid_nr_at(BPF_CORE_READ(parent, group_leader, thread_pid), level);
	bpf_core_read(&up, sizeof(up), &tp->numbers[level & 31]);
	h->pid_ns = BPF_CORE_READ(up.ns, ns.inum);
	h->mnt_ns = BPF_CORE_READ(t, nsproxy, mnt_ns, ns.inum);
}

#endif
