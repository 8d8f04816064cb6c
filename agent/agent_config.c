/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's settings: the table, and the checks a table cannot express. */
#include "agent.h"
#include "events.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define F(key, type, member, min, max, def, help)                                                  \
	{                                                                                          \
		key, type, offsetof(struct bw_agent_config, member), min, max, def, help           \
	}

const struct bw_cfg_field bw_agent_config_table[] = {
    F("node-name", BW_CFG_STRING, node_name, 0, 0, NULL,
      "this node's name in the controller and in events (default: the host name)"),
    F("node-labels", BW_CFG_KV, node_labels, 0, 0, "",
      "labels host policies select on (kubearmor.io/hostname is always set)"),
    F("cluster-name", BW_CFG_STRING, cluster_name, 0, 0, "default", "ClusterName in every event"),
    F("controller.url", BW_CFG_STRING, controller_url, 0, 0, "tcp://127.0.0.1:7600",
      "the controller's agent channel (nng URL); empty: no controller"),
    F("relay.urls", BW_CFG_STRING, relay_urls, 0, 0, "tcp://127.0.0.1:4790",
      "relays to ship events to, comma-separated nng URLs; empty: none (events dropped, counted)"),
    F("enforcer.prefer", BW_CFG_STRING, enforcer, 0, 0, "auto",
      "auto, bpflsm, apparmor, cgroup or none"),
    F("enforcer.pin-dir", BW_CFG_STRING, pin_dir, 0, 0, "/sys/fs/bpf/bulwark",
      "bpffs directory where enforcement is pinned (survives agent restarts)"),
    F("visibility.containers", BW_CFG_STRING, visibility, 0, 0, "process,file,network,capabilities",
      "logs kept for containers: process,file,network,capabilities or none"),
    F("visibility.host", BW_CFG_STRING, host_visibility, 0, 0, "process,network",
      "logs kept for host processes, same syntax"),
    F("throttle.enabled", BW_CFG_BOOL, throttle, 0, 0, "true", "throttle alerts per container"),
    F("throttle.alerts-per-second", BW_CFG_INT, throttle_alerts, 1, 1000000, "10",
      "alerts per container and second before throttling starts"),
    F("throttle.period", BW_CFG_DURATION, throttle_period_ms, 1000, 3600000, "30s",
      "silence after a container hit the limit"),
    F("buffer.size", BW_CFG_SIZE, buffer_bytes, 64 << 10, 4LL << 30, "16m",
      "memory for events not yet acknowledged by a relay; overflow is counted"),
    F("buffer.batch-events", BW_CFG_INT, batch_events, 1, 65536, "256",
      "events per batch sent to the relay"),
    F("monitor.ringbuf-size", BW_CFG_SIZE, ringbuf_bytes, 64 << 10, 1LL << 30, "8m",
      "the eBPF monitor's ring buffer (a power of two)"),
    F("monitor.failed-execs", BW_CFG_BOOL, mon_failed_execs, 0, 0, "false",
      "also log execs that fail (process visibility); costs every syscall on the node the "
      "kernel's slow syscall-tracing path (+10% on an open/close loop, bench/run monitor)"),
    F("monitor.setid-calls", BW_CFG_BOOL, mon_setid, 0, 0, "false",
      "also log setuid/setgid calls (process visibility); same cost as monitor.failed-execs"),
    F("stats-interval", BW_CFG_DURATION, stats_interval_ms, 0, 86400000, "60s",
      "how often counters are logged; 0: never"),
    F("containers.runc-root", BW_CFG_STRING, runc_root, 0, 0, "/run/runc",
      "runc's state directory"),
    F("containers.containerd-root", BW_CFG_STRING, containerd_root, 0, 0, "/run/containerd/runc",
      "containerd's runc state (one directory per namespace)"),
    F("log-level", BW_CFG_STRING, log_level, 0, 0, NULL,
      "debug, info, warn or error (the --log-level flag wins)"),
    F("health.status-file", BW_CFG_STRING, status_file, 0, 0, "/run/bulwark/agent.status",
      "status the agent rewrites for --health (exec probes); empty: none"),
    F("health.interval", BW_CFG_DURATION, health_interval_ms, 1000, 600000, "5s",
      "how often the status is rewritten; --health fails after 3 missed"),
    BW_CFG_END,
};

static int check_url(const char *key, const char *url, int allow_empty, char *err, size_t errlen)
{
	static const char *const schemes[] = {"tcp://",	    "tcp4://", "tcp6://",
					      "tls+tcp://", "ipc://",  "inproc://"};

	if (!*url) {
		if (allow_empty)
			return 0;
		snprintf(err, errlen, "%s: must not be empty", key);
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (strncmp(url, schemes[i], strlen(schemes[i])) == 0 &&
		    url[strlen(schemes[i])] != '\0')
			return 0;
	snprintf(err, errlen, "%s: '%s' is not an nng URL (tcp://HOST:PORT, tls+tcp://, ipc://)",
		 key, url);
	return -EINVAL;
}

int bw_agent_config_check(struct bw_agent_config *cfg, char *err, size_t errlen)
{
	static const char *const enforcers[] = {"auto", "bpflsm", "apparmor", "cgroup", "none"};
	char sub[256];
	unsigned vis;
	int n_relays;
	size_t i;
	int rc;

	if (!cfg->node_name || !*cfg->node_name) {
		char host[256];

		if (gethostname(host, sizeof(host)) || !host[0]) {
			snprintf(err, errlen, "node-name: unset and the host name is unknown");
			return -EINVAL;
		}
		host[sizeof(host) - 1] = '\0';
		free(cfg->node_name);
		cfg->node_name = strdup(host);
		if (!cfg->node_name)
			return -ENOMEM;
	}
	for (const char *p = cfg->node_name; *p; p++) {
		/* Node names end up in stream entries and URLs: keep them tame. */
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_')) {
			snprintf(err, errlen,
				 "node-name: '%s' may hold only letters, digits, '-', '.' and '_'",
				 cfg->node_name);
			return -EINVAL;
		}
	}
	if (strlen(cfg->node_name) > 253) {
		snprintf(err, errlen, "node-name: longer than 253 characters");
		return -EINVAL;
	}
	for (i = 0; i < sizeof(enforcers) / sizeof(enforcers[0]); i++)
		if (strcmp(cfg->enforcer, enforcers[i]) == 0)
			break;
	if (i == sizeof(enforcers) / sizeof(enforcers[0])) {
		snprintf(err, errlen,
			 "enforcer.prefer: '%s' is not one of auto, bpflsm, apparmor, cgroup, none",
			 cfg->enforcer);
		return -EINVAL;
	}
	rc = bw_visibility_parse(cfg->visibility, &vis, sub, sizeof(sub));
	if (rc < 0) {
		snprintf(err, errlen, "visibility.containers: %s", sub);
		return rc;
	}
	rc = bw_visibility_parse(cfg->host_visibility, &vis, sub, sizeof(sub));
	if (rc < 0) {
		snprintf(err, errlen, "visibility.host: %s", sub);
		return rc;
	}
	rc = check_url("controller.url", cfg->controller_url, 1, err, errlen);
	if (rc)
		return rc;
	/* Each relay URL on its own, so the error names the bad one. */
	n_relays = 0;
	for (const char *p = cfg->relay_urls; *p;) {
		size_t n = strcspn(p, ",");
		char one[512];

		snprintf(one, sizeof(one), "%.*s", (int)n, p);
		rc = check_url("relay.urls", one, 0, err, errlen);
		if (rc)
			return rc;
		if (++n_relays > BW_AGENT_MAX_RELAYS) {
			snprintf(err, errlen, "relay.urls: more than %d relays",
				 BW_AGENT_MAX_RELAYS);
			return -EINVAL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (cfg->ringbuf_bytes & (cfg->ringbuf_bytes - 1)) {
		snprintf(err, errlen, "monitor.ringbuf-size: %lld is not a power of two",
			 cfg->ringbuf_bytes);
		return -EINVAL;
	}
	if (!*cfg->pin_dir || cfg->pin_dir[0] != '/') {
		snprintf(err, errlen, "enforcer.pin-dir: '%s' must be an absolute path",
			 cfg->pin_dir);
		return -EINVAL;
	}
	if (cfg->log_level && *cfg->log_level && strcmp(cfg->log_level, "debug") != 0 &&
	    strcmp(cfg->log_level, "info") != 0 && strcmp(cfg->log_level, "warn") != 0 &&
	    strcmp(cfg->log_level, "error") != 0) {
		snprintf(err, errlen, "log-level: '%s' is not one of debug, info, warn, error",
			 cfg->log_level);
		return -EINVAL;
	}
	return 0;
}
