/* SPDX-License-Identifier: Apache-2.0 */
/* The admin API over its real unix socket (and TCP with a bearer token). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <sys/stat.h>

#include "bw_log.h"
#include "ctl_test_util.h"

#define TOKEN "s3cret-token-0123456789"
#define MAX_BODY 8192

#define POL(name, path)                                                                            \
	"apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  name: " name   \
	"\n  namespace: shop\nspec:\n  selector:\n    matchLabels:\n      app: web\n"              \
	"  process:\n    matchPaths:\n    - path: " path "\n  action: Block\n"

struct fx {
	char *dir;
	struct event_base *base;
	struct bw_controller_config cfg;
	struct bw_controller *ctl;
	char sock[300], tcp[64];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	f->dir = tu_tmpdir();
	f->base = event_base_new();
	tu_config(&f->cfg, f->dir);
	f->cfg.admin_max_body = MAX_BODY;
	free(f->cfg.admin_tcp);
	f->cfg.admin_tcp = strdup("127.0.0.1:0");
	f->cfg.admin_token = strdup(TOKEN);
	assert_int_equal(bw_controller_new(&f->ctl, f->base, &f->cfg), 0);
	snprintf(f->sock, sizeof(f->sock), "unix:%s", f->cfg.admin_socket);
	snprintf(f->tcp, sizeof(f->tcp), "http://127.0.0.1:%d", bw_controller_admin_port(f->ctl));
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

/* A request with optional token and raw reply (headers + body). */
struct call {
	const char *target, *token, *method, *path, *body;
	const void *raw;
	size_t raw_len;
	int rc;
	struct bw_http_resp resp;
	char err[256];
	atomic_int done;
};

static void *call_thread(void *arg)
{
	struct call *c = arg;

	if (c->raw)
		c->rc = bw_http_raw(c->target, c->raw, c->raw_len, 10000, &c->resp, c->err,
				    sizeof(c->err));
	else
		c->rc = bw_http_request(c->target, c->token, c->method, c->path, NULL, c->body,
					c->body ? strlen(c->body) : 0, 10000, &c->resp, c->err,
					sizeof(c->err));
	atomic_store(&c->done, 1);
	return NULL;
}

static int call_done(void *arg)
{
	return atomic_load(&((struct call *)arg)->done);
}

static void run_call(struct fx *f, struct call *c)
{
	pthread_t th;

	atomic_init(&c->done, 0);
	assert_int_equal(pthread_create(&th, NULL, call_thread, c), 0);
	assert_true(tu_run_until(f->base, call_done, c, 15000));
	pthread_join(th, NULL);
	if (c->rc)
		fail_msg("request failed: %s", c->err);
}

/* Sends and returns the status; *json gets the parsed body when it is JSON. */
static int req(struct fx *f, const char *method, const char *path, const char *body, cJSON **json)
{
	struct call c = {.target = f->sock, .method = method, .path = path, .body = body};
	int st;

	run_call(f, &c);
	st = c.resp.status;
	if (json)
		*json = cJSON_Parse(c.resp.body);
	bw_http_resp_free(&c.resp);
	return st;
}

/* Every error reply has the one shape, with the status as its code. */
static void assert_error_shape(cJSON *j, int status)
{
	cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");

	assert_non_null(e);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(e, "code")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "code")->valueint, status);
	assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(e, "message")));
}

static int expect_error(struct fx *f, const char *method, const char *path, const char *body)
{
	cJSON *j = NULL;
	int st = req(f, method, path, body, &j);

	assert_error_shape(j, st);
	cJSON_Delete(j);
	return st;
}

static const char *result0(cJSON *j)
{
	cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "results"), 0);

	return cJSON_GetObjectItemCaseSensitive(r, "result")->valuestring;
}

static void test_policies_crud(void **state)
{
	struct fx *f = *state;
	cJSON *j = NULL;
	struct stat sb;

	assert_int_equal(stat(f->cfg.admin_socket, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0660);

	assert_int_equal(req(f, "POST", "/v1/policies?filename=a.yaml", POL("p1", "/bin/sh"), &j),
			 200);
	assert_string_equal(result0(j), "created");
	cJSON_Delete(j);
	assert_int_equal(req(f, "POST", "/v1/policies", POL("p1", "/bin/sh"), &j), 200);
	assert_string_equal(result0(j), "unchanged");
	cJSON_Delete(j);
	assert_int_equal(req(f, "POST", "/v1/policies", POL("p1", "/bin/bash"), &j), 200);
	assert_string_equal(result0(j), "configured");
	cJSON_Delete(j);
	/* Two documents in one body. */
	assert_int_equal(
	    req(f, "POST", "/v1/policies", POL("p2", "/bin/ls") "---\n" POL("p3", "/bin/cat"), &j),
	    200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "results")), 2);
	cJSON_Delete(j);

	assert_int_equal(req(f, "GET", "/v1/policies", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 3);
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/policies?namespace=other", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 0);
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/policies/KubeArmorPolicy/shop/p1", NULL, &j), 200);
	{
		char *txt = cJSON_PrintUnformatted(j);

		assert_non_null(strstr(txt, "/bin/bash"));
		free(txt);
	}
	cJSON_Delete(j);
	assert_int_equal(expect_error(f, "GET", "/v1/policies/KubeArmorPolicy/shop/nope", NULL),
			 404);
	assert_int_equal(expect_error(f, "GET", "/v1/policies/NoSuchKind/shop/p1", NULL), 400);
	assert_int_equal(req(f, "DELETE", "/v1/policies/ksp/shop/p1", NULL, NULL), 200);
	assert_int_equal(expect_error(f, "DELETE", "/v1/policies/KubeArmorPolicy/shop/p1", NULL),
			 404);
	assert_int_equal(req(f, "GET", "/v1/policies", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 2);
	cJSON_Delete(j);
}

static void test_invalid_policy_stores_nothing(void **state)
{
	struct fx *f = *state;
	cJSON *j = NULL, *d;
	char *txt;
	int st;

	/* The first document is fine, the second is not: neither is stored. */
	st = req(f, "POST", "/v1/policies?filename=bad.yaml",
		 POL("good", "/bin/sh") "---\n" POL("bad", "relative/path"), &j);
	assert_int_equal(st, 400);
	assert_error_shape(j, 400);
	d = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "error"),
					     "details");
	assert_true(cJSON_GetArraySize(d) >= 1);
	txt = cJSON_GetArrayItem(d, 0)->valuestring;
	/* file:line:col of the bad path, in the second document. */
	assert_true(strncmp(txt, "bad.yaml:", 9) == 0);
	assert_true(atoi(txt + 9) > 13);
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/policies", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 0);
	cJSON_Delete(j);
	assert_int_equal(expect_error(f, "POST", "/v1/policies", "{not yaml: [}"), 400);
	assert_int_equal(expect_error(f, "POST", "/v1/policies", NULL), 400);
}

static void test_routes_methods_and_limits(void **state)
{
	struct fx *f = *state;
	struct call c = {.target = f->sock};
	char *big, hdr[128];

	assert_int_equal(expect_error(f, "GET", "/v2/policies", NULL), 404);
	assert_int_equal(expect_error(f, "GET", "/", NULL), 404);
	assert_int_equal(expect_error(f, "GET", "/v1/nodes/a/b/c/d", NULL), 404);
	assert_int_equal(expect_error(f, "PUT", "/v1/policies", NULL), 405);
	assert_int_equal(expect_error(f, "POST", "/healthz", NULL), 405);
	assert_int_equal(expect_error(f, "DELETE", "/v1/nodes", NULL), 405);
	c.method = "PATCH";
	c.path = "/v1/containers";
	run_call(f, &c);
	assert_int_equal(c.resp.status, 405);
	assert_int_equal(bw_http_resp_header(&c.resp, "Allow", hdr, sizeof(hdr)), 0);
	assert_string_equal(hdr, "GET, HEAD, POST, DELETE");
	bw_http_resp_free(&c.resp);

	/* Oversized body: 413, and nothing stored. */
	big = malloc(MAX_BODY * 4);
	memset(big, '#', MAX_BODY * 4 - 1);
	big[MAX_BODY * 4 - 1] = '\0';
	memset(&c, 0, sizeof(c));
	c.target = f->sock;
	c.method = "POST";
	c.path = "/v1/policies";
	c.body = big;
	run_call(f, &c);
	assert_int_equal(c.resp.status, 413);
	bw_http_resp_free(&c.resp);
	free(big);

	/* Malformed HTTP gets 400 and the server carries on. */
	{
		static const char *const bad[] = {
		    "GARBAGE\r\n\r\n",
		    "GET /healthz HTTP/9.9\r\n\r\n",
		    "GET /healthz HTTP/1.1\r\nNo-Colon-Header\r\n\r\n",
		    "POST /v1/policies HTTP/1.1\r\nContent-Length: nan\r\n\r\n",
		    "POST /v1/policies HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			memset(&c, 0, sizeof(c));
			c.target = f->sock;
			c.raw = bad[i];
			c.raw_len = strlen(bad[i]);
			atomic_init(&c.done, 0);
			{
				pthread_t th;

				pthread_create(&th, NULL, call_thread, &c);
				tu_run_until(f->base, call_done, &c, 5000);
				pthread_join(th, NULL);
			}
			/* evhttp answers these itself (with its own HTML body). */
			assert_int_equal(c.rc, 0);
			assert_int_equal(c.resp.status, i == 4 ? 413 : 400);
			bw_http_resp_free(&c.resp);
		}
	}
	assert_int_equal(req(f, "GET", "/healthz", NULL, NULL), 200);
}

static void test_postures(void **state)
{
	struct fx *f = *state;
	cJSON *j = NULL;

	assert_int_equal(req(f, "GET", "/v1/namespaces/shop/posture", NULL, &j), 200);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "file")->valuestring, "block");
	cJSON_Delete(j);
	assert_int_equal(req(f, "PUT", "/v1/namespaces/shop/posture", "{\"file\":\"audit\"}", &j),
			 200);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "file")->valuestring, "audit");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "network")->valuestring, "block");
	cJSON_Delete(j);
	assert_int_equal(
	    expect_error(f, "PUT", "/v1/namespaces/shop/posture", "{\"file\":\"deny\"}"), 400);
	assert_int_equal(
	    expect_error(f, "PUT", "/v1/namespaces/shop/posture", "{\"disk\":\"audit\"}"), 400);
	assert_int_equal(expect_error(f, "PUT", "/v1/namespaces/shop/posture", "audit"), 400);
	assert_int_equal(expect_error(f, "POST", "/v1/namespaces/shop/posture", "{}"), 405);
	assert_int_equal(expect_error(f, "PUT", "/v1/namespaces/Bad%20NS/posture",
				      "{\"file\":\"audit\"}"),
			 400);

	/* Visibility rides on the posture: canonical order, null forgets it. */
	assert_int_equal(req(f, "GET", "/v1/namespaces/shop/posture", NULL, &j), 200);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "visibility")));
	cJSON_Delete(j);
	assert_int_equal(req(f, "PUT", "/v1/namespaces/shop/posture",
			     "{\"visibility\":\"network, process\"}", &j),
			 200);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "visibility")->valuestring,
			    "process,network");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "file")->valuestring, "audit");
	cJSON_Delete(j);
	assert_int_equal(expect_error(f, "PUT", "/v1/namespaces/shop/posture",
				      "{\"visibility\":\"process,disk\"}"),
			 400);
	assert_int_equal(
	    expect_error(f, "PUT", "/v1/namespaces/shop/posture", "{\"visibility\":7}"), 400);
	assert_int_equal(req(f, "GET", "/v1/namespaces/shop/posture", NULL, &j), 200);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "visibility")->valuestring,
			    "process,network");
	cJSON_Delete(j);
	assert_int_equal(
	    req(f, "PUT", "/v1/namespaces/shop/posture", "{\"visibility\":null}", &j), 200);
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "visibility")));
	cJSON_Delete(j);
}

static void test_containers_and_nodes(void **state)
{
	struct fx *f = *state;
	cJSON *j = NULL;

	assert_int_equal(
	    req(f, "POST", "/v1/containers",
		"[{\"id\":\"c1\",\"node\":\"n1\",\"namespace\":\"shop\",\"pod\":\"web-0\","
		"\"labels\":{\"app\":\"web\",\"tier\":\"front\"}},"
		"{\"id\":\"c2\",\"node\":\"n1\",\"namespace\":\"shop\","
		"\"labels\":{\"app\":\"db\"}}]",
		&j),
	    200);
	assert_string_equal(result0(j), "created");
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/containers?selector=app%3Dweb", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(
		cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "items"), 0), "pod")
		->valuestring,
	    "web-0");
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/containers?node=n1&namespace=shop", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 2);
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/containers?namespace=other", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 0);
	cJSON_Delete(j);
	assert_int_equal(expect_error(f, "POST", "/v1/containers", "{\"node\":\"n1\"}"), 400);
	assert_int_equal(expect_error(f, "POST", "/v1/containers", "{\"id\":\"x\",\"labels\":[1]}"),
			 400);
	assert_int_equal(
	    expect_error(f, "POST", "/v1/containers", "{\"id\":\"x\",\"colour\":\"r\"}"), 400);
	assert_int_equal(req(f, "DELETE", "/v1/containers?id=c2", NULL, NULL), 200);
	assert_int_equal(expect_error(f, "DELETE", "/v1/containers?id=c2", NULL), 404);
	assert_int_equal(expect_error(f, "DELETE", "/v1/containers", NULL), 400);

	/* The overlay's node shows up in the inventory, with no agent yet. */
	assert_int_equal(req(f, "GET", "/v1/nodes", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/nodes/n1", NULL, &j), 200);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "state")->valuestring, "Unknown");
	cJSON_Delete(j);
	assert_int_equal(req(f, "POST", "/v1/policies", POL("p1", "/bin/sh"), NULL), 200);
	assert_int_equal(req(f, "GET", "/v1/nodes/n1/policy", NULL, &j), 200);
	{
		char *txt = cJSON_PrintUnformatted(j);

		assert_non_null(strstr(txt, "/bin/sh"));
		assert_non_null(strstr(txt, "c1"));
		/* The overlay's labels reach the agent with the rules. */
		assert_non_null(strstr(txt, "\"labels\":{\"app\":\"web\",\"tier\":\"front\"}"));
		assert_null(strstr(txt, "\"visibility\""));
		free(txt);
	}
	cJSON_Delete(j);
	assert_int_equal(req(f, "PUT", "/v1/namespaces/shop/posture",
			     "{\"visibility\":\"file,process\"}", NULL),
			 200);
	assert_int_equal(req(f, "GET", "/v1/nodes/n1/policy", NULL, &j), 200);
	{
		char *txt = cJSON_PrintUnformatted(j);

		assert_non_null(strstr(txt, "\"visibility\":\"process,file\""));
		free(txt);
	}
	cJSON_Delete(j);
	assert_int_equal(expect_error(f, "GET", "/v1/nodes/none", NULL), 404);
	assert_int_equal(expect_error(f, "GET", "/v1/nodes/none/policy", NULL), 404);
}

static void test_restart_restores(void **state)
{
	struct fx *f = *state;
	cJSON *j = NULL;

	assert_int_equal(req(f, "POST", "/v1/policies", POL("keep", "/bin/sh"), NULL), 200);
	assert_int_equal(req(f, "PUT", "/v1/namespaces/shop/posture",
			     "{\"network\":\"audit\",\"visibility\":\"capabilities\"}", NULL),
			 200);
	assert_int_equal(req(f, "POST", "/v1/containers",
			     "{\"id\":\"c9\",\"node\":\"n9\",\"labels\":{\"app\":\"web\"}}", NULL),
			 200);
	bw_controller_free(f->ctl);
	f->ctl = NULL;
	free(f->cfg.admin_tcp);
	f->cfg.admin_tcp = strdup("");
	assert_int_equal(bw_controller_new(&f->ctl, f->base, &f->cfg), 0);
	assert_int_equal(req(f, "GET", "/v1/policies/KubeArmorPolicy/shop/keep", NULL, NULL), 200);
	assert_int_equal(req(f, "GET", "/v1/namespaces/shop/posture", NULL, &j), 200);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "network")->valuestring, "audit");
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "visibility")->valuestring,
			    "capabilities");
	cJSON_Delete(j);
	assert_int_equal(req(f, "GET", "/v1/containers?node=n9", NULL, &j), 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	cJSON_Delete(j);
}

static int tcp_status(struct fx *f, const char *token, const char *path, struct bw_http_resp *keep)
{
	struct call c = {.target = f->tcp, .token = token, .method = "GET", .path = path};

	run_call(f, &c);
	if (keep)
		*keep = c.resp;
	else
		bw_http_resp_free(&c.resp);
	return c.resp.status;
}

static void test_tcp_bearer_token(void **state)
{
	struct fx *f = *state;
	struct bw_http_resp r;
	char hdr[128];
	cJSON *j;

	assert_int_equal(tcp_status(f, NULL, "/v1/policies", &r), 401);
	assert_int_equal(bw_http_resp_header(&r, "WWW-Authenticate", hdr, sizeof(hdr)), 0);
	j = cJSON_Parse(r.body);
	assert_error_shape(j, 401);
	cJSON_Delete(j);
	bw_http_resp_free(&r);
	assert_int_equal(tcp_status(f, "wrong-token-0123456789", "/v1/policies", NULL), 401);
	assert_int_equal(tcp_status(f, TOKEN "x", "/metrics", NULL), 401);
	assert_int_equal(tcp_status(f, TOKEN, "/v1/policies", NULL), 200);
	assert_int_equal(tcp_status(f, TOKEN, "/metrics", &r), 200);
	assert_non_null(strstr(r.body, "bulwark_controller_http_unauthorized_total 3"));
	assert_non_null(
	    strstr(r.body, "bulwark_controller_push_to_ack_seconds_bucket{le=\"+Inf\"}"));
	assert_non_null(strstr(r.body, "# TYPE bulwark_controller_push_to_ack_seconds histogram"));
	bw_http_resp_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_policies_crud, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_invalid_policy_stores_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_routes_methods_and_limits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_postures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_containers_and_nodes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_restart_restores, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tcp_bearer_token, setup, teardown),
	};

	bw_log_set_level_name(getenv("BW_TEST_LOG") ? getenv("BW_TEST_LOG") : "error");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
