// SPDX-License-Identifier: GPL-2.0
/*
 * Bulwark's syscall monitor: matchSyscalls rules as audit alerts.
 *
 * One raw_syscalls/sys_enter tracepoint (needs no BPF-LSM, so it works on
 * every node).  Each syscall of the node costs one hash lookup
 * ({any cgroup, nr}); only syscalls some rule names go on to the rule
 * lookups of the task's cgroup, its ancestors (a container's sub-cgroups keep
 * its rules) and, for tasks of the host mount namespace, the host rules.
 * Layout of the maps: syscall_audit.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "syscall_audit_abi.h"

char LICENSE[] SEC("license") = "GPL";

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
	__uint(max_entries, 1 << 18);
} bw_sys_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_SYS_ST__MAX);
	__type(key, __u32);
	__type(value, __u64);
} bw_sys_stats SEC(".maps");

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bw_sys_stats, &idx);

	if (v)
		*v += 1;
}

/* The rule for (cgroup, nr): any process first, then the executable's. */
static __always_inline struct bw_sys_val *rule_for(void *rules, __u64 cg, __u32 nr, __u64 ino,
						   __u32 dev)
{
	struct bw_sys_key k = {.cgroup_id = cg, .nr = nr};
	struct bw_sys_val *v = bpf_map_lookup_elem(rules, &k);

	if (v || !ino)
		return v;
	k.src_ino = ino;
	k.src_dev = dev;
	return bpf_map_lookup_elem(rules, &k);
}

SEC("tp/raw_syscalls/sys_enter")
int bw_sys_enter(struct trace_event_raw_sys_enter *ctx)
{
	__u32 zero = 0;
	struct bw_sys_config *cfg = bpf_map_lookup_elem(&bw_sys_config, &zero);
	void *rules = bpf_map_lookup_elem(&bw_sys_rules, &zero);
	struct bw_sys_key any = {.cgroup_id = BW_SYS_ANY_CGROUP};
	struct task_struct *task;
	struct bw_sys_val *v;
	struct bw_sys_event *ev;
	struct file *exe;
	__u64 cg, ino = 0, pid_tgid;
	__u32 dev = 0, nr;
	long id = ctx->id;
	int level;

	if (!cfg || !cfg->enabled || !rules || id < 0 || id >= BW_SYS_NR_MAX)
		return 0;
	nr = (__u32)id;
	any.nr = nr;
	if (!bpf_map_lookup_elem(rules, &any))
		return 0;
	task = (void *)bpf_get_current_task();
	exe = BPF_CORE_READ(task, mm, exe_file);
	if (exe) {
		ino = BPF_CORE_READ(exe, f_inode, i_ino);
		dev = BPF_CORE_READ(exe, f_inode, i_sb, s_dev);
	}
	cg = bpf_get_current_cgroup_id();
	v = rule_for(rules, cg, nr, ino, dev);
	if (!v) {
		level = BPF_CORE_READ(task, cgroups, dfl_cgrp, level);
		for (int i = 1; i <= BW_SYS_MAX_CGROUP_NESTING; i++) {
			if (level - i < 1)
				break;
			cg = bpf_get_current_ancestor_cgroup_id(level - i);
			v = rule_for(rules, cg, nr, ino, dev);
			if (v)
				break;
		}
	}
	if (!v && BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum) == cfg->host_mntns) {
		cg = 0;
		v = rule_for(rules, 0, nr, ino, dev);
	}
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
	ev->cgroup_id = cg ? cg : bpf_get_current_cgroup_id();
	ev->version = v->version;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->nr = nr;
	ev->rule_id = v->rule_id;
	ev->action = v->action;
	ev->flags = cg == 0 ? BW_SYS_EV_HOST : 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
	return 0;
}
