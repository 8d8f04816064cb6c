/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark-agent: command line, event loop, signals; the work is in agent.c. */
#include <stdio.h>
#include <string.h>

#include "agent.h"
#include "bw_daemon.h"
#include "bw_log.h"
#include "bw_loop.h"

struct flags {
	int probe;
	int health;
};

/* bw_daemon_parse calls this with arg NULL on its second pass: only report. */
static int extra_flag(const char *flag, void *arg)
{
	struct flags *f = arg;
	int *which;

	if (strcmp(flag, "--probe") == 0)
		which = f ? &f->probe : NULL;
	else if (strcmp(flag, "--health") == 0)
		which = f ? &f->health : NULL;
	else
		return 0;
	if (which)
		*which = 1;
	return 1;
}

static int check(void *cfg, char *err, size_t errlen)
{
	return bw_agent_config_check(cfg, err, errlen);
}

static int log_level_flag_given(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], "--log-level", 11) == 0)
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bw_agent_config cfg = {0};
	struct flags flags = {0};
	struct bw_daemon_desc desc = {
	    .name = "bulwark-agent",
	    .summary = "Bulwark's node agent: container-aware eBPF monitor and enforcer",
	    .table = bw_agent_config_table,
	    .cfg = &cfg,
	    .config_path = "/etc/bulwark/agent.yaml",
	    .extra_flag = extra_flag,
	    .extra_arg = &flags,
	    .extra_help =
		"  --probe                        print which enforcers this node can run, "
		"exit\n"
		"  --health                       check the agent running on this node (exec "
		"probes):\n"
		"                                 exit 0 if healthy, else 1 with the reason\n",
	    .check = check,
	};
	struct event_base *base = NULL;
	struct bw_signals *sig = NULL;
	struct bw_agent *agent = NULL;
	int code, rc;

	bw_log_set_component("agent");
	if (bw_daemon_parse(&desc, argc, argv, &code) == BW_DAEMON_EXIT) {
		bw_cfg_free(bw_agent_config_table, &cfg);
		return code;
	}
	if (cfg.log_level && *cfg.log_level && !log_level_flag_given(argc, argv))
		bw_log_set_level_name(cfg.log_level);
	if (flags.probe) {
		code = bw_agent_probe(stdout);
		goto cleanup;
	}
	if (flags.health) {
		char msg[512];

		code = bw_agent_health(cfg.status_file, msg, sizeof(msg));
		printf("%s\n", msg);
		goto cleanup;
	}

	code = 1;
	base = event_base_new();
	if (!base) {
		bw_error("cannot create the event loop");
		goto cleanup;
	}
	rc = bw_signals_new(&sig, base);
	if (rc) {
		bw_error("cannot install signal handlers | err=%s", strerror(-rc));
		goto cleanup;
	}
	rc = bw_agent_new(&agent, base, &cfg);
	if (rc) {
		bw_error("agent did not start | err=%s", strerror(-rc));
		goto cleanup;
	}
	event_base_dispatch(base);
	bw_agent_drain(agent, 2000);
	bw_agent_log_stats(agent);
	code = 0;
cleanup:
	if (agent) {
		bw_agent_free(agent);
		bw_info("agent stopped; enforcement stays pinned for the next agent");
	}
	bw_signals_free(sig);
	if (base)
		event_base_free(base);
	bw_cfg_free(bw_agent_config_table, &cfg);
	return code;
}
