/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bw_crc32c.h"
#include "spool.h"

static char dir[] = "/tmp/bw_spool_test.XXXXXX";

static int setup(void **state)
{
	strcpy(dir, "/tmp/bw_spool_test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static int count_segments(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	while ((de = readdir(d)))
		n += strstr(de->d_name, ".spool") != NULL;
	closedir(d);
	return n;
}

static void rec(char *buf, size_t len, int i)
{
	memset(buf, 'a' + i % 26, len);
	snprintf(buf, len, "record-%d", i);
}

static void test_fifo_and_reopen(void **state)
{
	struct bw_spool *s;
	struct bw_spool_pos cur;
	struct bw_spool_stats st;
	char err[256], buf[100];
	void *data;
	size_t len;

	assert_int_equal(bw_spool_open(&s, dir, 1 << 20, 64 << 10, err, sizeof(err)), 0);
	assert_true(bw_spool_empty(s));
	for (int i = 0; i < 10; i++) {
		rec(buf, sizeof(buf), i);
		assert_int_equal(bw_spool_append(s, buf, sizeof(buf)), 0);
	}
	assert_int_equal(bw_spool_sync(s), 0);
	assert_false(bw_spool_empty(s));
	cur = bw_spool_head(s);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), 0);
		rec(buf, sizeof(buf), i);
		assert_int_equal(len, sizeof(buf));
		assert_memory_equal(data, buf, len);
		free(data);
	}
	/* Four delivered; the other six must survive a close (or a crash). */
	assert_int_equal(bw_spool_release(s, cur), 0);
	bw_spool_close(s);

	assert_int_equal(bw_spool_open(&s, dir, 1 << 20, 64 << 10, err, sizeof(err)), 0);
	bw_spool_get_stats(s, &st);
	assert_int_equal(st.recovered, 6);
	assert_true(st.oldest_ns > 0);
	cur = bw_spool_head(s);
	for (int i = 4; i < 10; i++) {
		assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), 0);
		rec(buf, sizeof(buf), i);
		assert_memory_equal(data, buf, len);
		free(data);
	}
	assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), -ENOENT);
	assert_int_equal(bw_spool_release(s, cur), 0);
	assert_true(bw_spool_empty(s));
	bw_spool_close(s);
}

static void test_bounded(void **state)
{
	struct bw_spool *s;
	struct bw_spool_stats st;
	char err[256], buf[1000] = {0};
	int ok = 0, rc;

	assert_int_equal(bw_spool_open(&s, dir, 1 << 20, 64 << 10, err, sizeof(err)), 0);
	while ((rc = bw_spool_append(s, buf, sizeof(buf))) == 0)
		ok++;
	assert_int_equal(rc, -ENOSPC);
	/* 1 MiB of 1024-byte records (1000 + header) */
	assert_int_equal(ok, (1 << 20) / (1000 + BW_SPOOL_HDR));
	bw_spool_get_stats(s, &st);
	assert_int_equal(st.refused, 1);
	assert_true(st.pending_bytes <= 1 << 20);
	assert_int_equal(bw_spool_append(s, buf, 70 << 10), -EMSGSIZE);
	bw_spool_close(s);
}

static void test_segments_rotate_and_go(void **state)
{
	struct bw_spool *s;
	struct bw_spool_pos cur;
	char err[256], buf[4000] = {0};
	void *data;
	size_t len;
	int n = 0;

	assert_int_equal(bw_spool_open(&s, dir, 8 << 20, 64 << 10, err, sizeof(err)), 0);
	for (int i = 0; i < 100; i++) {
		rec(buf, sizeof(buf), i);
		assert_int_equal(bw_spool_append(s, buf, sizeof(buf)), 0);
	}
	assert_int_equal(bw_spool_sync(s), 0);
	assert_true(count_segments() >= 6); /* 400 KB in 64 KB files */
	cur = bw_spool_head(s);
	while (bw_spool_read(s, &cur, &data, &len, NULL) == 0) {
		rec(buf, sizeof(buf), n++);
		assert_memory_equal(data, buf, len);
		free(data);
	}
	assert_int_equal(n, 100);
	assert_int_equal(bw_spool_release(s, cur), 0);
	assert_int_equal(count_segments(), 1); /* only the tail remains */
	assert_true(bw_spool_empty(s));
	/* the next record after a drain starts a fresh file; the old one goes */
	assert_int_equal(bw_spool_append(s, "z", 1), 0);
	assert_int_equal(count_segments(), 2);
	assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), 0);
	assert_memory_equal(data, "z", 1);
	free(data);
	assert_int_equal(bw_spool_release(s, cur), 0);
	assert_int_equal(count_segments(), 1);
	bw_spool_close(s);
}

static void test_torn_tail_is_cut(void **state)
{
	struct bw_spool *s;
	struct bw_spool_pos cur;
	struct bw_spool_stats st;
	char err[256], buf[100] = "x", path[300];
	void *data;
	size_t len;
	int fd;

	assert_int_equal(bw_spool_open(&s, dir, 1 << 20, 64 << 10, err, sizeof(err)), 0);
	assert_int_equal(bw_spool_append(s, buf, sizeof(buf)), 0);
	assert_int_equal(bw_spool_append(s, buf, sizeof(buf)), 0);
	assert_int_equal(bw_spool_sync(s), 0);
	bw_spool_close(s);
	/* A crash in the middle of a third write: half a record at the end. */
	snprintf(path, sizeof(path), "%s/%016x.spool", dir, 1);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x57\x42\x53\x50\x64\x00\x00\x00garbage", 15), 15);
	close(fd);

	assert_int_equal(bw_spool_open(&s, dir, 1 << 20, 64 << 10, err, sizeof(err)), 0);
	bw_spool_get_stats(s, &st);
	assert_int_equal(st.recovered, 2);
	assert_int_equal(st.pending_bytes, 2 * (sizeof(buf) + BW_SPOOL_HDR));
	cur = bw_spool_head(s);
	assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), 0);
	free(data);
	assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), 0);
	free(data);
	assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), -ENOENT);
	/* New records go after the cut, not after the garbage. */
	assert_int_equal(bw_spool_append(s, "new", 3), 0);
	assert_int_equal(bw_spool_read(s, &cur, &data, &len, NULL), 0);
	assert_int_equal(len, 3);
	assert_memory_equal(data, "new", 3);
	free(data);
	bw_spool_close(s);
}

static void test_corrupt_record_skipped(void **state)
{
	struct bw_spool *s;
	struct bw_spool_pos cur;
	struct bw_spool_stats st;
	char err[256], buf[100], path[300];
	void *data;
	size_t len;
	int fd, n = 0;

	assert_int_equal(bw_spool_open(&s, dir, 1 << 20, 64 << 10, err, sizeof(err)), 0);
	for (int i = 0; i < 3; i++) {
		rec(buf, sizeof(buf), i);
		assert_int_equal(bw_spool_append(s, buf, sizeof(buf)), 0);
	}
	assert_int_equal(bw_spool_sync(s), 0);
	/* Flip a payload byte of the second record: its CRC no longer matches. */
	snprintf(path, sizeof(path), "%s/%016x.spool", dir, 1);
	fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "!", 1, 124 + BW_SPOOL_HDR + 5), 1);
	close(fd);
	cur = bw_spool_head(s);
	while (bw_spool_read(s, &cur, &data, &len, NULL) == 0) {
		n++;
		free(data);
	}
	assert_int_equal(n, 1); /* the rest of the segment is skipped */
	bw_spool_get_stats(s, &st);
	assert_int_equal(st.corrupt, 1);
	bw_spool_close(s);
}

static void test_crc32c(void **state)
{
	char big[1000];

	/* the standard check value (whichever path this CPU takes), a tail that
	 * is not a multiple of 8, and a changed length changing the sum */
	assert_int_equal(bw_crc32c(0, "123456789", 9), 0xe3069283u);
	assert_int_equal(bw_crc32c(0, "", 0), 0);
	memset(big, 'q', sizeof(big));
	assert_int_equal(bw_crc32c(0, "1234567890abc", 13), 0x3dce60a2u);
	assert_int_not_equal(bw_crc32c(0, big, 999), bw_crc32c(0, big, 1000));
}

static void test_bad_dir(void **state)
{
	struct bw_spool *s = NULL;
	char err[256];

	assert_int_equal(
	    bw_spool_open(&s, "/proc/no/such/dir", 1 << 20, 64 << 10, err, sizeof(err)), -ENOENT);
	assert_null(s);
	assert_non_null(strstr(err, "/proc/no/such/dir"));
	assert_int_equal(bw_spool_open(&s, "", 1 << 20, 64 << 10, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fifo_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_segments_rotate_and_go, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_torn_tail_is_cut, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_corrupt_record_skipped, setup, teardown),
	    cmocka_unit_test(test_bad_dir),
	    cmocka_unit_test(test_crc32c),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
