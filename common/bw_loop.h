/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Event-loop glue: every daemon runs one libevent event_base; signals, nng
 * sockets and other fds are all events on it.
 */
#ifndef BW_LOOP_H
#define BW_LOOP_H

#include <event2/event.h>
#include <nng/nng.h>

struct bw_signals;

/*
 * SIGINT and SIGTERM break the loop (event_base_loopbreak); SIGPIPE is
 * ignored.  *out is written only on success; free with bw_signals_free.
 */
int bw_signals_new(struct bw_signals **out, struct event_base *base);
/* Accepts NULL. */
void bw_signals_free(struct bw_signals *s);
/* The signal that stopped the loop, or 0. */
int bw_signals_caught(const struct bw_signals *s);

struct bw_nng_watch;

/*
 * Calls cb(arg) on the loop whenever the socket has a message to receive.
 * The callback must drain with nng_recvmsg(..., NNG_FLAG_NONBLOCK) until
 * NNG_EAGAIN, since the notification fd is level-triggered per message.
 * The socket stays the caller's.  Free with bw_nng_watch_free (NULL ok).
 */
int bw_nng_watch_new(struct bw_nng_watch **out, struct event_base *base, nng_socket sock,
		     void (*cb)(void *arg), void *arg);
void bw_nng_watch_free(struct bw_nng_watch *w);

/* Maps an nng error to a negative errno (for the project's return convention). */
int bw_nng_errno(int nng_rv);

#endif
