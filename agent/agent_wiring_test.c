/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent's wiring, with the real modules (eBPF monitor, container
 * discovery, enforcer "none", controller client, shipper) against a fake
 * controller and a fake relay: real nng pair1 sockets on loopback that
 * speak the wire protocol.  Checks that
 *   - the agent registers with what it is (labels, enforcer, limits) and
 *     reports its containers;
 *   - a PolicyUpdate is applied and acknowledged with its version and the
 *     rules the enforcer could not apply; heartbeats then carry the version;
 *   - an exec on the host reaches the relay as a HostLog in an EventBatch
 *     numbered from the agent's boot id, and the relay's ack shows up as
 *     events_sent in the agent's counters and heartbeats.
 * Needs root (the monitor loads BPF programs); skips otherwise.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "agent.h"
#include "bw_daemon.h"
#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "agent_test_fake.h"

struct ctx {
	struct event_base *base;
	struct bw_agent *agent;
	struct bw_agent_config cfg;
	struct fake ctl, relay;
};

static const char *host_visibility = "process";

static int setup(void **state)
{
	struct ctx *c;
	char err[256];

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (the monitor loads BPF programs)\n");
		exit(77);
	}
	c = calloc(1, sizeof(*c));
	assert_non_null(c);
	c->base = event_base_new();
	assert_non_null(c->base);
	fake_open(&c->ctl);
	fake_open(&c->relay);
	assert_int_equal(bw_cfg_defaults(bw_agent_config_table, &c->cfg, err, sizeof(err)), 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "node-name", "wiring-node", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "node-labels", "zone=z1", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "cluster-name", "c1", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "controller.url", c->ctl.url, "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "relay.urls", c->relay.url, "t", NULL, 0);
	/* "none": nothing reaches this host's kernel, every rule is unenforced. */
	bw_cfg_set(bw_agent_config_table, &c->cfg, "enforcer.prefer", "none", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "visibility.host", host_visibility, "t", NULL,
		   0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "buffer.batch-events", "64", "t", NULL, 0);
	/* Not the node's /run/bulwark/agent.status (agent_identity_test covers it). */
	bw_cfg_set(bw_agent_config_table, &c->cfg, "health.status-file", "", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "containers.runc-root",
		   "/nonexistent/bw-wiring-runc", "t", NULL, 0);
	bw_cfg_set(bw_agent_config_table, &c->cfg, "containers.containerd-root",
		   "/nonexistent/bw-wiring-containerd", "t", NULL, 0);
	assert_int_equal(bw_agent_config_check(&c->cfg, err, sizeof(err)), 0);
	assert_int_equal(bw_agent_new(&c->agent, c->base, &c->cfg), 0);
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	bw_agent_free(c->agent);
	nng_close(c->ctl.sock);
	nng_close(c->relay.sock);
	event_base_free(c->base);
	bw_cfg_free(bw_agent_config_table, &c->cfg);
	free(c);
	return 0;
}

static int has_label(const Bulwark__V1__Register *r, const char *k, const char *v)
{
	for (size_t i = 0; i < r->n_labels; i++)
		if (strcmp(r->labels[i]->key, k) == 0 && strcmp(r->labels[i]->value, v) == 0)
			return 1;
	return 0;
}

static int heartbeat_with_version(BwEnvelope *env, void *arg)
{
	return env->heartbeat->applied_version == *(uint64_t *)arg;
}

static void register_and_accept(struct ctx *c)
{
	BwEnvelope *env, reply;
	Bulwark__V1__RegisterReply rr = BULWARK__V1__REGISTER_REPLY__INIT;

	env = fake_expect(c->base, &c->ctl, BULWARK__V1__ENVELOPE__BODY_REGISTER, NULL, NULL, 10000);
	assert_non_null(env);
	assert_string_equal(env->register_->node_name, "wiring-node");
	assert_true(has_label(env->register_, "zone", "z1"));
	assert_true(has_label(env->register_, "kubearmor.io/hostname", "wiring-node"));
	assert_int_equal(env->register_->active_enforcer, BULWARK__V1__ENFORCER__ENFORCER_NONE);
	assert_true(env->register_->n_unenforceable > 0); /* "none" says what it lacks */
	assert_true(env->register_->boot_id != 0);
	assert_string_equal(env->register_->agent_version, BW_VERSION);
	bw_wire_free(env);

	bw_envelope_init(&reply);
	rr.accepted = 1;
	rr.heartbeat_interval_ms = 200;
	reply.body_case = BULWARK__V1__ENVELOPE__BODY_REGISTER_REPLY;
	reply.register_reply = &rr;
	fake_send(&c->ctl, &reply);

	/* The full inventory follows every registration. */
	env = fake_expect(c->base, &c->ctl, BULWARK__V1__ENVELOPE__BODY_CONTAINERS, NULL, NULL, 5000);
	assert_non_null(env);
	assert_true(env->containers->full);
	assert_string_equal(env->containers->node_name, "wiring-node");
	bw_wire_free(env);
}

static void test_policy_is_applied_and_acknowledged(void **state)
{
	struct ctx *c = *state;
	Bulwark__V1__CompiledPolicy cp = BULWARK__V1__COMPILED_POLICY__INIT;
	Bulwark__V1__RuleSet host = BULWARK__V1__RULE_SET__INIT;
	Bulwark__V1__Rule rule = BULWARK__V1__RULE__INIT, *rules[] = {&rule};
	Bulwark__V1__RuleOrigin origin = BULWARK__V1__RULE_ORIGIN__INIT;
	Bulwark__V1__PolicyUpdate pu = BULWARK__V1__POLICY_UPDATE__INIT;
	struct bw_agent_stats st;
	BwEnvelope env, *got;
	uint64_t version = 7;

	register_and_accept(c);

	origin.policy_name = "hsp-audit-shadow";
	origin.policy_kind = "KubeArmorHostPolicy";
	rule.operation = BULWARK__V1__OPERATION__OP_FILE;
	rule.match = BULWARK__V1__MATCH_KIND__MATCH_PATH;
	rule.value = "/etc/shadow";
	rule.action = BULWARK__V1__ACTION__ACTION_AUDIT;
	rule.origin = &origin;
	host.rules = rules;
	host.n_rules = 1;
	cp.node_name = "wiring-node";
	cp.version = version;
	cp.host = &host;
	pu.policy = &cp;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY;
	env.policy = &pu;
	fake_send(&c->ctl, &env);

	got = fake_expect(c->base, &c->ctl, BULWARK__V1__ENVELOPE__BODY_POLICY_ACK, NULL, NULL, 5000);
	assert_non_null(got);
	assert_int_equal(got->policy_ack->version, version);
	assert_true(got->policy_ack->ok);
	assert_string_equal(got->policy_ack->node_name, "wiring-node");
	/* The rule did not reach a kernel, and the ack says so. */
	assert_true(got->policy_ack->n_unenforced >= 1);
	bw_wire_free(got);

	bw_agent_get_stats(c->agent, &st);
	assert_int_equal(st.applied_version, version);
	assert_int_equal(st.policies_applied, 1);

	/* Heartbeats now carry the applied version. */
	got = fake_expect(c->base, &c->ctl, BULWARK__V1__ENVELOPE__BODY_HEARTBEAT,
		     heartbeat_with_version, &version, 3000);
	assert_non_null(got);
	bw_wire_free(got);
}

/* A batch holding a HostLog for the exec of `marker`. */
static int batch_with_exec(BwEnvelope *env, void *arg)
{
	const char *marker = arg;

	for (size_t i = 0; i < env->events->n_events; i++) {
		const Bulwark__V1__Event *e = env->events->events[i];

		if (e->type && strcmp(e->type, "HostLog") == 0 && e->operation &&
		    strcmp(e->operation, "Process") == 0 && e->resource &&
		    strstr(e->resource, marker))
			return 1;
	}
	return 0;
}

static void test_events_reach_the_relay_and_acks_count(void **state)
{
	struct ctx *c = *state;
	Bulwark__V1__EventAck ack = BULWARK__V1__EVENT_ACK__INIT;
	struct bw_agent_stats st;
	BwEnvelope *got, env;
	char marker[64];
	uint64_t last_seq, boot;
	pid_t pid;
	int status;

	/* Exec something recognisable on the host once the monitor runs. */
	snprintf(marker, sizeof(marker), "bw-wiring-%d", (int)getpid());
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 0", marker, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);

	/* The exec is logged with its arguments; find it among the batches. */
	got = fake_expect(c->base, &c->relay, BULWARK__V1__ENVELOPE__BODY_EVENTS, batch_with_exec,
		     marker, 10000);
	assert_non_null(got);
	assert_string_equal(got->events->node, "wiring-node");
	assert_true(got->events->boot != 0);
	assert_true(got->events->first_seq >= 1);
	for (size_t i = 0; i < got->events->n_events; i++) {
		const Bulwark__V1__Event *e = got->events->events[i];

		assert_non_null(e->id);
		assert_int_equal(e->id->seq, got->events->first_seq + i);
		assert_string_equal(e->host_name, "wiring-node");
		assert_string_equal(e->cluster_name, "c1");
	}
	last_seq = got->events->first_seq + got->events->n_events - 1;
	boot = got->events->boot;
	bw_wire_free(got);

	/* The relay acknowledges; the agent counts the events as sent. */
	bw_envelope_init(&env);
	ack.node = "wiring-node";
	ack.boot = boot;
	ack.upto_seq = last_seq;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_EVENT_ACK;
	env.event_ack = &ack;
	fake_send(&c->relay, &env);
	for (int i = 0; i < 400; i++) {
		struct timespec ts = {0, 5 * 1000000};

		event_base_loop(c->base, EVLOOP_NONBLOCK);
		bw_agent_get_stats(c->agent, &st);
		if (st.events_sent >= last_seq)
			break;
		nanosleep(&ts, NULL);
	}
	bw_agent_get_stats(c->agent, &st);
	assert_true(st.events_sent >= last_seq);
	assert_true(st.events_seen > 0);
	assert_int_equal(st.events_dropped, 0);
}

static int setup_file_visibility(void **state)
{
	int rc;

	host_visibility = "process,file";
	rc = setup(state);
	((struct ctx *)*state)->relay.auto_ack = 1;
	return rc;
}

struct want_alert {
	const char *policy, *action, *resource;
	int seen;
};

/* Accumulates over batches: true once every wanted alert was seen. */
static int batches_with_alerts(BwEnvelope *env, void *arg)
{
	struct want_alert *w = arg;
	int all = 1;

	for (; w->policy; w++) {
		for (size_t i = 0; i < env->events->n_events && !w->seen; i++) {
			const Bulwark__V1__Event *e = env->events->events[i];

			w->seen = e->kind == BULWARK__V1__EVENT_KIND__EVENT_ALERT &&
				  e->policy_name && strcmp(e->policy_name, w->policy) == 0 &&
				  strcmp(e->action, w->action) == 0 &&
				  strcmp(e->resource, w->resource) == 0 &&
				  strcmp(e->type, "MatchedHostPolicy") == 0 &&
				  strcmp(e->enforcer, "eBPF Monitor") == 0 &&
				  strcmp(e->result, "Passed") == 0 &&
				  strcmp(e->operation, "File") == 0 && e->host_pid > 0;
		}
		all &= w->seen;
	}
	return all;
}

/*
 * Rules the enforcer ("none" here) cannot apply are matched against the
 * monitor's logs: opening the files yields audit-only alerts.
 */
static void test_unenforced_rules_are_audited(void **state)
{
	struct ctx *c = *state;
	Bulwark__V1__CompiledPolicy cp = BULWARK__V1__COMPILED_POLICY__INIT;
	Bulwark__V1__RuleSet host = BULWARK__V1__RULE_SET__INIT;
	Bulwark__V1__Rule blk = BULWARK__V1__RULE__INIT, aud = BULWARK__V1__RULE__INIT;
	Bulwark__V1__Rule *rules[] = {&blk, &aud};
	Bulwark__V1__RuleOrigin ob = BULWARK__V1__RULE_ORIGIN__INIT, oa = ob;
	Bulwark__V1__PolicyUpdate pu = BULWARK__V1__POLICY_UPDATE__INIT;
	char pblk[64], paud[64];
	struct want_alert want[] = {
	    {"hsp-block-file", "Audit (Block)", pblk, 0},
	    {"hsp-audit-file", "Audit", paud, 0},
	    {NULL, NULL, NULL, 0},
	};
	BwEnvelope env, *got;
	pid_t pid;
	int status;

	snprintf(pblk, sizeof(pblk), "/tmp/bw-wiring-block-%d", (int)getpid());
	snprintf(paud, sizeof(paud), "/tmp/bw-wiring-audit-%d", (int)getpid());
	fclose(fopen(pblk, "w"));
	fclose(fopen(paud, "w"));
	register_and_accept(c);
	ob.policy_name = "hsp-block-file";
	ob.severity = 5;
	oa.policy_name = "hsp-audit-file";
	blk.operation = aud.operation = BULWARK__V1__OPERATION__OP_FILE;
	blk.match = aud.match = BULWARK__V1__MATCH_KIND__MATCH_PATH;
	blk.value = pblk;
	blk.action = BULWARK__V1__ACTION__ACTION_BLOCK;
	blk.origin = &ob;
	aud.value = paud;
	aud.action = BULWARK__V1__ACTION__ACTION_AUDIT;
	aud.origin = &oa;
	host.rules = rules;
	host.n_rules = 2;
	cp.node_name = "wiring-node";
	cp.version = 3;
	cp.host = &host;
	pu.policy = &cp;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY;
	env.policy = &pu;
	fake_send(&c->ctl, &env);
	got = fake_expect(c->base, &c->ctl, BULWARK__V1__ENVELOPE__BODY_POLICY_ACK, NULL, NULL, 5000);
	assert_non_null(got);
	assert_true(got->policy_ack->ok);
	bw_wire_free(got);

	/* A child opens both (the agent does not report its own process). */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		FILE *f1 = fopen(pblk, "r"), *f2 = fopen(paud, "r");

		_exit(f1 && f2 ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);

	got = fake_expect(c->base, &c->relay, BULWARK__V1__ENVELOPE__BODY_EVENTS, batches_with_alerts,
		     want, 15000);
	if (!got)
		fail_msg("audit-only alerts seen: block=%d audit=%d", want[0].seen, want[1].seen);
	bw_wire_free(got);
	unlink(pblk);
	unlink(paud);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_policy_is_applied_and_acknowledged, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_events_reach_the_relay_and_acks_count, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unenforced_rules_are_audited,
					    setup_file_visibility, teardown),
	};

	bw_log_set_component("agent-test");
	bw_log_set_level_name(getenv("BW_TEST_LOG") ? getenv("BW_TEST_LOG") : "warn");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
