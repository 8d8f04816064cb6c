/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl apply / get / delete / posture / status: the controller's
 * admin API (controller/http_client.h) with kubectl-like output.
 *
 * Where: --socket PATH (default /run/bulwark/controller.sock, or
 * $BULWARK_SOCKET), or --server http://host:port with --token T /
 * --token-file F (or $BULWARK_SERVER, $BULWARK_TOKEN).
 * Exit codes: 0 done, 1 the controller refused or is unreachable, 2 usage.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "admin.h"
#include "bw_file.h"
#include "bw_policy.h"
#include "cli.h"
#include "http_client.h"

/* ---- apply ------------------------------------------------------------------------------- */

static int has_ext(const char *n)
{
	const char *dot = strrchr(n, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expands FILE|DIR: a directory gives its .yaml, .yml and .json files, sorted, recursively. */
static int expand(const char *path, char ***v, size_t *n, int depth)
{
	struct stat st;
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0;
	DIR *d;
	int rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "bulwarkctl: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

		if (!nv)
			return -1;
		*v = nv;
		nv[(*n)++] = strdup(path);
		return 0;
	}
	if (depth > 16 || !(d = opendir(path))) {
		fprintf(stderr, "bulwarkctl: %s: %s\n", path,
			depth > 16 ? "nested too deep" : strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		char *full, **nv;
		struct stat cs;

		if (de->d_name[0] == '.')
			continue;
		if (asprintf(&full, "%s/%s", path, de->d_name) < 0)
			break;
		if (stat(full, &cs) || (!S_ISDIR(cs.st_mode) && !has_ext(de->d_name))) {
			free(full);
			continue;
		}
		nv = realloc(names, (nn + 1) * sizeof(*nv));
		if (!nv) {
			free(full);
			break;
		}
		names = nv;
		names[nn++] = full;
	}
	closedir(d);
	qsort(names, nn, sizeof(*names), cmpstr);
	for (size_t i = 0; i < nn; i++) {
		if (!rc)
			rc = expand(names[i], v, n, depth + 1);
		free(names[i]);
	}
	free(names);
	return rc;
}

static void usage_apply(FILE *f)
{
	fprintf(f,
		"usage: bulwarkctl apply -f FILE|DIR [-f ...] [--socket PATH | --server URL "
		"--token T]\n"
		"  stores KubeArmor policies in the controller; a directory contributes its\n"
		"  *.yaml, *.yml and *.json files.  Prints kind/namespace/name created|configured"
		"|unchanged.\n");
}

int cli_cmd_apply(int argc, char **argv)
{
	struct conn c = {0};
	char **files = NULL;
	size_t nf = 0;
	int rc = 0;

	argc = adm_parse_conn(argc, argv, &c);
	if (argc < 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage_apply(stdout);
			goto done;
		}
		if ((!strcmp(argv[i], "-f") || !strcmp(argv[i], "--filename")) && i + 1 < argc) {
			if (expand(argv[++i], &files, &nf, 0)) {
				rc = 1;
				goto done;
			}
		} else {
			fprintf(stderr, "bulwarkctl apply: unexpected argument '%s'\n", argv[i]);
			usage_apply(stderr);
			rc = 2;
			goto done;
		}
	}
	if (nf == 0) {
		usage_apply(stderr);
		rc = 2;
		goto done;
	}
	for (size_t i = 0; i < nf; i++) {
		char *path = NULL, *enc = adm_urlenc(files[i]), *body;
		cJSON *out = NULL;
		const cJSON *r;
		size_t len;

		body = bw_read_file(files[i], ADM_FILE_MAX, &len);
		if (!body) {
			fprintf(stderr, "bulwarkctl: %s: %s\n", files[i], strerror(errno));
			free(enc);
			rc = 1;
			continue;
		}
		if (enc && asprintf(&path, "/v1/policies?filename=%s", enc) > 0 &&
		    adm_call(&c, "POST", path, body, len, files[i], &out) == 0) {
			cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "results"))
			{
				char kind[64];
				const char *ns = adm_jstr(r, "namespace");

				adm_lower(kind, adm_jstr(r, "kind"), sizeof(kind));
				printf("%s/%s%s%s %s\n", kind, ns, ns[0] ? "/" : "",
				       adm_jstr(r, "name"), adm_jstr(r, "result"));
			}
		} else {
			rc = 1;
		}
		cJSON_Delete(out);
		free(path);
		free(enc);
		free(body);
	}
done:
	for (size_t i = 0; i < nf; i++)
		free(files[i]);
	free(files);
	free(c.token);
	return rc;
}

/* ---- get ---------------------------------------------------------------------------------- */

static void table_policies(const cJSON *items, enum out_fmt fmt)
{
	struct table t = {.ncols = fmt == OUT_WIDE ? 5 : 4};
	const char *hdr[] = {"NAMESPACE", "NAME", "KIND", "AGE", "ACTION"};
	const cJSON *it;

	adm_table_add(&t, hdr);
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(it, "policy"), "spec");
		char a[32];

		adm_age(adm_jstr(it, "updated"), a, sizeof(a));
		const char *row[] = {adm_jstr(it, "namespace"), adm_jstr(it, "name"),
				     adm_jstr(it, "kind"), a, adm_jstr(spec, "action")};
		adm_table_add(&t, row);
	}
	adm_table_print(&t);
}

static void table_nodes(const cJSON *items, enum out_fmt fmt)
{
	struct table t = {.ncols = fmt == OUT_WIDE ? 12 : 7};
	const char *hdr[] = {"NAME",	"STATUS",    "ENFORCER",   "POLICY",
			     "APPLIED", "HEARTBEAT", "CONTAINERS", "KERNEL",
			     "AGENT",	"LOST",	     "DROPPED",	   "UNENFORCEABLE"};
	const cJSON *it;

	adm_table_add(&t, hdr);
	cJSON_ArrayForEach(it, items)
	{
		char pol[24], app[40], hb[32], nc[24], lost[24], drop[24], *unenf;
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(it, "events"), *u;
		size_t ul = 1;

		snprintf(pol, sizeof(pol), "%.0f", adm_jnum(it, "policy_version"));
		snprintf(app, sizeof(app), "%.0f%s", adm_jnum(it, "applied_version"),
			 cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "ack_ok")) ? " (failed)"
										       : "");
		adm_age(adm_jstr(it, "last_heartbeat"), hb, sizeof(hb));
		snprintf(nc, sizeof(nc), "%.0f", adm_jnum(it, "containers"));
		snprintf(lost, sizeof(lost), "%.0f", adm_jnum(ev, "lost"));
		snprintf(drop, sizeof(drop), "%.0f", adm_jnum(ev, "dropped"));
		cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(it, "unenforceable")) ul +=
		    strlen(cJSON_IsString(u) ? u->valuestring : "") + 1;
		unenf = calloc(1, ul);
		cJSON_ArrayForEach(u, cJSON_GetObjectItemCaseSensitive(it, "unenforceable"))
		{
			if (unenf && cJSON_IsString(u)) {
				if (unenf[0])
					strcat(unenf, ",");
				strcat(unenf, u->valuestring);
			}
		}
		const char *row[] = {adm_jstr(it, "name"),
				     adm_jstr(it, "state"),
				     adm_jstr(it, "enforcer"),
				     pol,
				     app,
				     hb,
				     nc,
				     adm_jstr(it, "kernel"),
				     adm_jstr(it, "agent_version"),
				     lost,
				     drop,
				     unenf ? unenf : ""};
		adm_table_add(&t, row);
		free(unenf);
	}
	adm_table_print(&t);
}

static void table_containers(const cJSON *items, enum out_fmt fmt)
{
	struct table t = {.ncols = fmt == OUT_WIDE ? 8 : 5};
	const char *hdr[] = {"NODE", "NAMESPACE", "POD", "NAME", "ID", "IMAGE", "SOURCE", "LABELS"};
	const cJSON *it;

	adm_table_add(&t, hdr);
	cJSON_ArrayForEach(it, items)
	{
		char id[16], *labels = adm_join_obj(cJSON_GetObjectItemCaseSensitive(it, "labels"));

		snprintf(id, sizeof(id), "%.12s", adm_jstr(it, "id"));
		const char *row[] = {adm_jstr(it, "node"),
				     adm_jstr(it, "namespace"),
				     adm_jstr(it, "pod"),
				     adm_jstr(it, "name"),
				     fmt == OUT_WIDE ? adm_jstr(it, "id") : id,
				     adm_jstr(it, "image"),
				     adm_jstr(it, "source"),
				     labels ? labels : ""};
		adm_table_add(&t, row);
		free(labels);
	}
	adm_table_print(&t);
}

static void usage_get(FILE *f)
{
	fprintf(f, "usage: bulwarkctl get policies|nodes|containers [-o json|yaml|wide]\n"
		   "         [-n NAMESPACE] [--node NODE] [-l k=v,...]\n"
		   "       bulwarkctl get node NAME [-o json|yaml]\n"
		   "       bulwarkctl get policy KIND [NAMESPACE/]NAME [-o json|yaml]\n");
}

int cli_cmd_get(int argc, char **argv)
{
	const char *what = NULL, *ns = NULL, *node = NULL, *sel = NULL, *args[2] = {0};
	enum out_fmt fmt = OUT_TABLE;
	struct conn c = {0};
	char path[1024], q[768] = "";
	cJSON *out = NULL;
	int rc = 2, nargs = 0;

	argc = adm_parse_conn(argc, argv, &c);
	if (argc < 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage_get(stdout);
			rc = 0;
			goto done;
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
			a = argv[++i];
			if (!strcmp(a, "json"))
				fmt = OUT_JSON;
			else if (!strcmp(a, "yaml"))
				fmt = OUT_YAML;
			else if (!strcmp(a, "wide"))
				fmt = OUT_WIDE;
			else {
				fprintf(stderr, "bulwarkctl get: -o takes json, yaml or wide\n");
				goto done;
			}
		} else if ((!strcmp(a, "-n") || !strcmp(a, "--namespace")) && i + 1 < argc) {
			ns = argv[++i];
		} else if (!strcmp(a, "--node") && i + 1 < argc) {
			node = argv[++i];
		} else if ((!strcmp(a, "-l") || !strcmp(a, "--selector")) && i + 1 < argc) {
			sel = argv[++i];
		} else if (a[0] == '-') {
			fprintf(stderr, "bulwarkctl get: unknown flag '%s'\n", a);
			usage_get(stderr);
			goto done;
		} else if (!what) {
			what = a;
		} else if (nargs < 2) {
			args[nargs++] = a;
		} else {
			fprintf(stderr, "bulwarkctl get: unexpected argument '%s'\n", a);
			goto done;
		}
	}
	if (!what) {
		usage_get(stderr);
		goto done;
	}
#define ADDQ(k, v)                                                                                 \
	do {                                                                                       \
		char *e_ = adm_urlenc(v);                                                          \
		if (e_)                                                                            \
			snprintf(q + strlen(q), sizeof(q) - strlen(q), "%s%s=%s",                  \
				 q[0] ? "&" : "?", k, e_);                                         \
		free(e_);                                                                          \
	} while (0)
	if (!strcmp(what, "policies") || !strcmp(what, "policy") || !strcmp(what, "ksp")) {
		if (nargs == 2 || (nargs == 1 && strcmp(what, "policies"))) {
			/* get policy KIND [NS/]NAME */
			const char *kind = nargs == 2 ? args[0] : "KubeArmorPolicy";
			const char *ref = nargs == 2 ? args[1] : args[0], *slash = strchr(ref, '/');
			char *ens, *ename;

			ens = adm_urlenc(slash ? "" : (ns ? ns : "default"));
			if (slash) {
				free(ens);
				char nsb[256];

				snprintf(nsb, sizeof(nsb), "%.*s", (int)(slash - ref), ref);
				ens = adm_urlenc(nsb);
			}
			ename = adm_urlenc(slash ? slash + 1 : ref);
			snprintf(path, sizeof(path), "/v1/policies/%s/%s/%s", kind,
				 ens && ens[0] ? ens : "-", ename ? ename : "");
			free(ens);
			free(ename);
			rc = adm_call(&c, "GET", path, NULL, 0, "get policy", &out);
			if (!rc)
				adm_print_doc(fmt == OUT_JSON || fmt == OUT_YAML
						  ? out
						  : cJSON_GetObjectItemCaseSensitive(out, "policy"),
					      fmt == OUT_JSON ? OUT_JSON : OUT_YAML);
			goto done;
		}
		if (ns)
			ADDQ("namespace", ns);
		snprintf(path, sizeof(path), "/v1/policies%s", q);
	} else if (!strcmp(what, "nodes") || !strcmp(what, "node") || !strcmp(what, "no")) {
		if (nargs == 1) {
			char *e = adm_urlenc(args[0]);

			snprintf(path, sizeof(path), "/v1/nodes/%s", e ? e : "");
			free(e);
			rc = adm_call(&c, "GET", path, NULL, 0, "get node", &out);
			if (!rc)
				adm_print_doc(out, fmt == OUT_JSON ? OUT_JSON : OUT_YAML);
			goto done;
		}
		snprintf(path, sizeof(path), "/v1/nodes");
	} else if (!strcmp(what, "containers") || !strcmp(what, "container")) {
		if (node)
			ADDQ("node", node);
		if (ns)
			ADDQ("namespace", ns);
		if (sel)
			ADDQ("selector", sel);
		snprintf(path, sizeof(path), "/v1/containers%s", q);
	} else {
		fprintf(stderr,
			"bulwarkctl get: unknown resource '%s' (policies, nodes, containers)\n",
			what);
		goto done;
	}
#undef ADDQ
	rc = adm_call(&c, "GET", path, NULL, 0, "get", &out);
	if (rc)
		goto done;
	{
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(out, "items");

		if (fmt == OUT_JSON || fmt == OUT_YAML)
			adm_print_doc(items, fmt);
		else if (cJSON_GetArraySize(items) == 0)
			fprintf(stderr, "No resources found.\n");
		else if (what[0] == 'p' || what[0] == 'k')
			table_policies(items, fmt);
		else if (what[0] == 'n')
			table_nodes(items, fmt);
		else
			table_containers(items, fmt);
	}
done:
	cJSON_Delete(out);
	free(c.token);
	return rc;
}

/* ---- delete ------------------------------------------------------------------------------- */

static int delete_one(struct conn *c, const char *kind, const char *ns, const char *name)
{
	char *ek = adm_urlenc(kind), *en = adm_urlenc(ns && ns[0] ? ns : "-"),
	     *em = adm_urlenc(name);
	char path[1024], kl[64];
	cJSON *out = NULL;
	int rc = 1;

	if (ek && en && em) {
		snprintf(path, sizeof(path), "/v1/policies/%s/%s/%s", ek, en, em);
		rc = adm_call(c, "DELETE", path, NULL, 0, "delete", &out);
	}
	if (!rc) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(out, "deleted");
		const char *dns = adm_jstr(d, "namespace");

		adm_lower(kl, adm_jstr(d, "kind"), sizeof(kl));
		printf("%s/%s%s%s deleted\n", kl, dns, dns[0] ? "/" : "", adm_jstr(d, "name"));
	}
	cJSON_Delete(out);
	free(ek);
	free(en);
	free(em);
	return rc;
}

int cli_cmd_delete(int argc, char **argv)
{
	struct conn c = {0};
	int rc = 0;

	argc = adm_parse_conn(argc, argv, &c);
	if (argc < 0)
		return 2;
	if (argc == 3 && (!strcmp(argv[1], "-f") || !strcmp(argv[1], "--filename"))) {
		char **files = NULL;
		size_t nf = 0;

		if (expand(argv[2], &files, &nf, 0))
			rc = 1;
		for (size_t i = 0; i < nf; i++) {
			struct bw_policy **v = NULL;
			struct bw_diags *d = NULL;
			size_t len, n = 0;
			char *buf = bw_read_file(files[i], ADM_FILE_MAX, &len);

			if (!buf || bw_diags_new(&d) ||
			    bw_policy_parse(buf, len, files[i], &v, &n, d)) {
				char *why = d ? bw_diags_format(d) : NULL;

				fprintf(stderr, "bulwarkctl: %s: %s\n", files[i],
					why && why[0] ? why : strerror(errno));
				free(why);
				rc = 1;
			}
			for (size_t k = 0; k < n; k++) {
				if (delete_one(&c, bw_policy_kind_name(bw_policy_kind(v[k])),
					       bw_policy_namespace(v[k]), bw_policy_name(v[k])))
					rc = 1;
				bw_policy_free(v[k]);
			}
			free(v);
			bw_diags_free(d);
			free(buf);
			free(files[i]);
		}
		free(files);
	} else if (argc == 3 && argv[1][0] != '-') {
		const char *slash = strchr(argv[2], '/');
		char ns[256];

		snprintf(ns, sizeof(ns), "%.*s", slash ? (int)(slash - argv[2]) : 0, argv[2]);
		if (!bw_policy_kind_parse(argv[1])) {
			fprintf(stderr,
				"bulwarkctl delete: unknown kind '%s' (KubeArmorPolicy, "
				"KubeArmorClusterPolicy, KubeArmorHostPolicy)\n",
				argv[1]);
			rc = 2;
		} else {
			rc = delete_one(&c, argv[1],
					slash ? ns
					      : (bw_policy_kind_parse(argv[1]) == BW_KIND_POLICY
						     ? "default"
						     : ""),
					slash ? slash + 1 : argv[2]);
		}
	} else {
		fprintf(stderr,
			"usage: bulwarkctl delete KIND [NAMESPACE/]NAME | delete -f FILE|DIR\n");
		rc = 2;
	}
	free(c.token);
	return rc;
}

/* ---- posture ------------------------------------------------------------------------------ */

int cli_cmd_posture(int argc, char **argv)
{
	/* visibility: kubearmor-visibility, "default" forgets it (null). */
	const char *ns = NULL, *vals[4] = {0};
	static const char *const keys[4] = {"file", "network", "capabilities", "visibility"};
	struct conn c = {0};
	char path[600], *ens = NULL;
	cJSON *out = NULL, *body = NULL;
	int rc = 2, set = 0;

	argc = adm_parse_conn(argc, argv, &c);
	if (argc < 0)
		return 2;
	for (int i = 1; i < argc; i++) {
		int k = -1;

		for (int j = 0; j < 4; j++)
			if (!strncmp(argv[i], "--", 2) && !strcmp(argv[i] + 2, keys[j]))
				k = j;
		if (k >= 0 && i + 1 < argc) {
			vals[k] = argv[++i];
			set = 1;
		} else if (argv[i][0] != '-' && !ns) {
			ns = argv[i];
		} else {
			ns = NULL;
			break;
		}
	}
	if (!ns) {
		fprintf(stderr,
			"usage: bulwarkctl posture NAMESPACE [--file audit|block] "
			"[--network audit|block] [--capabilities audit|block]\n"
			"       [--visibility process,file,network,capabilities|none|default]\n");
		goto done;
	}
	ens = adm_urlenc(ns);
	snprintf(path, sizeof(path), "/v1/namespaces/%s/posture", ens ? ens : "");
	if (set) {
		char *txt;

		body = cJSON_CreateObject();
		for (int j = 0; j < 4; j++)
			if (vals[j] && j == 3 && !strcmp(vals[j], "default"))
				cJSON_AddNullToObject(body, keys[j]);
			else if (vals[j])
				cJSON_AddStringToObject(body, keys[j], vals[j]);
		txt = cJSON_PrintUnformatted(body);
		rc = txt ? adm_call(&c, "PUT", path, txt, strlen(txt), "posture", &out) : 1;
		free(txt);
	} else {
		rc = adm_call(&c, "GET", path, NULL, 0, "posture", &out);
	}
	if (!rc) {
		struct table t = {.ncols = 5};
		const char *hdr[] = {"NAMESPACE", "FILE", "NETWORK", "CAPABILITIES", "VISIBILITY"};
		const char *vis = adm_jstr(out, "visibility");
		const char *row[] = {adm_jstr(out, "namespace"), adm_jstr(out, "file"),
				     adm_jstr(out, "network"), adm_jstr(out, "capabilities"),
				     *vis ? vis : "default"};

		adm_table_add(&t, hdr);
		adm_table_add(&t, row);
		adm_table_print(&t);
	}
done:
	free(ens);
	cJSON_Delete(body);
	cJSON_Delete(out);
	free(c.token);
	return rc;
}

/* ---- status ------------------------------------------------------------------------------- */

int cli_cmd_status(int argc, char **argv)
{
	struct conn c = {0};
	cJSON *st = NULL, *nodes = NULL;
	const cJSON *n;
	int rc;

	argc = adm_parse_conn(argc, argv, &c);
	if (argc < 0)
		return 2;
	if (argc > 1) {
		fprintf(stderr,
			"usage: bulwarkctl status [--socket PATH | --server URL --token T]\n");
		free(c.token);
		return 2;
	}
	rc = adm_call(&c, "GET", "/v1/status", NULL, 0, "status", &st);
	if (!rc)
		rc = adm_call(&c, "GET", "/v1/nodes", NULL, 0, "status", &nodes);
	if (rc)
		goto done;
	n = cJSON_GetObjectItemCaseSensitive(st, "nodes");
	printf("controller  %s  up %.0fs  agents at %s\n", adm_jstr(st, "version"),
	       adm_jnum(st, "uptime_seconds"), adm_jstr(st, "agents_url"));
	printf("policies    %.0f\n", adm_jnum(st, "policies"));
	printf("containers  %.0f\n", adm_jnum(st, "containers"));
	printf("nodes       %.0f total, %.0f ready, %.0f not ready, %.0f in sync\n",
	       adm_jnum(n, "total"), adm_jnum(n, "ready"), adm_jnum(n, "not_ready"),
	       adm_jnum(n, "in_sync"));
	if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(nodes, "items")) > 0) {
		printf("\n");
		table_nodes(cJSON_GetObjectItemCaseSensitive(nodes, "items"), OUT_TABLE);
	}
done:
	cJSON_Delete(st);
	cJSON_Delete(nodes);
	free(c.token);
	return rc;
}
