/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw_controller: the controller daemon as a library (controller_core).
 * One object owns the durable store, the in-memory state, the admin HTTP
 * API and the agent channel, all driven by the caller's event_base.
 * bulwark-controller's main.c is a thin wrapper; tests embed it directly.
 */
#ifndef BW_CONTROLLER_H
#define BW_CONTROLLER_H

#include <event2/event.h>

#include "bw_config.h"

struct bw_controller_config {
	char *data_dir;
	char *admin_socket;	/* unix socket path; "" disables */
	char *admin_tcp;	/* "host:port" ("" disables); needs a token */
	char *admin_token;	/* bearer token for TCP */
	char *admin_token_file; /* or read it from this file */
	long long admin_max_body;
	char *agents_listen; /* nng URL: tcp://host:port or tls+tcp://host:port */
	char *tls_ca;	     /* CA bundle that client certificates must chain to */
	char *tls_cert_key;  /* PEM file with the controller's certificate and key */
	int tls_require_client_cert;
	long long heartbeat_ms;
	long long node_timeout_ms;
	long long resend_ms;
	long long sync_ms;
	long long snapshot_bytes;
	long long compile_batch;
	/* Kubernetes mode (bw_k8s.h): policies, pod labels, namespace postures
	 * and node labels from the API server. */
	int k8s_enabled;
	char *k8s_server;     /* "" : in-cluster (KUBERNETES_SERVICE_HOST/PORT) */
	char *k8s_token_file; /* service-account token, re-read per request */
	char *k8s_ca_file;
};

/* The daemon's config table (also used by tests to get defaults). */
extern const struct bw_cfg_field bw_controller_cfg_table[];

struct bw_controller;

/*
 * Opens the store (replaying it), then binds the admin API and the agent
 * listener.  cfg is copied.  *out is written only on success.
 */
int bw_controller_new(struct bw_controller **out, struct event_base *base,
		      const struct bw_controller_config *cfg);
/* Flushes the store and closes everything.  Accepts NULL. */
void bw_controller_free(struct bw_controller *c);

/* The agents' URL as bound (a port of 0 in the config is resolved). */
const char *bw_controller_agents_url(const struct bw_controller *c);
/* The admin TCP port as bound, or 0 when TCP is off. */
int bw_controller_admin_port(const struct bw_controller *c);

#endif
