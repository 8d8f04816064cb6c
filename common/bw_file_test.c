/* SPDX-License-Identifier: Apache-2.0 */
/* bw_file.h and bw_array.h against real files and allocations. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "bw_array.h"
#include "bw_file.h"

static char dir[] = "/tmp/bw-file-test-XXXXXX";

static void write_file(const char *path, size_t n)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		fputc('a' + (int)(i % 26), f);
	fclose(f);
}

static void test_read_file(void **state)
{
	char path[256];
	size_t len = 0;
	char *s;

	(void)state;
	snprintf(path, sizeof(path), "%s/big", dir);
	/* larger than the first buffer: the growth path */
	write_file(path, 200000);
	s = bw_read_file(path, 200000, &len);
	assert_non_null(s);
	assert_int_equal(len, 200000);
	assert_int_equal(s[len], '\0');
	assert_int_equal(s[199999], 'a' + 199999 % 26);
	free(s);
	/* one byte over the limit */
	errno = 0;
	assert_null(bw_read_file(path, 199999, &len));
	assert_int_equal(errno, EFBIG);
	/* empty */
	snprintf(path, sizeof(path), "%s/empty", dir);
	write_file(path, 0);
	s = bw_read_file(path, 10, &len);
	assert_non_null(s);
	assert_int_equal(len, 0);
	assert_string_equal(s, "");
	free(s);
	/* missing */
	snprintf(path, sizeof(path), "%s/none", dir);
	errno = 0;
	assert_null(bw_read_file(path, 10, &len));
	assert_int_equal(errno, ENOENT);
}

static void test_read_small(void **state)
{
	char path[256], buf[8];

	(void)state;
	snprintf(path, sizeof(path), "%s/small", dir);
	write_file(path, 20);
	assert_int_equal(bw_read_small(path, buf, sizeof(buf)), 7); /* cut at len - 1 */
	assert_string_equal(buf, "abcdefg");
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(bw_read_small(path, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(bw_read_small("/proc/self/comm", buf, sizeof(buf)) > 0, 1);
}

static void test_grow(void **state)
{
	int *v = NULL;
	size_t cap = 0, n = 0;

	(void)state;
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(BW_GROW(v, cap, n + 1), 0);
		v[n++] = i;
	}
	assert_true(cap >= 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(v[i], i);
	/* enough room: nothing changes */
	{
		int *before = v;
		size_t cap_before = cap;

		assert_int_equal(BW_GROW(v, cap, cap), 0);
		assert_ptr_equal(v, before);
		assert_int_equal(cap, cap_before);
	}
	/* a size that cannot exist: refused, the array kept */
	{
		size_t cap_before = cap;

		assert_int_equal(BW_GROW(v, cap, (size_t)-1 / 2), -ENOMEM);
		assert_int_equal(cap, cap_before);
		assert_int_equal(v[999], 999);
	}
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_file),
	    cmocka_unit_test(test_read_small),
	    cmocka_unit_test(test_grow),
	};
	char cmd[300];
	int rc;

	if (!mkdtemp(dir))
		return 1;
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
