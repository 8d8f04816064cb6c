// SPDX-License-Identifier: Apache-2.0
/*
 * RuleSet -> AppArmor profile text.
 *
 * Shape of a profile (every line exists for a reason):
 *   - a baseline granting each category that is NOT in allow-list mode
 *     with block posture (files, exec, network, capabilities), plus
 *     signal/ptrace/unix/mount which policies do not govern; with audit
 *     posture the baseline is an "audit" rule, so every miss is recorded
 *     (and the log drops the records an Allow rule explains);
 *   - Block rules as "audit deny": plain deny rules are silent in AppArmor,
 *     and every block must produce an alert;
 *   - Audit rules as "audit" allow rules; Allow rules as plain rules;
 *   - fromSource rules in a child profile named by the source binary (or
 *     by the directory's glob, /usr/bin/ + "*"), which the parent enters on
 *     exec ("cx").  What the source executes inherits the child ("ix"), so
 *     a source's rules also hold for its descendants.
 * Exec modes are "ix" everywhere except the source transitions, because
 * AppArmor refuses overlapping globs with different exec modes: an exact
 * path beats a glob, and around a source directory the parent's exec
 * baseline is written as the complement of its glob (enforce_apparmor_src.c).
 *
 * The host (BW_AA_GEN_HOST): profile bulwark-host attached by path to the
 * shells (BW_AA_HOST_ATTACH), and one top-level profile per source,
 * "bulwark-host.<hash of its glob>", attached by the source's path, which
 * bulwark-host enters with "px".  A host process is confined from its next
 * exec of an attached binary on; what runs already stays unconfined.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "enforce_apparmor_int.h"
#include "enforce_priv.h"
#include "bw_caps.h"

void bw_aa_profile_name(const char *container_id, char *buf, size_t len)
{
	char id[13];
	size_t n = 0;

	for (const char *s = container_id ? container_id : ""; *s && n < 12; s++) {
		char c = *s;

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		    c == '.')
			id[n++] = c;
	}
	id[n] = '\0';
	snprintf(buf, len, BW_AA_PREFIX "%s", n ? id : "unnamed");
}

/* ---- text helpers ----------------------------------------------------------- */

struct gen {
	FILE *f;
	const Bulwark__V1__RuleSet *rs;
	const char *name;		/* the top profile's name */
	const struct bw_aa_src *source; /* NULL: the top profile; else the source's */
	struct bw_aa_src *src;		/* every source of rs */
	size_t n_src;
	char ***unenf;
	size_t *n_unenf;
	int oom;
	int host; /* bulwark-host: attached by path, sources in their own profiles */
	/* Per category: 0 no allow-list, AA_ALLOW_BLOCK misses refused,
	 * AA_ALLOW_AUDIT misses pass audited (the log drops what a rule allows). */
	int file_allow, proc_allow, net_allow, cap_allow;
	int no_network; /* network rules are enforced by another mechanism */
};

#define AA_ALLOW_BLOCK 1
#define AA_ALLOW_AUDIT 2

static void unenf(struct gen *g, const Bulwark__V1__Rule *r, const char *why)
{
	char desc[512];

	if (g->source && !r->n_from_source)
		return; /* a rule every profile holds is reported once, by the top one */
	bw_rule_describe(g->rs, r, desc, sizeof(desc));
	if (bw_unenforced_add(g->unenf, g->n_unenf, "%s: %s", desc, why))
		g->oom = 1;
}

/*
 * A literal path for an AppArmor rule: glob characters escaped, quoted when
 * it holds spaces.  0 when the path cannot be expressed (not absolute,
 * control characters or quotes).
 */
static int put_literal(FILE *f, const char *path, const char *suffix)
{
	int quote = strchr(path, ' ') != NULL;

	if (path[0] != '/')
		return 0;
	for (const char *s = path; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == 0x7f)
			return 0;
	if (quote)
		fputc('"', f);
	for (const char *s = path; *s; s++) {
		if (strchr("*?[]{}^\\", *s))
			fputc('\\', f);
		fputc(*s, f);
	}
	fputs(suffix, f);
	if (quote)
		fputc('"', f);
	return 1;
}

/* A KubeArmor pattern is already AppArmor glob syntax; only refuse what
 * would break the profile's grammar. */
static int put_pattern(FILE *f, const char *pat)
{
	if (pat[0] != '/')
		return 0;
	for (const char *s = pat; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == '"' || *s == ',' || *s == 0x7f)
			return 0;
	fprintf(f, strchr(pat, ' ') ? "\"%s\"" : "%s", pat);
	return 1;
}

/* Writes the path part of a file/process rule into a scratch buffer. */
static int path_spec(const Bulwark__V1__Rule *r, char *buf, size_t len)
{
	FILE *m = fmemopen(buf, len, "w");
	const char *v = r->value ? r->value : "";
	int ok = 0;

	if (!m)
		return 0;
	switch (r->match) {
	case BULWARK__V1__MATCH_KIND__MATCH_PATH:
		ok = put_literal(m, v, "");
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_DIR:
	case BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE: {
		char dir[1024];
		size_t n = strlen(v);

		if (n == 0 || n + 2 >= sizeof(dir))
			break;
		snprintf(dir, sizeof(dir), "%s%s", v, v[n - 1] == '/' ? "" : "/");
		/* The directory itself (listing it) and what is inside. */
		ok = put_literal(m, dir,
				 r->match == BULWARK__V1__MATCH_KIND__MATCH_DIR ? "{,*}" : "{,**}");
		break;
	}
	case BULWARK__V1__MATCH_KIND__MATCH_PATTERN:
		ok = put_pattern(m, v);
		break;
	case BULWARK__V1__MATCH_KIND__MATCH_EXECNAME:
		if (*v && !strchr(v, '/')) {
			fputs("/{,**/}", m);
			/* put_literal wants an absolute path: skip its check. */
			for (const char *s = v; *s; s++) {
				if ((unsigned char)*s < 0x20 || *s == '"')
					goto out;
				if (strchr("*?[]{}^\\ ", *s))
					fputc('\\', m);
				fputc(*s, m);
			}
			ok = 1;
		}
		break;
	default:
		break;
	}
out:
	fputc('\0', m);
	if (ferror(m) || ftell(m) >= (long)len)
		ok = 0;
	fclose(m);
	return ok;
}

static const char *qualifier(const Bulwark__V1__Rule *r)
{
	int audit = r->action == BULWARK__V1__ACTION__ACTION_AUDIT;

	if (r->action == BULWARK__V1__ACTION__ACTION_BLOCK)
		return r->owner_only ? "audit deny other " : "audit deny ";
	if (r->owner_only)
		/* Allow: only the owner gets it.  Audit: the owner's use is
		 * expected; what others do is recorded. */
		return audit ? "audit other " : "owner ";
	return audit ? "audit " : "";
}

/* ---- rule kinds ----------------------------------------------------------- */

static void file_rule(struct gen *g, const Bulwark__V1__Rule *r)
{
	const char *perms;
	char spec[1200];

	if (!path_spec(r, spec, sizeof(spec))) {
		unenf(g, r,
		      "path cannot be expressed in AppArmor (must be absolute, no quotes or "
		      "control characters)");
		return;
	}
	switch (r->action) {
	case BULWARK__V1__ACTION__ACTION_BLOCK:
		/* readOnly: reading stays allowed, writing is refused.  Otherwise
		 * every access including exec and mmap, like a blocked open(). */
		perms = r->read_only ? "w" : "mrwlkx";
		break;
	case BULWARK__V1__ACTION__ACTION_AUDIT:
		if (g->file_allow == AA_ALLOW_BLOCK)
			unenf(g, r,
			      "Audit rule in file allow-list mode: AppArmor audit rules also allow "
			      "the access");
		perms = r->read_only ? "r" : "rwlk";
		break;
	default:
		perms = r->read_only ? "rm" : "rwlkm";
		break;
	}
	fprintf(g->f, "  %s%s %s,\n", qualifier(r), spec, perms);
}

/* Is path the exact binary of one of the rule set's sources? */
static int is_source(const struct gen *g, const char *path)
{
	for (size_t i = 0; i < g->n_src; i++)
		if (!g->src[i].dir && !strcmp(g->src[i].path, path))
			return 1;
	return 0;
}

static void exec_rule(struct gen *g, const Bulwark__V1__Rule *r)
{
	char spec[1200];

	if (!path_spec(r, spec, sizeof(spec))) {
		unenf(g, r,
		      "path cannot be expressed in AppArmor (must be absolute, no quotes or "
		      "control characters)");
		return;
	}
	if (r->action == BULWARK__V1__ACTION__ACTION_BLOCK) {
		fprintf(g->f, "  %s%s x,\n", qualifier(r), spec);
		return;
	}
	if (r->action == BULWARK__V1__ACTION__ACTION_AUDIT && g->proc_allow == AA_ALLOW_BLOCK)
		unenf(g, r,
		      "Audit rule in process allow-list mode: AppArmor audit rules also allow the "
		      "exec");
	if (!g->source && r->match == BULWARK__V1__MATCH_KIND__MATCH_PATH &&
	    is_source(g, r->value)) {
		/* The parent enters the source's profile: the same mode as its
		 * transition line, or the parser refuses the conflict. */
		fprintf(g->f, "  %s%s %s,\n", qualifier(r), spec, g->host ? "px" : "cx");
		return;
	}
	if (!g->source && bw_aa_glob_overlaps_dir(spec, g->src, g->n_src)) {
		unenf(g, r,
		      "overlaps a fromSource directory, whose binaries AppArmor must enter "
		      "through the source's profile; not enforced");
		return;
	}
	fprintf(g->f, "  %s%s ix,\n", qualifier(r), spec);
}

static const char *aa_family(unsigned f)
{
	switch (f) {
	case AF_INET:
		return "inet";
	case AF_INET6:
		return "inet6";
	case AF_UNIX:
		return "unix";
	case AF_NETLINK:
		return "netlink";
	case AF_PACKET:
		return "packet";
	case 0:
		return "";
	default:
		return NULL;
	}
}

static const char *aa_type(unsigned t)
{
	switch (t) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_SEQPACKET:
		return "seqpacket";
	case SOCK_RDM:
		return "rdm";
	case SOCK_PACKET:
		return "packet";
	case 0:
		return "";
	default:
		return NULL;
	}
}

static void network_rule(struct gen *g, const Bulwark__V1__Rule *r)
{
	const Bulwark__V1__Protocol *p = r->protocol;
	const char *q = r->action == BULWARK__V1__ACTION__ACTION_BLOCK	 ? "audit deny "
			: r->action == BULWARK__V1__ACTION__ACTION_AUDIT ? "audit "
									 : "";
	const char *fam, *what;

	if (r->match == BULWARK__V1__MATCH_KIND__MATCH_ADDRESS) {
		unenf(g, r, "network by address: AppArmor mediates socket families and types only");
		return;
	}
	if (!p) {
		unenf(g, r, "protocol rule without a protocol");
		return;
	}
	fam = aa_family(p->family);
	if (!fam) {
		unenf(g, r, "socket family unknown to AppArmor");
		return;
	}
	/* AppArmor names tcp, udp and (IPv4) icmp; the kernel mediates by family
	 * and type, which these map to.  Other protocols fall back to the type. */
	if (p->protocol == IPPROTO_TCP)
		what = "tcp";
	else if (p->protocol == IPPROTO_UDP)
		what = "udp";
	else if (p->protocol == IPPROTO_ICMP && (p->family == AF_INET || p->family == 0)) {
		fam = "inet";
		what = "icmp";
	} else if (p->protocol == 0 || p->type != 0) {
		what = aa_type(p->type);
		if (!what) {
			unenf(g, r, "socket type unknown to AppArmor");
			return;
		}
		if (p->protocol)
			unenf(g, r,
			      "AppArmor cannot tell this protocol apart: enforced for its whole "
			      "socket type");
	} else if (p->protocol == IPPROTO_ICMPV6 && p->family == AF_INET6) {
		/* ICMPv6 sockets are raw or ping (dgram) sockets of AF_INET6. */
		fprintf(g->f, "  %snetwork inet6 raw,\n", q);
		fprintf(g->f, "  %snetwork inet6 dgram,\n", q);
		unenf(g, r,
		      "AppArmor cannot name icmpv6: enforced on every inet6 raw and dgram socket");
		return;
	} else {
		unenf(g, r, "protocol unknown to AppArmor");
		return;
	}
	fprintf(g->f, "  %snetwork%s%s%s%s,\n", q, *fam ? " " : "", fam, *what ? " " : "", what);
}

static void cap_rule(struct gen *g, const Bulwark__V1__Rule *r)
{
	const char *name = bw_cap_short_name(r->capability);
	const char *q = r->action == BULWARK__V1__ACTION__ACTION_BLOCK	 ? "audit deny "
			: r->action == BULWARK__V1__ACTION__ACTION_AUDIT ? "audit "
									 : "";

	if (!name) {
		unenf(g, r, "capability number unknown to AppArmor");
		return;
	}
	fprintf(g->f, "  %scapability %s,\n", q, name);
}

static void raw_rule(struct gen *g, const Bulwark__V1__Rule *r)
{
	const char *raw = r->apparmor_raw ? r->apparmor_raw : "";
	const char *s = raw;

	/* Verbatim, one indented line per line; a stray brace would end the
	 * profile early, so such text is refused rather than loaded. */
	if (strpbrk(raw, "{}")) {
		unenf(g, r,
		      "native apparmor text with braces is not inserted (it could escape the "
		      "profile)");
		return;
	}
	while (*s) {
		size_t n = strcspn(s, "\n");

		while (n && (*s == ' ' || *s == '\t'))
			s++, n--;
		if (n)
			fprintf(g->f, "  %.*s\n", (int)n, s);
		s += n;
		if (*s == '\n')
			s++;
	}
}

static void rule(struct gen *g, const Bulwark__V1__Rule *r)
{
	switch (r->match) {
	case BULWARK__V1__MATCH_KIND__MATCH_APPARMOR:
		raw_rule(g, r);
		return;
	case BULWARK__V1__MATCH_KIND__MATCH_PRESET:
		unenf(g, r, "presets need the BPF-LSM enforcer");
		return;
	default:
		break;
	}
	switch (r->operation) {
	case BULWARK__V1__OPERATION__OP_FILE:
		file_rule(g, r);
		break;
	case BULWARK__V1__OPERATION__OP_PROCESS:
		exec_rule(g, r);
		break;
	case BULWARK__V1__OPERATION__OP_NETWORK:
		if (!g->no_network)
			network_rule(g, r);
		break;
	case BULWARK__V1__OPERATION__OP_CAPABILITY:
		cap_rule(g, r);
		break;
	default:
		unenf(g, r, "syscall rules: AppArmor cannot mediate syscalls; monitor only");
		break;
	}
}

static void body(struct gen *g)
{
	const Bulwark__V1__RuleSet *rs = g->rs;

	fputs("  signal,\n  ptrace,\n  unix,\n  mount,\n  umount,\n  pivot_root,\n", g->f);
	if (g->host)
		/* A runtime started from a confined shell must still launch its
		 * containers under their own bulwark profiles. */
		fputs("  change_profile -> " BW_AA_PREFIX "*,\n", g->f);
	/* Audit posture of an allow-list: the baseline still grants, audited;
	 * the log drops the records an Allow rule explains (DefaultPosture). */
	if (g->file_allow != AA_ALLOW_BLOCK)
		fprintf(g->f, "  %s/{,**} rwlkm,\n", g->file_allow ? "audit " : "");
	if (g->proc_allow != AA_ALLOW_BLOCK)
		bw_aa_exec_baseline(g->f, g->proc_allow ? "audit " : "", g->src,
				    g->source ? 0 : g->n_src);
	if (g->net_allow != AA_ALLOW_BLOCK || g->no_network)
		fprintf(g->f, "  %snetwork,\n", g->net_allow && !g->no_network ? "audit " : "");
	if (g->cap_allow != AA_ALLOW_BLOCK)
		fprintf(g->f, "  %scapability,\n", g->cap_allow ? "audit " : "");
	for (size_t i = 0; i < rs->n_rules; i++)
		if (bw_aa_rule_in_source(rs->rules[i], g->source))
			rule(g, rs->rules[i]);
}

static int allow_mode(Bulwark__V1__Posture posture, int allowlist)
{
	if (!allowlist)
		return 0;
	return posture == BULWARK__V1__POSTURE__POSTURE_BLOCK ? AA_ALLOW_BLOCK : AA_ALLOW_AUDIT;
}

/* The body of a source's profile, one level deeper when nested. */
static void source_body(struct gen *g, const struct bw_aa_src *s, const char *indent)
{
	FILE *outer = g->f;
	char *inner = NULL;
	size_t ilen = 0;

	g->f = open_memstream(&inner, &ilen);
	if (!g->f) {
		g->f = outer;
		g->oom = 1;
		return;
	}
	g->source = s;
	body(g);
	g->source = NULL;
	fclose(g->f);
	g->f = outer;
	for (char *line = inner, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		fprintf(g->f, "%s%s\n", indent, line);
	}
	free(inner);
}

static const char *host_attach(void)
{
	const char *a = getenv("BW_APPARMOR_HOST_ATTACH");

	if (!a || !*a || a[0] != '/' || strpbrk(a, "\", \t\n"))
		return BW_AA_HOST_ATTACH;
	return a;
}

int bw_aa_profile_generate(const Bulwark__V1__RuleSet *rs, const char *name, unsigned flags,
			   char **out, char ***unenforced, size_t *n_unenforced)
{
	struct gen g = {.rs = rs,
			.name = name,
			.unenf = unenforced,
			.n_unenf = n_unenforced,
			.host = !!(flags & BW_AA_GEN_HOST),
			.no_network = !!(flags & BW_AA_GEN_NO_NETWORK)};
	char *text = NULL;
	size_t len = 0;

	if (bw_aa_sources(rs, &g.src, &g.n_src, unenforced, n_unenforced))
		return -ENOMEM;
	g.f = open_memstream(&text, &len);
	if (!g.f) {
		free(g.src);
		return -ENOMEM;
	}
	g.file_allow = allow_mode(rs->file_posture, rs->file_allowlist);
	/* process follows the file posture */
	g.proc_allow = allow_mode(rs->file_posture, rs->process_allowlist);
	g.net_allow =
	    g.no_network ? 0 : allow_mode(rs->network_posture, bw_rs_protocol_allowlist(rs));
	g.cap_allow = allow_mode(rs->capability_posture, rs->capability_allowlist);

	if (g.host)
		fprintf(g.f,
			"# Generated by Bulwark for the host: do not edit.\n"
			"profile %s %s flags=(attach_disconnected,mediate_deleted) {\n",
			name, host_attach());
	else
		fprintf(g.f,
			"# Generated by Bulwark for container %s: do not edit.\n"
			"profile %s flags=(attach_disconnected,mediate_deleted) {\n",
			rs->container_id && *rs->container_id ? rs->container_id : "(none)", name);
	/* fromSource: the parent enters the source's profile on exec ("cx"
	 * to a child; on the host "px" to a profile attached by the same
	 * path, which also catches the source started by anything else).
	 * AppArmor refuses this change for a task with no_new_privs (the apply
	 * reports such containers). */
	for (size_t i = 0; i < g.n_src; i++)
		fprintf(g.f, "  %s %s,\n", g.src[i].glob, g.host ? "px" : "cx");
	body(&g);
	for (size_t i = 0; !g.host && i < g.n_src; i++) {
		fprintf(g.f, "\n  profile %s flags=(attach_disconnected,mediate_deleted) {\n",
			g.src[i].glob);
		source_body(&g, &g.src[i], "  ");
		fputs("  }\n", g.f);
	}
	fputs("}\n", g.f);
	for (size_t i = 0; g.host && i < g.n_src; i++) {
		fprintf(g.f, "\nprofile %s.%08x %s flags=(attach_disconnected,mediate_deleted) {\n",
			name, g.src[i].hash, g.src[i].glob);
		source_body(&g, &g.src[i], "");
		fputs("}\n", g.f);
	}
	free(g.src);
	if (fclose(g.f) || g.oom) {
		free(text);
		return -ENOMEM;
	}
	*out = text;
	return 0;
}
