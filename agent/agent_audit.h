/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Audit-only matching: the rules the active enforcer cannot put into the
 * kernel (file and process rules under the cgroup-BPF fallback, everything
 * without an enforcer, host rules under AppArmor) are matched in user space
 * against the monitor's logs, so a violation is still reported, as KubeArmor
 * does when enforcement is off: an alert with Action "Audit (Block)" (or
 * "Audit" for an Audit rule), Result as the syscall returned, Enforcer
 * "eBPF Monitor".  Nothing is refused.
 *
 * Covered: process (exec) and file (open) rules by path, directory,
 * recursive directory, glob pattern and exec name, with readOnly (writes
 * only) and fromSource; capability rules by name.  Not covered (no alert):
 * ownerOnly rules (the log lacks the file's owner), Allow rules and the
 * default posture of allow-lists, network and syscall rules.  Only what the
 * visibility settings let the monitor log can be matched.
 */
#ifndef BW_AGENT_AUDIT_H
#define BW_AGENT_AUDIT_H

#include <stdint.h>

#include "bulwark.pb-c.h"

enum {
	BW_AUDIT_PROCESS = 1u << 0,
	BW_AUDIT_FILE = 1u << 1,
	BW_AUDIT_CAPS = 1u << 2,
};

/* Operations an enforcer leaves to audit-only matching, per rule set. */
unsigned bw_audit_ops(Bulwark__V1__Enforcer kind, int host);

/*
 * The first rule of rs (Block before Audit) that ev, a ContainerLog or
 * HostLog, violates within the operations in ops; NULL when none does.
 */
const Bulwark__V1__Rule *bw_audit_match(const Bulwark__V1__RuleSet *rs, unsigned ops,
					const Bulwark__V1__Event *ev);

/*
 * Is label (as /proc/PID/attr/current shows it, "NAME (MODE)" or
 * "unconfined") one of the host profiles the AppArmor enforcer loads
 * (bulwark-host, its children, bulwark-host.<source>)?  Such a process is
 * confined by the kernel, which alerts itself; audit-only matching skips it
 * so a violation is not reported twice.
 */
int bw_audit_label_is_host(const char *label);

/*
 * bw_audit_label_is_host() for the running process pid; 0 when its label
 * cannot be read (it exited, or AppArmor is off): then the audit-only alert
 * is kept, since one alert too many beats a missing one.
 */
int bw_audit_pid_is_host_confined(uint32_t pid);

/* "Audit (Block)" for a Block rule, "Audit" for an Audit rule. */
const char *bw_audit_action(const Bulwark__V1__Rule *r);

#endif
