/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay's settings table, its stats (GET /metrics, Prometheus text, on
 * a TCP or unix address) and the once-a-second housekeeping tick.
 */
#include "relay_int.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/http.h>

#include "bw_log.h"
#include "bw_time.h"

#define F(k, t, m, lo, hi, def, help)                                                              \
	{                                                                                          \
		k, t, offsetof(struct bw_relay_config, m), lo, hi, def, help                       \
	}

const struct bw_cfg_field bw_relay_config_table[] = {
    F("listen", BW_CFG_STRING, listen, 0, 0, "tcp://0.0.0.0:4790",
      "nng URLs agents dial, comma-separated"),
    F("redis", BW_CFG_STRING, redis, 0, 0, "127.0.0.1:6379",
      "host:port, unix:/path or redis://[user[:password]@]host:port[/db]"),
    F("redis.user", BW_CFG_STRING, redis_user, 0, 0, "", "ACL user for AUTH"),
    { "redis.password", BW_CFG_STRING, offsetof(struct bw_relay_config, redis_password), 0, 0, "",
      "password for AUTH (prefer the config file to the command line)", BW_CFG_F_SECRET },
    F("redis.db", BW_CFG_INT, redis_db, 0, 1000000, "0", "database to SELECT"),
    F("redis.timeout", BW_CFG_DURATION, redis_timeout_ms, 100, 3600000, "10s",
      "reconnect when Redis has not answered for this long"),
    F("redis.reconnect-min", BW_CFG_DURATION, reconnect_min_ms, 10, 600000, "100ms",
      "first reconnection delay"),
    F("redis.reconnect-max", BW_CFG_DURATION, reconnect_max_ms, 10, 3600000, "5s",
      "reconnection delay cap (doubling from the minimum)"),
    F("stream.alerts", BW_CFG_STRING, stream_alerts, 0, 0, "bulwark:alerts",
      "stream for alerts (MatchedPolicy, MatchedHostPolicy, DefaultPosture)"),
    F("stream.logs", BW_CFG_STRING, stream_logs, 0, 0, "bulwark:logs",
      "stream for logs and system events"),
    F("stream.per-namespace", BW_CFG_BOOL, stream_per_namespace, 0, 0, "false",
      "append :<namespace> to the stream name of events that have one"),
    F("stream.maxlen", BW_CFG_INT, stream_maxlen, 0, 1000000000000LL, "1000000",
      "XADD MAXLEN ~ N (0: unbounded)"),
    F("spool.dir", BW_CFG_STRING, spool_dir, 0, 0, "/var/lib/bulwark/relay-spool",
      "disk spool used while Redis is unavailable"),
    F("spool.max", BW_CFG_SIZE, spool_max_bytes, 1 << 20, 1LL << 50, "1g",
      "spool bound; when full the relay stops acknowledging"),
    F("spool.segment", BW_CFG_SIZE, spool_segment_bytes, 64 << 10, 1LL << 32, "64m",
      "spool file size"),
    F("max-message", BW_CFG_SIZE, max_message_bytes, 1024, 64LL << 20, "16m",
      "largest message accepted from an agent"),
    F("max-batch", BW_CFG_INT, max_batch_events, 1, 1000000, "10000", "most events in one batch"),
    F("drain-inflight", BW_CFG_INT, drain_inflight, 1, 10000000, "20000",
      "events in flight to Redis while draining the spool"),
    F("redis.max-backlog", BW_CFG_SIZE, max_backlog, 0, 1LL << 32, "4m",
      "bytes queued for Redis before the relay stops reading agents (0: no limit)"),
    F("metrics", BW_CFG_STRING, metrics_listen, 0, 0, "tcp:127.0.0.1:9791",
      "GET /metrics on tcp:HOST:PORT or unix:/path (empty: off)"),
    F("stats-interval", BW_CFG_DURATION, stats_interval_ms, 0, 86400000, "60s",
      "log a stats line this often (0: never)"),
    BW_CFG_END,
};

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

int relay_config_copy(struct bw_relay_config *d, const struct bw_relay_config *s)
{
	*d = *s;
	d->listen = dup_or_empty(s->listen);
	d->redis = dup_or_empty(s->redis);
	d->redis_user = dup_or_empty(s->redis_user);
	d->redis_password = dup_or_empty(s->redis_password);
	d->stream_alerts = dup_or_empty(s->stream_alerts);
	d->stream_logs = dup_or_empty(s->stream_logs);
	d->spool_dir = dup_or_empty(s->spool_dir);
	d->metrics_listen = dup_or_empty(s->metrics_listen);
	if (!d->listen || !d->redis || !d->redis_user || !d->redis_password || !d->stream_alerts ||
	    !d->stream_logs || !d->spool_dir || !d->metrics_listen)
		return -ENOMEM;
	return 0;
}

void bw_relay_get_stats(struct bw_relay *r, struct bw_relay_stats *st)
{
	struct bw_spool_stats ss;
	struct relay_unit *u = TAILQ_FIRST(&r->units);
	uint64_t now = bw_real_ns(), oldest = 0;

	memset(&ss, 0, sizeof(ss));
	if (r->spool)
		bw_spool_get_stats(r->spool, &ss);
	*st = r->st;
	st->spool_bytes = ss.pending_bytes;
	st->redis_up = r->redis_ready;
	st->agents = r->nagents;
	if (ss.oldest_ns)
		oldest = ss.oldest_ns;
	if (u && u->recv_ns && (!oldest || u->recv_ns < oldest))
		oldest = u->recv_ns;
	st->lag_ms = oldest && now > oldest ? (now - oldest) / 1000000 : 0;
}

char *bw_relay_metrics_text(struct bw_relay *r)
{
	struct bw_relay_stats s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	bw_relay_get_stats(r, &s);
#define C(name, help, v)                                                                           \
	fprintf(f,                                                                                 \
		"# HELP bulwark_relay_" name " " help "\n# TYPE bulwark_relay_" name               \
		" counter\nbulwark_relay_" name " %" PRIu64 "\n",                                  \
		(uint64_t)(v))
#define G(name, help, v)                                                                           \
	fprintf(f,                                                                                 \
		"# HELP bulwark_relay_" name " " help "\n# TYPE bulwark_relay_" name               \
		" gauge\nbulwark_relay_" name " %" PRIu64 "\n",                                    \
		(uint64_t)(v))
	C("messages_total", "Messages received from agents.", s.messages);
	C("received_events_total", "Events received from agents, duplicates included.", s.received);
	C("duplicate_events_total", "Events an agent resent on the same connection.", s.duplicates);
	C("written_events_total", "Events Redis accepted.", s.written);
	C("spooled_events_total", "Events written to the disk spool.", s.spooled);
	C("drained_events_total", "Events written to Redis from the spool.", s.drained);
	C("rejected_messages_total", "Messages refused: malformed, oversized, out of order.",
	  s.rejected);
	C("refused_full_total", "Batches not acknowledged because the spool was full.",
	  s.refused_full);
	C("redis_errors_total", "Redis error replies and lost connections.", s.redis_errors);
	C("redis_connects_total", "Successful Redis handshakes.", s.redis_connects);
	C("acks_total", "EventAck messages sent to agents.", s.acks);
	C("backpressure_total", "Times reading from agents paused until Redis took the backlog.",
	  s.backpressure);
	G("inflight_events", "XADDs sent to Redis awaiting a reply.", s.inflight);
	G("spool_bytes", "Bytes pending in the spool.", s.spool_bytes);
	G("lag_ms", "Age of the oldest event not yet in Redis, in milliseconds.", s.lag_ms);
	G("redis_up", "1 when the Redis connection is ready.", s.redis_up);
	G("agents", "Agent connections that sent events.", s.agents);
#undef C
#undef G
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void on_http(struct evhttp_request *req, void *arg)
{
	struct bw_relay *r = arg;
	const char *uri = evhttp_request_get_uri(req);
	struct evbuffer *out;
	char *text;

	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET ||
	    (strcmp(uri, "/metrics") != 0 && strncmp(uri, "/metrics?", 9) != 0)) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only GET /metrics is served here");
		return;
	}
	text = bw_relay_metrics_text(r);
	out = evbuffer_new();
	if (!text || !out) {
		free(text);
		if (out)
			evbuffer_free(out);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	evbuffer_add(out, text, strlen(text));
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4");
	evhttp_send_reply(req, HTTP_OK, "OK", out);
	evbuffer_free(out);
	free(text);
}

static void log_stats(struct bw_relay *r)
{
	struct bw_relay_stats s;

	bw_relay_get_stats(r, &s);
	bw_info("stats | received=%" PRIu64 " written=%" PRIu64 " spooled=%" PRIu64
		" drained=%" PRIu64 " rejected=%" PRIu64 " duplicates=%" PRIu64
		" refused_full=%" PRIu64 " spool_bytes=%" PRIu64 " lag_ms=%" PRIu64
		" redis_up=%d agents=%d",
		s.received, s.written, s.spooled, s.drained, s.rejected, s.duplicates,
		s.refused_full, s.spool_bytes, s.lag_ms, s.redis_up, s.agents);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bw_relay *r = arg;
	uint64_t now = bw_mono_ns();

	(void)fd;
	(void)what;
	relay_redis_watchdog(r);
	relay_sweep_agents(r);
	relay_resend_acks(r);
	if (r->cfg.stats_interval_ms > 0 &&
	    now - r->last_stats_ns >= (uint64_t)r->cfg.stats_interval_ms * 1000000ull) {
		r->last_stats_ns = now;
		log_stats(r);
	}
}

static int http_bind(struct bw_relay *r, const char *addr, char *err, size_t errlen)
{
	if (strncmp(addr, "tcp:", 4) == 0) {
		char host[256];
		const char *colon = strrchr(addr + 4, ':');
		char *end;
		long port;

		if (!colon || (size_t)(colon - addr - 4) >= sizeof(host))
			goto bad;
		snprintf(host, sizeof(host), "%.*s", (int)(colon - addr - 4), addr + 4);
		port = strtol(colon + 1, &end, 10);
		if (*end || port < 0 || port > 65535)
			goto bad;
		if (evhttp_bind_socket(r->http, host, (uint16_t)port)) {
			snprintf(err, errlen, "cannot serve metrics on %s: %s", addr,
				 strerror(errno));
			return -EADDRINUSE;
		}
		return 0;
	}
	if (strncmp(addr, "unix:/", 6) == 0) {
		struct sockaddr_un sa = {.sun_family = AF_UNIX};
		int fd;

		if (strlen(addr + 5) >= sizeof(sa.sun_path))
			goto bad;
		strcpy(sa.sun_path, addr + 5);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0)
			return -errno;
		unlink(sa.sun_path);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
			int rc = -errno;

			snprintf(err, errlen, "cannot serve metrics on %s: %s", addr,
				 strerror(-rc));
			close(fd);
			return rc;
		}
		if (evhttp_accept_socket(r->http, fd)) {
			close(fd);
			return -ENOMEM;
		}
		r->http_unix_path = strdup(sa.sun_path);
		return 0;
	}
bad:
	snprintf(err, errlen, "metrics address '%s' is not tcp:HOST:PORT or unix:/path", addr);
	return -EINVAL;
}

int relay_metrics_start(struct bw_relay *r, char *err, size_t errlen)
{
	struct timeval one = {1, 0};
	int rc;

	r->tick_ev = event_new(r->base, -1, EV_PERSIST, on_tick, r);
	if (!r->tick_ev || event_add(r->tick_ev, &one))
		return -ENOMEM;
	r->last_stats_ns = bw_mono_ns();
	if (!r->cfg.metrics_listen[0])
		return 0;
	r->http = evhttp_new(r->base);
	if (!r->http)
		return -ENOMEM;
	evhttp_set_gencb(r->http, on_http, r);
	rc = http_bind(r, r->cfg.metrics_listen, err, errlen);
	if (rc)
		return rc;
	bw_info("serving metrics | addr=%s", r->cfg.metrics_listen);
	return 0;
}

void relay_metrics_stop(struct bw_relay *r)
{
	if (r->tick_ev) {
		log_stats(r);
		event_free(r->tick_ev);
		r->tick_ev = NULL;
	}
	if (r->http) {
		evhttp_free(r->http);
		r->http = NULL;
	}
	if (r->http_unix_path) {
		unlink(r->http_unix_path);
		free(r->http_unix_path);
		r->http_unix_path = NULL;
	}
}
