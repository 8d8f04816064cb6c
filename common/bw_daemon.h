/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The command line every daemon shares:
 *   --help, --version, --config FILE, --check-config, --log-level LEVEL,
 *   --KEY=VALUE or --KEY VALUE for any key of the daemon's config table.
 * Flags override the file whatever their order on the line.
 */
#ifndef BW_DAEMON_H
#define BW_DAEMON_H

#include "bw_config.h"

#define BW_VERSION "0.1.0"

struct bw_daemon_desc {
	const char *name;    /* "bulwark-agent" */
	const char *summary; /* one line for --help */
	const struct bw_cfg_field *table;
	void *cfg;		  /* filled with defaults, then file, then flags */
	const char *config_path;  /* default file, used only if it exists; may be NULL */
	/*
	 * Daemon-specific flags without a value (e.g. "--probe"): return 1 if
	 * the flag was consumed, 0 if unknown.  May be NULL.
	 */
	int (*extra_flag)(const char *flag, void *arg);
	void *extra_arg;
	const char *extra_help; /* lines appended to --help; may be NULL */
	/*
	 * Checks what the table cannot express (enumerations, cross-field
	 * rules) once the file and the flags are loaded, also for
	 * --check-config.  Returns 0, or non-zero with "key: what" in err; the
	 * error is printed and parsing ends with BW_DAEMON_EXIT, exit code 2.
	 * May be NULL.
	 */
	int (*check)(void *cfg, char *err, size_t errlen);
};

enum bw_daemon_parse {
	BW_DAEMON_RUN = 0,  /* configuration loaded: run */
	BW_DAEMON_EXIT = 1, /* --help, --version or --check-config done: exit with *exit_code */
};

/*
 * Parses argv and loads the configuration into desc->cfg.  Errors are
 * printed to stderr naming the flag or the file:line:col; then
 * BW_DAEMON_EXIT is returned with *exit_code 2.
 */
int bw_daemon_parse(const struct bw_daemon_desc *desc, int argc, char **argv, int *exit_code);

#endif
