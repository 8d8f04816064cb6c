/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by the enforcer backends (agent-internal).
 */
#ifndef BW_ENFORCE_PRIV_H
#define BW_ENFORCE_PRIV_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/sysmacros.h>

#include "bw_file.h"
#include "enforcer.h"

/* Appends a formatted line to an unenforced list (both may be NULL: then
 * nothing is recorded).  Returns 0 or -ENOMEM. */
int bw_unenforced_add(char ***list, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bw_unenforced_vadd(char ***list, size_t *n, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* mkdir -p with mode 0700.  Returns 0 or negative errno. */
int bw_mkdir_p(const char *dir);
/*
 * A process of the cgroup v2 cgroup whose id (inode) is cgroup_id, found
 * under /sys/fs/cgroup or /sys/fs/cgroup/unified: its /proc/PID/root is the
 * container's view of the filesystem.  The pid, or negative errno.
 */
int bw_cgroup_pid(uint64_t cgroup_id);
/*
 * The host's mount namespace (its inode): init's, since the agent may run
 * in a container with hostPID; the agent's own when /proc/1 is not visible.
 * 0 when neither can be read.
 */
uint64_t bw_host_mntns(void);
/* st_dev as BPF programs read it (the kernel's s_dev: major << 20 | minor). */
#define BW_KERNEL_DEV(d) ((uint32_t)((major(d) << 20) | minor(d)))
/* 1 when dir is on a bpffs (pins there outlive the process), else 0. */
int bw_on_bpffs(const char *dir);
/*
 * Sums a per-CPU array map of __u64 counters indexed 0..n_keys-1 into
 * out[0..n_keys-1] (keys that fail to read count 0).  0 or negative errno.
 */
int bw_percpu_sum(int map_fd, uint32_t n_keys, uint64_t *out);

/* "File", "Process", "Network", "Capabilities", "Syscall". */
const char *bw_rule_operation_name(Bulwark__V1__Operation op);
/* "Block", "Audit", "Allow". */
const char *bw_rule_action_name(Bulwark__V1__Action a);

/*
 * One line naming a rule for humans: "file path /etc/shadow Block
 * (policy default/ksp-x)"; "container abc123" or "host" prefix from rs.
 */
void bw_rule_describe(const Bulwark__V1__RuleSet *rs, const Bulwark__V1__Rule *r, char *buf,
		      size_t len);

/*
 * Network allow-list mode as far as protocols go: the rule set is in
 * network allow-list mode AND has an Allow rule by protocol.  Allow rules by
 * address alone (which the AppArmor and cgroup backends cannot enforce)
 * must not turn every socket into an allow-list miss.
 */
int bw_rs_protocol_allowlist(const Bulwark__V1__RuleSet *rs);

/* Backend constructors (enforce_apparmor.c, enforce_cgroup.c, enforcer.c). */
int bw_enforcer_apparmor_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts);
int bw_enforcer_cgroup_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts);
int bw_enforcer_none_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts);

#endif
