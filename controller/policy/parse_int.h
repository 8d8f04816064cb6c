/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the parser (parse.c, parse_rules.c). */
#ifndef BW_PARSE_INT_H
#define BW_PARSE_INT_H

#include <cjson/cJSON.h>
#include <yaml.h>

#include "policy_int.h"

struct pctx {
	yaml_document_t *doc;
	const char *file;
	struct bw_diags *diags;
	unsigned errors;
	struct bw_policy *p;
	size_t rules_cap;
	bool rules_overflow; /* reported once */
};

/* severity/tags/message/action of one level (spec, section or rule). */
struct pmeta {
	bool has_severity, has_action, has_tags, has_message;
	uint32_t severity;
	int action;
	char **tags;
	size_t n_tags;
	char *message;
};

void perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
yaml_node_t *pnode(struct pctx *c, int id);
/* True once going on is pointless: too many errors, or too many rules. */
bool pstop(const struct pctx *c);
const char *sval(const yaml_node_t *n);
bool want_map(struct pctx *c, const yaml_node_t *n, const char *path);
bool want_seq(struct pctx *c, const yaml_node_t *n, const char *path, size_t max);
/* Index of the pair's key in names[], or -1 after reporting it (unknown,
 * duplicate, not a string).  *seen tracks duplicates (<= 32 names). */
int field_idx(struct pctx *c, const yaml_node_pair_t *pr, const char *path,
	      const char *const *names, size_t n, uint32_t *seen);
bool get_str(struct pctx *c, const yaml_node_t *n, const char *path, size_t max, bool empty_ok,
	     char **out);
bool get_bool(struct pctx *c, const yaml_node_t *n, const char *path, bool *out);
bool get_path(struct pctx *c, const yaml_node_t *n, const char *path, bool dir, char **out);

bool is_meta_key(const char *k);
/* Parses severity/tags/message/action keys of map n into m (other keys are
 * left to the caller) and mirrors them into j. */
void parse_meta(struct pctx *c, const yaml_node_t *n, const char *path, struct pmeta *m, cJSON *j);
void meta_clear(struct pmeta *m);

/* parse_rules.c: spec.process/file/network/capabilities/syscalls/presets/apparmor */
void parse_section(struct pctx *c, const char *section, const yaml_node_t *n, const char *path,
		   const struct pmeta *spec, cJSON *j);
void parse_presets(struct pctx *c, const yaml_node_t *n, const char *path, const struct pmeta *spec,
		   cJSON *j);
void parse_apparmor(struct pctx *c, const yaml_node_t *n, const char *path,
		    const struct pmeta *spec, cJSON *j);

/* parse_net.c: Bulwark's extensions (matchAddresses, kernel globs). */
bool bw_glob_kernel_ok(const char *pattern);
bool parse_address(struct pctx *c, const yaml_node_t *n, const char *path, char **canon,
		   uint32_t *family);
bool parse_ports(struct pctx *c, const yaml_node_t *n, const char *path, uint32_t (**out)[2],
		 size_t *n_out);

#endif
