/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The policy corpus: every file under valid/ must parse; every file under
 * invalid/ must be rejected with each error its "# expect: ..." lines name
 * (or, for JSON, the lines of FILE.expect), as substrings of the
 * "file:line:col: message" output, file being the base name.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bw_policy.h"

#define CORPUS BW_SOURCE_DIR "/tests/policies"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = 0;
		*len = (size_t)n;
	}
	return buf;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Policy files of dir, sorted. */
static size_t list(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		const char *dot = strrchr(e->d_name, '.');
		if (!dot || (strcmp(dot, ".yaml") && strcmp(dot, ".json")))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(v, n, sizeof(*v), cmp_str);
	*out = v;
	return n;
}

static int parse(const char *dir, const char *name, char **errors, size_t *n_policies)
{
	char path[512];
	size_t len = 0, n = 0;
	struct bw_diags *d;
	struct bw_policy **v = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *buf = slurp(path, &len);
	assert_non_null(buf);
	assert_int_equal(bw_diags_new(&d), 0);
	int rc = bw_policy_parse(buf, len, name, &v, &n, d);
	*errors = bw_diags_format(d);
	for (size_t i = 0; i < n; i++)
		bw_policy_free(v[i]);
	free(v);
	bw_diags_free(d);
	free(buf);
	*n_policies = n;
	return rc;
}

static void test_valid(void **state)
{
	char **files;
	size_t n = list(CORPUS "/valid", &files);

	assert_true(n >= 8);
	for (size_t i = 0; i < n; i++) {
		char *errors;
		size_t np;
		int rc = parse(CORPUS "/valid", files[i], &errors, &np);
		if (rc)
			fprintf(stderr, "valid/%s rejected:\n%s", files[i], errors);
		assert_int_equal(rc, 0);
		assert_true(np >= 1);
		assert_string_equal(errors, "");
		free(errors);
		free(files[i]);
	}
	free(files);
}

/* The expected error substrings of a file: its "# expect: " lines, or the
 * "expect: " lines of FILE.expect. */
static size_t expectations(const char *name, char ***out)
{
	char path[512], *buf, *save = NULL;
	size_t len, n = 0;
	char **v = NULL;

	snprintf(path, sizeof(path), CORPUS "/invalid/%s.expect", name);
	buf = slurp(path, &len);
	if (!buf) {
		snprintf(path, sizeof(path), CORPUS "/invalid/%s", name);
		buf = slurp(path, &len);
	}
	assert_non_null(buf);
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "expect: ");
		if (!p || (line[0] != '#' && line != p))
			continue;
		v = realloc(v, (n + 1) * sizeof(*v));
		v[n++] = strdup(p + strlen("expect: "));
	}
	free(buf);
	*out = v;
	return n;
}

static void test_invalid(void **state)
{
	char **files;
	size_t n = list(CORPUS "/invalid", &files);

	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		char *errors, **want;
		size_t np, nw = expectations(files[i], &want);
		if (!nw)
			fprintf(stderr, "invalid/%s has no '# expect:' line\n", files[i]);
		assert_true(nw > 0);
		int rc = parse(CORPUS "/invalid", files[i], &errors, &np);
		if (!rc)
			fprintf(stderr, "invalid/%s was accepted\n", files[i]);
		assert_int_equal(rc, -EINVAL);
		assert_int_equal(np, 0); /* nothing of a rejected file is applied */
		for (size_t k = 0; k < nw; k++) {
			if (!strstr(errors, want[k]))
				fprintf(stderr, "invalid/%s: wanted\n  %s\ngot:\n%s", files[i],
					want[k], errors);
			assert_non_null(strstr(errors, want[k]));
			free(want[k]);
		}
		free(want);
		free(errors);
		free(files[i]);
	}
	free(files);
}

/* The example inventory loads, and every valid policy compiles against it. */
static void test_inventory_example(void **state)
{
	struct bw_inventory *inv;
	struct bw_diags *d;
	size_t len;
	char *buf = slurp(CORPUS "/inventory.yaml", &len);

	assert_non_null(buf);
	assert_int_equal(bw_inventory_new(&inv), 0);
	assert_int_equal(bw_diags_new(&d), 0);
	int rc = bw_inventory_load_yaml(inv, buf, len, "inventory.yaml", d);
	if (rc) {
		char *s = bw_diags_format(d);
		fprintf(stderr, "%s", s);
		free(s);
	}
	assert_int_equal(rc, 0);
	const char **nodes;
	size_t nn;
	assert_int_equal(bw_inventory_nodes(inv, &nodes, &nn), 0);
	assert_true(nn >= 2);
	free(nodes);
	bw_diags_free(d);
	bw_inventory_free(inv);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_invalid),
	    cmocka_unit_test(test_inventory_example),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
