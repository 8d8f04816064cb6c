/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A compiled policy as JSON, for people: names instead of numbers, and the
 * policy behind every rule (bulwarkctl compile, GET /v1/nodes/{n}/policy).
 */
#include <stdio.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "names.h"
#include "policy_int.h"

static const char *op_name(int op)
{
	static const char *const names[] = {"Process", "File", "Network", "Capabilities",
					    "Syscall"};
	return op >= 0 && op < (int)ARRAY_SIZE(names) ? names[op] : "?";
}

static const char *match_name(int m)
{
	static const char *const names[] = {"path",	"dir",	    "dir-recursive", "pattern",
					    "execname", "protocol", "capability",    "syscall",
					    "preset",	"apparmor", "address"};
	return m >= 0 && m < (int)ARRAY_SIZE(names) ? names[m] : "?";
}

static const char *action_name(int a)
{
	return a == BULWARK__V1__ACTION__ACTION_ALLOW	? "Allow"
	       : a == BULWARK__V1__ACTION__ACTION_AUDIT ? "Audit"
							: "Block";
}

static const char *posture_name(int p)
{
	return p == BULWARK__V1__POSTURE__POSTURE_AUDIT ? "audit" : "block";
}

static cJSON *rule_json(const Bulwark__V1__Rule *r)
{
	cJSON *j = cJSON_CreateObject();

	cJSON_AddStringToObject(j, "operation", op_name(r->operation));
	cJSON_AddStringToObject(j, "match", match_name(r->match));
	if (r->value && r->value[0])
		cJSON_AddStringToObject(j, "value", r->value);
	cJSON_AddStringToObject(j, "action", action_name(r->action));
	if ((r->match == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL ||
	     r->match == BULWARK__V1__MATCH_KIND__MATCH_ADDRESS) &&
	    r->protocol) {
		cJSON *p = cJSON_AddObjectToObject(j, "protocol");
		cJSON_AddNumberToObject(p, "family", r->protocol->family);
		cJSON_AddNumberToObject(p, "type", r->protocol->type);
		cJSON_AddNumberToObject(p, "protocol", r->protocol->protocol);
	}
	if (r->match == BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY)
		cJSON_AddNumberToObject(j, "capability", r->capability);
	if (r->operation == BULWARK__V1__OPERATION__OP_SYSCALL) {
		const char *n = bw_syscall_name(r->syscall);
		cJSON_AddNumberToObject(j, "syscall", r->syscall);
		if (n)
			cJSON_AddStringToObject(j, "syscallName", n);
	}
	if (r->port_min || r->port_max) {
		cJSON_AddNumberToObject(j, "portMin", r->port_min);
		cJSON_AddNumberToObject(j, "portMax", r->port_max);
	}
	if (r->owner_only)
		cJSON_AddTrueToObject(j, "ownerOnly");
	if (r->read_only)
		cJSON_AddTrueToObject(j, "readOnly");
	if (r->n_from_source) {
		cJSON *a = cJSON_AddArrayToObject(j, "fromSource");
		for (size_t i = 0; i < r->n_from_source; i++) {
			cJSON *s = cJSON_CreateObject();
			cJSON_AddStringToObject(s, r->from_source[i]->dir ? "dir" : "path",
						r->from_source[i]->path);
			if (r->from_source[i]->recursive)
				cJSON_AddTrueToObject(s, "recursive");
			cJSON_AddItemToArray(a, s);
		}
	}
	if (r->needs_apparmor)
		cJSON_AddTrueToObject(j, "needsAppArmor");
	if (r->needs_bpflsm)
		cJSON_AddTrueToObject(j, "needsBPFLSM");
	if (r->apparmor_raw && r->apparmor_raw[0])
		cJSON_AddStringToObject(j, "apparmor", r->apparmor_raw);
	if (r->origin) {
		const Bulwark__V1__RuleOrigin *o = r->origin;
		cJSON *p = cJSON_AddObjectToObject(j, "policy");
		cJSON_AddStringToObject(p, "kind", o->policy_kind);
		if (o->policy_namespace && o->policy_namespace[0])
			cJSON_AddStringToObject(p, "namespace", o->policy_namespace);
		cJSON_AddStringToObject(p, "name", o->policy_name);
		cJSON_AddNumberToObject(p, "severity", o->severity);
		if (o->n_tags) {
			cJSON *t = cJSON_AddArrayToObject(p, "tags");
			for (size_t i = 0; i < o->n_tags; i++)
				cJSON_AddItemToArray(t, cJSON_CreateString(o->tags[i]));
		}
		if (o->message && o->message[0])
			cJSON_AddStringToObject(p, "message", o->message);
	}
	return j;
}

static cJSON *ruleset_json(const Bulwark__V1__RuleSet *rs, bool host)
{
	cJSON *j = cJSON_CreateObject();

	if (!host) {
		cJSON_AddStringToObject(j, "containerId", rs->container_id);
		cJSON_AddStringToObject(j, "namespace", rs->namespace_name);
		cJSON_AddNumberToObject(j, "cgroupId", (double)rs->cgroup_id);
		if (rs->n_labels) {
			cJSON *l = cJSON_AddObjectToObject(j, "labels");
			for (size_t i = 0; i < rs->n_labels; i++)
				cJSON_AddStringToObject(l, rs->labels[i]->key, rs->labels[i]->value);
		}
	}
	if (rs->visibility && rs->visibility->set) {
		const Bulwark__V1__Visibility *v = rs->visibility;
		char buf[64];

		snprintf(buf, sizeof(buf), "%s%s%s%s", v->process ? ",process" : "",
			 v->file ? ",file" : "", v->network ? ",network" : "",
			 v->capabilities ? ",capabilities" : "");
		cJSON_AddStringToObject(j, "visibility", buf[0] ? buf + 1 : "none");
	}
	cJSON *p = cJSON_AddObjectToObject(j, "posture");
	cJSON_AddStringToObject(p, "file", posture_name(rs->file_posture));
	cJSON_AddStringToObject(p, "network", posture_name(rs->network_posture));
	cJSON_AddStringToObject(p, "capabilities", posture_name(rs->capability_posture));
	cJSON *a = cJSON_AddObjectToObject(j, "allowlist");
	cJSON_AddBoolToObject(a, "process", rs->process_allowlist);
	cJSON_AddBoolToObject(a, "file", rs->file_allowlist);
	cJSON_AddBoolToObject(a, "network", rs->network_allowlist);
	cJSON_AddBoolToObject(a, "capabilities", rs->capability_allowlist);
	cJSON *rules = cJSON_AddArrayToObject(j, "rules");
	for (size_t i = 0; i < rs->n_rules; i++)
		cJSON_AddItemToArray(rules, rule_json(rs->rules[i]));
	return j;
}

char *bw_compiled_to_json(const Bulwark__V1__CompiledPolicy *cp)
{
	cJSON *j = cJSON_CreateObject();
	char hex[65] = "";
	char *out;

	if (!j)
		return NULL;
	cJSON_AddStringToObject(j, "node", cp->node_name);
	cJSON_AddNumberToObject(j, "version", (double)cp->version);
	for (size_t i = 0; i < cp->digest.len && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", cp->digest.data[i]);
	cJSON_AddStringToObject(j, "digest", hex);
	if (cp->host)
		cJSON_AddItemToObject(j, "host", ruleset_json(cp->host, true));
	cJSON *c = cJSON_AddArrayToObject(j, "containers");
	for (size_t i = 0; i < cp->n_containers; i++)
		cJSON_AddItemToArray(c, ruleset_json(cp->containers[i], false));
	out = cJSON_Print(j);
	cJSON_Delete(j);
	return out;
}
