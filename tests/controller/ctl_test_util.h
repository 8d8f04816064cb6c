/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers for controller tests: a temp dir, a controller on an event loop
 * in this thread, HTTP calls made from a helper thread while the loop runs
 * (the controller and the agent clients never leave the loop's thread).
 */
#ifndef CTL_TEST_UTIL_H
#define CTL_TEST_UTIL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bw_config.h"
#include "bw_time.h"
#include "controller.h"
#include "http_client.h"

static inline char *tu_tmpdir(void)
{
	char tmpl[] = "/tmp/bw-ctl-test-XXXXXX";
	char *d = mkdtemp(tmpl);

	return d ? strdup(d) : NULL;
}

static inline void tu_rmrf(const char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", dir);
}

/* Defaults from the table, then test-friendly values under dir. */
static inline void tu_config(struct bw_controller_config *cfg, const char *dir)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	bw_cfg_defaults(bw_controller_cfg_table, cfg, err, sizeof(err));
	free(cfg->data_dir);
	free(cfg->admin_socket);
	free(cfg->agents_listen);
	if (asprintf(&cfg->data_dir, "%s/data", dir) < 0 ||
	    asprintf(&cfg->admin_socket, "%s/ctl.sock", dir) < 0)
		abort();
	cfg->agents_listen = strdup("tcp://127.0.0.1:0");
}

/* Runs the loop until *flag is non-zero or timeout_ms passes; returns the flag. */
static inline int tu_run_until(struct event_base *base, int (*pred)(void *), void *arg,
			       int timeout_ms)
{
	uint64_t end = bw_mono_ns() + (uint64_t)timeout_ms * 1000000;
	struct timeval tick = {0, 5000};

	while (!pred(arg)) {
		if (bw_mono_ns() > end)
			return 0;
		event_base_loopexit(base, &tick);
		event_base_dispatch(base);
	}
	return 1;
}

static inline void tu_run_for(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

struct tu_http {
	const char *target, *token, *method, *path, *body;
	int rc;
	struct bw_http_resp resp;
	char err[512];
	atomic_int done;
};

static inline void *tu_http_thread(void *arg)
{
	struct tu_http *h = arg;

	h->rc = bw_http_request(
	    h->target, h->token, h->method, h->path, h->body ? "application/json" : NULL, h->body,
	    h->body ? strlen(h->body) : 0, 10000, &h->resp, h->err, sizeof(h->err));
	atomic_store(&h->done, 1);
	return NULL;
}

static inline int tu_http_done(void *arg)
{
	return atomic_load(&((struct tu_http *)arg)->done);
}

/*
 * One HTTP request served by the loop running here.  Returns the status
 * (or -1 when the request failed); *body, if given, gets the reply body.
 */
static inline int tu_http(struct event_base *base, const char *target, const char *method,
			  const char *path, const char *body, char **out)
{
	struct tu_http h = {.target = target, .method = method, .path = path, .body = body};
	pthread_t th;
	int status;

	atomic_init(&h.done, 0);
	if (pthread_create(&th, NULL, tu_http_thread, &h))
		return -1;
	tu_run_until(base, tu_http_done, &h, 15000);
	pthread_join(th, NULL);
	if (h.rc) {
		fprintf(stderr, "http %s %s failed: %s\n", method, path, h.err);
		return -1;
	}
	status = h.resp.status;
	if (out)
		*out = strdup(h.resp.body ? h.resp.body : "");
	bw_http_resp_free(&h.resp);
	return status;
}

#endif
