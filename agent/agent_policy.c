/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Policy from the controller into the enforcer.  The agent keeps the last
 * policy it was sent so that a container change on this node can be
 * re-applied at once, with the cgroup ids the agent sees, without waiting
 * for the controller's round trip.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_int.h"
#include "bw_log.h"

static void free_unenforced(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/*
 * The controller compiles with the cgroup ids agents reported; a container
 * that restarted since has a new one.  The local discovery is the fresher
 * truth, so rule sets are re-keyed from it before they reach the kernel.
 */
static size_t fix_cgroup_ids(struct bw_agent *a, Bulwark__V1__CompiledPolicy *cp)
{
	size_t changed = 0;

	for (size_t i = 0; i < cp->n_containers; i++) {
		Bulwark__V1__RuleSet *rs = cp->containers[i];
		const struct bw_container *c;

		/* A container not running here keeps the controller's id: it
		 * names a dead cgroup, never 0 (which would mean the host). */
		if (!rs->container_id || !*rs->container_id || !a->ctrs)
			continue;
		c = bw_containers_by_id(a->ctrs, rs->container_id);
		if (c && c->cgroup_id && c->cgroup_id != rs->cgroup_id) {
			rs->cgroup_id = c->cgroup_id;
			changed++;
		}
	}
	return changed;
}

static int apply(struct bw_agent *a, Bulwark__V1__CompiledPolicy *cp, const char *why, char *err,
		 size_t errlen)
{
	char **unenforced = NULL;
	size_t n_unenforced = 0, fixed;
	int rc;

	fixed = fix_cgroup_ids(a, cp);
	if (!a->enf) {
		/* Monitor only: nothing reaches the kernel, and the ack says so. */
		rc = 0;
		unenforced = calloc(1, sizeof(*unenforced));
		if (unenforced) {
			unenforced[0] = strdup("all rules: no enforcer on this node");
			n_unenforced = unenforced[0] ? 1 : 0;
		}
	} else {
		err[0] = '\0';
		rc = a->enf->ops->apply(a->enf, cp, &unenforced, &n_unenforced, err, errlen);
	}
	if (rc) {
		free_unenforced(unenforced, n_unenforced);
		if (!err[0])
			snprintf(err, errlen, "%s", strerror(-rc));
		a->st.policies_failed++;
		bw_error(
		    "policy not applied, the previous one stays | version=%llu why=%s err=\"%s\"",
		    (unsigned long long)cp->version, why, err);
		return rc;
	}
	free_unenforced(a->unenforced, a->n_unenforced);
	a->unenforced = unenforced;
	a->n_unenforced = n_unenforced;
	a->st.policies_applied++;
	a->st.applied_version = cp->version;
	bw_info("policy applied | version=%llu why=%s enforcer=%s containers=%zu host_rules=%zu "
		"unenforced=%zu rekeyed=%zu",
		(unsigned long long)cp->version, why, a->enf ? a->enf->ops->name : "none",
		cp->n_containers, cp->host ? cp->host->n_rules : 0, n_unenforced, fixed);
	for (size_t i = 0; i < n_unenforced; i++)
		bw_debug("rule not enforced | rule=\"%s\"", unenforced[i]);
	return 0;
}

int bw_agent_policy_apply(struct bw_agent *a, Bulwark__V1__CompiledPolicy *cp, char *err,
			  size_t errlen)
{
	int rc = apply(a, cp, "update", err, errlen);

	if (rc) {
		bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
		return rc;
	}
	if (a->policy)
		bulwark__v1__compiled_policy__free_unpacked(a->policy, NULL);
	a->policy = cp;
	return 0;
}

int bw_agent_policy_names(const struct bw_agent *a, const char *container_id)
{
	if (!a->policy || !container_id)
		return 0;
	for (size_t i = 0; i < a->policy->n_containers; i++)
		if (a->policy->containers[i]->container_id &&
		    strcmp(a->policy->containers[i]->container_id, container_id) == 0)
			return 1;
	return 0;
}

void bw_agent_policy_reapply(struct bw_agent *a, const char *why)
{
	char err[512];

	if (!a->policy)
		return;
	/* The same version again: the enforcer swaps atomically, so a failure
	 * leaves the previous (still valid) rules in place. */
	apply(a, a->policy, why, err, sizeof(err));
}

void bw_agent_policy_free(struct bw_agent *a)
{
	if (a->policy)
		bulwark__v1__compiled_policy__free_unpacked(a->policy, NULL);
	a->policy = NULL;
	free_unenforced(a->unenforced, a->n_unenforced);
	a->unenforced = NULL;
	a->n_unenforced = 0;
}
