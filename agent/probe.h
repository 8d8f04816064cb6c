/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Enforcer probe and selection helpers (bw_enforcer_probe itself is declared
 * in enforcer.h).  The probe changes nothing lasting: it may mount securityfs
 * when it is missing, and it loads throw-away programs to learn whether the
 * kernel accepts them (detached and closed before it returns).
 */
#ifndef BW_PROBE_H
#define BW_PROBE_H

#include <stdio.h>
#include <stddef.h>

#include "enforcer.h"

/*
 * Which backend bw_enforcer_new uses for prefer ("auto", "bpflsm",
 * "apparmor", "cgroup", "none"; NULL means "auto") on a node probed as p.
 * For an explicit preference the backend is returned only when the probe
 * says it can run; else ENFORCER_NONE and -ENOTSUP in *rc.  *rc is 0 on
 * success and -EINVAL for an unknown preference.
 */
Bulwark__V1__Enforcer bw_probe_choose(const struct bw_probe *p, const char *prefer, int *rc);

/* "BPFLSM", "AppArmor", "CgroupBPF", "none". */
const char *bw_enforcer_kind_name(Bulwark__V1__Enforcer k);

/*
 * What a backend cannot enforce, as short lines (NULL-terminated static
 * array): the same wording the agent reports as "unenforceable" in Register.
 */
const char *const *bw_enforcer_limits(Bulwark__V1__Enforcer k);

/*
 * The cgroup v2 mount point: the first cgroup2 entry of /proc/self/mountinfo
 * (/sys/fs/cgroup on unified hosts, /sys/fs/cgroup/unified on hybrid ones).
 * Returns 0 or -ENOENT.
 */
int bw_cgroup2_root(char *buf, size_t len);

/*
 * Prints the probe (active LSMs, each backend and why it is missing, the one
 * "auto" picks, what it cannot enforce).  Returns an exit code: 0 when a
 * kernel enforcer (BPF-LSM, AppArmor or the cgroup fallback) can run, 1 when
 * none can.
 */
int bw_probe_print(FILE *out);

#endif
