/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The inventory file of `bulwarkctl compile --inventory` (format in
 * bw_policy.h).  Same diagnostics as policies: file:line:col and a
 * suggestion for misspelt fields.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile_int.h"
#include "parse_int.h"

/* "k=v,k=v" from a YAML mapping of strings; NULL after reporting. */
static char *labels_string(struct pctx *c, const yaml_node_t *n, const char *path)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	bool first = true;

	if (!want_map(c, n, path))
		return NULL;
	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		yaml_node_t *k = pnode(c, pr->key), *v = pnode(c, pr->value);
		if (!get_str(c, k, path, 317, false, NULL) || !get_str(c, v, path, 253, true, NULL))
			continue;
		if (strchr(sval(k), ',') || strchr(sval(k), '=') || strchr(sval(v), ',')) {
			perr(c, k, "%s: label '%s' must not contain ',' or '='", path, sval(k));
			continue;
		}
		fprintf(f, "%s%s=%s", first ? "" : ",", sval(k), sval(v));
		first = false;
	}
	fclose(f);
	return buf;
}

static void load_node(struct pctx *c, struct bw_inventory *inv, const yaml_node_t *n,
		      const char *path)
{
	static const char *const fields[] = {"name", "labels"};
	uint32_t seen = 0;
	char *name = NULL, *labels = NULL;
	unsigned before = c->errors;
	char sub[128];

	if (!want_map(c, n, path))
		return;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, path, fields, ARRAY_SIZE(fields), &seen);
		snprintf(sub, sizeof(sub), "%s.%s", path, f >= 0 ? fields[f] : "");
		if (f == 0)
			get_str(c, pnode(c, pr->value), sub, 253, false, &name);
		else if (f == 1)
			labels = labels_string(c, pnode(c, pr->value), sub);
	}
	if (!(seen & 1))
		perr(c, n, "%s.name is required", path);
	if (c->errors == before && bw_inventory_set_node(inv, name, labels))
		perr(c, n, "%s: cannot add node '%s'", path, name);
	free(name);
	free(labels);
}

static void load_container(struct pctx *c, struct bw_inventory *inv, const yaml_node_t *n,
			   const char *path)
{
	static const char *const fields[] = {"id",     "name",	"node", "namespace",
					     "labels", "image", "pod",	"cgroupId"};
	Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue *kvs = NULL, **kvp = NULL;
	char *s[8] = {0};
	uint32_t seen = 0;
	unsigned before = c->errors;
	char sub[128];

	if (!want_map(c, n, path))
		return;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, path, fields, ARRAY_SIZE(fields), &seen);
		yaml_node_t *v = pnode(c, pr->value);
		if (f < 0)
			continue;
		snprintf(sub, sizeof(sub), "%s.%s", path, fields[f]);
		if (f == 4) {
			if (!want_map(c, v, sub))
				continue;
			size_t cnt =
			    (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
			kvs = calloc(cnt ? cnt : 1, sizeof(*kvs));
			kvp = calloc(cnt ? cnt : 1, sizeof(*kvp));
			if (!kvs || !kvp) {
				perr(c, v, "out of memory");
				continue;
			}
			for (size_t i = 0; i < cnt; i++) {
				yaml_node_pair_t *q = &v->data.mapping.pairs.start[i];
				yaml_node_t *k = pnode(c, q->key), *val = pnode(c, q->value);
				if (!get_str(c, k, sub, 317, false, NULL) ||
				    !get_str(c, val, sub, 253, true, NULL))
					continue;
				bulwark__v1__key_value__init(&kvs[ct.n_labels]);
				kvs[ct.n_labels].key = (char *)sval(k);
				kvs[ct.n_labels].value = (char *)sval(val);
				kvp[ct.n_labels] = &kvs[ct.n_labels];
				ct.n_labels++;
			}
			ct.labels = kvp;
		} else if (f == 7) {
			char *end;
			if (v->type != YAML_SCALAR_NODE ||
			    (ct.cgroup_id = strtoull(sval(v), &end, 10), *end || end == sval(v)))
				perr(c, v, "%s must be a number", sub);
		} else {
			get_str(c, v, sub, 253, f == 5 || f == 6, &s[f]);
		}
	}
	if (!(seen & 1))
		perr(c, n, "%s.id is required", path);
	if (!(seen & 4))
		perr(c, n, "%s.node is required", path);
	if (c->errors == before) {
		ct.id = s[0];
		ct.name = s[1] ? s[1] : (char *)"";
		ct.namespace_name = s[3] ? s[3] : (char *)"";
		ct.image = s[5] ? s[5] : (char *)"";
		ct.pod_name = s[6] ? s[6] : (char *)"";
		if (bw_strmap_get(&inv->containers, ct.id))
			perr(c, n, "%s: container id '%s' is listed twice", path, ct.id);
		else if (bw_inventory_set_container(inv, s[2], &ct))
			perr(c, n, "%s: cannot add container '%s'", path, ct.id);
	}
	for (size_t i = 0; i < ARRAY_SIZE(s); i++)
		free(s[i]);
	free(kvs);
	free(kvp);
}

static void load_namespace(struct pctx *c, struct bw_inventory *inv, const yaml_node_t *n,
			   const char *path, bool host)
{
	static const char *const fields[] = {"name", "annotations"};
	static const char *const keys[] = {"kubearmor-file-posture", "kubearmor-network-posture",
					   "kubearmor-capabilities-posture"};
	const char *post[3] = {NULL, NULL, NULL}, *vis = NULL;
	char *name = NULL;
	uint32_t seen = 0;
	unsigned before = c->errors;
	char sub[128];

	if (!want_map(c, n, path))
		return;
	for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top;
	     pr++) {
		int f = field_idx(c, pr, path, fields, ARRAY_SIZE(fields), &seen);
		yaml_node_t *v = pnode(c, pr->value);
		snprintf(sub, sizeof(sub), "%s.%s", path, f >= 0 ? fields[f] : "");
		if (f == 0 && host) {
			perr(c, pnode(c, pr->key), "%s has no name: it is every node", path);
		} else if (f == 0) {
			get_str(c, v, sub, 63, false, &name);
		} else if (f == 1 && want_map(c, v, sub)) {
			/* Other annotations are Kubernetes' business: ignored. */
			for (yaml_node_pair_t *q = v->data.mapping.pairs.start;
			     q < v->data.mapping.pairs.top; q++) {
				yaml_node_t *k = pnode(c, q->key), *val = pnode(c, q->value);
				if (k->type == YAML_SCALAR_NODE &&
				    !strcmp(sval(k), "kubearmor-visibility")) {
					Bulwark__V1__Visibility probe;
					if (val->type != YAML_SCALAR_NODE ||
					    bw_visibility_check(sval(val), &probe))
						perr(c, val,
						     "%s.kubearmor-visibility must be \"none\" or a "
						     "list of process, file, network, capabilities",
						     sub);
					else
						vis = sval(val);
				}
				for (size_t i = 0; i < 3; i++) {
					if (k->type != YAML_SCALAR_NODE || strcmp(sval(k), keys[i]))
						continue;
					if (val->type != YAML_SCALAR_NODE ||
					    (strcmp(sval(val), "audit") &&
					     strcmp(sval(val), "block")))
						perr(c, val, "%s.%s must be audit or block", sub,
						     keys[i]);
					else
						post[i] = sval(val);
				}
			}
		}
	}
	if (!(seen & 1) && !host)
		perr(c, n, "%s.name is required", path);
	if (c->errors == before &&
	    bw_inventory_set_posture(inv, host ? "" : name, post[0], post[1], post[2]))
		perr(c, n, "%s: cannot set the postures", path);
	if (c->errors == before && vis && bw_inventory_set_visibility(inv, host ? "" : name, vis))
		perr(c, n, "%s: cannot set the visibility", path);
	free(name);
}

int bw_inventory_load_yaml(struct bw_inventory *inv, const char *buf, size_t len,
			   const char *filename, struct bw_diags *diags)
{
	static const char *const fields[] = {"nodes", "containers", "namespaces", "host"};
	yaml_parser_t parser;
	yaml_document_t doc;
	struct pctx c = {.doc = &doc, .file = filename ? filename : "<inventory>", .diags = diags};
	uint32_t seen = 0;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		bw_diags_add(diags, c.file, (unsigned)parser.problem_mark.line + 1,
			     (unsigned)parser.problem_mark.column + 1, "invalid YAML: %s",
			     parser.problem ? parser.problem : "parse error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (!root) {
		bw_diags_add(diags, c.file, 0, 0, "the inventory is empty");
		c.errors++;
	} else if (want_map(&c, root, "inventory")) {
		/* Nodes first: containers name them. */
		for (int pass = 0; pass < 2; pass++)
			for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
			     pr < root->data.mapping.pairs.top; pr++) {
				int f = -1;
				if (!pass) {
					f = field_idx(&c, pr, "inventory", fields,
						      ARRAY_SIZE(fields), &seen);
				} else {
					/* Keys were checked (and reported) in pass 0. */
					yaml_node_t *k = pnode(&c, pr->key);
					for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
						if (k->type == YAML_SCALAR_NODE &&
						    !strcmp(sval(k), fields[i]))
							f = (int)i;
				}
				yaml_node_t *v = pnode(&c, pr->value);
				if (f < 0 || (pass == 0) != (f == 0 || f == 3))
					continue;
				if (f == 3) {
					/* host: the nodes' own postures, as annotations. */
					load_namespace(&c, inv, v, "host", true);
					continue;
				}
				if (!want_seq(&c, v, fields[f], 1u << 20))
					continue;
				for (yaml_node_item_t *it = v->data.sequence.items.start;
				     it < v->data.sequence.items.top; it++) {
					char sub[64];
					snprintf(sub, sizeof(sub), "%s[%ld]", fields[f],
						 (long)(it - v->data.sequence.items.start));
					if (f == 0)
						load_node(&c, inv, pnode(&c, *it), sub);
					else if (f == 1)
						load_container(&c, inv, pnode(&c, *it), sub);
					else
						load_namespace(&c, inv, pnode(&c, *it), sub, false);
				}
			}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return c.errors ? -EINVAL : 0;
}
