/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_array.h"
#include "policy_int.h"

struct bw_diags {
	struct bw_diag *v;
	size_t n, cap;
	bool oom; /* a diagnostic was lost: say so rather than hide it */
};

char *bw_strdup0(const char *s)
{
	return strdup(s ? s : "");
}

int bw_diags_new(struct bw_diags **out)
{
	struct bw_diags *d = calloc(1, sizeof(*d));

	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

void bw_diags_free(struct bw_diags *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].file);
		free(d->v[i].message);
	}
	free(d->v);
	free(d);
}

size_t bw_diags_count(const struct bw_diags *d)
{
	return d ? d->n + (d->oom ? 1 : 0) : 0;
}

const struct bw_diag *bw_diags_get(const struct bw_diags *d, size_t i)
{
	static const struct bw_diag lost = {.file = "",
					    .message = "out of memory: diagnostics lost"};

	if (!d)
		return NULL;
	if (i < d->n)
		return &d->v[i];
	return i == d->n && d->oom ? &lost : NULL;
}

void bw_diags_add(struct bw_diags *d, const char *file, unsigned line, unsigned col,
		  const char *fmt, ...)
{
	va_list ap;
	char *msg = NULL;

	if (!d)
		return;
	if (BW_GROW(d->v, d->cap, d->n + 1)) {
		d->oom = true;
		return;
	}
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	char *f = bw_strdup0(file);
	if (!msg || !f) {
		free(msg);
		free(f);
		d->oom = true;
		return;
	}
	d->v[d->n++] = (struct bw_diag){.file = f, .line = line, .col = col, .message = msg};
}

char *bw_diags_format(const struct bw_diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	for (size_t i = 0; i < bw_diags_count(d); i++) {
		const struct bw_diag *g = bw_diags_get(d, i);
		if (g->line)
			fprintf(f, "%s:%u:%u: %s\n", g->file, g->line, g->col, g->message);
		else
			fprintf(f, "%s: %s\n", g->file, g->message);
	}
	if (fclose(f))
		return NULL;
	return buf;
}

void bw_diags_sort_from(struct bw_diags *d, size_t start)
{
	/* Insertion sort: stable, and a document has few errors. */
	for (size_t i = start + 1; d && i < d->n; i++) {
		struct bw_diag x = d->v[i];
		size_t j = i;
		while (j > start && (d->v[j - 1].line > x.line ||
				     (d->v[j - 1].line == x.line && d->v[j - 1].col > x.col))) {
			d->v[j] = d->v[j - 1];
			j--;
		}
		d->v[j] = x;
	}
}
