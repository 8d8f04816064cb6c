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
 * - {cgroup id (0: host), kind RULESET}: that cgroup's tasks use its rules;
 * - {cgroup id (0: host), nr, exe inode, exe dev, kind, path hash}: a rule;
 *   inode and dev 0 for any process, else those of the fromSource executable
 *   (resolved by the agent when the policy is applied; on overlayfs the hook
 *   sees the real inode and such a rule may not match).
 */
#ifndef BW_SYSCALL_AUDIT_ABI_H
#define BW_SYSCALL_AUDIT_ABI_H

#define BW_SYS_ANY_CGROUP 0xffffffffffffffffULL
#define BW_SYS_NR_MAX 1024 /* syscall numbers looked at: [0, BW_SYS_NR_MAX) */
#define BW_SYS_MAX_CGROUP_NESTING 8

enum bw_sys_kind {
	BW_SYS_K_CALL = 0,    /* the syscall, whatever its arguments */
	BW_SYS_K_PATH = 1,    /* matchPaths path: path_hash of the path */
	BW_SYS_K_DIR = 2,     /* matchPaths dir: files directly inside */
	BW_SYS_K_REC = 3,     /* matchPaths dir, recursive: anything below */
	BW_SYS_K_RULESET = 4, /* nr 0: the cgroup has syscall rules */
};

struct bw_sys_key {
	__u64 cgroup_id;
	__u64 src_ino;
	__u64 path_hash; /* bw_enf_hash.h FNV-1a of the normalised path (dir: without '/') */
	__u32 nr;
	__u32 src_dev; /* kernel dev_t encoding (major << 20 | minor) */
	__u32 kind;    /* enum bw_sys_kind */
	__u32 pad;
};

#define BW_SYS_A_BLOCK 0 /* reported as "Audit (Block)": the call is not refused */
#define BW_SYS_A_AUDIT 1

#define BW_SYS_F_PATHS 0x1 /* filter entry: some rule names a path for nr */

struct bw_sys_val {
	__u64 version; /* policy version rule_id belongs to */
	__u32 rule_id; /* (ruleset index << 16) | rule index, as the enforcer's */
	__u32 action;  /* BW_SYS_A_* */
	__u32 flags;   /* filter entries: BW_SYS_F_* */
	__u32 pad;
};

/*
 * Syscalls whose path argument matchPaths rules look at (x86_64): the index
 * of the path argument, and of its directory fd (-1: relative to the cwd).
 * 0 when nr has no path argument the monitor reads.  Paths are taken as the
 * caller wrote them, made absolute (cwd or dirfd) and normalised ('//', '.',
 * '..'); symbolic links in them are not followed.
 */
static inline __attribute__((always_inline)) int bw_sys_path_arg(unsigned int nr, int *path_idx,
								 int *dirfd_idx)
{
	int p = -1, d = -1;

	switch (nr) {
	case 2:	  /* open */
	case 4:	  /* stat */
	case 6:	  /* lstat */
	case 21:  /* access */
	case 59:  /* execve */
	case 76:  /* truncate */
	case 80:  /* chdir */
	case 82:  /* rename */
	case 83:  /* mkdir */
	case 84:  /* rmdir */
	case 85:  /* creat */
	case 86:  /* link */
	case 87:  /* unlink */
	case 89:  /* readlink */
	case 90:  /* chmod */
	case 92:  /* chown */
	case 94:  /* lchown */
	case 133: /* mknod */
	case 161: /* chroot */
	case 188: /* setxattr */
	case 197: /* removexattr */
		p = 0;
		break;
	case 88: /* symlink: the new link */
		p = 1;
		break;
	case 257: /* openat */
	case 258: /* mkdirat */
	case 259: /* mknodat */
	case 260: /* fchownat */
	case 262: /* newfstatat */
	case 263: /* unlinkat */
	case 264: /* renameat */
	case 265: /* linkat */
	case 267: /* readlinkat */
	case 268: /* fchmodat */
	case 269: /* faccessat */
	case 280: /* utimensat */
	case 316: /* renameat2 */
	case 322: /* execveat */
	case 332: /* statx */
	case 437: /* openat2 */
	case 439: /* faccessat2 */
		p = 1;
		d = 0;
		break;
	case 266: /* symlinkat: the new link */
		p = 2;
		d = 1;
		break;
	default:
		return 0;
	}
	*path_idx = p;
	*dirfd_idx = d;
	return 1;
}

/* bw_sys_config array: index 0. */
struct bw_sys_config {
	__u64 host_mntns; /* tasks in this mount namespace get host rules */
	__u32 enabled;
	__u32 pad;
};

#define BW_SYS_EV_HOST 0x1
#define BW_SYS_EV_PATH 0x2	/* a matchPaths rule: path holds the resolved path */
#define BW_SYS_EV_TRUNCATED 0x4 /* path longer than BW_SYS_PATH_MAX */
#define BW_SYS_PATH_MAX 512	/* path bytes carried in an alert */

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
	__u32 path_len;
	__u32 pad;
	char path[BW_SYS_PATH_MAX];
};

/* bw_sys_stats per-cpu array indexes. */
enum bw_sys_stat {
	BW_SYS_ST_ALERTS = 0,
	BW_SYS_ST_LOST = 1, /* ring buffer full */
	BW_SYS_ST__MAX = 4,
};

#endif
