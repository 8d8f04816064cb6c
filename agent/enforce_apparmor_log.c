// SPDX-License-Identifier: Apache-2.0
/*
 * AppArmor audit records -> alerts: parsing `apparmor="DENIED"
 * operation="open" profile="bulwark-abc" name="/secret.txt" pid=42 ...`
 * (from /dev/kmsg lines or audit netlink AVC messages), finding the rule
 * that caused it, and reading the record source on the event loop.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/audit.h>
#include <linux/netlink.h>

#include "bw_caps.h"
#include "bw_log.h"
#include "enforce_apparmor_int.h"
#include "enforce_priv.h"

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/*
 * Copies a value: "quoted", or bare; the kernel writes names holding spaces
 * or quotes as bare hex, which is decoded when decode_hex is set.
 */
static const char *value(const char *s, char *out, size_t len, int decode_hex)
{
	size_t n = 0;

	if (*s == '"') {
		for (s++; *s && *s != '"'; s++)
			if (n + 1 < len)
				out[n++] = *s;
		if (*s == '"')
			s++;
	} else {
		const char *start = s;
		size_t bare;

		while (*s && !isspace((unsigned char)*s))
			s++;
		bare = (size_t)(s - start);
		if (decode_hex && bare && bare % 2 == 0) {
			int ok = 1;

			for (size_t i = 0; i < bare && ok; i++)
				ok = hexval(start[i]) >= 0;
			if (ok) {
				for (size_t i = 0; i + 1 < bare && n + 1 < len; i += 2)
					out[n++] =
					    (char)(hexval(start[i]) * 16 + hexval(start[i + 1]));
				out[n] = '\0';
				return s;
			}
		}
		for (size_t i = 0; i < bare && n + 1 < len; i++)
			out[n++] = start[i];
	}
	if (len)
		out[n] = '\0';
	return s;
}

int bw_aa_parse_record(const char *line, struct bw_aa_record *out)
{
	const char *s = strstr(line, "apparmor=");
	char key[32], tmp[64];

	if (!s)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->protocol = -1;
	while (*s) {
		size_t k = 0;

		while (*s && isspace((unsigned char)*s))
			s++;
		while (*s && *s != '=' && !isspace((unsigned char)*s) && k + 1 < sizeof(key))
			key[k++] = *s++;
		key[k] = '\0';
		if (*s != '=') {
			while (*s && !isspace((unsigned char)*s))
				s++;
			continue;
		}
		s++;
		if (!strcmp(key, "apparmor"))
			s = value(s, out->apparmor, sizeof(out->apparmor), 0);
		else if (!strcmp(key, "operation"))
			s = value(s, out->operation, sizeof(out->operation), 0);
		else if (!strcmp(key, "profile"))
			s = value(s, out->profile, sizeof(out->profile), 1);
		else if (!strcmp(key, "name"))
			s = value(s, out->name, sizeof(out->name), 1);
		else if (!strcmp(key, "comm"))
			s = value(s, out->comm, sizeof(out->comm), 1);
		else if (!strcmp(key, "requested_mask"))
			s = value(s, out->requested, sizeof(out->requested), 0);
		else if (!strcmp(key, "denied_mask"))
			s = value(s, out->denied, sizeof(out->denied), 0);
		else if (!strcmp(key, "capname"))
			s = value(s, out->capname, sizeof(out->capname), 0);
		else if (!strcmp(key, "family"))
			s = value(s, out->family, sizeof(out->family), 0);
		else if (!strcmp(key, "sock_type"))
			s = value(s, out->sock_type, sizeof(out->sock_type), 0);
		else {
			s = value(s, tmp, sizeof(tmp), 0);
			if (!strcmp(key, "pid"))
				out->pid = (uint32_t)strtoul(tmp, NULL, 10);
			else if (!strcmp(key, "fsuid"))
				out->fsuid = (uint32_t)strtoul(tmp, NULL, 10);
			else if (!strcmp(key, "ouid"))
				out->ouid = (uint32_t)strtoul(tmp, NULL, 10);
			else if (!strcmp(key, "protocol"))
				out->protocol = atoi(tmp);
		}
	}
	return out->apparmor[0] && out->profile[0] ? 0 : -EINVAL;
}

/* ---- alerts --------------------------------------------------------------- */

static const char *record_operation(const struct bw_aa_record *r)
{
	if (!strcmp(r->operation, "exec"))
		return "Process";
	if (!strcmp(r->operation, "capable"))
		return "Capabilities";
	if (r->family[0] || r->sock_type[0])
		return "Network";
	return "File";
}

static int path_matches(const Bulwark__V1__Rule *r, const char *path)
{
	const char *v = r->value ? r->value : "";
	size_t n = strlen(v);

	switch (r->match) {
	case BULWARK__V1__MATCH_KIND__MATCH_PATH:
		return !strcmp(v, path);
	case BULWARK__V1__MATCH_KIND__MATCH_DIR:
		if (n && v[n - 1] == '/' && !strncmp(path, v, n - 1) &&
		    (path[n - 1] == '\0' || (path[n - 1] == '/' && !strchr(path + n, '/'))))
			return 1;
		return 0;
	case BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE:
		return n && v[n - 1] == '/' && !strncmp(path, v, n - 1) &&
		       (path[n - 1] == '\0' || path[n - 1] == '/');
	case BULWARK__V1__MATCH_KIND__MATCH_PATTERN:
		return fnmatch(v, path, 0) == 0;
	case BULWARK__V1__MATCH_KIND__MATCH_EXECNAME: {
		const char *base = strrchr(path, '/');

		return !strcmp(base ? base + 1 : path, v);
	}
	default:
		return 0;
	}
}

static unsigned family_number(const char *f)
{
	static const struct {
		const char *name;
		unsigned v;
	} t[] = {{"inet", AF_INET},
		 {"inet6", AF_INET6},
		 {"unix", AF_UNIX},
		 {"netlink", AF_NETLINK},
		 {"packet", AF_PACKET}};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (!strcmp(f, t[i].name))
			return t[i].v;
	return 0;
}

static unsigned type_number(const char *t)
{
	if (!strcmp(t, "stream"))
		return SOCK_STREAM;
	if (!strcmp(t, "dgram"))
		return SOCK_DGRAM;
	if (!strcmp(t, "raw"))
		return SOCK_RAW;
	if (!strcmp(t, "seqpacket"))
		return SOCK_SEQPACKET;
	return 0;
}

static int record_matches(const Bulwark__V1__Rule *r, const struct bw_aa_record *rec,
			  const char *op)
{
	if (strcmp(bw_rule_operation_name(r->operation), op))
		return 0;
	switch (r->operation) {
	case BULWARK__V1__OPERATION__OP_FILE:
	case BULWARK__V1__OPERATION__OP_PROCESS:
		return path_matches(r, rec->name);
	case BULWARK__V1__OPERATION__OP_CAPABILITY: {
		const char *n = bw_cap_short_name(r->capability);

		return n && !strcmp(n, rec->capname);
	}
	case BULWARK__V1__OPERATION__OP_NETWORK: {
		const Bulwark__V1__Protocol *p = r->protocol;
		unsigned f = family_number(rec->family), t = type_number(rec->sock_type);

		if (!p || r->match != BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL)
			return 0;
		if (p->family && p->family != f)
			return 0;
		if (p->type && p->type != t)
			return 0;
		if (p->protocol && rec->protocol >= 0 && rec->protocol != 0 &&
		    (unsigned)rec->protocol != p->protocol)
			return 0;
		return 1;
	}
	default:
		return 0;
	}
}

static uint32_t read_ppid(uint32_t pid)
{
	char path[64], buf[512], *p;
	uint32_t ppid = 0;

	snprintf(path, sizeof(path), "/proc/%u/stat", pid);
	if (bw_read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
	if (p && sscanf(p + 1, " %*c %u", &ppid) != 1)
		ppid = 0;
	return ppid;
}

static void upper(char *dst, const char *src, size_t len)
{
	size_t i = 0;

	for (; src[i] && i + 1 < len; i++)
		dst[i] = (char)(src[i] >= 'a' && src[i] <= 'z' ? src[i] - 'a' + 'A' : src[i]);
	dst[i] = '\0';
}

/* Is op of rs in allow-list mode with audit posture (misses pass, audited)? */
static int audit_allowlist(const struct aa *a, const Bulwark__V1__RuleSet *rs, const char *op)
{
	const Bulwark__V1__Posture block = BULWARK__V1__POSTURE__POSTURE_BLOCK;

	if (!strcmp(op, "File"))
		return rs->file_allowlist && rs->file_posture != block;
	if (!strcmp(op, "Process"))
		return rs->process_allowlist && rs->file_posture != block;
	if (!strcmp(op, "Network"))
		return !a->net && bw_rs_protocol_allowlist(rs) && rs->network_posture != block;
	return rs->capability_allowlist && rs->capability_posture != block;
}

static int allowlist_of(const Bulwark__V1__RuleSet *rs, const char *op)
{
	if (!strcmp(op, "File"))
		return rs->file_allowlist;
	if (!strcmp(op, "Process"))
		return rs->process_allowlist;
	if (!strcmp(op, "Network"))
		return rs->network_allowlist;
	return rs->capability_allowlist;
}

/*
 * The rule set a profile label belongs to and, inside it, the source whose
 * profile it is: "bulwark-c1", "bulwark-c1///usr/bin/cat" (child),
 * "bulwark-c1//&bulwark-c1///bin/cat" (a stack: the last member decides),
 * "bulwark-host", "bulwark-host.1a2b3c4d" (a host source's profile).
 * *src is a copy of the source (its path borrowed from the rule set) or
 * *has_src 0 for the top profile.
 */
static const Bulwark__V1__RuleSet *find_scope(const struct aa *a, const char *label, int *host,
					      struct bw_aa_src *src, int *has_src)
{
	const Bulwark__V1__RuleSet *rs = NULL;
	const char *prof = label, *amp, *child = NULL;
	char top[sizeof(((struct bw_aa_record *)0)->profile)];
	struct bw_aa_src *v = NULL;
	size_t n = 0, hl = strlen(BW_AA_HOST);
	char *sep;

	*host = *has_src = 0;
	while ((amp = strstr(prof, "//&")))
		prof = amp + 3;
	snprintf(top, sizeof(top), "%s", prof);
	sep = strstr(top, "//");
	if (sep) {
		*sep = '\0';
		child = prof + (sep - top) + 2;
	}
	if (!a->cur)
		return NULL;
	if (!strncmp(top, BW_AA_HOST, hl) && (top[hl] == '\0' || top[hl] == '.')) {
		rs = a->cur->host;
		*host = 1;
	}
	for (size_t i = 0; !*host && i < a->cur->n_containers && !rs; i++) {
		char name[BW_AA_NAME_MAX];

		bw_aa_profile_name(a->cur->containers[i]->container_id, name, sizeof(name));
		if (!strcmp(name, top))
			rs = a->cur->containers[i];
	}
	if (!rs || (!child && !(*host && top[hl] == '.')) || bw_aa_sources(rs, &v, &n, NULL, NULL))
		return rs;
	if (child) {
		const struct bw_aa_src *found = bw_aa_source_by_label(v, n, child);

		if (found) {
			*src = *found;
			*has_src = 1;
		}
	}
	for (size_t i = 0; !child && i < n && !*has_src; i++) {
		if (strtoul(top + hl + 1, NULL, 16) == v[i].hash) {
			*src = v[i];
			*has_src = 1;
		}
	}
	free(v);
	return rs;
}

static void handle_record(struct aa *a, const char *line)
{
	const Bulwark__V1__RuleSet *rs = NULL;
	const Bulwark__V1__Rule *match = NULL, *raw = NULL;
	struct bw_aa_record rec;
	struct bw_enforcer_alert al;
	struct bw_aa_src src;
	char resource[1100], data[1400];
	const char *op;
	struct timespec ts;
	int blocked, host = 0, has_src = 0, posture = 0;

	if (bw_aa_parse_record(line, &rec) ||
	    strncmp(rec.profile, BW_AA_PREFIX, strlen(BW_AA_PREFIX)))
		return;
	blocked = !strcmp(rec.apparmor, "DENIED");
	if (!blocked && strcmp(rec.apparmor, "AUDIT"))
		return; /* ALLOWED (complain mode), STATUS, ... */
	rs = find_scope(a, rec.profile, &host, &src, &has_src);
	op = record_operation(&rec);
	for (size_t i = 0; rs && i < rs->n_rules && !match; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];
		Bulwark__V1__Action want =
		    blocked ? BULWARK__V1__ACTION__ACTION_BLOCK : BULWARK__V1__ACTION__ACTION_AUDIT;

		if (r->match == BULWARK__V1__MATCH_KIND__MATCH_APPARMOR && !raw)
			raw = r;
		if (r->action == want && bw_aa_rule_in_source(r, has_src ? &src : NULL) &&
		    record_matches(r, &rec, op))
			match = r;
	}
	if (rs && !blocked && !match && audit_allowlist(a, rs, op)) {
		/* The audited baseline of an allow-list with audit posture
		 * records every access: what an Allow rule grants is no miss. */
		for (size_t i = 0; i < rs->n_rules; i++) {
			const Bulwark__V1__Rule *r = rs->rules[i];

			if (r->action != BULWARK__V1__ACTION__ACTION_ALLOW ||
			    !bw_aa_rule_in_source(r, has_src ? &src : NULL) ||
			    !record_matches(r, &rec, op))
				continue;
			if (r->owner_only && rec.fsuid != rec.ouid)
				continue;
			/* readOnly grants reads: a write is still a miss. */
			if (r->read_only && strpbrk(rec.requested, "wacdl"))
				continue;
			return;
		}
		posture = 1;
	}
	if (rs && blocked && !match && allowlist_of(rs, op))
		posture = 1;

	memset(&al, 0, sizeof(al));
	clock_gettime(CLOCK_BOOTTIME, &ts);
	al.ts_boot_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	al.cgroup_id = rs ? rs->cgroup_id : 0;
	al.host = host;
	al.host_pid = al.host_tid = rec.pid;
	al.host_ppid = read_ppid(rec.pid);
	al.uid = rec.fsuid;
	snprintf(al.comm, sizeof(al.comm), "%s", rec.comm);
	al.operation = op;
	if (!strcmp(op, "Network")) {
		char fam[16], typ[16];

		upper(fam, rec.family, sizeof(fam));
		upper(typ, rec.sock_type, sizeof(typ));
		snprintf(resource, sizeof(resource), "domain=AF_%s type=SOCK_%s protocol=%d", fam,
			 typ, rec.protocol < 0 ? 0 : rec.protocol);
	} else if (!strcmp(op, "Capabilities")) {
		char cap[32];

		upper(cap, rec.capname, sizeof(cap));
		snprintf(resource, sizeof(resource), "CAP_%s", cap);
	} else {
		snprintf(resource, sizeof(resource), "%s", rec.name);
	}
	al.resource = resource;
	snprintf(data, sizeof(data),
		 "lsm=APPARMOR operation=%s requested=%s denied=%s%s%s profile=%s", rec.operation,
		 rec.requested, rec.denied, has_src ? " source=" : "", has_src ? src.path : "",
		 rec.profile);
	al.data = data;
	al.enforcer = "AppArmor";
	al.blocked = blocked;
	al.origin = match ? match->origin : raw ? raw->origin : NULL;
	al.default_posture = posture;
	al.action = blocked ? "Block" : "Audit";
	if (a->on_alert)
		a->on_alert(a->alert_arg, &al);
}

void bw_aa_on_log(evutil_socket_t fd, short what, void *arg)
{
	struct aa *a = arg;
	char buf[8192 + 1];

	for (int budget = 0; budget < 64; budget++) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);

		if (n < 0 && errno == EPIPE)
			continue; /* kmsg: we fell behind and records were overwritten */
		if (n <= 0)
			return;
		buf[n] = '\0';
		if (a->log_is_kmsg) {
			handle_record(a, buf);
			continue;
		}
		/* One record per datagram.  Audit sets nlmsg_len to the payload
		 * length alone (not the netlink convention), so the datagram size
		 * is what bounds the text. */
		{
			struct nlmsghdr *nh = (struct nlmsghdr *)buf;

			if ((size_t)n <= NLMSG_HDRLEN)
				continue;
			if (nh->nlmsg_type != AUDIT_AVC &&
			    (nh->nlmsg_type < 1500 || nh->nlmsg_type > 1599))
				continue; /* AVC (1400) and AppArmor's own 15xx types */
			handle_record(a, buf + NLMSG_HDRLEN);
		}
	}
}

/* Audit records without displacing auditd: the read-only multicast group;
 * else the kernel log (which rate-limits audit lines when no auditd runs). */
int bw_aa_open_log(struct aa *a)
{
	const char *force = getenv("BW_APPARMOR_LOG");
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = 1u << (AUDIT_NLGRP_READLOG - 1)};
	int fd = -1;

	if (!force || strcmp(force, "kmsg")) {
		fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_AUDIT);
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			a->log_fd = fd;
			a->log_is_kmsg = 0;
			return 0;
		}
		bw_warn("audit netlink unavailable, reading the kernel log | err=%s",
			strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END); /* only what happens from now on */
	a->log_fd = fd;
	a->log_is_kmsg = 1;
	return 0;
}
