/* SPDX-License-Identifier: Apache-2.0 */
#include "redis_url.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, int *port)
{
	char *end;
	long v;

	if (!*s)
		return -EINVAL;
	v = strtol(s, &end, 10);
	if (*end || v < 1 || v > 65535)
		return -EINVAL;
	*port = (int)v;
	return 0;
}

static int copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (len >= cap)
		return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

int bw_redis_url_parse(const char *text, struct bw_redis_url *u, char *err, size_t errlen)
{
	const char *p = text, *at, *slash, *colon, *hostend;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	u->db = -1;
	if (!text || !*text) {
		snprintf(err, errlen, "redis address is empty");
		return -EINVAL;
	}
	if (strncmp(p, "unix:", 5) == 0) {
		if (p[5] != '/' || copy(u->path, sizeof(u->path), p + 5, strlen(p + 5))) {
			snprintf(err, errlen,
				 "redis address '%s': unix: needs an absolute path "
				 "shorter than %zu bytes",
				 text, sizeof(u->path));
			return -EINVAL;
		}
		return 0;
	}
	if (strncmp(p, "redis://", 8) == 0) {
		p += 8;
		slash = strchr(p, '/');
		at = memchr(p, '@', slash ? (size_t)(slash - p) : strlen(p));
		if (at) {
			const char *c = memchr(p, ':', (size_t)(at - p));

			if (c) {
				if (copy(u->user, sizeof(u->user), p, (size_t)(c - p)) ||
				    copy(u->password, sizeof(u->password), c + 1,
					 (size_t)(at - c - 1)))
					goto toolong;
			} else if (copy(u->password, sizeof(u->password), p, (size_t)(at - p))) {
				/* redis://secret@host: a password alone, as redis-cli takes it */
				goto toolong;
			}
			p = at + 1;
		}
		if (slash) {
			char *end;
			long db;

			if (slash[1]) {
				db = strtol(slash + 1, &end, 10);
				if (*end || db < 0 || db > 1000000) {
					snprintf(
					    err, errlen,
					    "redis address '%s': database '%s' is not a number",
					    text, slash + 1);
					return -EINVAL;
				}
				u->db = (int)db;
			}
			hostend = slash;
		} else {
			hostend = p + strlen(p);
		}
	} else {
		hostend = p + strlen(p);
	}
	if (*p == '[') {
		const char *rb = memchr(p, ']', (size_t)(hostend - p));

		if (!rb)
			goto bad;
		if (copy(u->host, sizeof(u->host), p + 1, (size_t)(rb - p - 1)))
			goto toolong;
		colon = rb + 1 < hostend && rb[1] == ':' ? rb + 1 : NULL;
		if (!colon && rb + 1 != hostend)
			goto bad;
	} else {
		colon = memchr(p, ':', (size_t)(hostend - p));
		if (copy(u->host, sizeof(u->host), p, (size_t)((colon ? colon : hostend) - p)))
			goto toolong;
	}
	if (colon) {
		char port[16];

		if (copy(port, sizeof(port), colon + 1, (size_t)(hostend - colon - 1)) ||
		    parse_port(port, &u->port)) {
			snprintf(err, errlen, "redis address '%s': port must be 1..65535", text);
			return -EINVAL;
		}
	}
	if (!u->host[0])
		goto bad;
	return 0;
bad:
	snprintf(err, errlen,
		 "redis address '%s' is not host[:port], unix:/path or "
		 "redis://[user[:password]@]host[:port][/db]",
		 text);
	return -EINVAL;
toolong:
	snprintf(err, errlen, "redis address '%s': a part is too long", text);
	return -EINVAL;
}
