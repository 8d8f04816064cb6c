/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl validate / compile: the policy library without a controller,
 * so users see every error, and exactly what would be enforced and why,
 * before applying anything.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bw_array.h"
#include "bw_policy.h"
#include "bw_file.h"
#include "cli.h"

struct files {
	char **v;
	size_t n, cap;
};

static int files_add(struct files *f, const char *path)
{
	if (BW_GROW(f->v, f->cap, f->n + 1))
		return -ENOMEM;
	if (!(f->v[f->n] = strdup(path)))
		return -ENOMEM;
	f->n++;
	return 0;
}

static void files_free(struct files *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->v[i]);
	free(f->v);
}

static bool policy_ext(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory contributes its *.yaml, *.yml and *.json files, recursively,
 * in name order so that output is stable. */
static int collect(struct files *f, const char *path, int depth)
{
	struct stat st;

	if (!strcmp(path, "-"))
		return files_add(f, path); /* standard input */
	if (stat(path, &st)) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	if (!S_ISDIR(st.st_mode))
		return files_add(f, path);
	if (depth > 16) {
		fprintf(stderr, "%s: directories nested too deep\n", path);
		return -ELOOP;
	}
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -errno;
	}
	struct files here = {0};
	struct dirent *e;
	int rc = 0;
	while (!rc && (e = readdir(d))) {
		char *sub = NULL;
		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&sub, "%s/%s", path, e->d_name) < 0) {
			rc = -ENOMEM;
			break;
		}
		if (!stat(sub, &st) && (S_ISDIR(st.st_mode) || policy_ext(e->d_name)))
			rc = files_add(&here, sub);
		free(sub);
	}
	closedir(d);
	qsort(here.v, here.n, sizeof(*here.v), cmp_str);
	for (size_t i = 0; !rc && i < here.n; i++)
		rc = collect(f, here.v[i], depth + 1);
	files_free(&here);
	return rc;
}

/* A policy or inventory file, "-" for stdin.  Files past the parser's limit
 * are still read (up to 16 MiB) so the parser reports their size. */
static char *read_file(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : fdopen(dup(0), "rb");
	char *buf;
	int err;

	if (!fp)
		return NULL;
	buf = bw_read_stream(fp, 16u << 20, len);
	err = errno;
	fclose(fp);
	errno = err;
	return buf;
}

static void print_diags(struct bw_diags *d)
{
	char *s = bw_diags_format(d);

	if (s)
		fputs(s, stderr);
	free(s);
}

/*
 * Parses every file into set (when given).  Returns the number of invalid
 * files; errors are printed, including the same policy in two files.
 */
static int load_policies(int argc, char **argv, struct bw_policy_set *set, size_t *n_policies)
{
	struct files f = {0};
	int bad = 0;

	for (int i = 0; i < argc; i++)
		if (collect(&f, argv[i], 0))
			bad++;
	if (!f.n && !bad) {
		fprintf(stderr, "no policy files (*.yaml, *.yml, *.json) given\n");
		bad++;
	}
	for (size_t i = 0; i < f.n; i++) {
		struct bw_diags *d = NULL;
		struct bw_policy **pv = NULL;
		size_t n = 0, len = 0;
		char *buf = read_file(f.v[i], &len);
		if (!buf) {
			fprintf(stderr, "%s: %s\n", f.v[i], strerror(errno));
			bad++;
			continue;
		}
		if (bw_diags_new(&d)) {
			free(buf);
			bad++;
			break;
		}
		const char *name = strcmp(f.v[i], "-") ? f.v[i] : "<stdin>";
		if (bw_policy_parse(buf, len, name, &pv, &n, d)) {
			print_diags(d);
			bad++;
		} else {
			for (size_t k = 0; k < n; k++) {
				struct bw_policy *p = pv[k];
				if (bw_policy_set_get(set, bw_policy_kind(p),
						      bw_policy_namespace(p), bw_policy_name(p))) {
					fprintf(
					    stderr,
					    "%s: %s %s%s%s is also defined in an earlier file\n",
					    f.v[i], bw_policy_kind_name(bw_policy_kind(p)),
					    bw_policy_namespace(p),
					    *bw_policy_namespace(p) ? "/" : "", bw_policy_name(p));
					bw_policy_free(p);
					bad++;
				} else if (bw_policy_set_put(set, p)) {
					bw_policy_free(p);
					bad++;
				} else {
					(*n_policies)++;
				}
			}
			free(pv);
		}
		bw_diags_free(d);
		free(buf);
	}
	files_free(&f);
	return bad;
}

int cli_cmd_validate(int argc, char **argv)
{
	struct bw_policy_set *set = NULL;
	size_t n = 0;
	int bad;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fprintf(argc < 2 ? stderr : stdout,
			"usage: bulwarkctl validate FILE|DIR|-...\n"
			"  Checks KubeArmor policies (YAML or JSON, several documents per file).\n"
			"  Exit 0 when all are valid; else prints every error as\n"
			"  file:line:col: message and exits 1.\n");
		return argc < 2 ? 2 : 0;
	}
	if (bw_policy_set_new(&set))
		return 1;
	bad = load_policies(argc - 1, argv + 1, set, &n);
	if (!bad)
		printf("%zu policies valid\n", n);
	bw_policy_set_free(set);
	return bad ? 1 : 0;
}

/* The node's compiled JSON, with each container's name, pod and image added
 * so the reader need not look them up. */
static cJSON *node_json(const struct bw_inventory *inv, const Bulwark__V1__CompiledPolicy *cp)
{
	char *s = bw_compiled_to_json(cp);
	cJSON *j = s ? cJSON_Parse(s) : NULL;

	free(s);
	if (!j)
		return NULL;
	cJSON *cs = cJSON_GetObjectItem(j, "containers");
	cJSON *c;
	cJSON_ArrayForEach(c, cs)
	{
		cJSON *id = cJSON_GetObjectItem(c, "containerId");
		const Bulwark__V1__Container *ct =
		    id ? bw_inventory_container(inv, cJSON_GetStringValue(id)) : NULL;
		if (!ct)
			continue;
		if (ct->name && ct->name[0])
			cJSON_AddStringToObject(c, "name", ct->name);
		if (ct->pod_name && ct->pod_name[0])
			cJSON_AddStringToObject(c, "pod", ct->pod_name);
		if (ct->image && ct->image[0])
			cJSON_AddStringToObject(c, "image", ct->image);
	}
	return j;
}

int cli_cmd_compile(int argc, char **argv)
{
	static const struct option opts[] = {{"inventory", required_argument, NULL, 'i'},
					     {"node", required_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {0}};
	const char *inv_path = NULL, *only = NULL;
	struct bw_policy_set *set = NULL;
	struct bw_inventory *inv = NULL;
	struct bw_diags *d = NULL;
	const char **nodes = NULL;
	size_t n_nodes = 0, n = 0, len = 0;
	cJSON *out = NULL;
	char *buf = NULL;
	int c, rc = 1;

	optind = 1;
	while ((c = getopt_long(argc, argv, "i:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			inv_path = optarg;
			break;
		case 'n':
			only = optarg;
			break;
		case 'h':
			printf("usage: bulwarkctl compile --inventory INV.yaml [--node NODE] "
			       "FILE|DIR...\n"
			       "  Prints, as JSON, the rules each container and node gets and the "
			       "policy behind each.\n"
			       "  Inventory format: controller/policy/bw_policy.h, example "
			       "tests/policies/inventory.yaml.\n");
			return 0;
		default:
			return 2;
		}
	}
	if (!inv_path || optind >= argc) {
		fprintf(stderr, "usage: bulwarkctl compile --inventory INV.yaml [--node NODE] "
				"FILE|DIR...\n");
		return 2;
	}
	if (bw_policy_set_new(&set) || bw_inventory_new(&inv) || bw_diags_new(&d))
		goto done;
	if (!(buf = read_file(inv_path, &len))) {
		fprintf(stderr, "%s: %s\n", inv_path, strerror(errno));
		goto done;
	}
	if (bw_inventory_load_yaml(inv, buf, len, inv_path, d)) {
		print_diags(d);
		goto done;
	}
	if (load_policies(argc - optind, argv + optind, set, &n))
		goto done;
	if (bw_inventory_nodes(inv, &nodes, &n_nodes))
		goto done;
	out = cJSON_CreateArray();
	bool found = !only;
	for (size_t i = 0; out && i < n_nodes; i++) {
		Bulwark__V1__CompiledPolicy *cp = NULL;
		if (only && strcmp(only, nodes[i]))
			continue;
		found = true;
		int e = bw_compile_node(set, inv, nodes[i], 1, &cp);
		if (e) {
			fprintf(stderr, "compiling node %s: %s\n", nodes[i], strerror(-e));
			goto done;
		}
		cJSON *j = node_json(inv, cp);
		bw_compiled_free(cp);
		if (!j)
			goto done;
		cJSON_AddItemToArray(out, j);
	}
	if (!found) {
		fprintf(stderr, "node '%s' is not in %s\n", only, inv_path);
		goto done;
	}
	char *s = cJSON_Print(out);
	if (!s)
		goto done;
	puts(s);
	free(s);
	rc = 0;
done:
	cJSON_Delete(out);
	free(nodes);
	free(buf);
	bw_diags_free(d);
	bw_inventory_free(inv);
	bw_policy_set_free(set);
	return rc;
}
