/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Agent channel over real nng sockets on loopback: a controller_core
 * instance and agents (bw_ctlclient, or raw pair1 sockets for protocol
 * corner cases) on one event loop.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/supplemental/tls/tls.h>
#include <cjson/cJSON.h>

#include "agent_client.h"
#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "ctl_test_util.h"

#define POLICY_WEB                                                                                 \
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n"                \
	"  name: web-block-sh\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n"       \
	"      app: web\n  process:\n    matchPaths:\n    - path: /bin/sh\n  action: Block\n"
#define POLICY_DB                                                                                  \
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n"                \
	"  name: db-block-curl\n  namespace: default\nspec:\n  selector:\n    matchLabels:\n"      \
	"      app: db\n  process:\n    matchPaths:\n    - path: /usr/bin/curl\n  action: Block\n"

struct agent {
	struct bw_ctlclient *cl;
	const char *node;
	int policies;	  /* on_policy calls */
	uint64_t version; /* last seen */
	size_t rules;	  /* rules for our container in the last policy */
	int fail;	  /* on_policy returns -EIO while set */
	int connects, disconnects;
};

static int on_policy(void *arg, const Bulwark__V1__CompiledPolicy *cp, struct bw_ctlclient_ack *ack)
{
	struct agent *a = arg;

	a->policies++;
	a->version = cp->version;
	a->rules = 0;
	for (size_t i = 0; i < cp->n_containers; i++)
		a->rules += cp->containers[i]->n_rules;
	if (a->fail) {
		bw_ctlclient_ack_message(ack, "test says no");
		return -EIO;
	}
	bw_ctlclient_ack_unenforced(ack, "file:/etc/example");
	return 0;
}

static void on_connected(void *arg)
{
	((struct agent *)arg)->connects++;
}

static void on_disconnected(void *arg)
{
	((struct agent *)arg)->disconnects++;
}

static int agent_start(struct agent *a, struct event_base *base, const char *url, const char *node,
		       const char *app, const struct bw_ctlclient_opts *extra)
{
	Bulwark__V1__Container c = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvp = &kv;
	const Bulwark__V1__Container *cp = &c;
	struct bw_ctlclient_opts o = extra ? *extra : (struct bw_ctlclient_opts){0};
	struct bw_ctlclient_callbacks cbs = {on_policy, on_connected, on_disconnected, a};
	Bulwark__V1__Enforcer enf = BULWARK__V1__ENFORCER__ENFORCER_BPFLSM;
	char id[64];
	int rc;

	a->node = node;
	o.url = url;
	o.node_name = node;
	o.labels = "zone=a";
	o.kernel_version = "6.1.0-test";
	o.agent_version = "test";
	o.enforcers = &enf;
	o.n_enforcers = 1;
	o.active_enforcer = enf;
	o.boot_id = bw_random_u64();
	o.heartbeat_ms = o.heartbeat_ms ? o.heartbeat_ms : 200;
	o.reconnect_min_ms = 20;
	o.reconnect_max_ms = 100;
	rc = bw_ctlclient_new(&a->cl, base, &o, &cbs);
	if (rc)
		return rc;
	snprintf(id, sizeof(id), "ctr-%s", node);
	c.id = id;
	c.name = "app";
	c.namespace_name = "default";
	c.cgroup_id = 1000 + (uint64_t)strlen(node);
	kv.key = "app";
	kv.value = (char *)app;
	c.labels = &kvp;
	c.n_labels = 1;
	return bw_ctlclient_report_containers(a->cl, 1, &cp, 1, NULL, 0);
}

struct fx {
	char *dir;
	struct event_base *base;
	struct bw_controller_config cfg;
	struct bw_controller *ctl;
	char url[128], sock[256];
};

static int fx_start_ctl(struct fx *f)
{
	int rc = bw_controller_new(&f->ctl, f->base, &f->cfg);

	if (rc == 0)
		snprintf(f->url, sizeof(f->url), "%s", bw_controller_agents_url(f->ctl));
	return rc;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_tmpdir();
	f->base = event_base_new();
	tu_config(&f->cfg, f->dir);
	f->cfg.heartbeat_ms = 200;
	f->cfg.node_timeout_ms = 600;
	f->cfg.resend_ms = 300;
	snprintf(f->sock, sizeof(f->sock), "unix:%s", f->cfg.admin_socket);
	assert_int_equal(fx_start_ctl(f), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bw_controller_free(f->ctl);
	bw_cfg_free(bw_controller_cfg_table, &f->cfg);
	event_base_free(f->base);
	tu_rmrf(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

struct want_version {
	struct agent *a;
	uint64_t v;
};

static int has_version(void *arg)
{
	struct want_version *w = arg;

	return w->a->version >= w->v && bw_ctlclient_applied_version(w->a->cl) >= w->v;
}

static int both_connected(void *arg)
{
	struct agent *a = arg;

	return bw_ctlclient_connected(a[0].cl) && bw_ctlclient_connected(a[1].cl) && a[0].version &&
	       a[1].version;
}

static int apply(struct fx *f, const char *yaml)
{
	/* bw_http_request sends the body with our JSON content type; the API takes YAML too. */
	return tu_http(f->base, f->sock, "POST", "/v1/policies?filename=t.yaml", yaml, NULL);
}

static char *node_json(struct fx *f, const char *node)
{
	char path[128], *body = NULL;

	snprintf(path, sizeof(path), "/v1/nodes/%s", node);
	if (tu_http(f->base, f->sock, "GET", path, NULL, &body) != 200) {
		free(body);
		return NULL;
	}
	return body;
}

/* Pushes go only where the compiled policy changed; acks bring nodes in sync. */
static void test_push_only_changed(void **state)
{
	struct fx *f = *state;
	struct agent a[2] = {0};
	struct want_version w;
	uint64_t vb, t_apply;
	char *js;

	assert_int_equal(agent_start(&a[0], f->base, f->url, "node-a", "web", NULL), 0);
	assert_int_equal(agent_start(&a[1], f->base, f->url, "node-b", "db", NULL), 0);
	assert_true(tu_run_until(f->base, both_connected, a, 5000));
	/* Each node first gets its (empty) policy as version 1. */
	assert_int_equal(a[0].version, 1);
	assert_int_equal(a[1].version, 1);
	assert_int_equal(a[0].rules, 0);
	vb = a[1].version;

	t_apply = bw_real_ns();
	assert_int_equal(apply(f, POLICY_WEB), 200);
	w = (struct want_version){&a[0], 2};
	assert_true(tu_run_until(f->base, has_version, &w, 5000));
	assert_true(a[0].rules > 0);
	tu_run_for(f->base, 300);
	/* node-b's containers are not selected: nothing was sent to it. */
	assert_int_equal(a[1].policies, 1);
	assert_int_equal(a[1].version, vb);

	js = node_json(f, "node-a");
	assert_non_null(js);
	assert_non_null(strstr(js, "\"policy_version\":2"));
	assert_non_null(strstr(js, "\"applied_version\":2"));
	assert_non_null(strstr(js, "\"in_sync\":true"));
	assert_non_null(strstr(js, "\"state\":\"Ready\""));
	assert_non_null(strstr(js, "file:/etc/example"));
	assert_non_null(strstr(js, "\"enforcer\":\"BPFLSM\""));
	{
		/* The controller stamps the ack it processed (what the benchmark
		 * measures to): after the apply began, not in the future. */
		cJSON *o = cJSON_Parse(js);
		const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "applied_at_ns");
		const cJSON *txt = cJSON_GetObjectItemCaseSensitive(o, "applied_at");

		assert_true(cJSON_IsNumber(at));
		assert_true(at->valuedouble >= (double)t_apply - 1e3);
		assert_true(at->valuedouble <= (double)bw_real_ns() + 1e3);
		assert_true(cJSON_IsString(txt));
		cJSON_Delete(o);
	}
	free(js);

	/* Applying the same document again changes nothing anywhere. */
	assert_int_equal(apply(f, POLICY_WEB), 200);
	tu_run_for(f->base, 300);
	assert_int_equal(a[0].policies, 2);
	assert_int_equal(a[1].policies, 1);

	/* A container moving into the selection changes node-b's policy. */
	{
		Bulwark__V1__Container c = BULWARK__V1__CONTAINER__INIT;
		Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvp = &kv;
		const Bulwark__V1__Container *cp = &c;

		c.id = "ctr-new";
		c.namespace_name = "default";
		c.cgroup_id = 77;
		kv.key = "app";
		kv.value = "web";
		c.labels = &kvp;
		c.n_labels = 1;
		assert_int_equal(bw_ctlclient_report_containers(a[1].cl, 0, &cp, 1, NULL, 0), 0);
		w = (struct want_version){&a[1], vb + 1};
		assert_true(tu_run_until(f->base, has_version, &w, 5000));
		assert_true(a[1].rules > 0);
	}

	/* Labels from the API (pod labels) merge with the agent's view and select. */
	{
		char *body = NULL;
		uint64_t va = a[0].version;

		assert_int_equal(tu_http(f->base, f->sock, "POST", "/v1/containers",
					 "{\"id\":\"ctr-node-a\",\"pod\":\"web-0\","
					 "\"labels\":{\"tier\":\"gold\"}}",
					 NULL),
				 200);
		assert_int_equal(tu_http(f->base, f->sock, "GET",
					 "/v1/containers?selector=tier%3Dgold", NULL, &body),
				 200);
		assert_non_null(strstr(body, "\"source\":\"agent+api\""));
		assert_non_null(strstr(body, "\"app\":\"web\""));
		assert_non_null(strstr(body, "\"node\":\"node-a\""));
		free(body);
		assert_int_equal(
		    apply(f, "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
			     "metadata:\n  name: gold\n  namespace: default\nspec:\n"
			     "  selector:\n    matchLabels:\n      tier: gold\n  file:\n"
			     "    matchPaths:\n    - path: /etc/gold\n  action: Block\n"),
		    200);
		w = (struct want_version){&a[0], va + 1};
		assert_true(tu_run_until(f->base, has_version, &w, 5000));
	}
	bw_ctlclient_free(a[0].cl);
	bw_ctlclient_free(a[1].cl);
}

/* policy_version_only (the benchmark's simulated agents): the version is
 * read from the PolicyUpdate without decoding it, and acknowledged. */
static void test_version_only_client(void **state)
{
	struct fx *f = *state;
	struct bw_ctlclient_opts lazy = {.policy_version_only = 1};
	struct agent a[2] = {0};
	struct want_version w;
	char *js;

	assert_int_equal(agent_start(&a[0], f->base, f->url, "node-full", "web", NULL), 0);
	assert_int_equal(agent_start(&a[1], f->base, f->url, "node-lazy", "web", &lazy), 0);
	assert_true(tu_run_until(f->base, both_connected, a, 5000));
	assert_int_equal(apply(f, POLICY_WEB), 200);
	for (int i = 0; i < 2; i++) {
		w = (struct want_version){&a[i], 2};
		assert_true(tu_run_until(f->base, has_version, &w, 5000));
	}
	assert_true(a[0].rules > 0);	 /* decoded */
	assert_int_equal(a[1].rules, 0); /* only the version was read */
	assert_int_equal(a[1].version, a[0].version);
	tu_run_for(f->base, 100);
	js = node_json(f, "node-lazy");
	assert_non_null(js);
	assert_non_null(strstr(js, "\"applied_version\":2"));
	assert_non_null(strstr(js, "\"in_sync\":true"));
	free(js);
	bw_ctlclient_free(a[0].cl);
	bw_ctlclient_free(a[1].cl);
}

static int both_disconnected(void *arg)
{
	struct agent *a = arg;

	return a[0].disconnects && a[1].disconnects;
}

static int both_reconnected(void *arg)
{
	struct agent *a = arg;

	return a[0].connects >= 2 && a[1].connects >= 2;
}

static int agent_ready(void *arg)
{
	struct agent *a = arg;

	return bw_ctlclient_connected(a->cl) && a->policies > 0;
}

static int ctrs_seen(void *arg)
{
	struct fx *f = arg;
	char *body = NULL;
	int ok = tu_http(f->base, f->sock, "GET", "/v1/containers?node=node-x", NULL, &body) ==
		     200 &&
		 body && strstr(body, "ctr-full");

	free(body);
	return ok;
}

/*
 * A report is kept in two parts (the container's own fields, and the
 * interned part its replicas share); both come back whole through the API
 * and through a restart, which replays them from the store with no agent.
 */
static void test_container_fields_survive_restart(void **state)
{
	static const char *const want[] = {
	    "\"name\":\"web-1\"",	 "\"image\":\"reg.example/web:1.2\"",
	    "\"namespace\":\"shop\"",	 "\"pod\":\"web-7d4f-1\"",
	    "\"container_name\":\"main\"", "\"cgroup_id\":\"424242\"",
	    "\"pid\":77",		 "\"runtime\":\"containerd\"",
	    "\"owner\":\"Deployment/web\"", "\"app\":\"web\"",
	    "\"tier\":\"front\"",		 "\"source\":\"agent\"",
	};
	struct fx *f = *state;
	Bulwark__V1__Container c[2] = {BULWARK__V1__CONTAINER__INIT, BULWARK__V1__CONTAINER__INIT};
	Bulwark__V1__KeyValue kv[2] = {BULWARK__V1__KEY_VALUE__INIT, BULWARK__V1__KEY_VALUE__INIT};
	Bulwark__V1__KeyValue *kvp[2] = {&kv[0], &kv[1]};
	const Bulwark__V1__Container *cp[2] = {&c[0], &c[1]};
	struct agent a = {0};
	char *body = NULL;

	assert_int_equal(agent_start(&a, f->base, f->url, "node-x", "x", NULL), 0);
	kv[0].key = "tier";
	kv[0].value = "front";
	kv[1].key = "app";
	kv[1].value = "web";
	for (int i = 0; i < 2; i++) {
		c[i].name = i ? "web-2" : "web-1";
		c[i].image = "reg.example/web:1.2";
		c[i].namespace_name = "shop";
		c[i].pod_name = i ? "web-7d4f-2" : "web-7d4f-1";
		c[i].container_name = "main";
		c[i].cgroup_id = 424242 + (uint64_t)i;
		c[i].pid = 77 + (uint32_t)i;
		c[i].runtime = "containerd";
		c[i].owner = "Deployment/web";
		c[i].labels = kvp;
		c[i].n_labels = 2;
	}
	c[0].id = "ctr-full";
	c[1].id = "ctr-full-2";
	assert_true(tu_run_until(f->base, agent_ready, &a, 5000));
	assert_int_equal(bw_ctlclient_report_containers(a.cl, 1, cp, 2, NULL, 0), 0);
	assert_true(tu_run_until(f->base, ctrs_seen, f, 5000));
	for (int round = 0; round < 2; round++) {
		assert_int_equal(tu_http(f->base, f->sock, "GET", "/v1/containers?node=node-x",
					 NULL, &body),
				 200);
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
			if (!strstr(body, want[i]))
				fail_msg("round %d: %s missing in %s", round, want[i], body);
		assert_non_null(strstr(body, "\"name\":\"web-2\""));
		assert_non_null(strstr(body, "\"cgroup_id\":\"424243\""));
		free(body);
		body = NULL;
		if (round)
			break;
		/* No agent from here on: what the API shows is the store's. */
		bw_ctlclient_free(a.cl);
		a.cl = NULL;
		bw_controller_free(f->ctl);
		f->ctl = NULL;
		assert_int_equal(fx_start_ctl(f), 0);
	}
}

/* A controller restart keeps versions; agents re-register and resync. */
static void test_restart_and_reconnect(void **state)
{
	struct fx *f = *state;
	struct agent a[2] = {0};
	struct want_version w;
	uint64_t va, vb;
	int pa, pb;

	assert_int_equal(apply(f, POLICY_WEB), 200);
	assert_int_equal(agent_start(&a[0], f->base, f->url, "node-a", "web", NULL), 0);
	assert_int_equal(agent_start(&a[1], f->base, f->url, "node-b", "db", NULL), 0);
	assert_true(tu_run_until(f->base, both_connected, a, 5000));
	tu_run_for(f->base, 200);
	va = a[0].version;
	vb = a[1].version;
	pa = a[0].policies;
	pb = a[1].policies;
	assert_true(a[0].rules > 0);

	/* Restart on the same port and data directory. */
	free(f->cfg.agents_listen);
	f->cfg.agents_listen = strdup(f->url);
	bw_controller_free(f->ctl);
	f->ctl = NULL;
	assert_true(tu_run_until(f->base, both_disconnected, a, 5000));
	assert_int_equal(fx_start_ctl(f), 0);
	assert_true(tu_run_until(f->base, both_reconnected, a, 5000));
	tu_run_for(f->base, 400);
	/* Same inputs, same compiled policy: the restored versions stand, nothing resent. */
	assert_int_equal(a[0].policies, pa);
	assert_int_equal(a[1].policies, pb);
	{
		char *js = node_json(f, "node-a");

		assert_non_null(js);
		assert_non_null(strstr(js, "\"in_sync\":true"));
		free(js);
	}
	/* A change after the restart continues the sequence. */
	assert_int_equal(apply(f, POLICY_DB), 200);
	w = (struct want_version){&a[1], vb + 1};
	assert_true(tu_run_until(f->base, has_version, &w, 5000));
	assert_int_equal(a[1].version, vb + 1);
	assert_int_equal(a[0].version, va);
	bw_ctlclient_free(a[0].cl);
	bw_ctlclient_free(a[1].cl);
}

static int both_connected_one(void *arg)
{
	struct agent *a = arg;

	return bw_ctlclient_connected(a->cl) && a->policies > 0;
}

/* An agent that fails to apply is told again until it succeeds. */
static void test_failed_apply_is_retried(void **state)
{
	struct fx *f = *state;
	struct agent a = {0};
	struct want_version w = {&a, 1};
	char *js;
	int before;

	a.fail = 1;
	assert_int_equal(agent_start(&a, f->base, f->url, "node-f", "web", NULL), 0);
	assert_true(tu_run_until(f->base, both_connected_one, &a, 5000));
	before = a.policies;
	tu_run_for(f->base, 200);
	js = node_json(f, "node-f");
	assert_non_null(js);
	assert_non_null(strstr(js, "\"ack_ok\":false"));
	assert_non_null(strstr(js, "test says no"));
	assert_non_null(strstr(js, "\"applied_version\":0"));
	free(js);
	a.fail = 0;
	assert_true(tu_run_until(f->base, has_version, &w, 5000));
	assert_true(a.policies > before);
	js = node_json(f, "node-f");
	assert_non_null(strstr(js, "\"in_sync\":true"));
	free(js);
	bw_ctlclient_free(a.cl);
}

/* ---- raw pair1 agents: protocol corner cases ------------------------------------------ */

static nng_socket raw_dial(const char *url)
{
	nng_socket s;

	assert_int_equal(nng_pair1_open(&s), 0);
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, BW_WIRE_MAX_MSG);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

static void raw_send(nng_socket s, BwEnvelope *env)
{
	nng_pipe none = NNG_PIPE_INITIALIZER;
	int rc;

	/* Right after the dial the pipe may not take messages yet. */
	for (int i = 0; i < 200; i++) {
		rc = bw_wire_send(s, none, env);
		if (rc != -EAGAIN)
			break;
		usleep(5000);
	}
	assert_int_equal(rc, 0);
}

/* Receives (running the loop meanwhile) until a message of kind want arrives. */
static BwEnvelope *raw_recv(struct fx *f, nng_socket s, int want, int timeout_ms)
{
	uint64_t end = bw_mono_ns() + (uint64_t)timeout_ms * 1000000;

	while (bw_mono_ns() < end) {
		BwEnvelope *env = NULL;
		char err[128];
		nng_msg *m;

		tu_run_for(f->base, 5);
		if (nng_recvmsg(s, &m, NNG_FLAG_NONBLOCK))
			continue;
		assert_int_equal(bw_wire_decode(m, BW_WIRE_MAX_MSG, &env, err, sizeof(err)), 0);
		nng_msg_free(m);
		if ((int)env->body_case == want)
			return env;
		bw_wire_free(env);
	}
	return NULL;
}

static void raw_register(nng_socket s, const char *node, uint64_t applied)
{
	Bulwark__V1__Register r = BULWARK__V1__REGISTER__INIT;
	BwEnvelope env;

	bw_envelope_init(&env);
	r.node_name = (char *)node;
	r.applied_version = applied;
	r.active_enforcer = BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_REGISTER;
	env.register_ = &r;
	raw_send(s, &env);
}

static void raw_report(nng_socket s, const char *node, const char *app)
{
	Bulwark__V1__ContainerReport rep = BULWARK__V1__CONTAINER_REPORT__INIT;
	Bulwark__V1__Container c = BULWARK__V1__CONTAINER__INIT, *cp = &c;
	Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvp = &kv;
	BwEnvelope env;
	char id[64];

	snprintf(id, sizeof(id), "raw-%s", node);
	c.id = id;
	c.namespace_name = "default";
	c.cgroup_id = 4242;
	kv.key = "app";
	kv.value = (char *)app;
	c.labels = &kvp;
	c.n_labels = 1;
	rep.node_name = (char *)node;
	rep.full = 1;
	rep.added = &cp;
	rep.n_added = 1;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_CONTAINERS;
	env.containers = &rep;
	raw_send(s, &env);
}

static void raw_ack(nng_socket s, const char *node, uint64_t v)
{
	Bulwark__V1__PolicyAck a = BULWARK__V1__POLICY_ACK__INIT;
	BwEnvelope env;

	a.node_name = (char *)node;
	a.version = v;
	a.ok = 1;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY_ACK;
	env.policy_ack = &a;
	raw_send(s, &env);
}

static void raw_heartbeat(nng_socket s, const char *node, uint64_t applied)
{
	Bulwark__V1__Heartbeat h = BULWARK__V1__HEARTBEAT__INIT;
	BwEnvelope env;

	h.node_name = (char *)node;
	h.applied_version = applied;
	h.events_lost = 7;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &h;
	raw_send(s, &env);
}

static uint64_t push_version(struct fx *f, nng_socket s, int timeout_ms)
{
	BwEnvelope *env = raw_recv(f, s, BULWARK__V1__ENVELOPE__BODY_POLICY, timeout_ms);
	uint64_t v;

	if (!env)
		return 0;
	v = env->policy->policy->version;
	bw_wire_free(env);
	return v;
}

static int metric_value(struct fx *f, const char *name, double *out)
{
	char *body = NULL, *p;
	int ok = 0;

	if (tu_http(f->base, f->sock, "GET", "/metrics", NULL, &body) == 200) {
		p = strstr(body, name);
		while (p && p != body && p[-1] != '\n')
			p = strstr(p + 1, name);
		if (p && sscanf(p + strlen(name), " %lf", out) == 1)
			ok = 1;
	}
	free(body);
	return ok;
}

static void test_versions_resend_and_stale_acks(void **state)
{
	struct fx *f = *state;
	nng_socket s, s2, s3;
	BwEnvelope *env;
	double stale = -1, bad0 = 0, bad1 = 0;
	char *js;

	assert_int_equal(apply(f, POLICY_WEB), 200);
	s = raw_dial(f->url);
	raw_register(s, "node-r", 0);
	env = raw_recv(f, s, BULWARK__V1__ENVELOPE__BODY_REGISTER_REPLY, 3000);
	assert_non_null(env);
	assert_true(env->register_reply->accepted);
	assert_int_equal(env->register_reply->heartbeat_interval_ms, 200);
	bw_wire_free(env);
	raw_report(s, "node-r", "web");
	assert_int_equal(push_version(f, s, 3000), 1);
	raw_ack(s, "node-r", 1);

	/* A change the agent does not acknowledge is resent after a heartbeat shows it behind. */
	assert_int_equal(apply(f, "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
				  "metadata:\n  name: web-block-sh\n  namespace: default\nspec:\n"
				  "  selector:\n    matchLabels:\n      app: web\n  process:\n"
				  "    matchPaths:\n    - path: /bin/bash\n  action: Block\n"),
			 200);
	assert_int_equal(push_version(f, s, 3000), 2);
	tu_run_for(f->base, 350);
	raw_heartbeat(s, "node-r", 1);
	assert_int_equal(push_version(f, s, 3000), 2);

	/* Stale and impossible acknowledgements change nothing. */
	assert_true(metric_value(f, "bulwark_controller_agent_bad_messages_total", &bad0));
	raw_ack(s, "node-r", 1);
	raw_ack(s, "node-r", 99);
	tu_run_for(f->base, 100);
	assert_true(metric_value(f, "bulwark_controller_policy_stale_acks_total", &stale));
	assert_true(stale >= 1);
	assert_true(metric_value(f, "bulwark_controller_agent_bad_messages_total", &bad1));
	assert_true(bad1 >= bad0 + 1);
	js = node_json(f, "node-r");
	assert_non_null(strstr(js, "\"applied_version\":1"));
	assert_non_null(strstr(js, "\"policy_version\":2"));
	assert_non_null(strstr(js, "\"enforcer\":\"cgroup-bpf\""));
	free(js);
	raw_ack(s, "node-r", 2);
	tu_run_for(f->base, 100);
	js = node_json(f, "node-r");
	assert_non_null(strstr(js, "\"in_sync\":true"));
	assert_non_null(strstr(js, "\"lost\":7"));
	free(js);

	/* Silent (but connected) for longer than node_timeout: NotReady; a heartbeat: Ready. */
	tu_run_for(f->base, 900);
	js = node_json(f, "node-r");
	assert_non_null(strstr(js, "\"state\":\"NotReady\""));
	free(js);
	raw_heartbeat(s, "node-r", 2);
	tu_run_for(f->base, 50);
	js = node_json(f, "node-r");
	assert_non_null(strstr(js, "\"state\":\"Ready\""));
	free(js);

	/* Anything before Register is refused with an Error. */
	s2 = raw_dial(f->url);
	raw_heartbeat(s2, "node-q", 0);
	env = raw_recv(f, s2, BULWARK__V1__ENVELOPE__BODY_ERROR, 3000);
	assert_non_null(env);
	assert_non_null(strstr(env->error->message, "register"));
	bw_wire_free(env);

	/* An agent ahead of the store (data dir lost): versions continue above its own. */
	s3 = raw_dial(f->url);
	raw_register(s3, "node-z", 50);
	raw_report(s3, "node-z", "web");
	assert_int_equal(push_version(f, s3, 3000), 51);

	/* Dropping the connection marks the node NotReady at once. */
	nng_close(s);
	tu_run_for(f->base, 200);
	js = node_json(f, "node-r");
	assert_non_null(strstr(js, "\"state\":\"NotReady\""));
	assert_non_null(strstr(js, "\"connected\":false"));
	free(js);
	nng_close(s2);
	nng_close(s3);
}

/* ---- mutual TLS ------------------------------------------------------------------------- */

static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static int one_connected(void *arg)
{
	struct agent *a = arg;

	return bw_ctlclient_connected(a->cl) && a->policies > 0;
}

static void test_mutual_tls(void **state)
{
	struct fx *f = *state;
	struct bw_ctlclient_opts o = {0};
	struct agent good = {0}, anon = {0};
	nng_tls_config *probe;
	char ca[300], srv[300], cli[300];

	if (nng_tls_config_alloc(&probe, NNG_TLS_MODE_SERVER) != 0) {
		fprintf(stderr, "SKIP mutual TLS: this nng has no TLS support\n");
		skip();
	}
	nng_tls_config_free(probe);
	if (sh("command -v openssl >/dev/null") != 0) {
		fprintf(stderr,
			"SKIP mutual TLS: openssl is not installed to make test certificates\n");
		skip();
	}
	snprintf(ca, sizeof(ca), "%s/ca.pem", f->dir);
	snprintf(srv, sizeof(srv), "%s/srv.pem", f->dir);
	snprintf(cli, sizeof(cli), "%s/cli.pem", f->dir);
	assert_int_equal(
	    sh("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
	       "-keyout ca.key -out ca.pem -days 2 -subj /CN=bulwark-test-ca 2>/dev/null && "
	       "for n in srv cli; do openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
	       "-nodes -keyout $n.key -out $n.csr -subj /CN=localhost 2>/dev/null && "
	       "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > $n.ext && "
	       "openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
	       "-out $n.crt -days 2 -extfile $n.ext 2>/dev/null && cat $n.crt $n.key > $n.pem; "
	       "done",
	       f->dir),
	    0);
	bw_controller_free(f->ctl);
	f->ctl = NULL;
	free(f->cfg.agents_listen);
	f->cfg.agents_listen = strdup("tls+tcp://127.0.0.1:0");
	f->cfg.tls_ca = strdup(ca);
	f->cfg.tls_cert_key = strdup(srv);
	f->cfg.tls_require_client_cert = 1;
	assert_int_equal(fx_start_ctl(f), 0);
	assert_non_null(strstr(f->url, "tls+tcp://127.0.0.1:"));

	o.tls_ca_file = ca;
	o.tls_cert_key_file = cli;
	o.tls_server_name = "localhost";
	assert_int_equal(agent_start(&good, f->base, f->url, "node-tls", "web", &o), 0);
	assert_true(tu_run_until(f->base, one_connected, &good, 8000));

	/* Without a client certificate the controller refuses the handshake. */
	o.tls_cert_key_file = NULL;
	assert_int_equal(agent_start(&anon, f->base, f->url, "node-anon", "web", &o), 0);
	tu_run_for(f->base, 1500);
	assert_false(bw_ctlclient_connected(anon.cl));
	assert_int_equal(anon.policies, 0);
	bw_ctlclient_free(good.cl);
	bw_ctlclient_free(anon.cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_push_only_changed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_version_only_client, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_and_reconnect, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_container_fields_survive_restart, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_failed_apply_is_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_versions_resend_and_stale_acks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mutual_tls, setup, teardown),
	};

	bw_log_set_level_name(getenv("BW_TEST_LOG") ? getenv("BW_TEST_LOG") : "warn");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
