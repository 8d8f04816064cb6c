/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A compact text form of a CompiledPolicy for enforcer tests and the VM
 * scenarios (the real policy compiler is tested elsewhere; these tests are
 * about what an enforcer does with rules).  One directive per line:
 *
 *   set <container-id> [cgroup=<dir under the cgroup v2 root>|cgid=<n>] [opts]
 *   host [opts]
 *   rule <process|file|network|capability|syscall> <match> <value> <Block|Audit|Allow>
 *        [readOnly] [ownerOnly] [from=<bin>] [fromdir=<dir/>] [fromrdir=<dir/>]
 *        [policy=<name>] [ns=<ns>] [severity=<n>] [tags=a,b] [message=<word>]
 *        [ports=<n>[-<m>]] (address rules)
 *   apparmor <raw AppArmor rule text to the end of the line>
 *   preset <name>
 *
 * In values, %20 stands for a space (tokens are space-separated).
 *
 * match: path dir rdir pattern execname protocol capability syscall preset
 * apparmor address (address: an IPv4/IPv6 address or CIDR).
 * Network values: tcp udp icmp icmpv6 raw, or family:type:protocol numbers.
 * Capability values: net_raw, sys_admin, ... (without CAP_).
 * opts: file_posture=, network_posture=, capability_posture= (audit|block).
 * An operation with an Allow rule is in allow-list mode (process follows file).
 */
#ifndef BW_TESTPOLICY_H
#define BW_TESTPOLICY_H

#include <stddef.h>
#include "bulwark.pb-c.h"

/* Returns 0 and a new policy (free with bw_testpolicy_free), or -EINVAL
 * with "line N: what" in err. */
int bw_testpolicy_parse(const char *text, uint64_t version, Bulwark__V1__CompiledPolicy **out,
			char *err, size_t errlen);
void bw_testpolicy_free(Bulwark__V1__CompiledPolicy *cp);

#endif
