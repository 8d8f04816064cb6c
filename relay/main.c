/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark-relay: agents' events into Redis Streams (see relay.h). */
#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "bw_daemon.h"
#include "bw_log.h"
#include "bw_loop.h"
#include "relay.h"

int main(int argc, char **argv)
{
	struct bw_relay_config cfg;
	struct bw_daemon_desc desc = {
	    .name = "bulwark-relay",
	    .summary = "agents' alerts and logs into Redis Streams, at least once",
	    .table = bw_relay_config_table,
	    .cfg = &cfg,
	    .config_path = "/etc/bulwark/relay.yaml",
	};
	struct event_base *base = NULL;
	struct bw_signals *sig = NULL;
	struct bw_relay *relay = NULL;
	char err[512];
	int code = 1, rc;

	memset(&cfg, 0, sizeof(cfg));
	bw_log_set_component("relay");
	if (bw_daemon_parse(&desc, argc, argv, &code) == BW_DAEMON_EXIT)
		goto cleanup;
	code = 1;
	base = event_base_new();
	if (!base || bw_signals_new(&sig, base)) {
		bw_error("cannot set up the event loop");
		goto cleanup;
	}
	rc = bw_relay_new(&relay, base, &cfg, err, sizeof(err));
	if (rc) {
		bw_error("cannot start | err=\"%s\"", err);
		goto cleanup;
	}
	bw_info("started | version=%s redis=%s spool=%s", BW_VERSION, cfg.redis, cfg.spool_dir);
	event_base_dispatch(base);
	/* XADDs in flight get their replies and acks before we go */
	bw_relay_quiesce(relay, 5000);
	code = 0;
cleanup:
	bw_relay_free(relay);
	bw_signals_free(sig);
	if (base)
		event_base_free(base);
	bw_cfg_free(bw_relay_config_table, &cfg);
	return code;
}
