/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay in-process against a real redis-server (a free port in a temp
 * dir) with bw_shipper agents on the same loop: ordering per agent, stream
 * layout, malformed and oversized messages, Redis restart mid-stream, a full
 * spool, AUTH with an ACL user and database selection.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>
#include <hiredis/hiredis.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "bw_config.h"
#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "relay.h"
#include "ship_client.h"

struct env {
	char dir[64];
	int redis_port, relay_port;
	pid_t redis_pid;
	char relay_url[64], redis_addr[64];
	struct event_base *base;
};

static int free_port(void)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static redisContext *redis_conn(struct env *e)
{
	redisContext *c = redisConnect("127.0.0.1", e->redis_port);

	assert_non_null(c);
	assert_int_equal(c->err, 0);
	return c;
}

/* Starts redis-server with AOF fsync'ed on every write: an acked XADD survives a kill -9. */
static void redis_start(struct env *e, const char *extra1, const char *extra2)
{
	char port[16], log[128];
	uint64_t until = bw_mono_ns() + 5000000000ull;
	pid_t pid;

	snprintf(port, sizeof(port), "%d", e->redis_port);
	snprintf(log, sizeof(log), "%s/redis.log", e->dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *argv[32] = {
		    "redis-server", "--port",	     port,     "--bind",    "127.0.0.1",
		    "--dir",	    e->dir,	     "--save", "",	    "--appendonly",
		    "yes",	    "--appendfsync", "always", "--logfile", log};
		int n = 15;

		if (extra1)
			argv[n++] = extra1;
		if (extra2)
			argv[n++] = extra2;
		argv[n] = NULL;
		execvp("redis-server", (char **)argv);
		_exit(127);
	}
	e->redis_pid = pid;
	while (bw_mono_ns() < until) {
		redisContext *c = redisConnect("127.0.0.1", e->redis_port);

		if (c && !c->err) {
			redisReply *r = redisCommand(c, "PING");
			int ok = r && (r->type == REDIS_REPLY_STATUS ||
				       (r->type == REDIS_REPLY_ERROR && strstr(r->str, "NOAUTH")));

			if (r)
				freeReplyObject(r);
			redisFree(c);
			if (ok)
				return;
		} else if (c) {
			redisFree(c);
		}
		usleep(20000);
	}
	fail_msg("redis-server did not come up on port %d (see %s)", e->redis_port, log);
}

static void redis_kill(struct env *e)
{
	if (e->redis_pid > 0) {
		kill(e->redis_pid, SIGKILL);
		waitpid(e->redis_pid, NULL, 0);
		e->redis_pid = 0;
	}
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	if (system("command -v redis-server >/dev/null 2>&1") != 0) {
		fprintf(stderr, "skip: redis-server is not installed\n");
		exit(77);
	}
	strcpy(e->dir, "/tmp/bw_relay_test.XXXXXX");
	assert_non_null(mkdtemp(e->dir));
	e->redis_port = free_port();
	e->relay_port = free_port();
	snprintf(e->relay_url, sizeof(e->relay_url), "tcp://127.0.0.1:%d", e->relay_port);
	snprintf(e->redis_addr, sizeof(e->redis_addr), "127.0.0.1:%d", e->redis_port);
	e->base = event_base_new();
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	char cmd[128];

	redis_kill(e);
	event_base_free(e->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", e->dir);
	if (system(cmd))
		return -1;
	free(e);
	return 0;
}

static void cfg_set(struct bw_relay_config *cfg, const char *k, const char *v)
{
	char err[256];

	if (bw_cfg_set(bw_relay_config_table, cfg, k, v, k, err, sizeof(err)))
		fail_msg("%s", err);
}

static const char *extra_key, *extra_val, *extra_key2, *extra_val2;

static struct bw_relay *relay_start(struct env *e, const char *redis, const char *spool_max,
				    const char *max_message)
{
	struct bw_relay_config cfg = {0};
	struct bw_relay *r = NULL;
	char err[512], spool[128];

	assert_int_equal(bw_cfg_defaults(bw_relay_config_table, &cfg, err, sizeof(err)), 0);
	snprintf(spool, sizeof(spool), "%s/spool", e->dir);
	cfg_set(&cfg, "listen", e->relay_url);
	cfg_set(&cfg, "redis", redis ? redis : e->redis_addr);
	cfg_set(&cfg, "spool.dir", spool);
	cfg_set(&cfg, "metrics", "");
	cfg_set(&cfg, "redis.reconnect-max", "200ms");
	if (spool_max)
		cfg_set(&cfg, "spool.max", spool_max);
	if (max_message)
		cfg_set(&cfg, "max-message", max_message);
	if (extra_key)
		cfg_set(&cfg, extra_key, extra_val);
	if (extra_key2)
		cfg_set(&cfg, extra_key2, extra_val2);
	if (bw_relay_new(&r, e->base, &cfg, err, sizeof(err)))
		fail_msg("relay: %s", err);
	bw_cfg_free(bw_relay_config_table, &cfg);
	return r;
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
}

static int run_until(struct event_base *base, int (*cond)(void *), void *arg, int timeout_ms)
{
	struct timeval tv = {0, 5000};
	struct event *wake = event_new(base, -1, EV_PERSIST, on_wake, NULL);
	uint64_t until = bw_mono_ns() + (uint64_t)timeout_ms * 1000000ull;
	int ok;

	event_add(wake, &tv);
	while (!(ok = cond(arg)) && bw_mono_ns() < until)
		event_base_loop(base, EVLOOP_ONCE);
	event_free(wake);
	return ok;
}

static int never(void *arg)
{
	return 0;
}

static void run_for(struct event_base *base, int ms)
{
	run_until(base, never, NULL, ms);
}

struct agents {
	struct bw_shipper *sh[8];
	int n;
};

static int agents_done(void *arg)
{
	struct agents *a = arg;

	for (int i = 0; i < a->n; i++) {
		struct bw_shipper_stats st;

		bw_shipper_stats(a->sh[i], &st);
		if (st.queued)
			return 0;
	}
	return 1;
}

static const char *second_url; /* a second relay for agent_new, when set */
static size_t agent_window = 512;

static struct bw_shipper *agent_new(struct env *e, const char *node)
{
	const char *urls[] = {e->relay_url, second_url};
	struct bw_shipper_opts o = {0};
	struct bw_shipper *s = NULL;

	o.urls = urls;
	o.n_urls = second_url ? 2 : 1;
	o.failover_ms = 300;
	o.node = node;
	o.boot_id = 1000 + (uint64_t)node[strlen(node) - 1];
	o.batch_max = 64;
	o.window = agent_window;
	o.ack_timeout_ms = 1000;
	assert_int_equal(bw_shipper_new(&s, e->base, &o), 0);
	return s;
}

static void submit(struct bw_shipper *s, int n, int log, int pad)
{
	static char data[2048];
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;

	memset(data, 'd', sizeof(data));
	data[pad < (int)sizeof(data) ? pad : (int)sizeof(data) - 1] = '\0';
	ev.kind = log ? BULWARK__V1__EVENT_KIND__EVENT_LOG : BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	ev.timestamp = 1764371000;
	ev.updated_time = "2026-11-28T23:10:00.000000Z";
	ev.namespace_name = "shop";
	ev.pod_name = "web-1";
	ev.policy_name = log ? "" : "block-shadow";
	ev.type = log ? "ContainerLog" : "MatchedPolicy";
	ev.operation = "File";
	ev.resource = "/etc/shadow";
	ev.action = log ? "Allow" : "Block";
	ev.data = data;
	for (int i = 0; i < n; i++)
		assert_int_equal(bw_shipper_submit(s, &ev), 0);
}

/* Checks a stream: per node, seqs 1..expect[node] appear in order (resends allowed). */
static void verify_stream(struct env *e, const char *stream, const char *const *nodes,
			  const uint64_t *expect, int n, uint64_t *dups_out)
{
	redisContext *c = redis_conn(e);
	uint64_t seen[8] = {0}, dups = 0;
	char start[64] = "-";

	for (;;) {
		redisReply *r = redisCommand(c, "XRANGE %s %s + COUNT 5000", stream, start);
		size_t k;

		assert_non_null(r);
		assert_int_equal(r->type, REDIS_REPLY_ARRAY);
		for (k = 0; k < r->elements; k++) {
			redisReply *kv = r->element[k]->element[1];
			const char *id = NULL, *policy = NULL;
			int node = -1;

			snprintf(start, sizeof(start), "(%s", r->element[k]->element[0]->str);
			for (size_t f = 0; f + 1 < kv->elements; f += 2) {
				if (strcmp(kv->element[f]->str, "EventId") == 0)
					id = kv->element[f + 1]->str;
				if (strcmp(kv->element[f]->str, "PolicyName") == 0)
					policy = kv->element[f + 1]->str;
			}
			assert_non_null(id);
			if (strncmp(id, "fresh:", 6) == 0)
				continue; /* test_malformed's session-start probe */
			for (int i = 0; i < n; i++)
				if (strncmp(id, nodes[i], strlen(nodes[i])) == 0 &&
				    id[strlen(nodes[i])] == ':')
					node = i;
			assert_true(node >= 0);
			if (strstr(stream, "alerts"))
				assert_non_null(policy); /* alerts keep their PolicyName */
			{
				uint64_t seq = strtoull(strrchr(id, ':') + 1, NULL, 10);

				if (seq <= seen[node])
					dups++;
				else if (seq != seen[node] + 1)
					fail_msg("%s: %s follows seq %" PRIu64
						 " (lost or reordered)",
						 stream, id, seen[node]);
				else
					seen[node] = seq;
			}
		}
		freeReplyObject(r);
		if (k < 5000)
			break;
	}
	for (int i = 0; i < n; i++)
		if (seen[i] != expect[i])
			fail_msg("%s: node %s has %" PRIu64 " of %" PRIu64 " events", stream,
				 nodes[i], seen[i], expect[i]);
	if (dups_out)
		*dups_out = dups;
	redisFree(c);
}

static int relay_up(void *arg)
{
	struct bw_relay_stats st;

	bw_relay_get_stats(arg, &st);
	return st.redis_up;
}

/* Everything the relay acknowledged is in Redis: nothing spooled or in flight. */
static int relay_drained(void *arg)
{
	struct bw_relay_stats st;

	bw_relay_get_stats(arg, &st);
	return st.redis_up && st.spool_bytes == 0 && st.inflight == 0;
}

static void test_ordering_per_agent(void **state)
{
	struct env *e = *state;
	const char *alert_nodes[] = {"node-a", "node-b"}, *log_nodes[] = {"node-c"};
	uint64_t alert_expect[] = {3000, 3000}, log_expect[] = {2000};
	struct agents a = {.n = 3};
	struct bw_relay_stats st;
	struct bw_relay *r;

	redis_start(e, NULL, NULL);
	r = relay_start(e, NULL, NULL, NULL);
	assert_true(run_until(e->base, relay_up, r, 5000)); /* so nothing needs the spool */
	a.sh[0] = agent_new(e, "node-a");
	a.sh[1] = agent_new(e, "node-b");
	a.sh[2] = agent_new(e, "node-c");
	/* Interleave the agents' submissions so their batches mix at the relay. */
	for (int round = 0; round < 10; round++) {
		submit(a.sh[0], 300, 0, 100);
		submit(a.sh[1], 300, 0, 100);
		submit(a.sh[2], 200, 1, 100);
		run_for(e->base, 10);
	}
	assert_true(run_until(e->base, agents_done, &a, 20000));
	assert_true(run_until(e->base, relay_drained, r, 10000));
	verify_stream(e, "bulwark:alerts", alert_nodes, alert_expect, 2, NULL);
	verify_stream(e, "bulwark:logs", log_nodes, log_expect, 1, NULL);
	bw_relay_get_stats(r, &st);
	assert_int_equal(st.received, 8000);
	assert_int_equal(st.written, 8000);
	assert_int_equal(st.rejected, 0);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.redis_up, 1);
	for (int i = 0; i < 3; i++)
		bw_shipper_free(a.sh[i]);
	bw_relay_free(r);
}

struct raw {
	nng_socket sock;
	int code;
	char msg[512];
};

/* Sends a raw message and waits (running the loop) for the relay's answer. */
static void raw_exchange(struct env *e, struct raw *raw, nng_msg *msg)
{
	uint64_t until = bw_mono_ns() + 5000000000ull;

	raw->code = 1;
	raw->msg[0] = '\0';
	assert_int_equal(nng_sendmsg(raw->sock, msg, 0), 0);
	while (bw_mono_ns() < until) {
		nng_msg *in;
		BwEnvelope *env;
		char err[128];

		run_for(e->base, 5);
		if (nng_recvmsg(raw->sock, &in, NNG_FLAG_NONBLOCK))
			continue;
		assert_int_equal(bw_wire_decode(in, 1 << 20, &env, err, sizeof(err)), 0);
		if (env->body_case == BULWARK__V1__ENVELOPE__BODY_ERROR) {
			raw->code = env->error->code;
			snprintf(raw->msg, sizeof(raw->msg), "%s", env->error->message);
		} else {
			raw->code = 0;
		}
		bw_wire_free(env);
		nng_msg_free(in);
		return;
	}
	fail_msg("no answer from the relay");
}

static nng_msg *batch_msg(const char *node, uint64_t first, int n, int bad_id, uint64_t acked)
{
	Bulwark__V1__EventBatch b = BULWARK__V1__EVENT_BATCH__INIT;
	Bulwark__V1__Event ev[8], *evs[8];
	Bulwark__V1__EventId id = BULWARK__V1__EVENT_ID__INIT;
	BwEnvelope env;
	nng_msg *msg;

	for (int i = 0; i < n; i++) {
		bulwark__v1__event__init(&ev[i]);
		ev[i].policy_name = "raw";
		evs[i] = &ev[i];
	}
	if (bad_id) {
		id.node = "someone-else";
		id.seq = first;
		ev[0].id = &id;
	}
	b.node = (char *)node;
	b.boot = 5;
	b.first_seq = first;
	b.acked_seq = acked;
	b.n_events = (size_t)n;
	b.events = evs;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_EVENTS;
	env.events = &b;
	assert_int_equal(bw_wire_encode(&env, &msg), 0);
	return msg;
}

static void test_malformed_and_oversized(void **state)
{
	struct env *e = *state;
	const char *nodes[] = {"good", "raw"};
	uint64_t expect[] = {500, 2};
	redisContext *c;
	redisReply *rep;
	struct agents a = {.n = 1};
	struct bw_relay_stats st;
	struct raw raw;
	struct bw_relay *r;
	nng_msg *msg;
	char *metrics;

	redis_start(e, NULL, NULL);
	r = relay_start(e, NULL, NULL, "64k");
	assert_int_equal(nng_pair1_open(&raw.sock), 0);
	assert_int_equal(nng_dial(raw.sock, e->relay_url, NULL, 0), 0);
	a.sh[0] = agent_new(e, "good");
	submit(a.sh[0], 250, 0, 50);

	/* not protobuf */
	assert_int_equal(nng_msg_alloc(&msg, 0), 0);
	assert_int_equal(nng_msg_append(msg, "\xff\xff\xff\xff junk", 9), 0);
	raw_exchange(e, &raw, msg);
	assert_int_equal(raw.code, -EBADMSG);
	assert_non_null(strstr(raw.msg, "not a valid"));
	/* over max-message (64 KiB) */
	assert_int_equal(nng_msg_alloc(&msg, 100000), 0);
	memset(nng_msg_body(msg), 0, 100000);
	raw_exchange(e, &raw, msg);
	assert_int_equal(raw.code, -EMSGSIZE);
	assert_non_null(strstr(raw.msg, "exceeds"));
	/* a message the relay does not take */
	{
		Bulwark__V1__Heartbeat hb = BULWARK__V1__HEARTBEAT__INIT;
		BwEnvelope env;

		bw_envelope_init(&env);
		env.body_case = BULWARK__V1__ENVELOPE__BODY_HEARTBEAT;
		env.heartbeat = &hb;
		assert_int_equal(bw_wire_encode(&env, &msg), 0);
		raw_exchange(e, &raw, msg);
		assert_int_equal(raw.code, -EPROTO);
		assert_non_null(strstr(raw.msg, "heartbeat"));
	}
	/* batch without a node, and one whose event ids contradict it */
	raw_exchange(e, &raw, batch_msg("", 1, 1, 0, 0));
	assert_int_equal(raw.code, -EINVAL);
	assert_non_null(strstr(raw.msg, "node"));
	raw_exchange(e, &raw, batch_msg("raw", 1, 2, 1, 0));
	assert_int_equal(raw.code, -EINVAL);
	assert_non_null(strstr(raw.msg, "someone-else"));
	/* a gap: seq 1..2 accepted (acked), then 9 */
	raw_exchange(e, &raw, batch_msg("raw", 1, 2, 0, 0));
	assert_int_equal(raw.code, 0);
	raw_exchange(e, &raw, batch_msg("raw", 9, 1, 0, 0));
	assert_int_equal(raw.code, -EAGAIN);
	assert_non_null(strstr(raw.msg, "3 is next"));
	/* a connection (here: a new identity) must start at acked_seq + 1 */
	raw_exchange(e, &raw, batch_msg("fresh", 10, 1, 0, 5));
	assert_int_equal(raw.code, -EAGAIN);
	assert_non_null(strstr(raw.msg, "first unacknowledged event is 6"));
	raw_exchange(e, &raw, batch_msg("fresh", 10, 1, 0, 9));
	assert_int_equal(raw.code, 0);

	/* Everyone else was served all along. */
	submit(a.sh[0], 250, 0, 50);
	assert_true(run_until(e->base, agents_done, &a, 10000));
	assert_true(run_until(e->base, relay_drained, r, 10000));
	verify_stream(e, "bulwark:alerts", nodes, expect, 2, NULL);
	bw_relay_get_stats(r, &st);
	assert_int_equal(st.rejected, 7);
	assert_int_equal(st.written, 503);
	metrics = bw_relay_metrics_text(r);
	assert_non_null(strstr(metrics, "bulwark_relay_rejected_messages_total 7\n"));
	assert_non_null(strstr(metrics, "bulwark_relay_written_events_total 503\n"));
	c = redis_conn(e);
	rep = redisCommand(c, "XRANGE bulwark:alerts - + COUNT 100000");
	{
		int fresh = 0;

		for (size_t i = 0; i < rep->elements; i++) {
			redisReply *kv = rep->element[i]->element[1];

			for (size_t f = 0; f + 1 < kv->elements; f += 2)
				fresh += strcmp(kv->element[f + 1]->str, "fresh:5:10") == 0;
		}
		assert_int_equal(fresh, 1);
	}
	freeReplyObject(rep);
	redisFree(c);
	free(metrics);
	nng_close(raw.sock);
	bw_shipper_free(a.sh[0]);
	bw_relay_free(r);
}

static void test_redis_restart_mid_stream(void **state)
{
	struct env *e = *state;
	const char *nodes[] = {"node-a", "node-b"};
	uint64_t expect[] = {4000, 4000};
	struct agents a = {.n = 2};
	struct bw_relay_stats st;
	struct bw_relay *r;

	redis_start(e, NULL, NULL);
	r = relay_start(e, NULL, NULL, NULL);
	a.sh[0] = agent_new(e, "node-a");
	a.sh[1] = agent_new(e, "node-b");
	for (int round = 0; round < 40; round++) {
		submit(a.sh[0], 100, 0, 200);
		submit(a.sh[1], 100, 0, 200);
		run_for(e->base, 10);
		if (round == 12)
			redis_kill(e); /* mid-stream, with XADDs in flight */
		if (round == 28)
			redis_start(e, NULL, NULL);
	}
	assert_true(run_until(e->base, agents_done, &a, 20000));
	assert_true(run_until(e->base, relay_drained, r, 20000));
	bw_relay_get_stats(r, &st);
	verify_stream(e, "bulwark:alerts", nodes, expect, 2, NULL);
	assert_true(st.spooled > 0);
	assert_int_equal(st.drained, st.spooled);
	assert_true(st.redis_connects >= 2);
	assert_int_equal(st.spool_bytes, 0);
	for (int i = 0; i < 2; i++)
		bw_shipper_free(a.sh[i]);
	bw_relay_free(r);
}

static void test_spool_full_stops_acking(void **state)
{
	struct env *e = *state;
	const char *nodes[] = {"node-a"};
	uint64_t expect[] = {6000};
	struct agents a = {.n = 1};
	struct bw_shipper_stats ss;
	struct bw_relay_stats st;
	struct bw_relay *r;

	/* Redis is down from the start; the spool holds 1 MiB. */
	r = relay_start(e, NULL, "1m", NULL);
	a.sh[0] = agent_new(e, "node-a");
	for (int i = 0; i < 6; i++) {
		submit(a.sh[0], 1000, 0, 1000);
		run_for(e->base, 100);
	}
	run_for(e->base, 500);
	bw_relay_get_stats(r, &st);
	bw_shipper_stats(a.sh[0], &ss);
	assert_true(st.refused_full > 0);
	assert_true(st.spool_bytes <= 1 << 20);
	assert_true(ss.acked < 6000);
	assert_true(ss.acked > 0);
	assert_int_equal(ss.queued, 6000 - ss.acked); /* the agent keeps the rest */
	assert_int_equal(ss.dropped, 0);
	/* Redis arrives: the spool drains, the agent's resends go through. */
	redis_start(e, NULL, NULL);
	assert_true(run_until(e->base, agents_done, &a, 30000));
	assert_true(run_until(e->base, relay_drained, r, 20000));
	verify_stream(e, "bulwark:alerts", nodes, expect, 1, NULL);
	bw_shipper_free(a.sh[0]);
	bw_relay_free(r);
}

static void test_auth_acl_user_and_db(void **state)
{
	struct env *e = *state;
	struct agents a = {.n = 1};
	struct bw_relay_stats st;
	struct bw_relay *r;
	redisContext *c;
	redisReply *rep;
	char url[128];

	redis_start(e, "--requirepass", "adminpw");
	c = redis_conn(e);
	rep = redisCommand(c, "AUTH adminpw");
	freeReplyObject(rep);
	rep = redisCommand(c, "ACL SETUSER relay on >relaypw ~bulwark:* +xadd +ping +select");
	assert_int_equal(rep->type, REDIS_REPLY_STATUS);
	freeReplyObject(rep);

	/* Wrong password: never ready, events wait in the spool (and are acked from it). */
	snprintf(url, sizeof(url), "redis://relay:wrong@127.0.0.1:%d/3", e->redis_port);
	r = relay_start(e, url, NULL, NULL);
	a.sh[0] = agent_new(e, "node-a");
	submit(a.sh[0], 100, 0, 10);
	assert_true(run_until(e->base, agents_done, &a, 5000));
	bw_relay_get_stats(r, &st);
	assert_int_equal(st.redis_up, 0);
	assert_int_equal(st.spooled, 100);
	assert_true(st.redis_errors > 0);
	bw_relay_free(r);

	/* Right ACL user (as separate keys): the same spool drains into database 3. */
	snprintf(url, sizeof(url), "127.0.0.1:%d", e->redis_port);
	extra_key = "redis.user";
	extra_val = "relay";
	extra_key2 = "redis.password";
	extra_val2 = "relaypw";
	{
		struct bw_relay_config cfg = {0};
		char err[256];

		/* and redis.db, checked through the table like the daemon does */
		assert_int_equal(bw_cfg_defaults(bw_relay_config_table, &cfg, err, sizeof(err)), 0);
		assert_int_equal(
		    bw_cfg_set(bw_relay_config_table, &cfg, "redis.db", "3", "t", err, sizeof(err)),
		    0);
		assert_int_equal(cfg.redis_db, 3);
		assert_int_not_equal(bw_cfg_set(bw_relay_config_table, &cfg, "redis.db", "-1", "t",
						err, sizeof(err)),
				     0);
		bw_cfg_free(bw_relay_config_table, &cfg);
	}
	snprintf(url, sizeof(url), "redis://127.0.0.1:%d/3", e->redis_port);
	r = relay_start(e, url, NULL, NULL);
	extra_key = extra_key2 = NULL;
	assert_true(run_until(e->base, relay_up, r, 5000));
	run_until(e->base, never, NULL, 300);
	bw_relay_get_stats(r, &st);
	assert_int_equal(st.drained, 100);
	rep = redisCommand(c, "SELECT 3");
	freeReplyObject(rep);
	rep = redisCommand(c, "XLEN bulwark:alerts");
	assert_int_equal(rep->integer, 100);
	freeReplyObject(rep);
	redisFree(c);
	bw_shipper_free(a.sh[0]);
	bw_relay_free(r);
}

static void test_per_namespace_streams_and_maxlen(void **state)
{
	struct env *e = *state;
	struct agents a = {.n = 1};
	struct bw_relay *r;
	redisContext *c;
	redisReply *rep;

	redis_start(e, NULL, NULL);
	extra_key = "stream.per-namespace";
	extra_val = "true";
	extra_key2 = "stream.maxlen";
	extra_val2 = "100";
	r = relay_start(e, NULL, NULL, NULL);
	extra_key = extra_key2 = NULL;
	a.sh[0] = agent_new(e, "node-a");
	submit(a.sh[0], 2000, 0, 10);
	submit(a.sh[0], 10, 1, 10);
	assert_true(run_until(e->base, agents_done, &a, 10000));
	assert_true(run_until(e->base, relay_drained, r, 10000));
	c = redis_conn(e);
	rep = redisCommand(c, "XLEN bulwark:alerts:shop");
	/* MAXLEN ~ trims whole nodes: at least 100 stay, far fewer than 2000 */
	assert_true(rep->integer >= 100 && rep->integer < 1000);
	freeReplyObject(rep);
	rep = redisCommand(c, "XLEN bulwark:logs:shop");
	assert_int_equal(rep->integer, 10);
	freeReplyObject(rep);
	rep = redisCommand(c, "EXISTS bulwark:alerts");
	assert_int_equal(rep->integer, 0);
	freeReplyObject(rep);
	redisFree(c);
	bw_shipper_free(a.sh[0]);
	bw_relay_free(r);
}

/* A Redis that keeps the connection but stops answering (SIGSTOP). */
static void test_redis_hang(void **state)
{
	struct env *e = *state;
	const char *nodes[] = {"node-a"};
	uint64_t expect[] = {3000};
	struct agents a = {.n = 1};
	struct bw_relay_stats st;
	struct bw_relay *r;

	redis_start(e, NULL, NULL);
	extra_key = "redis.timeout";
	extra_val = "300ms";
	r = relay_start(e, NULL, NULL, NULL);
	extra_key = NULL;
	a.sh[0] = agent_new(e, "node-a");
	submit(a.sh[0], 1000, 0, 10);
	assert_true(run_until(e->base, agents_done, &a, 10000));
	kill(e->redis_pid, SIGSTOP);
	submit(a.sh[0], 1000, 0, 10);
	/* acked from the spool although Redis hangs */
	assert_true(run_until(e->base, agents_done, &a, 10000));
	bw_relay_get_stats(r, &st);
	assert_int_equal(st.redis_up, 0);
	assert_true(st.spooled > 0);
	assert_true(st.redis_errors > 0);
	kill(e->redis_pid, SIGCONT);
	submit(a.sh[0], 1000, 0, 10);
	assert_true(run_until(e->base, agents_done, &a, 10000));
	assert_true(run_until(e->base, relay_drained, r, 10000));
	verify_stream(e, "bulwark:alerts", nodes, expect, 1, NULL);
	bw_shipper_free(a.sh[0]);
	bw_relay_free(r);
}

static int relay_received(void *arg)
{
	struct bw_relay_stats st;

	bw_relay_get_stats(arg, &st);
	return st.received >= 1000 && st.inflight > 0;
}

/* More than Redis takes at once: the relay pauses reading, nothing is lost or reordered. */
static void test_backpressure(void **state)
{
	struct env *e = *state;
	const char *nodes[] = {"node-1", "node-2", "node-3", "node-4"};
	uint64_t expect[] = {4000, 4000, 4000, 4000};
	struct agents a = {.n = 4};
	struct bw_relay_stats st;
	struct bw_relay *r;

	redis_start(e, NULL, NULL);
	r = relay_start(e, NULL, NULL, NULL);
	assert_true(run_until(e->base, relay_up, r, 5000));
	agent_window = 4000;
	for (int i = 0; i < 4; i++) {
		a.sh[i] = agent_new(e, nodes[i]);
		submit(a.sh[i], 4000, 0, 2000);
	}
	agent_window = 512;
	assert_true(run_until(e->base, agents_done, &a, 30000));
	assert_true(run_until(e->base, relay_drained, r, 10000));
	verify_stream(e, "bulwark:alerts", nodes, expect, 4, NULL);
	bw_relay_get_stats(r, &st);
	assert_true(st.backpressure > 0); /* 32 MB offered at once: it had to pause */
	assert_int_equal(st.spooled, 0);
	for (int i = 0; i < 4; i++)
		bw_shipper_free(a.sh[i]);
	bw_relay_free(r);
}

/* A clean stop lets XADDs in flight finish instead of parking them in the spool. */
static void test_quiesce_completes_inflight(void **state)
{
	struct env *e = *state;
	struct agents a = {.n = 1};
	struct bw_relay_stats st;
	struct bw_relay *r;
	redisContext *c;
	redisReply *rep;

	redis_start(e, NULL, NULL);
	r = relay_start(e, NULL, NULL, NULL);
	assert_true(run_until(e->base, relay_up, r, 5000));
	a.sh[0] = agent_new(e, "node-a");
	submit(a.sh[0], 5000, 0, 500);
	assert_true(run_until(e->base, relay_received, r, 10000));
	assert_int_equal(bw_relay_quiesce(r, 5000), 0);
	bw_relay_get_stats(r, &st);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(st.spooled, 0);
	assert_int_equal(st.written, st.received - st.duplicates);
	bw_relay_free(r);
	c = redis_conn(e);
	rep = redisCommand(c, "XLEN bulwark:alerts");
	assert_int_equal((uint64_t)rep->integer, st.written);
	freeReplyObject(rep);
	redisFree(c);
	bw_shipper_free(a.sh[0]);
}

/* Two relays side by side: agents spread over them; one dies, its agents move. */
static void test_two_relays_spread_and_failover(void **state)
{
	struct env *e = *state, e2;
	const char *nodes[] = {"node-1", "node-2", "node-3", "node-4", "node-5", "node-6"};
	uint64_t expect[6];
	struct agents a = {.n = 6};
	struct bw_relay_stats st1, st2;
	struct bw_relay *r1, *r2;
	char spool_dir[64];

	redis_start(e, NULL, NULL);
	r1 = relay_start(e, NULL, NULL, NULL);
	/* the second relay: its own port and spool */
	e2 = *e;
	e2.relay_port = free_port();
	snprintf(e2.relay_url, sizeof(e2.relay_url), "tcp://127.0.0.1:%d", e2.relay_port);
	snprintf(spool_dir, sizeof(spool_dir), "%.40s/second", e->dir);
	assert_int_equal(mkdir(spool_dir, 0700), 0);
	snprintf(e2.dir, sizeof(e2.dir), "%s", spool_dir);
	r2 = relay_start(&e2, NULL, NULL, NULL);
	second_url = e2.relay_url;
	for (int i = 0; i < 6; i++) {
		a.sh[i] = agent_new(e, nodes[i]);
		submit(a.sh[i], 500, 0, 10);
		expect[i] = 1000;
	}
	second_url = NULL;
	assert_true(run_until(e->base, agents_done, &a, 10000));
	bw_relay_get_stats(r1, &st1);
	bw_relay_get_stats(r2, &st2);
	/* spread: both relays carry agents */
	assert_true(st1.received > 0 && st2.received > 0);
	assert_int_equal(st1.received + st2.received, 3000);
	assert_int_equal(st1.agents + st2.agents, 6);

	/* the first relay goes away: its agents fail over to the second */
	bw_relay_free(r1);
	for (int i = 0; i < 6; i++)
		submit(a.sh[i], 500, 0, 10);
	assert_true(run_until(e->base, agents_done, &a, 15000));
	bw_relay_get_stats(r2, &st2);
	assert_int_equal(st2.agents, 6);
	assert_true(run_until(e->base, relay_drained, r2, 5000));
	verify_stream(e, "bulwark:alerts", nodes, expect, 6, NULL);
	for (int i = 0; i < 6; i++)
		bw_shipper_free(a.sh[i]);
	bw_relay_free(r2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ordering_per_agent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_and_oversized, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redis_restart_mid_stream, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_spool_full_stops_acking, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_acl_user_and_db, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_per_namespace_streams_and_maxlen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_redis_hang, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_relays_spread_and_failover, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_quiesce_completes_inflight, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	bw_log_set_level_name(getenv("BW_LOG_LEVEL") ? getenv("BW_LOG_LEVEL") : "error");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
