/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwark-agent --health: the judgement of a status file (healthy, stale,
 * dead or reused pid, stopping, monitor down, missing or malformed file),
 * and the command itself as probes run it.  Uses this process and a reaped
 * child as the live and the dead agent.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent.h"
#include "bw_time.h"
#include "containers_int.h"

#define S 1000000000ULL

static char dir[64];

/* A status as the agent writes it, for pid, written at `updated`. */
static void status(char *buf, size_t len, int pid, unsigned long long ticks,
		   unsigned long long updated, const char *state, const char *monitor)
{
	snprintf(buf, len,
		 "# bulwark-agent status\npid=%d\nstart_ticks=%llu\nboot=00000000000000ab\n"
		 "updated_mono_ns=%llu\ninterval_ms=5000\nstate=%s\nmonitor=%s\n"
		 "enforcer=bpflsm\ncontroller=connected\nrelay=disconnected\npolicy_version=7\n",
		 pid, ticks, updated, state, monitor);
}

static unsigned long long my_ticks(void)
{
	return (unsigned long long)bw_ctr_pid_start_ticks("/proc", (uint32_t)getpid());
}

static void test_judgement(void **state)
{
	char text[1024], msg[256];
	unsigned long long now = 1000 * S, ticks = my_ticks();
	int rc;

	(void)state;
	assert_true(ticks > 0);

	status(text, sizeof(text), getpid(), ticks, now - 2 * S, "running", "ok");
	rc = bw_agent_health_check(text, "/proc", now, msg, sizeof(msg));
	assert_int_equal(rc, 0);
	char want[256];
	snprintf(want, sizeof(want),
		 "healthy: pid=%d enforcer=bpflsm monitor=ok controller=connected "
		 "relay=disconnected policy=7 age=2s",
		 (int)getpid());
	assert_string_equal(msg, want);

	/* Exactly 3 intervals old is still fine; a bit more is stuck. */
	status(text, sizeof(text), getpid(), ticks, now - 15 * S, "running", "ok");
	assert_int_equal(bw_agent_health_check(text, "/proc", now, msg, sizeof(msg)), 0);
	status(text, sizeof(text), getpid(), ticks, now - 47 * S, "running", "ok");
	assert_int_equal(bw_agent_health_check(text, "/proc", now, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "unhealthy: status not rewritten for 47 s (limit 15 s): the "
				 "agent's loop is stuck");

	/* A pid that is someone else now (start time differs). */
	status(text, sizeof(text), getpid(), ticks + 1, now, "running", "ok");
	assert_int_equal(bw_agent_health_check(text, "/proc", now, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "is another process now"));

	/* A dead pid: a child, reaped. */
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	status(text, sizeof(text), child, ticks, now, "running", "ok");
	assert_int_equal(bw_agent_health_check(text, "/proc", now, msg, sizeof(msg)), 1);
	snprintf(want, sizeof(want),
		 "unhealthy: agent pid %d is not running (crashed or killed; the status file is "
		 "left over)",
		 (int)child);
	assert_string_equal(msg, want);

	status(text, sizeof(text), getpid(), ticks, now, "stopping", "off");
	assert_int_equal(bw_agent_health_check(text, "/proc", now, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "unhealthy: agent is stopping");
	status(text, sizeof(text), getpid(), ticks, now, "running", "off");
	assert_int_equal(bw_agent_health_check(text, "/proc", now, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "unhealthy: eBPF monitor is not attached (monitor=off)");

	/* Malformed: missing keys, bad numbers, empty. */
	const char *bad[] = {
	    "", "pid=12\n", "garbage", "pid=x\nstart_ticks=1\n",
	    "pid=0\nstart_ticks=1\nupdated_mono_ns=1\ninterval_ms=1\nstate=running\n"
	    "monitor=ok\nenforcer=none\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bw_agent_health_check(bad[i], "/proc", now, msg, sizeof(msg)), 1);
		assert_non_null(strstr(msg, "unhealthy: status is malformed"));
	}
}

static void test_file(void **state)
{
	char path[128], text[1024], msg[256];
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/agent.status", dir);
	assert_int_equal(bw_agent_health(path, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "No such file or directory (agent not running"));
	assert_int_equal(bw_agent_health("", msg, sizeof(msg)), 1);

	status(text, sizeof(text), getpid(), my_ticks(), bw_mono_ns(), "running", "ok");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	assert_int_equal(bw_agent_health(path, msg, sizeof(msg)), 0);
}

/* The command as exec probes run it: exit code and one line. */
static void test_command(void **state)
{
	const char *bin = getenv("BW_AGENT_BIN");
	char path[128], cmd[512], text[1024], line[512];
	FILE *f, *p;

	(void)state;
	if (!bin || access(bin, X_OK)) {
		fprintf(stderr, "no BW_AGENT_BIN: command not checked\n");
		return;
	}
	snprintf(path, sizeof(path), "%s/cmd.status", dir);
	snprintf(cmd, sizeof(cmd), "%s --health --health.status-file=%s", bin, path);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(WEXITSTATUS(pclose(p)), 1);
	assert_non_null(strstr(line, "unhealthy: cannot read"));

	/* pid 1 cannot be faked as ours: write this process, fresh. */
	status(text, sizeof(text), getpid(), my_ticks(), bw_mono_ns(), "running", "ok");
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(WEXITSTATUS(pclose(p)), 0);
	assert_non_null(strstr(line, "healthy: pid="));
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/bw-health-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_judgement),
	    cmocka_unit_test(test_file),
	    cmocka_unit_test(test_command),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
