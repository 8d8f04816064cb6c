/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-side construction of CompiledPolicy messages (what the controller's
 * compiler produces), so enforcer tests do not depend on the policy library.
 * Everything is malloc'ed: free with bulwark__v1__compiled_policy__free_unpacked.
 */
#ifndef BW_TEST_POL_H
#define BW_TEST_POL_H

#include <stdint.h>

#include "bulwark.pb-c.h"

Bulwark__V1__CompiledPolicy *pol_new(uint64_t version);
/* cgroup_id 0 with host=1 gives cp->host. */
Bulwark__V1__RuleSet *pol_ruleset(Bulwark__V1__CompiledPolicy *cp, int host, uint64_t cgroup_id,
				  const char *container_id);
Bulwark__V1__Rule *pol_rule(Bulwark__V1__RuleSet *rs, Bulwark__V1__Operation op,
			    Bulwark__V1__MatchKind match, const char *value,
			    Bulwark__V1__Action action, const char *policy_name);
void pol_source(Bulwark__V1__Rule *r, const char *path, int dir, int recursive);
void pol_protocol(Bulwark__V1__Rule *r, uint32_t family, uint32_t type, uint32_t protocol,
		  const char *name);

/*
 * One rule from a text line (the scenario language of tests/vm):
 *   <process|file|network|capability> <path|dir|rdir|name|proto|cap> VALUE
 *   [block|audit|allow] [ownerOnly] [readOnly] [from=PATH] [fromdir=DIR]
 *   [fromrdir=DIR] [policy=NAME] [severity=N] [tags=a,b] [message=TEXT_]
 * proto VALUE: tcp, udp, icmp, raw or family/type/protocol numbers "2/1/6".
 * cap VALUE: a CAP_* name or number.  Returns 0 or -EINVAL with err.
 */
int pol_rule_parse(Bulwark__V1__RuleSet *rs, char *line, char *err, size_t errlen);

#endif
