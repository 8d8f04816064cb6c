/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's settings: defaults, the file, flags, and the checks beyond the table. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent.h"
#include "bw_daemon.h"

struct fixture {
	struct bw_agent_config cfg;
	char dir[64];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/bw-agent-cfg.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(bw_cfg_defaults(bw_agent_config_table, &f->cfg, err, sizeof(err)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	bw_cfg_free(bw_agent_config_table, &f->cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static const char *write_file(struct fixture *f, const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	return path;
}

static void test_defaults_are_valid_and_name_the_host(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", host[256];

	assert_null(f->cfg.node_name);
	assert_int_equal(bw_agent_config_check(&f->cfg, err, sizeof(err)), 0);
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	assert_string_equal(f->cfg.node_name, host);
	assert_string_equal(f->cfg.enforcer, "auto");
	assert_string_equal(f->cfg.pin_dir, "/sys/fs/bpf/bulwark");
	assert_int_equal(f->cfg.throttle, 1);
	assert_int_equal(f->cfg.throttle_alerts, 10);	    /* KubeArmor's default */
	assert_int_equal(f->cfg.throttle_period_ms, 30000); /* KubeArmor's default */
	assert_int_equal(f->cfg.buffer_bytes, 16 << 20);
}

static void test_yaml_file_sets_nested_keys(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	const char *p = write_file(f, "a.yaml",
				   "node-name: n1\n"
				   "node-labels:\n  zone: a\n  rack: r7\n"
				   "controller:\n  url: tcp://10.0.0.1:7400\n"
				   "relay:\n  urls: tcp://10.0.0.2:7500,tcp://10.0.0.3:7500\n"
				   "enforcer:\n  prefer: cgroup\n  pin-dir: /sys/fs/bpf/x\n"
				   "visibility:\n  containers: process,network\n  host: none\n"
				   "throttle:\n  alerts-per-second: 50\n  period: 2m\n"
				   "buffer:\n  size: 1m\n");

	assert_int_equal(bw_cfg_load_file(bw_agent_config_table, &f->cfg, p, err, sizeof(err)), 0);
	assert_int_equal(bw_agent_config_check(&f->cfg, err, sizeof(err)), 0);
	assert_string_equal(f->cfg.node_name, "n1");
	assert_non_null(strstr(f->cfg.node_labels, "zone=a"));
	assert_non_null(strstr(f->cfg.node_labels, "rack=r7"));
	assert_string_equal(f->cfg.controller_url, "tcp://10.0.0.1:7400");
	assert_string_equal(f->cfg.relay_urls, "tcp://10.0.0.2:7500,tcp://10.0.0.3:7500");
	assert_string_equal(f->cfg.enforcer, "cgroup");
	assert_string_equal(f->cfg.visibility, "process,network");
	assert_int_equal(f->cfg.throttle_alerts, 50);
	assert_int_equal(f->cfg.throttle_period_ms, 120000);
	assert_int_equal(f->cfg.buffer_bytes, 1 << 20);
}

/* Each bad value is refused with the key and the value named. */
static void expect_check_error(struct fixture *f, const char *key, const char *value,
			       const char *needle)
{
	char err[256] = "";

	assert_int_equal(
	    bw_cfg_set(bw_agent_config_table, &f->cfg, key, value, "--test", err, sizeof(err)), 0);
	assert_int_not_equal(bw_agent_config_check(&f->cfg, err, sizeof(err)), 0);
	if (!strstr(err, needle) || !strstr(err, key))
		fail_msg("error for %s=%s was '%s', expected it to name '%s'", key, value, err,
			 needle);
}

static void test_check_rejects_bad_values(void **state)
{
	struct fixture *f = *state;

	expect_check_error(f, "enforcer.prefer", "selinux", "'selinux'");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "enforcer.prefer", "auto", "t", NULL, 0);
	expect_check_error(f, "visibility.containers", "process,files", "files");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "visibility.containers", "none", "t", NULL, 0);
	expect_check_error(f, "visibility.host", "everything", "everything");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "visibility.host", "", "t", NULL, 0);
	expect_check_error(f, "controller.url", "http://x:1", "http://x:1");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "controller.url", "", "t", NULL, 0);
	expect_check_error(f, "relay.urls", "tcp://a:1,,tcp://b:2", "relay.urls");
	expect_check_error(f, "relay.urls", "tcp://a:1,udp://b:2", "udp://b:2");
	expect_check_error(f, "relay.urls",
			   "tcp://a:1,tcp://a:2,tcp://a:3,tcp://a:4,tcp://a:5,tcp://a:6,tcp://a:7,"
			   "tcp://a:8,tcp://a:9,tcp://a:10,tcp://a:11,tcp://a:12,tcp://a:13,"
			   "tcp://a:14,tcp://a:15,tcp://a:16,tcp://a:17",
			   "more than 16");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "relay.urls", "", "t", NULL, 0);
	expect_check_error(f, "node-name", "bad name/1", "bad name/1");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "node-name", "ok-1", "t", NULL, 0);
	expect_check_error(f, "monitor.ringbuf-size", "3m", "power of two");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "monitor.ringbuf-size", "4m", "t", NULL, 0);
	expect_check_error(f, "enforcer.pin-dir", "relative/dir", "absolute");
	bw_cfg_set(bw_agent_config_table, &f->cfg, "enforcer.pin-dir", "/x", "t", NULL, 0);
	expect_check_error(f, "log-level", "loud", "loud");
}

/* An empty controller URL and empty relay list are allowed (standalone node). */
static void test_standalone_is_valid(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	bw_cfg_set(bw_agent_config_table, &f->cfg, "controller.url", "", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &f->cfg, "relay.urls", "", "t", NULL, 0);
	assert_int_equal(bw_agent_config_check(&f->cfg, err, sizeof(err)), 0);
}

/* The table refuses out-of-range numbers before the check runs. */
static void test_table_bounds(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";

	assert_int_not_equal(bw_cfg_set(bw_agent_config_table, &f->cfg,
					"throttle.alerts-per-second", "0", "--x", err, sizeof(err)),
			     0);
	assert_non_null(strstr(err, "throttle.alerts-per-second"));
	assert_int_not_equal(bw_cfg_set(bw_agent_config_table, &f->cfg, "buffer.size", "1k", "--x",
					err, sizeof(err)),
			     0);
	assert_int_not_equal(bw_cfg_set(bw_agent_config_table, &f->cfg, "throttle.period", "10ms",
					"--x", err, sizeof(err)),
			     0);
}

/* bw_daemon_parse runs the check: --check-config fails on a bad enum. */
static int check_cb(void *cfg, char *err, size_t errlen)
{
	return bw_agent_config_check(cfg, err, errlen);
}

static void test_daemon_parse_runs_the_check(void **state)
{
	struct fixture *f = *state;
	struct bw_agent_config cfg = {0};
	struct bw_daemon_desc d = {
	    .name = "bulwark-agent",
	    .summary = "t",
	    .table = bw_agent_config_table,
	    .cfg = &cfg,
	    .check = check_cb,
	};
	const char *p = write_file(f, "b.yaml", "enforcer:\n  prefer: bogus\n");
	char *argv[] = {"bulwark-agent", "--config", (char *)p, "--check-config", NULL};
	char *argv_ok[] = {"bulwark-agent", "--config", (char *)p, "--enforcer.prefer=none",
			   "--node-name",   "x",	NULL};
	int code = -1;

	assert_int_equal(bw_daemon_parse(&d, 4, argv, &code), BW_DAEMON_EXIT);
	assert_int_equal(code, 2);
	bw_cfg_free(bw_agent_config_table, &cfg);
	/* A flag overrides the file's bad value: then it runs. */
	assert_int_equal(bw_daemon_parse(&d, 6, argv_ok, &code), BW_DAEMON_RUN);
	assert_int_equal(code, 0);
	assert_string_equal(cfg.enforcer, "none");
	assert_string_equal(cfg.node_name, "x");
	bw_cfg_free(bw_agent_config_table, &cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_defaults_are_valid_and_name_the_host, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_yaml_file_sets_nested_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_check_rejects_bad_values, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_standalone_is_valid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_table_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_daemon_parse_runs_the_check, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
