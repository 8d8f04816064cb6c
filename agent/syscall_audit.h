/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall monitor (bpf/syscall_audit.bpf.c): KubeArmor's matchSyscalls
 * rules (Rule operation OP_SYSCALL, match MATCH_SYSCALL, with fromSource
 * paths) reported as audit alerts, on every node (a tracepoint, no BPF-LSM
 * needed).  Nothing is refused: a Block rule gives Action "Audit (Block)",
 * an Audit rule "Audit", Result "Passed".  Alerts: operation "Syscall",
 * resource "SYS_UNLINKAT", data "syscall=SYS_UNLINKAT", enforcer
 * "eBPF Monitor", the rule's origin.
 *
 * Syscalls matchPaths rules (MATCH_PATH, MATCH_DIR, MATCH_DIR_RECURSIVE
 * under OP_SYSCALL) are evaluated for the syscalls with a path argument
 * (bw_sys_path_arg in bpf/syscall_audit_abi.h: the path as the caller wrote
 * it, made absolute against the cwd or dirfd, '.', '..' and '//' resolved,
 * symlinks not followed); their alerts carry the path as resource.
 * Not evaluated (listed as unenforced by apply): path rules on other
 * syscalls, fromSource directories, Allow rules.
 *
 * A rule on a hot syscall alerts on every call: the agent's alert throttling
 * bounds what is shipped, and records the ring buffer cannot take are counted
 * (BW_SYS_ST_LOST).  Cost (bench/run syscall-audit): while any rule is
 * loaded, the syscall slow path and one hash lookup for every syscall of the
 * node; path resolution only for the syscalls a matchPaths rule names.
 * Without rules the tracepoint is detached and costs nothing.
 */
#ifndef BW_SYSCALL_AUDIT_H_AGENT
#define BW_SYSCALL_AUDIT_H_AGENT

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bulwark.pb-c.h"
#include "enforcer.h"
#include "syscall_audit_abi.h"

struct event_base;
struct bw_syscall_audit;

/*
 * Loads the tracepoint program and checks that the kernel lets it attach.
 * It stays attached only while at least one rule is loaded: an attached
 * syscall tracepoint puts every syscall of the node on the kernel's slow
 * path.  With base, alerts are delivered to on_alert from base's loop;
 * without, by bw_syscall_audit_poll only.  Nothing is monitored until the
 * first apply.  *out (freed with bw_syscall_audit_free) only on success;
 * negative errno otherwise (logged).
 */
int bw_syscall_audit_new(struct bw_syscall_audit **out, struct event_base *base,
			 bw_enforcer_alert_fn on_alert, void *arg);

/*
 * Makes cp's syscall rules the monitored ones, atomically (one map swap).
 * Rules it cannot evaluate are appended as text to *unenforced (caller frees
 * each and the array; both may be NULL).  On failure the old rules stay and
 * err says why.  cp stays the caller's.
 */
int bw_syscall_audit_apply(struct bw_syscall_audit *sa, const Bulwark__V1__CompiledPolicy *cp,
			   char ***unenforced, size_t *n_unenforced, char *err, size_t errlen);

/* Whether the tracepoint is attached now (rules are loaded). */
int bw_syscall_audit_attached(const struct bw_syscall_audit *sa);

/* Delivers pending alerts, waiting up to timeout_ms for the first; count or
 * negative errno. */
int bw_syscall_audit_poll(struct bw_syscall_audit *sa, int timeout_ms);

/* Kernel counters (enum bw_sys_stat) summed over CPUs. */
int bw_syscall_audit_stats(struct bw_syscall_audit *sa, uint64_t out[BW_SYS_ST__MAX]);

void bw_syscall_audit_free(struct bw_syscall_audit *sa);

/* Translation alone (no kernel): the map entries for cp.  resolve finds a
 * fromSource executable's (dev, inode) in a ruleset's view; NULL: fromSource
 * rules are listed as unenforced. */
struct bw_sys_entry {
	struct bw_sys_key key;
	struct bw_sys_val val;
};
typedef int (*bw_sys_inode_fn)(void *arg, uint64_t cgroup_id, const char *path, uint32_t *dev,
			       uint64_t *ino);
int bw_syscall_audit_build(const Bulwark__V1__CompiledPolicy *cp, bw_sys_inode_fn resolve,
			   void *resolve_arg, struct bw_sys_entry **entries, size_t *n,
			   char ***unenforced, size_t *n_unenforced, char *err, size_t errlen);

#endif
