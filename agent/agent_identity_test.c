/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What a policy carries beside rules, end to end through a real agent
 * (eBPF monitor, container discovery, enforcer "none") and a fake
 * controller and relay on loopback nng:
 *   - RuleSet.labels (the controller's: pod labels) are merged into the
 *     container, so its ContainerLogs carry them; the agent still reports
 *     the runtime's own labels, and merging them is no container change;
 *   - RuleSet.visibility of a namespace and of the host override the
 *     node-wide configuration (here "none" for both);
 *   - the health status file: healthy while running, "stopping" during
 *     the drain, gone after the stop.
 * The container is a real cgroup v2 directory with a shell in it, described
 * by a runc-style state file.  Needs root (BPF, cgroups); skips otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "agent.h"
#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "agent_test_fake.h"
#include "containers.h"
#include "containers_int.h"

static struct {
	char dir[64];	  /* temp: runc root, status file */
	char cgdir[512];  /* the container's cgroup v2 directory */
	char status[128]; /* health status file */
	pid_t child;	  /* the container's init: a shell exec'ing the marker */
	char marker[64];
	struct event_base *base;
	struct bw_agent *agent;
	struct bw_agent_config cfg;
	struct fake ctl, relay;
} T;

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

/* A shell in its own cgroup v2 directory, exec'ing `true <marker>` every
 * 100 ms, and the runc state file that makes it a container. */
static void start_container(void)
{
	char mnt[256], p[600], txt[2048];
	int sync[2];

	assert_int_equal(bw_cgroup2_detect("/proc/self/mountinfo", mnt, sizeof(mnt)), 0);
	snprintf(T.cgdir, sizeof(T.cgdir), "%s/bw-identity-test-%d", mnt, (int)getpid());
	if (mkdir(T.cgdir, 0755) && errno != EEXIST) {
		fprintf(stderr, "SKIP: cannot create a cgroup v2 directory %s: %s\n", T.cgdir,
			strerror(errno));
		exit(77);
	}
	snprintf(T.marker, sizeof(T.marker), "bw-identity-%d", (int)getpid());
	assert_int_equal(pipe(sync), 0);
	T.child = fork();
	assert_true(T.child >= 0);
	if (T.child == 0) {
		char procs[600], cmd[256], me[16];
		FILE *f;

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", T.cgdir);
		snprintf(me, sizeof(me), "%d", (int)getpid());
		f = fopen(procs, "w");
		if (!f || fputs(me, f) < 0 || fclose(f))
			_exit(126);
		close(sync[0]);
		close(sync[1]); /* in the cgroup now */
		snprintf(cmd, sizeof(cmd), "while :; do /bin/true %s; sleep 0.1; done", T.marker);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(sync[1]);
	assert_int_equal(read(sync[0], p, 1), 0); /* EOF: the child moved */
	close(sync[0]);

	snprintf(p, sizeof(p), "%s/runc/ident1", T.dir);
	mkdir(p, 0755); /* runc/ made by setup */
	snprintf(txt, sizeof(txt),
		 "{\"id\":\"ident1\",\"init_process_pid\":%d,\"init_process_start\":%llu,"
		 "\"config\":{\"labels\":[\"io.kubernetes.pod.namespace=shop\","
		 "\"io.kubernetes.pod.name=web-0\",\"app=web\",\"tier=front\"]},"
		 "\"cgroup_paths\":{\"\":\"%s\"}}",
		 (int)T.child,
		 (unsigned long long)bw_ctr_pid_start_ticks("/proc", (uint32_t)T.child), T.cgdir);
	snprintf(p, sizeof(p), "%s/runc/ident1/state.json", T.dir);
	write_file(p, txt);
}

static int setup(void **state)
{
	char err[256], runc[128];

	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (BPF programs, cgroups)\n");
		exit(77);
	}
	snprintf(T.dir, sizeof(T.dir), "/tmp/bw-identity-XXXXXX");
	assert_non_null(mkdtemp(T.dir));
	snprintf(runc, sizeof(runc), "%s/runc", T.dir);
	assert_int_equal(mkdir(runc, 0755), 0);
	/* A directory that does not exist yet: the agent makes it. */
	snprintf(T.status, sizeof(T.status), "%s/run/agent.status", T.dir);
	start_container();

	T.base = event_base_new();
	assert_non_null(T.base);
	fake_open(&T.ctl);
	fake_open(&T.relay);
	T.relay.auto_ack = 1; /* acknowledge every batch, as a relay does */
	assert_int_equal(bw_cfg_defaults(bw_agent_config_table, &T.cfg, err, sizeof(err)), 0);
#define SET(k, v)                                                                                  \
	assert_int_equal(bw_cfg_set(bw_agent_config_table, &T.cfg, k, v, "t", err, sizeof(err)), 0)
	SET("node-name", "identity-node");
	SET("controller.url", T.ctl.url);
	SET("relay.urls", T.relay.url);
	SET("enforcer.prefer", "none");
	/* Node-wide: no logs at all.  Only the controller's settings open them. */
	SET("visibility.containers", "none");
	SET("visibility.host", "none");
	SET("containers.runc-root", runc);
	SET("containers.containerd-root", "/nonexistent/bw-identity-containerd");
	SET("health.status-file", T.status);
	SET("health.interval", "1s");
#undef SET
	assert_int_equal(bw_agent_config_check(&T.cfg, err, sizeof(err)), 0);
	assert_int_equal(bw_agent_new(&T.agent, T.base, &T.cfg), 0);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	bw_agent_free(T.agent);
	nng_close(T.ctl.sock);
	nng_close(T.relay.sock);
	if (T.base)
		event_base_free(T.base);
	bw_cfg_free(bw_agent_config_table, &T.cfg);
	if (T.child > 0) {
		kill(T.child, SIGKILL);
		waitpid(T.child, NULL, 0);
	}
	/* Its last process is gone: the cgroup can go (the kernel may need a
	 * moment to release it). */
	for (int i = 0; i < 50 && rmdir(T.cgdir) && errno == EBUSY; i++)
		usleep(20000);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", T.dir);
	return system(cmd) == 0 ? 0 : -1;
}

static int report_has_ident1(BwEnvelope *env, void *arg)
{
	const Bulwark__V1__ContainerReport *r = env->containers;

	for (size_t i = 0; i < r->n_added; i++)
		if (strcmp(r->added[i]->id, "ident1") == 0) {
			*(const Bulwark__V1__Container **)arg = r->added[i];
			return 1;
		}
	return 0;
}

struct want_log {
	const char *type;   /* ContainerLog or HostLog */
	const char *marker; /* in the exec's resource */
	char labels[256];   /* found: its Labels */
	char ns[64];
};

static int batch_with(BwEnvelope *env, void *arg)
{
	struct want_log *w = arg;

	for (size_t i = 0; i < env->events->n_events; i++) {
		const Bulwark__V1__Event *e = env->events->events[i];

		if (e->type && !strcmp(e->type, w->type) && e->operation &&
		    !strcmp(e->operation, "Process") && e->resource &&
		    strstr(e->resource, w->marker)) {
			snprintf(w->labels, sizeof(w->labels), "%s", e->labels ? e->labels : "");
			snprintf(w->ns, sizeof(w->ns), "%s",
				 e->namespace_name ? e->namespace_name : "");
			return 1;
		}
	}
	return 0;
}

static void send_policy(uint64_t version, int with_labels)
{
	Bulwark__V1__CompiledPolicy cp = BULWARK__V1__COMPILED_POLICY__INIT;
	Bulwark__V1__RuleSet host = BULWARK__V1__RULE_SET__INIT, ctr = BULWARK__V1__RULE_SET__INIT,
			     *ctrs[] = {&ctr};
	Bulwark__V1__Visibility hv = BULWARK__V1__VISIBILITY__INIT,
				cv = BULWARK__V1__VISIBILITY__INIT;
	Bulwark__V1__KeyValue l0 = BULWARK__V1__KEY_VALUE__INIT, l1 = BULWARK__V1__KEY_VALUE__INIT,
			      l2 = BULWARK__V1__KEY_VALUE__INIT, *labels[] = {&l0, &l1, &l2};
	Bulwark__V1__PolicyUpdate pu = BULWARK__V1__POLICY_UPDATE__INIT;
	BwEnvelope env;

	/* The controller's view: the runtime's labels plus a pod label. */
	l0.key = "app";
	l0.value = "web";
	l1.key = "team";
	l1.value = "blue";
	l2.key = "tier";
	l2.value = "front";
	cv.set = 1;
	cv.process = 1;
	hv.set = 1;
	hv.process = 1;
	ctr.container_id = "ident1";
	ctr.namespace_name = "shop";
	ctr.labels = labels;
	ctr.n_labels = with_labels ? 3 : 0;
	ctr.visibility = &cv;
	host.visibility = &hv;
	cp.node_name = "identity-node";
	cp.version = version;
	cp.containers = ctrs;
	cp.n_containers = 1;
	cp.host = &host;
	pu.policy = &cp;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY;
	env.policy = &pu;
	fake_send(&T.ctl, &env);
}

static void test_labels_visibility_and_health(void **state)
{
	Bulwark__V1__RegisterReply rr = BULWARK__V1__REGISTER_REPLY__INIT;
	const Bulwark__V1__Container *reported = NULL;
	struct want_log w = {.type = "ContainerLog"};
	BwEnvelope *got, reply;
	char msg[512], host_marker[64];
	struct stat st;
	pid_t pid;
	int status;

	(void)state;
	got = fake_expect(T.base, &T.ctl, BULWARK__V1__ENVELOPE__BODY_REGISTER, NULL, NULL, 10000);
	assert_non_null(got);
	bw_wire_free(got);
	bw_envelope_init(&reply);
	rr.accepted = 1;
	rr.heartbeat_interval_ms = 200;
	reply.body_case = BULWARK__V1__ENVELOPE__BODY_REGISTER_REPLY;
	reply.register_reply = &rr;
	fake_send(&T.ctl, &reply);

	/* Discovery found the container; the report has the runtime's labels. */
	got = fake_expect(T.base, &T.ctl, BULWARK__V1__ENVELOPE__BODY_CONTAINERS, report_has_ident1, &reported,
		     5000);
	assert_non_null(got);
	assert_string_equal(reported->namespace_name, "shop");
	assert_int_equal(reported->n_labels, 2);
	bw_wire_free(got);

	/* Healthy once running: pid alive, fresh, monitor attached. */
	assert_int_equal(bw_agent_health(T.status, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "healthy: pid="));
	assert_non_null(strstr(msg, "enforcer=none monitor=ok"));

	send_policy(3, 1);
	got = fake_expect(T.base, &T.ctl, BULWARK__V1__ENVELOPE__BODY_POLICY_ACK, NULL, NULL, 5000);
	assert_non_null(got);
	assert_true(got->policy_ack->ok);
	bw_wire_free(got);

	/* Namespace "shop" logs processes now, with the controller's labels. */
	w.marker = T.marker;
	got = fake_expect(T.base, &T.relay, BULWARK__V1__ENVELOPE__BODY_EVENTS, batch_with, &w, 10000);
	assert_non_null(got);
	bw_wire_free(got);
	assert_string_equal(w.labels, "app=web,team=blue,tier=front");
	assert_string_equal(w.ns, "shop");

	/* The host too, although the node's configuration says none. */
	snprintf(host_marker, sizeof(host_marker), "bw-identity-host-%d", (int)getpid());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 0", host_marker, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	struct want_log hw = {.type = "HostLog", .marker = host_marker};
	got = fake_expect(T.base, &T.relay, BULWARK__V1__ENVELOPE__BODY_EVENTS, batch_with, &hw, 10000);
	assert_non_null(got);
	bw_wire_free(got);

	/* Merging the controller's labels was no container change: nothing is
	 * reported back (which would loop through the controller). */
	send_policy(4, 1);
	got = fake_expect(T.base, &T.ctl, BULWARK__V1__ENVELOPE__BODY_CONTAINERS, NULL, NULL, 1500);
	assert_null(got);

	/* A pod label the controller dropped goes from the events too. */
	send_policy(5, 0);
	struct want_log w2 = {.type = "ContainerLog", .marker = T.marker};
	uint64_t deadline = bw_mono_ns() + 10 * 1000000000ULL;
	while (strcmp(w2.labels, "app=web,tier=front") && bw_mono_ns() < deadline) {
		got = fake_expect(T.base, &T.relay, BULWARK__V1__ENVELOPE__BODY_EVENTS, batch_with, &w2, 2000);
		if (got)
			bw_wire_free(got);
	}
	assert_string_equal(w2.labels, "app=web,tier=front");

	/* Rewritten every interval: the file's mtime moves. */
	assert_int_equal(stat(T.status, &st), 0);
	struct timespec before = st.st_mtim;
	fake_expect(T.base, &T.ctl, BULWARK__V1__ENVELOPE__BODY_ERROR, NULL, NULL, 1300);
	assert_int_equal(stat(T.status, &st), 0);
	assert_true(st.st_mtim.tv_sec != before.tv_sec || st.st_mtim.tv_nsec != before.tv_nsec);

	/* A stopping agent is not healthy; a stopped one leaves no status. */
	bw_agent_drain(T.agent, 200);
	assert_int_equal(bw_agent_health(T.status, msg, sizeof(msg)), 1);
	assert_string_equal(msg, "unhealthy: agent is stopping");
	bw_agent_free(T.agent);
	T.agent = NULL;
	assert_int_equal(bw_agent_health(T.status, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_labels_visibility_and_health, setup, teardown),
	};

	bw_log_set_level_name(getenv("BW_TEST_DEBUG") ? "debug" : "warn");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
