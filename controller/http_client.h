/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A small blocking HTTP/1.1 client for the admin API (bulwarkctl, tests,
 * benchmarks).  One request per connection ("Connection: close").
 *
 * target is "unix:/path/to.sock" (or a plain path) or "http://host:port".
 */
#ifndef BW_HTTP_CLIENT_H
#define BW_HTTP_CLIENT_H

#include <stddef.h>

struct bw_http_resp {
	int status;
	char *headers; /* raw header block, lines ending in \r\n */
	char *body;    /* NUL-terminated */
	size_t body_len;
};

/*
 * Sends one request and reads the whole reply.  token (may be NULL) goes
 * out as "Authorization: Bearer ...".  Returns 0 with *resp filled (free
 * with bw_http_resp_free), or a negative errno with a sentence in err
 * (e.g. "cannot connect to /run/bulwark/controller.sock: No such file or
 * directory - is bulwark-controller running?").
 */
int bw_http_request(const char *target, const char *token, const char *method, const char *path,
		    const char *content_type, const char *body, size_t body_len, int timeout_ms,
		    struct bw_http_resp *resp, char *err, size_t errlen);

/* Sends raw bytes as they are (tests of malformed requests) and reads the reply. */
int bw_http_raw(const char *target, const void *raw, size_t len, int timeout_ms,
		struct bw_http_resp *resp, char *err, size_t errlen);

/* Copies a header's value (case-insensitive name) into buf; 0 or -ENOENT. */
int bw_http_resp_header(const struct bw_http_resp *r, const char *name, char *buf, size_t len);

void bw_http_resp_free(struct bw_http_resp *r);

#endif
