// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include "bw_caps.h"
#include "bw_testpolicy.h"
#include "enforce_apparmor.h"
#include "probe.h"

struct proto {
	const char *name;
	unsigned family, type, protocol;
};

static const struct proto protos[] = {
    {"tcp", 0, SOCK_STREAM, IPPROTO_TCP},
    {"udp", 0, SOCK_DGRAM, IPPROTO_UDP},
    {"icmp", AF_INET, 0, IPPROTO_ICMP},
    {"icmpv6", AF_INET6, 0, IPPROTO_ICMPV6},
    {"raw", 0, SOCK_RAW, 0},
    {"all", 0, 0, 0},
};

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n, sz);

	if (!p)
		abort();
	return p;
}

static char *xstrdup(const char *s)
{
	char *d = strdup(s);

	if (!d)
		abort();
	return d;
}

#define APPEND(arr, n, item)                                                                       \
	do {                                                                                       \
		arr = realloc(arr, ((n) + 1) * sizeof(*(arr)));                                    \
		if (!(arr))                                                                        \
			abort();                                                                   \
		(arr)[(n)++] = (item);                                                             \
	} while (0)

static Bulwark__V1__RuleSet *new_set(void)
{
	Bulwark__V1__RuleSet *rs = xcalloc(1, sizeof(*rs));

	bulwark__v1__rule_set__init(rs);
	rs->container_id = xstrdup("");
	rs->namespace_name = xstrdup("default");
	rs->file_posture = rs->network_posture = rs->capability_posture =
	    BULWARK__V1__POSTURE__POSTURE_BLOCK;
	return rs;
}

static int posture(const char *v, Bulwark__V1__Posture *out)
{
	if (!strcasecmp(v, "audit"))
		*out = BULWARK__V1__POSTURE__POSTURE_AUDIT;
	else if (!strcasecmp(v, "block"))
		*out = BULWARK__V1__POSTURE__POSTURE_BLOCK;
	else
		return -1;
	return 0;
}

static int set_opt(Bulwark__V1__RuleSet *rs, const char *tok)
{
	const char *eq = strchr(tok, '=');

	if (!eq)
		return -1;
	if (!strncmp(tok, "file_posture=", 13))
		return posture(eq + 1, &rs->file_posture);
	if (!strncmp(tok, "network_posture=", 16))
		return posture(eq + 1, &rs->network_posture);
	if (!strncmp(tok, "capability_posture=", 19))
		return posture(eq + 1, &rs->capability_posture);
	if (!strncmp(tok, "cgid=", 5)) {
		rs->cgroup_id = strtoull(eq + 1, NULL, 0);
		return 0;
	}
	if (!strncmp(tok, "cgroup=", 7)) {
		char root[512], path[1024];
		struct stat st;

		if (bw_cgroup2_root(root, sizeof(root)))
			return -1;
		snprintf(path, sizeof(path), "%s/%s", root, eq + 1);
		/* A cgroup v2 directory's inode number is its cgroup id. */
		if (stat(path, &st))
			return -1;
		rs->cgroup_id = st.st_ino;
		return 0;
	}
	return -1;
}

static Bulwark__V1__Source *new_source(const char *path, int dir, int rec)
{
	Bulwark__V1__Source *s = xcalloc(1, sizeof(*s));

	bulwark__v1__source__init(s);
	s->path = xstrdup(path);
	s->dir = dir;
	s->recursive = rec;
	return s;
}

static int parse_rule(Bulwark__V1__Rule *r, char **tok, int nt, char *err, size_t errlen)
{
	static const char *const ops[] = {"process", "file", "network", "capability", "syscall"};
	static const char *const matches[] = {"path",	  "dir",      "rdir",	    "pattern",
					      "execname", "protocol", "capability", "syscall",
					      "preset",	  "apparmor", "address"};
	Bulwark__V1__RuleOrigin *o = xcalloc(1, sizeof(*o));
	size_t i;

	bulwark__v1__rule_origin__init(o);
	o->policy_name = xstrdup("test-policy");
	o->policy_namespace = xstrdup("default");
	o->policy_kind = xstrdup("KubeArmorPolicy");
	o->message = xstrdup("");
	o->severity = 5;
	r->origin = o;
	if (nt < 5) {
		snprintf(err, errlen, "rule needs: rule <op> <match> <value> <action>");
		return -1;
	}
	for (i = 0; i < 5 && strcmp(tok[1], ops[i]); i++)
		;
	if (i == 5) {
		snprintf(err, errlen, "unknown operation '%s'", tok[1]);
		return -1;
	}
	r->operation = (Bulwark__V1__Operation)i;
	for (i = 0; i < 11 && strcmp(tok[2], matches[i]); i++)
		;
	if (i == 11) {
		snprintf(err, errlen, "unknown match '%s'", tok[2]);
		return -1;
	}
	/* the table above is in MatchKind order */
	r->match = (Bulwark__V1__MatchKind)i;
	r->value = xstrdup(tok[3]);
	/* %20 stands for a space (tokens are space-separated) */
	for (char *sp; (sp = strstr(r->value, "%20"));) {
		*sp = ' ';
		memmove(sp + 1, sp + 3, strlen(sp + 3) + 1);
	}
	if (r->match == BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL) {
		Bulwark__V1__Protocol *p = xcalloc(1, sizeof(*p));
		unsigned f, t, pr;

		bulwark__v1__protocol__init(p);
		p->name = xstrdup(tok[3]);
		r->protocol = p;
		if (sscanf(tok[3], "%u:%u:%u", &f, &t, &pr) == 3) {
			p->family = f, p->type = t, p->protocol = pr;
		} else {
			for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
				if (!strcasecmp(tok[3], protos[i].name))
					break;
			if (i == sizeof(protos) / sizeof(protos[0])) {
				snprintf(err, errlen, "unknown protocol '%s'", tok[3]);
				return -1;
			}
			p->family = protos[i].family;
			p->type = protos[i].type;
			p->protocol = protos[i].protocol;
		}
	} else if (r->match == BULWARK__V1__MATCH_KIND__MATCH_ADDRESS) {
		Bulwark__V1__Protocol *p = xcalloc(1, sizeof(*p));

		bulwark__v1__protocol__init(p);
		p->name = xstrdup("");
		p->family = strchr(tok[3], ':') ? AF_INET6 : AF_INET;
		r->protocol = p;
	} else if (r->match == BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY) {
		int c = bw_cap_number(tok[3]);

		if (c < 0) {
			snprintf(err, errlen, "unknown capability '%s'", tok[3]);
			return -1;
		}
		r->capability = (uint32_t)c;
	} else if (r->match == BULWARK__V1__MATCH_KIND__MATCH_SYSCALL) {
		r->syscall = (uint32_t)atoi(tok[3]);
	}
	if (!strcasecmp(tok[4], "block"))
		r->action = BULWARK__V1__ACTION__ACTION_BLOCK;
	else if (!strcasecmp(tok[4], "audit"))
		r->action = BULWARK__V1__ACTION__ACTION_AUDIT;
	else if (!strcasecmp(tok[4], "allow"))
		r->action = BULWARK__V1__ACTION__ACTION_ALLOW;
	else {
		snprintf(err, errlen, "unknown action '%s'", tok[4]);
		return -1;
	}
	for (int k = 5; k < nt; k++) {
		char *t = tok[k];

		if (!strcmp(t, "readOnly"))
			r->read_only = 1;
		else if (!strcmp(t, "ownerOnly"))
			r->owner_only = 1;
		else if (!strncmp(t, "from=", 5))
			APPEND(r->from_source, r->n_from_source, new_source(t + 5, 0, 0));
		else if (!strncmp(t, "fromdir=", 8))
			APPEND(r->from_source, r->n_from_source, new_source(t + 8, 1, 0));
		else if (!strncmp(t, "fromrdir=", 9))
			APPEND(r->from_source, r->n_from_source, new_source(t + 9, 1, 1));
		else if (!strncmp(t, "ports=", 6)) {
			unsigned lo, hi;
			int n = sscanf(t + 6, "%u-%u", &lo, &hi);

			if (n < 1) {
				snprintf(err, errlen, "bad ports '%s'", t);
				return -1;
			}
			r->port_min = lo;
			r->port_max = n == 2 ? hi : lo;
		} else if (!strncmp(t, "policy=", 7)) {
			free(o->policy_name);
			o->policy_name = xstrdup(t + 7);
		} else if (!strncmp(t, "ns=", 3)) {
			free(o->policy_namespace);
			o->policy_namespace = xstrdup(t + 3);
		} else if (!strncmp(t, "severity=", 9))
			o->severity = (uint32_t)atoi(t + 9);
		else if (!strncmp(t, "message=", 8)) {
			free(o->message);
			o->message = xstrdup(t + 8);
		} else if (!strncmp(t, "tags=", 5)) {
			char *save = NULL;

			for (char *s = strtok_r(t + 5, ",", &save); s;
			     s = strtok_r(NULL, ",", &save))
				APPEND(o->tags, o->n_tags, xstrdup(s));
		} else {
			snprintf(err, errlen, "unknown rule option '%s'", t);
			return -1;
		}
	}
	return 0;
}

static void finish_set(Bulwark__V1__RuleSet *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];

		if (r->action != BULWARK__V1__ACTION__ACTION_ALLOW)
			continue;
		switch (r->operation) {
		case BULWARK__V1__OPERATION__OP_PROCESS:
			rs->process_allowlist = 1;
			break;
		case BULWARK__V1__OPERATION__OP_FILE:
			rs->file_allowlist = 1;
			break;
		case BULWARK__V1__OPERATION__OP_NETWORK:
			rs->network_allowlist = 1;
			break;
		case BULWARK__V1__OPERATION__OP_CAPABILITY:
			rs->capability_allowlist = 1;
			break;
		default:
			break;
		}
	}
}

int bw_testpolicy_parse(const char *text, uint64_t version, Bulwark__V1__CompiledPolicy **out,
			char *err, size_t errlen)
{
	Bulwark__V1__CompiledPolicy *cp = xcalloc(1, sizeof(*cp));
	Bulwark__V1__RuleSet *cur = NULL;
	char *copy = xstrdup(text), *save = NULL, e[256] = "";
	int lineno = 0;

	bulwark__v1__compiled_policy__init(cp);
	cp->node_name = xstrdup("test-node");
	cp->version = version;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok[32], *ts = NULL, *rest;
		int nt = 0;

		lineno++;
		while (*line == ' ' || *line == '\t')
			line++;
		if (!*line || *line == '#')
			continue;
		if (!strncmp(line, "apparmor ", 9) || !strncmp(line, "preset ", 7)) {
			int raw = line[0] == 'a';
			Bulwark__V1__Rule *r = xcalloc(1, sizeof(*r));
			char *tk[] = {"rule", "file", raw ? "apparmor" : "preset", "-", "Block"};

			rest = line + (raw ? 9 : 7);
			bulwark__v1__rule__init(r);
			if (!cur || parse_rule(r, tk, 5, e, sizeof(e))) {
				snprintf(e, sizeof(e), "%s before any set/host", line);
				bulwark__v1__rule__free_unpacked(r, NULL);
				goto fail;
			}
			r->needs_apparmor = 1;
			free(r->value);
			r->value = xstrdup(raw ? "" : rest);
			if (raw)
				r->apparmor_raw = xstrdup(rest);
			APPEND(cur->rules, cur->n_rules, r);
			continue;
		}
		for (char *t = strtok_r(line, " \t", &ts); t && nt < 32;
		     t = strtok_r(NULL, " \t", &ts))
			tok[nt++] = t;
		if (!strcmp(tok[0], "set") || !strcmp(tok[0], "host")) {
			int host = tok[0][0] == 'h';

			if (host && cp->host) {
				snprintf(e, sizeof(e), "a second host line");
				goto fail;
			}
			cur = new_set();
			if (host) {
				cp->host = cur;
			} else {
				if (nt < 2) {
					snprintf(e, sizeof(e), "set needs a container id");
					goto fail;
				}
				free(cur->container_id);
				cur->container_id = xstrdup(tok[1]);
				APPEND(cp->containers, cp->n_containers, cur);
			}
			for (int k = host ? 1 : 2; k < nt; k++)
				if (set_opt(cur, tok[k])) {
					snprintf(e, sizeof(e), "bad option '%s'", tok[k]);
					goto fail;
				}
		} else if (!strcmp(tok[0], "rule")) {
			Bulwark__V1__Rule *r = xcalloc(1, sizeof(*r));

			bulwark__v1__rule__init(r);
			if (!cur) {
				snprintf(e, sizeof(e), "rule before any set/host");
				bulwark__v1__rule__free_unpacked(r, NULL);
				goto fail;
			}
			APPEND(cur->rules, cur->n_rules, r);
			if (parse_rule(r, tok, nt, e, sizeof(e)))
				goto fail;
		} else {
			snprintf(e, sizeof(e), "unknown directive '%s'", tok[0]);
			goto fail;
		}
	}
	for (size_t i = 0; i < cp->n_containers; i++)
		finish_set(cp->containers[i]);
	if (cp->host)
		finish_set(cp->host);
	free(copy);
	*out = cp;
	return 0;
fail:
	snprintf(err, errlen, "line %d: %s", lineno, e);
	free(copy);
	bw_testpolicy_free(cp);
	return -EINVAL;
}

void bw_testpolicy_free(Bulwark__V1__CompiledPolicy *cp)
{
	/* Everything was malloc'ed field by field, which is exactly what the
	 * generated free function expects with the default allocator. */
	if (cp)
		bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}
