/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The admin API server: libevent's evhttp on a unix socket (no auth: the
 * socket's mode 0660 is the access control) and optionally on TCP, where a
 * bearer token is required.  Routing, error replies and auth live here;
 * the handlers are in api_handlers.c.
 */
#include "api.h"
#include "bw_log.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

struct api_listener {
	struct bw_controller *c;
	struct evhttp *http;
	int need_token;
};

struct ctl_api {
	struct api_listener unix_l, tcp_l;
	struct evconnlistener *lev;
	char *token;
	int tcp_port;
	int unix_bound; /* ours to unlink at exit */
};

static const char *status_reason(int code)
{
	switch (code) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 409:
		return "Conflict";
	case 413:
		return "Payload Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	default:
		return "Error";
	}
}

static void send_text(struct api_req *r, int code, const char *type, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();

	if (code >= 500)
		r->c->metrics.http_errors_5xx++;
	else if (code >= 400)
		r->c->metrics.http_errors_4xx++;
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type", type);
	if (b)
		evbuffer_add(b, text, len);
	evhttp_send_reply(r->req, code, status_reason(code), b);
	if (b)
		evbuffer_free(b);
}

void api_json(struct api_req *r, int code, cJSON *obj)
{
	char *txt = obj ? cJSON_PrintUnformatted(obj) : NULL;

	cJSON_Delete(obj);
	if (!txt) {
		static const char oom[] =
		    "{\"error\":{\"code\":500,\"message\":\"out of memory\"}}";

		send_text(r, 500, "application/json", oom, sizeof(oom) - 1);
		return;
	}
	send_text(r, code, "application/json", txt, strlen(txt));
	free(txt);
}

void api_error(struct api_req *r, int code, const char *message, cJSON *details)
{
	cJSON *o = cJSON_CreateObject(), *e = cJSON_CreateObject();

	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", message);
	if (details)
		cJSON_AddItemToObject(e, "details", details);
	cJSON_AddItemToObject(o, "error", e);
	api_json(r, code, o);
}

void api_errorf(struct api_req *r, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_error(r, code, msg, NULL);
}

void api_method_not_allowed(struct api_req *r, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "Allow", allow);
	api_errorf(r, 405, "method not allowed here; allowed: %s", allow);
}

const char *api_query(struct api_req *r, const char *key)
{
	return evhttp_find_header(&r->query, key);
}

static int token_ok(const char *have, const char *want)
{
	size_t hl = strlen(have), wl = strlen(want);
	unsigned char diff = hl != wl;

	/* Constant time in the token's length: no early exit on a mismatch. */
	for (size_t i = 0; i < wl; i++)
		diff |= (unsigned char)(want[i] ^ (i < hl ? have[i] : 0));
	return diff == 0;
}

static int authorized(struct api_listener *l, struct api_req *r)
{
	const char *h =
	    evhttp_find_header(evhttp_request_get_input_headers(r->req), "Authorization");
	const char *why;
	char *peer = NULL;
	ev_uint16_t port = 0;

	if (!l->need_token)
		return 1;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		why = "no bearer token";
	else if (!token_ok(h + 7, l->c->api->token))
		why = "wrong token";
	else
		return 1;
	evhttp_connection_get_peer(evhttp_request_get_connection(r->req), &peer, &port);
	r->c->metrics.http_unauthorized++;
	bw_warn("admin API request refused | why=\"%s\" peer=%s:%u method=%d uri=\"%.128s\"", why,
		peer ? peer : "?", port, (int)r->method, evhttp_request_get_uri(r->req));
	evhttp_add_header(evhttp_request_get_output_headers(r->req), "WWW-Authenticate",
			  "Bearer realm=\"bulwark\"");
	api_errorf(r, 401, "%s: send \"Authorization: Bearer <token>\"", why);
	return 0;
}

static int split_path(struct api_req *r, const char *path)
{
	const char *p = path;

	while (*p) {
		const char *end;
		size_t len;
		char *raw;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchr(p, '/');
		len = end ? (size_t)(end - p) : strlen(p);
		if (r->nsegs == API_MAX_SEGS)
			return -E2BIG;
		raw = strndup(p, len);
		if (!raw)
			return -ENOMEM;
		r->segs[r->nsegs] = evhttp_uridecode(raw, 0, NULL);
		free(raw);
		if (!r->segs[r->nsegs])
			return -ENOMEM;
		r->nsegs++;
		p += len;
	}
	return 0;
}

static int is(struct api_req *r, int i, const char *s)
{
	return i < r->nsegs && strcmp(r->segs[i], s) == 0;
}

static void route(struct api_req *r)
{
	int n = r->nsegs;
	int get = r->method == EVHTTP_REQ_GET || r->method == EVHTTP_REQ_HEAD;

	if (n == 1 && is(r, 0, "healthz")) {
		if (!get)
			return api_method_not_allowed(r, "GET, HEAD");
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "status", "ok");
		return api_json(r, 200, o);
	}
	if (n == 1 && is(r, 0, "metrics")) {
		struct evbuffer *b;

		if (!get)
			return api_method_not_allowed(r, "GET, HEAD");
		b = evbuffer_new();
		if (!b)
			return api_error(r, 500, "out of memory", NULL);
		ctl_metrics_render(r->c, b);
		evhttp_add_header(evhttp_request_get_output_headers(r->req), "Content-Type",
				  "text/plain; version=0.0.4");
		evhttp_send_reply(r->req, 200, "OK", b);
		evbuffer_free(b);
		return;
	}
	if (n < 2 || !is(r, 0, "v1"))
		goto not_found;
	if (is(r, 1, "policies")) {
		if (n == 2)
			return api_policies(r);
		if (n == 5)
			return api_policy_one(r);
	} else if (is(r, 1, "namespaces") && n == 4 && is(r, 3, "posture")) {
		return api_posture(r);
	} else if (is(r, 1, "nodes")) {
		if (n == 2)
			return api_nodes(r);
		if (n == 3)
			return api_node_one(r);
		if (n == 4 && is(r, 3, "policy"))
			return api_node_policy(r);
	} else if (is(r, 1, "containers") && n == 2) {
		return api_containers(r);
	} else if (is(r, 1, "status") && n == 2) {
		return api_status(r);
	}
not_found:
	api_errorf(r, 404, "no such route: %.200s", evhttp_request_get_uri(r->req));
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct api_listener *l = arg;
	struct api_req r = {.c = l->c, .req = req};
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	const char *q = uri ? evhttp_uri_get_query(uri) : NULL;
	size_t len = in ? evbuffer_get_length(in) : 0;

	TAILQ_INIT(&r.query);
	l->c->metrics.http_requests++;
	r.method = evhttp_request_get_command(req);
	if (!authorized(l, &r))
		return;
	if (!path || split_path(&r, path)) {
		api_errorf(&r, 404, "no such route: %.200s", evhttp_request_get_uri(req));
		goto cleanup;
	}
	if (q && evhttp_parse_query_str(q, &r.query)) {
		api_error(&r, 400, "malformed query string", NULL);
		goto cleanup;
	}
	if (len) {
		r.body = malloc(len + 1);
		if (!r.body) {
			api_error(&r, 500, "out of memory", NULL);
			goto cleanup;
		}
		evbuffer_copyout(in, r.body, len);
		r.body[len] = '\0';
		r.body_len = len;
	}
	route(&r);
cleanup:
	for (int i = 0; i < r.nsegs; i++)
		free(r.segs[i]);
	evhttp_clear_headers(&r.query);
	free(r.body);
}

static int setup_http(struct bw_controller *c, struct api_listener *l, int need_token)
{
	l->c = c;
	l->need_token = need_token;
	l->http = evhttp_new(c->base);
	if (!l->http)
		return -ENOMEM;
	/* Bodies past the limit get 413 from evhttp before they are buffered. */
	evhttp_set_max_body_size(l->http, c->cfg.admin_max_body);
	evhttp_set_max_headers_size(l->http, 64 * 1024);
	evhttp_set_timeout(l->http, 30);
	evhttp_set_allowed_methods(l->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
						EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE |
						EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
	evhttp_set_gencb(l->http, on_request, l);
	return 0;
}

static int mkdir_parent(const char *path)
{
	char *dir = strdup(path), *slash;
	int rc = 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			rc = -errno;
	}
	free(dir);
	return rc;
}

static int bind_unix(struct bw_controller *c)
{
	const char *path = c->cfg.admin_socket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		bw_error("admin socket path is too long | path=%s max=%zu", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	rc = mkdir_parent(path);
	if (rc)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by a dead controller is removed; a live one is not. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 || errno == EAGAIN) {
		close(fd);
		bw_error("another controller is serving the admin socket | path=%s", path);
		return -EADDRINUSE;
	}
	unlink(path);
	close(fd);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || chmod(path, 0660) || listen(fd, 128)) {
		rc = -errno;
		bw_error("cannot serve the admin socket | path=%s err=%s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	c->api->lev = evconnlistener_new(c->base, NULL, NULL,
					 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd);
	if (!c->api->lev) {
		close(fd);
		return -ENOMEM;
	}
	if (!evhttp_bind_listener(c->api->unix_l.http, c->api->lev)) {
		return -ENOMEM;
	}
	c->api->lev = NULL; /* evhttp owns it now */
	c->api->unix_bound = 1;
	bw_info("admin API listening | socket=%s", path);
	return 0;
}

static char *read_token_file(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return strdup(buf);
}

static int bind_tcp(struct bw_controller *c)
{
	const char *spec = c->cfg.admin_tcp, *colon = strrchr(spec, ':');
	struct evhttp_bound_socket *bs;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[256];
	long port;

	if (c->cfg.admin_token_file && c->cfg.admin_token_file[0]) {
		c->api->token = read_token_file(c->cfg.admin_token_file);
		if (!c->api->token) {
			bw_error("cannot read the admin token file | file=%s err=%s",
				 c->cfg.admin_token_file, strerror(errno));
			return -ENOENT;
		}
	} else if (c->cfg.admin_token) {
		c->api->token = strdup(c->cfg.admin_token);
	}
	if (!c->api->token || strlen(c->api->token) < 16) {
		bw_error("admin_tcp needs admin_token or admin_token_file (16 characters or more)");
		return -EINVAL;
	}
	if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof(host)) {
		bw_error("admin_tcp must be host:port | value=%s", spec);
		return -EINVAL;
	}
	port = strtol(colon + 1, NULL, 10);
	if (port < 0 || port > 65535) {
		bw_error("admin_tcp port out of range | value=%s", spec);
		return -EINVAL;
	}
	snprintf(host, sizeof(host), "%.*s", (int)(colon - spec), spec);
	bs = evhttp_bind_socket_with_handle(c->api->tcp_l.http, host, (ev_uint16_t)port);
	if (!bs) {
		bw_error("cannot listen for the admin API on TCP | addr=%s", spec);
		return -EADDRINUSE;
	}
	if (getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&ss, &sl) == 0)
		c->api->tcp_port =
		    ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						   : ((struct sockaddr_in *)&ss)->sin_port);
	bw_info("admin API listening | tcp=%s:%d auth=bearer", host, c->api->tcp_port);
	return 0;
}

int ctl_api_new(struct bw_controller *c)
{
	int rc;

	c->api = calloc(1, sizeof(*c->api));
	if (!c->api)
		return -ENOMEM;
	if (c->cfg.admin_socket && c->cfg.admin_socket[0]) {
		rc = setup_http(c, &c->api->unix_l, 0);
		if (!rc)
			rc = bind_unix(c);
		if (rc)
			return rc;
	}
	if (c->cfg.admin_tcp && c->cfg.admin_tcp[0]) {
		rc = setup_http(c, &c->api->tcp_l, 1);
		if (!rc)
			rc = bind_tcp(c);
		if (rc)
			return rc;
	}
	return 0;
}

void ctl_api_free(struct bw_controller *c)
{
	if (!c->api)
		return;
	if (c->api->unix_l.http)
		evhttp_free(c->api->unix_l.http);
	if (c->api->tcp_l.http)
		evhttp_free(c->api->tcp_l.http);
	if (c->api->lev)
		evconnlistener_free(c->api->lev);
	if (c->api->unix_bound)
		unlink(c->cfg.admin_socket);
	free(c->api->token);
	free(c->api);
	c->api = NULL;
}

int ctl_api_port(const struct bw_controller *c)
{
	return c->api ? c->api->tcp_port : 0;
}
