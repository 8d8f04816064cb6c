/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bw_config.h"

struct cfg {
	char *listen;
	long long port;
	int tls;
	long long timeout_ms;
	long long spool;
	char *labels;
	char *secret;
	char *url;
	long long max_conn;
};

static const struct bw_cfg_field table[] = {
	{ "listen", BW_CFG_STRING, offsetof(struct cfg, listen), 0, 0, "tcp://127.0.0.1:1", "addr" },
	{ "redis.port", BW_CFG_INT, offsetof(struct cfg, port), 1, 65535, "6379", "port" },
	{ "tls", BW_CFG_BOOL, offsetof(struct cfg, tls), 0, 0, "false", "tls" },
	{ "timeout", BW_CFG_DURATION, offsetof(struct cfg, timeout_ms), 1, 3600000, "3s", "t" },
	{ "spool.max", BW_CFG_SIZE, offsetof(struct cfg, spool), 0, 0, "64m", "s" },
	{ "labels", BW_CFG_KV, offsetof(struct cfg, labels), 0, 0, "", "l" },
	{ "password", BW_CFG_STRING, offsetof(struct cfg, secret), 0, 0, "hunter2", "p",
	  BW_CFG_F_SECRET },
	{ "url", BW_CFG_STRING, offsetof(struct cfg, url), 0, 0, "redis://u:pw@h:1/0", "u" },
	{ "max-conn", BW_CFG_INT, offsetof(struct cfg, max_conn), 0, 0, "1", "m" },
	BW_CFG_END,
};

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/bw_config_test.XXXXXX");
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void test_defaults(void **state)
{
	struct cfg c = { 0 };
	char err[256];

	assert_int_equal(bw_cfg_defaults(table, &c, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "tcp://127.0.0.1:1");
	assert_int_equal(c.port, 6379);
	assert_int_equal(c.tls, 0);
	assert_int_equal(c.timeout_ms, 3000);
	assert_int_equal(c.spool, 64ll << 20);
	assert_string_equal(c.labels, "");
	bw_cfg_free(table, &c);
	assert_null(c.listen);
}

static void test_file_nested_and_kv(void **state)
{
	struct cfg c = { 0 };
	char err[256];
	char *p = write_tmp("listen: tcp://0.0.0.0:9\nredis:\n  port: 7000\ntls: yes\n"
			    "timeout: 250ms\nspool:\n  max: 1k\nlabels:\n  zone: a\n  role: db\n");

	assert_int_equal(bw_cfg_defaults(table, &c, err, sizeof(err)), 0);
	assert_int_equal(bw_cfg_load_file(table, &c, p, err, sizeof(err)), 0);
	assert_string_equal(c.listen, "tcp://0.0.0.0:9");
	assert_int_equal(c.port, 7000);
	assert_int_equal(c.tls, 1);
	assert_int_equal(c.timeout_ms, 250);
	assert_int_equal(c.spool, 1024);
	assert_string_equal(c.labels, "zone=a,role=db");
	bw_cfg_free(table, &c);
	unlink(p);
	free(p);
}

static void test_file_errors_name_key_and_line(void **state)
{
	struct cfg c = { 0 };
	char err[256];
	char *p;

	assert_int_equal(bw_cfg_defaults(table, &c, err, sizeof(err)), 0);
	p = write_tmp("listen: x\nredis:\n  port: 70000\n");
	assert_int_equal(bw_cfg_load_file(table, &c, p, err, sizeof(err)), -ERANGE);
	assert_non_null(strstr(err, ":3:9: redis.port must be between 1 and 65535"));
	unlink(p);
	free(p);

	p = write_tmp("listen: x\nlisen2: y\n");
	assert_int_equal(bw_cfg_load_file(table, &c, p, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, ":2:1: unknown setting 'lisen2'"));
	unlink(p);
	free(p);

	p = write_tmp("tls: maybe\n");
	assert_int_equal(bw_cfg_load_file(table, &c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":1:6: tls must be true or false"));
	unlink(p);
	free(p);

	p = write_tmp("listen: \"abc\n");
	assert_int_equal(bw_cfg_load_file(table, &c, p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "invalid YAML"));
	unlink(p);
	free(p);

	assert_int_equal(bw_cfg_load_file(table, &c, "/nonexistent/x.yaml", err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "cannot open"));
	bw_cfg_free(table, &c);
}

static void test_set_from_flags(void **state)
{
	struct cfg c = { 0 };
	char err[256];

	assert_int_equal(bw_cfg_defaults(table, &c, err, sizeof(err)), 0);
	assert_int_equal(bw_cfg_set(table, &c, "timeout", "2m", "--timeout", err, sizeof(err)), 0);
	assert_int_equal(c.timeout_ms, 120000);
	assert_int_equal(bw_cfg_set(table, &c, "timeout", "2 weeks", "--timeout", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "--timeout: timeout must be a duration"));
	assert_int_equal(bw_cfg_set(table, &c, "labels", "a=1,=2", "--labels", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(bw_cfg_set(table, &c, "nope", "1", "--nope", err, sizeof(err)), -ENOENT);
	/* '-' and '_' are interchangeable in keys, nothing else is. */
	assert_int_equal(bw_cfg_set(table, &c, "max_conn", "7", "--max_conn", err, sizeof(err)), 0);
	assert_int_equal(c.max_conn, 7);
	assert_int_equal(bw_cfg_set(table, &c, "spool-max", "1k", "--spool-max", err, sizeof(err)),
			 -ENOENT);
	bw_cfg_free(table, &c);
}

static void test_dump_hides_secrets(void **state)
{
	struct cfg c = { 0 };
	char err[256], *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_int_equal(bw_cfg_defaults(table, &c, err, sizeof(err)), 0);
	bw_cfg_dump(table, &c, out);
	fclose(out);
	assert_null(strstr(buf, "hunter2"));
	assert_non_null(strstr(buf, "password: <hidden>"));
	assert_null(strstr(buf, "pw@"));
	assert_non_null(strstr(buf, "url: \"redis://u:***@h:1/0\""));
	assert_non_null(strstr(buf, "redis.port: 6379"));
	free(buf);
	bw_cfg_free(table, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_file_nested_and_kv),
		cmocka_unit_test(test_file_errors_name_key_and_line),
		cmocka_unit_test(test_set_from_flags),
		cmocka_unit_test(test_dump_hides_secrets),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
