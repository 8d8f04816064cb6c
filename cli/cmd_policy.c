/* SPDX-License-Identifier: Apache-2.0 */
/* Placeholder until this area lands; replaced by its owner. */
#include <stdio.h>
#include "cli.h"

int cli_cmd_validate(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}

int cli_cmd_compile(int argc, char **argv)
{
	(void)argc;
	fprintf(stderr, "bulwarkctl %s: not available in this build yet\n", argv[0]);
	return 1;
}
