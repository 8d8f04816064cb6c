/* SPDX-License-Identifier: Apache-2.0 */
/* The durable store: replay, torn tails, corruption, compaction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bw_log.h"
#include "ctl_map.h"
#include "ctl_test_util.h"
#include "store.h"

/* The replayed state: key -> value string. */
struct kv {
	struct ctl_map *m;
	int ops;
};

static int replay(void *arg, char type, const char *key, const void *value, size_t vlen)
{
	struct kv *s = arg;
	char k[300];
	void *old = NULL;

	snprintf(k, sizeof(k), "%c/%s", type, key);
	s->ops++;
	if (!value) {
		free(ctl_map_del(s->m, k));
		return 0;
	}
	ctl_map_put(s->m, k, strndup(value, vlen), &old);
	free(old);
	return 0;
}

static void kv_free(struct kv *s)
{
	size_t it = 0;
	void *v;

	while (ctl_map_next(s->m, &it, NULL, &v))
		free(v);
	ctl_map_free(s->m);
	s->m = NULL;
}

static struct bw_store *reopen(const char *dir, struct kv *s, int expect_rc)
{
	struct bw_store *st = NULL;

	if (s->m)
		kv_free(s);
	assert_int_equal(ctl_map_new(&s->m), 0);
	s->ops = 0;
	assert_int_equal(bw_store_open(&st, dir, replay, s), expect_rc);
	return st;
}

static const char *get(struct kv *s, const char *k)
{
	return ctl_map_get(s->m, k);
}

static void put(struct bw_store *st, char type, const char *k, const char *v, enum bw_store_sync sy)
{
	struct bw_store_txn *t;

	assert_int_equal(bw_store_txn_new(&t), 0);
	if (v)
		assert_int_equal(bw_store_txn_put(t, type, k, v, strlen(v)), 0);
	else
		assert_int_equal(bw_store_txn_del(t, type, k), 0);
	assert_int_equal(bw_store_commit(st, t, sy), 0);
	bw_store_txn_free(t);
}

static off_t fsize(const char *p)
{
	struct stat sb;

	return stat(p, &sb) ? -1 : sb.st_size;
}

static void test_replay_and_transactions(void **state)
{
	char *dir = tu_tmpdir(), wal[300];
	struct kv s = {0};
	struct bw_store *st = reopen(dir, &s, 0);
	struct bw_store_txn *t;

	put(st, 'P', "a", "1", BW_STORE_SYNC);
	put(st, 'P', "b", "2", BW_STORE_LAZY);
	put(st, 'P', "a", "3", BW_STORE_SYNC);
	put(st, 'P', "b", NULL, BW_STORE_SYNC);
	/* One transaction, several keys, binary value with NULs. */
	assert_int_equal(bw_store_txn_new(&t), 0);
	assert_int_equal(bw_store_txn_put(t, 'C', "x", "n\0\1\2", 4), 0);
	assert_int_equal(bw_store_txn_put(t, 'N', "y", "", 0), 0);
	assert_int_equal(bw_store_txn_ops(t), 2);
	assert_int_equal(bw_store_commit(st, t, BW_STORE_SYNC), 0);
	bw_store_txn_free(t);
	bw_store_close(st);

	st = reopen(dir, &s, 0);
	assert_int_equal(s.ops, 6);
	assert_string_equal(get(&s, "P/a"), "3");
	assert_null(get(&s, "P/b"));
	assert_non_null(get(&s, "C/x"));
	assert_string_equal(get(&s, "N/y"), "");
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	assert_int_equal((uint64_t)fsize(wal), bw_store_wal_bytes(st));
	bw_store_close(st);
	kv_free(&s);
	tu_rmrf(dir);
	free(dir);
}

static void append_bytes(const char *path, const void *b, size_t n)
{
	int fd = open(path, O_WRONLY | O_APPEND);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, b, n), (ssize_t)n);
	close(fd);
}

/* A write cut short by a crash is dropped with a warning; what came before stays. */
static void test_torn_tail_dropped(void **state)
{
	char *dir = tu_tmpdir(), wal[300];
	struct kv s = {0};
	struct bw_store *st = reopen(dir, &s, 0);
	off_t good;
	/* A header promising 100 bytes, then only 3. */
	unsigned char torn[] = {100, 0, 0, 0, 1, 2, 3, 4, 'P', 0, 0};

	put(st, 'P', "kept", "yes", BW_STORE_SYNC);
	bw_store_close(st);
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	good = fsize(wal);
	append_bytes(wal, torn, sizeof(torn));

	st = reopen(dir, &s, 0);
	assert_string_equal(get(&s, "P/kept"), "yes");
	assert_int_equal(fsize(wal), good); /* truncated back to the last good record */
	{
		struct bw_store_stats ss;

		bw_store_get_stats(st, &ss);
		assert_int_equal(ss.torn_records_dropped, 1);
	}
	/* Writes after the repair land and replay. */
	put(st, 'P', "after", "ok", BW_STORE_SYNC);
	bw_store_close(st);
	st = reopen(dir, &s, 0);
	assert_string_equal(get(&s, "P/after"), "ok");
	bw_store_close(st);

	/* A complete last record with a bad CRC (a torn page) is a torn tail too. */
	{
		int fd = open(wal, O_RDWR);
		off_t end = fsize(wal);
		char ch;

		assert_true(pread(fd, &ch, 1, end - 1) == 1);
		ch ^= 0x5a;
		assert_true(pwrite(fd, &ch, 1, end - 1) == 1);
		close(fd);
	}
	st = reopen(dir, &s, 0);
	assert_null(get(&s, "P/after"));
	assert_string_equal(get(&s, "P/kept"), "yes");
	bw_store_close(st);
	kv_free(&s);
	tu_rmrf(dir);
	free(dir);
}

/* Damage before the end is not a torn write: the store refuses to guess. */
static void test_corruption_in_the_middle_refused(void **state)
{
	char *dir = tu_tmpdir(), wal[300];
	struct kv s = {0};
	struct bw_store *st = reopen(dir, &s, 0);
	int fd;
	char ch;

	put(st, 'P', "one", "first-value", BW_STORE_SYNC);
	put(st, 'P', "two", "second-value", BW_STORE_SYNC);
	bw_store_close(st);
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	fd = open(wal, O_RDWR);
	assert_true(pread(fd, &ch, 1, 12) == 1);
	ch ^= 0x01;
	assert_true(pwrite(fd, &ch, 1, 12) == 1);
	close(fd);
	st = reopen(dir, &s, -EBADMSG);
	assert_null(st);
	kv_free(&s);
	tu_rmrf(dir);
	free(dir);
}

struct dump_src {
	int n;
};

static int dump(void *arg, struct bw_store_txn *t)
{
	struct dump_src *d = arg;
	char k[32], v[600];

	memset(v, 'v', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	for (int i = 0; i < d->n; i++) {
		snprintf(k, sizeof(k), "k%05d", i);
		int rc = bw_store_txn_put(t, 'P', k, v, strlen(v));

		if (rc)
			return rc;
	}
	return 0;
}

/* Compaction writes a snapshot (in chunks) and empties the WAL; replay sees the same state. */
static void test_rewrite(void **state)
{
	char *dir = tu_tmpdir(), wal[300], snap[300];
	struct dump_src d = {2000}; /* ~1.2 MB: several snapshot records */
	struct kv s = {0};
	struct bw_store *st = reopen(dir, &s, 0);

	put(st, 'P', "old", "gone-after-rewrite", BW_STORE_SYNC);
	assert_int_equal(bw_store_rewrite(st, dump, &d), 0);
	assert_int_equal(bw_store_wal_bytes(st), 0);
	put(st, 'P', "k00001", "overwritten", BW_STORE_SYNC);
	bw_store_close(st);
	snprintf(wal, sizeof(wal), "%s/wal", dir);
	snprintf(snap, sizeof(snap), "%s/snapshot", dir);
	assert_true(fsize(snap) > 1000000);

	st = reopen(dir, &s, 0);
	assert_int_equal(ctl_map_count(s.m), 2000);
	assert_null(get(&s, "P/old"));
	assert_string_equal(get(&s, "P/k00001"), "overwritten");
	assert_int_equal(strlen(get(&s, "P/k01999")), 599);
	bw_store_close(st);
	kv_free(&s);
	tu_rmrf(dir);
	free(dir);
}

static int failing_replay(void *arg, char type, const char *key, const void *v, size_t n)
{
	return -EPROTO;
}

/* The known CRC-32C check value, on both the hardware and table paths. */
static void test_crc32c(void **state)
{
	static const char check[] = "123456789";
	char big[1000];

	assert_int_equal(bw_crc32c(0, check, 9), 0xe3069283u);
	/* Split anywhere, the running CRC agrees with the one-shot CRC. */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	for (size_t cut = 0; cut < 20; cut++)
		assert_int_equal(bw_crc32c(bw_crc32c(0, big, cut), big + cut, sizeof(big) - cut),
				 bw_crc32c(0, big, sizeof(big)));
}

static void test_replay_error_stops_open(void **state)
{
	char *dir = tu_tmpdir();
	struct kv s = {0};
	struct bw_store *st = reopen(dir, &s, 0);

	put(st, 'P', "a", "1", BW_STORE_SYNC);
	bw_store_close(st);
	st = NULL;
	assert_int_equal(bw_store_open(&st, dir, failing_replay, NULL), -EPROTO);
	assert_null(st);
	kv_free(&s);
	tu_rmrf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_replay_and_transactions),
	    cmocka_unit_test(test_torn_tail_dropped),
	    cmocka_unit_test(test_corruption_in_the_middle_refused),
	    cmocka_unit_test(test_rewrite),
	    cmocka_unit_test(test_replay_error_stops_open),
	    cmocka_unit_test(test_crc32c),
	};

	bw_log_set_level_name("error");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
