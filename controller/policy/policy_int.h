/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal model of bw_policy: a parsed policy is its selector plus a flat
 * list of rules whose action/severity/tags/message are already resolved
 * (rule -> section -> spec), so compiling is copying, not re-deciding.
 */
#ifndef BW_POLICY_INT_H
#define BW_POLICY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "bw_policy.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Limits: enforced by the parser, each with its own message. */
#define BW_MAX_DOC_BYTES (4u << 20) /* one buffer given to bw_policy_parse */
#define BW_MAX_PATH 4095	    /* PATH_MAX - 1 */
#define BW_MAX_LIST 1024	    /* any list in a policy */
#define BW_MAX_RULES 8192	    /* rules one policy expands to */
#define BW_MAX_SOURCES 64	    /* fromSource entries of one rule */
#define BW_MAX_TAGS 64
#define BW_MAX_TAG_LEN 128
#define BW_MAX_MESSAGE 1024
#define BW_MAX_NAME 253	    /* metadata.name (DNS subdomain) */
#define BW_MAX_NAMESPACE 63 /* metadata.namespace (DNS label) */
#define BW_MAX_LABEL_VALUE 63
#define BW_MAX_APPARMOR (64u << 10) /* native apparmor rules */
#define BW_MAX_ERRORS 100	    /* diagnostics per document */

struct bw_src {
	char *path;
	bool dir;
	bool recursive;
};

struct bw_prule {
	int op;	   /* BULWARK__V1__OPERATION__* */
	int match; /* BULWARK__V1__MATCH_KIND__* */
	char *value;
	uint32_t family, type, protocol; /* MATCH_PROTOCOL */
	uint32_t capability;		 /* MATCH_CAPABILITY */
	uint32_t syscall;		 /* MATCH_SYSCALL, and syscall matchPaths */
	uint32_t port_min, port_max;	 /* MATCH_ADDRESS; 0, 0: any port */
	bool owner_only, read_only;
	bool needs_apparmor, needs_bpflsm;
	char *apparmor_raw;
	struct bw_src *src;
	size_t n_src;
	int action; /* BULWARK__V1__ACTION__* */
	uint32_t severity;
	char **tags;
	size_t n_tags;
	char *message;
};

struct bw_kv {
	char *key;
	char *value;
};

struct bw_expr {
	char *key;
	bool not_in;
	char **values;
	size_t n_values;
};

struct bw_policy {
	enum bw_policy_kind kind;
	char *name;
	char *ns; /* "" for cluster and host policies */
	/* KubeArmorPolicy: selector.matchLabels; host: nodeSelector.matchLabels */
	struct bw_kv *labels;
	size_t n_labels;
	struct bw_expr *exprs; /* selector.matchExpressions */
	size_t n_exprs;
	struct bw_prule *rules;
	size_t n_rules;
	char *json; /* canonical form (bw_policy_to_json) */
};

/* diag.c */
void bw_diags_add(struct bw_diags *d, const char *file, unsigned line, unsigned col,
		  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Orders the diagnostics added since index start by line and column. */
void bw_diags_sort_from(struct bw_diags *d, size_t start);

/* util */
char *bw_strdup0(const char *s); /* strdup that maps NULL to "" */

#endif
