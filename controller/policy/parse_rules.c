/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rule sections of a policy spec.  Every match entry becomes one or more
 * flat rules (one per syscall for syscall lists) with action, severity,
 * tags and message resolved rule -> section -> spec (KubeArmor's order).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_array.h"
#include "names.h"
#include "parse_int.h"

enum sect { S_PROCESS, S_FILE, S_NETWORK, S_CAPS, S_SYSCALLS };

enum list {
	L_PATHS,     /* process/file matchPaths */
	L_DIRS,	     /* process/file matchDirectories */
	L_PATTERNS,  /* process/file matchPatterns */
	L_PROTOCOLS, /* network matchProtocols */
	L_CAPS,	     /* capabilities matchCapabilities */
	L_SYSCALLS,  /* syscalls matchSyscalls */
	L_SYS_PATHS, /* syscalls matchPaths */
	L_ADDRESSES, /* network matchAddresses (Bulwark extension) */
};

/* An entry's fields, as parsed, before they become rules. */
struct item {
	char *path, *execname, *dir, *pattern;
	bool recursive, owner_only, read_only;
	const struct bw_proto_def *proto;
	char *proto_name;
	int cap;
	int *syscalls;
	char **syscall_names;
	size_t n_syscalls;
	struct bw_src *src;
	size_t n_src;
	bool pattern_apparmor; /* not a glob the kernel matcher evaluates */
	char *address;	       /* canonical CIDR */
	uint32_t family;
	uint32_t (*ports)[2];
	size_t n_ports;
	struct pmeta meta;
};

static void item_clear(struct item *it)
{
	free(it->path);
	free(it->execname);
	free(it->dir);
	free(it->pattern);
	free(it->proto_name);
	free(it->address);
	free(it->ports);
	free(it->syscalls);
	for (size_t i = 0; i < it->n_syscalls; i++)
		free(it->syscall_names[i]);
	free(it->syscall_names);
	for (size_t i = 0; i < it->n_src; i++)
		free(it->src[i].path);
	free(it->src);
	meta_clear(&it->meta);
}

static struct bw_prule *add_rule(struct pctx *c, const yaml_node_t *at)
{
	struct bw_policy *p = c->p;

	if (p->n_rules >= BW_MAX_RULES) {
		if (!c->rules_overflow)
			perr(c, at, "the policy expands to more than %d rules", BW_MAX_RULES);
		c->rules_overflow = true;
		return NULL;
	}
	if (BW_GROW(p->rules, c->rules_cap, p->n_rules + 1)) {
		perr(c, at, "out of memory");
		return NULL;
	}
	struct bw_prule *r = &p->rules[p->n_rules++];
	memset(r, 0, sizeof(*r));
	return r;
}

static char **dup_tags(char **tags, size_t n)
{
	char **v = calloc(n ? n : 1, sizeof(char *));

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (!(v[i] = strdup(tags[i]))) {
			while (i--)
				free(v[i]);
			free(v);
			return NULL;
		}
	return v;
}

/* Fills action/severity/tags/message from the nearest level that sets them. */
static bool resolve_meta(struct bw_prule *r, const struct pmeta *const lv[3])
{
	r->action = BULWARK__V1__ACTION__ACTION_BLOCK;
	r->severity = 1;
	for (int i = 2; i >= 0; i--) {
		if (!lv[i])
			continue;
		if (lv[i]->has_action)
			r->action = lv[i]->action;
		if (lv[i]->has_severity)
			r->severity = lv[i]->severity;
	}
	for (int i = 0; i < 3; i++)
		if (lv[i] && lv[i]->has_tags) {
			r->tags = dup_tags(lv[i]->tags, lv[i]->n_tags);
			if (!r->tags)
				return false;
			r->n_tags = lv[i]->n_tags;
			break;
		}
	for (int i = 0; i < 3; i++)
		if (lv[i] && lv[i]->has_message) {
			r->message = strdup(lv[i]->message);
			return r->message != NULL;
		}
	return true;
}

static bool copy_src(struct bw_prule *r, const struct item *it)
{
	if (!it->n_src)
		return true;
	r->src = calloc(it->n_src, sizeof(*r->src));
	if (!r->src)
		return false;
	for (size_t i = 0; i < it->n_src; i++) {
		r->src[i] = it->src[i];
		r->src[i].path = strdup(it->src[i].path);
		if (!r->src[i].path)
			return false;
		r->n_src++;
	}
	return true;
}

static void parse_sources(struct pctx *c, const yaml_node_t *n, const char *path, struct item *it,
			  cJSON *j)
{
	static const char *const fields[] = {"path", "dir", "recursive"};
	char sub[700], fsub[760];

	if (!want_seq(c, n, path, BW_MAX_SOURCES))
		return;
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	it->src = calloc(cnt ? cnt : 1, sizeof(*it->src));
	if (!it->src) {
		perr(c, n, "out of memory");
		return;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *e = pnode(c, n->data.sequence.items.start[i]);
		struct bw_src s = {0};
		uint32_t seen = 0;
		unsigned before = c->errors;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!want_map(c, e, sub))
			continue;
		for (yaml_node_pair_t *pr = e->data.mapping.pairs.start;
		     pr < e->data.mapping.pairs.top; pr++) {
			int f = field_idx(c, pr, sub, fields, ARRAY_SIZE(fields), &seen);
			yaml_node_t *v = pnode(c, pr->value);
			if (f < 0)
				continue;
			snprintf(fsub, sizeof(fsub), "%s.%s", sub, fields[f]);
			if (f == 0 || f == 1) {
				char *p = NULL;
				if (get_path(c, v, fsub, f == 1, &p)) {
					free(s.path);
					s.path = p;
				}
			} else {
				get_bool(c, v, fsub, &s.recursive);
			}
		}
		if ((seen & 3) == 3)
			perr(c, e, "%s: give either path or dir, not both", sub);
		else if (!(seen & 3))
			perr(c, e, "%s needs a path (executable) or a dir", sub);
		else if ((seen & 4) && !(seen & 2))
			perr(c, e, "%s.recursive applies only with dir", sub);
		if (c->errors != before || !s.path) {
			free(s.path);
			continue;
		}
		s.dir = seen & 2;
		cJSON *js = cJSON_CreateObject();
		cJSON_AddStringToObject(js, s.dir ? "dir" : "path", s.path);
		if (s.dir && s.recursive)
			cJSON_AddTrueToObject(js, "recursive");
		cJSON_AddItemToArray(j, js);
		it->src[it->n_src++] = s;
	}
}

static void parse_syscall_list(struct pctx *c, const yaml_node_t *n, const char *path,
			       struct item *it, cJSON *j)
{
	char sub[760];

	if (!want_seq(c, n, path, 512))
		return;
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!cnt) {
		perr(c, n, "%s must name at least one syscall", path);
		return;
	}
	it->syscalls = calloc(cnt, sizeof(int));
	it->syscall_names = calloc(cnt, sizeof(char *));
	if (!it->syscalls || !it->syscall_names) {
		perr(c, n, "out of memory");
		return;
	}
	for (size_t i = 0; i < cnt && !pstop(c); i++) {
		yaml_node_t *e = pnode(c, n->data.sequence.items.start[i]);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!get_str(c, e, sub, 64, false, NULL))
			continue;
		int nr = bw_syscall_number(sval(e));
		if (nr < 0) {
			size_t nn;
			const char *const *names = bw_syscall_names(&nn);
			const char *plain = sval(e);
			if (!strncasecmp(plain, "sys_", 4))
				plain += 4;
			const char *near = bw_suggest(plain, names, nn);
			perr(c, e, "%s: unknown syscall '%s'%s%s%s", sub, sval(e),
			     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
			continue;
		}
		it->syscall_names[it->n_syscalls] = strdup(bw_syscall_name((unsigned)nr));
		it->syscalls[it->n_syscalls++] = nr;
		cJSON_AddItemToArray(j, cJSON_CreateString(bw_syscall_name((unsigned)nr)));
	}
}

static const char *const paths_fields[] = {"path",     "execname",   "ownerOnly",
					   "readOnly", "fromSource", "severity",
					   "tags",     "message",    "action"};
static const char *const dirs_fields[] = {"dir",      "recursive",  "ownerOnly",
					  "readOnly", "fromSource", "severity",
					  "tags",     "message",    "action"};
static const char *const patterns_fields[] = {"pattern", "ownerOnly", "readOnly", "severity",
					      "tags",	 "message",   "action"};
static const char *const protocols_fields[] = {"protocol", "fromSource", "severity",
					       "tags",	   "message",	 "action"};
static const char *const caps_fields[] = {"capability", "fromSource", "severity",
					  "tags",	"message",    "action"};
static const char *const syscalls_fields[] = {"syscall", "fromSource", "severity",
					      "tags",	 "message",    "action"};
static const char *const addresses_fields[] = {"address",  "ports", "protocol", "fromSource",
					       "severity", "tags",  "message",	"action"};
static const char *const sys_paths_fields[] = {"path",	   "recursive", "syscall", "fromSource",
					       "severity", "tags",	"message", "action"};

/* Field list of an entry, without the ones its section does not have. */
static size_t item_fields(enum sect s, enum list l, const char **out)
{
#define FIELDS(l, a) [l] = {a, ARRAY_SIZE(a)}
	static const struct {
		const char *const *names;
		size_t n;
	} lists[] = {
	    FIELDS(L_PATHS, paths_fields),	   FIELDS(L_DIRS, dirs_fields),
	    FIELDS(L_PATTERNS, patterns_fields),   FIELDS(L_PROTOCOLS, protocols_fields),
	    FIELDS(L_CAPS, caps_fields),	   FIELDS(L_SYSCALLS, syscalls_fields),
	    FIELDS(L_SYS_PATHS, sys_paths_fields), FIELDS(L_ADDRESSES, addresses_fields),
	};
#undef FIELDS
	const char *const *src = lists[l].names;
	size_t n = lists[l].n, k = 0;

	for (size_t i = 0; i < n; i++) {
		if (s != S_FILE && !strcmp(src[i], "readOnly"))
			continue;
		if (s != S_PROCESS && !strcmp(src[i], "execname"))
			continue;
		out[k++] = src[i];
	}
	return k;
}

static int section_op(enum sect s)
{
	static const int ops[] = {
	    BULWARK__V1__OPERATION__OP_PROCESS, BULWARK__V1__OPERATION__OP_FILE,
	    BULWARK__V1__OPERATION__OP_NETWORK, BULWARK__V1__OPERATION__OP_CAPABILITY,
	    BULWARK__V1__OPERATION__OP_SYSCALL};
	return ops[s];
}

static void emit(struct pctx *c, const yaml_node_t *at, enum sect s, enum list l, struct item *it,
		 const struct pmeta *sect_meta, const struct pmeta *spec)
{
	const struct pmeta *lv[3] = {&it->meta, sect_meta, spec};
	size_t n = (l == L_SYSCALLS || l == L_SYS_PATHS) ? it->n_syscalls
		   : l == L_ADDRESSES && it->n_ports	 ? it->n_ports
							 : 1;

	for (size_t i = 0; i < n; i++) {
		struct bw_prule *r = add_rule(c, at);
		if (!r)
			return;
		r->op = section_op(s);
		r->owner_only = it->owner_only;
		r->read_only = it->read_only;
		const char *value = NULL;
		switch (l) {
		case L_PATHS:
			r->match = it->execname ? BULWARK__V1__MATCH_KIND__MATCH_EXECNAME
						: BULWARK__V1__MATCH_KIND__MATCH_PATH;
			value = it->execname ? it->execname : it->path;
			break;
		case L_DIRS:
			r->match = it->recursive ? BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE
						 : BULWARK__V1__MATCH_KIND__MATCH_DIR;
			value = it->dir;
			break;
		case L_PATTERNS:
			r->match = BULWARK__V1__MATCH_KIND__MATCH_PATTERN;
			r->needs_apparmor = it->pattern_apparmor;
			value = it->pattern;
			break;
		case L_ADDRESSES:
			r->match = BULWARK__V1__MATCH_KIND__MATCH_ADDRESS;
			r->family = it->family;
			if (it->proto) {
				r->type = it->proto->type;
				r->protocol = it->proto->protocol;
			}
			if (it->n_ports) {
				r->port_min = it->ports[i][0];
				r->port_max = it->ports[i][1];
			}
			value = it->address;
			break;
		case L_PROTOCOLS:
			r->match = BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL;
			r->family = it->proto->family;
			r->type = it->proto->type;
			r->protocol = it->proto->protocol;
			value = it->proto->name;
			break;
		case L_CAPS:
			r->match = BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY;
			r->capability = (uint32_t)it->cap;
			value = bw_cap_name((unsigned)it->cap);
			break;
		case L_SYSCALLS:
			r->match = BULWARK__V1__MATCH_KIND__MATCH_SYSCALL;
			r->syscall = (uint32_t)it->syscalls[i];
			value = it->syscall_names[i];
			break;
		case L_SYS_PATHS: {
			bool dir = it->path[strlen(it->path) - 1] == '/';
			r->match = !dir		   ? BULWARK__V1__MATCH_KIND__MATCH_PATH
				   : it->recursive ? BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE
						   : BULWARK__V1__MATCH_KIND__MATCH_DIR;
			r->syscall = (uint32_t)it->syscalls[i];
			value = it->path;
			break;
		}
		}
		r->value = strdup(value);
		if (!r->value || !copy_src(r, it) || !resolve_meta(r, lv))
			perr(c, at, "out of memory");
	}
}

static bool has_field(uint32_t seen, const char *const *fields, size_t nf, const char *name)
{
	for (size_t i = 0; i < nf; i++)
		if (!strcmp(fields[i], name))
			return seen & (1u << i);
	return false;
}

static void parse_item(struct pctx *c, enum sect s, enum list l, const yaml_node_t *n,
		       const char *path, const struct pmeta *sect_meta, const struct pmeta *spec,
		       cJSON *j)
{
	const char *fields[16];
	size_t nf = item_fields(s, l, fields);
	struct item it = {.cap = -1};
	uint32_t seen = 0;
	unsigned before = c->errors;
	char sub[700];

	if (!want_map(c, n, path))
		return;
	parse_meta(c, n, path, &it.meta, j);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, path, fields, nf, &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (f < 0 || is_meta_key(fields[f]))
			continue;
		const char *k = fields[f];
		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (!strcmp(k, "path")) {
			/* A syscall rule's path may be a directory (ending in '/'). */
			bool dir = l == L_SYS_PATHS && v->type == YAML_SCALAR_NODE &&
				   v->data.scalar.length &&
				   sval(v)[v->data.scalar.length - 1] == '/';
			if (get_path(c, v, sub, dir, &it.path))
				cJSON_AddStringToObject(j, k, it.path);
		} else if (!strcmp(k, "dir")) {
			if (get_path(c, v, sub, true, &it.dir))
				cJSON_AddStringToObject(j, k, it.dir);
		} else if (!strcmp(k, "execname")) {
			if (get_str(c, v, sub, 255, false, &it.execname)) {
				if (strchr(it.execname, '/'))
					perr(c, v,
					     "%s is a program name without '/' (use path for "
					     "a full path)",
					     sub);
				else
					cJSON_AddStringToObject(j, k, it.execname);
			}
		} else if (!strcmp(k, "pattern")) {
			if (get_str(c, v, sub, BW_MAX_PATH, false, &it.pattern)) {
				it.pattern_apparmor = !bw_glob_kernel_ok(it.pattern);
				cJSON_AddStringToObject(j, k, it.pattern);
			}
		} else if (!strcmp(k, "address")) {
			if (parse_address(c, v, sub, &it.address, &it.family))
				cJSON_AddStringToObject(j, k, it.address);
		} else if (!strcmp(k, "ports")) {
			if (parse_ports(c, v, sub, &it.ports, &it.n_ports)) {
				cJSON *jp = cJSON_AddArrayToObject(j, k);
				for (size_t q = 0; q < it.n_ports; q++) {
					char pbuf[16];
					if (it.ports[q][0] == it.ports[q][1])
						snprintf(pbuf, sizeof(pbuf), "%u", it.ports[q][0]);
					else
						snprintf(pbuf, sizeof(pbuf), "%u-%u",
							 it.ports[q][0], it.ports[q][1]);
					cJSON_AddItemToArray(jp, cJSON_CreateString(pbuf));
				}
			}
		} else if (!strcmp(k, "recursive") || !strcmp(k, "ownerOnly") ||
			   !strcmp(k, "readOnly")) {
			bool b;
			if (!get_bool(c, v, sub, &b))
				continue;
			if (k[0] == 'r' && k[1] == 'e' && k[2] == 'c')
				it.recursive = b;
			else if (k[0] == 'o')
				it.owner_only = b;
			else
				it.read_only = b;
			if (b)
				cJSON_AddTrueToObject(j, k);
		} else if (!strcmp(k, "protocol")) {
			if (!get_str(c, v, sub, 32, false, NULL))
				continue;
			it.proto = bw_protocol_lookup(sval(v));
			if (!it.proto) {
				size_t nn;
				const char *const *names = bw_protocol_names(&nn);
				const char *near = bw_suggest(sval(v), names, nn);
				perr(c, v,
				     "%s: unknown protocol '%s' (expected tcp, udp, icmp, icmpv6, "
				     "sctp, raw, all or a socket type such as stream, dgram)%s%s%s",
				     sub, sval(v), near ? " (did you mean '" : "", near ? near : "",
				     near ? "'?)" : "");
				continue;
			}
			cJSON_AddStringToObject(j, k, it.proto->name);
		} else if (!strcmp(k, "capability")) {
			if (!get_str(c, v, sub, 64, false, NULL))
				continue;
			it.cap = bw_cap_number(sval(v));
			if (it.cap < 0) {
				size_t nn;
				const char *const *names = bw_cap_names(&nn);
				const char *plain = sval(v);
				if (!strncasecmp(plain, "cap_", 4))
					plain += 4;
				const char *near = bw_suggest(plain, names, nn);
				perr(c, v, "%s: unknown capability '%s'%s%s%s", sub, sval(v),
				     near ? " (did you mean '" : "", near ? near : "",
				     near ? "'?)" : "");
				continue;
			}
			/* Canonical form: lower case without CAP_, as KubeArmor writes it. */
			char low[64];
			snprintf(low, sizeof(low), "%s", bw_cap_name((unsigned)it.cap) + 4);
			for (char *q = low; *q; q++)
				*q = (char)tolower((unsigned char)*q);
			cJSON_AddStringToObject(j, k, low);
		} else if (!strcmp(k, "syscall")) {
			parse_syscall_list(c, v, sub, &it, cJSON_AddArrayToObject(j, k));
		} else if (!strcmp(k, "fromSource")) {
			parse_sources(c, v, sub, &it, cJSON_AddArrayToObject(j, k));
		}
	}

	/* What each kind of entry must have. */
	const char *need = NULL;
	bool has_path = has_field(seen, fields, nf, "path");
	switch (l) {
	case L_PATHS:
		if (has_path && it.execname)
			perr(c, n, "%s: give either path or execname, not both", path);
		else if (!has_path && !has_field(seen, fields, nf, "execname"))
			need = s == S_PROCESS ? "path (or execname)" : "path";
		break;
	case L_SYS_PATHS:
		need = !has_path				 ? "path"
		       : !has_field(seen, fields, nf, "syscall") ? "syscall"
								 : NULL;
		if (!need && it.path && it.recursive && it.path[strlen(it.path) - 1] != '/')
			perr(c, n, "%s.recursive applies only to a directory path (ending in '/')",
			     path);
		break;
	default:
		/* The first field is the one these entries are about. */
		need = seen & 1 ? NULL : fields[0];
		break;
	}
	if (need)
		perr(c, n, "%s.%s is required", path, need);
	if (c->errors == before)
		emit(c, n, s, l, &it, sect_meta, spec);
	item_clear(&it);
}

void parse_section(struct pctx *c, const char *section, const yaml_node_t *n, const char *path,
		   const struct pmeta *spec, cJSON *j)
{
	static const char *const pf_fields[] = {
	    "matchPaths", "matchDirectories", "matchPatterns", "severity",
	    "tags",	  "message",	      "action"};
	static const char *const net_fields[] = {"matchProtocols", "matchAddresses", "severity",
						 "tags",	   "message",	     "action"};
	static const char *const cap_fields[] = {"matchCapabilities", "severity", "tags", "message",
						 "action"};
	static const char *const sys_fields[] = {"matchSyscalls", "matchPaths", "severity",
						 "tags",	  "message",	"action"};
	const char *const *fields;
	size_t nf;
	enum sect s;
	struct pmeta meta = {0};
	uint32_t seen = 0;
	char sub[600], isub[640];
	size_t entries = 0;

	if (!strcmp(section, "process") || !strcmp(section, "file")) {
		s = section[0] == 'p' ? S_PROCESS : S_FILE;
		fields = pf_fields, nf = ARRAY_SIZE(pf_fields);
	} else if (!strcmp(section, "network")) {
		s = S_NETWORK, fields = net_fields, nf = ARRAY_SIZE(net_fields);
	} else if (!strcmp(section, "capabilities")) {
		s = S_CAPS, fields = cap_fields, nf = ARRAY_SIZE(cap_fields);
	} else {
		s = S_SYSCALLS, fields = sys_fields, nf = ARRAY_SIZE(sys_fields);
	}
	if (!want_map(c, n, path))
		return;
	parse_meta(c, n, path, &meta, j);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, path, fields, nf, &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (f < 0 || is_meta_key(fields[f]))
			continue;
		enum list l;
		const char *k = fields[f];
		if (!strcmp(k, "matchPaths"))
			l = s == S_SYSCALLS ? L_SYS_PATHS : L_PATHS;
		else if (!strcmp(k, "matchDirectories"))
			l = L_DIRS;
		else if (!strcmp(k, "matchPatterns"))
			l = L_PATTERNS;
		else if (!strcmp(k, "matchProtocols"))
			l = L_PROTOCOLS;
		else if (!strcmp(k, "matchAddresses"))
			l = L_ADDRESSES;
		else if (!strcmp(k, "matchCapabilities"))
			l = L_CAPS;
		else
			l = L_SYSCALLS;
		snprintf(sub, sizeof(sub), "%s.%s", path, k);
		if (!want_seq(c, v, sub, BW_MAX_LIST))
			continue;
		cJSON *jl = cJSON_AddArrayToObject(j, k);
		size_t cnt = (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
		if (!cnt)
			perr(c, v, "%s is empty: remove it or give at least one entry", sub);
		for (size_t i = 0; i < cnt && !pstop(c); i++) {
			cJSON *ji = cJSON_CreateObject();
			cJSON_AddItemToArray(jl, ji);
			snprintf(isub, sizeof(isub), "%s[%zu]", sub, i);
			parse_item(c, s, l, pnode(c, v->data.sequence.items.start[i]), isub, &meta,
				   spec, ji);
		}
		entries += cnt;
	}
	if (!entries && !c->errors)
		perr(c, n, "%s has no match entries (e.g. %s)", path, fields[0]);
	meta_clear(&meta);
}

static const char *const preset_names[] = {"filelessExec", "anonMapExec", "protectEnv", "exec",
					   "protectProc"};

void parse_presets(struct pctx *c, const yaml_node_t *n, const char *path, const struct pmeta *spec,
		   cJSON *j)
{
	static const char *const fields[] = {"name", "severity", "tags", "message", "action"};
	char sub[600], fsub[660];

	if (!want_seq(c, n, path, ARRAY_SIZE(preset_names) * 4))
		return;
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *e = pnode(c, n->data.sequence.items.start[i]);
		const yaml_node_t *name = NULL;
		struct pmeta meta = {0};
		uint32_t seen = 0;
		unsigned before = c->errors;
		cJSON *je = cJSON_CreateObject();
		cJSON_AddItemToArray(j, je);
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (e->type == YAML_SCALAR_NODE) {
			name = e;
		} else if (want_map(c, e, sub)) {
			parse_meta(c, e, sub, &meta, je);
			for (yaml_node_pair_t *pr = e->data.mapping.pairs.start;
			     pr < e->data.mapping.pairs.top; pr++)
				if (field_idx(c, pr, sub, fields, ARRAY_SIZE(fields), &seen) == 0)
					name = pnode(c, pr->value);
			if (!name && c->errors == before)
				perr(c, e, "%s.name is required", sub);
		}
		int which = -1;
		snprintf(fsub, sizeof(fsub), "%s.name", sub);
		if (name && get_str(c, name, fsub, 64, false, NULL)) {
			for (size_t k = 0; k < ARRAY_SIZE(preset_names); k++)
				if (!strcmp(sval(name), preset_names[k]))
					which = (int)k;
			if (which < 0) {
				const char *near =
				    bw_suggest(sval(name), preset_names, ARRAY_SIZE(preset_names));
				perr(c, name,
				     "%s: unknown preset '%s' (expected filelessExec, anonMapExec, "
				     "protectEnv, exec or protectProc)%s%s%s",
				     fsub, sval(name), near ? " (did you mean '" : "",
				     near ? near : "", near ? "'?)" : "");
			}
		}
		if (which >= 0 && c->errors == before) {
			const struct pmeta *lv[3] = {&meta, NULL, spec};
			struct bw_prule *r = add_rule(c, e);
			cJSON_AddStringToObject(je, "name", preset_names[which]);
			if (r) {
				bool file = !strcmp(preset_names[which], "protectEnv") ||
					    !strcmp(preset_names[which], "protectProc");
				r->op = file ? BULWARK__V1__OPERATION__OP_FILE
					     : BULWARK__V1__OPERATION__OP_PROCESS;
				r->match = BULWARK__V1__MATCH_KIND__MATCH_PRESET;
				r->needs_bpflsm = true;
				r->value = strdup(preset_names[which]);
				if (!r->value || !resolve_meta(r, lv))
					perr(c, e, "out of memory");
			}
		}
		meta_clear(&meta);
	}
}

void parse_apparmor(struct pctx *c, const yaml_node_t *n, const char *path,
		    const struct pmeta *spec, cJSON *j)
{
	const struct pmeta *lv[3] = {NULL, NULL, spec};
	char *raw = NULL;

	if (!get_str(c, n, path, BW_MAX_APPARMOR, false, &raw))
		return;
	struct bw_prule *r = add_rule(c, n);
	if (!r) {
		free(raw);
		return;
	}
	/* Opaque to us: only the AppArmor enforcer can apply it. */
	r->op = BULWARK__V1__OPERATION__OP_FILE;
	r->match = BULWARK__V1__MATCH_KIND__MATCH_APPARMOR;
	r->needs_apparmor = true;
	r->apparmor_raw = raw;
	r->value = strdup("");
	if (!r->value || !resolve_meta(r, lv))
		perr(c, n, "out of memory");
	cJSON_AddStringToObject(j, "apparmor", raw);
}
