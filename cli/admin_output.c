/* SPDX-License-Identifier: Apache-2.0 */
/* bulwarkctl: printing the admin API's answers kubectl-style (admin.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin.h"
#include "cli.h"

const char *adm_jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

double adm_jnum(const cJSON *o, const char *k)
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

void adm_yaml_emit(FILE *f, const cJSON *v, int indent, int in_seq)
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
				adm_yaml_emit(f, e, indent + 2, 0);
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
				adm_yaml_emit(f, e, indent + 2, 1);
			} else if (cJSON_IsArray(e)) {
				adm_yaml_emit(f, e, indent + 2, 0);
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

void adm_print_doc(const cJSON *v, enum out_fmt fmt)
{
	if (fmt == OUT_YAML) {
		if (cJSON_IsObject(v) && v->child)
			adm_yaml_emit(stdout, v, 0, 1);
		else
			adm_yaml_emit(stdout, v, 0, 0);
		return;
	}
	char *txt = cJSON_Print(v);

	if (txt)
		printf("%s\n", txt);
	free(txt);
}

void adm_table_add(struct table *t, const char *const *cells)
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

void adm_table_print(struct table *t)
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
void adm_age(const char *rfc3339, char *buf, size_t len)
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

void adm_lower(char *dst, const char *s, size_t len)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < len; i++)
		dst[i] = (char)((s[i] >= 'A' && s[i] <= 'Z') ? s[i] + 32 : s[i]);
	dst[i] = '\0';
}

char *adm_join_obj(const cJSON *o)
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
