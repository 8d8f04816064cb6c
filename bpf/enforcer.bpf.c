// SPDX-License-Identifier: GPL-2.0
/*
 * Bulwark's BPF-LSM enforcer.
 *
 * Every hook finds the ruleset of the current task (its cgroup v2 id; host
 * tasks use cgroup 0), builds the hashes of the object (a path and each of its
 * directory prefixes, a socket tuple, a capability) and looks each one up in
 * the active rule map: a fixed number of hash lookups per directory level,
 * whatever the number of rules.  The active rule map is the single entry of
 * bw_enf_rules (an array of maps): the agent builds a complete new map for a
 * new policy and swaps it in with one update, so a hook sees the old rules
 * or the new ones, never a mix (it fetches the inner map once per decision).
 *
 * What holds (tests/vm/scenarios/bpflsm proves each):
 * - Paths are the task's view (walked up to its fs root, across mounts), so a
 *   container's rules name paths inside the container.
 * - Symlinks: hooks see the resolved file, so a rule on the target holds
 *   through any link; a rule naming the link itself does not.
 * - Hard links: exact-path rules also match by inode (dev, ino resolved by
 *   the agent when the policy is applied), so another name of the same file
 *   is caught; directory rules follow the path used.  On overlayfs the agent
 *   sees the overlay inode and the hook the real one: there only the path holds.
 * - A path deeper than BW_ENF_MAX_DEPTH components is not resolved and is
 *   decided by the posture of the operation (default Block), never allowed
 *   silently; kernel-internal files (pipes, sockets, anon inodes) have no
 *   path and are not file-rule objects, but an execve of one (memfd) is
 *   decided as a path.
 * - Host rules apply to tasks in the host mount namespace only; containers
 *   without a ruleset are not affected by them.
 * - Glob patterns ('?', '*', '**'; bw_enf_types.h) are matched against the
 *   resolved path text after the hash lookups, at most BW_ENF_MAX_PATTERNS
 *   per operation and ruleset, each with a bounded number of matcher steps;
 *   a pattern left undecided (bound reached, path text truncated) sends the
 *   decision to the posture unless a Block rule already decided.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>

#include "bw_reason.h"
#include "bw_enf_types.h"
#include "bw_enf_hash.h"

char LICENSE[] SEC("license") = "GPL";

#include "bw_enf_state.h"
#include "bw_enf_walk.h"

/* ---- decision ------------------------------------------------------------ */

struct subject {
	__u64 cgroup_id; /* the ruleset's key: 0 for host rules */
	__u32 uid, owner;
	__u32 write, is_dir;
	__u32 src; /* fromSource id of the current executable, 0: none */
};

struct verdict_acc {
	struct bw_enf_verdict deny;
	__u32 allowed;
	__u32 allow_rule;
};

static __always_inline int deny_applies(__u8 cond, const struct subject *sj)
{
	if (!cond)
		return 1;
	if ((cond & BW_ENF_C_READ_ONLY) && sj->write)
		return 1;
	if ((cond & BW_ENF_C_OWNER_ONLY) && sj->uid != sj->owner)
		return 1;
	return 0;
}

static __always_inline int allow_applies(__u8 cond, const struct subject *sj)
{
	if ((cond & BW_ENF_C_READ_ONLY) && sj->write)
		return 0;
	if ((cond & BW_ENF_C_OWNER_ONLY) && sj->uid != sj->owner)
		return 0;
	return 1;
}

static __always_inline void apply_val(const struct bw_enf_val *v, const struct subject *sj,
				      struct verdict_acc *acc)
{
	if (v->deny.present && deny_applies(v->deny.cond, sj)) {
		/* Most specific first; a Block anywhere beats an Audit. */
		if (!acc->deny.present ||
		    (acc->deny.action == BW_ENF_A_AUDIT && v->deny.action == BW_ENF_A_BLOCK))
			acc->deny = v->deny;
	}
	if (v->allow.present && !acc->allowed && allow_applies(v->allow.cond, sj)) {
		acc->allowed = 1;
		acc->allow_rule = v->allow.rule_id;
	}
}

static __always_inline void consider(void *rules, const struct subject *sj, struct verdict_acc *acc,
				     __u32 kind, __u64 hash, __u32 src)
{
	struct bw_enf_key k = {.cgroup_id = sj->cgroup_id, .hash = hash, .kind = kind, .src = src};
	struct bw_enf_val *v = bpf_map_lookup_elem(rules, &k);

	if (v)
		apply_val(v, sj, acc);
}

static __always_inline void consider2(void *rules, const struct subject *sj,
				      struct verdict_acc *acc, __u32 kind, __u64 hash)
{
	consider(rules, sj, acc, kind, hash, 0);
	if (sj->src)
		consider(rules, sj, acc, kind, hash, sj->src);
}

/* One decision in progress; on the stack, shared with bpf_loop callbacks
 * (each callback is verified once, whatever the loop count). */
struct match_ctx {
	void *rules; /* the inner map fetched once: one generation per decision */
	struct subject sj;
	struct verdict_acc acc;
	__u32 n; /* path components */
	__u32 base_kind;
	__u32 op;    /* BW_ENF_OP_PROCESS or BW_ENF_OP_FILE */
	__u32 flags; /* the ruleset's BW_ENF_F_*: kinds without rules are skipped */
	__u64 ino;   /* the object's inode (0: unknown) */
	__u32 dev;   /* and its filesystem's dev_t */
	__u32 truncated;      /* s->path does not hold the whole path */
	__u32 pat_unresolved; /* a pattern could not be decided */
	__u32 pad;
};

static long match_rec_cb(__u32 i, void *c)
{
	struct match_ctx *mc = c;
	struct scratch *s = get_scratch();

	if (!s || i > mc->n || (i == mc->n && !mc->sj.is_dir))
		return 1;
	consider2(mc->rules, &mc->sj, &mc->acc, mc->base_kind + 2, s->hash[i & (HASH_SLOTS - 1)]);
	return 0;
}

#define GLOB_STEPS_PER_CB 4 /* fewer callback calls; the total stays BW_ENF_GLOB_STEPS */

static long glob_cb(__u32 i, void *c)
{
	struct scratch *s = get_scratch();
	int r;

	if (!s)
		return 1;
	for (int k = 0; k < GLOB_STEPS_PER_CB; k++) {
		r = bw_glob_step(&s->g, s->pat, s->plen, s->path, s->path_len);
		if (r != BW_GLOB_MORE) {
			s->gres = r;
			return 1;
		}
	}
	return 0;
}

/* Pattern i of the ruleset (bw_enf_types.h): loads it, matches s->path. */
static long pattern_cb(__u32 i, void *c)
{
	struct match_ctx *mc = c;
	struct scratch *s = get_scratch();
	struct bw_enf_key k = {.cgroup_id = mc->sj.cgroup_id,
			       .kind = mc->base_kind == BW_ENF_K_PROC_PATH ? BW_ENF_K_PROC_PATTERN
									   : BW_ENF_K_FILE_PATTERN};
	struct bw_enf_val *v, *d;
	__u32 len;

	if (!s || i >= BW_ENF_MAX_PATTERNS)
		return 1;
	/* Nothing outranks a Block (and Block patterns come first). */
	if (mc->acc.deny.present && mc->acc.deny.action == BW_ENF_A_BLOCK)
		return 1;
	k.hash = (__u64)i << 8;
	v = bpf_map_lookup_elem(mc->rules, &k);
	if (!v)
		return 1; /* end of the list */
	if (v->index && v->index != mc->sj.src)
		return 0; /* fromSource of another executable */
	/* A match could change nothing: an Allow already allowed or a rule
	 * whose conditions do not hold for this access. */
	if (!(v->deny.present && deny_applies(v->deny.cond, &mc->sj) &&
	      (!mc->acc.deny.present || v->deny.action == BW_ENF_A_BLOCK)) &&
	    !(v->allow.present && !mc->acc.allowed && allow_applies(v->allow.cond, &mc->sj)))
		return 0;
	len = (__u32)v->version;
	if (len >= BW_ENF_PATTERN_MAX || mc->truncated) {
		mc->pat_unresolved = 1;
		return 0;
	}
	for (__u32 ch = 0; ch < BW_ENF_PATTERN_MAX / BW_ENF_PATTERN_CHUNK; ch++) {
		if (ch * BW_ENF_PATTERN_CHUNK >= len)
			break;
		k.hash = ((__u64)i << 8) | (ch + 1);
		d = bpf_map_lookup_elem(mc->rules, &k);
		if (!d) {
			mc->pat_unresolved = 1;
			return 0;
		}
		__builtin_memcpy(&s->pat[(ch * BW_ENF_PATTERN_CHUNK) &
					 (BW_ENF_PATTERN_MAX - BW_ENF_PATTERN_CHUNK)],
				 d, BW_ENF_PATTERN_CHUNK);
	}
	s->plen = len;
	bw_glob_init(&s->g);
	s->gres = BW_GLOB_MORE;
	bpf_loop(BW_ENF_GLOB_STEPS / GLOB_STEPS_PER_CB, glob_cb, NULL, 0);
	if (s->gres == BW_GLOB_MATCH)
		apply_val(v, &mc->sj, &mc->acc);
	else if (s->gres != BW_GLOB_NOMATCH)
		mc->pat_unresolved = 1;
	return 0;
}

/* Path rules: exact, directory, every ancestor, basename (processes). */
static __always_inline void match_path(struct match_ctx *mc, struct scratch *s, __u64 name_hash)
{
	__u32 n = mc->n;

	consider2(mc->rules, &mc->sj, &mc->acc, mc->base_kind, s->hash[n & (HASH_SLOTS - 1)]);
	if (mc->base_kind == BW_ENF_K_PROC_PATH && (mc->flags & BW_ENF_F_HAS_NAME))
		consider2(mc->rules, &mc->sj, &mc->acc, BW_ENF_K_PROC_NAME, name_hash);
	if (mc->ino && (mc->flags & BW_ENF_F_HAS_INODE(mc->op)))
		consider(mc->rules, &mc->sj, &mc->acc,
			 mc->base_kind == BW_ENF_K_PROC_PATH ? BW_ENF_K_PROC_INODE
							     : BW_ENF_K_FILE_INODE,
			 mc->ino, mc->dev);
	if (mc->flags & BW_ENF_F_HAS_DIR(mc->op)) {
		if (n >= 1)
			consider2(mc->rules, &mc->sj, &mc->acc, mc->base_kind + 1,
				  s->hash[(n - 1) & (HASH_SLOTS - 1)]);
		if (mc->sj.is_dir)
			consider2(mc->rules, &mc->sj, &mc->acc, mc->base_kind + 1,
				  s->hash[n & (HASH_SLOTS - 1)]);
	}
	if (mc->flags & BW_ENF_F_HAS_REC(mc->op))
		bpf_loop(BW_ENF_MAX_DEPTH + 1, match_rec_cb, mc, 0);
	mc->pat_unresolved = 0;
	if (mc->flags & BW_ENF_F_HAS_PATTERN(mc->op))
		bpf_loop(BW_ENF_MAX_PATTERNS, pattern_cb, mc, 0);
}

/* A pattern left undecided matters unless a Block decided anyway. */
static __always_inline __u32 pattern_unresolved(const struct match_ctx *mc)
{
	return mc->pat_unresolved &&
	       !(mc->acc.deny.present && mc->acc.deny.action == BW_ENF_A_BLOCK);
}

/* fromSource: the current executable's source id in this ruleset, 0: none. */
static __always_inline __u32 source_id(void *rules, struct scratch *s, __u64 cgroup_id)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct file *exe = BPF_CORE_READ(task, mm, exe_file);
	struct resolved r = {};
	struct bw_enf_key k = {.cgroup_id = cgroup_id};
	struct bw_enf_val *v;

	if (!exe)
		return 0;
	resolve(s, &exe->f_path, &r);
	if (r.unresolved)
		return 0;
	k.kind = BW_ENF_K_SRC_PATH;
	k.hash = s->hash[r.n & (HASH_SLOTS - 1)];
	v = bpf_map_lookup_elem(rules, &k);
	if (v)
		return v->index;
	if (r.n >= 1) {
		k.kind = BW_ENF_K_SRC_DIR;
		k.hash = s->hash[(r.n - 1) & (HASH_SLOTS - 1)];
		v = bpf_map_lookup_elem(rules, &k);
		if (v)
			return v->index;
	}
	k.kind = BW_ENF_K_SRC_REC;
	for (__u32 i = 0; i < BW_ENF_MAX_DEPTH; i++) {
		if (i >= r.n)
			break;
		k.hash = s->hash[(r.n - 1 - i) & (HASH_SLOTS - 1)];
		v = bpf_map_lookup_elem(rules, &k);
		if (v)
			return v->index;
	}
	return 0;
}

/* Rules and ruleset for the current task; NULL when nothing applies. */
static __always_inline struct bw_enf_val *task_ruleset(void **rules_out, __u64 *cg_out, __u32 op)
{
	__u32 zero = 0;
	struct bw_enf_config *cfg = bpf_map_lookup_elem(&bw_enf_config, &zero);
	void *rules = bpf_map_lookup_elem(&bw_enf_rules, &zero);
	struct bw_enf_key k = {.kind = BW_ENF_K_RULESET};
	struct bw_enf_val *rs;

	if (!cfg || !cfg->enabled || !rules)
		return NULL;
	k.cgroup_id = bpf_get_current_cgroup_id();
	rs = bpf_map_lookup_elem(rules, &k);
	if (!rs) {
		/* A task in a cgroup below a container's (a container that
		 * made sub-cgroups with a writable cgroupfs) keeps the
		 * container's rules: moving cannot shed them. */
		struct task_struct *task = (void *)bpf_get_current_task();
		int level = BPF_CORE_READ(task, cgroups, dfl_cgrp, level);

		for (int i = 1; i <= BW_ENF_MAX_CGROUP_NESTING; i++) {
			if (level - i < 1)
				break;
			k.cgroup_id = bpf_get_current_ancestor_cgroup_id(level - i);
			rs = bpf_map_lookup_elem(rules, &k);
			if (rs)
				break;
		}
	}
	if (!rs) {
		/* Host rules are for host tasks only, not for containers that
		 * simply have no policy. */
		struct task_struct *task = (void *)bpf_get_current_task();
		__u64 mntns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);

		if (mntns != cfg->host_mntns)
			return NULL;
		k.cgroup_id = 0;
		rs = bpf_map_lookup_elem(rules, &k);
		if (!rs)
			return NULL;
	}
	if (!(rs->flags & BW_ENF_F_HAS_RULES(op)))
		return NULL;
	*rules_out = rules;
	*cg_out = k.cgroup_id;
	return rs;
}

/* Turns the matches into a reason: RULE_BLOCK, RULE_AUDIT, POSTURE_*, NONE. */
static __always_inline __u32 decide(const struct bw_enf_val *rs, __u32 op,
				    const struct verdict_acc *acc, __u32 unresolved, __u32 *rule_id)
{
	int block_posture = !!(rs->flags & BW_ENF_F_POSTURE_BLOCK(op));

	*rule_id = BW_ENF_RULE_NONE;
	if (unresolved)
		return block_posture ? BW_REASON_UNRESOLVED_BLOCK : BW_REASON_UNRESOLVED_AUDIT;
	if (acc->deny.present) {
		*rule_id = acc->deny.rule_id;
		if (acc->deny.action == BW_ENF_A_BLOCK)
			return BW_REASON_RULE_BLOCK;
		return BW_REASON_RULE_AUDIT;
	}
	if ((rs->flags & BW_ENF_F_ALLOWLIST(op)) && !acc->allowed)
		return block_posture ? BW_REASON_POSTURE_BLOCK : BW_REASON_POSTURE_AUDIT;
	return BW_REASON_NONE;
}

static __always_inline int is_denial(__u32 reason)
{
	return reason == BW_REASON_RULE_BLOCK || reason == BW_REASON_POSTURE_BLOCK ||
	       reason == BW_REASON_UNRESOLVED_BLOCK;
}

struct alert_info {
	__u64 cgroup_id, version;
	__u32 hook, op, reason, rule_id;
	__u32 family, type, protocol;
	__s32 cap;
	__u32 flags;
};

static __always_inline void emit(const struct alert_info *ai, struct scratch *s, __u32 path_len)
{
	struct task_struct *task = (void *)bpf_get_current_task();
	struct bw_enf_event *ev;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	stat_inc(is_denial(ai->reason) ? BW_ENF_ST_DENIED : BW_ENF_ST_AUDITED);
	ev = bpf_ringbuf_reserve(&bw_enf_events, sizeof(*ev), 0);
	if (!ev) {
		stat_inc(BW_ENF_ST_LOST);
		return;
	}
	ev->ts_boot_ns = bpf_ktime_get_boot_ns();
	/* The ruleset's cgroup (the container's, also for a task in a
	 * sub-cgroup of it); the task's own for host rules. */
	ev->cgroup_id = ai->cgroup_id ? ai->cgroup_id : bpf_get_current_cgroup_id();
	ev->version = ai->version;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->rule_id = ai->rule_id;
	ev->hook = ai->hook;
	ev->reason = ai->reason;
	ev->op = ai->op;
	ev->family = ai->family;
	ev->type = ai->type;
	ev->protocol = ai->protocol;
	ev->cap = ai->cap;
	ev->flags = ai->flags | (ai->cgroup_id == 0 ? BW_ENF_EV_HOST : 0);
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	ev->path_len = 0;
	ev->path[0] = 0;
	if (s && path_len) {
		__u32 n = path_len;

		if (n >= BW_ENF_PATH_MAX) {
			n = BW_ENF_PATH_MAX - 1;
			ev->flags |= BW_ENF_EV_TRUNCATED;
		}
		bpf_probe_read_kernel(ev->path, n & (BW_ENF_PATH_MAX - 1), s->path);
		ev->path[n & (BW_ENF_PATH_MAX - 1)] = 0;
		ev->path_len = n;
	}
	bpf_ringbuf_submit(ev, 0);
}

/* ---- path hooks ---------------------------------------------------------- */

static __always_inline int check_path(const struct path *p, struct inode *ino, __u32 op,
				      __u32 write, __u32 hook)
{
	void *rules;
	__u64 cg;
	struct bw_enf_val *rs = task_ruleset(&rules, &cg, op);
	struct scratch *s;
	struct match_ctx mc = {};
	struct resolved r = {};
	struct alert_info ai = {};
	__u32 reason;

	if (!rs)
		return 0;
	/* Pipes, sockets, anonymous inodes live on kernel-internal mounts
	 * and have no path a rule could name: file rules do not apply (a
	 * container writing to its stdout pipe is not a file access).  An
	 * execve of such a file (memfd) is still decided, as a path. */
	if (op == BW_ENF_OP_FILE && (BPF_CORE_READ(p, mnt, mnt_flags) & MNT_INTERNAL))
		return 0;
	s = get_scratch();
	if (!s)
		return 0;
	mc.rules = rules;
	mc.sj.cgroup_id = cg;
	mc.sj.write = write;
	mc.sj.uid = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), cred, fsuid.val);
	mc.sj.owner = BPF_CORE_READ(ino, i_uid.val);
	mc.sj.is_dir = (BPF_CORE_READ(ino, i_mode) & S_IFMT) == S_IFDIR;
	mc.base_kind = op == BW_ENF_OP_PROCESS ? BW_ENF_K_PROC_PATH : BW_ENF_K_FILE_PATH;
	mc.op = op;
	mc.flags = rs->flags;
	mc.ino = BPF_CORE_READ(ino, i_ino);
	mc.dev = BPF_CORE_READ(ino, i_sb, s_dev);
	/* The scratch area is per CPU and LSM programs only disable
	 * migration: on a fully preemptible kernel another task may run a
	 * hook on this CPU in the middle of ours.  Its owner mark tells;
	 * the decision is then redone, and after a second clobbering it is
	 * left to the posture like an unresolvable path. */
	for (int attempt = 0; attempt < 2; attempt++) {
		__u64 me = bpf_get_current_task();

		s->owner = me;
		mc.sj.src = 0;
		__builtin_memset(&mc.acc, 0, sizeof(mc.acc));
		if (rs->flags & BW_ENF_F_HAS_SOURCES)
			mc.sj.src = source_id(rules, s, cg);
		resolve(s, p, &r);
		if (!r.unresolved) {
			mc.n = r.n;
			mc.truncated = r.truncated;
			match_path(&mc, s, r.name_hash);
			r.unresolved = pattern_unresolved(&mc);
		}
		if (s->owner == me)
			break;
		r.unresolved = attempt == 1;
	}
	if (r.unresolved)
		stat_inc(BW_ENF_ST_UNRESOLVED);
	reason = decide(rs, op, &mc.acc, r.unresolved, &ai.rule_id);
	if (reason == BW_REASON_NONE)
		return 0;
	ai.cgroup_id = cg;
	ai.version = rs->version;
	ai.hook = hook;
	ai.op = op;
	ai.reason = reason;
	ai.cap = -1;
	emit(&ai, s, r.path_len);
	return is_denial(reason) ? -EPERM : 0;
}

SEC("lsm/bprm_check_security")
int BPF_PROG(bw_enf_bprm, struct linux_binprm *bprm, int ret)
{
	struct file *f;

	if (ret)
		return ret;
	f = BPF_CORE_READ(bprm, file);
	if (!f)
		return 0;
	return check_path(&f->f_path, BPF_CORE_READ(f, f_inode), BW_ENF_OP_PROCESS, 0,
			  BW_HOOK_BPRM_CHECK);
}

SEC("lsm/file_open")
int BPF_PROG(bw_enf_file_open, struct file *file, int ret)
{
	__u32 mode;

	if (ret)
		return ret;
	mode = BPF_CORE_READ(file, f_mode);
	/* Opening a binary for execve is the process rules' business. */
	if (mode & FMODE_EXEC)
		return 0;
	return check_path(&file->f_path, BPF_CORE_READ(file, f_inode), BW_ENF_OP_FILE,
			  !!(mode & FMODE_WRITE), BW_HOOK_FILE_OPEN);
}

SEC("lsm/file_permission")
int BPF_PROG(bw_enf_file_permission, struct file *file, int mask, int ret)
{
	if (ret)
		return ret;
	/* Reads were decided at open; writes are re-checked so that a
	 * descriptor opened before the policy cannot bypass readOnly. */
	if (!(mask & (MAY_WRITE | MAY_APPEND)))
		return 0;
	return check_path(&file->f_path, BPF_CORE_READ(file, f_inode), BW_ENF_OP_FILE, 1,
			  BW_HOOK_FILE_PERMISSION);
}

/* ---- network and capabilities -------------------------------------------- */

static __always_inline int check_simple(__u32 op, __u32 hook, __u32 kind, __u64 hashes[8], __u32 nh,
					struct alert_info *ai, __u32 noaudit)
{
	void *rules;
	__u64 cg;
	struct bw_enf_val *rs = task_ruleset(&rules, &cg, op);
	struct subject sj = {};
	struct verdict_acc acc = {};
	__u32 reason;

	if (!rs)
		return 0;
	sj.cgroup_id = cg;
	if (rs->flags & BW_ENF_F_HAS_SOURCES) {
		struct scratch *s = get_scratch();

		if (s)
			sj.src = source_id(rules, s, cg);
	}
	for (__u32 i = 0; i < 8; i++) {
		if (i >= nh)
			break;
		consider2(rules, &sj, &acc, kind, hashes[i]);
	}
	reason = decide(rs, op, &acc, 0, &ai->rule_id);
	if (reason == BW_REASON_NONE)
		return 0;
	ai->cgroup_id = cg;
	ai->version = rs->version;
	ai->hook = hook;
	ai->op = op;
	ai->reason = reason;
	if (!noaudit)
		emit(ai, NULL, 0);
	return is_denial(reason) ? -EPERM : 0;
}

static __always_inline int check_socket(__u32 family, __u32 type, __u32 protocol, __u32 hook)
{
	struct alert_info ai = {};
	__u64 h[8];

	/* Network rules are about IP traffic (KubeArmor's tcp, udp, icmp,
	 * raw) and packet sockets; local IPC (unix, netlink) is not theirs
	 * and an allow-list of protocols must not cut it off. */
	if (family != AF_INET && family != AF_INET6 && family != AF_PACKET)
		return 0;
	type &= SOCK_TYPE_MASK;
	if (protocol == 0 && (family == AF_INET || family == AF_INET6)) {
		if (type == SOCK_STREAM)
			protocol = IPPROTO_TCP;
		else if (type == SOCK_DGRAM)
			protocol = IPPROTO_UDP;
	}
	/* Every combination of "any" in a rule: 8 lookups. */
	for (int i = 0; i < 8; i++)
		h[i] = bw_enf_net_hash(i & 1 ? 0 : family, i & 2 ? 0 : type, i & 4 ? 0 : protocol);
	ai.family = family;
	ai.type = type;
	ai.protocol = protocol;
	ai.cap = -1;
	return check_simple(BW_ENF_OP_NETWORK, hook, BW_ENF_K_NET, h, 8, &ai, 0);
}

static __always_inline int check_sock(struct socket *sock, __u32 hook)
{
	struct sock *sk = BPF_CORE_READ(sock, sk);

	if (!sk)
		return 0;
	return check_socket(BPF_CORE_READ(sk, __sk_common.skc_family), BPF_CORE_READ(sock, type),
			    BPF_CORE_READ(sk, sk_protocol), hook);
}

SEC("lsm/socket_create")
int BPF_PROG(bw_enf_socket_create, int family, int type, int protocol, int kern, int ret)
{
	if (ret || kern)
		return ret;
	return check_socket(family, type, protocol, BW_HOOK_SOCKET_CREATE);
}

SEC("lsm/socket_bind")
int BPF_PROG(bw_enf_socket_bind, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	return ret ? ret : check_sock(sock, BW_HOOK_SOCKET_BIND);
}

SEC("lsm/socket_listen")
int BPF_PROG(bw_enf_socket_listen, struct socket *sock, int backlog, int ret)
{
	return ret ? ret : check_sock(sock, BW_HOOK_SOCKET_LISTEN);
}

SEC("lsm/socket_accept")
int BPF_PROG(bw_enf_socket_accept, struct socket *sock, struct socket *newsock, int ret)
{
	return ret ? ret : check_sock(sock, BW_HOOK_SOCKET_ACCEPT);
}

SEC("lsm/socket_connect")
int BPF_PROG(bw_enf_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen,
	     int ret)
{
	return ret ? ret : check_sock(sock, BW_HOOK_SOCKET_CONNECT);
}

SEC("lsm/capable")
int BPF_PROG(bw_enf_capable, const struct cred *cred, struct user_namespace *ns, int cap,
	     unsigned int opts, int ret)
{
	struct alert_info ai = {};
	__u64 h[8] = {};

	if (ret)
		return ret;
	h[0] = (__u64)cap;
	ai.cap = cap;
	/* A no-audit check is a probe (e.g. "may I?"): decide, stay quiet. */
	return check_simple(BW_ENF_OP_CAPABILITY, BW_HOOK_CAPABLE, BW_ENF_K_CAP, h, 1, &ai,
			    opts & CAP_OPT_NOAUDIT);
}

/* ---- matching probe (BPF_PROG_TEST_RUN) ------------------------------------ */

struct probe_ctx {
	__u32 reason, rule_id;
};

/* One byte of a '/'-separated path (copied into s->name). */
static long probe_hash_cb(__u32 j, void *c)
{
	struct scratch *s = get_scratch();
	unsigned char ch;

	if (!s)
		return 1;
	ch = s->name[j & 255];
	if (!ch)
		return 1;
	s->path[j & 255] = ch;
	s->path_len = j + 1;
	if (ch == '/') {
		if (j > 0) {
			s->n++;
			s->hash[s->n & (HASH_SLOTS - 1)] = s->h;
		}
		s->nh = BW_FNV_BASIS;
	} else {
		s->nh = bw_fnv_byte(s->nh, ch);
	}
	s->h = bw_fnv_byte(s->h, ch);
	return 0;
}

/* Hashes the path like walk_down does and runs the decision. */
static long probe_once(__u32 i, void *c)
{
	struct probe_ctx *pc = c;
	struct scratch *s = get_scratch();
	__u32 zero = 0;
	void *rules = bpf_map_lookup_elem(&bw_enf_rules, &zero);
	struct bw_enf_key k = {.kind = BW_ENF_K_RULESET};
	struct bw_enf_val *rs;
	struct match_ctx mc = {};
	__u32 op;

	if (!s || !rules)
		return 1;
	/* Callbacks cannot reach the syscall ctx: the input was copied here. */
	op = s->probe.op == BW_ENF_OP_PROCESS ? BW_ENF_OP_PROCESS : BW_ENF_OP_FILE;
	k.cgroup_id = s->probe.cgroup_id;
	rs = bpf_map_lookup_elem(rules, &k);
	if (!rs || !(rs->flags & BW_ENF_F_HAS_RULES(op))) {
		pc->reason = BW_REASON_NONE;
		pc->rule_id = BW_ENF_RULE_NONE;
		return 0;
	}
	s->hash[0] = BW_FNV_BASIS;
	__builtin_memcpy(s->name, s->probe.path, sizeof(s->probe.path));
	s->name[255] = 0;
	s->n = 0;
	s->h = BW_FNV_BASIS;
	s->nh = BW_FNV_BASIS;
	s->path_len = 0;
	bpf_loop(256, probe_hash_cb, NULL, 0);
	if (s->h != BW_FNV_BASIS) {
		s->n++;
		s->hash[s->n & (HASH_SLOTS - 1)] = s->h;
	}
	mc.rules = rules;
	mc.n = s->n;
	mc.op = op;
	mc.flags = rs->flags;
	mc.base_kind = op == BW_ENF_OP_PROCESS ? BW_ENF_K_PROC_PATH : BW_ENF_K_FILE_PATH;
	mc.sj.cgroup_id = s->probe.cgroup_id;
	mc.sj.uid = s->probe.uid;
	mc.sj.owner = s->probe.owner;
	mc.sj.write = s->probe.write;
	mc.sj.is_dir = s->probe.is_dir;
	mc.sj.src = s->probe.src;
	match_path(&mc, s, s->nh);
	pc->reason = decide(rs, op, &mc.acc, pattern_unresolved(&mc), &pc->rule_id);
	return 0;
}

SEC("syscall")
int bw_enf_match_probe(struct bw_enf_match_args *args)
{
	struct probe_ctx pc = {};
	__u32 iters = args->iterations ? args->iterations : 1;
	struct scratch *s = get_scratch();
	__u64 t0;

	if (!s)
		return 0;
	__builtin_memcpy(&s->probe, args, sizeof(s->probe));
	t0 = bpf_ktime_get_ns();
	bpf_loop(iters, probe_once, &pc, 0);
	args->ns = bpf_ktime_get_ns() - t0;
	args->reason = pc.reason;
	args->rule_id = pc.rule_id;
	args->verdict = is_denial(pc.reason) ? -EPERM : 0;
	return 0;
}
