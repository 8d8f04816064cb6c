/* SPDX-License-Identifier: GPL-2.0 */
/*
 * BPF side only (bpf/enforcer.bpf.c): the enforcer's maps, its per-CPU
 * scratch area and the kernel constants the hooks need (not in vmlinux.h).
 */
#ifndef BW_ENF_STATE_H
#define BW_ENF_STATE_H

#include "bw_enf_glob.h"

#define EPERM 1
#define MAY_WRITE 0x2
#define MAY_APPEND 0x8
#define FMODE_WRITE 0x2
#define FMODE_EXEC 0x20
#define CAP_OPT_NOAUDIT 0x2
#define MNT_INTERNAL 0x4000
#define S_IFMT 00170000
#define S_IFDIR 0040000
#define SOCK_TYPE_MASK 0xf
#define AF_INET 2
#define AF_INET6 10
#define AF_PACKET 17
#define SOCK_STREAM 1
#define SOCK_DGRAM 2
#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

#define DEPTH_MASK (BW_ENF_MAX_DEPTH - 1)
#define HASH_SLOTS 256 /* >= BW_ENF_MAX_DEPTH + 1, power of two */

struct rules_inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	/* Sizes, not types: clang would emit the structs as forward
	 * declarations inside a map-in-map definition. */
	__uint(key_size, sizeof(struct bw_enf_key));
	__uint(value_size, sizeof(struct bw_enf_val));
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, __u32);
	__array(values, struct rules_inner);
} bw_enf_rules SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct bw_enf_config);
} bw_enf_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} bw_enf_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_ENF_ST__MAX);
	__type(key, __u32);
	__type(value, __u64);
} bw_enf_stats SEC(".maps");

/* Per-CPU working memory of one decision (too big for the stack). */
struct scratch {
	__u64 dent[BW_ENF_MAX_DEPTH]; /* leaf first */
	__u64 hash[HASH_SLOTS];	      /* hash[0] "/", hash[i] first i components */
	char name[256];
	char path[BW_ENF_PATH_BUF + 256];
	/* Loop counters live here, not on the stack: the verifier does not
	 * track map contents, so callback states converge instead of being
	 * explored once per iteration. */
	__u32 n;
	__u32 path_len;
	__u64 h, nh;			/* running path hash and basename hash */
	__u64 owner;			/* task using the area now (see check_path) */
	struct bw_enf_match_args probe; /* the matching probe's input */
	/* Pattern matching: the pattern's text, its matcher state, result. */
	char pat[BW_ENF_PATTERN_MAX];
	struct bw_glob_state g;
	__u32 plen;
	__u32 gres; /* BW_GLOB_*, BW_GLOB_MORE when the step bound ran out */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} bw_enf_scratch SEC(".maps");

/* Result of resolving one path into the scratch area. */
struct resolved {
	__u32 n;	  /* components: hash[n] is the full path */
	__u32 unresolved; /* deeper than BW_ENF_MAX_DEPTH */
	__u32 path_len;
	__u32 truncated;
	__u64 name_hash; /* basename alone */
};

struct walk_ctx {
	__u64 d;      /* struct dentry * */
	__u64 vfsmnt; /* struct vfsmount * */
	__u64 root_d, root_mnt;
	__u64 mnt_off; /* offsetof(struct mount, mnt) on this kernel */
	__u32 done, unresolved, truncated, pad;
};

static __always_inline void stat_inc(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&bw_enf_stats, &idx);

	if (v)
		*v += 1;
}

static __always_inline struct scratch *get_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&bw_enf_scratch, &zero);
}

#endif
