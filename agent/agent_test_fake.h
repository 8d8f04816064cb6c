/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Test-only: a fake controller or relay on a loopback nng pair1 listener,
 * driven from the agent's own loop.  Included by the agent's daemon tests
 * (cmocka must be included first).
 */
#ifndef BW_AGENT_TEST_FAKE_H
#define BW_AGENT_TEST_FAKE_H

#include <stdio.h>
#include <time.h>
#include <event2/event.h>
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>

#include "bw_log.h"
#include "bw_time.h"
#include "bw_wire.h"

struct fake {
	nng_socket sock;
	nng_listener l;
	char url[64];
	int auto_ack; /* a relay: acknowledge every batch, as a real one does */
};

static void fake_open(struct fake *f)
{
	int port = 0;

	assert_int_equal(nng_pair1_open(&f->sock), 0);
	assert_int_equal(nng_listener_create(&f->l, f->sock, "tcp://127.0.0.1:0"), 0);
	assert_int_equal(nng_listener_start(f->l, 0), 0);
	assert_int_equal(nng_listener_get_int(f->l, NNG_OPT_TCP_BOUND_PORT, &port), 0);
	snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", port);
}

static void fake_send(struct fake *f, const BwEnvelope *env)
{
	nng_msg *m;

	assert_int_equal(bw_wire_encode(env, &m), 0);
	assert_int_equal(nng_sendmsg(f->sock, m, 0), 0);
}

/*
 * Runs the agent's loop until the fake receives a message with body
 * `want` (others are dropped) that pred accepts, or timeout.  The caller
 * frees the result with bw_wire_free.
 */
static BwEnvelope *fake_expect(struct event_base *base, struct fake *f,
			  Bulwark__V1__Envelope__BodyCase want, int (*pred)(BwEnvelope *, void *),
			  void *arg, int timeout_ms)
{
	uint64_t deadline = bw_mono_ns() + (uint64_t)timeout_ms * 1000000ULL;

	while (bw_mono_ns() < deadline) {
		nng_msg *m;
		BwEnvelope *env;
		char err[128];

		event_base_loop(base, EVLOOP_NONBLOCK);
		if (nng_recvmsg(f->sock, &m, NNG_FLAG_NONBLOCK)) {
			struct timespec ts = {0, 5 * 1000000};

			nanosleep(&ts, NULL);
			continue;
		}
		assert_int_equal(bw_wire_decode(m, BW_WIRE_MAX_MSG, &env, err, sizeof(err)), 0);
		nng_msg_free(m);
		bw_debug("fake got | type=%s", bw_wire_body_name(env));
		if (f->auto_ack && env->body_case == BULWARK__V1__ENVELOPE__BODY_EVENTS &&
		    env->events->n_events) {
			/* Keeps the agent's send window open however busy the host is. */
			Bulwark__V1__EventAck ack = BULWARK__V1__EVENT_ACK__INIT;
			BwEnvelope a;

			ack.node = env->events->node;
			ack.boot = env->events->boot;
			ack.upto_seq = env->events->first_seq + env->events->n_events - 1;
			bw_envelope_init(&a);
			a.body_case = BULWARK__V1__ENVELOPE__BODY_EVENT_ACK;
			a.event_ack = &ack;
			fake_send(f, &a);
		}
		if (env->body_case == want && (!pred || pred(env, arg)))
			return env;
		bw_wire_free(env);
	}
	return NULL;
}

#endif
