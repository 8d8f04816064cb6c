/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#define MAX_KEY 256

/* Keys compare with '-' and '_' as the same character: data-dir == data_dir. */
static int key_equal(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char ca = *a == '_' ? '-' : *a, cb = *b == '_' ? '-' : *b;

		if (ca != cb)
			return 0;
	}
	return *a == *b;
}

const struct bw_cfg_field *bw_cfg_find(const struct bw_cfg_field *table, const char *key)
{
	for (const struct bw_cfg_field *f = table; f->key; f++)
		if (key_equal(f->key, key))
			return f;
	return NULL;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Parses an integer with an optional unit suffix; units: table of (suffix, factor). */
static int parse_scaled(const char *s, const char *const *suffixes, const long long *factors,
			long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	while (*end == ' ')
		end++;
	if (*end == '\0') {
		*out = v;
		return 0;
	}
	for (int i = 0; suffixes[i]; i++) {
		if (strcasecmp(end, suffixes[i]) == 0) {
			if (v != 0 && (v > __LONG_LONG_MAX__ / factors[i] ||
				       v < -__LONG_LONG_MAX__ / factors[i]))
				return -ERANGE;
			*out = v * factors[i];
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (int i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -EINVAL;
}

static const char *type_name(enum bw_cfg_type t)
{
	switch (t) {
	case BW_CFG_STRING:
		return "a string";
	case BW_CFG_INT:
		return "an integer";
	case BW_CFG_BOOL:
		return "true or false";
	case BW_CFG_DURATION:
		return "a duration (e.g. 500ms, 3s, 2m)";
	case BW_CFG_SIZE:
		return "a size (e.g. 4096, 64k, 16m, 1g)";
	case BW_CFG_KV:
		return "a mapping of strings (or k=v,k=v)";
	}
	return "?";
}

static int validate_kv(const char *s)
{
	/* "k=v,k=v": every element has a non-empty key and an '='. */
	const char *p = s;

	if (!*p)
		return 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		const char *eq = strchr(p, '=');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);

		if (!eq || (size_t)(eq - p) >= n || eq == p)
			return -EINVAL;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static int set_field(const struct bw_cfg_field *f, void *cfg, const char *value, const char *origin,
		     char *err, size_t errlen)
{
	static const char *const dur_sfx[] = { "ms", "s", "m", "h", NULL };
	static const long long dur_fac[] = { 1, 1000, 60000, 3600000 };
	static const char *const size_sfx[] = { "b", "k", "kb", "kib", "m", "mb", "mib", "g", "gb", "gib", NULL };
	static const long long size_fac[] = { 1, 1024, 1024, 1024, 1 << 20, 1 << 20, 1 << 20, 1 << 30, 1 << 30, 1 << 30 };
	char *base = (char *)cfg + f->offset;
	long long v = 0;
	int rc = 0, b;

	switch (f->type) {
	case BW_CFG_STRING:
	case BW_CFG_KV: {
		char *dup;

		if (f->type == BW_CFG_KV && validate_kv(value)) {
			set_err(err, errlen, "%s: %s must be %s, got '%s'", origin, f->key,
				type_name(f->type), value);
			return -EINVAL;
		}
		dup = strdup(value);
		if (!dup)
			return -ENOMEM;
		free(*(char **)base);
		*(char **)base = dup;
		return 0;
	}
	case BW_CFG_BOOL:
		if (parse_bool(value, &b)) {
			set_err(err, errlen, "%s: %s must be %s, got '%s'", origin, f->key,
				type_name(f->type), value);
			return -EINVAL;
		}
		*(int *)base = b;
		return 0;
	case BW_CFG_INT: {
		static const char *const none[] = { NULL };

		rc = parse_scaled(value, none, NULL, &v);
		break;
	}
	case BW_CFG_DURATION:
		rc = parse_scaled(value, dur_sfx, dur_fac, &v);
		break;
	case BW_CFG_SIZE:
		rc = parse_scaled(value, size_sfx, size_fac, &v);
		break;
	}
	if (rc) {
		set_err(err, errlen, "%s: %s must be %s, got '%s'", origin, f->key,
			type_name(f->type), value);
		return -EINVAL;
	}
	if ((f->min || f->max) && (v < f->min || v > f->max)) {
		set_err(err, errlen, "%s: %s must be between %lld and %lld, got '%s'", origin,
			f->key, f->min, f->max, value);
		return -ERANGE;
	}
	*(long long *)base = v;
	return 0;
}

int bw_cfg_set(const struct bw_cfg_field *table, void *cfg, const char *key, const char *value,
	       const char *origin, char *err, size_t errlen)
{
	const struct bw_cfg_field *f = bw_cfg_find(table, key);

	if (!f) {
		set_err(err, errlen, "%s: unknown setting '%s'", origin, key);
		return -ENOENT;
	}
	return set_field(f, cfg, value, origin, err, errlen);
}

int bw_cfg_defaults(const struct bw_cfg_field *table, void *cfg, char *err, size_t errlen)
{
	for (const struct bw_cfg_field *f = table; f->key; f++) {
		if (!f->def)
			continue;
		if (set_field(f, cfg, f->def, "default", err, errlen))
			return -EINVAL;
	}
	return 0;
}

void bw_cfg_free(const struct bw_cfg_field *table, void *cfg)
{
	for (const struct bw_cfg_field *f = table; f->key; f++) {
		if (f->type == BW_CFG_STRING || f->type == BW_CFG_KV) {
			char **p = (char **)((char *)cfg + f->offset);

			free(*p);
			*p = NULL;
		}
	}
}

/* ---- YAML loading ------------------------------------------------------ */

struct loader {
	const struct bw_cfg_field *table;
	void *cfg;
	const char *path;
	yaml_parser_t parser;
	char *err;
	size_t errlen;
};

static int next_event(struct loader *l, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&l->parser, ev)) {
		set_err(l->err, l->errlen, "%s:%zu:%zu: invalid YAML: %s", l->path,
			l->parser.problem_mark.line + 1, l->parser.problem_mark.column + 1,
			l->parser.problem ? l->parser.problem : "parse error");
		return -EINVAL;
	}
	return 0;
}

static int load_mapping(struct loader *l, const char *prefix);

/* Reads a flow or block mapping of scalars into "k=v,k=v". */
static int load_kv(struct loader *l, const struct bw_cfg_field *f, yaml_mark_t at)
{
	char buf[4096] = "";
	size_t used = 0;
	yaml_event_t ev;
	int rc;

	for (;;) {
		char key[MAX_KEY];

		if ((rc = next_event(l, &ev)))
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			set_err(l->err, l->errlen, "%s:%zu:%zu: %s must be a mapping of strings",
				l->path, ev.start_mark.line + 1, ev.start_mark.column + 1, f->key);
			yaml_event_delete(&ev);
			return -EINVAL;
		}
		snprintf(key, sizeof(key), "%s", (char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if ((rc = next_event(l, &ev)))
			return rc;
		if (ev.type != YAML_SCALAR_EVENT) {
			set_err(l->err, l->errlen, "%s:%zu:%zu: %s.%s must be a string", l->path,
				ev.start_mark.line + 1, ev.start_mark.column + 1, f->key, key);
			yaml_event_delete(&ev);
			return -EINVAL;
		}
		rc = snprintf(buf + used, sizeof(buf) - used, "%s%s=%s", used ? "," : "", key,
			      (char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (rc < 0 || (size_t)rc >= sizeof(buf) - used) {
			set_err(l->err, l->errlen, "%s:%zu:%zu: %s is too long", l->path,
				at.line + 1, at.column + 1, f->key);
			return -E2BIG;
		}
		used += (size_t)rc;
	}
	return set_field(f, l->cfg, buf, l->path, l->err, l->errlen);
}

static int load_value(struct loader *l, const char *key, yaml_mark_t key_mark)
{
	const struct bw_cfg_field *f = bw_cfg_find(l->table, key);
	yaml_event_t ev;
	char origin[512];
	int rc;

	if ((rc = next_event(l, &ev)))
		return rc;
	if (ev.type == YAML_MAPPING_START_EVENT) {
		yaml_event_delete(&ev);
		if (f && f->type == BW_CFG_KV)
			return load_kv(l, f, key_mark);
		return load_mapping(l, key);
	}
	if (!f) {
		set_err(l->err, l->errlen, "%s:%zu:%zu: unknown setting '%s'", l->path,
			key_mark.line + 1, key_mark.column + 1, key);
		yaml_event_delete(&ev);
		return -ENOENT;
	}
	if (ev.type != YAML_SCALAR_EVENT) {
		set_err(l->err, l->errlen, "%s:%zu:%zu: %s must be %s", l->path,
			ev.start_mark.line + 1, ev.start_mark.column + 1, key, type_name(f->type));
		yaml_event_delete(&ev);
		return -EINVAL;
	}
	snprintf(origin, sizeof(origin), "%s:%zu:%zu", l->path, ev.start_mark.line + 1,
		 ev.start_mark.column + 1);
	rc = set_field(f, l->cfg, (char *)ev.data.scalar.value, origin, l->err, l->errlen);
	yaml_event_delete(&ev);
	return rc;
}

static int load_mapping(struct loader *l, const char *prefix)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		char key[MAX_KEY];
		yaml_mark_t mark;

		if ((rc = next_event(l, &ev)))
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			set_err(l->err, l->errlen, "%s:%zu:%zu: expected a setting name", l->path,
				ev.start_mark.line + 1, ev.start_mark.column + 1);
			yaml_event_delete(&ev);
			return -EINVAL;
		}
		mark = ev.start_mark;
		if (snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
			     (char *)ev.data.scalar.value) >= (int)sizeof(key)) {
			yaml_event_delete(&ev);
			set_err(l->err, l->errlen, "%s:%zu:%zu: setting name too long", l->path,
				mark.line + 1, mark.column + 1);
			return -EINVAL;
		}
		yaml_event_delete(&ev);
		if ((rc = load_value(l, key, mark)))
			return rc;
	}
}

int bw_cfg_load_file(const struct bw_cfg_field *table, void *cfg, const char *path, char *err,
		     size_t errlen)
{
	struct loader l = { .table = table, .cfg = cfg, .path = path, .err = err, .errlen = errlen };
	yaml_event_t ev;
	FILE *fp;
	int rc = 0, seen_doc = 0;

	fp = fopen(path, "r");
	if (!fp) {
		rc = -errno;
		set_err(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return rc;
	}
	yaml_parser_initialize(&l.parser);
	yaml_parser_set_input_file(&l.parser, fp);
	for (;;) {
		if ((rc = next_event(&l, &ev)))
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_MAPPING_START_EVENT) {
			if (seen_doc) {
				set_err(err, errlen, "%s:%zu:%zu: only one document is allowed",
					path, ev.start_mark.line + 1, ev.start_mark.column + 1);
				yaml_event_delete(&ev);
				rc = -EINVAL;
				break;
			}
			seen_doc = 1;
			yaml_event_delete(&ev);
			if ((rc = load_mapping(&l, "")))
				break;
			continue;
		}
		if (ev.type == YAML_SCALAR_EVENT || ev.type == YAML_SEQUENCE_START_EVENT) {
			/* An empty file parses as a null scalar: accept that, nothing else. */
			if (ev.type == YAML_SCALAR_EVENT && ev.data.scalar.length == 0) {
				yaml_event_delete(&ev);
				continue;
			}
			set_err(err, errlen, "%s:%zu:%zu: the config file must be a mapping", path,
				ev.start_mark.line + 1, ev.start_mark.column + 1);
			yaml_event_delete(&ev);
			rc = -EINVAL;
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&l.parser);
	fclose(fp);
	return rc;
}

/* ---- help and dump ------------------------------------------------------ */

void bw_cfg_print_help(const struct bw_cfg_field *table, FILE *out)
{
	for (const struct bw_cfg_field *f = table; f->key; f++) {
		fprintf(out, "  --%-28s %s", f->key, f->help ? f->help : "");
		if (f->def && *f->def)
			fprintf(out, " (default: %s)", f->def);
		if ((f->type == BW_CFG_INT) && (f->min || f->max))
			fprintf(out, " [%lld..%lld]", f->min, f->max);
		fputc('\n', out);
	}
}

/* Prints "key: \"value\"" with any URL password (scheme://user:pw@) masked. */
static void dump_masked(FILE *out, const char *key, const char *s)
{
	const char *scheme = strstr(s, "://");
	const char *at, *colon;

	if (scheme) {
		at = strchr(scheme + 3, '@');
		colon = at ? memchr(scheme + 3, ':', (size_t)(at - (scheme + 3))) : NULL;
		if (colon) {
			fprintf(out, "%s: \"%.*s***%s\"\n", key, (int)(colon + 1 - s), s, at);
			return;
		}
	}
	fprintf(out, "%s: \"%s\"\n", key, s);
}

void bw_cfg_dump(const struct bw_cfg_field *table, const void *cfg, FILE *out)
{
	for (const struct bw_cfg_field *f = table; f->key; f++) {
		const char *base = (const char *)cfg + f->offset;

		switch (f->type) {
		case BW_CFG_STRING:
		case BW_CFG_KV: {
			const char *s = *(char *const *)base;

			if (!s)
				s = "";
			if ((f->flags & BW_CFG_F_SECRET) && *s)
				fprintf(out, "%s: <hidden>\n", f->key);
			else
				dump_masked(out, f->key, s);
			break;
		}
		case BW_CFG_BOOL:
			fprintf(out, "%s: %s\n", f->key, *(const int *)base ? "true" : "false");
			break;
		case BW_CFG_DURATION:
			fprintf(out, "%s: %lldms\n", f->key, *(const long long *)base);
			break;
		default:
			fprintf(out, "%s: %lld\n", f->key, *(const long long *)base);
			break;
		}
	}
}
