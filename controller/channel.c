/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The agent channel: an nng pair1 polyamorous listener (tcp or tls+tcp).
 * Agents register, report containers, heartbeat and acknowledge policies;
 * the controller answers and pushes compiled policies to one pipe each.
 *
 * nng tells us about lost connections on its own threads; those pipe ids
 * go through a mutex-protected list and a self-pipe to the event loop, so
 * every piece of state is only ever touched by the loop.
 */
#include "ctl.h"
#include "bw_log.h"
#include "bw_loop.h"
#include "bw_time.h"
#include "bw_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/supplemental/tls/tls.h>

#define MAX_REPORT (16u << 20)
#define MAX_NAME 253
#define DRAIN_MAX 512

struct ctl_channel {
	nng_socket sock;
	nng_listener listener;
	struct bw_nng_watch *watch;
	char *url;
	struct ctl_map *pipes; /* "%u" pipe id -> ctl_node */
	/* pipe removals from nng threads */
	pthread_mutex_t mu;
	uint32_t *gone;
	size_t n_gone, cap_gone;
	int wake[2];
	struct event *ev_wake;
	unsigned ticks;
};

/* Heartbeat counters reach the store this often (in ticks of one second). */
#define PERSIST_EVERY_TICKS 30

static void pipe_key(uint32_t id, char buf[16])
{
	snprintf(buf, 16, "%u", id);
}

static void on_pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct ctl_channel *ch = arg;
	char one = 1;

	if (ev != NNG_PIPE_EV_REM_POST)
		return;
	pthread_mutex_lock(&ch->mu);
	if (ch->n_gone == ch->cap_gone) {
		size_t ncap = ch->cap_gone ? ch->cap_gone * 2 : 64;
		uint32_t *nv = realloc(ch->gone, ncap * sizeof(*nv));

		if (!nv) {
			/* The heartbeat timeout will notice this node instead. */
			pthread_mutex_unlock(&ch->mu);
			return;
		}
		ch->gone = nv;
		ch->cap_gone = ncap;
	}
	ch->gone[ch->n_gone++] = nng_pipe_id(p);
	pthread_mutex_unlock(&ch->mu);
	if (write(ch->wake[1], &one, 1) < 0) {
		/* Full pipe: a wakeup is already pending, which is all we need. */
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct bw_controller *c = arg;
	struct ctl_channel *ch = c->chan;
	char buf[256];
	uint32_t *ids;
	size_t n;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&ch->mu);
	ids = ch->gone;
	n = ch->n_gone;
	ch->gone = NULL;
	ch->n_gone = ch->cap_gone = 0;
	pthread_mutex_unlock(&ch->mu);
	for (size_t i = 0; i < n; i++) {
		struct ctl_node *node;
		char key[16];

		pipe_key(ids[i], key);
		node = ctl_map_del(ch->pipes, key);
		if (!node || node->pipe != ids[i])
			continue;
		node->pipe = 0;
		node->state = NODE_NOT_READY;
		c->metrics.disconnects++;
		bw_warn("agent disconnected | node=%s", node->name);
	}
	free(ids);
}

static void send_error(struct bw_controller *c, nng_pipe pipe, int code, const char *msg)
{
	Bulwark__V1__Error e = BULWARK__V1__ERROR__INIT;
	BwEnvelope env;

	bw_envelope_init(&env);
	e.code = code;
	e.message = (char *)msg;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_ERROR;
	env.error = &e;
	bw_wire_send(c->chan->sock, pipe, &env);
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > MAX_NAME)
		return 0;
	for (; *s; s++)
		if (*s == '/' || *s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static char *join_labels(Bulwark__V1__KeyValue **kv, size_t n)
{
	size_t len = 1;
	char *s, *p;

	for (size_t i = 0; i < n; i++)
		len += strlen(kv[i]->key) + strlen(kv[i]->value) + 2;
	s = malloc(len);
	if (!s)
		return NULL;
	p = s;
	*p = '\0';
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "%s%s=%s", i ? "," : "", kv[i]->key, kv[i]->value);
	return s;
}

static void set_str(char **f, char *v)
{
	free(*f);
	*f = v;
}

static void persist_node(struct bw_controller *c, struct ctl_node *n)
{
	struct bw_store_txn *t;

	if (bw_store_txn_new(&t))
		return;
	if (ctl_node_record(n, t) || bw_store_commit(c->store, t, BW_STORE_LAZY))
		c->metrics.store_errors++;
	n->persist_dirty = 0;
	bw_store_txn_free(t);
}

static void on_register(struct bw_controller *c, nng_pipe pipe, const Bulwark__V1__Register *r)
{
	Bulwark__V1__RegisterReply rr = BULWARK__V1__REGISTER_REPLY__INIT;
	struct ctl_channel *ch = c->chan;
	struct ctl_node *n, *prev;
	char key[16], *labels, *list;
	BwEnvelope env;

	if (!valid_name(r->node_name)) {
		c->metrics.agent_bad_msgs++;
		bw_warn("agent registration refused: bad node name | name=\"%.64s\"", r->node_name);
		send_error(c, pipe, -EINVAL,
			   "node_name must be 1-253 printable characters without '/'");
		return;
	}
	n = ctl_node_get_or_add(c, r->node_name);
	if (!n)
		return;
	pipe_key(nng_pipe_id(pipe), key);
	if (n->pipe && n->pipe != (uint32_t)nng_pipe_id(pipe)) {
		char old[16];
		nng_pipe op;

		bw_warn(
		    "node registered again from a new connection; closing the old one | node=%s",
		    n->name);
		pipe_key(n->pipe, old);
		ctl_map_del(ch->pipes, old);
		op.id = n->pipe;
		nng_pipe_close(op);
	}
	prev = NULL;
	ctl_map_put(ch->pipes, key, n, (void **)&prev);
	if (prev && prev != n && prev->pipe == (uint32_t)nng_pipe_id(pipe))
		prev->pipe = 0; /* same connection, new name */
	n->pipe = (uint32_t)nng_pipe_id(pipe);
	c->metrics.registers++;

	labels = join_labels(r->labels, r->n_labels);
	if (labels && (!n->labels || strcmp(labels, n->labels) != 0)) {
		set_str(&n->labels, labels);
		ctl_node_sync_labels(c, n);
	} else {
		free(labels);
	}
	set_str(&n->kernel, strdup(r->kernel_version));
	set_str(&n->agent_version, strdup(r->agent_version));
	n->enforcer = r->active_enforcer;
	list = calloc(1, 16 * r->n_enforcers + 1);
	for (size_t i = 0; list && i < r->n_enforcers; i++)
		sprintf(list + strlen(list), "%s%s", i ? "," : "",
			ctl_enforcer_name(r->enforcers[i]));
	set_str(&n->enforcers, list);
	{
		size_t len = 1;

		for (size_t i = 0; i < r->n_unenforceable; i++)
			len += strlen(r->unenforceable[i]) + 1;
		list = calloc(1, len);
		for (size_t i = 0; list && i < r->n_unenforceable; i++)
			sprintf(list + strlen(list), "%s%s", i ? "," : "", r->unenforceable[i]);
		set_str(&n->unenforceable, list);
	}
	n->boot_id = r->boot_id;
	n->registered_ns = bw_real_ns();
	n->last_heartbeat_ns = n->registered_ns;
	n->last_heartbeat_mono = bw_mono_ns();
	n->state = NODE_READY;
	n->awaiting_full = 1;
	if (r->applied_version > n->version) {
		/* The agent saw versions this store does not know (data dir lost?):
		 * jump past them so versions stay strictly increasing for it. */
		bw_warn("agent reports a newer policy version than the store | node=%s "
			"agent=%" PRIu64 " store=%" PRIu64,
			n->name, r->applied_version, n->version);
		n->version = r->applied_version;
		n->has_digest = 0;
	}
	n->applied_version = r->applied_version;
	if (r->applied_version != n->version || n->version == 0)
		n->force_send = 1;
	ctl_mark_dirty(c, n);
	persist_node(c, n);
	bw_info("agent registered | node=%s enforcer=%s applied_version=%" PRIu64
		" version=%" PRIu64,
		n->name, ctl_enforcer_name(n->enforcer), r->applied_version, n->version);

	bw_envelope_init(&env);
	rr.accepted = 1;
	rr.heartbeat_interval_ms = (uint32_t)c->cfg.heartbeat_ms;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_REGISTER_REPLY;
	env.register_reply = &rr;
	bw_wire_send(ch->sock, pipe, &env);
}

static struct ctl_node *node_of(struct bw_controller *c, nng_pipe pipe, const char *claimed,
				const char *what)
{
	struct ctl_node *n;
	char key[16];

	pipe_key(nng_pipe_id(pipe), key);
	n = ctl_map_get(c->chan->pipes, key);
	if (!n) {
		c->metrics.agent_bad_msgs++;
		send_error(c, pipe, -EPROTO, "register before sending anything else");
		return NULL;
	}
	if (claimed && claimed[0] && strcmp(claimed, n->name) != 0) {
		c->metrics.agent_bad_msgs++;
		bw_warn("agent message names another node; dropped | node=%s claimed=%.64s msg=%s",
			n->name, claimed, what);
		send_error(c, pipe, -EPERM, "node_name differs from the registered one");
		return NULL;
	}
	return n;
}

static void on_containers(struct bw_controller *c, nng_pipe pipe,
			  const Bulwark__V1__ContainerReport *r)
{
	struct ctl_node *n = node_of(c, pipe, r->node_name, "containers");
	struct bw_store_txn *t = NULL;
	int bad = 0;

	if (!n || bw_store_txn_new(&t))
		return;
	if (r->full) {
		struct ctl_map *keep = NULL;
		struct ctl_container *ct, *next;

		if (ctl_map_new(&keep))
			goto cleanup;
		for (size_t i = 0; i < r->n_added; i++)
			ctl_map_put(keep, r->added[i]->id, (void *)1, NULL);
		for (ct = n->ctrs; ct; ct = next) {
			next = ct->next;
			if (ct->agent && !ctl_map_get(keep, ct->id))
				ctl_container_remove_agent(c, ct->id, t);
		}
		ctl_map_free(keep);
		n->awaiting_full = 0;
		ctl_mark_dirty(c, n); /* the grace may have held a compile back */
	}
	for (size_t i = 0; i < r->n_added; i++)
		if (ctl_container_set_agent(c, n, r->added[i], t))
			bad++;
	for (size_t i = 0; i < r->n_removed; i++)
		ctl_container_remove_agent(c, r->removed[i], t);
	if (bad) {
		c->metrics.agent_bad_msgs++;
		bw_warn("containers without an id ignored | node=%s count=%d", n->name, bad);
	}
	/* Agents resend the full set after a reconnect: a lazy sync suffices. */
	if (bw_store_commit(c->store, t, BW_STORE_LAZY))
		c->metrics.store_errors++;
cleanup:
	bw_store_txn_free(t);
}

static void on_heartbeat(struct bw_controller *c, nng_pipe pipe, const Bulwark__V1__Heartbeat *h)
{
	struct ctl_node *n = node_of(c, pipe, h->node_name, "heartbeat");
	uint64_t now = bw_mono_ns();

	if (!n)
		return;
	if (n->state != NODE_READY)
		bw_info("node ready again | node=%s", n->name);
	n->state = NODE_READY;
	n->last_heartbeat_ns = bw_real_ns();
	n->last_heartbeat_mono = now;
	n->events_sent = h->events_sent;
	n->events_lost = h->events_lost;
	n->events_dropped = h->events_dropped;
	n->persist_dirty = 1;
	if (h->applied_version < n->version &&
	    now - n->push_mono_ns > (uint64_t)c->cfg.resend_ms * 1000000) {
		bw_info("agent is behind; resending its policy | node=%s applied=%" PRIu64
			" latest=%" PRIu64,
			n->name, h->applied_version, n->version);
		c->metrics.resends++;
		n->force_send = 1;
		ctl_mark_dirty(c, n);
	}
}

static void on_ack(struct bw_controller *c, nng_pipe pipe, const Bulwark__V1__PolicyAck *a)
{
	struct ctl_node *n = node_of(c, pipe, a->node_name, "policy_ack");
	size_t len = 1;
	char *list;

	if (!n)
		return;
	c->metrics.acks++;
	if (a->version > n->version) {
		c->metrics.agent_bad_msgs++;
		bw_warn("ack for a version never sent; ignored | node=%s version=%" PRIu64
			" latest=%" PRIu64,
			n->name, a->version, n->version);
		return;
	}
	if (a->version < n->version)
		c->metrics.stale_acks++;
	if (a->version == n->sent_version && n->push_mono_ns)
		ctl_hist_observe(&c->metrics.push_to_ack,
				 (double)(bw_mono_ns() - n->push_mono_ns) / 1e9);
	if (!a->ok) {
		c->metrics.ack_failures++;
		bw_warn("agent could not apply its policy | node=%s version=%" PRIu64 " why=\"%s\"",
			n->name, a->version, a->message);
	} else {
		n->applied_version = a->version;
	}
	n->ack_ok = a->ok;
	set_str(&n->ack_message, strdup(a->message));
	for (size_t i = 0; i < a->n_unenforced; i++)
		len += strlen(a->unenforced[i]) + 1;
	list = calloc(1, len);
	for (size_t i = 0; list && i < a->n_unenforced; i++)
		sprintf(list + strlen(list), "%s%s", i ? "," : "", a->unenforced[i]);
	set_str(&n->unenforced, list);
	if (a->ok)
		n->applied_ns = bw_real_ns(); /* the ack is processed: the node is done */
	/* Soft state, like the heartbeat counters: the agent reports its
	 * applied version again when it registers, so the record goes out
	 * with the next periodic persist instead of one WAL write per ack
	 * (a fan-out brings a thousand acks at once). */
	n->persist_dirty = 1;
}

static void on_recv(void *arg)
{
	struct bw_controller *c = arg;
	struct ctl_channel *ch = c->chan;

	for (int i = 0; i < DRAIN_MAX; i++) {
		BwEnvelope *env = NULL;
		char err[256];
		nng_msg *msg;
		nng_pipe pipe;
		int rv;

		rv = nng_recvmsg(ch->sock, &msg, NNG_FLAG_NONBLOCK);
		if (rv)
			break;
		pipe = nng_msg_get_pipe(msg);
		c->metrics.agent_msgs++;
		if (bw_wire_decode(msg, MAX_REPORT, &env, err, sizeof(err))) {
			c->metrics.agent_bad_msgs++;
			bw_warn("bad message from an agent | pipe=%u why=\"%s\"", nng_pipe_id(pipe),
				err);
			send_error(c, pipe, -EBADMSG, err);
			nng_msg_free(msg);
			continue;
		}
		switch (env->body_case) {
		case BULWARK__V1__ENVELOPE__BODY_REGISTER:
			on_register(c, pipe, env->register_);
			break;
		case BULWARK__V1__ENVELOPE__BODY_CONTAINERS:
			on_containers(c, pipe, env->containers);
			break;
		case BULWARK__V1__ENVELOPE__BODY_HEARTBEAT:
			on_heartbeat(c, pipe, env->heartbeat);
			break;
		case BULWARK__V1__ENVELOPE__BODY_POLICY_ACK:
			on_ack(c, pipe, env->policy_ack);
			break;
		case BULWARK__V1__ENVELOPE__BODY_ERROR:
			bw_warn("agent reported an error | pipe=%u code=%d message=\"%s\"",
				nng_pipe_id(pipe), env->error->code, env->error->message);
			break;
		default:
			c->metrics.agent_bad_msgs++;
			bw_warn("unexpected message from an agent | pipe=%u type=%s",
				nng_pipe_id(pipe), bw_wire_body_name(env));
			send_error(c, pipe, -EPROTO, "unexpected message type for the controller");
			break;
		}
		bw_wire_free(env);
		nng_msg_free(msg);
	}
}

int ctl_channel_push(struct bw_controller *c, struct ctl_node *n, nng_msg *msg, uint64_t version)
{
	size_t len = nng_msg_len(msg);
	nng_pipe pipe;
	int rv;

	if (!n->pipe) {
		nng_msg_free(msg);
		return -ENOTCONN;
	}
	pipe.id = n->pipe;
	nng_msg_set_pipe(msg, pipe);
	rv = nng_sendmsg(c->chan->sock, msg, NNG_FLAG_NONBLOCK);
	n->push_mono_ns = bw_mono_ns();
	if (rv) {
		nng_msg_free(msg);
		/* Queue full: compile and send this node again shortly. */
		c->metrics.push_failures++;
		bw_warn("policy push failed; retrying | node=%s version=%" PRIu64 " err=%s",
			n->name, version, nng_strerror(rv));
		n->force_send = 1;
		ctl_mark_dirty(c, n);
		return bw_nng_errno(rv);
	}
	n->sent_version = version;
	c->metrics.pushes++;
	c->metrics.push_bytes += len;
	bw_debug("policy pushed | node=%s version=%" PRIu64, n->name, version);
	return 0;
}

void ctl_channel_tick(struct bw_controller *c)
{
	uint64_t now = bw_mono_ns(), timeout = (uint64_t)c->cfg.node_timeout_ms * 1000000,
		 resend = (uint64_t)c->cfg.resend_ms * 1000000;
	int persist = ++c->chan->ticks % PERSIST_EVERY_TICKS == 0;
	struct ctl_node *n;
	size_t it = 0;

	while (ctl_map_next(c->nodes, &it, NULL, (void **)&n)) {
		if (n->state == NODE_READY && now - n->last_heartbeat_mono > timeout) {
			n->state = NODE_NOT_READY;
			bw_warn("node stopped heartbeating | node=%s silent_ms=%llu", n->name,
				(unsigned long long)((now - n->last_heartbeat_mono) / 1000000));
		}
		if (n->pipe && n->applied_version < n->version && !n->dirty &&
		    now - n->push_mono_ns > resend) {
			c->metrics.resends++;
			n->force_send = 1;
			ctl_mark_dirty(c, n);
		}
		if (n->persist_dirty && persist)
			persist_node(c, n);
	}
}

static int tls_setup(struct bw_controller *c, nng_listener l)
{
	nng_tls_config *cfg = NULL;
	int rv;

	rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER);
	if (rv) {
		bw_error("TLS is not available in this nng build | err=%s", nng_strerror(rv));
		return bw_nng_errno(rv);
	}
	if (!c->cfg.tls_cert_key || !c->cfg.tls_cert_key[0]) {
		bw_error("tls+tcp needs tls_cert_key (a PEM file with certificate and key)");
		rv = NNG_EINVAL;
		goto cleanup;
	}
	rv = nng_tls_config_cert_key_file(cfg, c->cfg.tls_cert_key, NULL);
	if (rv) {
		bw_error("cannot load the TLS certificate/key | file=%s err=%s",
			 c->cfg.tls_cert_key, nng_strerror(rv));
		goto cleanup;
	}
	if (c->cfg.tls_ca && c->cfg.tls_ca[0]) {
		rv = nng_tls_config_ca_file(cfg, c->cfg.tls_ca);
		if (rv) {
			bw_error("cannot load the TLS CA file | file=%s err=%s", c->cfg.tls_ca,
				 nng_strerror(rv));
			goto cleanup;
		}
	}
	rv = nng_tls_config_auth_mode(cfg, c->cfg.tls_require_client_cert
					       ? NNG_TLS_AUTH_MODE_REQUIRED
					       : NNG_TLS_AUTH_MODE_NONE);
	if (rv)
		goto cleanup;
	rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, cfg);
cleanup:
	nng_tls_config_free(cfg); /* the listener holds its own reference */
	return bw_nng_errno(rv);
}

int ctl_channel_new(struct bw_controller *c)
{
	struct ctl_channel *ch = calloc(1, sizeof(*ch));
	const char *url = c->cfg.agents_listen;
	int rv, rc, port = 0;

	if (!ch)
		return -ENOMEM;
	c->chan = ch;
	ch->wake[0] = ch->wake[1] = -1;
	pthread_mutex_init(&ch->mu, NULL);
	if (ctl_map_new(&ch->pipes) || pipe2(ch->wake, O_NONBLOCK | O_CLOEXEC))
		return -ENOMEM;
	ch->ev_wake = event_new(c->base, ch->wake[0], EV_READ | EV_PERSIST, on_wake, c);
	if (!ch->ev_wake || event_add(ch->ev_wake, NULL))
		return -ENOMEM;
	rv = nng_pair1_open_poly(&ch->sock);
	if (rv)
		return bw_nng_errno(rv);
	nng_socket_set_size(ch->sock, NNG_OPT_RECVMAXSZ, MAX_REPORT);
	nng_socket_set_int(ch->sock, NNG_OPT_RECVBUF, 1024);
	/* Pushes to every node are queued at once when a change fans out. */
	nng_socket_set_int(ch->sock, NNG_OPT_SENDBUF, 8192);
	rv = nng_pipe_notify(ch->sock, NNG_PIPE_EV_REM_POST, on_pipe_event, ch);
	if (rv)
		return bw_nng_errno(rv);
	rv = nng_listener_create(&ch->listener, ch->sock, url);
	if (rv) {
		bw_error("bad agents_listen URL | url=%s err=%s", url, nng_strerror(rv));
		return bw_nng_errno(rv);
	}
	if (strncmp(url, "tls+", 4) == 0) {
		rc = tls_setup(c, ch->listener);
		if (rc)
			return rc;
	}
	rv = nng_listener_start(ch->listener, 0);
	if (rv) {
		bw_error("cannot listen for agents | url=%s err=%s", url, nng_strerror(rv));
		return bw_nng_errno(rv);
	}
	if (nng_listener_get_int(ch->listener, NNG_OPT_TCP_BOUND_PORT, &port) == 0 && port > 0) {
		const char *colon = strrchr(url, ':');

		if (asprintf(&ch->url, "%.*s:%d", (int)(colon - url), url, port) < 0)
			return -ENOMEM;
	} else if (!(ch->url = strdup(url))) {
		return -ENOMEM;
	}
	rc = bw_nng_watch_new(&ch->watch, c->base, ch->sock, on_recv, c);
	if (rc)
		return rc;
	bw_info("listening for agents | url=%s", ch->url);
	return 0;
}

const char *ctl_channel_url(const struct bw_controller *c)
{
	return c->chan ? c->chan->url : NULL;
}

void ctl_channel_free(struct bw_controller *c)
{
	struct ctl_channel *ch = c->chan;

	if (!ch)
		return;
	bw_nng_watch_free(ch->watch);
	if (nng_socket_id(ch->sock) > 0)
		nng_close(ch->sock); /* joins nng's callbacks: none runs after this */
	if (ch->ev_wake)
		event_free(ch->ev_wake);
	if (ch->wake[0] >= 0)
		close(ch->wake[0]);
	if (ch->wake[1] >= 0)
		close(ch->wake[1]);
	ctl_map_free(ch->pipes);
	pthread_mutex_destroy(&ch->mu);
	free(ch->gone);
	free(ch->url);
	free(ch);
	c->chan = NULL;
}
