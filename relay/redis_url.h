/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Redis addresses as the relay and bulwarkctl take them:
 *   host, host:port, [v6addr]:port, unix:/path/to.sock,
 *   redis://[user[:password]@]host[:port][/db]
 */
#ifndef BW_REDIS_URL_H
#define BW_REDIS_URL_H

#include <stddef.h>

struct bw_redis_url {
	char host[256];
	int port;	/* 6379 when not given */
	char path[108]; /* unix socket path; then host is empty */
	char user[128]; /* "" when not given */
	char password[256];
	int db; /* -1 when not given */
};

/* Returns 0, or -EINVAL with err naming what is wrong with text. */
int bw_redis_url_parse(const char *text, struct bw_redis_url *u, char *err, size_t errlen);

#endif
