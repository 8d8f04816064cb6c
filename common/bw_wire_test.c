/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "bw_wire.h"

static void test_roundtrip(void **state)
{
	Bulwark__V1__Heartbeat hb = BULWARK__V1__HEARTBEAT__INIT;
	BwEnvelope env, *back = NULL;
	nng_msg *msg = NULL;
	char err[128];

	bw_envelope_init(&env);
	hb.node_name = "node-a";
	hb.applied_version = 42;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	assert_int_equal(bw_wire_encode(&env, &msg), 0);
	assert_int_equal(bw_wire_decode(msg, BW_WIRE_MAX_MSG, &back, err, sizeof(err)), 0);
	assert_int_equal(back->body_case, BULWARK__V1__ENVELOPE__BODY_HEARTBEAT);
	assert_string_equal(back->heartbeat->node_name, "node-a");
	assert_int_equal(back->heartbeat->applied_version, 42);
	assert_string_equal(bw_wire_body_name(back), "heartbeat");
	bw_wire_free(back);

	/* The same bytes over a smaller limit are refused with the sizes named. */
	assert_int_equal(bw_wire_decode(msg, 4, &back, err, sizeof(err)), -EMSGSIZE);
	assert_non_null(strstr(err, "exceeds the limit of 4"));
	nng_msg_free(msg);
}

static void test_rejects_garbage_schema_and_empty(void **state)
{
	BwEnvelope env, *back = NULL;
	nng_msg *msg;
	char err[128];

	assert_int_equal(nng_msg_alloc(&msg, 0), 0);
	assert_int_equal(nng_msg_append(msg, "\xff\xff\xff\xff\xff", 5), 0);
	assert_int_equal(bw_wire_decode(msg, BW_WIRE_MAX_MSG, &back, err, sizeof(err)), -EBADMSG);
	nng_msg_free(msg);

	bw_envelope_init(&env);
	env.schema = 2;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_ERROR;
	Bulwark__V1__Error e = BULWARK__V1__ERROR__INIT;
	env.error = &e;
	assert_int_equal(bw_wire_encode(&env, &msg), 0);
	assert_int_equal(bw_wire_decode(msg, BW_WIRE_MAX_MSG, &back, err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "unsupported schema 2"));
	nng_msg_free(msg);

	bw_envelope_init(&env);
	assert_int_equal(bw_wire_encode(&env, &msg), 0);
	assert_int_equal(bw_wire_decode(msg, BW_WIRE_MAX_MSG, &back, err, sizeof(err)), -EBADMSG);
	assert_non_null(strstr(err, "no body"));
	nng_msg_free(msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_rejects_garbage_schema_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
