/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only: a blocking HTTP/1.0 request to fake_apiserver.py on loopback,
 * for the control API (/_ctl/...) or, with an Authorization header, the
 * Kubernetes API.  Asserts a 200 and returns the body (caller frees).
 * cmocka must be included first.
 */
#ifndef BW_K8S_FAKE_CLIENT_H
#define BW_K8S_FAKE_CLIENT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char *fake_http(int port, const char *method, const char *path, const char *headers,
		       const char *body)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	size_t cap = 1 << 16, len = 0;
	char req[8192], *resp = malloc(cap), *start;
	int fd, n;

	assert_non_null(resp);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	n = snprintf(req, sizeof(req),
		     "%s %s HTTP/1.0\r\n%sContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
		     method, path, headers ? headers : "", body ? strlen(body) : 0,
		     body ? body : "");
	assert_true(n > 0 && (size_t)n < sizeof(req));
	assert_int_equal(write(fd, req, (size_t)n), n);
	for (;;) {
		ssize_t got;

		if (len + 1 >= cap) {
			cap *= 2;
			resp = realloc(resp, cap);
			assert_non_null(resp);
		}
		got = read(fd, resp + len, cap - len - 1);
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	resp[len] = '\0';
	assert_non_null(strstr(resp, " 200 "));
	start = strstr(resp, "\r\n\r\n");
	assert_non_null(start);
	memmove(resp, start + 4, strlen(start + 4) + 1);
	return resp;
}

#endif
