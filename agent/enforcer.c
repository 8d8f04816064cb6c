// SPDX-License-Identifier: Apache-2.0
/*
 * Enforcer selection: the best backend the probe allows, or the one the
 * configuration insists on.  An explicit choice that cannot run is an error
 * (silently enforcing less than asked would be worse); "auto" falls through
 * BPF-LSM -> AppArmor -> cgroup-BPF -> none, logging why each was skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_log.h"
#include "enforce_priv.h"
#include "probe.h"

#if defined(__has_include)
#if __has_include("enforce_bpflsm.h")
#include "enforce_bpflsm.h"
#define BW_HAVE_BPFLSM 1
#endif
#endif

const char *bw_rule_operation_name(Bulwark__V1__Operation op)
{
	switch (op) {
	case BULWARK__V1__OPERATION__OP_PROCESS:
		return "Process";
	case BULWARK__V1__OPERATION__OP_FILE:
		return "File";
	case BULWARK__V1__OPERATION__OP_NETWORK:
		return "Network";
	case BULWARK__V1__OPERATION__OP_CAPABILITY:
		return "Capabilities";
	case BULWARK__V1__OPERATION__OP_SYSCALL:
		return "Syscall";
	default:
		return "Unknown";
	}
}

const char *bw_rule_action_name(Bulwark__V1__Action a)
{
	switch (a) {
	case BULWARK__V1__ACTION__ACTION_AUDIT:
		return "Audit";
	case BULWARK__V1__ACTION__ACTION_ALLOW:
		return "Allow";
	default:
		return "Block";
	}
}

static const char *match_name(Bulwark__V1__MatchKind m)
{
	switch (m) {
	case BULWARK__V1__MATCH_KIND__MATCH_PATH:
		return "path";
	case BULWARK__V1__MATCH_KIND__MATCH_DIR:
		return "dir";
	case BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE:
		return "dir (recursive)";
	case BULWARK__V1__MATCH_KIND__MATCH_PATTERN:
		return "pattern";
	case BULWARK__V1__MATCH_KIND__MATCH_EXECNAME:
		return "execname";
	case BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL:
		return "protocol";
	case BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY:
		return "capability";
	case BULWARK__V1__MATCH_KIND__MATCH_SYSCALL:
		return "syscall";
	case BULWARK__V1__MATCH_KIND__MATCH_PRESET:
		return "preset";
	case BULWARK__V1__MATCH_KIND__MATCH_APPARMOR:
		return "apparmor";
	case BULWARK__V1__MATCH_KIND__MATCH_ADDRESS:
		return "address";
	default:
		return "?";
	}
}

void bw_rule_describe(const Bulwark__V1__RuleSet *rs, const Bulwark__V1__Rule *r, char *buf,
		      size_t len)
{
	char what[128] = "";
	const char *pol = r->origin && r->origin->policy_name ? r->origin->policy_name : "?";
	const char *ns =
	    r->origin && r->origin->policy_namespace ? r->origin->policy_namespace : "";
	char scope[40];

	switch (r->match) {
	case BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL:
		if (r->protocol && r->protocol->name && *r->protocol->name)
			snprintf(what, sizeof(what), "%s", r->protocol->name);
		else if (r->protocol)
			snprintf(what, sizeof(what), "family=%u type=%u protocol=%u",
				 r->protocol->family, r->protocol->type, r->protocol->protocol);
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY:
		snprintf(what, sizeof(what), "%u", r->capability);
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_SYSCALL:
		snprintf(what, sizeof(what), "%u", r->syscall);
		break;
	default:
		snprintf(what, sizeof(what), "%s", r->value ? r->value : "");
	}
	if (rs && rs->container_id && *rs->container_id)
		snprintf(scope, sizeof(scope), "container %.12s", rs->container_id);
	else
		snprintf(scope, sizeof(scope), "host");
	snprintf(buf, len, "%s: %s %s %s %s (policy %s%s%s)", scope,
		 bw_rule_operation_name(r->operation), match_name(r->match), what,
		 bw_rule_action_name(r->action), ns, *ns ? "/" : "", pol);
}

int bw_rs_protocol_allowlist(const Bulwark__V1__RuleSet *rs)
{
	if (!rs->network_allowlist)
		return 0;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];

		if (r->operation == BULWARK__V1__OPERATION__OP_NETWORK &&
		    r->match == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL &&
		    r->action == BULWARK__V1__ACTION__ACTION_ALLOW)
			return 1;
	}
	return 0;
}

/* ---- the "none" backend: enforces nothing, says so ------------------------ */

static int none_apply(struct bw_enforcer *e, const Bulwark__V1__CompiledPolicy *cp,
		      char ***unenforced, size_t *n_unenforced, char *err, size_t errlen)
{
	size_t total = cp->host ? cp->host->n_rules : 0;

	for (size_t i = 0; i < cp->n_containers; i++)
		total += cp->containers[i]->n_rules;
	if (total)
		return bw_unenforced_add(
		    unenforced, n_unenforced,
		    "all %zu rules: no kernel enforcer on this node; audit only", total);
	return 0;
}

static void none_destroy(struct bw_enforcer *e)
{
	free(e);
}

static const struct bw_enforcer_ops none_ops = {
    .name = "none",
    .kind = BULWARK__V1__ENFORCER__ENFORCER_NONE,
    .apply = none_apply,
    .destroy = none_destroy,
};

int bw_enforcer_none_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts)
{
	struct bw_enforcer *e = calloc(1, sizeof(*e));

	if (!e)
		return -ENOMEM;
	e->ops = &none_ops;
	*out = e;
	return 0;
}

/* ---- selection ------------------------------------------------------------ */

static int backend_new(Bulwark__V1__Enforcer k, struct bw_enforcer **out,
		       const struct bw_enforcer_opts *opts)
{
	switch (k) {
	case BULWARK__V1__ENFORCER__ENFORCER_BPFLSM:
#ifdef BW_HAVE_BPFLSM
		return bw_enforcer_bpflsm_new(out, opts);
#else
		return -ENOTSUP;
#endif
	case BULWARK__V1__ENFORCER__ENFORCER_APPARMOR:
		return bw_enforcer_apparmor_new(out, opts);
	case BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF:
		return bw_enforcer_cgroup_new(out, opts);
	default:
		return bw_enforcer_none_new(out, opts);
	}
}

int bw_enforcer_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts)
{
	static const Bulwark__V1__Enforcer order[] = {
	    BULWARK__V1__ENFORCER__ENFORCER_BPFLSM,
	    BULWARK__V1__ENFORCER__ENFORCER_APPARMOR,
	    BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF,
	    BULWARK__V1__ENFORCER__ENFORCER_NONE,
	};
	const char *prefer = opts->prefer && *opts->prefer ? opts->prefer : "auto";
	Bulwark__V1__Enforcer k;
	struct bw_probe p;
	int rc;

	bw_enforcer_probe(&p);
	k = bw_probe_choose(&p, prefer, &rc);
	if (rc == -EINVAL) {
		bw_error("unknown enforcer | enforcer=%s expected=auto,bpflsm,apparmor,cgroup,none",
			 prefer);
		return rc;
	}
	if (rc) {
		bw_error("the requested enforcer cannot run on this node | enforcer=%s why=\"%s\"",
			 prefer, p.detail);
		return rc;
	}
	if (strcmp(prefer, "auto") != 0) {
		rc = backend_new(k, out, opts);
		if (rc)
			bw_error("enforcer failed to start | enforcer=%s err=%s", prefer,
				 strerror(-rc));
		else
			bw_info("enforcer selected | enforcer=%s", bw_enforcer_kind_name(k));
		return rc;
	}
	/* auto: start at the probe's choice, fall back on start-up failure. */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (order[i] != k)
			continue;
		for (; i < sizeof(order) / sizeof(order[0]); i++) {
			if (order[i] == BULWARK__V1__ENFORCER__ENFORCER_APPARMOR &&
			    !p.apparmor_active)
				continue;
			if (order[i] == BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF && !p.cgroup_bpf)
				continue;
			rc = backend_new(order[i], out, opts);
			if (rc == 0) {
				bw_info("enforcer selected | enforcer=%s probe=\"%s\"",
					bw_enforcer_kind_name(order[i]), p.detail);
				return 0;
			}
			bw_warn("enforcer failed to start, trying the next | enforcer=%s err=%s",
				bw_enforcer_kind_name(order[i]), strerror(-rc));
		}
	}
	return -ENOTSUP;
}

void bw_enforcer_free(struct bw_enforcer *e)
{
	if (e)
		e->ops->destroy(e);
}
