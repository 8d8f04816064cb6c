/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Parser helpers: typed access to libyaml document nodes with a diagnostic
 * (file:line:col, path, what was expected) for every mismatch, and the
 * severity/tags/message/action fields every level of a policy may carry.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "parse_int.h"

/* ---- YAML helpers ---------------------------------------------------------- */

void perr(struct pctx *c, const yaml_node_t *n, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;

	/* A hostile or badly broken document must not flood the caller. */
	if (c->errors >= BW_MAX_ERRORS) {
		if (c->errors++ == BW_MAX_ERRORS)
			bw_diags_add(c->diags, c->file, n ? (unsigned)n->start_mark.line + 1 : 0,
				     n ? (unsigned)n->start_mark.column + 1 : 0,
				     "too many errors in this document; stopping here");
		return;
	}

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	bw_diags_add(c->diags, c->file, n ? (unsigned)n->start_mark.line + 1 : 0,
		     n ? (unsigned)n->start_mark.column + 1 : 0, "%s", msg ? msg : "out of memory");
	free(msg);
	c->errors++;
}

bool pstop(const struct pctx *c)
{
	return c->errors > BW_MAX_ERRORS || c->rules_overflow;
}

yaml_node_t *pnode(struct pctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

const char *sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static const char *type_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

bool want_map(struct pctx *c, const yaml_node_t *n, const char *path)
{
	if (n->type == YAML_MAPPING_NODE)
		return true;
	perr(c, n, "%s must be a mapping, not %s", path, type_name(n));
	return false;
}

bool want_seq(struct pctx *c, const yaml_node_t *n, const char *path, size_t max)
{
	if (n->type != YAML_SEQUENCE_NODE) {
		perr(c, n, "%s must be a list, not %s", path, type_name(n));
		return false;
	}
	size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (len > max) {
		perr(c, n, "%s has %zu entries, more than the limit of %zu", path, len, max);
		return false;
	}
	return true;
}

static bool scalar_is_string(const yaml_node_t *n)
{
	return n->type == YAML_SCALAR_NODE;
}

int field_idx(struct pctx *c, const yaml_node_pair_t *pr, const char *path,
	      const char *const *names, size_t n, uint32_t *seen)
{
	yaml_node_t *k = pnode(c, pr->key);

	if (!k || !scalar_is_string(k)) {
		perr(c, k, "%s: keys must be strings", path);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (strcmp(sval(k), names[i]))
			continue;
		if (*seen & (1u << i)) {
			perr(c, k, "%s.%s is given twice", path, names[i]);
			return -1;
		}
		*seen |= 1u << i;
		return (int)i;
	}
	const char *near = bw_suggest(sval(k), names, n);
	if (near) {
		perr(c, k, "unknown field '%s' in %s (did you mean '%s'?)", sval(k), path, near);
	} else {
		char list[512] = "";
		size_t off = 0;
		for (size_t i = 0; i < n && off < sizeof(list); i++)
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
						i ? ", " : "", names[i]);
		perr(c, k, "unknown field '%s' in %s (expected one of: %s)", sval(k), path, list);
	}
	return -1;
}

bool get_str(struct pctx *c, const yaml_node_t *n, const char *path, size_t max, bool empty_ok,
	     char **out)
{
	if (n->type != YAML_SCALAR_NODE) {
		perr(c, n, "%s must be a string, not %s", path, type_name(n));
		return false;
	}
	size_t len = n->data.scalar.length;
	if (strlen(sval(n)) != len) {
		perr(c, n, "%s must not contain NUL characters", path);
		return false;
	}
	if (!len && !empty_ok) {
		perr(c, n, "%s must not be empty", path);
		return false;
	}
	if (len > max) {
		perr(c, n, "%s is %zu bytes long, more than the limit of %zu", path, len, max);
		return false;
	}
	if (out) {
		*out = strdup(sval(n));
		if (!*out) {
			perr(c, n, "out of memory");
			return false;
		}
	}
	return true;
}

/*
 * Plain true/false, and the YAML 1.1 spellings (yes/no/on/off/y/n) that
 * kubectl's YAML decoder also turns into booleans: a policy kubectl accepts
 * must not be rejected here.  A quoted "true" is a string, as for kubectl.
 */
bool get_bool(struct pctx *c, const yaml_node_t *n, const char *path, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
					  "on",	  "On",	  "ON",	  "y",	 "Y"};
	static const char *const no[] = {"false", "False", "FALSE", "no", "No", "NO",
					 "off",	  "Off",   "OFF",   "n",  "N"};

	if (n->type == YAML_SCALAR_NODE && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
			if (!strcmp(sval(n), yes[i])) {
				*out = true;
				return true;
			}
			if (!strcmp(sval(n), no[i])) {
				*out = false;
				return true;
			}
		}
	}
	perr(c, n, "%s must be true or false", path);
	return false;
}

/*
 * An absolute, normalised path: the kernel reports resolved paths, so a
 * rule with "." or ".." components or "//" could never match.
 */
bool get_path(struct pctx *c, const yaml_node_t *n, const char *path, bool dir, char **out)
{
	char *s = NULL;

	if (!get_str(c, n, path, BW_MAX_PATH, false, &s))
		return false;
	if (s[0] != '/') {
		perr(c, n, "%s must be an absolute path (start with '/'), got '%s'", path, s);
		goto bad;
	}
	size_t len = strlen(s);
	if (dir && s[len - 1] != '/') {
		perr(c, n, "%s must end with '/'", path);
		goto bad;
	}
	if (!dir && s[len - 1] == '/') {
		perr(c, n, "%s names a file, so it must not end with '/' (use a directory match)",
		     path);
		goto bad;
	}
	for (const char *q = s; *q; q++) {
		if (q[0] == '/' && q[1] == '/') {
			perr(c, n, "%s must not contain '//'", path);
			goto bad;
		}
		if (q[0] == '/' && q[1] == '.' &&
		    (q[2] == '/' || !q[2] || (q[2] == '.' && (q[3] == '/' || !q[3])))) {
			perr(c, n, "%s must not contain '.' or '..' components", path);
			goto bad;
		}
		if (iscntrl((unsigned char)*q)) {
			perr(c, n, "%s must not contain control characters", path);
			goto bad;
		}
	}
	*out = s;
	return true;
bad:
	free(s);
	return false;
}

/* ---- severity / tags / message / action ------------------------------------ */

static const char *const meta_keys[] = {"severity", "tags", "message", "action"};

bool is_meta_key(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(meta_keys); i++)
		if (!strcmp(k, meta_keys[i]))
			return true;
	return false;
}

void meta_clear(struct pmeta *m)
{
	for (size_t i = 0; i < m->n_tags; i++)
		free(m->tags[i]);
	free(m->tags);
	free(m->message);
	memset(m, 0, sizeof(*m));
}

static bool parse_action(struct pctx *c, const yaml_node_t *v, const char *path, int *out)
{
	static const char *const names[] = {"Allow", "Audit", "Block"};
	static const int vals[] = {BULWARK__V1__ACTION__ACTION_ALLOW,
				   BULWARK__V1__ACTION__ACTION_AUDIT,
				   BULWARK__V1__ACTION__ACTION_BLOCK};

	if (!get_str(c, v, path, 16, false, NULL))
		return false;
	/* KubeArmor's CRD accepts the first letter in either case. */
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcmp(sval(v) + 1, names[i] + 1) &&
		    tolower((unsigned char)sval(v)[0]) == tolower((unsigned char)names[i][0])) {
			*out = vals[i];
			return true;
		}
	const char *near = bw_suggest(sval(v), names, ARRAY_SIZE(names));
	perr(c, v, "%s must be Allow, Audit or Block, got '%s'%s%s%s", path, sval(v),
	     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
	return false;
}

static const char *action_name(int a)
{
	return a == BULWARK__V1__ACTION__ACTION_ALLOW	? "Allow"
	       : a == BULWARK__V1__ACTION__ACTION_AUDIT ? "Audit"
							: "Block";
}

void parse_meta(struct pctx *c, const yaml_node_t *n, const char *path, struct pmeta *m, cJSON *j)
{
	char sub[512];

	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = pnode(c, pr->key), *v = pnode(c, pr->value);
		if (!k || k->type != YAML_SCALAR_NODE || !is_meta_key(sval(k)))
			continue;
		/* A repeated key is reported by the caller's field check; the
		 * first one counts. */
		if ((!strcmp(sval(k), "severity") && m->has_severity) ||
		    (!strcmp(sval(k), "action") && m->has_action) ||
		    (!strcmp(sval(k), "message") && m->has_message) ||
		    (!strcmp(sval(k), "tags") && m->has_tags))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, sval(k));
		if (!strcmp(sval(k), "severity")) {
			char *end;
			long s;
			if (v->type != YAML_SCALAR_NODE ||
			    v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) {
				perr(c, v, "%s must be a number from 1 to 10", sub);
				continue;
			}
			errno = 0;
			s = strtol(sval(v), &end, 10);
			if (errno || *end || end == sval(v) || s < 1 || s > 10) {
				perr(c, v, "%s must be a number from 1 to 10, got '%s'", sub,
				     sval(v));
				continue;
			}
			m->severity = (uint32_t)s;
			m->has_severity = true;
			cJSON_AddNumberToObject(j, "severity", (double)s);
		} else if (!strcmp(sval(k), "action")) {
			if (parse_action(c, v, sub, &m->action)) {
				m->has_action = true;
				cJSON_AddStringToObject(j, "action", action_name(m->action));
			}
		} else if (!strcmp(sval(k), "message")) {
			if (get_str(c, v, sub, BW_MAX_MESSAGE, true, &m->message)) {
				m->has_message = true;
				cJSON_AddStringToObject(j, "message", m->message);
			}
		} else {
			if (!want_seq(c, v, sub, BW_MAX_TAGS))
				continue;
			size_t cnt =
			    (size_t)(v->data.sequence.items.top - v->data.sequence.items.start);
			m->tags = calloc(cnt ? cnt : 1, sizeof(char *));
			cJSON *jt = cJSON_AddArrayToObject(j, "tags");
			if (!m->tags) {
				perr(c, v, "out of memory");
				continue;
			}
			m->has_tags = true;
			for (size_t i = 0; i < cnt; i++) {
				char tsub[600];
				yaml_node_t *t = pnode(c, v->data.sequence.items.start[i]);
				snprintf(tsub, sizeof(tsub), "%s[%zu]", sub, i);
				if (get_str(c, t, tsub, BW_MAX_TAG_LEN, false,
					    &m->tags[m->n_tags])) {
					cJSON_AddItemToArray(
					    jt, cJSON_CreateString(m->tags[m->n_tags]));
					m->n_tags++;
				}
			}
		}
	}
}
