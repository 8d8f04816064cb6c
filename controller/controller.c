/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl.h"
#include "bw_log.h"
#include "bw_time.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define F(k, t, m, lo, hi, d, h)                                                                   \
	{                                                                                          \
		k, t, offsetof(struct bw_controller_config, m), lo, hi, d, h                       \
	}

const struct bw_cfg_field bw_controller_cfg_table[] = {
    F("data-dir", BW_CFG_STRING, data_dir, 0, 0, "/var/lib/bulwark/controller",
      "directory of the durable store (WAL and snapshot)"),
    F("admin.socket", BW_CFG_STRING, admin_socket, 0, 0, "/run/bulwark/controller.sock",
      "unix socket of the admin API (mode 0660); empty disables"),
    F("admin.tcp", BW_CFG_STRING, admin_tcp, 0, 0, "",
      "host:port for the admin API over TCP (bearer token required); empty disables"),
    F("admin.token", BW_CFG_STRING, admin_token, 0, 0, NULL,
      "bearer token for admin_tcp (prefer admin_token_file)"),
    F("admin.token-file", BW_CFG_STRING, admin_token_file, 0, 0, NULL,
      "file holding the bearer token for admin_tcp"),
    F("admin.max-body", BW_CFG_SIZE, admin_max_body, 1024, 1LL << 30, "4m",
      "largest request body the admin API accepts (413 beyond)"),
    F("agents.listen", BW_CFG_STRING, agents_listen, 0, 0, "tcp://0.0.0.0:7600",
      "nng URL agents dial: tcp://host:port or tls+tcp://host:port"),
    F("agents.tls-ca", BW_CFG_STRING, tls_ca, 0, 0, NULL,
      "PEM CA bundle agents' client certificates must chain to (tls+tcp)"),
    F("agents.tls-cert-key", BW_CFG_STRING, tls_cert_key, 0, 0, NULL,
      "PEM file with the controller's certificate and private key (tls+tcp)"),
    F("agents.tls-require-client-cert", BW_CFG_BOOL, tls_require_client_cert, 0, 0, "true",
      "mutual TLS: refuse agents without a valid client certificate"),
    F("heartbeat-interval", BW_CFG_DURATION, heartbeat_ms, 100, 3600000, "5s",
      "how often agents heartbeat (told to them at registration)"),
    F("node-timeout", BW_CFG_DURATION, node_timeout_ms, 300, 86400000, "15s",
      "a node silent this long is marked NotReady"),
    F("resend-interval", BW_CFG_DURATION, resend_ms, 50, 3600000, "2s",
      "an unacknowledged policy is sent again after this long"),
    F("sync-interval", BW_CFG_DURATION, sync_ms, 1, 60000, "100ms",
      "fdatasync period for agent-reported state (API writes sync at once)"),
    F("snapshot-bytes", BW_CFG_SIZE, snapshot_bytes, 4096, 1LL << 40, "64m",
      "compact the WAL into a snapshot once it is this large"),
    F("compile-batch", BW_CFG_INT, compile_batch, 1, 100000, "128",
      "nodes compiled per event-loop turn when a change fans out"),
    F("kubernetes.enabled", BW_CFG_BOOL, k8s_enabled, 0, 0, "false",
      "follow the API server: KubeArmor policy CRDs, pod labels, namespace postures, node labels"),
    F("kubernetes.server", BW_CFG_STRING, k8s_server, 0, 0, "",
      "API server URL (https://HOST:PORT or http:// for kubectl proxy); empty: in-cluster"),
    F("kubernetes.token-file", BW_CFG_STRING, k8s_token_file, 0, 0,
      "/var/run/secrets/kubernetes.io/serviceaccount/token",
      "bearer token file (re-read per request; missing: no token)"),
    F("kubernetes.ca-file", BW_CFG_STRING, k8s_ca_file, 0, 0,
      "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt", "CA bundle of the API server"),
    BW_CFG_END,
};

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct bw_controller *c = arg;

	if (bw_store_flush(c->store))
		c->metrics.store_errors++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bw_controller *c = arg;

	ctl_channel_tick(c);
	ctl_maybe_rewrite(c);
}

static int copy_str(char **dst, const char *src)
{
	*dst = strdup(src ? src : "");
	return *dst ? 0 : -ENOMEM;
}

int bw_controller_new(struct bw_controller **out, struct event_base *base,
		      const struct bw_controller_config *cfg)
{
	struct bw_controller *c = calloc(1, sizeof(*c));
	struct timeval tv;
	int rc;

	if (!c)
		return -ENOMEM;
	c->base = base;
	c->cfg = *cfg;
	c->started_ns = bw_real_ns();
	if (copy_str(&c->cfg.data_dir, cfg->data_dir) ||
	    copy_str(&c->cfg.admin_socket, cfg->admin_socket) ||
	    copy_str(&c->cfg.admin_tcp, cfg->admin_tcp) ||
	    copy_str(&c->cfg.admin_token, cfg->admin_token) ||
	    copy_str(&c->cfg.admin_token_file, cfg->admin_token_file) ||
	    copy_str(&c->cfg.agents_listen, cfg->agents_listen) ||
	    copy_str(&c->cfg.tls_ca, cfg->tls_ca) ||
	    copy_str(&c->cfg.tls_cert_key, cfg->tls_cert_key) ||
	    copy_str(&c->cfg.k8s_server, cfg->k8s_server) ||
	    copy_str(&c->cfg.k8s_token_file, cfg->k8s_token_file) ||
	    copy_str(&c->cfg.k8s_ca_file, cfg->k8s_ca_file)) {
		rc = -ENOMEM;
		goto fail;
	}
	if (c->cfg.compile_batch < 1)
		c->cfg.compile_batch = 128;
	rc = ctl_state_init(c);
	if (rc)
		goto fail;
	rc = bw_store_open(&c->store, c->cfg.data_dir, ctl_state_replay, c);
	if (rc) {
		bw_error("cannot open the store | dir=%s err=%s", c->cfg.data_dir, strerror(-rc));
		goto fail;
	}
	rc = ctl_state_load_done(c);
	if (rc)
		goto fail;
	c->ev_compile = evtimer_new(base, ctl_compile_event, c);
	c->ev_flush = event_new(base, -1, EV_PERSIST, on_flush, c);
	c->ev_tick = event_new(base, -1, EV_PERSIST, on_tick, c);
	if (!c->ev_compile || !c->ev_flush || !c->ev_tick) {
		rc = -ENOMEM;
		goto fail;
	}
	tv.tv_sec = c->cfg.sync_ms / 1000;
	tv.tv_usec = (c->cfg.sync_ms % 1000) * 1000;
	event_add(c->ev_flush, &tv);
	tv.tv_sec = 0;
	tv.tv_usec = 250000; /* liveness checks: a quarter of a second is precise enough */
	event_add(c->ev_tick, &tv);
	rc = ctl_channel_new(c);
	if (rc)
		goto fail;
	rc = ctl_api_new(c);
	if (rc)
		goto fail;
	if (c->cfg.k8s_enabled && (rc = ctl_k8s_new(c)))
		goto fail;
	/* Replayed nodes are dirty only once their agents come back. */
	*out = c;
	return 0;
fail:
	bw_controller_free(c);
	return rc;
}

void bw_controller_free(struct bw_controller *c)
{
	if (!c)
		return;
	ctl_k8s_free(c);
	ctl_api_free(c);
	ctl_channel_free(c);
	if (c->ev_compile)
		event_free(c->ev_compile);
	if (c->ev_flush)
		event_free(c->ev_flush);
	if (c->ev_tick)
		event_free(c->ev_tick);
	bw_store_close(c->store);
	ctl_state_fini(c);
	free(c->cfg.data_dir);
	free(c->cfg.admin_socket);
	free(c->cfg.admin_tcp);
	free(c->cfg.admin_token);
	free(c->cfg.admin_token_file);
	free(c->cfg.agents_listen);
	free(c->cfg.tls_ca);
	free(c->cfg.tls_cert_key);
	free(c->cfg.k8s_server);
	free(c->cfg.k8s_token_file);
	free(c->cfg.k8s_ca_file);
	free(c);
}

const char *bw_controller_agents_url(const struct bw_controller *c)
{
	return ctl_channel_url(c);
}

int bw_controller_admin_port(const struct bw_controller *c)
{
	return ctl_api_port(c);
}
