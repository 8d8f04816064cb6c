// SPDX-License-Identifier: GPL-2.0
/*
 * Fallback enforcer for kernels without BPF-LSM: network rules by protocol,
 * decided when a socket is created (cgroup/sock_create), and by destination
 * (address/port) at connect() and unconnected sendmsg() (cgroup/connect4/6,
 * cgroup/sendmsg4/6).  Attached once at
 * the root of the cgroup v2 hierarchy; the task's container is found by
 * walking its cgroup ancestors, so containers started after the attach and
 * nested cgroups inside a container are covered without re-attaching.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>

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

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BW_CGN_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bw_cgn_addr4_key);
	__type(value, struct bw_cgn_addr_val);
} bw_cgn_addr4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, BW_CGN_MAX_PREFIXES);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bw_cgn_addr6_key);
	__type(value, struct bw_cgn_addr_val);
} bw_cgn_addr6 SEC(".maps");

/* Events dropped because the ring buffer was full (index 0). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} bw_cgn_lost SEC(".maps");

struct bw_cgn_what {
	__u32 family, type, protocol, hook, port;
	__u32 addr[4];
};

static __always_inline void bw_cgn_emit(const struct bw_cgn_what *w, __u64 cgid, __u32 gen,
					__u32 rule, __u32 reason)
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
	ev->family = w->family;
	ev->type = w->type;
	ev->protocol = w->protocol;
	ev->hook = w->hook;
	ev->port = w->port;
	ev->addr[0] = w->addr[0];
	ev->addr[1] = w->addr[1];
	ev->addr[2] = w->addr[2];
	ev->addr[3] = w->addr[3];
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

/* Block beats everything; then an allow-list miss is decided by posture;
 * then Audit reports.  Returns the hook's verdict (0 denies with EPERM). */
static __always_inline int bw_cgn_decide(const struct bw_cgn_what *w, __u64 cgid, __u32 gen,
					 __u32 allowlist, __u32 flags, __u32 block, __u32 audit,
					 __u32 allow)
{
	if (block) {
		bw_cgn_emit(w, cgid, gen, block, BW_CGN_R_BLOCK);
		return 0;
	}
	if (allowlist && !allow) {
		if (flags & BW_CGN_F_POSTURE_BLOCK) {
			bw_cgn_emit(w, cgid, gen, 0, BW_CGN_R_POSTURE_BLOCK);
			return 0;
		}
		bw_cgn_emit(w, cgid, gen, 0, BW_CGN_R_POSTURE_AUDIT);
		return 1;
	}
	if (audit)
		bw_cgn_emit(w, cgid, gen, audit, BW_CGN_R_AUDIT);
	return 1;
}

SEC("cgroup/sock_create")
int bw_cgn_sock_create(struct bpf_sock *sk)
{
	struct bw_cgn_rule_key k = {};
	__u32 block = 0, audit = 0, allow = 0, flags;
	struct bw_cgn_what w = {};
	struct bw_cgn_ctr *ctr;
	struct bw_cgn_rule *r;
	__u64 cgid = 0;
	int i;

	ctr = bw_cgn_find(&cgid);
	if (!ctr)
		return 1;
	w.family = sk->family;
	w.type = sk->type;
	w.protocol = sk->protocol;
	w.hook = BW_CGN_H_SOCK_CREATE;
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

	return bw_cgn_decide(&w, cgid, k.gen, flags & BW_CGN_F_ALLOWLIST, flags, block, audit,
			     allow);
}

/* Destination rules for connect() and unconnected sendmsg(). */
static __always_inline int bw_cgn_addr(struct bpf_sock_addr *ctx, int v6, __u32 hook)
{
	__u32 block = 0, audit = 0, allow = 0, flags, port, gen;
	struct bw_cgn_addr_val *v = NULL;
	struct bw_cgn_what w = {};
	struct bw_cgn_ctr *ctr;
	__u64 cgid = 0;
	int i;

	ctr = bw_cgn_find(&cgid);
	if (!ctr)
		return 1;
	flags = ctr->flags;
	gen = ctr->gen;
	if (!(flags & BW_CGN_F_ADDR))
		return 1;
	port = bpf_ntohs((__u16)ctx->user_port);
	w.family = ctx->family;
	w.type = ctx->type;
	w.protocol = ctx->protocol;
	w.hook = hook;
	w.port = port;
	if (v6) {
		struct bw_cgn_addr6_key k6 = {.prefixlen = 96 + 128, .gen = gen, .cgid = cgid};

		k6.addr[0] = ctx->user_ip6[0];
		k6.addr[1] = ctx->user_ip6[1];
		k6.addr[2] = ctx->user_ip6[2];
		k6.addr[3] = ctx->user_ip6[3];
		w.addr[0] = k6.addr[0];
		w.addr[1] = k6.addr[1];
		w.addr[2] = k6.addr[2];
		w.addr[3] = k6.addr[3];
		v = bpf_map_lookup_elem(&bw_cgn_addr6, &k6);
	} else {
		struct bw_cgn_addr4_key k4 = {.prefixlen = 96 + 32, .gen = gen, .cgid = cgid};

		k4.addr = ctx->user_ip4;
		w.addr[0] = k4.addr;
		v = bpf_map_lookup_elem(&bw_cgn_addr4, &k4);
	}
	if (v) {
		for (i = 0; i < BW_CGN_ADDR_SLOTS; i++) {
			struct bw_cgn_addr_rule *r = &v->r[i];

			if (!r->rule)
				break;
			if (r->port_max && (port < r->port_min || port > r->port_max))
				continue;
			if (r->type && r->type != w.type)
				continue;
			if (r->protocol && r->protocol != w.protocol)
				continue;
			if (r->action == 0 && !block)
				block = r->rule;
			else if (r->action == 1 && !audit)
				audit = r->rule;
			else if (r->action == 2 && !allow)
				allow = r->rule;
		}
	}
	return bw_cgn_decide(&w, cgid, gen, flags & BW_CGN_F_ADDR_ALLOWLIST, flags, block, audit,
			     allow);
}

SEC("cgroup/connect4")
int bw_cgn_connect4(struct bpf_sock_addr *ctx)
{
	return bw_cgn_addr(ctx, 0, BW_CGN_H_CONNECT4);
}

SEC("cgroup/connect6")
int bw_cgn_connect6(struct bpf_sock_addr *ctx)
{
	return bw_cgn_addr(ctx, 1, BW_CGN_H_CONNECT6);
}

SEC("cgroup/sendmsg4")
int bw_cgn_sendmsg4(struct bpf_sock_addr *ctx)
{
	return bw_cgn_addr(ctx, 0, BW_CGN_H_SENDMSG4);
}

SEC("cgroup/sendmsg6")
int bw_cgn_sendmsg6(struct bpf_sock_addr *ctx)
{
	return bw_cgn_addr(ctx, 1, BW_CGN_H_SENDMSG6);
}
