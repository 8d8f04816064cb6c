/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event_fields.h"
#include "redis_url.h"

static const char *value_of(const struct bw_xadd *x, const char *name)
{
	/* fields start after "XADD key [MAXLEN ~ n] *" */
	int i = 2;

	while (strcmp(x->argv[i], "*") != 0)
		i++;
	for (i++; i + 1 < x->argc; i += 2) {
		assert_int_equal(x->argvlen[i], strlen(x->argv[i]));
		if (strcmp(x->argv[i], name) == 0)
			return x->argv[i + 1];
	}
	return NULL;
}

static void test_xadd_fields(void **state)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	char *atags[] = {"NIST", "CIS"};
	struct bw_xadd x;

	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	ev.timestamp = 1764371000;
	ev.updated_time = "2026-11-28T23:10:00.123456Z";
	ev.namespace_name = "shop";
	ev.pod_name = "web-1";
	ev.host_pid = 4243;
	ev.uid = 0;
	ev.policy_name = "block-shadow";
	ev.action = "Block";
	ev.n_atags = 2;
	ev.atags = atags;
	ev.message = "";

	assert_int_equal(bw_xadd_build(&x, "bulwark:alerts", 1000, &ev, "node-a", 42, 7), 0);
	assert_string_equal(x.argv[0], "XADD");
	assert_string_equal(x.argv[1], "bulwark:alerts");
	assert_string_equal(x.argv[2], "MAXLEN");
	assert_string_equal(x.argv[3], "~");
	assert_string_equal(x.argv[4], "1000");
	assert_string_equal(x.argv[5], "*");
	assert_int_equal((x.argc - 6) % 2, 0);
	assert_string_equal(value_of(&x, "Timestamp"), "1764371000");
	assert_string_equal(value_of(&x, "UpdatedTime"), "2026-11-28T23:10:00.123456Z");
	assert_string_equal(value_of(&x, "NamespaceName"), "shop");
	assert_string_equal(value_of(&x, "PodName"), "web-1");
	assert_string_equal(value_of(&x, "HostPID"), "4243");
	assert_string_equal(value_of(&x, "UID"), "0");
	assert_string_equal(value_of(&x, "PolicyName"), "block-shadow");
	assert_string_equal(value_of(&x, "Action"), "Block");
	assert_string_equal(value_of(&x, "ATags"), "NIST,CIS");
	assert_string_equal(value_of(&x, "EventId"), "node-a:42:7");
	/* empty strings are left out */
	assert_null(value_of(&x, "Message"));
	assert_null(value_of(&x, "ClusterName"));
	bw_xadd_release(&x);

	/* unbounded stream: no MAXLEN */
	assert_int_equal(bw_xadd_build(&x, "s", 0, &ev, "n", 1, 1), 0);
	assert_string_equal(x.argv[2], "*");
	bw_xadd_release(&x);
}

static void test_every_name_is_known(void **state)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	char *atags[] = {"t"};
	struct bw_xadd x;
	int n = 0;

	/* Every string field set: each emitted name must be in the KubeArmor list. */
	ev.updated_time = ev.cluster_name = ev.host_name = ev.namespace_name = ev.owner = "v";
	ev.pod_name = ev.labels = ev.container_id = ev.container_name = ev.container_image = "v";
	ev.parent_process_name = ev.process_name = ev.policy_name = ev.severity = ev.tags = "v";
	ev.message = ev.type = ev.source = ev.operation = ev.resource = ev.data = "v";
	ev.enforcer = ev.action = ev.result = ev.cwd = ev.tty = ev.exec_event = "v";
	ev.n_atags = 1;
	ev.atags = atags;
	assert_int_equal(bw_xadd_build(&x, "s", 0, &ev, "n", 1, 1), 0);
	for (int i = 3; i + 1 < x.argc; i += 2) {
		int found = 0;

		for (int k = 0; bw_event_field_names[k]; k++)
			found |= strcmp(bw_event_field_names[k], x.argv[i]) == 0;
		assert_true(found);
		n++;
	}
	for (int k = 0; bw_event_field_names[k]; k++)
		n -= 1;
	assert_int_equal(n, 0); /* and every listed name was emitted */
	bw_xadd_release(&x);
}

static void test_resp_encoding(void **state)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	struct bw_xadd x;
	char small[16], buf[1024];
	const char *want = "*19\r\n$4\r\nXADD\r\n$1\r\ns\r\n$1\r\n*\r\n"
			   "$9\r\nTimestamp\r\n$2\r\n12\r\n"
			   "$8\r\nHostPPID\r\n$1\r\n0\r\n$7\r\nHostPID\r\n$1\r\n0\r\n"
			   "$4\r\nPPID\r\n$1\r\n0\r\n$3\r\nPID\r\n$1\r\n0\r\n"
			   "$3\r\nUID\r\n$1\r\n0\r\n"
			   "$10\r\nPolicyName\r\n$3\r\na\r\n\r\n"
			   "$7\r\nEventId\r\n$5\r\nn:1:2\r\n";
	size_t n;

	ev.timestamp = 12;
	ev.policy_name = "a\r\n"; /* binary-safe: lengths, not delimiters */
	assert_int_equal(bw_xadd_build(&x, "s", 0, &ev, "n", 1, 2), 0);
	n = bw_xadd_resp(&x, small, sizeof(small));
	assert_true(n > sizeof(small));
	n = bw_xadd_resp(&x, buf, sizeof(buf));
	assert_int_equal(n, strlen(want));
	assert_memory_equal(buf, want, n);
	bw_xadd_release(&x);
}

static void test_numbers_and_long_ids(void **state)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	char node[254];
	struct bw_xadd x;
	char want[320];

	ev.timestamp = -5;
	ev.host_pid = -2147483647 - 1;
	ev.uid = 65534;
	memset(node, 'n', 253);
	node[253] = '\0';
	assert_int_equal(bw_xadd_build(&x, "s", 0, &ev, node, UINT64_MAX, 1234567890123ull), 0);
	assert_string_equal(value_of(&x, "Timestamp"), "-5");
	assert_string_equal(value_of(&x, "HostPID"), "-2147483648");
	assert_string_equal(value_of(&x, "UID"), "65534");
	snprintf(want, sizeof(want), "%s:18446744073709551615:1234567890123", node);
	assert_string_equal(value_of(&x, "EventId"), want);
	bw_xadd_release(&x);
}

static void test_stream_key(void **state)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;
	char key[64];

	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	assert_int_equal(bw_event_stream_key(&ev, "a", "l", 0, key, sizeof(key)), 0);
	assert_string_equal(key, "a");
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_SYSTEM;
	assert_int_equal(bw_event_stream_key(&ev, "a", "l", 1, key, sizeof(key)), 0);
	assert_string_equal(key, "l"); /* no namespace: the base stream */
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_LOG;
	ev.namespace_name = "shop";
	assert_int_equal(bw_event_stream_key(&ev, "a", "l", 1, key, sizeof(key)), 0);
	assert_string_equal(key, "l:shop");
	assert_int_equal(bw_event_stream_key(&ev, "a", "l", 0, key, sizeof(key)), 0);
	assert_string_equal(key, "l");
	assert_int_equal(bw_event_stream_key(&ev, "a", "l", 1, key, 4), -ENAMETOOLONG);
}

static void test_redis_url(void **state)
{
	struct bw_redis_url u;
	char err[256];

	assert_int_equal(bw_redis_url_parse("10.0.0.1", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "10.0.0.1");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, -1);
	assert_int_equal(bw_redis_url_parse("redis-host:7000", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "redis-host");
	assert_int_equal(u.port, 7000);
	assert_int_equal(bw_redis_url_parse("[::1]:6380", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "::1");
	assert_int_equal(u.port, 6380);
	assert_int_equal(bw_redis_url_parse("unix:/run/redis.sock", &u, err, sizeof(err)), 0);
	assert_string_equal(u.path, "/run/redis.sock");
	assert_int_equal(bw_redis_url_parse("redis://relay:s3cr:et@r:6390/3", &u, err, sizeof(err)),
			 0);
	assert_string_equal(u.user, "relay");
	assert_string_equal(u.password, "s3cr:et");
	assert_string_equal(u.host, "r");
	assert_int_equal(u.port, 6390);
	assert_int_equal(u.db, 3);
	assert_int_equal(bw_redis_url_parse("redis://pw@r", &u, err, sizeof(err)), 0);
	assert_string_equal(u.user, "");
	assert_string_equal(u.password, "pw");

	assert_int_equal(bw_redis_url_parse("", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(bw_redis_url_parse("h:0", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "port"));
	assert_int_equal(bw_redis_url_parse("h:99999", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(bw_redis_url_parse("redis://h/x", &u, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "database"));
	assert_int_equal(bw_redis_url_parse("unix:rel", &u, err, sizeof(err)), -EINVAL);
	assert_int_equal(bw_redis_url_parse(":6379", &u, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_xadd_fields),	  cmocka_unit_test(test_every_name_is_known),
	    cmocka_unit_test(test_resp_encoding), cmocka_unit_test(test_numbers_and_long_ids),
	    cmocka_unit_test(test_stream_key),
	    cmocka_unit_test(test_redis_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
