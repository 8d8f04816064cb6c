/* SPDX-License-Identifier: Apache-2.0 */
/* bulwark-controller: stores policies and inventory, pushes compiled policy to agents. */
#include "bw_daemon.h"
#include "bw_log.h"
#include "bw_loop.h"
#include "controller.h"

#include <string.h>

int main(int argc, char **argv)
{
	struct bw_controller_config cfg;
	struct bw_daemon_desc desc = {
	    .name = "bulwark-controller",
	    .summary = "stores Bulwark policies and inventory, compiles and pushes per-node "
		       "policy to agents",
	    .table = bw_controller_cfg_table,
	    .cfg = &cfg,
	    .config_path = "/etc/bulwark/controller.yaml",
	};
	struct bw_controller *c = NULL;
	struct bw_signals *sig = NULL;
	struct event_base *base = NULL;
	int code, rc;

	memset(&cfg, 0, sizeof(cfg));
	bw_log_set_component("controller");
	if (bw_daemon_parse(&desc, argc, argv, &code) == BW_DAEMON_EXIT)
		goto cleanup;
	code = 1;
	base = event_base_new();
	if (!base || bw_signals_new(&sig, base))
		goto cleanup;
	rc = bw_controller_new(&c, base, &cfg);
	if (rc) {
		bw_error("controller failed to start | err=%s", strerror(-rc));
		goto cleanup;
	}
	bw_info("controller running | data_dir=%s", cfg.data_dir);
	event_base_dispatch(base);
	code = 0;
cleanup:
	bw_controller_free(c);
	bw_signals_free(sig);
	if (base)
		event_base_free(base);
	bw_cfg_free(bw_controller_cfg_table, &cfg);
	return code;
}
