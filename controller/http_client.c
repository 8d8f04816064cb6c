/* SPDX-License-Identifier: Apache-2.0 */
#include "http_client.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define MAX_REPLY (512u << 20)

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int dial(const char *target, char *err, size_t errlen)
{
	int fd = -1, rc;

	if (strncmp(target, "http://", 7) == 0) {
		char host[256], port[16];
		const char *hp = target + 7, *colon = strrchr(hp, ':'), *end;
		struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai = NULL;

		end = strchr(hp, '/');
		if (!end)
			end = hp + strlen(hp);
		if (!colon || colon > end || (size_t)(colon - hp) >= sizeof(host) ||
		    (size_t)(end - colon - 1) >= sizeof(port) || end == colon + 1) {
			snprintf(err, errlen, "bad server URL '%s' (want http://host:port)",
				 target);
			return -EINVAL;
		}
		snprintf(host, sizeof(host), "%.*s", (int)(colon - hp), hp);
		snprintf(port, sizeof(port), "%.*s", (int)(end - colon - 1), colon + 1);
		if (host[0] == '[') { /* [::1] */
			memmove(host, host + 1, strlen(host));
			host[strcspn(host, "]")] = '\0';
		}
		rc = getaddrinfo(host, port, &hints, &ai);
		if (rc) {
			snprintf(err, errlen, "cannot resolve %s: %s", host, gai_strerror(rc));
			return -EHOSTUNREACH;
		}
		for (struct addrinfo *a = ai; a; a = a->ai_next) {
			fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
			if (fd < 0)
				continue;
			if (connect(fd, a->ai_addr, a->ai_addrlen) == 0)
				break;
			rc = -errno;
			close(fd);
			fd = -1;
		}
		freeaddrinfo(ai);
		if (fd < 0) {
			snprintf(err, errlen,
				 "cannot connect to %s: %s - is bulwark-controller "
				 "running with admin_tcp?",
				 target, strerror(rc ? -rc : ECONNREFUSED));
			return rc ? rc : -ECONNREFUSED;
		}
		return fd;
	} else {
		const char *path = strncmp(target, "unix:", 5) == 0 ? target + 5 : target;
		struct sockaddr_un sa = {.sun_family = AF_UNIX};

		if (strlen(path) >= sizeof(sa.sun_path)) {
			snprintf(err, errlen, "socket path too long: %s", path);
			return -ENAMETOOLONG;
		}
		strcpy(sa.sun_path, path);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			snprintf(err, errlen, "socket: %s", strerror(-rc));
			return rc;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			rc = -errno;
			close(fd);
			snprintf(err, errlen,
				 "cannot connect to %s: %s - is bulwark-controller running?", path,
				 strerror(-rc));
			return rc;
		}
		return fd;
	}
}

static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = {.fd = fd, .events = ev};
	long long left = deadline - now_ms();
	int n;

	if (left <= 0)
		return -ETIMEDOUT;
	n = poll(&p, 1, (int)left);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

/* Decodes a chunked body in place; returns the decoded length or -1. */
static long dechunk(char *b, size_t len)
{
	size_t in = 0, out = 0;

	for (;;) {
		char *end;
		unsigned long n = strtoul(b + in, &end, 16);
		char *crlf = strstr(b + in, "\r\n");

		if (!crlf || end == b + in)
			return -1;
		in = (size_t)(crlf - b) + 2;
		if (n == 0)
			return (long)out;
		if (in + n > len)
			return -1;
		memmove(b + out, b + in, n);
		out += n;
		in += n + 2;
		if (in > len)
			return -1;
	}
}

static int parse_reply(char *buf, size_t len, struct bw_http_resp *resp, char *err, size_t errlen)
{
	char *hdr_end = strstr(buf, "\r\n\r\n"), *body, cl[32], te[32];
	size_t hlen, blen;

	if (len < 12 || strncmp(buf, "HTTP/1.", 7) != 0 || !hdr_end) {
		snprintf(err, errlen, "the server's reply is not HTTP (%zu bytes)", len);
		return -EPROTO;
	}
	resp->status = atoi(buf + 9);
	hlen = (size_t)(hdr_end - buf) + 2;
	resp->headers = strndup(buf, hlen);
	body = hdr_end + 4;
	blen = len - (size_t)(body - buf);
	if (!resp->headers)
		return -ENOMEM;
	if (bw_http_resp_header(resp, "Transfer-Encoding", te, sizeof(te)) == 0 &&
	    strcasecmp(te, "chunked") == 0) {
		long n = dechunk(body, blen);

		if (n < 0) {
			snprintf(err, errlen, "bad chunked encoding in the server's reply");
			return -EPROTO;
		}
		blen = (size_t)n;
	} else if (bw_http_resp_header(resp, "Content-Length", cl, sizeof(cl)) == 0) {
		size_t want = strtoull(cl, NULL, 10);

		if (want < blen)
			blen = want;
	}
	resp->body = malloc(blen + 1);
	if (!resp->body)
		return -ENOMEM;
	memcpy(resp->body, body, blen);
	resp->body[blen] = '\0';
	resp->body_len = blen;
	return 0;
}

static int exchange(int fd, const void *req, size_t rlen, const void *body, size_t blen,
		    int timeout_ms, struct bw_http_resp *resp, char *err, size_t errlen)
{
	long long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 30000);
	const struct {
		const char *p;
		size_t n;
	} parts[2] = {{req, rlen}, {body, blen}};
	size_t len = 0, cap = 8192;
	char *buf = NULL;
	int rc;

	for (int i = 0; i < 2; i++) {
		size_t off = 0;

		while (off < parts[i].n) {
			ssize_t n = send(fd, parts[i].p + off, parts[i].n - off,
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
				rc = wait_fd(fd, POLLOUT, deadline);
				if (rc)
					goto timeout;
				continue;
			}
			if (n < 0) {
				/* The server may reply (413) and close before reading it all. */
				break;
			}
			off += (size_t)n;
		}
	}
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *nb;

			if (cap >= MAX_REPLY) {
				free(buf);
				snprintf(err, errlen, "the server's reply is too large");
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - len - 1, MSG_DONTWAIT);
		if (n > 0) {
			len += (size_t)n;
			continue;
		}
		if (n == 0)
			break;
		if (errno == EAGAIN || errno == EINTR) {
			rc = wait_fd(fd, POLLIN, deadline);
			if (rc) {
				free(buf);
				goto timeout;
			}
			continue;
		}
		if (errno == ECONNRESET && len)
			break;
		rc = -errno;
		free(buf);
		snprintf(err, errlen, "reading the reply: %s", strerror(-rc));
		return rc;
	}
	buf[len] = '\0';
	rc = parse_reply(buf, len, resp, err, errlen);
	free(buf);
	if (rc)
		bw_http_resp_free(resp);
	return rc;
timeout:
	snprintf(err, errlen, "no reply from the controller within %d ms", timeout_ms);
	return -ETIMEDOUT;
}

int bw_http_request(const char *target, const char *token, const char *method, const char *path,
		    const char *content_type, const char *body, size_t body_len, int timeout_ms,
		    struct bw_http_resp *resp, char *err, size_t errlen)
{
	char *req = NULL;
	int fd, rc, n;

	memset(resp, 0, sizeof(*resp));
	fd = dial(target, err, errlen);
	if (fd < 0)
		return fd;
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: bulwark\r\nConnection: close\r\n"
		     "User-Agent: bulwarkctl\r\nAccept: application/json\r\n"
		     "%s%s%s%s%s%s"
		     "Content-Length: %zu\r\n\r\n",
		     method, path, token ? "Authorization: Bearer " : "", token ? token : "",
		     token ? "\r\n" : "", content_type ? "Content-Type: " : "",
		     content_type ? content_type : "", content_type ? "\r\n" : "", body_len);
	if (n < 0) {
		close(fd);
		return -ENOMEM;
	}
	rc = exchange(fd, req, (size_t)n, body, body_len, timeout_ms, resp, err, errlen);
	free(req);
	close(fd);
	return rc;
}

int bw_http_raw(const char *target, const void *raw, size_t len, int timeout_ms,
		struct bw_http_resp *resp, char *err, size_t errlen)
{
	int fd, rc;

	memset(resp, 0, sizeof(*resp));
	fd = dial(target, err, errlen);
	if (fd < 0)
		return fd;
	rc = exchange(fd, raw, len, NULL, 0, timeout_ms, resp, err, errlen);
	close(fd);
	return rc;
}

int bw_http_resp_header(const struct bw_http_resp *r, const char *name, char *buf, size_t len)
{
	size_t nl = strlen(name);

	if (!r->headers)
		return -ENOENT;
	for (const char *p = strstr(r->headers, "\r\n"); p && p[2]; p = strstr(p + 2, "\r\n")) {
		const char *line = p + 2, *eol = strstr(line, "\r\n");

		if (!eol)
			break;
		if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
			const char *v = line + nl + 1;

			while (*v == ' ')
				v++;
			snprintf(buf, len, "%.*s", (int)(eol - v), v);
			return 0;
		}
	}
	return -ENOENT;
}

void bw_http_resp_free(struct bw_http_resp *r)
{
	free(r->headers);
	free(r->body);
	r->headers = r->body = NULL;
}
