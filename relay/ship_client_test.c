/* SPDX-License-Identifier: Apache-2.0 */
/* bw_shipper against a fake relay on loopback, on the same event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "bw_log.h"
#include "bw_loop.h"
#include "bw_time.h"
#include "bw_wire.h"
#include "ship_client.h"

enum fake_mode { ACK, SILENT, ERROR_FIRST };

struct fake {
	struct event_base *base;
	nng_socket sock;
	struct bw_nng_watch *watch;
	enum fake_mode mode;
	int port;
	char url[64];
	uint64_t next_expected; /* first_seq the next batch should carry */
	uint64_t events, batches, max_seq, errors_sent, bad;
	uint64_t first_of_session, acked_of_session;
	char node[64];
	uint64_t boot;
};

static void on_fake(void *arg)
{
	struct fake *f = arg;
	nng_msg *msg;

	while (nng_recvmsg(f->sock, &msg, NNG_FLAG_NONBLOCK) == 0) {
		BwEnvelope *env, out;
		char err[128];
		Bulwark__V1__EventBatch *b;

		if (bw_wire_decode(msg, BW_WIRE_MAX_MSG, &env, err, sizeof(err)) ||
		    env->body_case != BULWARK__V1__ENVELOPE__BODY_EVENTS) {
			f->bad++;
			nng_msg_free(msg);
			continue;
		}
		b = env->events;
		snprintf(f->node, sizeof(f->node), "%s", b->node);
		f->boot = b->boot;
		if (!f->first_of_session) {
			f->first_of_session = b->first_seq;
			f->acked_of_session = b->acked_seq;
		}
		for (size_t i = 0; i < b->n_events; i++) {
			Bulwark__V1__EventId *id = b->events[i]->id;

			/* every event carries its id, consistent with the batch */
			if (!id || id->seq != b->first_seq + i || id->boot != b->boot ||
			    strcmp(id->node, b->node) != 0)
				f->bad++;
		}
		if (b->acked_seq >= b->first_seq)
			f->bad++; /* acked_seq is below every event it sends */
		f->batches++;
		f->events += b->n_events;
		if (b->first_seq + b->n_events - 1 > f->max_seq)
			f->max_seq = b->first_seq + b->n_events - 1;
		bw_envelope_init(&out);
		if (f->mode == ERROR_FIRST && f->errors_sent == 0) {
			Bulwark__V1__Error e = BULWARK__V1__ERROR__INIT;

			e.code = -EAGAIN;
			e.message = "test: resend";
			out.body_case = BULWARK__V1__ENVELOPE__BODY_ERROR;
			out.error = &e;
			f->errors_sent++;
			assert_int_equal(bw_wire_send(f->sock, nng_msg_get_pipe(msg), &out), 0);
		} else if (f->mode != SILENT) {
			Bulwark__V1__EventAck a = BULWARK__V1__EVENT_ACK__INIT;

			a.node = b->node;
			a.boot = b->boot;
			a.upto_seq = b->first_seq + b->n_events - 1;
			out.body_case = BULWARK__V1__ENVELOPE__BODY_EVENT_ACK;
			out.event_ack = &a;
			assert_int_equal(bw_wire_send(f->sock, nng_msg_get_pipe(msg), &out), 0);
		}
		bw_wire_free(env);
		nng_msg_free(msg);
	}
}

static void fake_start(struct fake *f, struct event_base *base, int port)
{
	nng_listener l;

	f->base = base;
	assert_int_equal(nng_pair1_open_poly(&f->sock), 0);
	assert_int_equal(nng_socket_set_int(f->sock, NNG_OPT_SENDBUF, 1024), 0);
	snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(nng_listen(f->sock, f->url, &l, 0), 0);
	if (!port) {
		assert_int_equal(nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &f->port), 0);
		snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", f->port);
	} else {
		f->port = port;
	}
	assert_int_equal(bw_nng_watch_new(&f->watch, base, f->sock, on_fake, f), 0);
	f->first_of_session = 0;
}

static void fake_stop(struct fake *f)
{
	bw_nng_watch_free(f->watch);
	f->watch = NULL;
	nng_close(f->sock);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
}

/* Runs the loop until cond holds or timeout_ms passes; returns cond. */
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

static int all_acked(void *arg)
{
	struct bw_shipper_stats st;

	bw_shipper_stats(arg, &st);
	return st.submitted > 0 && st.queued == 0;
}

static int connected(void *arg)
{
	struct bw_shipper_stats st;

	bw_shipper_stats(arg, &st);
	return st.connected;
}

struct wait_events {
	struct fake *f;
	uint64_t n;
};

static int fake_has(void *arg)
{
	struct wait_events *w = arg;

	return w->f->events >= w->n;
}

static void submit_n(struct bw_shipper *s, int n, int expect_rc)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;

	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	ev.policy_name = "p";
	ev.process_name = "/bin/cat";
	for (int i = 0; i < n; i++)
		assert_int_equal(bw_shipper_submit(s, &ev), expect_rc);
}

static struct bw_shipper *new_shipper(struct event_base *base, const char **urls, size_t n,
				      size_t window, size_t batch, size_t max_events)
{
	struct bw_shipper_opts o = {0};
	struct bw_shipper *s = NULL;

	o.urls = urls;
	o.n_urls = n;
	o.node = "node-t";
	o.boot_id = 77;
	o.window = window;
	o.batch_max = batch;
	o.max_buffer_events = max_events;
	o.ack_timeout_ms = 400;
	o.failover_ms = 300;
	assert_int_equal(bw_shipper_new(&s, base, &o), 0);
	return s;
}

static void test_acked_in_order(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f = {.mode = ACK};
	struct bw_shipper_stats st;
	struct bw_shipper *s;
	const char *urls[1];

	fake_start(&f, base, 0);
	urls[0] = f.url;
	s = new_shipper(base, urls, 1, 100, 10, 0);
	assert_true(run_until(base, connected, s, 5000));
	submit_n(s, 250, 0);
	assert_true(run_until(base, all_acked, s, 5000));
	bw_shipper_stats(s, &st);
	assert_int_equal(st.submitted, 250);
	assert_int_equal(st.acked, 250);
	assert_int_equal(st.sent, 250);
	assert_int_equal(st.resent, 0);
	assert_int_equal(st.dropped, 0);
	assert_int_equal(st.queued_bytes, 0);
	assert_int_equal(st.last_seq, 250);
	assert_int_equal(f.events, 250);
	assert_int_equal(f.max_seq, 250);
	assert_int_equal(f.first_of_session, 1);
	assert_int_equal(f.bad, 0);
	assert_true(f.batches >= 25); /* batch_max 10 */
	assert_string_equal(f.node, "node-t");
	assert_int_equal(f.boot, 77);
	bw_shipper_free(s);
	fake_stop(&f);
	event_base_free(base);
}

static void test_bounded_buffer_counts_drops(void **state)
{
	struct event_base *base = event_base_new();
	const char *urls[] = {"tcp://127.0.0.1:1"}; /* nobody listens */
	struct bw_shipper_stats st;
	struct bw_shipper *s;
	struct bw_shipper_opts o = {0};
	Bulwark__V1__Event big = BULWARK__V1__EVENT__INIT;
	char *data;

	s = new_shipper(base, urls, 1, 0, 0, 100);
	submit_n(s, 100, 0);
	submit_n(s, 50, -ENOBUFS);
	bw_shipper_stats(s, &st);
	assert_int_equal(st.submitted, 100);
	assert_int_equal(st.queued, 100);
	assert_int_equal(st.dropped, 50);
	assert_int_equal(st.sent, 0);
	bw_shipper_free(s);

	/* the byte bound, and an event too large for any batch */
	o.urls = urls;
	o.n_urls = 1;
	o.node = "n";
	o.max_buffer_bytes = 10000;
	o.batch_max_bytes = 4096;
	assert_int_equal(bw_shipper_new(&s, base, &o), 0);
	data = malloc(5000);
	memset(data, 'x', 4999);
	data[4999] = '\0';
	big.data = data;
	assert_int_equal(bw_shipper_submit(s, &big), -EMSGSIZE);
	data[1000] = '\0';
	for (int i = 0; i < 9; i++)
		assert_int_equal(bw_shipper_submit(s, &big), 0);
	assert_int_equal(bw_shipper_submit(s, &big), -ENOBUFS);
	bw_shipper_stats(s, &st);
	assert_int_equal(st.dropped, 2);
	assert_int_equal(st.queued, 9);
	assert_true(st.queued_bytes <= 10000);
	free(data);
	bw_shipper_free(s);
	event_base_free(base);
}

static void test_window_bounds_inflight(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f = {.mode = SILENT};
	struct wait_events w = {&f, 20};
	struct bw_shipper_stats st;
	struct bw_shipper *s;
	const char *urls[1];

	fake_start(&f, base, 0);
	urls[0] = f.url;
	s = new_shipper(base, urls, 1, 20, 8, 0);
	assert_true(run_until(base, connected, s, 5000));
	submit_n(s, 100, 0);
	assert_true(run_until(base, fake_has, &w, 5000));
	/* give it time to (wrongly) send more before the ack timeout */
	w.n = 21;
	assert_false(run_until(base, fake_has, &w, 200));
	assert_int_equal(f.events, 20);
	assert_int_equal(f.max_seq, 20);
	bw_shipper_stats(s, &st);
	assert_int_equal(st.queued, 100);
	bw_shipper_free(s);
	fake_stop(&f);
	event_base_free(base);
}

static void test_resend_after_reconnect(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f = {.mode = SILENT};
	struct wait_events w = {&f, 30};
	struct bw_shipper_stats st;
	struct bw_shipper *s;
	const char *urls[1];
	int port;

	fake_start(&f, base, 0);
	port = f.port;
	urls[0] = f.url;
	s = new_shipper(base, urls, 1, 1000, 10, 0);

	assert_true(run_until(base, connected, s, 5000));
	submit_n(s, 30, 0);
	assert_true(run_until(base, fake_has, &w, 5000));
	/* The relay dies without acking; a new one comes up on the same port. */
	fake_stop(&f);
	f.mode = ACK;
	f.events = 0;
	fake_start(&f, base, port);
	assert_true(run_until(base, all_acked, s, 8000));
	bw_shipper_stats(s, &st);
	assert_int_equal(f.first_of_session, 1); /* resent from the first unacked */
	assert_int_equal(f.acked_of_session, 0); /* and says so */
	assert_int_equal(st.acked, 30);
	assert_true(st.resent >= 30);
	assert_true(st.connects >= 2);
	bw_shipper_free(s);
	fake_stop(&f);
	event_base_free(base);
}

static void test_error_and_ack_timeout_resend(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f = {.mode = ERROR_FIRST};
	struct bw_shipper_stats st;
	struct bw_shipper *s;
	const char *urls[1];

	fake_start(&f, base, 0);
	urls[0] = f.url;
	s = new_shipper(base, urls, 1, 1000, 5, 0);
	assert_true(run_until(base, connected, s, 5000));
	submit_n(s, 5, 0);
	assert_true(run_until(base, all_acked, s, 5000));
	bw_shipper_stats(s, &st);
	assert_int_equal(st.errors, 1);
	assert_int_equal(st.acked, 5);
	assert_true(st.resent >= 5);
	bw_shipper_free(s);
	fake_stop(&f);

	/* A relay that takes events and never answers: resend after the timeout. */
	memset(&f, 0, sizeof(f));
	f.mode = SILENT;
	fake_start(&f, base, 0);
	urls[0] = f.url;
	s = new_shipper(base, urls, 1, 1000, 5, 0);
	assert_true(run_until(base, connected, s, 5000));
	submit_n(s, 5, 0);
	{
		struct wait_events w = {&f, 10}; /* the 5 twice */

		assert_true(run_until(base, fake_has, &w, 3000));
	}
	bw_shipper_stats(s, &st);
	assert_true(st.resent >= 5);
	assert_int_equal(st.queued, 5);
	bw_shipper_free(s);
	fake_stop(&f);
	event_base_free(base);
}

static void test_failover_to_live_relay(void **state)
{
	struct event_base *base = event_base_new();
	struct fake f = {.mode = ACK};
	struct bw_shipper_stats st;
	struct bw_shipper *s;
	const char *urls[2];

	fake_start(&f, base, 0);
	urls[0] = "tcp://127.0.0.1:1"; /* dead */
	urls[1] = f.url;
	s = new_shipper(base, urls, 2, 100, 10, 0);
	submit_n(s, 10, 0);
	assert_true(run_until(base, all_acked, s, 5000));
	bw_shipper_stats(s, &st);
	assert_int_equal(st.url_index, 1);
	assert_int_equal(f.events, 10);
	bw_shipper_free(s);
	fake_stop(&f);
	event_base_free(base);
}

static void test_bad_opts(void **state)
{
	struct event_base *base = event_base_new();
	struct bw_shipper_opts o = {0};
	struct bw_shipper *s = NULL;
	const char *urls[] = {"tcp://127.0.0.1:1"};

	assert_int_equal(bw_shipper_new(&s, base, &o), -EINVAL);
	o.urls = urls;
	o.n_urls = 1;
	assert_int_equal(bw_shipper_new(&s, base, &o), -EINVAL); /* no node */
	o.node = "n";
	urls[0] = "nonsense://x";
	assert_true(bw_shipper_new(&s, base, &o) < 0);
	assert_null(s);
	bw_shipper_free(NULL);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acked_in_order),
	    cmocka_unit_test(test_bounded_buffer_counts_drops),
	    cmocka_unit_test(test_window_bounds_inflight),
	    cmocka_unit_test(test_resend_after_reconnect),
	    cmocka_unit_test(test_error_and_ack_timeout_resend),
	    cmocka_unit_test(test_failover_to_live_relay),
	    cmocka_unit_test(test_bad_opts),
	};

	bw_log_set_level_name("error");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
