/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_daemon.h"
#include "bw_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void print_help(const struct bw_daemon_desc *d)
{
	printf("%s %s: %s\n\n", d->name, BW_VERSION, d->summary);
	printf("usage: %s [--config FILE] [--check-config] [--KEY=VALUE ...]\n\n", d->name);
	printf("  --help                         show this help and exit\n");
	printf("  --version                      print the version and exit\n");
	printf("  --config FILE                  YAML configuration file%s%s%s\n",
	       d->config_path ? " (default: " : "", d->config_path ? d->config_path : "",
	       d->config_path ? ", if present)" : "");
	printf("  --check-config                 validate the configuration, print it, exit\n");
	printf("  --log-level LEVEL              debug, info, warn or error (default: info)\n");
	if (d->extra_help)
		printf("%s", d->extra_help);
	printf("\nsettings (in the config file as YAML, or as flags):\n");
	bw_cfg_print_help(d->table, stdout);
}

/* Splits "--key=value" / "--key value"; returns the index of the last argv used. */
static int flag_value(int argc, char **argv, int i, char *key, size_t keylen, const char **value)
{
	const char *arg = argv[i] + 2;
	const char *eq = strchr(arg, '=');

	if (eq) {
		snprintf(key, keylen, "%.*s", (int)(eq - arg), arg);
		*value = eq + 1;
		return i;
	}
	snprintf(key, keylen, "%s", arg);
	if (i + 1 >= argc) {
		*value = NULL;
		return i;
	}
	*value = argv[i + 1];
	return i + 1;
}

int bw_daemon_parse(const struct bw_daemon_desc *d, int argc, char **argv, int *exit_code)
{
	const char *config = NULL, *log_level = NULL;
	int check = 0, rc;
	char err[1024];

	*exit_code = 2;
	if (bw_cfg_defaults(d->table, d->cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: internal error in defaults: %s\n", d->name, err);
		return BW_DAEMON_EXIT;
	}

	/* First pass: flags that decide what to do and where the file is. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			print_help(d);
			*exit_code = 0;
			return BW_DAEMON_EXIT;
		}
		if (strcmp(a, "--version") == 0) {
			printf("%s %s\n", d->name, BW_VERSION);
			*exit_code = 0;
			return BW_DAEMON_EXIT;
		}
		if (strcmp(a, "--check-config") == 0) {
			check = 1;
		} else if (strncmp(a, "--config", 8) == 0 && (a[8] == '\0' || a[8] == '=')) {
			char key[64];

			i = flag_value(argc, argv, i, key, sizeof(key), &config);
			if (!config) {
				fprintf(stderr, "%s: --config needs a file\n", d->name);
				return BW_DAEMON_EXIT;
			}
		} else if (strncmp(a, "--log-level", 11) == 0 && (a[11] == '\0' || a[11] == '=')) {
			char key[64];

			i = flag_value(argc, argv, i, key, sizeof(key), &log_level);
			if (!log_level || bw_log_set_level_name(log_level)) {
				fprintf(stderr, "%s: --log-level must be debug, info, warn or error\n",
					d->name);
				return BW_DAEMON_EXIT;
			}
		} else if (d->extra_flag && d->extra_flag(a, d->extra_arg)) {
			continue;
		} else if (strncmp(a, "--", 2) == 0) {
			char key[128];
			const char *v;

			i = flag_value(argc, argv, i, key, sizeof(key), &v);
			(void)v; /* applied in the second pass */
		} else {
			fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", d->name, a);
			return BW_DAEMON_EXIT;
		}
	}

	if (!config && d->config_path && access(d->config_path, R_OK) == 0)
		config = d->config_path;
	if (config) {
		rc = bw_cfg_load_file(d->table, d->cfg, config, err, sizeof(err));
		if (rc) {
			fprintf(stderr, "%s: %s\n", d->name, err);
			return BW_DAEMON_EXIT;
		}
	}

	/* Second pass: table keys as flags override the file. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		char key[128], origin[160];

		if (strncmp(a, "--", 2) != 0 || strcmp(a, "--check-config") == 0 ||
		    strcmp(a, "--help") == 0 || strcmp(a, "--version") == 0)
			continue;
		if (d->extra_flag && d->extra_flag(a, NULL))
			continue;
		i = flag_value(argc, argv, i, key, sizeof(key), &v);
		if (strcmp(key, "config") == 0 || strcmp(key, "log-level") == 0)
			continue;
		snprintf(origin, sizeof(origin), "--%s", key);
		if (!bw_cfg_find(d->table, key)) {
			fprintf(stderr, "%s: unknown flag '--%s' (see --help)\n", d->name, key);
			return BW_DAEMON_EXIT;
		}
		if (!v) {
			fprintf(stderr, "%s: --%s needs a value\n", d->name, key);
			return BW_DAEMON_EXIT;
		}
		if (bw_cfg_set(d->table, d->cfg, key, v, origin, err, sizeof(err))) {
			fprintf(stderr, "%s: %s\n", d->name, err);
			return BW_DAEMON_EXIT;
		}
	}

	if (d->check && d->check(d->cfg, err, sizeof(err))) {
		fprintf(stderr, "%s: %s\n", d->name, err);
		return BW_DAEMON_EXIT;
	}
	if (check) {
		printf("# %s: configuration is valid", d->name);
		if (config)
			printf(" (%s)", config);
		printf("\n");
		bw_cfg_dump(d->table, d->cfg, stdout);
		*exit_code = 0;
		return BW_DAEMON_EXIT;
	}
	*exit_code = 0;
	return BW_DAEMON_RUN;
}
