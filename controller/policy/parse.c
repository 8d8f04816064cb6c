/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Document-level parsing: libyaml's document API keeps a start mark on every
 * node, so each error names file:line:col.  This file holds apiVersion, kind,
 * metadata, selectors and the public parse entry point; the helpers are in
 * parse_util.c, the rule sections in parse_rules.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bw_array.h"
#include "names.h"
#include "parse_int.h"

/* ---- labels and selectors --------------------------------------------------- */

static bool name_char(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
}

/* Kubernetes label name part: [A-Za-z0-9]([-_.A-Za-z0-9]*[A-Za-z0-9])?, <= 63. */
static bool label_name_ok(const char *s, size_t len, bool empty_ok)
{
	if (!len)
		return empty_ok;
	if (len > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char((unsigned char)s[i]))
			return false;
	return true;
}

/* DNS subdomain: lower-case alphanumerics, '-' and '.', alphanumeric ends. */
static bool dns_name_ok(const char *s, size_t max, bool dots)
{
	size_t len = strlen(s);

	if (!len || len > max || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!(islower(ch) || isdigit(ch) || ch == '-' || (dots && ch == '.')))
			return false;
	}
	return true;
}

static bool label_key_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash)
		return label_name_ok(s, strlen(s), false);
	char prefix[254];
	size_t plen = (size_t)(slash - s);
	if (plen >= sizeof(prefix))
		return false;
	memcpy(prefix, s, plen);
	prefix[plen] = 0;
	return dns_name_ok(prefix, 253, true) && label_name_ok(slash + 1, strlen(slash + 1), false);
}

static void parse_match_labels(struct pctx *c, const yaml_node_t *n, const char *path, bool host,
			       cJSON *j)
{
	char sub[600];

	if (!want_map(c, n, path))
		return;
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (cnt > BW_MAX_LIST) {
		perr(c, n, "%s has %zu labels, more than the limit of %d", path, cnt, BW_MAX_LIST);
		return;
	}
	c->p->labels = calloc(cnt ? cnt : 1, sizeof(*c->p->labels));
	if (!c->p->labels) {
		perr(c, n, "out of memory");
		return;
	}
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = pnode(c, pr->key), *v = pnode(c, pr->value);
		char *key = NULL, *val = NULL;
		if (!get_str(c, k, path, 317, false, &key))
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (!label_key_ok(key)) {
			perr(c, k, "%s: '%s' is not a valid label key", path, key);
			free(key);
			continue;
		}
		for (size_t i = 0; i < c->p->n_labels; i++)
			if (!strcmp(c->p->labels[i].key, key)) {
				perr(c, k, "%s is given twice", sub);
				free(key);
				key = NULL;
				break;
			}
		if (!key)
			continue;
		/* An integer or boolean label value is a string to Kubernetes. */
		if (!get_str(c, v, sub, BW_MAX_LABEL_VALUE, true, &val)) {
			free(key);
			continue;
		}
		bool wildcard = host && !strcmp(key, "kubearmor.io/hostname") && !strcmp(val, "*");
		if (!wildcard && !label_name_ok(val, strlen(val), true)) {
			perr(c, v, "%s: '%s' is not a valid label value", sub, val);
			free(key);
			free(val);
			continue;
		}
		c->p->labels[c->p->n_labels++] = (struct bw_kv){key, val};
		cJSON_AddStringToObject(j, key, val);
	}
}

static void parse_expressions(struct pctx *c, const yaml_node_t *n, const char *path, bool cluster,
			      cJSON *j)
{
	static const char *const fields[] = {"key", "operator", "values"};
	char sub[600], vsub[700];

	if (!want_seq(c, n, path, BW_MAX_LIST))
		return;
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	c->p->exprs = calloc(cnt ? cnt : 1, sizeof(*c->p->exprs));
	if (!c->p->exprs) {
		perr(c, n, "out of memory");
		return;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *e = pnode(c, n->data.sequence.items.start[i]);
		struct bw_expr *x = &c->p->exprs[c->p->n_exprs];
		uint32_t seen = 0;
		bool ok = true;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!want_map(c, e, sub))
			continue;
		cJSON *je = cJSON_CreateObject();
		cJSON_AddItemToArray(j, je);
		for (yaml_node_pair_t *pr = e->data.mapping.pairs.start;
		     pr < e->data.mapping.pairs.top; pr++) {
			yaml_node_t *v = pnode(c, pr->value);
			int f = field_idx(c, pr, sub, fields, ARRAY_SIZE(fields), &seen);
			snprintf(vsub, sizeof(vsub), "%s.%s", sub, f >= 0 ? fields[f] : "");
			if (f == 0) {
				if (!get_str(c, v, vsub, 317, false, &x->key)) {
					ok = false;
				} else if (cluster && strcmp(x->key, "namespace") &&
					   strcmp(x->key, "label")) {
					perr(c, v, "%s must be 'namespace' or 'label', got '%s'",
					     vsub, x->key);
					ok = false;
				} else if (!cluster && !label_key_ok(x->key)) {
					perr(c, v, "%s: '%s' is not a valid label key", vsub,
					     x->key);
					ok = false;
				} else {
					cJSON_AddStringToObject(je, "key", x->key);
				}
			} else if (f == 1) {
				if (v->type == YAML_SCALAR_NODE && !strcmp(sval(v), "In")) {
					x->not_in = false;
				} else if (v->type == YAML_SCALAR_NODE &&
					   !strcmp(sval(v), "NotIn")) {
					x->not_in = true;
				} else {
					perr(c, v, "%s must be In or NotIn", vsub);
					ok = false;
					continue;
				}
				cJSON_AddStringToObject(je, "operator", x->not_in ? "NotIn" : "In");
			} else if (f == 2) {
				if (!want_seq(c, v, vsub, BW_MAX_LIST)) {
					ok = false;
					continue;
				}
				size_t nv = (size_t)(v->data.sequence.items.top -
						     v->data.sequence.items.start);
				x->values = calloc(nv ? nv : 1, sizeof(char *));
				cJSON *jv = cJSON_AddArrayToObject(je, "values");
				if (!x->values) {
					perr(c, v, "out of memory");
					ok = false;
					continue;
				}
				for (size_t k = 0; k < nv; k++) {
					char isub[760];
					yaml_node_t *it = pnode(c, v->data.sequence.items.start[k]);
					snprintf(isub, sizeof(isub), "%s[%zu]", vsub, k);
					if (get_str(c, it, isub, 317, false,
						    &x->values[x->n_values])) {
						cJSON_AddItemToArray(
						    jv, cJSON_CreateString(x->values[x->n_values]));
						x->n_values++;
					} else {
						ok = false;
					}
				}
			} else {
				ok = false;
			}
		}
		if (!(seen & 1)) {
			perr(c, e, "%s.key is required", sub);
			ok = false;
		}
		if (!(seen & 2)) {
			perr(c, e, "%s.operator is required (In or NotIn)", sub);
			ok = false;
		}
		if (!(seen & 4) || !x->n_values) {
			if (ok)
				perr(c, e, "%s.values must list at least one value", sub);
			ok = false;
		}
		if (ok && cluster && !strcmp(x->key, "label"))
			for (size_t k = 0; k < x->n_values; k++)
				if (!strchr(x->values[k], '=')) {
					perr(c, e, "%s.values[%zu] must be 'key=value', got '%s'",
					     sub, k, x->values[k]);
					ok = false;
				}
		c->p->n_exprs++; /* kept even when bad so bw_policy_free frees it */
	}
}

static void parse_selector(struct pctx *c, const yaml_node_t *n, const char *path, cJSON *j)
{
	static const char *const fields[] = {"matchLabels", "matchExpressions"};
	bool cluster = c->p->kind == BW_KIND_CLUSTER_POLICY;
	uint32_t seen = 0;
	char sub[600];

	if (!want_map(c, n, path))
		return;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, path, fields, ARRAY_SIZE(fields), &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (f < 0)
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, fields[f]);
		if (f == 0 && cluster) {
			perr(c, pnode(c, pr->key),
			     "%s: a KubeArmorClusterPolicy selects with matchExpressions "
			     "(key namespace or label), not matchLabels",
			     sub);
		} else if (f == 0) {
			parse_match_labels(c, v, sub, false,
					   cJSON_AddObjectToObject(j, "matchLabels"));
		} else {
			parse_expressions(c, v, sub, cluster,
					  cJSON_AddArrayToObject(j, "matchExpressions"));
		}
	}
}

/* ---- one document ----------------------------------------------------------- */

static const char *const kind_names[] = {"", "KubeArmorPolicy", "KubeArmorClusterPolicy",
					 "KubeArmorHostPolicy"};

const char *bw_policy_kind_name(enum bw_policy_kind k)
{
	return k >= BW_KIND_POLICY && k <= BW_KIND_HOST_POLICY ? kind_names[k] : "";
}

enum bw_policy_kind bw_policy_kind_parse(const char *s)
{
	static const struct {
		const char *alias;
		enum bw_policy_kind kind;
	} aliases[] = {
	    {"kubearmorpolicy", BW_KIND_POLICY},
	    {"kubearmorpolicies", BW_KIND_POLICY},
	    {"policy", BW_KIND_POLICY},
	    {"policies", BW_KIND_POLICY},
	    {"ksp", BW_KIND_POLICY},
	    {"kubearmorclusterpolicy", BW_KIND_CLUSTER_POLICY},
	    {"kubearmorclusterpolicies", BW_KIND_CLUSTER_POLICY},
	    {"clusterpolicy", BW_KIND_CLUSTER_POLICY},
	    {"clusterpolicies", BW_KIND_CLUSTER_POLICY},
	    {"csp", BW_KIND_CLUSTER_POLICY},
	    {"kubearmorhostpolicy", BW_KIND_HOST_POLICY},
	    {"kubearmorhostpolicies", BW_KIND_HOST_POLICY},
	    {"hostpolicy", BW_KIND_HOST_POLICY},
	    {"hostpolicies", BW_KIND_HOST_POLICY},
	    {"hsp", BW_KIND_HOST_POLICY},
	};

	if (!s)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(aliases); i++)
		if (!strcasecmp(s, aliases[i].alias))
			return aliases[i].kind;
	return 0;
}

static const yaml_node_t *map_get(struct pctx *c, const yaml_node_t *n, const char *key)
{
	if (n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = pnode(c, pr->key);
		if (k && k->type == YAML_SCALAR_NODE && !strcmp(sval(k), key))
			return pnode(c, pr->value);
	}
	return NULL;
}

static void parse_metadata(struct pctx *c, const yaml_node_t *n, cJSON *j)
{
	static const char *const fields[] = {"name", "namespace", "labels", "annotations"};
	uint32_t seen = 0;

	if (!want_map(c, n, "metadata"))
		return;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, "metadata", fields, ARRAY_SIZE(fields), &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (f == 0) {
			char *s = NULL;
			if (!get_str(c, v, "metadata.name", BW_MAX_NAME, false, &s))
				continue;
			if (!dns_name_ok(s, BW_MAX_NAME, true)) {
				perr(c, v,
				     "metadata.name '%s' must be lower-case letters, digits, '-' "
				     "and '.', starting and ending with a letter or digit",
				     s);
				free(s);
				continue;
			}
			free(c->p->name);
			c->p->name = s;
		} else if (f == 1) {
			char *s = NULL;
			if (!get_str(c, v, "metadata.namespace", BW_MAX_NAMESPACE, false, &s))
				continue;
			if (!dns_name_ok(s, BW_MAX_NAMESPACE, false)) {
				perr(c, v,
				     "metadata.namespace '%s' must be lower-case letters, digits "
				     "and '-', starting and ending with a letter or digit",
				     s);
				free(s);
				continue;
			}
			free(c->p->ns);
			c->p->ns = s;
		} else if (f >= 2) {
			/* Kubernetes bookkeeping: accepted, not used. */
			want_map(c, v, f == 2 ? "metadata.labels" : "metadata.annotations");
		}
	}
	if (!(seen & 1))
		perr(c, n, "metadata.name is required");
	if (c->p->kind != BW_KIND_POLICY) {
		/* Cluster and host policies are not namespaced. */
		free(c->p->ns);
		c->p->ns = strdup("");
	} else if (!c->p->ns) {
		c->p->ns = strdup("default");
	}
	if (c->p->name)
		cJSON_AddStringToObject(j, "name", c->p->name);
	if (c->p->ns && c->p->ns[0])
		cJSON_AddStringToObject(j, "namespace", c->p->ns);
}

static void parse_spec(struct pctx *c, const yaml_node_t *n, cJSON *j)
{
	static const char *const fields[] = {
	    "selector", "nodeSelector", "process",  "file", "network", "capabilities", "syscalls",
	    "presets",	"apparmor",	"severity", "tags", "message", "action",
	};
	struct pmeta spec = {0};
	uint32_t seen = 0;
	char sub[64];
	bool host = c->p->kind == BW_KIND_HOST_POLICY;

	if (!want_map(c, n, "spec"))
		return;
	parse_meta(c, n, "spec", &spec, j);
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, "spec", fields, ARRAY_SIZE(fields), &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (pstop(c))
			break;
		if (f < 0 || f >= 9)
			continue;
		snprintf(sub, sizeof(sub), "spec.%s", fields[f]);
		if (f == 0 && host) {
			perr(c, pnode(c, pr->key),
			     "spec.selector: a KubeArmorHostPolicy selects nodes with "
			     "spec.nodeSelector.matchLabels");
		} else if (f == 0) {
			parse_selector(c, v, sub, cJSON_AddObjectToObject(j, "selector"));
		} else if (f == 1 && !host) {
			perr(
			    c, pnode(c, pr->key),
			    "spec.nodeSelector is only for KubeArmorHostPolicy; use spec.selector");
		} else if (f == 1) {
			static const char *const ns_fields[] = {"matchLabels"};
			uint32_t nseen = 0;
			cJSON *jn = cJSON_AddObjectToObject(j, "nodeSelector");
			if (!want_map(c, v, sub))
				continue;
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			     q < v->data.mapping.pairs.top; q++)
				if (field_idx(c, q, sub, ns_fields, 1, &nseen) == 0)
					parse_match_labels(
					    c, pnode(c, q->value), "spec.nodeSelector.matchLabels",
					    true, cJSON_AddObjectToObject(jn, "matchLabels"));
			if (!nseen)
				perr(c, v, "spec.nodeSelector.matchLabels is required");
		} else if (f == 7) {
			parse_presets(c, v, sub, &spec, cJSON_AddArrayToObject(j, "presets"));
		} else if (f == 8) {
			parse_apparmor(c, v, sub, &spec, j);
		} else {
			parse_section(c, fields[f], v, sub, &spec,
				      cJSON_AddObjectToObject(j, fields[f]));
		}
	}
	if (c->p->kind != BW_KIND_HOST_POLICY && !(seen & 1))
		perr(c, n, "spec.selector is required for a %s", kind_names[c->p->kind]);
	if (host && !(seen & 2))
		perr(c, n, "spec.nodeSelector is required for a KubeArmorHostPolicy");
	if (!c->errors && !c->p->n_rules)
		perr(c, n,
		     "spec has no rules: give at least one of process, file, network, "
		     "capabilities, syscalls, presets or apparmor");
	meta_clear(&spec);
}

void bw_policy_free(struct bw_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_rules; i++) {
		struct bw_prule *r = &p->rules[i];
		free(r->value);
		free(r->apparmor_raw);
		for (size_t k = 0; k < r->n_src; k++)
			free(r->src[k].path);
		free(r->src);
		for (size_t k = 0; k < r->n_tags; k++)
			free(r->tags[k]);
		free(r->tags);
		free(r->message);
	}
	free(p->rules);
	for (size_t i = 0; i < p->n_labels; i++) {
		free(p->labels[i].key);
		free(p->labels[i].value);
	}
	free(p->labels);
	for (size_t i = 0; i < p->n_exprs; i++) {
		free(p->exprs[i].key);
		for (size_t k = 0; k < p->exprs[i].n_values; k++)
			free(p->exprs[i].values[k]);
		free(p->exprs[i].values);
	}
	free(p->exprs);
	free(p->name);
	free(p->ns);
	free(p->json);
	free(p);
}

static struct bw_policy *parse_document(struct pctx *c, const yaml_node_t *root)
{
	static const char *const fields[] = {"apiVersion", "kind", "metadata", "spec", "status"};
	uint32_t seen = 0;
	cJSON *j = NULL;

	c->p = calloc(1, sizeof(*c->p));
	c->rules_cap = 0;
	c->rules_overflow = false;
	if (!c->p) {
		perr(c, root, "out of memory");
		return NULL;
	}
	if (!want_map(c, root, "document"))
		goto fail;

	/* kind first: it decides what the rest may contain. */
	const yaml_node_t *kind = map_get(c, root, "kind");
	if (!kind) {
		perr(c, root,
		     "kind is required (KubeArmorPolicy, KubeArmorClusterPolicy or "
		     "KubeArmorHostPolicy)");
		goto fail;
	}
	if (kind->type == YAML_SCALAR_NODE) {
		for (int k = BW_KIND_POLICY; k <= BW_KIND_HOST_POLICY; k++)
			if (!strcmp(sval(kind), kind_names[k]))
				c->p->kind = (enum bw_policy_kind)k;
	}
	if (!c->p->kind) {
		const char *near = kind->type == YAML_SCALAR_NODE
				       ? bw_suggest(sval(kind), kind_names + 1, 3)
				       : NULL;
		perr(c, kind,
		     "kind must be KubeArmorPolicy, KubeArmorClusterPolicy or "
		     "KubeArmorHostPolicy%s%s%s",
		     near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
		goto fail;
	}

	j = cJSON_CreateObject();
	if (!j) {
		perr(c, root, "out of memory");
		goto fail;
	}
	cJSON_AddStringToObject(j, "apiVersion", "security.kubearmor.com/v1");
	cJSON_AddStringToObject(j, "kind", kind_names[c->p->kind]);
	cJSON *jmeta = cJSON_AddObjectToObject(j, "metadata");
	cJSON *jspec = cJSON_AddObjectToObject(j, "spec");
	const yaml_node_t *meta = map_get(c, root, "metadata");
	if (meta)
		parse_metadata(c, meta, jmeta);
	for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
	     pr < root->data.mapping.pairs.top; pr++) {
		int f = field_idx(c, pr, "document", fields, ARRAY_SIZE(fields), &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (f == 0) {
			if (v->type != YAML_SCALAR_NODE ||
			    strcmp(sval(v), "security.kubearmor.com/v1"))
				perr(c, v, "apiVersion must be security.kubearmor.com/v1");
		} else if (f == 3) {
			parse_spec(c, v, jspec);
		}
	}
	if (!(seen & 1))
		perr(c, root, "apiVersion is required (security.kubearmor.com/v1)");
	if (!(seen & 4))
		perr(c, root, "metadata is required (metadata.name)");
	if (!(seen & 8))
		perr(c, root, "spec is required");
	if (c->errors)
		goto fail;
	c->p->json = cJSON_PrintUnformatted(j);
	if (!c->p->json) {
		perr(c, root, "out of memory");
		goto fail;
	}
	cJSON_Delete(j);
	return c->p;
fail:
	cJSON_Delete(j);
	bw_policy_free(c->p);
	c->p = NULL;
	return NULL;
}

int bw_policy_parse(const char *buf, size_t len, const char *filename, struct bw_policy ***out,
		    size_t *n_out, struct bw_diags *diags)
{
	struct bw_policy **v = NULL;
	size_t n = 0, cap = 0;
	unsigned errors = 0;
	yaml_parser_t parser;
	int rc = -EINVAL;

	if (!filename)
		filename = "<input>";
	if (len > BW_MAX_DOC_BYTES) {
		bw_diags_add(diags, filename, 0, 0, "input is %zu bytes, more than the limit of %u",
			     len, BW_MAX_DOC_BYTES);
		return -EINVAL;
	}
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			bw_diags_add(
			    diags, filename, (unsigned)parser.problem_mark.line + 1,
			    (unsigned)parser.problem_mark.column + 1, "invalid YAML: %s%s%s",
			    parser.problem ? parser.problem : "parse error",
			    parser.context ? " " : "", parser.context ? parser.context : "");
			errors++;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) {
			yaml_document_delete(&doc);
			break;
		}
		/* An empty document (a stray '---') holds nothing to apply. */
		if (root->type == YAML_SCALAR_NODE && !root->data.scalar.length &&
		    root->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
			yaml_document_delete(&doc);
			continue;
		}
		struct pctx c = {.doc = &doc, .file = filename, .diags = diags};
		size_t first_diag = bw_diags_count(diags);
		struct bw_policy *p = parse_document(&c, root);
		/* Checks run in dependency order (kind, spec-wide fields first);
		 * people read top to bottom. */
		bw_diags_sort_from(diags, first_diag);
		if (p) {
			for (size_t i = 0; i < n; i++)
				if (v[i]->kind == p->kind && !strcmp(v[i]->ns, p->ns) &&
				    !strcmp(v[i]->name, p->name)) {
					perr(&c, root, "%s '%s' is defined twice in this input",
					     kind_names[p->kind], p->name);
					bw_policy_free(p);
					p = NULL;
					break;
				}
		}
		errors += c.errors;
		if (p) {
			if (BW_GROW(v, cap, n + 1)) {
				bw_policy_free(p);
				yaml_document_delete(&doc);
				rc = -ENOMEM;
				goto done;
			}
			v[n++] = p;
		}
		yaml_document_delete(&doc);
	}
	if (!errors && !n) {
		bw_diags_add(diags, filename, 0, 0, "no policy documents in the input");
		errors++;
	}
	rc = errors ? -EINVAL : 0;
done:
	yaml_parser_delete(&parser);
	if (rc) {
		for (size_t i = 0; i < n; i++)
			bw_policy_free(v[i]);
		free(v);
		return rc;
	}
	*out = v;
	*n_out = n;
	return 0;
}

enum bw_policy_kind bw_policy_kind(const struct bw_policy *p)
{
	return p->kind;
}

const char *bw_policy_name(const struct bw_policy *p)
{
	return p->name;
}

const char *bw_policy_namespace(const struct bw_policy *p)
{
	return p->ns;
}

char *bw_policy_to_json(const struct bw_policy *p)
{
	return strdup(p->json);
}
