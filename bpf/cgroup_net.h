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

#define BW_CGN_MAX_PREFIXES 16384
/* Address rules that can cover one destination prefix (the slots of a
 * bw_cgn_addr_val); more overlapping rules than this are reported. */
#define BW_CGN_ADDR_SLOTS 8

/* bw_cgn_ctr.flags */
enum {
	BW_CGN_F_ALLOWLIST = 1,	      /* protocol allow-list mode */
	BW_CGN_F_POSTURE_BLOCK = 2,   /* allow-list misses are denied */
	BW_CGN_F_HOST = 4,	      /* the host's rule set (key 0) */
	BW_CGN_F_ADDR = 8,	      /* has address rules: connect/sendmsg look them up */
	BW_CGN_F_ADDR_ALLOWLIST = 16, /* destination allow-list mode */
};

/* Which hook decided (bw_cgn_event.hook). */
enum bw_cgn_hook {
	BW_CGN_H_SOCK_CREATE = 0,
	BW_CGN_H_CONNECT4 = 1,
	BW_CGN_H_CONNECT6 = 2,
	BW_CGN_H_SENDMSG4 = 3,
	BW_CGN_H_SENDMSG6 = 4,
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

/*
 * Destination rules (matchAddresses) in LPM tries, one per family.  The
 * data after prefixlen is gen, cgid, address (network order); a rule for
 * a.b.c.d/n is stored with prefixlen 96 + n.  User space pushes every rule
 * down into the more specific prefixes it contains, so the longest match
 * alone holds every rule that applies.
 */
struct bw_cgn_addr4_key {
	__u32 prefixlen;
	__u32 gen;
	__u64 cgid;
	__u32 addr;
	__u32 pad;
};

struct bw_cgn_addr6_key {
	__u32 prefixlen;
	__u32 gen;
	__u64 cgid;
	__u32 addr[4];
};

struct bw_cgn_addr_rule {
	__u32 rule;	/* index + 1 into the rule set; 0: empty slot */
	__u16 port_min; /* host order; 0..0: any port */
	__u16 port_max;
	__u16 type;	/* 0: any */
	__u16 action;	/* 0 Block, 1 Audit, 2 Allow (bulwark.v1.Action) */
	__u32 protocol; /* 0: any */
};

struct bw_cgn_addr_val {
	struct bw_cgn_addr_rule r[BW_CGN_ADDR_SLOTS];
};

struct bw_cgn_event {
	__u64 ts_boot_ns;
	__u64 cgid; /* the matched rule set's key (container cgroup id, 0: host) */
	__u32 pid, tid, ppid, uid;
	__u32 gen;
	__u32 rule;   /* index + 1 into the rule set; 0 for default posture */
	__u32 reason; /* enum bw_cgn_reason */
	__u16 family, type;
	__u32 protocol;
	__u32 hook;    /* enum bw_cgn_hook */
	__u32 addr[4]; /* destination (connect/sendmsg), network order */
	__u32 port;    /* destination port, host order */
	char comm[16];
};

#endif
