/* SPDX-License-Identifier: Apache-2.0 */
/*
 * HTTP(S) requests to the API server over libevent's evhttp.
 *
 * Every request gets its own connection: watches are long-lived streams
 * that would block a shared connection, and an evhttp connection over a
 * TLS bufferevent cannot be reconnected once closed.  Connections are freed
 * from a zero-delay event because evhttp forbids freeing one inside its own
 * callbacks.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#ifdef BW_K8S_TLS
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

#include "bw_log.h"
#include "k8s_internal.h"

/* Service-account tokens are a few KiB; anything near this is not one. */
#define K8S_TOKEN_MAX 16384

struct k8s_client {
	struct event_base *base;
	int tls;
	char *host;
	int port;
	char *token_path;
	struct evdns_base *dns;	 /* only for a host name: resolve without blocking the loop */
	struct k8s_req *zombies; /* finished, waiting for their reap event */
#ifdef BW_K8S_TLS
	SSL_CTX *ssl;
#endif
};

struct k8s_req {
	struct k8s_client *client;
	struct evhttp_connection *conn;
	struct evhttp_request *req; /* NULL once evhttp finished or freed it */
	struct event *reap;	    /* frees conn and this struct outside evhttp */
	k8s_chunk_fn chunk;
	k8s_done_fn done;
	void *arg;
	int finished;			/* done called or cancelled: no more callbacks */
	int aborted;			/* chunk callback asked to stop */
	struct k8s_req *znext, **zprev; /* on client->zombies while a reap is pending */
};

static void reap_now(struct k8s_req *r);

static int parse_server(struct k8s_client *c, const char *server, char *err, size_t errlen)
{
	const char *p = server;
	const char *colon;
	char *end;
	long port;

	if (strncmp(p, "https://", 8) == 0) {
		c->tls = 1;
		p += 8;
	} else if (strncmp(p, "http://", 7) == 0) {
		p += 7;
	} else {
		snprintf(err, errlen, "server '%s': expected http://HOST:PORT or https://HOST:PORT",
			 server);
		return -EINVAL;
	}
	if (*p == '[') { /* IPv6 literal */
		const char *close = strchr(p, ']');

		if (!close) {
			snprintf(err, errlen, "server '%s': unterminated [", server);
			return -EINVAL;
		}
		c->host = strndup(p + 1, (size_t)(close - p - 1));
		colon = close[1] == ':' ? close + 1 : NULL;
		if (!colon && close[1] && strcmp(close + 1, "/") != 0) {
			snprintf(err, errlen, "server '%s': junk after ]", server);
			return -EINVAL;
		}
	} else {
		colon = strchr(p, ':');
		c->host = colon ? strndup(p, (size_t)(colon - p)) : strdup(p);
	}
	if (!c->host)
		return -ENOMEM;
	if (!colon) {
		size_t n = strlen(c->host);

		if (n && c->host[n - 1] == '/')
			c->host[n - 1] = '\0';
		c->port = c->tls ? 443 : 80;
	} else {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno || end == colon + 1 || (*end && strcmp(end, "/") != 0) || port < 1 ||
		    port > 65535) {
			snprintf(err, errlen, "server '%s': bad port", server);
			return -EINVAL;
		}
		c->port = (int)port;
	}
	if (!c->host[0]) {
		snprintf(err, errlen, "server '%s': no host", server);
		return -EINVAL;
	}
	return 0;
}

#ifdef BW_K8S_TLS
static int tls_setup(struct k8s_client *c, const char *ca_path, char *err, size_t errlen)
{
	c->ssl = SSL_CTX_new(TLS_client_method());
	if (!c->ssl)
		return -ENOMEM;
	SSL_CTX_set_min_proto_version(c->ssl, TLS1_2_VERSION);
	SSL_CTX_set_verify(c->ssl, SSL_VERIFY_PEER, NULL);
	if (SSL_CTX_load_verify_locations(c->ssl, ca_path, NULL) != 1) {
		snprintf(err, errlen, "CA file %s: %s", ca_path,
			 ERR_reason_error_string(ERR_get_error()));
		return -EINVAL;
	}
	return 0;
}
#endif

int k8s_client_new(struct k8s_client **out, struct event_base *base, const char *server,
		   const char *token_path, const char *ca_path, char *err, size_t errlen)
{
	struct k8s_client *c;
	int rc;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->base = base;
	rc = parse_server(c, server, err, errlen);
	if (rc)
		goto cleanup;
	c->token_path = strdup(token_path);
	if (!c->token_path) {
		rc = -ENOMEM;
		goto cleanup;
	}
	{
		unsigned char addr[16];

		if (inet_pton(AF_INET, c->host, addr) != 1 &&
		    inet_pton(AF_INET6, c->host, addr) != 1) {
			c->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS);
			if (!c->dns) {
				snprintf(err, errlen, "server '%s': no DNS resolver (resolv.conf)",
					 server);
				rc = -EINVAL;
				goto cleanup;
			}
		}
	}
	if (c->tls) {
#ifdef BW_K8S_TLS
		rc = tls_setup(c, ca_path, err, errlen);
		if (rc)
			goto cleanup;
#else
		snprintf(err, errlen, "server '%s': built without TLS (libevent_openssl)", server);
		rc = -EINVAL;
		goto cleanup;
#endif
	}
	*out = c;
	return 0;
cleanup:
	k8s_client_free(c);
	return rc;
}

void k8s_client_free(struct k8s_client *c)
{
	if (!c)
		return;
	while (c->zombies)
		reap_now(c->zombies);
	if (c->dns)
		evdns_base_free(c->dns, 0);
#ifdef BW_K8S_TLS
	if (c->ssl)
		SSL_CTX_free(c->ssl);
#endif
	free(c->host);
	free(c->token_path);
	free(c);
}

/*
 * The token as it is now: kubelet rewrites the file before the old token
 * expires, so it is read per request.  Returns NULL when there is none.
 */
static char *read_token(const char *path)
{
	char *buf = NULL;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	buf = malloc(K8S_TOKEN_MAX + 1);
	if (!buf)
		goto cleanup;
	n = read(fd, buf, K8S_TOKEN_MAX + 1);
	if (n <= 0 || n > K8S_TOKEN_MAX) {
		if (n > K8S_TOKEN_MAX)
			bw_warn("service-account token too large | path=%s", path);
		free(buf);
		buf = NULL;
		goto cleanup;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
		n--;
	buf[n] = '\0';
	/* A token with a line break would smuggle headers. */
	if (!n || strpbrk(buf, "\r\n")) {
		free(buf);
		buf = NULL;
	}
cleanup:
	close(fd);
	return buf;
}

static void reap_now(struct k8s_req *r)
{
	if (r->zprev) {
		*r->zprev = r->znext;
		if (r->znext)
			r->znext->zprev = r->zprev;
	}
	if (r->conn)
		evhttp_connection_free(r->conn);
	event_free(r->reap);
	free(r);
}

static void reap_cb(evutil_socket_t fd, short what, void *arg)
{
	reap_now(arg);
}

/* Frees r from the loop, outside evhttp's callbacks; or at client free. */
static void reap_later(struct k8s_req *r)
{
	struct k8s_client *c = r->client;

	r->znext = c->zombies;
	if (c->zombies)
		c->zombies->zprev = &r->znext;
	r->zprev = &c->zombies;
	c->zombies = r;
	event_add(r->reap, &(struct timeval){0, 0});
}

static void chunk_cb(struct evhttp_request *req, void *arg)
{
	struct k8s_req *r = arg;
	struct evbuffer *in = evhttp_request_get_input_buffer(req);

	if (r->finished || r->aborted) {
		evbuffer_drain(in, evbuffer_get_length(in));
		return;
	}
	if (r->chunk(r->arg, in)) {
		r->aborted = 1;
		evbuffer_drain(in, evbuffer_get_length(in));
		/* Cancelling inside evhttp's read path is not allowed: end it from the loop. */
		r->req = NULL;
		r->finished = 1;
		reap_later(r);
		r->done(r->arg, -1, NULL);
	}
}

static void done_cb(struct evhttp_request *req, void *arg)
{
	struct k8s_req *r = arg;
	int status = req ? evhttp_request_get_response_code(req) : 0;

	r->req = NULL;
	if (r->finished)
		return; /* aborted from chunk_cb; reap already scheduled */
	r->finished = 1;
#ifdef BW_K8S_TLS
	if (!status && r->client->tls) {
		/* Say why TLS failed (an untrusted or misnamed certificate, mostly). */
		struct bufferevent *bev = evhttp_connection_get_bufferevent(r->conn);
		unsigned long e = bev ? bufferevent_get_openssl_error(bev) : 0;

		if (e)
			bw_warn("kubernetes: TLS failed | host=%s why=\"%s\"", r->client->host,
				ERR_reason_error_string(e));
	}
#endif
	reap_later(r);
	r->done(r->arg, status,
		(req && !r->chunk && status) ? evhttp_request_get_input_buffer(req) : NULL);
}

static struct bufferevent *new_bev(struct k8s_client *c)
{
#ifdef BW_K8S_TLS
	if (c->tls) {
		struct bufferevent *bev;
		SSL *ssl = SSL_new(c->ssl);

		if (!ssl)
			return NULL;
		/* SNI and certificate name/IP check against the host we dial. */
		if (SSL_set_tlsext_host_name(ssl, c->host) != 1 ||
		    (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), c->host) != 1 &&
		     SSL_set1_host(ssl, c->host) != 1)) {
			SSL_free(ssl);
			return NULL;
		}
		bev =
		    bufferevent_openssl_socket_new(c->base, -1, ssl, BUFFEREVENT_SSL_CONNECTING,
						   BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
		if (!bev)
			SSL_free(ssl);
		else
			bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
		return bev;
	}
#endif
	return bufferevent_socket_new(c->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
}

int k8s_request(struct k8s_client *c, enum evhttp_cmd_type method, const char *uri,
		const char *content_type, const char *body, int timeout_s, size_t max_body,
		k8s_chunk_fn chunk, k8s_done_fn done, void *arg, struct k8s_req **out)
{
	struct evkeyvalq *h;
	struct bufferevent *bev = NULL;
	struct k8s_req *r;
	char *token = NULL;
	char auth[K8S_TOKEN_MAX + 16];
	int rc = -ENOMEM;

	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->client = c;
	r->chunk = chunk;
	r->done = done;
	r->arg = arg;
	r->reap = event_new(c->base, -1, 0, reap_cb, r);
	if (!r->reap)
		goto cleanup;
	bev = new_bev(c);
	if (!bev)
		goto cleanup;
	r->conn = evhttp_connection_base_bufferevent_new(c->base, c->dns, bev, c->host,
							 (ev_uint16_t)c->port);
	if (!r->conn) {
		bufferevent_free(bev);
		goto cleanup;
	}
	evhttp_connection_set_timeout(r->conn, timeout_s);
	evhttp_connection_set_retries(r->conn, 0);
	if (!chunk && max_body)
		evhttp_connection_set_max_body_size(r->conn, (ev_ssize_t)max_body);
	r->req = evhttp_request_new(done_cb, r);
	if (!r->req)
		goto cleanup;
	if (chunk)
		evhttp_request_set_chunked_cb(r->req, chunk_cb);
	h = evhttp_request_get_output_headers(r->req);
	evhttp_add_header(h, "Host", c->host);
	evhttp_add_header(h, "Accept", "application/json");
	evhttp_add_header(h, "User-Agent", "bulwark-controller");
	token = read_token(c->token_path);
	if (token) {
		snprintf(auth, sizeof(auth), "Bearer %s", token);
		evhttp_add_header(h, "Authorization", auth);
	}
	if (body) {
		char clen[32];

		/* evhttp adds Content-Length for POST and PUT only, not PATCH. */
		snprintf(clen, sizeof(clen), "%zu", strlen(body));
		evhttp_add_header(h, "Content-Length", clen);
		evhttp_add_header(h, "Content-Type", content_type);
		evbuffer_add(evhttp_request_get_output_buffer(r->req), body, strlen(body));
	}
	/* On failure evhttp_make_request frees the request itself. */
	if (evhttp_make_request(r->conn, r->req, method, uri) != 0) {
		r->req = NULL;
		rc = -EIO;
		goto cleanup;
	}
	free(token);
	if (out)
		*out = r;
	return 0;
cleanup:
	free(token);
	if (r->req)
		evhttp_request_free(r->req);
	if (r->conn)
		evhttp_connection_free(r->conn);
	if (r->reap)
		event_free(r->reap);
	free(r);
	return rc;
}

void k8s_request_cancel(struct k8s_req *r)
{
	if (!r)
		return;
	if (r->finished) {
		/* Its reap is pending: leave it to the loop. */
		return;
	}
	r->finished = 1;
	/* Freeing the connection frees its request without calling back. */
	if (r->conn)
		evhttp_connection_free(r->conn);
	event_free(r->reap);
	free(r);
}
