/* SPDX-License-Identifier: Apache-2.0 */
/* bulwarkctl: reaching the controller's admin API (admin.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "admin.h"
#include "bw_file.h"
#include "cli.h"

/*
 * Consumes the connection flags from argv (compacting it); returns the new
 * argc or -1 on a usage error.
 */
int adm_parse_conn(int argc, char **argv, struct conn *c)
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
		char *t = bw_read_file(token_file, ADM_FILE_MAX, &len);

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
int adm_report_error(const struct bw_http_resp *r, const char *what)
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
int adm_call(struct conn *c, const char *method, const char *path, const char *body, size_t len,
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
		rc = adm_report_error(&r, what);
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

char *adm_urlenc(const char *s)
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
