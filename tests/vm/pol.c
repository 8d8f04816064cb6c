/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bw_caps.h"
#include "pol.h"
#include "enforce_bpflsm.h"

#define GROW(arr, n) ((arr) = realloc((arr), ((n) + 1) * sizeof(*(arr))))

static void *xcalloc(size_t n)
{
	void *p = calloc(1, n);

	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		abort();
	return p;
}

Bulwark__V1__CompiledPolicy *pol_new(uint64_t version)
{
	Bulwark__V1__CompiledPolicy *cp = xcalloc(sizeof(*cp));

	bulwark__v1__compiled_policy__init(cp);
	cp->node_name = xstrdup("test-node");
	cp->version = version;
	return cp;
}

Bulwark__V1__RuleSet *pol_ruleset(Bulwark__V1__CompiledPolicy *cp, int host, uint64_t cgroup_id,
				  const char *container_id)
{
	Bulwark__V1__RuleSet *rs = xcalloc(sizeof(*rs));

	bulwark__v1__rule_set__init(rs);
	rs->cgroup_id = cgroup_id;
	rs->container_id = xstrdup(container_id);
	rs->namespace_name = xstrdup(host ? "" : "default");
	rs->file_posture = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	rs->network_posture = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	rs->capability_posture = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	if (host) {
		cp->host = rs;
	} else {
		if (!GROW(cp->containers, cp->n_containers))
			abort();
		cp->containers[cp->n_containers++] = rs;
	}
	return rs;
}

Bulwark__V1__Rule *pol_rule(Bulwark__V1__RuleSet *rs, Bulwark__V1__Operation op,
			    Bulwark__V1__MatchKind match, const char *value,
			    Bulwark__V1__Action action, const char *policy_name)
{
	Bulwark__V1__Rule *r = xcalloc(sizeof(*r));
	Bulwark__V1__RuleOrigin *o = xcalloc(sizeof(*o));

	bulwark__v1__rule__init(r);
	bulwark__v1__rule_origin__init(o);
	r->operation = op;
	r->match = match;
	r->value = xstrdup(value);
	r->action = action;
	r->apparmor_raw = xstrdup("");
	o->policy_name = xstrdup(policy_name);
	o->policy_namespace = xstrdup("default");
	o->policy_kind = xstrdup("KubeArmorPolicy");
	o->message = xstrdup("");
	o->severity = 5;
	r->origin = o;
	if (!GROW(rs->rules, rs->n_rules))
		abort();
	rs->rules[rs->n_rules++] = r;
	if (action == BULWARK__V1__ACTION__ACTION_ALLOW) {
		if (op == BULWARK__V1__OPERATION__OP_PROCESS)
			rs->process_allowlist = 1;
		else if (op == BULWARK__V1__OPERATION__OP_FILE)
			rs->file_allowlist = 1;
		else if (op == BULWARK__V1__OPERATION__OP_NETWORK)
			rs->network_allowlist = 1;
		else if (op == BULWARK__V1__OPERATION__OP_CAPABILITY)
			rs->capability_allowlist = 1;
	}
	return r;
}

void pol_source(Bulwark__V1__Rule *r, const char *path, int dir, int recursive)
{
	Bulwark__V1__Source *s = xcalloc(sizeof(*s));

	bulwark__v1__source__init(s);
	s->path = xstrdup(path);
	s->dir = dir;
	s->recursive = recursive;
	if (!GROW(r->from_source, r->n_from_source))
		abort();
	r->from_source[r->n_from_source++] = s;
}

void pol_protocol(Bulwark__V1__Rule *r, uint32_t family, uint32_t type, uint32_t protocol,
		  const char *name)
{
	Bulwark__V1__Protocol *p = xcalloc(sizeof(*p));

	bulwark__v1__protocol__init(p);
	p->family = family;
	p->type = type;
	p->protocol = protocol;
	p->name = xstrdup(name);
	r->protocol = p;
}

static int parse_proto(const char *v, uint32_t *f, uint32_t *t, uint32_t *p)
{
	/* KubeArmor protocols as the compiler turns them into socket() triples. */
	if (!strcasecmp(v, "tcp"))
		return *f = 0, *t = 1, *p = 6, 0;
	if (!strcasecmp(v, "udp"))
		return *f = 0, *t = 2, *p = 17, 0;
	if (!strcasecmp(v, "icmp"))
		return *f = 2, *t = 0, *p = 1, 0;
	if (!strcasecmp(v, "raw"))
		return *f = 0, *t = 3, *p = 0, 0;
	return sscanf(v, "%u/%u/%u", f, t, p) == 3 ? 0 : -EINVAL;
}

static int parse_cap(const char *v, uint32_t *cap)
{
	char *end;

	for (uint32_t i = 0; i < 64; i++) {
		const char *n = bw_cap_name(i);

		if (n && (!strcasecmp(v, n) || !strcasecmp(v, n + 4)))
			return *cap = i, 0;
	}
	*cap = (uint32_t)strtoul(v, &end, 10);
	return *end || end == v ? -EINVAL : 0;
}

int pol_rule_parse(Bulwark__V1__RuleSet *rs, char *line, char *err, size_t errlen)
{
	char *save = NULL, *tok[3];
	Bulwark__V1__Operation op;
	Bulwark__V1__MatchKind mk;
	Bulwark__V1__Action action = BULWARK__V1__ACTION__ACTION_BLOCK;
	Bulwark__V1__Rule *r;
	const char *policy = "test-policy";
	char *opt;
	uint32_t f = 0, t = 0, p = 0, cap = 0;

	for (int i = 0; i < 3; i++) {
		tok[i] = strtok_r(i ? NULL : line, " \t", &save);
		if (!tok[i]) {
			snprintf(err, errlen, "rule needs OPERATION MATCH VALUE");
			return -EINVAL;
		}
	}
	if (!strcmp(tok[0], "process"))
		op = BULWARK__V1__OPERATION__OP_PROCESS;
	else if (!strcmp(tok[0], "file"))
		op = BULWARK__V1__OPERATION__OP_FILE;
	else if (!strcmp(tok[0], "network"))
		op = BULWARK__V1__OPERATION__OP_NETWORK;
	else if (!strcmp(tok[0], "capability"))
		op = BULWARK__V1__OPERATION__OP_CAPABILITY;
	else
		return snprintf(err, errlen, "unknown operation '%s'", tok[0]), -EINVAL;
	if (!strcmp(tok[1], "path"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_PATH;
	else if (!strcmp(tok[1], "dir"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_DIR;
	else if (!strcmp(tok[1], "rdir"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE;
	else if (!strcmp(tok[1], "name"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_EXECNAME;
	else if (!strcmp(tok[1], "pattern"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_PATTERN;
	else if (!strcmp(tok[1], "proto"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL;
	else if (!strcmp(tok[1], "cap"))
		mk = BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY;
	else
		return snprintf(err, errlen, "unknown match '%s'", tok[1]), -EINVAL;
	if (mk == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL && parse_proto(tok[2], &f, &t, &p))
		return snprintf(err, errlen, "bad protocol '%s'", tok[2]), -EINVAL;
	if (mk == BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY && parse_cap(tok[2], &cap))
		return snprintf(err, errlen, "bad capability '%s'", tok[2]), -EINVAL;
	/* Options first pass: action and policy name shape the rule. */
	char *rest = save ? strdup(save) : strdup("");
	char *s2 = NULL;

	if (!rest)
		abort();
	for (opt = strtok_r(rest, " \t", &s2); opt; opt = strtok_r(NULL, " \t", &s2)) {
		if (!strcmp(opt, "block"))
			action = BULWARK__V1__ACTION__ACTION_BLOCK;
		else if (!strcmp(opt, "audit"))
			action = BULWARK__V1__ACTION__ACTION_AUDIT;
		else if (!strcmp(opt, "allow"))
			action = BULWARK__V1__ACTION__ACTION_ALLOW;
		else if (!strncmp(opt, "policy=", 7))
			policy = opt + 7;
	}
	r = pol_rule(rs, op, mk,
		     mk == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL ||
			     mk == BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY
			 ? ""
			 : tok[2],
		     action, policy);
	free(r->origin->policy_name);
	r->origin->policy_name = strdup(policy);
	free(rest);
	if (mk == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL)
		pol_protocol(r, f, t, p, tok[2]);
	r->capability = cap;
	for (opt = strtok_r(NULL, " \t", &save); opt; opt = strtok_r(NULL, " \t", &save)) {
		if (!strcmp(opt, "block") || !strcmp(opt, "audit") || !strcmp(opt, "allow") ||
		    !strncmp(opt, "policy=", 7))
			continue;
		if (!strcmp(opt, "ownerOnly"))
			r->owner_only = 1;
		else if (!strcmp(opt, "readOnly"))
			r->read_only = 1;
		else if (!strncmp(opt, "from=", 5))
			pol_source(r, opt + 5, 0, 0);
		else if (!strncmp(opt, "fromdir=", 8))
			pol_source(r, opt + 8, 1, 0);
		else if (!strncmp(opt, "fromrdir=", 9))
			pol_source(r, opt + 9, 1, 1);
		else if (!strncmp(opt, "severity=", 9))
			r->origin->severity = (uint32_t)atoi(opt + 9);
		else if (!strncmp(opt, "message=", 8)) {
			free(r->origin->message);
			r->origin->message = xstrdup(opt + 8);
		} else if (!strncmp(opt, "tags=", 5)) {
			char *s3 = NULL;

			for (char *tg = strtok_r(opt + 5, ",", &s3); tg;
			     tg = strtok_r(NULL, ",", &s3)) {
				if (!GROW(r->origin->tags, r->origin->n_tags))
					abort();
				r->origin->tags[r->origin->n_tags++] = xstrdup(tg);
			}
		} else {
			return snprintf(err, errlen, "unknown rule option '%s'", opt), -EINVAL;
		}
	}
	return 0;
}
