/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl probe: which enforcer this node can run (BPF-LSM, AppArmor,
 * cgroup-BPF fallback) and what the chosen one cannot enforce.  Runs the
 * agent's own probe, so it answers for the machine it runs on.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "probe.h"

int cli_cmd_probe(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf(
			    "usage: bulwarkctl probe\n"
			    "  Prints the active LSMs, whether BPF-LSM, AppArmor and the "
			    "cgroup-BPF\n"
			    "  fallback can run here (and why not), the enforcer the agent picks\n"
			    "  with enforcer=auto and what it cannot enforce.  Needs root.\n"
			    "  Exit 0 when a kernel enforcer can run, 1 when none can.\n");
			return 0;
		}
		fprintf(stderr, "bulwarkctl probe: unexpected argument '%s' (try --help)\n",
			argv[i]);
		return 2;
	}
	if (geteuid() != 0)
		fprintf(stderr,
			"bulwarkctl probe: not root: BPF and securityfs checks will fail\n");
	return bw_probe_print(stdout);
}
