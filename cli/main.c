/* SPDX-License-Identifier: Apache-2.0 */
/* bulwarkctl: the command line for Bulwark's controller, policies and alerts. */
#include <stdio.h>
#include <string.h>

#include "bw_daemon.h"
#include "cli.h"

struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
};

static const struct command commands[] = {
	{ "validate", cli_cmd_validate, "validate policy files: validate FILE|DIR..." },
	{ "compile", cli_cmd_compile,
	  "show the compiled rules: compile --inventory INV.yaml FILE|DIR..." },
	{ "apply", cli_cmd_apply, "store policies in the controller: apply -f FILE|DIR" },
	{ "get", cli_cmd_get, "list: get policies|nodes|containers [-o json|yaml|wide]" },
	{ "delete", cli_cmd_delete, "delete a policy: delete KIND [NAMESPACE/]NAME | -f FILE" },
	{ "posture", cli_cmd_posture, "show or set a namespace's default posture" },
	{ "status", cli_cmd_status, "controller, nodes and enforcers at a glance" },
	{ "logs", cli_cmd_logs, "read alerts and logs from Redis: logs [-f] [--json] ..." },
	{ "probe", cli_cmd_probe, "which enforcer this node can run, and what it cannot enforce" },
};

static void usage(FILE *out)
{
	fprintf(out, "bulwarkctl %s: manage Bulwark policies, nodes and alerts\n\n", BW_VERSION);
	fprintf(out, "usage: bulwarkctl COMMAND [ARGS]  (bulwarkctl COMMAND --help for more)\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nglobal flags for controller commands: --socket PATH | --server URL --token T\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("bulwarkctl %s\n", BW_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "bulwarkctl: unknown command '%s' (see bulwarkctl --help)\n", argv[1]);
	return 2;
}
