/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw-relay-load: synthetic agents for the relay's tests and benchmark.
 *
 *   send    K agents (bw_shipper each) push N events apiece to the relay(s)
 *           and wait until every one is acknowledged; with --latency-redis a
 *           reader measures send-to-readable latency in Redis.
 *   verify  reads a stream back and checks every agent's events are all
 *           there (no loss) and in seq order (duplicates allowed).
 *   raw     sends one bad message (garbage, oversized, wrong body, bad
 *           batch) and expects an Error back.
 *
 * Every run prints one summary line "key=value ..." on stdout.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "redis_url.h"
#include "ship_client.h"

struct opts {
	const char *relay, *redis, *stream, *prefix, *kase, *latency_redis;
	long agents, events, rate, batch, window, size, timeout_s, buffer_events;
	int log_kind;
};

static void usage(void)
{
	fprintf(
	    stderr,
	    "usage: bw-relay-load send --relay URL[,URL..] [--agents K] [--events N per agent]\n"
	    "                          [--rate EPS total] [--batch B] [--window W] [--size BYTES]\n"
	    "                          [--prefix NODE] [--timeout S] [--log] [--buffer-events E]\n"
	    "                          [--latency-redis ADDR --stream S]\n"
	    "       bw-relay-load verify --redis ADDR --stream S [--agents K] [--events N]\n"
	    "                          [--prefix NODE]\n"
	    "       bw-relay-load raw --relay URL --case "
	    "garbage|oversized|wrongbody|badbatch|gap\n");
}

static int parse(int argc, char **argv, struct opts *o)
{
	o->agents = 1;
	o->events = 1000;
	o->prefix = "load";
	o->stream = "bulwark:alerts";
	o->timeout_s = 60;
	o->size = 0;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

#define S(name, field)                                                                             \
	if (strcmp(a, name) == 0 && v) {                                                           \
		o->field = v;                                                                      \
		i++;                                                                               \
		continue;                                                                          \
	}
#define N(name, field)                                                                             \
	if (strcmp(a, name) == 0 && v) {                                                           \
		o->field = atol(v);                                                                \
		i++;                                                                               \
		continue;                                                                          \
	}
		S("--relay", relay);
		S("--redis", redis);
		S("--stream", stream);
		S("--prefix", prefix);
		S("--case", kase);
		S("--latency-redis", latency_redis);
		N("--agents", agents);
		N("--events", events);
		N("--rate", rate);
		N("--batch", batch);
		N("--window", window);
		N("--size", size);
		N("--timeout", timeout_s);
		N("--buffer-events", buffer_events);
		if (strcmp(a, "--log") == 0) {
			o->log_kind = 1;
			continue;
		}
		fprintf(stderr, "bw-relay-load: unknown or incomplete argument '%s'\n", a);
		return -1;
	}
	return 0;
}

/* ---- send --------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

struct sender {
	struct opts *o;
	uint64_t **submit_ns; /* per agent, per seq-1: CLOCK_REALTIME of the submit */
	struct event_base *base;
	struct bw_shipper **sh;
	long *done; /* events submitted per agent */
	char *pad;
	uint64_t start_ns;
	long submitted_total;
	struct event *tick;
};

static void fill_event(struct sender *s, long agent, Bulwark__V1__Event *ev, char *data,
		       size_t datalen, char *pod)
{
	char ts[40];
	uint64_t now = bw_real_ns();

	bulwark__v1__event__init(ev);
	bw_format_rfc3339(now, ts, sizeof(ts));
	ev->kind = s->o->log_kind ? BULWARK__V1__EVENT_KIND__EVENT_LOG
				  : BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	ev->timestamp = (int64_t)(now / 1000000000ull);
	ev->updated_time = strdup(ts);
	ev->cluster_name = "default";
	ev->host_name = "node-1";
	ev->namespace_name = "shop";
	snprintf(pod, 64, "web-%ld-6d4cf56db6-x2k9j", agent);
	ev->pod_name = pod;
	ev->labels = "app=web,tier=frontend";
	ev->container_id = "3f1c9e0d2b7a4c5e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcd";
	ev->container_name = "web";
	ev->container_image = "docker.io/library/nginx:1.25";
	ev->host_ppid = 4242;
	ev->host_pid = 4243;
	ev->ppid = 1;
	ev->pid = 7;
	ev->uid = 0;
	ev->parent_process_name = "/bin/bash";
	ev->process_name = "/bin/cat";
	ev->policy_name = s->o->log_kind ? "" : "block-etc-shadow";
	ev->severity = s->o->log_kind ? "" : "5";
	ev->message = s->o->log_kind ? "" : "reading /etc/shadow is not allowed";
	ev->type = s->o->log_kind ? "ContainerLog" : "MatchedPolicy";
	ev->source = "/bin/cat /etc/shadow";
	ev->operation = "File";
	ev->resource = "/etc/shadow";
	snprintf(data, datalen, "t=%" PRIu64 " syscall=SYS_OPENAT flags=O_RDONLY%s", now,
		 s->pad ? s->pad : "");
	ev->data = data;
	ev->enforcer = "BPFLSM";
	ev->action = s->o->log_kind ? "Allow" : "Block";
	ev->result = s->o->log_kind ? "Passed" : "Permission denied";
	ev->cwd = "/";
}

/* Submits up to budget events (round robin over agents); returns how many. */
static long submit_some(struct sender *s, long budget)
{
	long n = 0;
	char data[8192], pod[64];

	for (long round = 0; n < budget; round++) {
		int progressed = 0;

		for (long a = 0; a < s->o->agents && n < budget; a++) {
			struct bw_shipper_stats st;
			Bulwark__V1__Event ev;
			int rc;

			if (s->done[a] >= s->o->events)
				continue;
			bw_shipper_stats(s->sh[a], &st);
			/* Without a rate, keep each agent's buffer moderately full. */
			if (!s->o->rate &&
			    st.queued >= (uint64_t)(s->o->window ? s->o->window : 8192) * 4)
				continue;
			fill_event(s, a, &ev, data, sizeof(data), pod);
			rc = bw_shipper_submit(s->sh[a], &ev);
			free(ev.updated_time);
			if (rc)
				continue; /* counted as dropped by the shipper */
			if (s->submit_ns) {
				bw_shipper_stats(s->sh[a], &st);
				s->submit_ns[a][st.last_seq - 1] = bw_real_ns();
			}
			s->done[a]++;
			n++;
			progressed = 1;
		}
		if (!progressed)
			break;
	}
	s->submitted_total += n;
	return n;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct sender *s = arg;
	uint64_t elapsed = bw_mono_ns() - s->start_ns;
	long all = s->o->agents * s->o->events;
	int finished = 1;

	(void)fd;
	(void)what;
	if (s->submitted_total < all) {
		long budget = 5000;

		if (s->o->rate) {
			long due = (long)((double)s->o->rate * (double)elapsed / 1e9);

			budget = due - s->submitted_total;
		}
		if (budget > 0)
			submit_some(s, budget);
	}
	for (long a = 0; a < s->o->agents; a++) {
		struct bw_shipper_stats st;

		bw_shipper_stats(s->sh[a], &st);
		if (s->done[a] < s->o->events || st.queued)
			finished = 0;
	}
	if (finished || elapsed > (uint64_t)s->o->timeout_s * 1000000000ull)
		event_base_loopbreak(s->base);
}

/*
 * Latency from submit to readable: Redis stamps each entry's id with its
 * own clock (ms) when XADD runs, which is when XREAD can see it.  Reading
 * the stream back after the run keeps the measurement off the CPUs the
 * relay and Redis need during it.
 */
static int latency(struct sender *s, const char *addr, const char *stream, uint64_t *seen,
		   double *p50, double *p99)
{
	struct bw_redis_url u;
	char err[256], start[64] = "-";
	size_t plen = strlen(s->o->prefix), n = 0, cap = 1024;
	uint64_t *samples = malloc(cap * sizeof(*samples));
	redisContext *c;

	if (bw_redis_url_parse(addr, &u, err, sizeof(err)))
		return -EINVAL;
	c = u.path[0] ? redisConnectUnix(u.path) : redisConnect(u.host, u.port);
	if (!c || c->err)
		return -ECONNREFUSED;
	for (;;) {
		redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 10000", stream, start);
		size_t k;

		if (!r || r->type != REDIS_REPLY_ARRAY)
			break;
		for (k = 0; k < r->elements; k++) {
			redisReply *e = r->element[k], *kv = e->element[1];
			unsigned long long ms = strtoull(e->element[0]->str, NULL, 10);

			snprintf(start, sizeof(start), "(%s", e->element[0]->str);
			for (size_t f = 0; f + 1 < kv->elements; f += 2) {
				const char *id = kv->element[f + 1]->str, *colon;
				char *end;
				long a;
				uint64_t seq, t;

				if (strcmp(kv->element[f]->str, "EventId") != 0)
					continue;
				if (strncmp(id, s->o->prefix, plen) != 0 || id[plen] != '-')
					break;
				a = strtol(id + plen + 1, &end, 10);
				colon = strrchr(id, ':');
				if (*end != ':' || a < 0 || a >= s->o->agents || !colon)
					break;
				seq = strtoull(colon + 1, NULL, 10);
				if (seq < 1 || seq > (uint64_t)s->o->events ||
				    !s->submit_ns[a][seq - 1])
					break;
				t = s->submit_ns[a][seq - 1];
				s->submit_ns[a][seq - 1] = 0; /* duplicates count once */
				if (n == cap) {
					cap *= 2;
					samples = realloc(samples, cap * sizeof(*samples));
				}
				/* id time is truncated to the ms: round the submit the same way */
				samples[n++] = ms * 1000000ull > t / 1000000 * 1000000
						   ? ms * 1000000ull - t / 1000000 * 1000000
						   : 0;
				break;
			}
		}
		freeReplyObject(r);
		if (k < 10000)
			break;
	}
	redisFree(c);
	qsort(samples, n, sizeof(*samples), cmp_u64);
	*seen = n;
	*p50 = n ? (double)samples[n / 2] / 1e6 : 0;
	*p99 = n ? (double)samples[(size_t)((double)n * 0.99)] / 1e6 : 0;
	free(samples);
	return 0;
}

static int cmd_send(struct opts *o)
{
	struct bw_shipper_stats tot = {0};
	struct sender s = {.o = o};
	struct timeval tv = {0, 1000};
	char *urls[16], *list;
	size_t nurls = 0;
	uint64_t elapsed;
	int rc = 1;

	if (!o->relay || o->agents < 1) {
		usage();
		return 2;
	}
	list = strdup(o->relay);
	for (char *save = NULL, *u = strtok_r(list, ",", &save); u && nurls < 16;
	     u = strtok_r(NULL, ",", &save))
		urls[nurls++] = u;
	if (o->size > 0) {
		s.pad = malloc((size_t)o->size + 2);
		s.pad[0] = ' ';
		memset(s.pad + 1, 'x', (size_t)o->size);
		s.pad[o->size + 1] = '\0';
	}
	s.base = event_base_new();
	s.sh = calloc((size_t)o->agents, sizeof(*s.sh));
	s.done = calloc((size_t)o->agents, sizeof(*s.done));
	for (long a = 0; a < o->agents; a++) {
		struct bw_shipper_opts so = {0};
		char node[128];

		snprintf(node, sizeof(node), "%s-%ld", o->prefix, a);
		so.urls = (const char *const *)urls;
		so.n_urls = nurls;
		so.node = node;
		so.boot_id = bw_random_u64() >> 1;
		so.batch_max = (size_t)o->batch;
		so.window = (size_t)o->window;
		so.max_buffer_events = (size_t)o->buffer_events;
		so.ack_timeout_ms = 3000;
		so.failover_ms = 1000;
		if (bw_shipper_new(&s.sh[a], s.base, &so)) {
			fprintf(stderr, "bw-relay-load: cannot create shipper %ld\n", a);
			goto cleanup;
		}
	}
	if (o->latency_redis) {
		s.submit_ns = calloc((size_t)o->agents, sizeof(*s.submit_ns));
		for (long a = 0; a < o->agents; a++)
			s.submit_ns[a] = calloc((size_t)o->events, sizeof(uint64_t));
	}
	/* Let the connections come up before timing. */
	{
		uint64_t until = bw_mono_ns() + 3000000000ull;
		int up = 0;

		while (!up && bw_mono_ns() < until) {
			struct timeval t = {0, 10000};

			event_base_loopexit(s.base, &t);
			event_base_dispatch(s.base);
			up = 1;
			for (long a = 0; a < o->agents; a++) {
				struct bw_shipper_stats st;

				bw_shipper_stats(s.sh[a], &st);
				up &= st.connected;
			}
		}
	}
	s.start_ns = bw_mono_ns();
	s.tick = event_new(s.base, -1, EV_PERSIST, on_tick, &s);
	event_add(s.tick, &tv);
	event_base_dispatch(s.base);
	elapsed = bw_mono_ns() - s.start_ns;
	for (long a = 0; a < o->agents; a++) {
		struct bw_shipper_stats st;

		bw_shipper_stats(s.sh[a], &st);
		tot.submitted += st.submitted;
		tot.sent += st.sent;
		tot.acked += st.acked;
		tot.dropped += st.dropped;
		tot.resent += st.resent;
		tot.errors += st.errors;
		tot.queued += st.queued;
	}
	printf("submitted=%" PRIu64 " acked=%" PRIu64 " sent=%" PRIu64 " resent=%" PRIu64
	       " dropped=%" PRIu64 " errors=%" PRIu64 " unacked=%" PRIu64 " elapsed_ms=%" PRIu64
	       " eps=%.0f",
	       tot.submitted, tot.acked, tot.sent, tot.resent, tot.dropped, tot.errors, tot.queued,
	       elapsed / 1000000, elapsed ? (double)tot.acked * 1e9 / (double)elapsed : 0.0);
	if (o->latency_redis) {
		uint64_t seen = 0;
		double p50 = 0, p99 = 0;

		if (latency(&s, o->latency_redis, o->stream, &seen, &p50, &p99))
			fprintf(stderr, "bw-relay-load: cannot read %s for latency\n", o->stream);
		printf(" readable=%" PRIu64 " p50_ms=%.2f p99_ms=%.2f", seen, p50, p99);
	}
	printf("\n");
	rc = tot.acked == (uint64_t)(o->agents * o->events) ? 0 : 1;
cleanup:
	for (long a = 0; s.submit_ns && a < o->agents; a++)
		free(s.submit_ns[a]);
	free(s.submit_ns);
	for (long a = 0; s.sh && a < o->agents; a++)
		bw_shipper_free(s.sh[a]);
	if (s.tick)
		event_free(s.tick);
	free(s.sh);
	free(s.done);
	free(s.pad);
	free(list);
	if (s.base)
		event_base_free(s.base);
	return rc;
}

/* ---- verify ------------------------------------------------------------- */

static int cmd_verify(struct opts *o)
{
	uint64_t *next, entries = 0, dups = 0, ooo = 0, missing = 0, foreign = 0;
	struct bw_redis_url u;
	char err[256], start[64] = "-";
	redisContext *c;
	size_t plen = strlen(o->prefix);

	if (!o->redis || bw_redis_url_parse(o->redis, &u, err, sizeof(err))) {
		fprintf(stderr, "bw-relay-load: verify needs --redis ADDR\n");
		return 2;
	}
	c = u.path[0] ? redisConnectUnix(u.path) : redisConnect(u.host, u.port);
	if (!c || c->err) {
		fprintf(stderr, "bw-relay-load: cannot connect to redis %s\n", o->redis);
		return 1;
	}
	next = calloc((size_t)o->agents, sizeof(*next)); /* highest seq seen per agent */
	for (;;) {
		redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 10000", o->stream, start);
		size_t n;

		if (!r || r->type != REDIS_REPLY_ARRAY) {
			fprintf(stderr, "bw-relay-load: XRANGE failed: %s\n",
				r && r->str ? r->str : c->errstr);
			return 1;
		}
		n = r->elements;
		for (size_t i = 0; i < n; i++) {
			redisReply *e = r->element[i], *kv = e->element[1];
			const char *id = NULL;

			if (start[0] != '-' && i == 0 && strcmp(start + 1, e->element[0]->str) == 0)
				continue; /* the exclusive start: Redis 6.2+ "(" prefix */
			entries++;
			snprintf(start, sizeof(start), "(%s", e->element[0]->str);
			for (size_t k = 0; k + 1 < kv->elements; k += 2)
				if (strcmp(kv->element[k]->str, "EventId") == 0)
					id = kv->element[k + 1]->str;
			if (!id || strncmp(id, o->prefix, plen) != 0 || id[plen] != '-') {
				foreign++;
				continue;
			}
			{
				char *end;
				long a = strtol(id + plen + 1, &end, 10);
				uint64_t seq;
				const char *colon = strrchr(id, ':');

				if (*end != ':' || a < 0 || a >= o->agents || !colon) {
					foreign++;
					continue;
				}
				seq = strtoull(colon + 1, NULL, 10);
				if (seq <= next[a])
					dups++; /* a resend: droppable by EventId */
				else if (seq == next[a] + 1)
					next[a] = seq;
				else {
					ooo++;
					fprintf(stderr, "out of order: %s after seq %" PRIu64 "\n",
						id, next[a]);
					next[a] = seq;
				}
			}
		}
		freeReplyObject(r);
		if (n < 10000)
			break;
	}
	for (long a = 0; a < o->agents; a++)
		if (next[a] < (uint64_t)o->events)
			missing += (uint64_t)o->events - next[a];
	printf("entries=%" PRIu64 " duplicates=%" PRIu64 " out_of_order=%" PRIu64
	       " missing=%" PRIu64 " foreign=%" PRIu64 "\n",
	       entries, dups, ooo, missing, foreign);
	free(next);
	redisFree(c);
	return missing || ooo ? 1 : 0;
}

/* ---- raw ---------------------------------------------------------------- */

static int cmd_raw(struct opts *o)
{
	nng_socket sock;
	nng_msg *msg = NULL;
	BwEnvelope env, *reply = NULL;
	char err[256];
	int rv, rc = 1;

	if (!o->relay || !o->kase) {
		usage();
		return 2;
	}
	if (nng_pair1_open(&sock) || nng_dial(sock, o->relay, NULL, 0)) {
		fprintf(stderr, "bw-relay-load: cannot dial %s\n", o->relay);
		return 1;
	}
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 5000);
	bw_envelope_init(&env);
	if (strcmp(o->kase, "garbage") == 0) {
		nng_msg_alloc(&msg, 0);
		nng_msg_append(msg, "\xff\xff\xff\xff not protobuf", 17);
	} else if (strcmp(o->kase, "oversized") == 0) {
		size_t len = o->size > 0 ? (size_t)o->size : (20u << 20);

		nng_msg_alloc(&msg, len);
		memset(nng_msg_body(msg), 0, len);
	} else if (strcmp(o->kase, "wrongbody") == 0) {
		Bulwark__V1__Heartbeat hb = BULWARK__V1__HEARTBEAT__INIT;

		env.body_case = BULWARK__V1__ENVELOPE__BODY_HEARTBEAT;
		env.heartbeat = &hb;
		bw_wire_encode(&env, &msg);
	} else if (strcmp(o->kase, "badbatch") == 0 || strcmp(o->kase, "gap") == 0) {
		Bulwark__V1__EventBatch b = BULWARK__V1__EVENT_BATCH__INIT;
		Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT, *evs[1] = {&ev};

		b.node = strcmp(o->kase, "gap") == 0 ? "raw-gap" : ""; /* badbatch: no node */
		b.boot = 1;
		b.first_seq = 1;
		b.n_events = 1;
		b.events = evs;
		env.body_case = BULWARK__V1__ENVELOPE__BODY_EVENTS;
		env.events = &b;
		if (strcmp(o->kase, "gap") == 0) {
			/* seq 1 is accepted, then 5 leaves a gap */
			bw_wire_encode(&env, &msg);
			nng_sendmsg(sock, msg, 0);
			if (nng_recvmsg(sock, &msg, 0) == 0)
				nng_msg_free(msg);
			b.first_seq = 5;
		}
		bw_wire_encode(&env, &msg);
	} else {
		usage();
		return 2;
	}
	rv = nng_sendmsg(sock, msg, 0);
	if (rv) {
		fprintf(stderr, "bw-relay-load: send failed: %s\n", nng_strerror(rv));
		nng_msg_free(msg);
		goto cleanup;
	}
	rv = nng_recvmsg(sock, &msg, 0);
	if (rv) {
		printf("case=%s reply=none err=%s\n", o->kase, nng_strerror(rv));
		goto cleanup;
	}
	if (bw_wire_decode(msg, 1 << 20, &reply, err, sizeof(err)) == 0 &&
	    reply->body_case == BULWARK__V1__ENVELOPE__BODY_ERROR) {
		printf("case=%s reply=error code=%d message=\"%s\"\n", o->kase, reply->error->code,
		       reply->error->message);
		rc = 0;
	} else {
		printf("case=%s reply=%s\n", o->kase,
		       reply ? bw_wire_body_name(reply) : "undecodable");
	}
	bw_wire_free(reply);
	nng_msg_free(msg);
cleanup:
	nng_close(sock);
	return rc;
}

int main(int argc, char **argv)
{
	struct opts o = {0};

	bw_log_set_component("relay-load");
	bw_log_set_level_name(getenv("BW_LOG_LEVEL") ? getenv("BW_LOG_LEVEL") : "warn");
	if (argc < 2 || parse(argc, argv, &o)) {
		usage();
		return 2;
	}
	if (strcmp(argv[1], "send") == 0)
		return cmd_send(&o);
	if (strcmp(argv[1], "verify") == 0)
		return cmd_verify(&o);
	if (strcmp(argv[1], "raw") == 0)
		return cmd_raw(&o);
	usage();
	return 2;
}
