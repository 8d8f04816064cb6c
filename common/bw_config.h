/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Config tables: each daemon describes its settings once, as an array of
 * bw_cfg_field (key, type, bounds, default, help), and gets from that a YAML
 * file loader, command-line overrides (--key=value) and --help text.
 *
 * YAML files are mappings; nested mappings give dotted keys
 * ("redis:\n  host: x" sets "redis.host").  A key of type BW_CFG_KV takes a
 * mapping of strings and stores it as "k=v,k=v".  In keys, '-' and '_' are
 * the same character ("data-dir" finds "data_dir" and the reverse).
 */
#ifndef BW_CONFIG_H
#define BW_CONFIG_H

#include <stddef.h>
#include <stdio.h>

enum bw_cfg_type {
	BW_CFG_STRING,	/* char *, owned by the config struct */
	BW_CFG_INT,	/* long long, within [min, max] */
	BW_CFG_BOOL,	/* int: true/false/yes/no/on/off/1/0 */
	BW_CFG_DURATION, /* long long milliseconds: "500ms", "3s", "2m", "1h" or a bare number of ms */
	BW_CFG_SIZE,	/* long long bytes: "64k", "16m", "1g" or a bare number */
	BW_CFG_KV,	/* char * "k=v,k=v" from a YAML mapping or the same text */
};

struct bw_cfg_field {
	const char *key;
	enum bw_cfg_type type;
	size_t offset; /* offsetof(struct my_config, member) */
	long long min, max; /* bounds for INT, DURATION, SIZE; ignored when both 0 */
	const char *def; /* default, parsed like a value from a file; NULL: unset */
	const char *help;
	unsigned flags; /* BW_CFG_F_* */
};

/* The value is a secret (password, token): --check-config prints "<hidden>". */
#define BW_CFG_F_SECRET 0x1u

#define BW_CFG_END { NULL, 0, 0, 0, 0, NULL, NULL, 0 }

/* Sets every field to its default.  Returns 0 or -EINVAL (bad table). */
int bw_cfg_defaults(const struct bw_cfg_field *table, void *cfg, char *err, size_t errlen);

/*
 * Loads a YAML file over the current values.  On error returns negative
 * errno and writes "path:line:col: what" into err; fields already set stay
 * as they were before the call only for the failing key, so callers treat
 * any error as fatal.
 */
int bw_cfg_load_file(const struct bw_cfg_field *table, void *cfg, const char *path, char *err,
		     size_t errlen);

/* Sets one key from text; origin (e.g. "--listen") prefixes the error. */
int bw_cfg_set(const struct bw_cfg_field *table, void *cfg, const char *key, const char *value,
	       const char *origin, char *err, size_t errlen);

const struct bw_cfg_field *bw_cfg_find(const struct bw_cfg_field *table, const char *key);

/* Frees the strings the table owns in cfg; cfg itself belongs to the caller. */
void bw_cfg_free(const struct bw_cfg_field *table, void *cfg);

void bw_cfg_print_help(const struct bw_cfg_field *table, FILE *out);

/*
 * Prints the effective configuration, one "key: value" a line.  Secrets are
 * not printed, nor the password part of a "scheme://user:password@host" URL.
 */
void bw_cfg_dump(const struct bw_cfg_field *table, const void *cfg, FILE *out);

#endif
