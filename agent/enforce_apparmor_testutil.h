/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers of the AppArmor enforcer's unit tests (enforce_apparmor_test.c,
 * enforce_apparmor_src_test.c): generate a profile from the test policy
 * text (bw_testpolicy.h), have apparmor_parser compile it without loading
 * it, and look for lines.  Include after cmocka.h.
 */
#ifndef BW_ENFORCE_APPARMOR_TESTUTIL_H
#define BW_ENFORCE_APPARMOR_TESTUTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bw_testpolicy.h"
#include "enforce_apparmor_int.h"

struct gen_out {
	char *text;
	char **unenf;
	size_t n_unenf;
};

static inline void parser_accepts(const char *text)
{
	char path[] = "/tmp/bw-aa-test-XXXXXX", err[2048];
	const char *args[] = {"-Q", "-K", path, NULL};
	FILE *f;
	int fd;

	if (access("/sbin/apparmor_parser", X_OK) && access("/usr/sbin/apparmor_parser", X_OK))
		return; /* checked where the parser exists (CI installs it) */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	if (bw_aa_run_parser(args, err, sizeof(err))) {
		fprintf(stderr, "parser refused:\n%s\n%s\n", text, err);
		fail();
	}
	unlink(path);
}

static inline void gen_flags(const char *policy, unsigned flags, struct gen_out *o)
{
	Bulwark__V1__CompiledPolicy *cp;
	char err[256];

	memset(o, 0, sizeof(*o));
	if (bw_testpolicy_parse(policy, 1, &cp, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		fail();
	}
	assert_int_equal(bw_aa_profile_generate(cp->containers[0], "bulwark-abc", flags, &o->text,
						&o->unenf, &o->n_unenf),
			 0);
	bw_testpolicy_free(cp);
	parser_accepts(o->text);
}

static inline void gen(const char *policy, struct gen_out *o)
{
	gen_flags(policy, 0, o);
}

static inline void gen_free(struct gen_out *o)
{
	for (size_t i = 0; i < o->n_unenf; i++)
		free(o->unenf[i]);
	free(o->unenf);
	free(o->text);
}

/* The profile holds this exact line (indented like a top-level rule). */
static inline void has_line(const struct gen_out *o, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n  %s\n", line);
	if (!strstr(o->text, want)) {
		fprintf(stderr, "missing line '%s' in:\n%s", line, o->text);
		fail();
	}
}

static inline void lacks_line(const struct gen_out *o, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n  %s\n", line);
	if (strstr(o->text, want)) {
		fprintf(stderr, "unexpected line '%s' in:\n%s", line, o->text);
		fail();
	}
}

static inline int unenf_has(const struct gen_out *o, const char *needle)
{
	for (size_t i = 0; i < o->n_unenf; i++)
		if (strstr(o->unenf[i], needle))
			return 1;
	return 0;
}

#endif
