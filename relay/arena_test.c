/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include "arena.h"
#include "bulwark.pb-c.h"

static void test_alignment_and_growth(void **state)
{
	struct bw_arena *a;
	ProtobufCAllocator *al;
	char *p[100];

	assert_int_equal(bw_arena_new(&a, 64), 0);
	al = bw_arena_allocator(a);
	for (int i = 0; i < 100; i++) {
		p[i] = al->alloc(al->allocator_data, (size_t)i * 7 + 1);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], i, (size_t)i * 7 + 1);
	}
	/* nothing overlapped: every block still holds its own byte */
	for (int i = 0; i < 100; i++)
		for (int k = 0; k < i * 7 + 1; k++)
			assert_int_equal((unsigned char)p[i][k], i);
	assert_non_null(al->alloc(al->allocator_data, 1 << 20)); /* larger than any block */
	assert_true(bw_arena_used(a) >= (1 << 20));
	bw_arena_free(a);
	bw_arena_free(NULL);
}

static void test_unpack_into_arena(void **state)
{
	Bulwark__V1__EventBatch b = BULWARK__V1__EVENT_BATCH__INIT, *out;
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT, *evs[3] = { &ev, &ev, &ev };
	uint8_t buf[4096];
	struct bw_arena *a;
	size_t len;

	ev.policy_name = "p";
	ev.resource = "/etc/shadow";
	b.node = "n";
	b.first_seq = 7;
	b.n_events = 3;
	b.events = evs;
	len = bulwark__v1__event_batch__pack(&b, buf);
	assert_int_equal(bw_arena_new(&a, 128), 0);
	out = bulwark__v1__event_batch__unpack(bw_arena_allocator(a), len, buf);
	assert_non_null(out);
	assert_int_equal(out->n_events, 3);
	assert_string_equal(out->events[2]->resource, "/etc/shadow");
	assert_int_equal(out->first_seq, 7);
	bw_arena_free(a); /* the whole message, no free_unpacked */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment_and_growth),
		cmocka_unit_test(test_unpack_into_arena),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
