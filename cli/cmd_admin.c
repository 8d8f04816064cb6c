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

#include "bw_policy.h"
#include "cli.h"
#include "http_client.h"

#define DEFAULT_SOCKET "/run/bulwark/controller.sock"
#define TIMEOUT_MS 30000

struct conn {
	const char *target;
	char *token;
};

enum out_fmt { OUT_TABLE, OUT_WIDE, OUT_JSON, OUT_YAML };

/* ---- connection and requests -------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	if (!f)
		return NULL;
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 65536;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fclose(f);
		errno = EIO;
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * Consumes the connection flags from argv (compacting it); returns the new
 * argc or -1 on a usage error.
 */
static int parse_conn(int argc, char **argv, struct conn *c)
{
	const char *token_file = NULL;
	int out = 1;

	c->target = getenv("BULWARK_SERVER");
	if (!c->target || !c->target[0])
		c->target = getenv("BULWARK_SOCKET");
	if (!c->target || !c->target[0])
		c->target = DEFAULT_SOCKET;
	c->token = getenv("BULWARK_TOKEN") ? strdup(getenv("BULWARK_TOKEN")) : NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = NULL;
		size_t klen = 0;

		for (const char *const *k = (const char *const[]){"--socket", "--server", "--token",
								  "--token-file", NULL};
		     *k; k++) {
			klen = strlen(*k);
			if (strncmp(a, *k, klen) == 0 && (a[klen] == '\0' || a[klen] == '=')) {
				if (a[klen] == '=') {
					v = a + klen + 1;
				} else if (i + 1 < argc) {
					v = argv[++i];
				} else {
					fprintf(stderr, "bulwarkctl: %s needs a value\n", *k);
					return -1;
				}
				if (strcmp(*k, "--socket") == 0 || strcmp(*k, "--server") == 0) {
					c->target = v;
				} else if (strcmp(*k, "--token") == 0) {
					free(c->token);
					c->token = strdup(v);
				} else {
					token_file = v;
				}
				break;
			}
			v = NULL;
		}
		if (!v)
			argv[out++] = argv[i];
	}
	argv[out] = NULL;
	if (token_file) {
		size_t len;
		char *t = slurp(token_file, &len);

		if (!t) {
			fprintf(stderr, "bulwarkctl: cannot read %s: %s\n", token_file,
				strerror(errno));
			return -1;
		}
		while (len && (t[len - 1] == '\n' || t[len - 1] == '\r' || t[len - 1] == ' '))
			t[--len] = '\0';
		free(c->token);
		c->token = t;
	}
	if (strncmp(c->target, "http://", 7) != 0) {
		/* Tokens are for TCP; over the socket the file mode is the access control. */
		free(c->token);
		c->token = NULL;
	} else if (!c->token) {
		fprintf(stderr, "bulwarkctl: --server needs --token or --token-file "
				"(or $BULWARK_TOKEN)\n");
		return -1;
	}
	return out;
}

/* Prints the API's error object; returns 1. */
static int report_error(const struct bw_http_resp *r, const char *what)
{
	cJSON *o = cJSON_Parse(r->body), *e = cJSON_GetObjectItemCaseSensitive(o, "error");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message"), *d;

	if (cJSON_IsString(msg)) {
		fprintf(stderr, "bulwarkctl: %s: %s (HTTP %d)\n", what, msg->valuestring,
			r->status);
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(e, "details"))
		{
			if (cJSON_IsString(d))
				fprintf(stderr, "  %s\n", d->valuestring);
		}
	} else {
		fprintf(stderr, "bulwarkctl: %s: HTTP %d from the controller\n", what, r->status);
	}
	cJSON_Delete(o);
	return 1;
}

/* One request; on success *out holds the parsed JSON body (may be NULL). */
static int call(struct conn *c, const char *method, const char *path, const char *body, size_t len,
		const char *what, cJSON **out)
{
	struct bw_http_resp r;
	char err[512];
	int rc;

	if (out)
		*out = NULL;
	rc = bw_http_request(c->target, c->token, method, path, body ? "application/json" : NULL,
			     body, len, TIMEOUT_MS, &r, err, sizeof(err));
	if (rc) {
		fprintf(stderr, "bulwarkctl: %s\n", err);
		return 1;
	}
	if (r.status / 100 != 2) {
		rc = report_error(&r, what);
		bw_http_resp_free(&r);
		return rc;
	}
	if (out) {
		*out = cJSON_Parse(r.body);
		if (!*out) {
			fprintf(stderr, "bulwarkctl: %s: the controller's reply is not JSON\n",
				what);
			bw_http_resp_free(&r);
			return 1;
		}
	}
	bw_http_resp_free(&r);
	return 0;
}

static char *urlenc(const char *s)
{
	char *o = malloc(strlen(s) * 3 + 1), *p = o;

	if (!o)
		return NULL;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			*p++ = (char)ch;
		else
			p += sprintf(p, "%%%02X", ch);
	}
	*p = '\0';
	return o;
}

/* ---- output --------------------------------------------------------------------------- */

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static double jnum(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void yaml_scalar(FILE *f, const cJSON *v)
{
	if (cJSON_IsString(v)) {
		const char *s = v->valuestring;
		int plain = s[0] && !strpbrk(s, ":#{}[],&*?|<>=!%@`'\"\n\\") && s[0] != '-' &&
			    s[0] != ' ' && s[strlen(s) - 1] != ' ' && strcmp(s, "true") &&
			    strcmp(s, "false") && strcmp(s, "null") &&
			    strspn(s, "0123456789.") != strlen(s);

		if (plain) {
			fputs(s, f);
		} else {
			fputc('"', f);
			for (; *s; s++) {
				if (*s == '"' || *s == '\\')
					fprintf(f, "\\%c", *s);
				else if (*s == '\n')
					fputs("\\n", f);
				else
					fputc(*s, f);
			}
			fputc('"', f);
		}
	} else if (cJSON_IsNumber(v)) {
		fprintf(f, "%.15g", v->valuedouble);
	} else if (cJSON_IsBool(v)) {
		fputs(cJSON_IsTrue(v) ? "true" : "false", f);
	} else {
		fputs("null", f);
	}
}

static void yaml_emit(FILE *f, const cJSON *v, int indent, int in_seq)
{
	const cJSON *e;
	int first = 1;

	if (cJSON_IsObject(v)) {
		if (!v->child) {
			fputs(" {}\n", f);
			return;
		}
		if (!in_seq)
			fputc('\n', f);
		cJSON_ArrayForEach(e, v)
		{
			if (!(in_seq && first))
				fprintf(f, "%*s", indent, "");
			first = 0;
			fprintf(f, "%s:", e->string);
			if (cJSON_IsObject(e) || cJSON_IsArray(e)) {
				yaml_emit(f, e, indent + 2, 0);
			} else {
				fputc(' ', f);
				yaml_scalar(f, e);
				fputc('\n', f);
			}
		}
	} else if (cJSON_IsArray(v)) {
		if (!v->child) {
			fputs(" []\n", f);
			return;
		}
		fputc('\n', f);
		cJSON_ArrayForEach(e, v)
		{
			fprintf(f, "%*s- ", indent, "");
			if (cJSON_IsObject(e) && e->child) {
				yaml_emit(f, e, indent + 2, 1);
			} else if (cJSON_IsArray(e)) {
				yaml_emit(f, e, indent + 2, 0);
			} else {
				yaml_scalar(f, e);
				fputc('\n', f);
			}
		}
	} else {
		yaml_scalar(f, v);
		fputc('\n', f);
	}
}

static void print_doc(const cJSON *v, enum out_fmt fmt)
{
	if (fmt == OUT_YAML) {
		if (cJSON_IsObject(v) && v->child)
			yaml_emit(stdout, v, 0, 1);
		else
			yaml_emit(stdout, v, 0, 0);
		return;
	}
	char *txt = cJSON_Print(v);

	if (txt)
		printf("%s\n", txt);
	free(txt);
}

/* A table: rows of cells, columns padded to the widest cell (kubectl style). */
struct table {
	char ***rows;
	size_t nrows, ncols;
};

static void table_add(struct table *t, const char *const *cells)
{
	char **row = calloc(t->ncols, sizeof(*row));
	char ***nr = realloc(t->rows, (t->nrows + 1) * sizeof(*nr));

	if (!row || !nr) {
		free(row);
		return;
	}
	t->rows = nr;
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = strdup(cells[i] && cells[i][0] ? cells[i] : "<none>");
	t->rows[t->nrows++] = row;
}

static void table_print(struct table *t)
{
	size_t *w = calloc(t->ncols, sizeof(*w));

	for (size_t r = 0; w && r < t->nrows; r++)
		for (size_t i = 0; i < t->ncols; i++)
			if (t->rows[r][i] && strlen(t->rows[r][i]) > w[i])
				w[i] = strlen(t->rows[r][i]);
	for (size_t r = 0; w && r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->rows[r][i] ? t->rows[r][i] : "";

			if (i + 1 < t->ncols)
				printf("%-*s   ", (int)w[i], s);
			else
				printf("%s\n", s);
		}
	}
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++)
			free(t->rows[r][i]);
		free(t->rows[r]);
	}
	free(t->rows);
	free(w);
}

/* "2026-11-28T23:10:00.123Z" -> "42s", "5m", "3h", "2d" ago. */
static void age(const char *rfc3339, char *buf, size_t len)
{
	struct tm tm = {0};
	time_t then, now = time(NULL);
	long d;

	if (!rfc3339 || !rfc3339[0] || !strptime(rfc3339, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(buf, len, "never");
		return;
	}
	then = timegm(&tm);
	d = (long)(now - then);
	if (d < 0)
		d = 0;
	if (d < 120)
		snprintf(buf, len, "%lds", d);
	else if (d < 7200)
		snprintf(buf, len, "%ldm", d / 60);
	else if (d < 172800)
		snprintf(buf, len, "%ldh", d / 3600);
	else
		snprintf(buf, len, "%ldd", d / 86400);
}

static void lower(char *dst, const char *s, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		dst[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	dst[i] = '\0';
}

static char *join_obj(const cJSON *o)
{
	size_t len = 1;
	const cJSON *e;
	char *s;

	cJSON_ArrayForEach(e, o) len +=
	    strlen(e->string) + strlen(cJSON_IsString(e) ? e->valuestring : "") + 2;
	s = calloc(1, len);
	cJSON_ArrayForEach(e, o)
	{
		if (!s)
			break;
		if (s[0])
			strcat(s, ",");
		strcat(s, e->string);
		if (cJSON_IsString(e)) {
			strcat(s, "=");
			strcat(s, e->valuestring);
		}
	}
	return s;
}

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

	argc = parse_conn(argc, argv, &c);
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
		char *path = NULL, *enc = urlenc(files[i]), *body;
		cJSON *out = NULL;
		const cJSON *r;
		size_t len;

		body = slurp(files[i], &len);
		if (!body) {
			fprintf(stderr, "bulwarkctl: %s: %s\n", files[i], strerror(errno));
			free(enc);
			rc = 1;
			continue;
		}
		if (enc && asprintf(&path, "/v1/policies?filename=%s", enc) > 0 &&
		    call(&c, "POST", path, body, len, files[i], &out) == 0) {
			cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(out, "results"))
			{
				char kind[64];
				const char *ns = jstr(r, "namespace");

				lower(kind, jstr(r, "kind"), sizeof(kind));
				printf("%s/%s%s%s %s\n", kind, ns, ns[0] ? "/" : "",
				       jstr(r, "name"), jstr(r, "result"));
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

	table_add(&t, hdr);
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *spec = cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(it, "policy"), "spec");
		char a[32];

		age(jstr(it, "updated"), a, sizeof(a));
		const char *row[] = {jstr(it, "namespace"), jstr(it, "name"), jstr(it, "kind"), a,
				     jstr(spec, "action")};
		table_add(&t, row);
	}
	table_print(&t);
}

static void table_nodes(const cJSON *items, enum out_fmt fmt)
{
	struct table t = {.ncols = fmt == OUT_WIDE ? 12 : 7};
	const char *hdr[] = {"NAME",	"STATUS",    "ENFORCER",   "POLICY",
			     "APPLIED", "HEARTBEAT", "CONTAINERS", "KERNEL",
			     "AGENT",	"LOST",	     "DROPPED",	   "UNENFORCEABLE"};
	const cJSON *it;

	table_add(&t, hdr);
	cJSON_ArrayForEach(it, items)
	{
		char pol[24], app[40], hb[32], nc[24], lost[24], drop[24], *unenf;
		const cJSON *ev = cJSON_GetObjectItemCaseSensitive(it, "events"), *u;
		size_t ul = 1;

		snprintf(pol, sizeof(pol), "%.0f", jnum(it, "policy_version"));
		snprintf(app, sizeof(app), "%.0f%s", jnum(it, "applied_version"),
			 cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(it, "ack_ok")) ? " (failed)"
										       : "");
		age(jstr(it, "last_heartbeat"), hb, sizeof(hb));
		snprintf(nc, sizeof(nc), "%.0f", jnum(it, "containers"));
		snprintf(lost, sizeof(lost), "%.0f", jnum(ev, "lost"));
		snprintf(drop, sizeof(drop), "%.0f", jnum(ev, "dropped"));
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
		const char *row[] = {jstr(it, "name"),
				     jstr(it, "state"),
				     jstr(it, "enforcer"),
				     pol,
				     app,
				     hb,
				     nc,
				     jstr(it, "kernel"),
				     jstr(it, "agent_version"),
				     lost,
				     drop,
				     unenf ? unenf : ""};
		table_add(&t, row);
		free(unenf);
	}
	table_print(&t);
}

static void table_containers(const cJSON *items, enum out_fmt fmt)
{
	struct table t = {.ncols = fmt == OUT_WIDE ? 8 : 5};
	const char *hdr[] = {"NODE", "NAMESPACE", "POD", "NAME", "ID", "IMAGE", "SOURCE", "LABELS"};
	const cJSON *it;

	table_add(&t, hdr);
	cJSON_ArrayForEach(it, items)
	{
		char id[16], *labels = join_obj(cJSON_GetObjectItemCaseSensitive(it, "labels"));

		snprintf(id, sizeof(id), "%.12s", jstr(it, "id"));
		const char *row[] = {jstr(it, "node"),
				     jstr(it, "namespace"),
				     jstr(it, "pod"),
				     jstr(it, "name"),
				     fmt == OUT_WIDE ? jstr(it, "id") : id,
				     jstr(it, "image"),
				     jstr(it, "source"),
				     labels ? labels : ""};
		table_add(&t, row);
		free(labels);
	}
	table_print(&t);
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

	argc = parse_conn(argc, argv, &c);
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
		char *e_ = urlenc(v);                                                              \
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

			ens = urlenc(slash ? "" : (ns ? ns : "default"));
			if (slash) {
				free(ens);
				char nsb[256];

				snprintf(nsb, sizeof(nsb), "%.*s", (int)(slash - ref), ref);
				ens = urlenc(nsb);
			}
			ename = urlenc(slash ? slash + 1 : ref);
			snprintf(path, sizeof(path), "/v1/policies/%s/%s/%s", kind,
				 ens && ens[0] ? ens : "-", ename ? ename : "");
			free(ens);
			free(ename);
			rc = call(&c, "GET", path, NULL, 0, "get policy", &out);
			if (!rc)
				print_doc(fmt == OUT_JSON || fmt == OUT_YAML
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
			char *e = urlenc(args[0]);

			snprintf(path, sizeof(path), "/v1/nodes/%s", e ? e : "");
			free(e);
			rc = call(&c, "GET", path, NULL, 0, "get node", &out);
			if (!rc)
				print_doc(out, fmt == OUT_JSON ? OUT_JSON : OUT_YAML);
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
	rc = call(&c, "GET", path, NULL, 0, "get", &out);
	if (rc)
		goto done;
	{
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(out, "items");

		if (fmt == OUT_JSON || fmt == OUT_YAML)
			print_doc(items, fmt);
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
	char *ek = urlenc(kind), *en = urlenc(ns && ns[0] ? ns : "-"), *em = urlenc(name);
	char path[1024], kl[64];
	cJSON *out = NULL;
	int rc = 1;

	if (ek && en && em) {
		snprintf(path, sizeof(path), "/v1/policies/%s/%s/%s", ek, en, em);
		rc = call(c, "DELETE", path, NULL, 0, "delete", &out);
	}
	if (!rc) {
		const cJSON *d = cJSON_GetObjectItemCaseSensitive(out, "deleted");
		const char *dns = jstr(d, "namespace");

		lower(kl, jstr(d, "kind"), sizeof(kl));
		printf("%s/%s%s%s deleted\n", kl, dns, dns[0] ? "/" : "", jstr(d, "name"));
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

	argc = parse_conn(argc, argv, &c);
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
			char *buf = slurp(files[i], &len);

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

	argc = parse_conn(argc, argv, &c);
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
		fprintf(stderr, "usage: bulwarkctl posture NAMESPACE [--file audit|block] "
				"[--network audit|block] [--capabilities audit|block]\n"
				"       [--visibility process,file,network,capabilities|none|default]\n");
		goto done;
	}
	ens = urlenc(ns);
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
		rc = txt ? call(&c, "PUT", path, txt, strlen(txt), "posture", &out) : 1;
		free(txt);
	} else {
		rc = call(&c, "GET", path, NULL, 0, "posture", &out);
	}
	if (!rc) {
		struct table t = {.ncols = 5};
		const char *hdr[] = {"NAMESPACE", "FILE", "NETWORK", "CAPABILITIES", "VISIBILITY"};
		const char *vis = jstr(out, "visibility");
		const char *row[] = {jstr(out, "namespace"), jstr(out, "file"),
				     jstr(out, "network"), jstr(out, "capabilities"),
				     *vis ? vis : "default"};

		table_add(&t, hdr);
		table_add(&t, row);
		table_print(&t);
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

	argc = parse_conn(argc, argv, &c);
	if (argc < 0)
		return 2;
	if (argc > 1) {
		fprintf(stderr,
			"usage: bulwarkctl status [--socket PATH | --server URL --token T]\n");
		free(c.token);
		return 2;
	}
	rc = call(&c, "GET", "/v1/status", NULL, 0, "status", &st);
	if (!rc)
		rc = call(&c, "GET", "/v1/nodes", NULL, 0, "status", &nodes);
	if (rc)
		goto done;
	n = cJSON_GetObjectItemCaseSensitive(st, "nodes");
	printf("controller  %s  up %.0fs  agents at %s\n", jstr(st, "version"),
	       jnum(st, "uptime_seconds"), jstr(st, "agents_url"));
	printf("policies    %.0f\n", jnum(st, "policies"));
	printf("containers  %.0f\n", jnum(st, "containers"));
	printf("nodes       %.0f total, %.0f ready, %.0f not ready, %.0f in sync\n",
	       jnum(n, "total"), jnum(n, "ready"), jnum(n, "not_ready"), jnum(n, "in_sync"));
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
