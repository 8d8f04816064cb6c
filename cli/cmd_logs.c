/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bulwarkctl logs: reads Bulwark's alerts and logs from Redis Streams (as
 * the relay writes them) and prints them the way `karmor logs` does, or as
 * one JSON object per line with KubeArmor's field names.
 *
 * A blocking hiredis connection is fine here: the CLI has nothing else to do.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <hiredis/hiredis.h>

#include "cli.h"
#include "event_fields.h"
#include "redis_url.h"

#define PAGE 500
#define MAX_STREAMS 8

struct filters {
	const char *ns, *pod, *op, *container;
};

struct entry {
	char id[48];
	redisReply *fields; /* array k, v, k, v; owned by the page reply */
};

struct stream {
	const char *name;
	char last[48];	  /* last id printed, for XRANGE "(" and XREAD */
	redisReply *page; /* current XRANGE page */
	size_t pos;
	int done;
};

static void logs_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: bulwarkctl logs [-f] [--json] [--type alert|log|all] [--namespace NS]\n"
	    "                       [--pod POD] [--container NAME] [--operation OP]\n"
	    "                       [--since DURATION|RFC3339|STREAM-ID] [--limit N]\n"
	    "                       [--redis ADDR] [--stream NAME]... [--per-namespace]\n\n"
	    "Reads the relay's Redis Streams (bulwark:alerts, bulwark:logs) and prints\n"
	    "alerts as `karmor logs` does.  Filters take exact values or shell patterns.\n"
	    "  -f, --follow      keep waiting for new entries\n"
	    "  --json            one JSON object per line, KubeArmor field names\n"
	    "  --type            alert (default), log, or all\n"
	    "  --since           e.g. 10m, 2h, 2026-11-28T23:00:00Z, 1764371000000-0\n"
	    "  --redis           host:port, unix:/path or redis://[user[:pass]@]host:port[/db]\n"
	    "                    (default: $BULWARK_REDIS or 127.0.0.1:6379)\n"
	    "  --stream          read this stream instead (repeatable)\n"
	    "  --per-namespace   with --namespace, read <stream>:<namespace> as the relay\n"
	    "                    writes them with stream.per-namespace\n");
}

static const char *field(const redisReply *kv, const char *name)
{
	for (size_t k = 0; k + 1 < kv->elements; k += 2)
		if (kv->element[k]->type == REDIS_REPLY_STRING &&
		    strcmp(kv->element[k]->str, name) == 0)
			return kv->element[k + 1]->str;
	return NULL;
}

static int match(const char *pattern, const char *value)
{
	if (!pattern)
		return 1;
	return fnmatch(pattern, value ? value : "", 0) == 0;
}

static int wanted(const struct filters *f, const redisReply *kv)
{
	return match(f->ns, field(kv, "NamespaceName")) && match(f->pod, field(kv, "PodName")) &&
	       match(f->op, field(kv, "Operation")) &&
	       match(f->container, field(kv, "ContainerName"));
}

static void print_json(const redisReply *kv)
{
	cJSON *o = cJSON_CreateObject();
	char *text;

	for (size_t k = 0; k + 1 < kv->elements; k += 2) {
		const char *name = kv->element[k]->str, *v = kv->element[k + 1]->str;

		if (!name || !v)
			continue;
		if (bw_event_field_is_number(name)) {
			cJSON_AddNumberToObject(o, name, strtod(v, NULL));
		} else if (strcmp(name, "ATags") == 0) {
			/* The relay comma-joins the list; KubeArmor's JSON has an array. */
			cJSON *arr = cJSON_AddArrayToObject(o, name);
			char *copy = strdup(v), *save = NULL;

			for (char *t = strtok_r(copy, ",", &save); t;
			     t = strtok_r(NULL, ",", &save))
				cJSON_AddItemToArray(arr, cJSON_CreateString(t));
			free(copy);
		} else {
			cJSON_AddStringToObject(o, name, v);
		}
	}
	text = cJSON_PrintUnformatted(o);
	if (text)
		printf("%s\n", text);
	free(text);
	cJSON_Delete(o);
}

static void line(const char *label, const char *v)
{
	printf("%s: %s\n", label, v ? v : "");
}

static void opt_line(const char *label, const char *v)
{
	if (v && *v)
		printf("%s: %s\n", label, v);
}

/* Mirrors karmor's layout: a header with UpdatedTime, then "Name: value" lines. */
static void print_text(const redisReply *kv)
{
	const char *type = field(kv, "Type"), *ut = field(kv, "UpdatedTime");
	const char *ns = field(kv, "NamespaceName");
	int alert = !type || (strcmp(type, "ContainerLog") != 0 && strcmp(type, "HostLog") != 0 &&
			      strcmp(type, "SystemEvent") != 0);
	char when[64];
	size_t j = 0;

	for (const char *p = ut ? ut : ""; *p && j + 1 < sizeof(when); p++)
		if (*p != 'Z')
			when[j++] = *p == 'T' ? ' ' : *p;
	when[j] = '\0';
	printf("== %s / %s ==\n", alert ? "Alert" : "Log", when);
	line("Cluster Name", field(kv, "ClusterName"));
	line("Host Name", field(kv, "HostName"));
	if (ns && *ns) {
		line("Namespace Name", ns);
		line("Pod Name", field(kv, "PodName"));
		line("Container ID", field(kv, "ContainerID"));
		line("Container Name", field(kv, "ContainerName"));
		line("Labels", field(kv, "Labels"));
	}
	if (alert) {
		opt_line("Policy Name", field(kv, "PolicyName"));
		opt_line("Severity", field(kv, "Severity"));
		opt_line("Tags", field(kv, "Tags"));
		opt_line("Message", field(kv, "Message"));
	}
	line("Type", type);
	line("Source", field(kv, "Source"));
	line("Operation", field(kv, "Operation"));
	line("Resource", field(kv, "Resource"));
	opt_line("Data", field(kv, "Data"));
	if (alert)
		opt_line("Action", field(kv, "Action"));
	line("Result", field(kv, "Result"));
}

/* --since: a duration back from now, an RFC 3339 time, or a stream id. */
static int parse_since(const char *s, char *id, size_t len)
{
	char *end;
	double v;
	struct tm tm;
	const char *rest;

	if (strchr(s, '-') && strchr(s, 'T')) {
		long long ms;

		memset(&tm, 0, sizeof(tm));
		rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
		if (!rest)
			return -EINVAL;
		ms = (long long)timegm(&tm) * 1000;
		if (*rest == '.') {
			double frac = strtod(rest, &end);

			ms += (long long)(frac * 1000);
			rest = end;
		}
		if (*rest && strcmp(rest, "Z") != 0)
			return -EINVAL;
		snprintf(id, len, "%lld-0", ms);
		return 0;
	}
	if (strchr(s, '-')) {
		unsigned long long a, b;
		char tail;

		if (sscanf(s, "%llu-%llu%c", &a, &b, &tail) != 2)
			return -EINVAL;
		snprintf(id, len, "%llu-%llu", a, b);
		return 0;
	}
	v = strtod(s, &end);
	if (end == s || v < 0)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		;
	else if (strcmp(end, "s") == 0 || !*end)
		v *= 1000;
	else if (strcmp(end, "m") == 0)
		v *= 60000;
	else if (strcmp(end, "h") == 0)
		v *= 3600000;
	else if (strcmp(end, "d") == 0)
		v *= 86400000;
	else
		return -EINVAL;
	{
		struct timespec ts;
		long long now;

		clock_gettime(CLOCK_REALTIME, &ts);
		now = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		snprintf(id, len, "%lld-0", now - (long long)v > 0 ? now - (long long)v : 0);
	}
	return 0;
}

static redisContext *connect_redis(const char *addr)
{
	struct bw_redis_url u;
	struct timeval tv = {3, 0};
	redisContext *c;
	redisReply *r;
	char err[512];

	if (bw_redis_url_parse(addr, &u, err, sizeof(err))) {
		fprintf(stderr, "bulwarkctl logs: %s\n", err);
		return NULL;
	}
	c = u.path[0] ? redisConnectUnixWithTimeout(u.path, tv)
		      : redisConnectWithTimeout(u.host, u.port, tv);
	if (!c || c->err) {
		fprintf(stderr, "bulwarkctl logs: cannot connect to redis at %s: %s\n", addr,
			c ? c->errstr : "out of memory");
		if (c)
			redisFree(c);
		return NULL;
	}
	if (u.password[0]) {
		r = u.user[0] ? redisCommand(c, "AUTH %s %s", u.user, u.password)
			      : redisCommand(c, "AUTH %s", u.password);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "bulwarkctl logs: redis AUTH failed at %s: %s\n", addr,
				r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	if (u.db > 0) {
		r = redisCommand(c, "SELECT %d", u.db);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "bulwarkctl logs: redis SELECT %d failed at %s: %s\n", u.db,
				addr, r ? r->str : c->errstr);
			goto fail;
		}
		freeReplyObject(r);
	}
	/* Blocking reads wait as long as they like. */
	redisSetTimeout(c, (struct timeval){0, 0});
	return c;
fail:
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return NULL;
}

static int fetch_page(redisContext *c, struct stream *s)
{
	redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT %d", s->name, s->last, PAGE);

	if (!r || r->type == REDIS_REPLY_ERROR) {
		fprintf(stderr, "bulwarkctl logs: XRANGE %s failed: %s\n", s->name,
			r ? r->str : c->errstr);
		if (r)
			freeReplyObject(r);
		return -EIO;
	}
	if (s->page)
		freeReplyObject(s->page);
	s->page = r;
	s->pos = 0;
	s->done = r->elements < PAGE;
	return 0;
}

static int emit(const redisReply *e, const struct filters *f, int json, long *left)
{
	const redisReply *kv = e->element[1];

	if (kv->type != REDIS_REPLY_ARRAY || !wanted(f, kv))
		return 0;
	if (json)
		print_json(kv);
	else
		print_text(kv);
	fflush(stdout);
	if (*left > 0 && --*left == 0)
		return 1;
	return 0;
}

/* History: a merge by entry id over the streams, page by page. */
static int read_history(redisContext *c, struct stream *ss, int n, const struct filters *f,
			int json, long *left)
{
	for (int i = 0; i < n; i++)
		if (fetch_page(c, &ss[i]))
			return -EIO;
	for (;;) {
		int best = -1;
		unsigned long long bms = 0, bseq = 0;

		for (int i = 0; i < n; i++) {
			struct stream *s = &ss[i];
			unsigned long long ms, seq;

			if (s->pos >= s->page->elements) {
				if (s->done)
					continue;
				if (fetch_page(c, s))
					return -EIO;
				if (s->pos >= s->page->elements)
					continue;
			}
			sscanf(s->page->element[s->pos]->element[0]->str, "%llu-%llu", &ms, &seq);
			if (best < 0 || ms < bms || (ms == bms && seq < bseq)) {
				best = i;
				bms = ms;
				bseq = seq;
			}
		}
		if (best < 0)
			return 0;
		{
			struct stream *s = &ss[best];
			redisReply *e = s->page->element[s->pos++];

			snprintf(s->last, sizeof(s->last), "(%s", e->element[0]->str);
			if (emit(e, f, json, left))
				return 1;
		}
	}
}

static int follow(redisContext *c, struct stream *ss, int n, const struct filters *f, int json,
		  long *left)
{
	for (;;) {
		const char *argv[4 + 2 * MAX_STREAMS];
		redisReply *r;
		int argc = 0;

		argv[argc++] = "XREAD";
		argv[argc++] = "BLOCK";
		argv[argc++] = "0";
		argv[argc++] = "STREAMS";
		for (int i = 0; i < n; i++)
			argv[argc++] = ss[i].name;
		for (int i = 0; i < n; i++)
			argv[argc++] = ss[i].last[0] == '(' ? ss[i].last + 1 : ss[i].last;
		r = redisCommandArgv(c, argc, argv, NULL);
		if (!r || r->type == REDIS_REPLY_ERROR) {
			fprintf(stderr, "bulwarkctl logs: XREAD failed: %s\n",
				r ? r->str : c->errstr);
			if (r)
				freeReplyObject(r);
			return -EIO;
		}
		for (size_t k = 0; r->type == REDIS_REPLY_ARRAY && k < r->elements; k++) {
			redisReply *sr = r->element[k], *entries = sr->element[1];

			for (int i = 0; i < n; i++) {
				if (strcmp(ss[i].name, sr->element[0]->str) != 0)
					continue;
				for (size_t e = 0; e < entries->elements; e++) {
					snprintf(ss[i].last, sizeof(ss[i].last), "(%s",
						 entries->element[e]->element[0]->str);
					if (emit(entries->element[e], f, json, left)) {
						freeReplyObject(r);
						return 1;
					}
				}
			}
		}
		freeReplyObject(r);
	}
}

int cli_cmd_logs(int argc, char **argv)
{
	const char *redis = getenv("BULWARK_REDIS"), *type = "alert", *since = NULL;
	const char *streams[MAX_STREAMS];
	struct stream ss[MAX_STREAMS];
	char names[MAX_STREAMS][512];
	struct filters f = {0};
	int nstreams = 0, json = 0, follow_mode = 0, per_ns = 0, rc = 1;
	long left = 0;
	char start[48] = "-";
	redisContext *c;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			logs_usage(stdout);
			return 0;
		} else if (strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0) {
			follow_mode = 1;
		} else if (strcmp(a, "--json") == 0) {
			json = 1;
		} else if (strcmp(a, "--per-namespace") == 0) {
			per_ns = 1;
		} else if (!v && strncmp(a, "--", 2) == 0) {
			fprintf(stderr, "bulwarkctl logs: %s needs a value\n", a);
			return 2;
		} else if (strcmp(a, "--type") == 0) {
			type = argv[++i];
		} else if (strcmp(a, "--namespace") == 0 || strcmp(a, "-n") == 0) {
			f.ns = argv[++i];
		} else if (strcmp(a, "--pod") == 0) {
			f.pod = argv[++i];
		} else if (strcmp(a, "--container") == 0 || strcmp(a, "-c") == 0) {
			f.container = argv[++i];
		} else if (strcmp(a, "--operation") == 0) {
			f.op = argv[++i];
		} else if (strcmp(a, "--since") == 0) {
			since = argv[++i];
		} else if (strcmp(a, "--redis") == 0) {
			redis = argv[++i];
		} else if (strcmp(a, "--limit") == 0) {
			char *end;

			left = strtol(argv[++i], &end, 10);
			if (*end || left < 1) {
				fprintf(stderr,
					"bulwarkctl logs: --limit needs a positive number\n");
				return 2;
			}
		} else if (strcmp(a, "--stream") == 0) {
			if (nstreams == MAX_STREAMS) {
				fprintf(stderr, "bulwarkctl logs: at most %d --stream\n",
					MAX_STREAMS);
				return 2;
			}
			streams[nstreams++] = argv[++i];
		} else {
			fprintf(stderr, "bulwarkctl logs: unknown argument '%s'\n", a);
			logs_usage(stderr);
			return 2;
		}
	}
	if (strcmp(type, "alert") && strcmp(type, "log") && strcmp(type, "all")) {
		fprintf(stderr, "bulwarkctl logs: --type must be alert, log or all (got '%s')\n",
			type);
		return 2;
	}
	if (since && parse_since(since, start, sizeof(start))) {
		fprintf(stderr,
			"bulwarkctl logs: --since '%s' is not a duration (10m, 2h), an RFC 3339 "
			"time or a stream id\n",
			since);
		return 2;
	}
	if (per_ns && !f.ns) {
		fprintf(stderr, "bulwarkctl logs: --per-namespace needs --namespace\n");
		return 2;
	}
	if (!nstreams) {
		if (strcmp(type, "log") != 0)
			streams[nstreams++] = "bulwark:alerts";
		if (strcmp(type, "alert") != 0)
			streams[nstreams++] = "bulwark:logs";
	}
	memset(ss, 0, sizeof(ss));
	for (int i = 0; i < nstreams; i++) {
		if (per_ns)
			snprintf(names[i], sizeof(names[i]), "%s:%s", streams[i], f.ns);
		else
			snprintf(names[i], sizeof(names[i]), "%s", streams[i]);
		ss[i].name = names[i];
		snprintf(ss[i].last, sizeof(ss[i].last), "%s", start);
	}
	c = connect_redis(redis ? redis : "127.0.0.1:6379");
	if (!c)
		return 1;
	if (follow_mode && !since) {
		/* Like karmor: following starts with what arrives from now on. */
		for (int i = 0; i < nstreams; i++)
			snprintf(ss[i].last, sizeof(ss[i].last), "$");
		rc = follow(c, ss, nstreams, &f, json, &left) < 0;
	} else {
		int r = read_history(c, ss, nstreams, &f, json, &left);

		if (r < 0)
			rc = 1;
		else if (r == 0 && follow_mode)
			rc = follow(c, ss, nstreams, &f, json, &left) < 0;
		else
			rc = 0;
	}
	for (int i = 0; i < nstreams; i++)
		if (ss[i].page)
			freeReplyObject(ss[i].page);
	redisFree(c);
	return rc;
}
