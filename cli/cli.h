/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl subcommands.  Each returns the process exit code:
 * 0 success, 1 the request failed or input was invalid, 2 usage error.
 * argv[0] is the subcommand name.
 */
#ifndef BW_CLI_H
#define BW_CLI_H

int cli_cmd_validate(int argc, char **argv); /* cmd_policy.c */
int cli_cmd_compile(int argc, char **argv);  /* cmd_policy.c */
int cli_cmd_apply(int argc, char **argv);    /* cmd_admin.c */
int cli_cmd_get(int argc, char **argv);	     /* cmd_admin.c */
int cli_cmd_delete(int argc, char **argv);   /* cmd_admin.c */
int cli_cmd_posture(int argc, char **argv);  /* cmd_admin.c */
int cli_cmd_status(int argc, char **argv);   /* cmd_admin.c */
int cli_cmd_logs(int argc, char **argv);     /* cmd_logs.c */
int cli_cmd_probe(int argc, char **argv);    /* cmd_probe.c */

#endif
