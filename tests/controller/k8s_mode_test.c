/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller in Kubernetes mode, end to end: a real controller_core
 * following controller/k8s/fake_apiserver.py, one simulated agent
 * (bw_ctlclient) on node n1 reporting container C1 with no labels of its
 * own.  Checked through the admin API and the agent's compiled policy:
 * a KubeArmorPolicy object appears in GET /v1/policies and selects C1 by
 * its pod's labels; its status is written back ("OK", or why it was
 * rejected); a namespace annotation changes the posture; node labels from
 * the API server select a host policy; deleting the object removes the
 * policy; and after a restart, objects deleted while the controller was
 * down are cleaned up while policies applied through the API stay.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "agent_client.h"
#include "bw_policy.h"
#include "bw_log.h"
#include "ctl_test_util.h"
#include "fake_client_test.h"

#define C1 "c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1"

struct fx {
	char *dir;
	char token[256], sock[256];
	pid_t fake_pid;
	int fake_port;
	struct event_base *base;
	struct bw_controller_config cfg;
	struct bw_controller *ctl;
	struct bw_ctlclient *agent;
	uint64_t agent_version;
	char *agent_json; /* the latest compiled policy the agent got */
};

/* ---- the fake API server ------------------------------------------------------ */

static int start_fake(struct fx *f)
{
	char script[512], portfile[300];
	uint64_t deadline;
	FILE *tf;

	snprintf(f->token, sizeof(f->token), "%s/token", f->dir);
	snprintf(portfile, sizeof(portfile), "%s/fake.port", f->dir);
	snprintf(script, sizeof(script), "%s/controller/k8s/fake_apiserver.py", BW_SOURCE_DIR);
	tf = fopen(f->token, "w");
	if (!tf)
		return -errno;
	fprintf(tf, "sa-token\n");
	fclose(tf);
	f->fake_pid = fork();
	if (f->fake_pid < 0)
		return -errno;
	if (f->fake_pid == 0) {
		execlp("python3", "python3", script, "--token-file", f->token, "--port-file",
		       portfile, (char *)NULL);
		_exit(127);
	}
	deadline = bw_mono_ns() + 10ull * 1000 * 1000 * 1000;
	while (bw_mono_ns() < deadline) {
		FILE *pf = fopen(portfile, "r");
		int status;

		if (pf) {
			int ok = fscanf(pf, "%d", &f->fake_port) == 1;

			fclose(pf);
			if (ok)
				return 0;
		}
		if (waitpid(f->fake_pid, &status, WNOHANG) == f->fake_pid) {
			f->fake_pid = 0;
			return -ECHILD;
		}
		usleep(20 * 1000);
	}
	return -ETIMEDOUT;
}

/* A request to the fake (control API or, with the token, the Kubernetes
 * API); returns the body, the caller frees. */
static char *fake_req(struct fx *f, const char *method, const char *path, const char *body)
{
	return fake_http(f->fake_port, method, path, "Authorization: Bearer sa-token\r\n", body);
}

static void fake_put(struct fx *f, const char *json)
{
	free(fake_req(f, "POST", "/_ctl/put", json));
}

static void fake_delete(struct fx *f, const char *kind, const char *ns, const char *name)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"kind\":\"%s\",\"namespace\":\"%s\",\"name\":\"%s\"}", kind,
		 ns, name);
	free(fake_req(f, "POST", "/_ctl/delete", body));
}

/* status.status of a KubeArmorPolicy in the fake; "" when none yet. */
static char *fake_policy_status(struct fx *f, const char *name)
{
	char *body = fake_req(f, "GET", "/apis/security.kubearmor.com/v1/kubearmorpolicies", NULL);
	cJSON *doc = cJSON_Parse(body), *it;
	char *out = strdup("");

	cJSON_ArrayForEach(it, cJSON_GetObjectItem(doc, "items"))
	{
		const cJSON *m = cJSON_GetObjectItem(it, "metadata");
		const char *s = cJSON_GetStringValue(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(it, "status"), "status"));

		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "name")), name) == 0 && s) {
			free(out);
			out = strdup(s);
		}
	}
	cJSON_Delete(doc);
	free(body);
	return out;
}

/* PATCHes of a policy's status the fake has seen. */
static int status_writes(struct fx *f, const char *name)
{
	char *body = fake_req(f, "GET", "/_ctl/log", NULL), suffix[128];
	cJSON *doc = cJSON_Parse(body), *r;
	int n = 0;

	snprintf(suffix, sizeof(suffix), "/%s/status", name);
	cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "requests"))
	{
		const char *m = cJSON_GetStringValue(cJSON_GetObjectItem(r, "method"));
		const char *p = cJSON_GetStringValue(cJSON_GetObjectItem(r, "path"));

		if (m && p && strcmp(m, "PATCH") == 0 && strlen(p) > strlen(suffix) &&
		    strcmp(p + strlen(p) - strlen(suffix), suffix) == 0)
			n++;
	}
	cJSON_Delete(doc);
	free(body);
	return n;
}

#define KSP(name, extra)                                                                           \
	"{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":\"KubeArmorPolicy\","              \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"shop\"},\"spec\":" extra "}"

/* ---- the controller and its agent ----------------------------------------------- */

static int on_policy(void *arg, const Bulwark__V1__CompiledPolicy *cp, struct bw_ctlclient_ack *a)
{
	struct fx *f = arg;

	(void)a;
	f->agent_version = cp->version;
	char *pretty = bw_compiled_to_json(cp);
	cJSON *j = pretty ? cJSON_Parse(pretty) : NULL;

	free(pretty);
	free(f->agent_json);
	f->agent_json = j ? cJSON_PrintUnformatted(j) : NULL; /* for strstr */
	cJSON_Delete(j);
	return 0;
}

static void start_controller_mode(struct fx *f, int k8s)
{
	char url[64];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d", f->fake_port);
	tu_config(&f->cfg, f->dir);
	f->cfg.k8s_enabled = k8s;
	free(f->cfg.k8s_server);
	free(f->cfg.k8s_token_file);
	free(f->cfg.k8s_ca_file);
	f->cfg.k8s_server = strdup(url);
	f->cfg.k8s_token_file = strdup(f->token);
	f->cfg.k8s_ca_file = strdup("");
	assert_int_equal(bw_controller_new(&f->ctl, f->base, &f->cfg), 0);
	snprintf(f->sock, sizeof(f->sock), "unix:%s", f->cfg.admin_socket);
}

static void start_controller(struct fx *f)
{
	start_controller_mode(f, 1);
}

static void stop_controller(struct fx *f)
{
	bw_controller_free(f->ctl);
	f->ctl = NULL;
	bw_cfg_free(bw_controller_cfg_table, &f->cfg);
}

static void start_agent(struct fx *f)
{
	Bulwark__V1__Container c = BULWARK__V1__CONTAINER__INIT;
	const Bulwark__V1__Container *cs[] = {&c};
	Bulwark__V1__Enforcer enf = BULWARK__V1__ENFORCER__ENFORCER_BPFLSM;
	struct bw_ctlclient_opts o = {0};
	struct bw_ctlclient_callbacks cbs = {.on_policy = on_policy, .arg = f};

	o.url = bw_controller_agents_url(f->ctl);
	o.node_name = "n1";
	o.labels = "kubernetes.io/os=linux";
	o.kernel_version = "6.1.0-test";
	o.agent_version = "test";
	o.enforcers = &enf;
	o.n_enforcers = 1;
	o.active_enforcer = enf;
	o.boot_id = 42;
	o.reconnect_min_ms = 50;
	o.reconnect_max_ms = 200;
	assert_int_equal(bw_ctlclient_new(&f->agent, f->base, &o, &cbs), 0);
	/* What a runtime knows: the id and the namespace, not the pod's labels. */
	c.id = C1;
	c.namespace_name = "shop";
	c.cgroup_id = 1234;
	assert_int_equal(bw_ctlclient_report_containers(f->agent, 1, cs, 1, NULL, 0), 0);
}

static char *api_get(struct fx *f, const char *path)
{
	char *body = NULL;

	assert_int_equal(tu_http(f->base, f->sock, "GET", path, NULL, &body), 200);
	return body;
}

/* Runs the loop until GET path contains (or, with want 0, lacks) needle. */
static int api_until(struct fx *f, const char *path, const char *needle, int want)
{
	for (int i = 0; i < 100; i++) {
		char *b = api_get(f, path);
		int has = strstr(b, needle) != NULL;

		free(b);
		if (has == want)
			return 1;
		tu_run_for(f->base, 50);
	}
	return 0;
}

/* Runs the loop until the agent's compiled policy contains (or lacks) needle. */
static int agent_until(struct fx *f, const char *needle, int want)
{
	for (int i = 0; i < 100; i++) {
		if (f->agent_json && (strstr(f->agent_json, needle) != NULL) == want)
			return 1;
		tu_run_for(f->base, 50);
	}
	if (f->agent_json)
		fprintf(stderr, "agent's policy: %s\n", f->agent_json);
	return 0;
}

static int status_until(struct fx *f, const char *name, const char *prefix)
{
	for (int i = 0; i < 100; i++) {
		char *s = fake_policy_status(f, name);
		int ok = strncmp(s, prefix, strlen(prefix)) == 0;

		free(s);
		if (ok)
			return 1;
		tu_run_for(f->base, 50);
	}
	return 0;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	int rc;

	bw_log_set_level_name("warn");
	f->dir = tu_tmpdir();
	if (!f->dir)
		return -1;
	rc = start_fake(f);
	if (rc) {
		fprintf(stderr, "fake API server did not start (python3 needed): %s\n",
			strerror(-rc));
		tu_rmrf(f->dir);
		exit(77);
	}
	f->base = event_base_new();
	/* The cluster before the controller starts. */
	fake_put(f,
		 "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"shop\"}}");
	fake_put(f, "{\"kind\":\"Node\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"n1\","
		    "\"labels\":{\"role\":\"web\"}}}");
	fake_put(f, "{\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"web-1\","
		    "\"namespace\":\"shop\",\"labels\":{\"app\":\"web\",\"tier\":\"front\"}},"
		    "\"spec\":{\"nodeName\":\"n1\",\"containers\":[{\"name\":\"main\"}]},"
		    "\"status\":{\"phase\":\"Running\",\"containerStatuses\":[{\"name\":\"main\","
		    "\"containerID\":\"containerd://" C1 "\"}]}}");
	start_controller(f);
	start_agent(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	bw_ctlclient_free(f->agent);
	stop_controller(f);
	event_base_free(f->base);
	if (f->fake_pid > 0) {
		kill(f->fake_pid, SIGTERM);
		waitpid(f->fake_pid, NULL, 0);
	}
	tu_rmrf(f->dir);
	free(f->dir);
	free(f->agent_json);
	free(f);
	return 0;
}

static void test_kubernetes_mode(void **state)
{
	struct fx *f = *state;
	char *b;

	/* A CRD object: stored, tagged, selecting C1 through its pod's labels. */
	fake_put(f, KSP("block-secrets",
			"{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
			"\"file\":{\"matchDirectories\":[{\"dir\":\"/etc/secret/\"}]},"
			"\"action\":\"Block\"}"));
	assert_true(api_until(f, "/v1/policies", "\"block-secrets\"", 1));
	b = api_get(f, "/v1/policies/KubeArmorPolicy/shop/block-secrets");
	assert_non_null(strstr(b, "\"source\":\"kubernetes\""));
	free(b);
	assert_true(agent_until(f, "/etc/secret/", 1));
	assert_non_null(strstr(f->agent_json, C1));
	assert_true(status_until(f, "block-secrets", "OK"));
	/* The pod's labels are on the container as the API shows it. */
	b = api_get(f, "/v1/containers?namespace=shop");
	assert_non_null(strstr(b, "\"tier\""));
	assert_non_null(strstr(b, "web-1"));
	free(b);

	/* A selector the pod does not match: stored, but nothing for C1. */
	fake_put(f, KSP("db-only", "{\"selector\":{\"matchLabels\":{\"app\":\"db\"}},"
				   "\"process\":{\"matchPaths\":[{\"path\":\"/bin/db-only\"}]},"
				   "\"action\":\"Block\"}"));
	assert_true(api_until(f, "/v1/policies", "\"db-only\"", 1));
	assert_true(status_until(f, "db-only", "OK"));
	assert_null(strstr(f->agent_json, "/bin/db-only"));

	/* An invalid object: rejected with the reason in its status. */
	fake_put(f, KSP("broken", "{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"
				  "\"file\":{\"matchDirectories\":[{\"dir\":\"no-slash\"}]},"
				  "\"action\":\"Block\"}"));
	assert_true(status_until(f, "broken", "Invalid: "));
	/* Each status write comes back as a change of the object: it must not
	 * be answered with another write. */
	tu_run_for(f->base, 500);
	assert_int_equal(status_writes(f, "broken"), 1);
	b = api_get(f, "/v1/policies");
	assert_null(strstr(b, "\"broken\""));
	free(b);

	/* Namespace annotation -> posture. */
	assert_true(agent_until(f, "\"file\":\"block\"", 1));
	fake_put(f, "{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"shop\","
		    "\"annotations\":{\"kubearmor-file-posture\":\"audit\","
		    "\"kubearmor-visibility\":\"network,process\"}}}");
	assert_true(api_until(f, "/v1/namespaces/shop/posture", "\"audit\"", 1));
	assert_true(agent_until(f, "\"file\":\"audit\"", 1));
	/* ... and kubearmor-visibility the namespace's visibility. */
	assert_true(api_until(f, "/v1/namespaces/shop/posture", "\"process,network\"", 1));
	assert_true(agent_until(f, "\"visibility\":\"process,network\"", 1));

	/* Node labels from the API server select a host policy (the agent
	 * reported only kubernetes.io/os). */
	fake_put(f,
		 "{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":\"KubeArmorHostPolicy\","
		 "\"metadata\":{\"name\":\"web-hosts\"},\"spec\":{\"nodeSelector\":{"
		 "\"matchLabels\":{\"role\":\"web\"}},\"process\":{\"matchPaths\":[{\"path\":"
		 "\"/usr/sbin/web-host-only\"}]},\"action\":\"Block\"}}");
	assert_true(agent_until(f, "/usr/sbin/web-host-only", 1));

	/* Deleted in the cluster: gone from the store and from the node. */
	fake_delete(f, "KubeArmorPolicy", "shop", "block-secrets");
	assert_true(api_until(f, "/v1/policies", "\"block-secrets\"", 0));
	assert_true(agent_until(f, "/etc/secret/", 0));

	/* One through the API; then, with the controller down, db-only is
	 * deleted in the cluster.  After the restart's first list db-only is
	 * gone, the API's policy and the still-present host policy stay. */
	assert_int_equal(
	    tu_http(f->base, f->sock, "POST", "/v1/policies",
		    "{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":\"KubeArmorPolicy\","
		    "\"metadata\":{\"name\":\"from-api\",\"namespace\":\"shop\"},\"spec\":{"
		    "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"process\":{\"matchPaths\":"
		    "[{\"path\":\"/bin/from-api\"}]},\"action\":\"Block\"}}",
		    NULL),
	    200);
	bw_ctlclient_free(f->agent);
	f->agent = NULL;
	stop_controller(f);
	fake_delete(f, "KubeArmorPolicy", "shop", "db-only");
	/* Without Kubernetes mode the store still has it, tagged as a CRD's. */
	start_controller_mode(f, 0);
	b = api_get(f, "/v1/policies/KubeArmorPolicy/shop/db-only");
	assert_non_null(strstr(b, "\"source\":\"kubernetes\""));
	free(b);
	stop_controller(f);
	start_controller(f);
	assert_true(api_until(f, "/v1/policies", "\"db-only\"", 0));
	b = api_get(f, "/v1/policies");
	assert_non_null(strstr(b, "\"from-api\""));
	assert_non_null(strstr(b, "\"web-hosts\""));
	free(b);
	b = api_get(f, "/v1/policies/KubeArmorPolicy/shop/from-api");
	assert_non_null(strstr(b, "\"source\":\"api\""));
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_kubernetes_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
