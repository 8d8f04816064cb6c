/* SPDX-License-Identifier: Apache-2.0 */
#include "ship_client.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "bw_log.h"
#include "bw_loop.h"
#include "bw_time.h"
#include "bw_wire.h"

struct entry {
	uint8_t *data; /* packed Event */
	uint32_t len;
};

struct bw_shipper {
	struct event_base *base;
	char **urls;
	size_t n_urls;
	int url_index;
	char *node;
	uint64_t boot;
	size_t max_bytes, max_events, batch_max, batch_bytes, window;
	uint64_t ack_timeout_ns, failover_ns;

	nng_socket sock;
	int sock_open;
	nng_dialer dialer;
	int dialer_open;
	struct bw_nng_watch *watch;

	/* nng threads report pipe changes: */
	int notify_fd[2];
	struct event *notify_ev;
	int pipe_up;	    /* written by nng threads (atomics) */
	unsigned pipe_adds; /* connections made, likewise */
	unsigned seen_adds; /* pipe_adds the loop has handled */
	int connected;
	uint64_t disconnected_ns;

	/* buffer: seqs acked+1 .. next_seq-1, entry of seq at (seq & (cap-1)) */
	struct entry *ring;
	size_t cap;
	uint64_t acked, next_seq, send_seq, max_sent_seq;
	uint64_t bytes;
	uint64_t progress_ns;
	uint64_t retry_at_ns; /* after an Error: no sending before this */

	struct event *send_ev;
	struct event *tick_ev;
	struct bw_shipper_stats st;
	uint64_t warn_ns;
};

static int ratelimited(struct bw_shipper *s)
{
	uint64_t now = bw_mono_ns();

	if (now - s->warn_ns < 1000000000ull)
		return 1;
	s->warn_ns = now;
	return 0;
}

/* ---- protobuf encoding of an EventBatch from already packed events ---- */

static size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

static struct entry *at(struct bw_shipper *s, uint64_t seq)
{
	return &s->ring[seq & (s->cap - 1)];
}

/* Envelope{schema=1, events=EventBatch{node, boot, first_seq, acked_seq, events[k]}} */
static int encode_batch(struct bw_shipper *s, uint64_t first, size_t k, nng_msg **out)
{
	size_t nodelen = strlen(s->node), blen, total;
	nng_msg *msg;
	uint8_t *p;

	blen = 1 + varint_len(nodelen) + nodelen + 1 + varint_len(s->boot) + 1 + varint_len(first) +
	       1 + varint_len(s->acked);
	for (size_t i = 0; i < k; i++) {
		uint32_t l = at(s, first + i)->len;

		blen += 1 + varint_len(l) + l;
	}
	total = 2 + 2 + varint_len(blen) + blen;
	if (nng_msg_alloc(&msg, total))
		return -ENOMEM;
	p = nng_msg_body(msg);
	*p++ = 0x08; /* schema */
	*p++ = BW_WIRE_SCHEMA;
	*p++ = 0x82; /* field 16 (events), length-delimited */
	*p++ = 0x01;
	p = put_varint(p, blen);
	*p++ = 0x0a; /* node */
	p = put_varint(p, nodelen);
	memcpy(p, s->node, nodelen);
	p += nodelen;
	*p++ = 0x10; /* boot */
	p = put_varint(p, s->boot);
	*p++ = 0x18; /* first_seq */
	p = put_varint(p, first);
	*p++ = 0x28; /* acked_seq */
	p = put_varint(p, s->acked);
	for (size_t i = 0; i < k; i++) {
		struct entry *e = at(s, first + i);

		*p++ = 0x22; /* events */
		p = put_varint(p, e->len);
		memcpy(p, e->data, e->len);
		p += e->len;
	}
	*out = msg;
	return 0;
}

/* ---- sending ----------------------------------------------------------- */

static void pump(struct bw_shipper *s)
{
	if (!s->connected || bw_mono_ns() < s->retry_at_ns)
		return;
	while (s->send_seq < s->next_seq && s->send_seq - (s->acked + 1) < s->window) {
		size_t k = 0, bytes = 0, room = s->window - (size_t)(s->send_seq - (s->acked + 1));
		nng_msg *msg;
		int rv;

		while (s->send_seq + k < s->next_seq && k < s->batch_max && k < room) {
			size_t l = at(s, s->send_seq + k)->len + 8;

			if (k && bytes + l > s->batch_bytes)
				break;
			bytes += l;
			k++;
		}
		if (encode_batch(s, s->send_seq, k, &msg))
			break;
		rv = nng_sendmsg(s->sock, msg, NNG_FLAG_NONBLOCK);
		if (rv) {
			struct timeval tv = {0, 5000};

			nng_msg_free(msg);
			/* Queue full: try again shortly (acks also restart sending). */
			if (rv == NNG_EAGAIN)
				evtimer_add(s->send_ev, &tv);
			break;
		}
		s->st.sent += k;
		if (s->send_seq <= s->max_sent_seq) {
			uint64_t again = s->max_sent_seq - s->send_seq + 1;

			s->st.resent += again < k ? again : k;
		}
		s->send_seq += k;
		if (s->send_seq - 1 > s->max_sent_seq)
			s->max_sent_seq = s->send_seq - 1;
	}
}

static void rewind_send(struct bw_shipper *s)
{
	s->send_seq = s->acked + 1;
	s->progress_ns = bw_mono_ns();
}

static void on_send(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pump(arg);
}

static void handle_ack(struct bw_shipper *s, const Bulwark__V1__EventAck *a)
{
	uint64_t upto = a->upto_seq;

	if (a->boot != s->boot || !a->node || strcmp(a->node, s->node) != 0)
		return; /* for an earlier run of this agent */
	if (upto >= s->next_seq)
		upto = s->next_seq - 1;
	while (s->acked < upto) {
		struct entry *e = at(s, s->acked + 1);

		s->bytes -= e->len;
		free(e->data);
		e->data = NULL;
		s->acked++;
		s->st.acked++;
	}
	if (s->send_seq < s->acked + 1)
		s->send_seq = s->acked + 1;
	s->progress_ns = bw_mono_ns();
	pump(s);
}

static void handle_error(struct bw_shipper *s, const Bulwark__V1__Error *e)
{
	s->st.errors++;
	if (!ratelimited(s))
		bw_warn("relay refused events; resending from the first unacknowledged | "
			"relay=%s code=%d msg=\"%s\" unacked=%" PRIu64,
			s->urls[s->url_index], e->code, e->message ? e->message : "",
			s->next_seq - 1 - s->acked);
	/* A full spool clears slowly; a gap clears at once. */
	uint64_t delay_ms = e->code == -EAGAIN ? 20 : 500;
	struct timeval tv = {0, (long)delay_ms * 1000};

	/* Several Errors answer one window: the longest wait wins. */
	if (s->retry_at_ns < bw_mono_ns() + delay_ms * 1000000ull)
		s->retry_at_ns = bw_mono_ns() + delay_ms * 1000000ull;
	rewind_send(s);
	evtimer_add(s->send_ev, &tv);
}

static void on_recv(void *arg)
{
	struct bw_shipper *s = arg;

	for (;;) {
		BwEnvelope *env;
		nng_msg *msg;
		char err[256];

		if (nng_recvmsg(s->sock, &msg, NNG_FLAG_NONBLOCK))
			break;
		if (bw_wire_decode(msg, 1 << 20, &env, err, sizeof(err)) == 0) {
			if (env->body_case == BULWARK__V1__ENVELOPE__BODY_EVENT_ACK)
				handle_ack(s, env->event_ack);
			else if (env->body_case == BULWARK__V1__ENVELOPE__BODY_ERROR)
				handle_error(s, env->error);
			bw_wire_free(env);
		} else if (!ratelimited(s)) {
			bw_warn("bad message from relay | relay=%s err=\"%s\"",
				s->urls[s->url_index], err);
		}
		nng_msg_free(msg);
	}
}

/* ---- connection --------------------------------------------------------- */

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct bw_shipper *s = arg;
	char c = 1;

	(void)p;
	if (ev == NNG_PIPE_EV_ADD_POST)
		__atomic_add_fetch(&s->pipe_adds, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&s->pipe_up, ev == NNG_PIPE_EV_ADD_POST, __ATOMIC_SEQ_CST);
	/* Only wakes the loop; a full pipe already holds a wake-up. */
	if (write(s->notify_fd[1], &c, 1) < 0)
		return;
}

static int dial(struct bw_shipper *s)
{
	int rv;

	if (s->dialer_open) {
		nng_dialer_close(s->dialer);
		s->dialer_open = 0;
	}
	rv = nng_dialer_create(&s->dialer, s->sock, s->urls[s->url_index]);
	if (rv)
		return bw_nng_errno(rv);
	nng_dialer_set_ms(s->dialer, NNG_OPT_RECONNMINT, 100);
	nng_dialer_set_ms(s->dialer, NNG_OPT_RECONNMAXT, 2000);
	rv = nng_dialer_start(s->dialer, NNG_FLAG_NONBLOCK);
	if (rv) {
		nng_dialer_close(s->dialer);
		return bw_nng_errno(rv);
	}
	s->dialer_open = 1;
	s->disconnected_ns = bw_mono_ns();
	return 0;
}

static void on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct bw_shipper *s = arg;
	char buf[64];
	unsigned adds;
	int up;

	(void)what;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	up = __atomic_load_n(&s->pipe_up, __ATOMIC_SEQ_CST);
	adds = __atomic_load_n(&s->pipe_adds, __ATOMIC_SEQ_CST);
	if (up && s->connected && adds != s->seen_adds)
		s->connected = 0; /* lost and regained between two looks: a new connection */
	s->seen_adds = adds;
	if (up && !s->connected) {
		s->connected = 1;
		s->st.connects++;
		bw_info("connected to relay | relay=%s unacked=%" PRIu64, s->urls[s->url_index],
			s->next_seq - 1 - s->acked);
		/* Whatever was in flight may be lost: send it again. */
		rewind_send(s);
		s->retry_at_ns = 0;
		pump(s);
	} else if (!up && s->connected) {
		s->connected = 0;
		s->disconnected_ns = bw_mono_ns();
		bw_warn("relay connection lost | relay=%s unacked=%" PRIu64, s->urls[s->url_index],
			s->next_seq - 1 - s->acked);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct bw_shipper *s = arg;
	uint64_t now = bw_mono_ns();

	(void)fd;
	(void)what;
	if (!s->connected && s->n_urls > 1 && now - s->disconnected_ns > s->failover_ns) {
		s->url_index = (s->url_index + 1) % (int)s->n_urls;
		bw_info("trying the next relay | relay=%s", s->urls[s->url_index]);
		if (dial(s))
			bw_warn("cannot dial relay | relay=%s", s->urls[s->url_index]);
	}
	if (s->connected && s->acked + 1 < s->send_seq &&
	    now - s->progress_ns > s->ack_timeout_ns) {
		if (!ratelimited(s))
			bw_warn("no ack from relay; resending | relay=%s unacked=%" PRIu64,
				s->urls[s->url_index], s->next_seq - 1 - s->acked);
		rewind_send(s);
	}
	pump(s);
}

/* ---- buffer ------------------------------------------------------------- */

static int grow(struct bw_shipper *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	struct entry *n = calloc(cap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (uint64_t q = s->acked + 1; q < s->next_seq; q++)
		n[q & (cap - 1)] = s->ring[q & (s->cap - 1)];
	free(s->ring);
	s->ring = n;
	s->cap = cap;
	return 0;
}

int bw_shipper_submit(struct bw_shipper *s, const Bulwark__V1__Event *ev)
{
	Bulwark__V1__EventId id = BULWARK__V1__EVENT_ID__INIT;
	Bulwark__V1__Event copy = *ev;
	uint64_t count = s->next_seq - 1 - s->acked;
	struct entry *e;
	size_t len;

	id.node = s->node;
	id.boot = s->boot;
	id.seq = s->next_seq;
	copy.id = &id;
	len = bulwark__v1__event__get_packed_size(&copy);
	if (len + 16 > s->batch_bytes) {
		s->st.dropped++;
		return -EMSGSIZE;
	}
	if (count >= s->max_events || s->bytes + len > s->max_bytes) {
		s->st.dropped++;
		if (!ratelimited(s))
			bw_warn("event buffer full, dropping | events=%" PRIu64 " bytes=%" PRIu64
				" dropped=%" PRIu64,
				count, s->bytes, s->st.dropped);
		return -ENOBUFS;
	}
	if (count + 1 > s->cap && grow(s))
		return -ENOMEM;
	e = at(s, s->next_seq);
	e->data = malloc(len ? len : 1);
	if (!e->data)
		return -ENOMEM;
	bulwark__v1__event__pack(&copy, e->data);
	e->len = (uint32_t)len;
	s->bytes += len;
	s->st.submitted++;
	s->st.last_seq = s->next_seq;
	s->next_seq++;
	if (count == 0)
		s->progress_ns = bw_mono_ns();
	/* Coalesces the submits of one loop iteration into one batch. */
	if (s->connected && !evtimer_pending(s->send_ev, NULL))
		event_active(s->send_ev, 0, 0);
	return 0;
}

void bw_shipper_stats(const struct bw_shipper *s, struct bw_shipper_stats *st)
{
	*st = s->st;
	st->queued = s->next_seq - 1 - s->acked;
	st->queued_bytes = s->bytes;
	st->connected = s->connected;
	st->url_index = s->url_index;
}

static uint64_t fnv1a(const char *str)
{
	uint64_t h = 1469598103934665603ull;

	for (; *str; str++)
		h = (h ^ (uint8_t)*str) * 1099511628211ull;
	return h;
}

int bw_shipper_new(struct bw_shipper **out, struct event_base *base,
		   const struct bw_shipper_opts *o)
{
	struct timeval tick = {0, 250000};
	struct bw_shipper *s;
	int rc, rv;

	if (!o || !o->urls || o->n_urls == 0 || !o->node || !*o->node || strlen(o->node) > 253)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->notify_fd[0] = s->notify_fd[1] = -1;
	s->base = base;
	s->boot = o->boot_id;
	s->max_bytes = o->max_buffer_bytes ? o->max_buffer_bytes : 64u << 20;
	s->max_events = o->max_buffer_events ? o->max_buffer_events : 1000000;
	s->batch_max = o->batch_max ? o->batch_max : 512;
	s->batch_bytes = o->batch_max_bytes ? o->batch_max_bytes : 1u << 20;
	s->window = o->window ? o->window : 8192;
	s->ack_timeout_ns = (o->ack_timeout_ms ? o->ack_timeout_ms : 5000) * 1000000ull;
	s->failover_ns = (o->failover_ms ? o->failover_ms : 3000) * 1000000ull;
	s->next_seq = 1;
	s->send_seq = 1;
	rc = -ENOMEM;
	s->node = strdup(o->node);
	s->urls = calloc(o->n_urls, sizeof(*s->urls));
	if (!s->node || !s->urls)
		goto cleanup;
	s->n_urls = o->n_urls;
	for (size_t i = 0; i < o->n_urls; i++) {
		s->urls[i] = strdup(o->urls[i] ? o->urls[i] : "");
		if (!s->urls[i])
			goto cleanup;
	}
	s->url_index = (int)(fnv1a(s->node) % s->n_urls);
	if (grow(s))
		goto cleanup;
	if (pipe2(s->notify_fd, O_NONBLOCK | O_CLOEXEC)) {
		rc = -errno;
		goto cleanup;
	}
	s->notify_ev = event_new(base, s->notify_fd[0], EV_READ | EV_PERSIST, on_notify, s);
	s->send_ev = evtimer_new(base, on_send, s);
	s->tick_ev = event_new(base, -1, EV_PERSIST, on_tick, s);
	if (!s->notify_ev || !s->send_ev || !s->tick_ev || event_add(s->notify_ev, NULL) ||
	    event_add(s->tick_ev, &tick))
		goto cleanup;
	rv = nng_pair1_open(&s->sock);
	if (rv) {
		rc = bw_nng_errno(rv);
		goto cleanup;
	}
	s->sock_open = 1;
	nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ, 1 << 20);
	nng_socket_set_int(s->sock, NNG_OPT_SENDBUF, 64);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_ADD_POST, on_pipe, s);
	nng_pipe_notify(s->sock, NNG_PIPE_EV_REM_POST, on_pipe, s);
	rc = bw_nng_watch_new(&s->watch, base, s->sock, on_recv, s);
	if (rc)
		goto cleanup;
	rc = dial(s);
	if (rc)
		goto cleanup;
	*out = s;
	return 0;
cleanup:
	bw_shipper_free(s);
	return rc;
}

void bw_shipper_free(struct bw_shipper *s)
{
	if (!s)
		return;
	/* Closing the socket first: no pipe callback runs after nng_close. */
	if (s->sock_open)
		nng_close(s->sock);
	bw_nng_watch_free(s->watch);
	if (s->notify_ev)
		event_free(s->notify_ev);
	if (s->send_ev)
		event_free(s->send_ev);
	if (s->tick_ev)
		event_free(s->tick_ev);
	if (s->notify_fd[0] >= 0)
		close(s->notify_fd[0]);
	if (s->notify_fd[1] >= 0)
		close(s->notify_fd[1]);
	if (s->ring)
		for (uint64_t q = s->acked + 1; q < s->next_seq; q++)
			free(at(s, q)->data);
	free(s->ring);
	if (s->urls)
		for (size_t i = 0; i < s->n_urls; i++)
			free(s->urls[i]);
	free(s->urls);
	free(s->node);
	free(s);
}
