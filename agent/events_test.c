/* SPDX-License-Identifier: Apache-2.0 */
/* Records -> KubeArmor-style events, visibility, throttling, formatting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "events.h"
#include "monitor_testutil.h"
#include "proctree.h"

struct got {
	int kind;
	char type[32], op[32], res[512], data[256], result[64], proc[128], parent[128], source[256],
	    policy[64], msg[256], tags[128];
	int pid, host_pid, ppid, host_ppid, n_atags;
};

static struct got got[64];
static int ngot;
static struct bw_proctree *pt;
static struct bw_events *ev;
static uint64_t fake_now;

static void cp(char *dst, size_t len, const char *s)
{
	snprintf(dst, len, "%s", s ? s : "");
}

static void on_emit(void *arg, Bulwark__V1__Event *e)
{
	struct got *g = &got[ngot++ % 64];

	g->kind = e->kind;
	cp(g->type, sizeof(g->type), e->type);
	cp(g->op, sizeof(g->op), e->operation);
	cp(g->res, sizeof(g->res), e->resource);
	cp(g->data, sizeof(g->data), e->data);
	cp(g->result, sizeof(g->result), e->result);
	cp(g->proc, sizeof(g->proc), e->process_name);
	cp(g->parent, sizeof(g->parent), e->parent_process_name);
	cp(g->source, sizeof(g->source), e->source);
	cp(g->policy, sizeof(g->policy), e->policy_name);
	cp(g->msg, sizeof(g->msg), e->message);
	cp(g->tags, sizeof(g->tags), e->tags);
	g->pid = e->pid;
	g->host_pid = e->host_pid;
	g->ppid = e->ppid;
	g->host_ppid = e->host_ppid;
	g->n_atags = (int)e->n_atags;
	/* everything must pack: no NULL strings where protobuf-c wants text */
	size_t n = bulwark__v1__event__get_packed_size(e);
	uint8_t *buf = malloc(n);
	bulwark__v1__event__pack(e, buf);
	free(buf);
}

static uint64_t clock_fn(void)
{
	return fake_now;
}

static int setup(void **state)
{
	struct bw_events_opts o = {
	    .emit = on_emit,
	    .host_name = "node1",
	    .container_visibility = BW_VIS_PROCESS | BW_VIS_FILE | BW_VIS_NETWORK | BW_VIS_CAPS,
	    .host_visibility = BW_VIS_PROCESS | BW_VIS_FILE | BW_VIS_NETWORK | BW_VIS_CAPS};

	ngot = 0;
	if (bw_proctree_new(&pt))
		return -1;
	o.proctree = pt;
	if (bw_events_new(&ev, &o))
		return -1;
	bw_events_set_clock(ev, clock_fn);
	fake_now = 1000000000ull;
	return 0;
}

static int teardown(void **state)
{
	bw_events_free(ev);
	bw_proctree_free(pt);
	return 0;
}

static void feed(struct test_rec *r)
{
	bw_events_on_record(ev, &r->h, r->data, r->len);
}

static void start_shell(void)
{
	struct test_rec r;

	test_rec_init(&r, BW_MON_EXEC, BW_SYS_EXECVE, 500, 1, 1);
	test_rec_str(&r, 0, "/bin/bash", 9);
	test_rec_str(&r, 1, "bash\0", 5);
	test_rec_str(&r, 2, "/root", 5);
	feed(&r);
	test_rec_init(&r, BW_MON_FORK, 0, 501, 500, 1);
	feed(&r);
	test_rec_init(&r, BW_MON_EXEC, BW_SYS_EXECVE, 501, 500, 1);
	test_rec_str(&r, 0, "/bin/cat", 8);
	test_rec_str(&r, 1, "cat\0/etc/passwd\0", 16);
	test_rec_str(&r, 2, "/tmp", 4);
	feed(&r);
}

static void test_exec_and_file(void **state)
{
	struct test_rec r;

	start_shell();
	assert_int_equal(ngot, 2); /* two execs; the fork is the tree's only */
	struct got *g = &got[1];
	assert_string_equal(g->type, "HostLog");
	assert_string_equal(g->op, "Process");
	assert_string_equal(g->proc, "/bin/cat");
	assert_string_equal(g->parent, "/bin/bash");
	assert_string_equal(g->source, "/bin/bash");
	assert_string_equal(g->res, "/bin/cat /etc/passwd");
	assert_string_equal(g->data, "syscall=SYS_EXECVE");
	assert_string_equal(g->result, "Passed");
	assert_int_equal(g->host_pid, 501);
	assert_int_equal(g->pid, 501);
	assert_int_equal(g->host_ppid, 500);

	test_rec_init(&r, BW_MON_OPEN, BW_SYS_OPENAT, 501, 500, 1);
	r.h.arg[0] = -100;
	r.h.arg[1] = 02000000 | 0100 | 1; /* O_WRONLY|O_CREAT|O_CLOEXEC */
	r.h.ret = 3;
	test_rec_str(&r, 0, "/etc/passwd", 11);
	feed(&r);
	g = &got[2];
	assert_string_equal(g->op, "File");
	assert_string_equal(g->res, "/etc/passwd");
	assert_string_equal(g->data, "syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_CREAT|O_CLOEXEC");
	assert_string_equal(g->source, "/bin/cat /etc/passwd");
	assert_string_equal(g->result, "Passed");

	/* a failed relative open: the base dir came resolved, the name as given */
	test_rec_init(&r, BW_MON_OPEN, BW_SYS_OPEN, 501, 500, 1);
	r.h.arg[0] = -100;
	r.h.ret = -2;
	r.h.flags = BW_MON_F_UNRESOLVED;
	test_rec_str(&r, 0, "./missing", 9);
	test_rec_str(&r, 1, "/tmp", 4);
	feed(&r);
	g = &got[3];
	assert_string_equal(g->res, "/tmp/missing");
	assert_string_equal(g->data, "syscall=SYS_OPEN flags=O_RDONLY");
	assert_string_equal(g->result, "No such file or directory");

	/* a failed exec: the old image is the process, the path the resource */
	test_rec_init(&r, BW_MON_EXEC_FAIL, BW_SYS_EXECVE, 501, 500, 1);
	r.h.ret = -13;
	r.h.flags = BW_MON_F_UNRESOLVED;
	test_rec_str(&r, 0, "/usr/bin/nc", 11);
	feed(&r);
	assert_string_equal(got[4].op, "Process");
	assert_string_equal(got[4].res, "/usr/bin/nc");
	assert_string_equal(got[4].proc, "/bin/cat");
	assert_string_equal(got[4].data, "syscall=SYS_EXECVE");
	assert_string_equal(got[4].result, "Permission denied");

	/* a path the kernel could not walk completely is marked */
	test_rec_init(&r, BW_MON_OPEN, BW_SYS_OPENAT, 501, 500, 1);
	r.h.flags = BW_MON_STR_TRUNC(0);
	test_rec_str(&r, 0, "/d/d/f", 6);
	feed(&r);
	assert_string_equal(got[5].res, "<truncated>/d/d/f");
}

static void test_network_and_syscalls(void **state)
{
	struct test_rec r;
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};

	start_shell();
	ngot = 0;
	test_rec_init(&r, BW_MON_SOCKET, BW_SYS_SOCKET, 501, 500, 1);
	r.h.arg[0] = 2;
	r.h.arg[1] = 1 | 04000;
	r.h.arg[2] = 6;
	feed(&r);
	assert_string_equal(got[0].res, "domain=AF_INET type=SOCK_STREAM|SOCK_NONBLOCK protocol=6");
	assert_string_equal(got[0].data, "syscall=SYS_SOCKET");
	assert_string_equal(got[0].result, "Passed");

	inet_pton(AF_INET, "10.0.0.7", &in.sin_addr);
	test_rec_init(&r, BW_MON_CONNECT, BW_SYS_CONNECT, 501, 500, 1);
	r.h.ret = -111;
	test_rec_str(&r, 0, (const char *)&in, sizeof(in));
	feed(&r);
	assert_string_equal(got[1].op, "Network");
	assert_string_equal(got[1].res, "sa_family=AF_INET sin_port=8080 sin_addr=10.0.0.7");
	assert_string_equal(got[1].data, "syscall=SYS_CONNECT");
	assert_string_equal(got[1].result, "Connection refused");

	test_rec_init(&r, BW_MON_SETUID, BW_SYS_SETUID, 501, 500, 1);
	r.h.arg[0] = 1000;
	r.h.ret = -1;
	feed(&r);
	assert_string_equal(got[2].op, "Syscall");
	assert_string_equal(got[2].data, "syscall=SYS_SETUID userid=1000");
	assert_string_equal(got[2].result, "Operation not permitted");

	test_rec_init(&r, BW_MON_CAPABLE, 0, 501, 500, 1);
	r.h.arg[0] = 13;
	feed(&r);
	assert_string_equal(got[3].op, "Capabilities");
	assert_string_equal(got[3].res, "CAP_NET_RAW");

	test_rec_init(&r, BW_MON_UNLINK, BW_SYS_UNLINKAT, 501, 500, 1);
	r.h.arg[0] = -100;
	r.h.arg[1] = 0x200;
	r.h.flags = BW_MON_F_UNRESOLVED;
	test_rec_str(&r, 0, "old", 3);
	test_rec_str(&r, 1, "/var/tmp", 8);
	feed(&r);
	assert_string_equal(got[4].op, "File");
	assert_string_equal(got[4].res, "/var/tmp/old");
	assert_string_equal(got[4].data, "syscall=SYS_UNLINKAT fd=-100 flags=AT_REMOVEDIR");

	/* listen: the local address and the backlog */
	in.sin_port = htons(9090);
	inet_pton(AF_INET, "0.0.0.0", &in.sin_addr);
	test_rec_init(&r, BW_MON_LISTEN, BW_SYS_LISTEN, 501, 500, 1);
	r.h.arg[1] = 128;
	test_rec_str(&r, 0, (const char *)&in, sizeof(in));
	feed(&r);
	assert_string_equal(got[5].op, "Network");
	assert_string_equal(got[5].res, "sa_family=AF_INET sin_port=9090 sin_addr=0.0.0.0");
	assert_string_equal(got[5].data, "syscall=SYS_LISTEN backlog=128");

	/* accept: the peer, v6 */
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(40000)};

	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	test_rec_init(&r, BW_MON_ACCEPT, BW_SYS_ACCEPT, 501, 500, 1);
	test_rec_str(&r, 0, (const char *)&in6, sizeof(in6));
	feed(&r);
	assert_string_equal(got[6].res, "sa_family=AF_INET6 sin6_port=40000 sin6_addr=::1");
	assert_string_equal(got[6].data, "syscall=SYS_ACCEPT");
	assert_string_equal(got[6].result, "Passed");

	test_rec_init(&r, BW_MON_BIND, BW_SYS_BIND, 501, 500, 1);
	test_rec_str(&r, 0, (const char *)&in, sizeof(in));
	feed(&r);
	assert_string_equal(got[7].data, "syscall=SYS_BIND");
	assert_string_equal(got[7].res, "sa_family=AF_INET sin_port=9090 sin_addr=0.0.0.0");
}

static void test_visibility(void **state)
{
	struct test_rec r;
	unsigned v;
	char err[256];

	assert_int_equal(bw_visibility_parse("process, network", &v, err, sizeof(err)), 0);
	assert_int_equal(v, BW_VIS_PROCESS | BW_VIS_NETWORK);
	assert_int_equal(bw_visibility_parse("none", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 0);
	assert_int_equal(bw_visibility_parse("process,files", &v, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'files'"));
	assert_int_equal(bw_visibility_groups(BW_VIS_NETWORK), BW_MON_G_PROCESS | BW_MON_G_NETWORK);
	/* without file visibility no group with a syscall tracepoint is asked for */
	assert_int_equal(bw_visibility_groups(BW_VIS_PROCESS | BW_VIS_NETWORK | BW_VIS_CAPS),
			 BW_MON_G_PROCESS | BW_MON_G_NETWORK | BW_MON_G_CAPS);
	assert_int_equal(bw_visibility_groups(BW_VIS_FILE), BW_MON_G_PROCESS | BW_MON_G_FILE);

	/* host: process only; file events are dropped, exec is kept */
	bw_events_set_visibility(ev, NULL, BW_VIS_PROCESS);
	start_shell();
	ngot = 0;
	test_rec_init(&r, BW_MON_OPEN, BW_SYS_OPENAT, 501, 500, 1);
	test_rec_str(&r, 0, "/etc/passwd", 11);
	feed(&r);
	/* an unlink is a file event */
	test_rec_init(&r, BW_MON_UNLINK, BW_SYS_UNLINK, 501, 500, 1);
	test_rec_str(&r, 0, "/tmp/x", 6);
	feed(&r);
	assert_int_equal(ngot, 0);
	struct bw_events_stats st;
	bw_events_stats(ev, &st);
	assert_int_equal(st.invisible, 2);
	/* the groups needed follow the union of all settings */
	bw_events_set_visibility(ev, "prod", BW_VIS_FILE);
	assert_true(bw_events_groups(ev) & BW_MON_G_FILE);
}

static void test_alert_throttling(void **state)
{
	const char *tags[] = {"MITRE", "T1059"};
	Bulwark__V1__RuleOrigin o = BULWARK__V1__RULE_ORIGIN__INIT;
	struct bw_enforcer_alert a = {.host_pid = 501,
				      .operation = "Process",
				      .resource = "/bin/cat",
				      .data = "syscall=SYS_EXECVE",
				      .enforcer = "BPFLSM",
				      .blocked = 1,
				      .action = "Block"};
	int emitted = 0;

	o.policy_name = "block-cat";
	o.severity = 5;
	o.tags = (char **)tags;
	o.n_tags = 2;
	o.message = "no cat";
	a.origin = &o;
	start_shell();
	ngot = 0;
	for (int i = 0; i < 15; i++)
		emitted += bw_events_alert(ev, &a);
	/* 10 alerts in the second, then one SystemEvent, then silence */
	assert_int_equal(emitted, 10);
	assert_int_equal(ngot, 11);
	assert_string_equal(got[0].type, "MatchedPolicy");
	assert_string_equal(got[0].policy, "block-cat");
	assert_string_equal(got[0].result, "Permission denied");
	assert_string_equal(got[0].tags, "MITRE,T1059");
	assert_int_equal(got[0].n_atags, 2);
	assert_string_equal(got[0].proc, "/bin/cat");
	assert_string_equal(got[10].type, "SystemEvent");
	assert_int_equal(got[10].kind, BULWARK__V1__EVENT_KIND__EVENT_SYSTEM);
	assert_non_null(strstr(got[10].msg, "10 alerts per second"));
	fake_now += 29ull * 1000000000ull;
	assert_int_equal(bw_events_alert(ev, &a), 0);
	fake_now += 2ull * 1000000000ull;
	assert_int_equal(bw_events_alert(ev, &a), 1);
	struct bw_events_stats st;
	bw_events_stats(ev, &st);
	assert_int_equal(st.alerts, 11);
	assert_int_equal(st.system, 1);
	assert_int_equal(st.throttled, 6);

	/* default posture alert */
	a.origin = NULL;
	a.default_posture = 1;
	a.host = 1;
	fake_now += 5ull * 1000000000ull;
	ngot = 0;
	assert_int_equal(bw_events_alert(ev, &a), 1);
	assert_string_equal(got[0].policy, "DefaultPosture");
	assert_string_equal(got[0].type, "MatchedHostPolicy");
}

static void test_formatters(void **state)
{
	char buf[256];
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(443)};
	struct sockaddr_un un = {.sun_family = AF_UNIX};

	bw_fmt_open_flags(0, buf, sizeof(buf));
	assert_string_equal(buf, "O_RDONLY");
	bw_fmt_open_flags(2 | 01000 | 0100000, buf, sizeof(buf));
	assert_string_equal(buf, "O_RDWR|O_TRUNC|O_LARGEFILE");
	bw_fmt_open_flags(040000000000LL, buf, sizeof(buf));
	assert_string_equal(buf, "O_RDONLY|040000000000");
	bw_fmt_socket(10, 2 | 02000000, 17, buf, sizeof(buf));
	assert_string_equal(buf, "domain=AF_INET6 type=SOCK_DGRAM|SOCK_CLOEXEC protocol=17");
	inet_pton(AF_INET6, "::1", &in6.sin6_addr);
	bw_fmt_sockaddr(&in6, sizeof(in6), 0, buf, sizeof(buf));
	assert_string_equal(buf, "sa_family=AF_INET6 sin6_port=443 sin6_addr=::1");
	strcpy(un.sun_path, "/run/x.sock");
	bw_fmt_sockaddr(&un, 2 + 12, 0, buf, sizeof(buf));
	assert_string_equal(buf, "sa_family=AF_UNIX sun_path=/run/x.sock");
	memcpy(un.sun_path, "\0abs", 4);
	bw_fmt_sockaddr(&un, 2 + 4, 0, buf, sizeof(buf));
	assert_string_equal(buf, "sa_family=AF_UNIX sun_path=@abs");
	bw_fmt_sockaddr(&un, 1, 0, buf, sizeof(buf)); /* too short: nothing */
	assert_string_equal(buf, "");
	assert_string_equal(bw_cap_name_or_number(21, buf, sizeof(buf)), "CAP_SYS_ADMIN");
	assert_string_equal(bw_cap_name_or_number(99, buf, sizeof(buf)), "CAP_99");
	assert_string_equal(bw_result_str(0), "Passed");
	assert_string_equal(bw_result_str(-13), "Permission denied");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_and_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_network_and_syscalls, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_visibility, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_alert_throttling, setup, teardown),
	    cmocka_unit_test(test_formatters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
