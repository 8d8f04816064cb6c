/* SPDX-License-Identifier: Apache-2.0 */
/* ctl_blob: interning, reference counts, and deletion that keeps every
 * other blob findable (checked against a plain array over random use). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_blob.h"

static void test_intern(void **state)
{
	struct ctl_blobs *p;
	struct ctl_blob *a, *b, *c, *e1, *e2;
	static const uint8_t bin[] = {0, 1, 0, 2};

	(void)state;
	assert_int_equal(ctl_blobs_new(&p), 0);
	a = ctl_blob_get(p, "image:1", 7);
	b = ctl_blob_get(p, "image:1", 7);
	c = ctl_blob_get(p, "image:2", 7);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_ptr_not_equal(a, c);
	assert_int_equal(a->refs, 2);
	assert_int_equal(a->len, 7);
	assert_memory_equal(a->data, "image:1", 7);
	/* Bytes, not strings: embedded NULs and the empty blob. */
	e1 = ctl_blob_get(p, bin, sizeof(bin));
	e2 = ctl_blob_get(p, "", 0);
	assert_non_null(e1);
	assert_non_null(e2);
	assert_ptr_not_equal(e1, ctl_blob_get(p, bin, 2));
	assert_int_equal(ctl_blobs_count(p), 5);
	ctl_blob_put(p, a);
	assert_int_equal(ctl_blobs_count(p), 5);
	ctl_blob_put(p, b); /* the last reference */
	assert_int_equal(ctl_blobs_count(p), 4);
	a = ctl_blob_get(p, "image:1", 7);
	assert_int_equal(a->refs, 1);
	ctl_blob_put(p, NULL);
	ctl_blobs_free(p); /* frees what is left */
	ctl_blobs_free(NULL);
}

#define N 3000

static void test_random_against_model(void **state)
{
	static struct ctl_blob *held[N];
	static unsigned refs[N];
	struct ctl_blobs *p;
	char key[32];
	size_t live = 0;

	(void)state;
	srand(7);
	assert_int_equal(ctl_blobs_new(&p), 0);
	for (int step = 0; step < 200000; step++) {
		int k = rand() % N;
		size_t len = (size_t)snprintf(key, sizeof(key), "blob-%d", k);

		if (rand() % 3 && refs[k]) {
			ctl_blob_put(p, held[k]);
			if (--refs[k] == 0) {
				held[k] = NULL;
				live--;
			}
		} else {
			struct ctl_blob *b = ctl_blob_get(p, key, len);

			assert_non_null(b);
			if (refs[k])
				assert_ptr_equal(b, held[k]);
			else
				live++;
			held[k] = b;
			refs[k]++;
			assert_int_equal(b->refs, refs[k]);
		}
		assert_int_equal(ctl_blobs_count(p), live);
	}
	/* Every live blob is still found (deletions kept probe runs intact). */
	for (int k = 0; k < N; k++) {
		size_t len = (size_t)snprintf(key, sizeof(key), "blob-%d", k);

		if (!refs[k])
			continue;
		assert_ptr_equal(ctl_blob_get(p, key, len), held[k]);
		ctl_blob_put(p, held[k]);
	}
	ctl_blobs_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intern),
	    cmocka_unit_test(test_random_against_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
