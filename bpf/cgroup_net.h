/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between bpf/cgroup_net.bpf.c and agent/enforce_cgroup.c: the
 * cgroup-BPF fallback enforcer's maps and events.  Network rules by socket
 * protocol, decided at cgroup/sock_create.
 *
 * Rules are keyed by (cgroup id, generation, family, type, protocol); a rule
 * field of 0 is a wildcard, so a decision is at most 8 exact lookups whatever
 * the number of rules.  A new policy is written under a fresh generation and
 * made visible by one update of the container's bw_cgn_ctr entry, so a
 * socket() sees the old rules or the new ones, never a mix.
 */
#ifndef BW_CGROUP_NET_H
#define BW_CGROUP_NET_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Ancestor levels searched for a container's cgroup (nested cgroups). */
#define BW_CGN_MAX_LEVELS 12
#define BW_CGN_MAX_CONTAINERS 4096
#define BW_CGN_MAX_RULES 65536

/* bw_cgn_ctr.flags */
enum {
	BW_CGN_F_ALLOWLIST = 1,	   /* network allow-list mode */
	BW_CGN_F_POSTURE_BLOCK = 2, /* allow-list misses are denied */
	BW_CGN_F_HOST = 4,	   /* the host's rule set (key 0) */
};

/* Why an event was emitted: one enum for the kernel and user side. */
enum bw_cgn_reason {
	BW_CGN_R_NONE = 0,
	BW_CGN_R_BLOCK = 1,	    /* a Block rule matched: EPERM */
	BW_CGN_R_AUDIT = 2,	    /* an Audit rule matched: passed */
	BW_CGN_R_POSTURE_BLOCK = 3, /* allow-list miss, posture block: EPERM */
	BW_CGN_R_POSTURE_AUDIT = 4, /* allow-list miss, posture audit: passed */
};

/* Value of bw_cgn_ctr, keyed by the container's cgroup id (0: the host). */
struct bw_cgn_ctr {
	__u32 gen;
	__u32 flags;
};

struct bw_cgn_rule_key {
	__u64 cgid;
	__u32 gen;
	__u16 family;	/* 0: any */
	__u16 type;	/* 0: any */
	__u32 protocol; /* 0: any */
	__u32 pad;	/* zero: the key is hashed bytewise */
};

/* Index + 1 of the RuleSet rule per action (0: none). */
struct bw_cgn_rule {
	__u32 block;
	__u32 audit;
	__u32 allow;
};

struct bw_cgn_event {
	__u64 ts_boot_ns;
	__u64 cgid; /* the matched rule set's key (container cgroup id, 0: host) */
	__u32 pid, tid, ppid, uid;
	__u32 gen;
	__u32 rule; /* index + 1 into the rule set; 0 for default posture */
	__u32 reason; /* enum bw_cgn_reason */
	__u16 family, type;
	__u32 protocol;
	char comm[16];
};

#endif
