/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by the admin commands (cmd_admin.c): reaching the controller's
 * admin API (admin_client.c) and printing its answers kubectl-style
 * (admin_output.c).  Internal to bulwarkctl.
 */
#ifndef BW_CLI_ADMIN_H
#define BW_CLI_ADMIN_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "http_client.h"

#define DEFAULT_SOCKET "/run/bulwark/controller.sock"
#define TIMEOUT_MS 30000
/* Files read for a request (policies, tokens); the controller limits bodies too. */
#define ADM_FILE_MAX ((size_t)1 << 30)

/* Where the controller is: a unix socket path or http://host:port. */
struct conn {
	const char *target;
	char *token; /* owned; NULL without a token */
};

enum out_fmt { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_YAML };

/* A table: rows of cells, columns padded to the widest cell (kubectl style). */
struct table {
	char ***rows;
	size_t nrows, ncols;
};

/* ---- admin_client.c ---- */
/*
 * Takes --socket/--server/--token/--token-file (and the environment) out
 * of argv into c, compacting argv.  The new argc, or -1 after printing a
 * usage error.
 */
int adm_parse_conn(int argc, char **argv, struct conn *c);
/* Prints the controller's error object for a failed request; returns 1. */
int adm_report_error(const struct bw_http_resp *r, const char *what);
/*
 * One request (body of len bytes is JSON, or NULL).  0 on a 2xx answer,
 * with *out (when out is not NULL) the parsed body for the caller to free;
 * otherwise 1 after printing why, what naming the request.
 */
int adm_call(struct conn *c, const char *method, const char *path, const char *body, size_t len,
	     const char *what, cJSON **out);
/* s percent-encoded for a URL path segment; the caller frees it (NULL: no memory). */
char *adm_urlenc(const char *s);

/* ---- admin_output.c ---- */
/* The string member k of o; "" when absent or not a string. */
const char *adm_jstr(const cJSON *o, const char *k);
/* The number member k of o; 0 when absent or not a number. */
double adm_jnum(const cJSON *o, const char *k);
/* v as YAML into f, indented by indent; in_seq: v is an item of a sequence. */
void adm_yaml_emit(FILE *f, const cJSON *v, int indent, int in_seq);
/* One document as JSON or YAML on stdout. */
void adm_print_doc(const cJSON *v, enum out_fmt fmt);
/* Appends a row of t->ncols cells, copied (empty or NULL cells print as <none>). */
void adm_table_add(struct table *t, const char *const *cells);
/* Prints t on stdout with padded columns, then frees its rows. */
void adm_table_print(struct table *t);
/* Time since an RFC 3339 timestamp as "42s", "5m", "3h" or "2d" ("never" when
 * empty or unparsable), into buf of len bytes. */
void adm_age(const char *rfc3339, char *buf, size_t len);
/* s lower-cased (ASCII) into dst of len bytes, NUL-terminated. */
void adm_lower(char *dst, const char *s, size_t len);
/* An object as "k=v,k=v" (a member that is not a string: just "k"); the
 * caller frees it (NULL: no memory). */
char *adm_join_obj(const cJSON *o);

#endif
