// SPDX-License-Identifier: Apache-2.0
/*
 * fromSource in AppArmor terms (see enforce_apparmor_gen.c for the profile
 * shape): the distinct sources of a rule set, the exec glob each one is
 * entered by, which rules hold inside it, and the exec baseline of the
 * parent that leaves the source directories to their transitions.
 *
 * Why the baseline needs care: the parent allows every other exec with
 * "/{,**} ix", and AppArmor refuses two overlapping globs with different exec
 * modes ("conflicting x modifiers"); only an exact path beats a glob.  So a
 * source directory's transition ("/usr/bin/ + * cx") cannot sit beside
 * "/{,**} ix": the baseline is written instead as the complement of the
 * source globs, one "prefix + [^next char]**" line per character of each
 * source directory (a few dozen lines, independent of the rule count).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enforce_apparmor_int.h"
#include "enforce_priv.h"

/* Characters a source path may hold: the profile grammar has no escape for
 * quotes, commas or control characters, and a space would need quoting that
 * profile names cannot carry. */
static int source_path_ok(const char *p)
{
	if (!p || p[0] != '/')
		return 0;
	for (; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '"' || *p == ',' || *p == 0x7f ||
		    *p == '{' || *p == '}')
			return 0;
	return 1;
}

static void put_escaped(char *out, size_t len, const char *path, const char *suffix)
{
	size_t n = 0;

	for (const char *s = path; *s && n + 3 < len; s++) {
		if (strchr("*?[]^\\", *s))
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
	snprintf(out + n, len - n, "%s", suffix);
}

static int same_source(const Bulwark__V1__Source *a, const struct bw_aa_src *b)
{
	return a->path && !!a->dir == b->dir && (!a->dir || !!a->recursive == b->recursive) &&
	       !strcmp(a->path, b->path);
}

/* Does the directory source d (path ending in '/') hold the binary path? */
static int dir_holds(const char *dir, int recursive, const char *path)
{
	size_t n = strlen(dir);

	if (strncmp(path, dir, n) || !path[n])
		return 0;
	return recursive || !strchr(path + n, '/');
}

/* Is directory a (ending in '/') inside or equal to directory b? */
static int dir_within(const char *a, const char *b)
{
	return !strncmp(a, b, strlen(b));
}

uint32_t bw_aa_src_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static void unenf(const Bulwark__V1__RuleSet *rs, const Bulwark__V1__Rule *r, char ***list,
		  size_t *n, int *oom, const char *why)
{
	char desc[512];

	bw_rule_describe(rs, r, desc, sizeof(desc));
	if (bw_unenforced_add(list, n, "%s: %s", desc, why))
		*oom = 1;
}

int bw_aa_sources(const Bulwark__V1__RuleSet *rs, struct bw_aa_src **out, size_t *n_out,
		  char ***unenforced, size_t *n_unenforced)
{
	struct bw_aa_src *v = NULL;
	size_t n = 0;
	int oom = 0;

	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];

		for (size_t j = 0; j < r->n_from_source; j++) {
			const Bulwark__V1__Source *s = r->from_source[j];
			struct bw_aa_src *g, *d;
			size_t plen;
			int dup = 0;

			for (size_t k = 0; k < n && !dup; k++)
				dup = same_source(s, &v[k]);
			if (dup)
				continue;
			if (!source_path_ok(s->path)) {
				unenf(rs, r, unenforced, n_unenforced, &oom,
				      "fromSource path cannot be expressed in AppArmor (must be "
				      "absolute, without spaces, quotes, commas or braces)");
				continue;
			}
			plen = strlen(s->path);
			if (s->dir && s->path[plen - 1] != '/') {
				unenf(rs, r, unenforced, n_unenforced, &oom,
				      "fromSource directory must end with '/'");
				continue;
			}
			if (plen + 4 >= sizeof(v->glob) / 2) {
				unenf(rs, r, unenforced, n_unenforced, &oom,
				      "fromSource path too long for a profile name");
				continue;
			}
			/* Two source directories one inside the other would need two
			 * different transitions for the same binaries. */
			if (s->dir) {
				int nested = 0;

				for (size_t k = 0; k < n && !nested; k++)
					nested = v[k].dir && (dir_within(s->path, v[k].path) ||
							      dir_within(v[k].path, s->path));
				if (nested) {
					unenf(
					    rs, r, unenforced, n_unenforced, &oom,
					    "fromSource directory overlaps another source "
					    "directory: "
					    "AppArmor can enter only one profile per binary; this "
					    "source is not enforced");
					continue;
				}
			}
			g = realloc(v, (n + 1) * sizeof(*v));
			if (!g) {
				oom = 1;
				break;
			}
			v = g;
			d = &v[n++];
			memset(d, 0, sizeof(*d));
			d->path = s->path;
			d->dir = !!s->dir;
			d->recursive = s->dir && s->recursive;
			put_escaped(d->glob, sizeof(d->glob), s->path,
				    !d->dir	   ? ""
				    : d->recursive ? "**"
						   : "*");
			d->hash = bw_aa_src_hash(d->glob);
		}
	}
	if (oom) {
		free(v);
		return -ENOMEM;
	}
	*out = v;
	*n_out = n;
	return 0;
}

int bw_aa_rule_in_source(const Bulwark__V1__Rule *r, const struct bw_aa_src *s)
{
	if (!r->n_from_source)
		return 1;
	if (!s)
		return 0;
	for (size_t i = 0; i < r->n_from_source; i++) {
		const Bulwark__V1__Source *f = r->from_source[i];

		if (!f->path)
			continue;
		if (same_source(f, s))
			return 1;
		/* A binary named exactly is entered by its own child (an exact
		 * path beats a glob), which must also hold the rules of the
		 * source directories containing it. */
		if (!s->dir && f->dir && dir_holds(f->path, f->recursive, s->path))
			return 1;
	}
	return 0;
}

const struct bw_aa_src *bw_aa_source_by_label(const struct bw_aa_src *v, size_t n,
					      const char *label)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].glob, label))
			return &v[i];
	/* The kernel names a child entered through a glob by the binary's
	 * path ("bulwark-c1///usr/bin/env" for the child "/usr/bin/ + *"):
	 * an exact source first (an exact path beats a glob), then the
	 * source directory holding it. */
	for (size_t i = 0; i < n; i++)
		if (!v[i].dir && !strcmp(v[i].path, label))
			return &v[i];
	for (size_t i = 0; i < n; i++)
		if (v[i].dir && dir_holds(v[i].path, v[i].recursive, label))
			return &v[i];
	return NULL;
}

/* ---- the exec baseline around source directories -------------------------- */

static int is_exact_source(const struct bw_aa_src *v, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (!v[i].dir && !strcmp(v[i].path, path))
			return 1;
	return 0;
}

/* Appends c to a bracket expression, escaped where AppArmor reads it specially. */
static void class_char(FILE *f, char c)
{
	if (strchr("]\\^-[", c))
		fputc('\\', f);
	fputc(c, f);
}

/*
 * Everything starting with prefix p (length plen, a proper prefix of at least
 * one source directory in v) that no source directory's transition covers.
 */
static void complement(FILE *f, const char *q, const struct bw_aa_src *v, size_t n, char *p,
		       size_t plen)
{
	char next[256];
	size_t nn = 0;
	char lit[2200];

	/* p itself, unless a source binary of that exact name has its own line. */
	p[plen] = '\0';
	if (!is_exact_source(v, n, p)) {
		put_escaped(lit, sizeof(lit), p, "");
		fprintf(f, "  %s%s ix,\n", q, lit);
	}
	for (size_t i = 0; i < n; i++) {
		const char *d = v[i].path;

		if (!v[i].dir || strncmp(d, p, plen))
			continue;
		if (d[plen] == '\0') {
			/* p is this source directory: its transition covers what
			 * lies directly in it (or everything below it). */
			if (!v[i].recursive) {
				put_escaped(lit, sizeof(lit), p, "*/**");
				fprintf(f, "  %s%s ix,\n", q, lit);
			}
			return;
		}
		if (!memchr(next, d[plen], nn))
			next[nn++] = d[plen];
	}
	put_escaped(lit, sizeof(lit), p, "");
	fprintf(f, "  %s%s[^", q, lit);
	for (size_t i = 0; i < nn; i++)
		class_char(f, next[i]);
	fputs("]** ix,\n", f);
	for (size_t i = 0; i < nn; i++) {
		p[plen] = next[i];
		complement(f, q, v, n, p, plen + 1);
	}
}

void bw_aa_exec_baseline(FILE *f, const char *qual, const struct bw_aa_src *v, size_t n)
{
	char p[1100];
	int any_dir = 0;

	for (size_t i = 0; i < n; i++)
		any_dir |= v[i].dir;
	if (!any_dir) {
		fprintf(f, "  %s/{,**} ix,\n", qual);
		return;
	}
	/* Every absolute path starts with '/', the first character of every
	 * source directory. */
	p[0] = '/';
	complement(f, qual, v, n, p, 1);
}

int bw_aa_glob_overlaps_dir(const char *spec, const struct bw_aa_src *v, size_t n)
{
	size_t lit = strcspn(spec, "*?[{\\\"");

	if (spec[lit] == '\0')
		return 0; /* an exact path beats the directory's glob */
	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (!v[i].dir)
			continue;
		d = strlen(v[i].path);
		/* The rule's literal prefix and the directory agree as far as both
		 * go: some path may match both. */
		if (!strncmp(spec, v[i].path, lit < d ? lit : d))
			return 1;
	}
	return 0;
}
