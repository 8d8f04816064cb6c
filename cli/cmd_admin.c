/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until this area lands; replaced by its owner. */
#include <stdio.h>
#include "cli.h"

int cli_cmd_apply(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}

int cli_cmd_get(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}

int cli_cmd_delete(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}

int cli_cmd_posture(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}

int cli_cmd_status(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}
