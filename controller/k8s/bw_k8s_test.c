/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw_k8s against fake_apiserver.py on 127.0.0.1: initial lists with
 * pagination, live watch events split across chunks, watch restarts from
 * the last resourceVersion, 410 expiry leading to a relist that reports
 * what changed in the gap, garbage on the stream, token rotation, and the
 * status write-back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <unistd.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "bw_k8s.h"
#include "fake_client_test.h"
#include "bw_time.h"

#define MAX_RECORDS 512

struct fake {
	pid_t pid;
	int port;
	char dir[64];
	char token[192];
};

struct rec {
	char *lines[MAX_RECORDS];
	int n;
	int status_done;
	int status_rc;
	int status_http;
};

static struct fake fake;
static struct rec rec;

static void record(const char *fmt, ...)
{
	va_list ap;
	char buf[1024];

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (rec.n < MAX_RECORDS)
		rec.lines[rec.n++] = strdup(buf);
}

static int recorded(const char *line)
{
	for (int i = 0; i < rec.n; i++)
		if (strcmp(rec.lines[i], line) == 0)
			return 1;
	return 0;
}

static int count_prefix(const char *prefix)
{
	int c = 0;

	for (int i = 0; i < rec.n; i++)
		if (strncmp(rec.lines[i], prefix, strlen(prefix)) == 0)
			c++;
	return c;
}

static void rec_reset(void)
{
	for (int i = 0; i < rec.n; i++)
		free(rec.lines[i]);
	memset(&rec, 0, sizeof(rec));
}

/* --- callbacks --------------------------------------------------------------- */

static void on_policy(void *arg, enum bw_k8s_resource r, const char *ns, const char *name,
		      const char *json)
{
	cJSON *doc = cJSON_Parse(json);
	const char *kind = cJSON_GetStringValue(cJSON_GetObjectItem(doc, "kind"));
	const cJSON *spec = cJSON_GetObjectItem(doc, "spec");
	const char *action = cJSON_GetStringValue(cJSON_GetObjectItem(spec, "action"));

	/* The JSON is the whole object: kind and spec survive the trip, the
	 * server's bookkeeping does not. */
	const cJSON *meta = cJSON_GetObjectItem(doc, "metadata");

	record("policy+ %s %s/%s kind=%s action=%s%s", bw_k8s_resource_kind(r), ns, name,
	       kind ? kind : "?", action ? action : "?",
	       (cJSON_GetObjectItem(meta, "managedFields") ||
		strstr(json, "last-applied-configuration"))
		   ? " bookkeeping!"
		   : "");
	cJSON_Delete(doc);
}

static void on_policy_delete(void *arg, enum bw_k8s_resource r, const char *ns, const char *name)
{
	record("policy- %s %s/%s", bw_k8s_resource_kind(r), ns, name);
}

static void on_pod(void *arg, const struct bw_k8s_pod *pod)
{
	char ids[512] = "";

	for (size_t i = 0; i < pod->n_containers; i++) {
		size_t len = strlen(ids);

		snprintf(ids + len, sizeof(ids) - len, "%s%s:%s", i ? "," : "",
			 pod->container_names[i], pod->container_ids[i]);
	}
	record("pod+ %s/%s node=%s phase=%s labels=%s containers=%s", pod->ns, pod->name, pod->node,
	       pod->phase, pod->labels, ids);
}

static void on_pod_delete(void *arg, const char *ns, const char *name)
{
	record("pod- %s/%s", ns, name);
}

static void on_ns(void *arg, const struct bw_k8s_namespace *ns)
{
	record("ns+ %s labels=%s file=%s network=%s caps=%s vis=%s", ns->name, ns->labels,
	       ns->file_posture ? ns->file_posture : "-",
	       ns->network_posture ? ns->network_posture : "-",
	       ns->capabilities_posture ? ns->capabilities_posture : "-",
	       ns->visibility ? ns->visibility : "-");
}

static void on_ns_delete(void *arg, const char *name)
{
	record("ns- %s", name);
}

static void on_node(void *arg, const char *name, const char *labels)
{
	record("node+ %s labels=%s", name, labels);
}

static void on_node_delete(void *arg, const char *name)
{
	record("node- %s", name);
}

static void on_synced(void *arg, enum bw_k8s_resource r)
{
	record("synced %s", bw_k8s_resource_kind(r));
}

static void on_status(void *arg, int rc, int http)
{
	rec.status_done = 1;
	rec.status_rc = rc;
	rec.status_http = http;
}

static const struct bw_k8s_callbacks callbacks = {
    .policy_upsert = on_policy,
    .policy_delete = on_policy_delete,
    .pod_upsert = on_pod,
    .pod_delete = on_pod_delete,
    .namespace_upsert = on_ns,
    .namespace_delete = on_ns_delete,
    .node_upsert = on_node,
    .node_delete = on_node_delete,
    .synced = on_synced,
};

/* --- the fake server --------------------------------------------------------- */

static void write_token(const char *value)
{
	char tmp[224];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", fake.token);
	f = fopen(tmp, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", value);
	fclose(f);
	assert_int_equal(rename(tmp, fake.token), 0);
}

/* Starts fake_apiserver.py; with cert/key it serves HTTPS.  Returns its port. */
static int spawn_fake(pid_t *pid, const char *name, const char *cert, const char *key)
{
	char script[512], portfile[128];
	uint64_t deadline;
	int port;

	snprintf(portfile, sizeof(portfile), "%s/%s.port", fake.dir, name);
	snprintf(script, sizeof(script), "%s/controller/k8s/fake_apiserver.py", BW_SOURCE_DIR);
	*pid = fork();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		if (cert)
			execlp("python3", "python3", script, "--token-file", fake.token,
			       "--port-file", portfile, "--tls-cert", cert, "--tls-key", key,
			       (char *)NULL);
		else
			execlp("python3", "python3", script, "--token-file", fake.token,
			       "--port-file", portfile, (char *)NULL);
		_exit(127);
	}
	deadline = bw_mono_ns() + 10ull * 1000 * 1000 * 1000;
	while (bw_mono_ns() < deadline) {
		FILE *f = fopen(portfile, "r");
		int status;

		if (f) {
			int ok = fscanf(f, "%d", &port) == 1;

			fclose(f);
			if (ok)
				return port;
		}
		if (waitpid(*pid, &status, WNOHANG) == *pid)
			return -ECHILD;
		usleep(20 * 1000);
	}
	return -ETIMEDOUT;
}

static int start_fake(void)
{
	int port;

	snprintf(fake.dir, sizeof(fake.dir), "/tmp/bw_k8s_test.XXXXXX");
	if (!mkdtemp(fake.dir))
		return -errno;
	snprintf(fake.token, sizeof(fake.token), "%s/token", fake.dir);
	write_token("token-one");
	port = spawn_fake(&fake.pid, "http", NULL, NULL);
	if (port < 0)
		return port;
	fake.port = port;
	return 0;
}

static void stop_fake(void)
{
	char cmd[128];

	if (fake.pid > 0) {
		kill(fake.pid, SIGTERM);
		waitpid(fake.pid, NULL, 0);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake.dir);
	if (fake.dir[0] && system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fake.dir);
}

/* A request to the fake's control API; returns the body (caller frees). */
static char *ctl(const char *op, const char *body)
{
	char path[256];

	snprintf(path, sizeof(path), "/_ctl/%s", op);
	return fake_http(fake.port, body ? "POST" : "GET", path, NULL, body);
}

static void ctl_ok(const char *op, const char *body)
{
	free(ctl(op, body));
}

/* The requests the fake saw, filtered; returns how many matched. */
static int requests_matching(const char *method, const char *path, const char *query_key,
			     const char *query_value)
{
	char *body = ctl("log", NULL);
	cJSON *doc = cJSON_Parse(body);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, cJSON_GetObjectItem(doc, "requests"))
	{
		const cJSON *q = cJSON_GetObjectItem(r, "query");
		const char *v =
		    query_key ? cJSON_GetStringValue(cJSON_GetObjectItem(q, query_key)) : NULL;

		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "method")), method) != 0 ||
		    strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(r, "path")), path) != 0)
			continue;
		if (query_key && (!v || (query_value && strcmp(v, query_value) != 0)))
			continue;
		n++;
	}
	cJSON_Delete(doc);
	free(body);
	return n;
}

static int server_rv(void)
{
	char *body = ctl("log", NULL);
	cJSON *doc = cJSON_Parse(body);
	int rv = cJSON_GetObjectItem(doc, "rv")->valueint;

	cJSON_Delete(doc);
	free(body);
	return rv;
}

/* --- driving the loop -------------------------------------------------------- */

static void wake(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until pred() holds or seconds pass; returns pred(). */
static int run_until(struct event_base *base, int (*pred)(const void *), const void *arg,
		     int seconds)
{
	uint64_t deadline = bw_mono_ns() + (uint64_t)seconds * 1000 * 1000 * 1000;
	struct event *tick = event_new(base, -1, EV_PERSIST, wake, NULL);
	struct timeval tv = {0, 20 * 1000};
	int ok;

	event_add(tick, &tv);
	while (!(ok = pred(arg)) && bw_mono_ns() < deadline)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(tick);
	return ok;
}

static int has_line(const void *line)
{
	return recorded(line);
}

static int all_synced(const void *k)
{
	return bw_k8s_synced(k);
}

static int status_finished(const void *unused)
{
	return rec.status_done;
}

static void put(const char *json)
{
	ctl_ok("put", json);
}

#define KSP(name, action)                                                                          \
	"{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":\"KubeArmorPolicy\","              \
	"\"metadata\":{\"name\":\"" name "\",\"namespace\":\"default\","                           \
	"\"managedFields\":[{\"manager\":\"kubectl\"}],\"annotations\":{"                          \
	"\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\",\"team\":\"a\"}},"            \
	"\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"}},"                              \
	"\"process\":{\"matchPaths\":[{\"path\":\"/bin/sh\"}]},\"action\":\"" action "\"}}"

static void seed(void)
{
	put("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"default\","
	    "\"labels\":{\"team\":\"a\",\"env\":\"prod\"},\"annotations\":{"
	    "\"kubearmor-file-posture\":\"block\",\"kubearmor-network-posture\":\"audit\"}}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"bare\"}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\","
	    "\"labels\":{\"kubernetes.io/os\":\"linux\",\"kubernetes.io/hostname\":\"n1\"}}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"web\","
	    "\"namespace\":\"default\",\"labels\":{\"app\":\"web\"}},"
	    "\"spec\":{\"nodeName\":\"n1\"},\"status\":{\"phase\":\"Running\","
	    "\"initContainerStatuses\":[{\"name\":\"init\",\"containerID\":\"containerd://i0\"}],"
	    "\"containerStatuses\":[{\"name\":\"nginx\",\"containerID\":\"containerd://abc\"},"
	    "{\"name\":\"side\",\"containerID\":\"cri-o://def\"},{\"name\":\"pending\"}]}}");
	/* Three policies with a page size of 2: the list takes two pages. */
	put(KSP("p1", "Block"));
	put(KSP("p2", "Audit"));
	put(KSP("p3", "Block"));
	put("{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":\"KubeArmorHostPolicy\","
	    "\"metadata\":{\"name\":\"h1\"},\"spec\":{\"nodeSelector\":{\"matchLabels\":"
	    "{\"kubernetes.io/os\":\"linux\"}},\"file\":{\"matchPaths\":[{\"path\":\"/etc/"
	    "shadow\"}]},"
	    "\"action\":\"Audit\"}}");
	put("{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":\"KubeArmorClusterPolicy\","
	    "\"metadata\":{\"name\":\"c1\"},\"spec\":{\"selector\":{\"matchExpressions\":[{\"key\":"
	    "\"namespace\",\"operator\":\"In\",\"values\":[\"default\"]}]},"
	    "\"network\":{\"matchProtocols\":[{\"protocol\":\"raw\"}]},\"action\":\"Block\"}}");
}

static struct bw_k8s *start(struct event_base *base, unsigned resources)
{
	struct bw_k8s_config cfg = {0};
	struct bw_k8s *k = NULL;
	char server[64], err[256] = "";

	snprintf(server, sizeof(server), "http://127.0.0.1:%d", fake.port);
	cfg.server = server;
	cfg.token_path = fake.token;
	cfg.resources = resources;
	cfg.page_size = 2;
	cfg.watch_timeout_s = 20;
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 200;
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), 0);
	return k;
}

/* --- tests ------------------------------------------------------------------- */

static void test_list_watch_restart_expiry(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s_stats st;
	struct bw_k8s *k;
	char rv_before[32];

	rec_reset();
	ctl_ok("release", "{}");
	seed();
	k = start(base, 0);
	assert_true(run_until(base, all_synced, k, 10));

	/* Initial lists: every kind, decoded. */
	assert_true(
	    recorded("policy+ KubeArmorPolicy default/p1 kind=KubeArmorPolicy action=Block"));
	assert_true(
	    recorded("policy+ KubeArmorPolicy default/p2 kind=KubeArmorPolicy action=Audit"));
	assert_true(
	    recorded("policy+ KubeArmorPolicy default/p3 kind=KubeArmorPolicy action=Block"));
	assert_true(
	    recorded("policy+ KubeArmorHostPolicy /h1 kind=KubeArmorHostPolicy action=Audit"));
	assert_true(recorded(
	    "policy+ KubeArmorClusterPolicy /c1 kind=KubeArmorClusterPolicy action=Block"));
	assert_true(recorded("pod+ default/web node=n1 phase=Running labels=app=web "
			     "containers=init:i0,nginx:abc,side:def"));
	assert_true(recorded("ns+ default labels=env=prod,team=a file=block network=audit caps=- "
			     "vis=-"));
	assert_true(recorded("node+ n1 labels=kubernetes.io/hostname=n1,kubernetes.io/os=linux"));
	assert_true(recorded("ns+ bare labels= file=- network=- caps=- vis=-"));
	/* Pagination: the policy list took a second page with a continue token. */
	assert_true(requests_matching("GET", "/apis/security.kubearmor.com/v1/kubearmorpolicies",
				      "continue", NULL) >= 1);

	/* Live events arrive through the watch, split across chunks. */
	put(KSP("p4", "Audit"));
	put(KSP("p2", "Block"));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/p4 kind=KubeArmorPolicy action=Audit", 5));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/p2 kind=KubeArmorPolicy action=Block", 5));
	ctl_ok("delete",
	       "{\"kind\":\"KubeArmorPolicy\",\"namespace\":\"default\",\"name\":\"p3\"}");
	assert_true(run_until(base, has_line, "policy- KubeArmorPolicy default/p3", 5));

	/* Watch restart: the server closes every stream; the client resumes from
	 * the last resourceVersion it saw, without a relist. */
	snprintf(rv_before, sizeof(rv_before), "%d", server_rv());
	bw_k8s_get_stats(k, &st);
	ctl_ok("drop", "{}");
	put(KSP("p5", "Block"));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/p5 kind=KubeArmorPolicy action=Block", 5));
	assert_true(requests_matching("GET", "/apis/security.kubearmor.com/v1/kubearmorpolicies",
				      "resourceVersion", rv_before) >= 1);
	{
		struct bw_k8s_stats now;

		bw_k8s_get_stats(k, &now);
		assert_int_equal(now.lists, st.lists);
		assert_int_equal(now.expired, 0);
	}

	/* Expiry: changes happen while the stream is held, the log is compacted,
	 * then the stream breaks.  The resumed watch gets ERROR 410; the relist
	 * must report the gap: p1 deleted, p6 added, p4 changed, n1 relabelled. */
	ctl_ok("hold", "{}");
	ctl_ok("delete",
	       "{\"kind\":\"KubeArmorPolicy\",\"namespace\":\"default\",\"name\":\"p1\"}");
	put(KSP("p6", "Audit"));
	put(KSP("p4", "Block"));
	put("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\","
	    "\"labels\":{\"kubernetes.io/os\":\"linux\",\"zone\":\"b\"}}}");
	ctl_ok("delete", "{\"kind\":\"Pod\",\"namespace\":\"default\",\"name\":\"web\"}");
	ctl_ok("compact", "{}");
	ctl_ok("drop", "{}");
	ctl_ok("release", "{}");
	assert_true(run_until(base, has_line, "policy- KubeArmorPolicy default/p1", 5));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/p6 kind=KubeArmorPolicy action=Audit", 5));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/p4 kind=KubeArmorPolicy action=Block", 5));
	assert_true(run_until(base, has_line, "node+ n1 labels=kubernetes.io/os=linux,zone=b", 5));
	assert_true(run_until(base, has_line, "pod- default/web", 5));
	bw_k8s_get_stats(k, &st);
	assert_true(st.expired >= 1);
	/* Unchanged objects are not reported again by the relist. */
	assert_int_equal(count_prefix("policy+ KubeArmorPolicy default/p5 "), 1);
	assert_int_equal(count_prefix("policy+ KubeArmorHostPolicy /h1 "), 1);

	bw_k8s_free(k);
	event_base_free(base);
}

static void test_garbage_and_token_rotation(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s_stats st;
	struct bw_k8s *k;

	rec_reset();
	ctl_ok("release", "{}");
	k = start(base, 1u << BW_K8S_POLICY);
	assert_true(run_until(base, all_synced, k, 10));

	/* A line that is not JSON ends the stream and forces a clean relist. */
	ctl_ok("garbage", "{}");
	put(KSP("g1", "Audit"));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/g1 kind=KubeArmorPolicy action=Audit", 5));
	bw_k8s_get_stats(k, &st);
	assert_true(st.errors >= 1);

	/* The token is read per request: after rotation the client keeps working. */
	write_token("token-two");
	ctl_ok("drop", "{}");
	put(KSP("g2", "Block"));
	assert_true(
	    run_until(base, has_line,
		      "policy+ KubeArmorPolicy default/g2 kind=KubeArmorPolicy action=Block", 5));
	bw_k8s_free(k);
	event_base_free(base);
}

static void test_unauthorized_then_recovers(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s_stats st;
	struct bw_k8s *k;

	rec_reset();
	write_token("wrong");
	/* The fake checks against the file it reads too, so make them differ:
	 * the client gets a stale copy through a second file. */
	{
		char good[192];
		FILE *f;

		snprintf(good, sizeof(good), "%s", fake.token);
		strcat(fake.token, ".client");
		f = fopen(fake.token, "w");
		assert_non_null(f);
		fputs("not-the-token\n", f);
		fclose(f);
		k = start(base, 1u << BW_K8S_NODE);
		/* 401s are retried, never synced. */
		assert_false(run_until(base, all_synced, k, 1));
		bw_k8s_get_stats(k, &st);
		assert_true(st.errors >= 2);
		/* The right token appears: the next retry succeeds. */
		f = fopen(fake.token, "w");
		assert_non_null(f);
		fputs("wrong\n", f);
		fclose(f);
		assert_true(run_until(base, all_synced, k, 5));
		snprintf(fake.token, sizeof(fake.token), "%s", good);
	}
	assert_true(requests_matching("GET", "/api/v1/nodes", NULL, NULL) >= 3);
	bw_k8s_free(k);
	event_base_free(base);
}

static void test_status_write_back(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s *k;
	char *log;

	rec_reset();
	write_token("token-three");
	put(KSP("s1", "Block"));
	k = start(base, 1u << BW_K8S_POLICY);
	assert_true(run_until(base, all_synced, k, 10));
	assert_int_equal(
	    bw_k8s_set_policy_status(k, BW_K8S_POLICY, "default", "s1", "OK", on_status, NULL), 0);
	assert_true(run_until(base, status_finished, NULL, 5));
	assert_int_equal(rec.status_rc, 0);
	assert_int_equal(rec.status_http, 200);
	log = ctl("log", NULL);
	assert_non_null(strstr(log, "\"path\": \"/apis/security.kubearmor.com/v1/namespaces/"
				    "default/kubearmorpolicies/s1/status\""));
	assert_non_null(strstr(log, "\"content_type\": \"application/merge-patch+json\""));
	assert_non_null(strstr(log, "\"body\": \"{\\\"status\\\":{\\\"status\\\":\\\"OK\\\"}}\""));
	free(log);

	/* A missing object: the error comes back with the HTTP status. */
	rec.status_done = 0;
	assert_int_equal(
	    bw_k8s_set_policy_status(k, BW_K8S_HOST_POLICY, "", "nope", "OK", on_status, NULL), 0);
	assert_true(run_until(base, status_finished, NULL, 5));
	assert_int_equal(rec.status_rc, -EIO);
	assert_int_equal(rec.status_http, 404);

	/* Not a policy kind, or a namespaced kind without a namespace. */
	assert_int_equal(bw_k8s_set_policy_status(k, BW_K8S_POD, "default", "x", "OK", NULL, NULL),
			 -EINVAL);
	assert_int_equal(bw_k8s_set_policy_status(k, BW_K8S_POLICY, "", "x", "OK", NULL, NULL),
			 -EINVAL);
	bw_k8s_free(k);
	event_base_free(base);
}

static int make_cert(const char *name)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 "
		 "-keyout %s/%s.key -out %s/%s.crt >/dev/null 2>&1",
		 fake.dir, name, fake.dir, name);
	return system(cmd);
}

/* HTTPS: the API server's certificate must chain to the CA file and name
 * the address dialled; a client trusting another CA gets nowhere. */
static void test_tls(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s_config cfg = {0};
	struct bw_k8s_stats st;
	struct bw_k8s *k = NULL;
	char server[64], ca[128], other[128], cert[128], key[128], err[256] = "";
	pid_t pid;
	int port;

	if (system("openssl version >/dev/null 2>&1") != 0) {
		event_base_free(base);
		skip(); /* no openssl command to make certificates */
	}
	assert_int_equal(make_cert("server"), 0);
	assert_int_equal(make_cert("other"), 0);
	snprintf(cert, sizeof(cert), "%s/server.crt", fake.dir);
	snprintf(key, sizeof(key), "%s/server.key", fake.dir);
	snprintf(ca, sizeof(ca), "%s/server.crt", fake.dir);
	snprintf(other, sizeof(other), "%s/other.crt", fake.dir);
	write_token("token-tls");
	port = spawn_fake(&pid, "tls", cert, key);
	assert_true(port > 0);
	snprintf(server, sizeof(server), "https://127.0.0.1:%d", port);
	cfg.server = server;
	cfg.token_path = fake.token;
	cfg.resources = 1u << BW_K8S_NAMESPACE;
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 200;
	rec_reset();

	cfg.ca_path = other;
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), 0);
	assert_false(run_until(base, all_synced, k, 1));
	bw_k8s_get_stats(k, &st);
	assert_true(st.errors >= 1);
	bw_k8s_free(k);

	cfg.ca_path = ca;
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), 0);
	assert_true(run_until(base, all_synced, k, 10));
	assert_true(recorded("synced Namespace"));
	bw_k8s_free(k);

	/* A CA file that is not one is a configuration error, said at once. */
	cfg.ca_path = fake.token;
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "CA file"));

	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	event_base_free(base);
}

/* A server given by name is resolved on the loop (evdns), then used as any other. */
static void test_server_by_name(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s_config cfg = {0};
	struct bw_k8s *k = NULL;
	char server[64], err[256] = "";

	rec_reset();
	write_token("token-name");
	snprintf(server, sizeof(server), "http://localhost:%d/", fake.port);
	cfg.server = server;
	cfg.token_path = fake.token;
	cfg.resources = 1u << BW_K8S_NODE;
	cfg.backoff_min_ms = 50;
	cfg.backoff_max_ms = 200;
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), 0);
	assert_true(run_until(base, all_synced, k, 10));
	assert_true(recorded("synced Node"));
	bw_k8s_free(k);
	event_base_free(base);
}

static void test_bad_config(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_k8s_config cfg = {0};
	struct bw_k8s *k = (struct bw_k8s *)0x1;
	char err[256];

	cfg.server = "ftp://x";
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "expected http://"));
	assert_ptr_equal(k, (struct bw_k8s *)0x1);
	cfg.server = "http://127.0.0.1:99999";
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "bad port"));
	cfg.server = "http://:80";
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), -EINVAL);
	cfg.server = "http://127.0.0.1:1";
	cfg.resources = 1u << 9;
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "resources"));
	/* Not in a cluster and no server: a clear error, not a crash. */
	cfg.server = NULL;
	cfg.resources = 0;
	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(bw_k8s_new(&k, base, &cfg, &callbacks, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "KUBERNETES_SERVICE_HOST"));
	assert_ptr_equal(k, (struct bw_k8s *)0x1);
	bw_k8s_free(NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_config),
	    cmocka_unit_test(test_list_watch_restart_expiry),
	    cmocka_unit_test(test_garbage_and_token_rotation),
	    cmocka_unit_test(test_unauthorized_then_recovers),
	    cmocka_unit_test(test_status_write_back),
	    cmocka_unit_test(test_tls),
	    cmocka_unit_test(test_server_by_name),
	};
	int rc;

	if (system("python3 -c 'import http.server' >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: python3 is needed for the fake API server\n");
		return 77;
	}
	signal(SIGPIPE, SIG_IGN);
	rc = start_fake();
	if (rc) {
		fprintf(stderr, "fake API server did not start: %s\n", strerror(-rc));
		stop_fake();
		return 1;
	}
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	stop_fake();
	rec_reset();
	return rc;
}
