/* SPDX-License-Identifier: Apache-2.0 */
/* Audit-only matching of logs against rules no enforcer applies (agent_audit.h). */
#include "agent_audit.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "bw_file.h"
#include "events.h"

unsigned bw_audit_ops(Bulwark__V1__Enforcer kind, int host)
{
	switch (kind) {
	case BULWARK__V1__ENFORCER__ENFORCER_BPFLSM:
		return 0;
	case BULWARK__V1__ENFORCER__ENFORCER_APPARMOR:
		/*
		 * Profiles confine containers; on the host only processes
		 * started under bulwark-host (shells, fromSource binaries) are
		 * confined, so host rules are matched here too and the
		 * confined ones skipped (bw_audit_pid_is_host_confined()).
		 */
		return host ? BW_AUDIT_PROCESS | BW_AUDIT_FILE | BW_AUDIT_CAPS : 0;
	case BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF:
		/* Network is enforced (and alerted) by the fallback itself. */
		return BW_AUDIT_PROCESS | BW_AUDIT_FILE | BW_AUDIT_CAPS;
	default:
		return BW_AUDIT_PROCESS | BW_AUDIT_FILE | BW_AUDIT_CAPS;
	}
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* Does path match the rule's value under its match kind? */
static int path_matches(const Bulwark__V1__Rule *r, const char *path)
{
	const char *v = r->value ? r->value : "";
	size_t vl = strlen(v);

	if (!*path || !*v)
		return 0;
	switch (r->match) {
	case BULWARK__V1__MATCH_KIND__MATCH_PATH:
		return strcmp(path, v) == 0;
	case BULWARK__V1__MATCH_KIND__MATCH_EXECNAME:
		return strcmp(base_name(path), v) == 0;
	case BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE:
		/* v ends with '/': everything below it. */
		return strncmp(path, v, vl) == 0 && path[vl] != '\0';
	case BULWARK__V1__MATCH_KIND__MATCH_DIR:
		/* Directly inside: the prefix, then no further '/'. */
		return strncmp(path, v, vl) == 0 && path[vl] != '\0' && !strchr(path + vl, '/');
	case BULWARK__V1__MATCH_KIND__MATCH_PATTERN:
		return fnmatch(v, path, 0) == 0;
	default:
		return 0;
	}
}

static int source_matches(const Bulwark__V1__Rule *r, const char *src)
{
	if (!r->n_from_source)
		return 1;
	if (!src || !*src)
		return 0;
	for (size_t i = 0; i < r->n_from_source; i++) {
		const Bulwark__V1__Source *s = r->from_source[i];
		const char *p = s->path ? s->path : "";
		size_t pl = strlen(p);

		if (!s->dir) {
			if (strcmp(src, p) == 0)
				return 1;
		} else if (strncmp(src, p, pl) == 0 && src[pl] &&
			   (s->recursive || !strchr(src + pl, '/'))) {
			return 1;
		}
	}
	return 0;
}

/* Data is "syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_CREAT": a write? */
static int open_writes(const char *data)
{
	const char *f = data ? strstr(data, "flags=") : NULL;

	return f && (strstr(f, "O_WRONLY") || strstr(f, "O_RDWR") || strstr(f, "O_TRUNC") ||
		     strstr(f, "O_APPEND") || strstr(f, "O_CREAT"));
}

static int rule_matches(const Bulwark__V1__Rule *r, unsigned ops, const Bulwark__V1__Event *ev)
{
	const char *op = ev->operation ? ev->operation : "";
	char cap[32];

	if (r->action == BULWARK__V1__ACTION__ACTION_ALLOW || r->owner_only || r->needs_apparmor)
		return 0;
	switch (r->operation) {
	case BULWARK__V1__OPERATION__OP_PROCESS:
		/* The new program's path; its parent is the source. */
		return (ops & BW_AUDIT_PROCESS) && strcmp(op, "Process") == 0 && ev->process_name &&
		       path_matches(r, ev->process_name) && source_matches(r, ev->source);
	case BULWARK__V1__OPERATION__OP_FILE:
		/* The opening program is the source. */
		return (ops & BW_AUDIT_FILE) && strcmp(op, "File") == 0 && ev->resource &&
		       path_matches(r, ev->resource) && (!r->read_only || open_writes(ev->data)) &&
		       source_matches(r, ev->process_name);
	case BULWARK__V1__OPERATION__OP_CAPABILITY:
		return (ops & BW_AUDIT_CAPS) &&
		       r->match == BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY &&
		       strcmp(op, "Capabilities") == 0 && ev->resource &&
		       strcmp(ev->resource, bw_cap_name_or_number(r->capability, cap, sizeof(cap))) ==
			   0 &&
		       source_matches(r, ev->process_name);
	default:
		return 0;
	}
}

const Bulwark__V1__Rule *bw_audit_match(const Bulwark__V1__RuleSet *rs, unsigned ops,
					const Bulwark__V1__Event *ev)
{
	const Bulwark__V1__Rule *audit = NULL;

	if (!rs || !ops || ev->kind != BULWARK__V1__EVENT_KIND__EVENT_LOG)
		return NULL;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];

		if (!rule_matches(r, ops, ev))
			continue;
		/* Block beats Audit on the same access, as in the kernel. */
		if (r->action == BULWARK__V1__ACTION__ACTION_BLOCK)
			return r;
		if (!audit)
			audit = r;
	}
	return audit;
}

const char *bw_audit_action(const Bulwark__V1__Rule *r)
{
	return r->action == BULWARK__V1__ACTION__ACTION_BLOCK ? "Audit (Block)" : "Audit";
}

int bw_audit_label_is_host(const char *label)
{
	static const char host[] = "bulwark-host";
	size_t n = sizeof(host) - 1;

	if (!label || strncmp(label, host, n) != 0)
		return 0;
	/* bulwark-host, bulwark-host//child, bulwark-host.<hash>; not bulwark-hostile */
	return label[n] == '\0' || label[n] == ' ' || label[n] == '/' || label[n] == '.' ||
	       label[n] == '\n';
}

int bw_audit_pid_is_host_confined(uint32_t pid)
{
	char path[64], label[256];

	if (!pid)
		return 0;
	/* the AppArmor-specific file first: attr/current may belong to another LSM */
	snprintf(path, sizeof(path), "/proc/%u/attr/apparmor/current", pid);
	if (bw_read_small(path, label, sizeof(label)) <= 0) {
		snprintf(path, sizeof(path), "/proc/%u/attr/current", pid);
		if (bw_read_small(path, label, sizeof(label)) <= 0)
			return 0;
	}
	return bw_audit_label_is_host(label);
}
