/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Health for exec probes (Kubernetes readiness/liveness, Docker HEALTHCHECK).
 *
 * A probe is a new process, so it cannot ask the agent's loop directly
 * without a socket nobody else needs.  Instead the running agent rewrites a
 * small status file (health.status-file) every health.interval from its
 * event loop, and `bulwark-agent --health` judges that file:
 *
 *   - it exists and names a pid that is alive and is the same process that
 *     wrote it (its start time in /proc matches: a reused pid is not it);
 *   - it is fresh: rewritten within 3 intervals, so a loop that hangs (a
 *     stuck BPF attach, a busy loop) turns the probe red even though the
 *     process is alive;
 *   - the agent is running (not draining for a stop), its eBPF monitor is
 *     attached and an enforcer (possibly "none", when configured) is up.
 *
 * Controller and relay connections are reported but do not make the agent
 * unhealthy: enforcement and event buffering go on without them, and a
 * liveness probe that restarted every agent during a controller outage
 * would drop what they buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent_client.h"
#include "agent_int.h"
#include "bw_log.h"
#include "bw_time.h"
#include "containers_int.h"

#define STATUS_MAX 4096

/* mkdir -p of path's parent directory. */
static int make_parent(const char *path)
{
	char dir[4096];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -ENAMETOOLONG;
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int bw_agent_status_write(struct bw_agent *a, const char *state)
{
	const char *path = a->cfg.status_file;
	char tmp[4200], buf[STATUS_MAX];
	struct bw_shipper_stats ss = {0};
	int fd, n, rc = 0;

	if (!path || !*path)
		return 0;
	if (a->ship)
		bw_shipper_stats(a->ship, &ss);
	n = snprintf(buf, sizeof(buf),
		     "# bulwark-agent status, rewritten every interval_ms; read by "
		     "bulwark-agent --health\n"
		     "pid=%d\nstart_ticks=%" PRIu64 "\nboot=%016" PRIx64
		     "\nupdated_mono_ns=%" PRIu64
		     "\ninterval_ms=%lld\nstate=%s\nmonitor=%s\nenforcer=%s\ncontroller=%s\n"
		     "relay=%s\npolicy_version=%" PRIu64 "\n",
		     (int)getpid(), bw_ctr_pid_start_ticks("/proc", (uint32_t)getpid()), a->boot_id,
		     bw_mono_ns(), a->cfg.health_interval_ms, state, a->mon ? "ok" : "off",
		     a->enf ? a->enf->ops->name : "-",
		     !a->ctl			      ? "none"
		     : bw_ctlclient_connected(a->ctl) ? "connected"
						      : "disconnected",
		     !a->ship	    ? "none"
		     : ss.connected ? "connected"
				    : "disconnected",
		     a->st.applied_version);
	if (n < 0 || n >= (int)sizeof(buf) ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 && errno == ENOENT && make_parent(path) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
	} else {
		/* Whole or nothing: a probe never reads half a file. */
		if (write(fd, buf, (size_t)n) != n)
			rc = errno ? -errno : -EIO;
		if (close(fd) && !rc)
			rc = -errno;
		if (!rc && rename(tmp, path))
			rc = -errno;
		if (rc)
			unlink(tmp);
	}
	if (rc && !a->status_warned) {
		bw_warn("health status file not written; --health will fail | path=%s err=%s", path,
			strerror(-rc));
		a->status_warned = 1;
	} else if (!rc && a->status_warned) {
		bw_info("health status file written again | path=%s", path);
		a->status_warned = 0;
	}
	a->last_status_ns = bw_mono_ns();
	return rc;
}

void bw_agent_status_remove(struct bw_agent *a)
{
	if (a->cfg.status_file && *a->cfg.status_file)
		unlink(a->cfg.status_file);
}

/* The value of "key=" in text, copied into out; 0 or -ENOENT. */
static int field(const char *text, const char *key, char *out, size_t len)
{
	size_t kl = strlen(key);

	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, key, kl) || p[kl] != '=') {
			p = nl ? nl + 1 : NULL;
			continue;
		}
		const char *v = p + kl + 1;
		size_t vl = strcspn(v, "\n");

		if (vl >= len)
			vl = len - 1;
		memcpy(out, v, vl);
		out[vl] = '\0';
		return 0;
	}
	return -ENOENT;
}

static int field_u64(const char *text, const char *key, uint64_t *out)
{
	char buf[32], *end;

	if (field(text, key, buf, sizeof(buf)) || !buf[0])
		return -ENOENT;
	errno = 0;
	*out = strtoull(buf, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

int bw_agent_health_check(const char *text, const char *proc_root, uint64_t now_mono_ns, char *msg,
			  size_t len)
{
	uint64_t pid, ticks, updated, interval, version = 0;
	char state[16], mon[16], enf[32], ctl[16], relay[16];

	if (field_u64(text, "pid", &pid) || field_u64(text, "start_ticks", &ticks) ||
	    field_u64(text, "updated_mono_ns", &updated) ||
	    field_u64(text, "interval_ms", &interval) ||
	    field(text, "state", state, sizeof(state)) ||
	    field(text, "monitor", mon, sizeof(mon)) || field(text, "enforcer", enf, sizeof(enf)) ||
	    pid == 0 || pid > INT32_MAX || interval == 0) {
		snprintf(msg, len,
			 "unhealthy: status is malformed (needs pid, start_ticks, "
			 "updated_mono_ns, interval_ms, state, monitor, enforcer)");
		return 1;
	}
	if (field(text, "controller", ctl, sizeof(ctl)))
		strcpy(ctl, "-");
	if (field(text, "relay", relay, sizeof(relay)))
		strcpy(relay, "-");
	field_u64(text, "policy_version", &version);

	/* Alive, and the same process: a pid is reused after a crash. */
	uint64_t now_ticks = bw_ctr_pid_start_ticks(proc_root, (uint32_t)pid);
	if (!now_ticks) {
		snprintf(msg, len,
			 "unhealthy: agent pid %" PRIu64 " is not running (crashed or "
			 "killed; the status file is left over)",
			 pid);
		return 1;
	}
	if (ticks && now_ticks != ticks) {
		snprintf(msg, len,
			 "unhealthy: pid %" PRIu64 " is another process now (the agent "
			 "that wrote the status is gone)",
			 pid);
		return 1;
	}
	uint64_t limit = 3 * interval * (uint64_t)1000000;
	uint64_t age = now_mono_ns > updated ? now_mono_ns - updated : 0;
	if (age > limit) {
		snprintf(msg, len,
			 "unhealthy: status not rewritten for %" PRIu64 " s (limit %" PRIu64
			 " s): the agent's loop is stuck",
			 age / 1000000000, limit / 1000000000);
		return 1;
	}
	if (strcmp(state, "running")) {
		snprintf(msg, len, "unhealthy: agent is %s", state);
		return 1;
	}
	if (strcmp(mon, "ok")) {
		snprintf(msg, len, "unhealthy: eBPF monitor is not attached (monitor=%s)", mon);
		return 1;
	}
	if (!strcmp(enf, "-") || !enf[0]) {
		snprintf(msg, len, "unhealthy: no enforcer is running");
		return 1;
	}
	snprintf(msg, len,
		 "healthy: pid=%" PRIu64 " enforcer=%s monitor=%s controller=%s relay=%s "
		 "policy=%" PRIu64 " age=%" PRIu64 "s",
		 pid, enf, mon, ctl, relay, version, age / 1000000000);
	return 0;
}

int bw_agent_health(const char *status_file, char *msg, size_t len)
{
	char text[STATUS_MAX];
	ssize_t n;
	int fd;

	if (!status_file || !*status_file) {
		snprintf(msg, len, "unhealthy: health.status-file is empty (status disabled)");
		return 1;
	}
	fd = open(status_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(msg, len, "unhealthy: cannot read %s: %s%s", status_file, strerror(errno),
			 errno == ENOENT ? " (agent not running or not started yet)" : "");
		return 1;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		snprintf(msg, len, "unhealthy: cannot read %s: %s", status_file, strerror(errno));
		return 1;
	}
	text[n] = '\0';
	return bw_agent_health_check(text, "/proc", bw_mono_ns(), msg, len);
}
