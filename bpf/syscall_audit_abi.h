/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between bpf/syscall_audit.bpf.c and agent/syscall_audit.c (named
 * apart from agent/syscall_audit.h, which includes it): the rule
 * map of the syscall monitor (KubeArmor's matchSyscalls, reported as
 * audit-style alerts: nothing is refused) and its ring-buffer record.
 * Only __u32/__u64 and fixed arrays.
 *
 * One rule map per policy generation, swapped in with one update of the
 * bw_sys_rules array of maps (a hook sees the old rules or the new ones):
 * - {BW_SYS_ANY_CGROUP, nr}: some ruleset has a rule for syscall nr; the
 *   one lookup every other syscall of the node pays;
 * - {cgroup id (0: host), nr, exe inode, exe dev}: a rule; inode and dev 0
 *   for any process, else those of the fromSource executable (resolved by
 *   the agent when the policy is applied; on overlayfs the hook sees the
 *   real inode and such a rule may not match).
 */
#ifndef BW_SYSCALL_AUDIT_ABI_H
#define BW_SYSCALL_AUDIT_ABI_H

#define BW_SYS_ANY_CGROUP 0xffffffffffffffffULL
#define BW_SYS_NR_MAX 1024 /* syscall numbers looked at: [0, BW_SYS_NR_MAX) */
#define BW_SYS_MAX_CGROUP_NESTING 8

struct bw_sys_key {
	__u64 cgroup_id;
	__u64 src_ino;
	__u32 nr;
	__u32 src_dev; /* kernel dev_t encoding (major << 20 | minor) */
};

#define BW_SYS_A_BLOCK 0 /* reported as "Audit (Block)": the call is not refused */
#define BW_SYS_A_AUDIT 1

struct bw_sys_val {
	__u64 version; /* policy version rule_id belongs to */
	__u32 rule_id; /* (ruleset index << 16) | rule index, as the enforcer's */
	__u32 action;  /* BW_SYS_A_* */
};

/* bw_sys_config array: index 0. */
struct bw_sys_config {
	__u64 host_mntns; /* tasks in this mount namespace get host rules */
	__u32 enabled;
	__u32 pad;
};

#define BW_SYS_EV_HOST 0x1

struct bw_sys_event {
	__u64 ts_boot_ns;
	__u64 cgroup_id; /* the ruleset's (a container's also for its sub-cgroups) */
	__u64 version;
	__u32 pid, tid, ppid, uid;
	__u32 nr;
	__u32 rule_id;
	__u32 action;
	__u32 flags; /* BW_SYS_EV_* */
	char comm[16];
};

/* bw_sys_stats per-cpu array indexes. */
enum bw_sys_stat {
	BW_SYS_ST_ALERTS = 0,
	BW_SYS_ST_LOST = 1, /* ring buffer full */
	BW_SYS_ST__MAX = 4,
};

#endif
