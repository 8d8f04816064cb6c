// SPDX-License-Identifier: GPL-2.0
/*
 * Fallback enforcer for kernels without BPF-LSM: network rules by protocol,
 * decided when a socket is created (cgroup/sock_create).  Attached once at
 * the root of the cgroup v2 hierarchy; the task's container is found by
 * walking its cgroup ancestors, so containers started after the attach and
 * nested cgroups inside a container are covered without re-attaching.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

#include "cgroup_net.h"

char LICENSE[] SEC("license") = "GPL";

/* Not preallocated: an element being replaced is freed after RCU, so a
 * reader never sees a recycled value (prealloc hash maps reuse at once). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_CGN_MAX_CONTAINERS);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64);
	__type(value, struct bw_cgn_ctr);
} bw_cgn_ctrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, BW_CGN_MAX_RULES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bw_cgn_rule_key);
	__type(value, struct bw_cgn_rule);
} bw_cgn_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} bw_cgn_events SEC(".maps");

/* Events dropped because the ring buffer was full (index 0). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bw_cgn_lost SEC(".maps");

static __always_inline void bw_cgn_emit(struct bpf_sock *sk, __u64 cgid, __u32 gen, __u32 rule,
					__u32 reason)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct bw_cgn_event *ev;
	__u64 id = bpf_get_current_pid_tgid();

	ev = bpf_ringbuf_reserve(&bw_cgn_events, sizeof(*ev), 0);
	if (!ev) {
		__u32 zero = 0;
		__u64 *lost = bpf_map_lookup_elem(&bw_cgn_lost, &zero);

		if (lost)
			*lost += 1;
		return;
	}
	ev->ts_boot_ns = bpf_ktime_get_boot_ns();
	ev->cgid = cgid;
	ev->pid = id >> 32;
	ev->tid = (__u32)id;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->gen = gen;
	ev->rule = rule;
	ev->reason = reason;
	ev->family = sk->family;
	ev->type = sk->type;
	ev->protocol = sk->protocol;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

/* The rule set that governs the current task: its nearest container
 * ancestor, else the host's (only for tasks in the initial pid namespace,
 * so a container the policy does not know is never given host rules). */
static __always_inline struct bw_cgn_ctr *bw_cgn_find(__u64 *cgid)
{
	struct task_struct *task;
	struct bw_cgn_ctr *ctr;
	__u64 id;
	int lvl;

	for (lvl = 1; lvl <= BW_CGN_MAX_LEVELS; lvl++) {
		id = bpf_get_current_ancestor_cgroup_id(lvl);
		if (!id)
			break;
		ctr = bpf_map_lookup_elem(&bw_cgn_ctrs, &id);
		if (ctr) {
			*cgid = id;
			return ctr;
		}
	}
	task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, thread_pid, level) != 0)
		return NULL;
	id = 0;
	*cgid = 0;
	return bpf_map_lookup_elem(&bw_cgn_ctrs, &id);
}

SEC("cgroup/sock_create")
int bw_cgn_sock_create(struct bpf_sock *sk)
{
	struct bw_cgn_rule_key k = {};
	__u32 block = 0, audit = 0, allow = 0, flags;
	struct bw_cgn_ctr *ctr;
	struct bw_cgn_rule *r;
	__u64 cgid = 0;
	int i;

	ctr = bw_cgn_find(&cgid);
	if (!ctr)
		return 1;
	k.cgid = cgid;
	k.gen = ctr->gen;
	flags = ctr->flags;

	/* Most specific first, so the reported rule is the closest match. */
	for (i = 0; i < 8; i++) {
		k.family = (i & 1) ? 0 : sk->family;
		k.type = (i & 2) ? 0 : sk->type;
		k.protocol = (i & 4) ? 0 : sk->protocol;
		r = bpf_map_lookup_elem(&bw_cgn_rules, &k);
		if (!r)
			continue;
		if (!block)
			block = r->block;
		if (!audit)
			audit = r->audit;
		if (!allow)
			allow = r->allow;
	}

	if (block) {
		bw_cgn_emit(sk, cgid, k.gen, block, BW_CGN_R_BLOCK);
		return 0;
	}
	if ((flags & BW_CGN_F_ALLOWLIST) && !allow) {
		if (flags & BW_CGN_F_POSTURE_BLOCK) {
			bw_cgn_emit(sk, cgid, k.gen, 0, BW_CGN_R_POSTURE_BLOCK);
			return 0;
		}
		bw_cgn_emit(sk, cgid, k.gen, 0, BW_CGN_R_POSTURE_AUDIT);
		return 1;
	}
	if (audit)
		bw_cgn_emit(sk, cgid, k.gen, audit, BW_CGN_R_AUDIT);
	return 1;
}
