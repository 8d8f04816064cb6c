/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A node's store record (ctl_node_record, hand-written JSON) survives the
 * store and comes back field for field through ctl_state_replay, whatever
 * the strings hold (quotes, backslashes, control characters, UTF-8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"

struct seen {
	char *json;
	char key[64];
};

static int grab(void *arg, char type, const char *key, const void *value, size_t vlen)
{
	struct seen *s = arg;

	if (type == REC_NODE && value) {
		free(s->json);
		s->json = strndup(value, vlen);
		snprintf(s->key, sizeof(s->key), "%s", key);
	}
	return 0;
}

static void test_round_trip(void **state)
{
	char dir[] = "/tmp/bw-node-record-XXXXXX", cmd[128];
	struct ctl_node n = {0};
	struct bw_store *st;
	struct bw_store_txn *t;
	struct seen seen = {0};
	struct bw_controller c = {0};
	struct ctl_node *back;
	cJSON *o;

	(void)state;
	assert_non_null(mkdtemp(dir));
	n.name = "node-\"q\"";
	n.labels = "zone=a\"b\\c,team=\xc3\xa9t\xc3\xa9";
	n.kernel = "6.1.0\n\t\x01-x";
	n.agent_version = "";
	n.enforcers = "BPFLSM,AppArmor";
	n.unenforceable = NULL;
	n.enforcer = 2;
	n.boot_id = 0xfedcba9876543210ull;
	n.version = (1ull << 60) + 3;
	n.has_digest = 1;
	for (int i = 0; i < 16; i++)
		n.digest[i] = (unsigned char)(i * 17);
	n.applied_version = 41;
	n.ack_ok = 1;
	n.ack_message = "applied \"all\" \\ but\x1f one";
	n.unenforced = "file:/etc/x";
	n.registered_ns = 1700000000123456789ull;
	n.last_heartbeat_ns = 1700000000987654321ull;
	n.events_sent = 10;
	n.events_lost = 2;
	n.events_dropped = 1;

	assert_int_equal(bw_store_open(&st, dir, grab, &seen), 0);
	assert_int_equal(bw_store_txn_new(&t), 0);
	assert_int_equal(ctl_node_record(&n, t), 0);
	assert_int_equal(bw_store_commit(st, t, BW_STORE_SYNC), 0);
	bw_store_txn_free(t);
	bw_store_close(st);
	assert_int_equal(bw_store_open(&st, dir, grab, &seen), 0);
	bw_store_close(st);
	assert_non_null(seen.json);
	assert_string_equal(seen.key, n.name);

	/* Valid JSON, with the strings exactly as they were. */
	o = cJSON_Parse(seen.json);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "labels")->valuestring, n.labels);
	assert_string_equal(cJSON_GetObjectItem(o, "kernel")->valuestring, n.kernel);
	assert_string_equal(cJSON_GetObjectItem(o, "unenforceable")->valuestring, "");
	assert_string_equal(cJSON_GetObjectItem(o, "ack_message")->valuestring, n.ack_message);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(o, "ack_ok")));
	assert_int_equal(cJSON_GetObjectItem(o, "enforcer")->valueint, 2);
	cJSON_Delete(o);

	/* And the controller's own replay restores the node. */
	assert_int_equal(ctl_state_init(&c), 0);
	assert_int_equal(ctl_state_replay(&c, REC_NODE, seen.key, seen.json, strlen(seen.json)),
			 0);
	back = ctl_map_get(c.nodes, n.name);
	assert_non_null(back);
	assert_string_equal(back->labels, n.labels);
	assert_string_equal(back->kernel, n.kernel);
	assert_string_equal(back->enforcers, n.enforcers);
	assert_int_equal(back->enforcer, 2);
	assert_true(back->boot_id == n.boot_id);
	assert_true(back->version == n.version);
	assert_true(back->has_digest);
	assert_memory_equal(back->digest, n.digest, 16);
	assert_true(back->applied_version == 41);
	assert_true(back->registered_ns == n.registered_ns);
	assert_true(back->events_lost == 2);
	ctl_state_fini(&c);
	free(seen.json);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
