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
	if (a->sysaudit) {
		char serr[256];

		/* Its own gaps join the enforcer's in the ack. */
		if (bw_syscall_audit_apply(a->sysaudit, cp, &unenforced, &n_unenforced, serr,
					   sizeof(serr)))
			bw_warn("syscall rules not applied, the previous ones stay | version=%llu "
				"err=\"%s\"",
				(unsigned long long)cp->version, serr);
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

static unsigned vis_bits(const Bulwark__V1__Visibility *v)
{
	return (v->process ? BW_VIS_PROCESS : 0) | (v->file ? BW_VIS_FILE : 0) |
	       (v->network ? BW_VIS_NETWORK : 0) | (v->capabilities ? BW_VIS_CAPS : 0);
}

/* "k=v,k=v" of a rule set's labels into a new string (NULL: out of memory). */
static char *labels_text(const Bulwark__V1__RuleSet *rs)
{
	size_t len = 1, o = 0;
	char *s;

	for (size_t i = 0; i < rs->n_labels; i++)
		len += strlen(rs->labels[i]->key) + strlen(rs->labels[i]->value) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (size_t i = 0; i < rs->n_labels; i++)
		o += (size_t)snprintf(s + o, len - o, "%s%s=%s", i ? "," : "",
				      rs->labels[i]->key, rs->labels[i]->value);
	return s;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct id_set {
	const char **v; /* sorted */
	size_t n;
};

static int id_set_has(void *arg, const char *id)
{
	const struct id_set *s = arg;

	return s->n && bsearch(&id, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

/*
 * What a policy says beyond rules: the labels the controller knows for each
 * container (merged into the container table, so events carry pod labels)
 * and the visibility of each namespace and of the host.  Without a setting
 * the agent's own configuration applies, so a controller that sends none
 * changes nothing.
 */
static void apply_identity(struct bw_agent *a, const Bulwark__V1__CompiledPolicy *cp)
{
	unsigned groups;

	if (a->events) {
		bw_events_clear_ns_visibility(a->events);
		for (size_t i = 0; i < cp->n_containers; i++) {
			const Bulwark__V1__RuleSet *rs = cp->containers[i];
			const struct bw_container *c;

			if (!rs->visibility || !rs->visibility->set)
				continue;
			if (rs->namespace_name && *rs->namespace_name)
				bw_events_set_visibility(a->events, rs->namespace_name,
							 vis_bits(rs->visibility));
			/* Events name the namespace as discovery saw it. */
			c = a->ctrs && rs->container_id
				? bw_containers_by_id(a->ctrs, rs->container_id)
				: NULL;
			if (c && c->namespace_name && *c->namespace_name &&
			    (!rs->namespace_name || strcmp(c->namespace_name, rs->namespace_name)))
				bw_events_set_visibility(a->events, c->namespace_name,
							 vis_bits(rs->visibility));
		}
		bw_events_set_visibility(a->events, NULL,
					 cp->host && cp->host->visibility && cp->host->visibility->set
					     ? vis_bits(cp->host->visibility)
					     : a->vis_host);
		/* A namespace may now want a program group nobody wanted before. */
		groups = bw_events_groups(a->events);
		if (a->mon) {
			/* Idempotent: attaches what is missing, detaches the rest. */
			int rc = bw_monitor_set_groups(a->mon, groups);

			if (rc)
				bw_warn("monitor programs not changed for the new visibility | "
					"err=%s",
					strerror(-rc));
		}
	}
	if (!a->ctrs)
		return;
	/* Label changes are no container start: nothing to report or re-apply. */
	a->in_identity = 1;
	for (size_t i = 0; i < cp->n_containers; i++) {
		const Bulwark__V1__RuleSet *rs = cp->containers[i];
		char *kv;
		int rc;

		if (!rs->container_id || !*rs->container_id)
			continue;
		kv = labels_text(rs);
		if (!kv)
			break;
		rc = bw_containers_set_labels(a->ctrs, rs->container_id, kv);
		if (rc && rc != -ENOENT)
			bw_warn("controller labels not merged | id=%s labels=\"%s\" err=%s",
				rs->container_id, kv, strerror(-rc));
		free(kv);
	}
	/* Labels of containers the controller no longer names are dropped:
	 * the policy is the controller's whole view of this node. */
	struct id_set ids = {calloc(cp->n_containers ? cp->n_containers : 1, sizeof(char *)), 0};
	if (ids.v) {
		for (size_t i = 0; i < cp->n_containers; i++)
			if (cp->containers[i]->container_id)
				ids.v[ids.n++] = cp->containers[i]->container_id;
		qsort(ids.v, ids.n, sizeof(*ids.v), cmp_str);
		bw_containers_retain_labels(a->ctrs, id_set_has, &ids);
		free(ids.v);
	}
	a->in_identity = 0;
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
	apply_identity(a, cp);
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
