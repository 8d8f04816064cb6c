/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared between bpf/enforcer.bpf.c and agent/enforce_*.c: the keys and
 * values of the rule maps and the alert record of the ring buffer.  Only
 * __u32/__u64 and fixed arrays: the layout is the ABI of the pinned maps a
 * restarted agent adopts, so fields are appended, never moved.
 *
 * One rule map per policy generation (a BPF hash map).  It holds every
 * ruleset of the node keyed by cgroup id (0: the host), and inside a ruleset
 * one entry per (kind, hash, source): a lookup per path prefix finds every
 * rule that can apply, whatever the number of rules.  Paths are keyed by a
 * 64-bit FNV-1a hash (bw_enf_hash.h): two paths of one ruleset colliding is
 * astronomically unlikely and would make one path's rule apply to the other.
 */
#ifndef BW_ENF_TYPES_H
#define BW_ENF_TYPES_H

#define BW_ENF_MAX_DEPTH 128 /* path components the hooks resolve */
#define BW_ENF_PATH_MAX 512  /* path bytes carried in an alert */
#define BW_ENF_PATH_BUF 4096 /* assembled path (for alerts only; hashes never truncate) */
#define BW_ENF_RULE_NONE 0xffffffffu
#define BW_ENF_MAX_CGROUP_NESTING 8 /* sub-cgroups below a container still get its rules */

enum bw_enf_kind {
	BW_ENF_K_RULESET = 1,	/* hash 0, src 0: version, flags, index of the ruleset */
	BW_ENF_K_PROC_PATH = 2, /* hash of the executable's full path */
	BW_ENF_K_PROC_DIR = 3,	/* hash of its directory (files directly inside) */
	BW_ENF_K_PROC_REC = 4,	/* hash of any ancestor directory */
	BW_ENF_K_PROC_NAME = 5, /* hash of the basename alone (matchPaths execname) */
	BW_ENF_K_FILE_PATH = 6,
	BW_ENF_K_FILE_DIR = 7,
	BW_ENF_K_FILE_REC = 8,
	BW_ENF_K_NET = 9,	/* bw_enf_net_hash(family, type, protocol) */
	BW_ENF_K_CAP = 10,	/* CAP_* number */
	BW_ENF_K_SRC_PATH = 11, /* fromSource: val.index is the source id */
	BW_ENF_K_SRC_DIR = 12,
	BW_ENF_K_SRC_REC = 13,
	/* Exact-path rules also by inode, so a hard link elsewhere is caught:
	 * hash = inode number, src = the kernel dev_t of its filesystem. */
	BW_ENF_K_FILE_INODE = 14,
	BW_ENF_K_PROC_INODE = 15,
	/* Glob patterns (see "Patterns" below): hash = index << 8 | chunk. */
	BW_ENF_K_PROC_PATTERN = 16,
	BW_ENF_K_FILE_PATTERN = 17,
};

struct bw_enf_key {
	__u64 cgroup_id; /* 0: host rules */
	__u64 hash;
	__u32 kind; /* enum bw_enf_kind */
	__u32 src;  /* 0: any process; else the fromSource id of the ruleset */
};

/* Conditions under which a rule applies (KubeArmor's options). */
#define BW_ENF_C_OWNER_ONLY 0x1 /* Block/Audit: applies to non-owners; Allow: owner only */
#define BW_ENF_C_READ_ONLY 0x2	/* Block/Audit: applies to writes; Allow: reads only */

#define BW_ENF_A_BLOCK 0
#define BW_ENF_A_AUDIT 1
#define BW_ENF_A_ALLOW 2

struct bw_enf_verdict {
	__u32 rule_id; /* (ruleset index << 16) | rule index: the RuleOrigin */
	__u8 present;
	__u8 action; /* BW_ENF_A_* */
	__u8 cond;   /* BW_ENF_C_* */
	__u8 pad;
};

/* Ruleset flags: bit (op) of each group, op = enum bw_enf_op. */
enum bw_enf_op {
	BW_ENF_OP_PROCESS = 0,
	BW_ENF_OP_FILE = 1,
	BW_ENF_OP_NETWORK = 2,
	BW_ENF_OP_CAPABILITY = 3,
};
#define BW_ENF_F_ALLOWLIST(op) (1u << (op))	      /* operation in allow-list mode */
#define BW_ENF_F_POSTURE_BLOCK(op) (1u << (4 + (op))) /* misses are blocked */
#define BW_ENF_F_HAS_RULES(op) (1u << (8 + (op)))     /* any rule of that operation */
#define BW_ENF_F_HAS_SOURCES (1u << 12)		      /* some rule has fromSource */
/* Which path kinds a ruleset has (op: process 0, file 1): the hooks skip
 * lookups of kinds with no rule, e.g. the ancestor walk without recursive rules. */
#define BW_ENF_F_HAS_DIR(op) (1u << (16 + (op)))
#define BW_ENF_F_HAS_REC(op) (1u << (18 + (op)))
#define BW_ENF_F_HAS_INODE(op) (1u << (20 + (op)))
#define BW_ENF_F_HAS_NAME (1u << 22) /* process execname rules */
#define BW_ENF_F_HAS_PATTERN(op) (1u << (23 + (op))) /* glob rules (op: process 0, file 1) */

struct bw_enf_val {
	struct bw_enf_verdict deny;  /* Block or Audit rule */
	struct bw_enf_verdict allow; /* Allow rule */
	__u64 version;		     /* ruleset entry: the policy version */
	__u32 flags;		     /* ruleset entry: BW_ENF_F_* */
	__u32 index;		     /* ruleset entry: ruleset index; source entry: source id */
};

/*
 * Patterns (matchPatterns made only of literals, '*', '**' and '?'), matched
 * in the kernel against the path text the hook resolved:
 *   ?   one character except '/'
 *   *   any run of characters except '/' (also empty)
 *   **  any run of characters including '/' (also empty)
 * Everything else is literal; the whole path must match ("/tmp/x*" matches
 * "/tmp/xa", not "/tmp/xa/b" nor "/tmp").  They live in the rule map itself,
 * so they are swapped with the rest of the policy in the same single update:
 * pattern i of a ruleset is the header entry {kind *_PATTERN, hash i << 8}
 * (deny/allow verdict as for any rule, index = fromSource id or 0,
 * version = pattern length, flags 0) followed by data entries
 * {hash i << 8 | c}, c = 1..8, each carrying BW_ENF_PATTERN_CHUNK bytes of the
 * text in place of a struct bw_enf_val.  Indexes run from 0 without gaps,
 * Block rules first.  Cost is bounded: at most BW_ENF_MAX_PATTERNS per
 * operation and ruleset, and BW_ENF_GLOB_STEPS matcher steps per pattern; a
 * pattern that cannot be decided within that bound (or a path longer than
 * the text the hook keeps) makes the decision fall to the posture, like an
 * unresolvable path.  Patterns are consulted after the exact, directory and
 * name lookups and only when those found no Block rule (a Block cannot be
 * outranked); their matches merge with the others' by the same precedence
 * (Block > Audit, any applicable deny > Allow).
 */
#define BW_ENF_MAX_PATTERNS 64
#define BW_ENF_PATTERN_MAX 256	 /* bytes including the NUL: patterns of up to 255 */
#define BW_ENF_PATTERN_CHUNK 32	 /* == sizeof(struct bw_enf_val) */
#define BW_ENF_GLOB_STEPS 16384 /* matcher steps per pattern and decision */

/* bw_enf_config array: index 0. */
struct bw_enf_config {
	__u64 host_mntns; /* inode of the host mount namespace: tasks in it get host rules */
	__u32 enabled;	  /* 0: programs stay attached but decide nothing */
	__u32 pad;
};

#define BW_ENF_EV_TRUNCATED 0x1 /* path longer than BW_ENF_PATH_MAX */
#define BW_ENF_EV_HOST 0x2	/* host ruleset */
#define BW_ENF_EV_NOAUDIT 0x4

struct bw_enf_event {
	__u64 ts_boot_ns;
	__u64 cgroup_id;
	__u64 version; /* policy version whose rule_id this is */
	__u32 pid, tid, ppid, uid;
	__u32 rule_id; /* BW_ENF_RULE_NONE for posture */
	__u32 hook;    /* enum bw_enf_hook */
	__u32 reason;  /* enum bw_reason */
	__u32 op;      /* enum bw_enf_op */
	__u32 family, type, protocol;
	__s32 cap;
	__u32 flags; /* BW_ENF_EV_* */
	__u32 path_len;
	char comm[16];
	char path[BW_ENF_PATH_MAX];
};

/* bw_enf_stats per-cpu array indexes. */
enum bw_enf_stat {
	BW_ENF_ST_DENIED = 0,
	BW_ENF_ST_AUDITED = 1,
	BW_ENF_ST_LOST = 2, /* ring buffer full */
	BW_ENF_ST_UNRESOLVED = 3,
	BW_ENF_ST__MAX = 8,
};

/* The SEC("syscall") matching probe: the same decision code, driven from
 * userspace through BPF_PROG_TEST_RUN (host tests and bench enforce-match). */
struct bw_enf_match_args {
	__u64 cgroup_id;
	__u32 op; /* BW_ENF_OP_FILE or BW_ENF_OP_PROCESS */
	__u32 write;
	__u32 uid, owner;
	__u32 iterations; /* repeat the decision this many times (timing) */
	__u32 is_dir;
	__u32 src; /* fromSource id the current executable would have */
	__u32 pad;
	char path[256]; /* absolute, '/'-separated */
	/* out */
	__s32 verdict; /* 0 or -EPERM */
	__u32 reason;
	__u32 rule_id;
	__u32 pad2;
	__u64 ns; /* time of all iterations (bpf_ktime_get_ns) */
};

#endif
