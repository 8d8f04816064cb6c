/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_loop.h"
#include "bw_log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

struct bw_signals {
	struct event_base *base;
	struct event *ev_int, *ev_term;
	int caught;
};

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct bw_signals *s = arg;

	(void)what;
	s->caught = (int)sig;
	bw_info("stopping | signal=%d", (int)sig);
	event_base_loopbreak(s->base);
}

int bw_signals_new(struct bw_signals **out, struct event_base *base)
{
	struct bw_signals *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->base = base;
	s->ev_int = evsignal_new(base, SIGINT, on_signal, s);
	s->ev_term = evsignal_new(base, SIGTERM, on_signal, s);
	if (!s->ev_int || !s->ev_term || evsignal_add(s->ev_int, NULL) ||
	    evsignal_add(s->ev_term, NULL)) {
		bw_signals_free(s);
		return -ENOMEM;
	}
	signal(SIGPIPE, SIG_IGN);
	*out = s;
	return 0;
}

void bw_signals_free(struct bw_signals *s)
{
	if (!s)
		return;
	if (s->ev_int)
		event_free(s->ev_int);
	if (s->ev_term)
		event_free(s->ev_term);
	free(s);
}

int bw_signals_caught(const struct bw_signals *s)
{
	return s ? s->caught : 0;
}

struct bw_nng_watch {
	struct event *ev;
	void (*cb)(void *arg);
	void *arg;
};

static void on_nng_readable(evutil_socket_t fd, short what, void *arg)
{
	struct bw_nng_watch *w = arg;

	(void)fd;
	(void)what;
	w->cb(w->arg);
}

int bw_nng_watch_new(struct bw_nng_watch **out, struct event_base *base, nng_socket sock,
		     void (*cb)(void *arg), void *arg)
{
	struct bw_nng_watch *w;
	int fd, rv;

	rv = nng_socket_get_int(sock, NNG_OPT_RECVFD, &fd);
	if (rv)
		return bw_nng_errno(rv);
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->cb = cb;
	w->arg = arg;
	w->ev = event_new(base, fd, EV_READ | EV_PERSIST, on_nng_readable, w);
	if (!w->ev || event_add(w->ev, NULL)) {
		bw_nng_watch_free(w);
		return -ENOMEM;
	}
	*out = w;
	return 0;
}

void bw_nng_watch_free(struct bw_nng_watch *w)
{
	if (!w)
		return;
	if (w->ev)
		event_free(w->ev);
	free(w);
}

int bw_nng_errno(int rv)
{
	switch (rv) {
	case 0:
		return 0;
	case NNG_ENOMEM:
		return -ENOMEM;
	case NNG_EINVAL:
		return -EINVAL;
	case NNG_EBUSY:
		return -EBUSY;
	case NNG_ETIMEDOUT:
		return -ETIMEDOUT;
	case NNG_ECONNREFUSED:
		return -ECONNREFUSED;
	case NNG_ECLOSED:
		return -EBADF;
	case NNG_EAGAIN:
		return -EAGAIN;
	case NNG_ENOTSUP:
		return -ENOTSUP;
	case NNG_EADDRINUSE:
		return -EADDRINUSE;
	case NNG_EADDRINVAL:
		return -EADDRNOTAVAIL;
	case NNG_EMSGSIZE:
		return -EMSGSIZE;
	case NNG_EPERM:
		return -EPERM;
	case NNG_ECONNRESET:
		return -ECONNRESET;
	case NNG_ECONNSHUT:
		return -ESHUTDOWN;
	case NNG_ENOENT:
		return -ENOENT;
	default:
		return -EIO;
	}
}
