/* SPDX-License-Identifier: Apache-2.0 */
#include "agent_client.h"
#include "bw_log.h"
#include "bw_loop.h"
#include "ctl_map.h"
#include "bw_time.h"
#include "bw_wire.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <nng/protocol/pair1/pair.h>
#include <nng/supplemental/tls/tls.h>

#define DEFAULT_HEARTBEAT_MS 5000
#define DRAIN_MAX 64

struct packed {
	size_t len;
	uint8_t data[];
};

struct bw_ctlclient_ack {
	char message[512];
	char **unenforced;
	size_t n_unenforced;
};

struct bw_ctlclient {
	struct event_base *base;
	struct bw_ctlclient_callbacks cbs;
	/* copies of the options */
	char *url, *node, *labels, *kernel, *agent_version;
	Bulwark__V1__Enforcer *enforcers;
	size_t n_enforcers;
	Bulwark__V1__Enforcer active;
	char **unenforceable;
	size_t n_unenforceable;
	uint64_t boot_id;
	uint32_t hb_fixed_ms, hb_ms;
	int version_only; /* opts.policy_version_only */

	nng_socket sock;
	nng_dialer dialer;
	struct bw_nng_watch *watch;
	struct event *ev_hb, *ev_wake;
	int wake[2];
	/* pipe events from nng threads: the latest state wins */
	pthread_mutex_t mu;
	unsigned adds, rems;

	int connected;	/* a pipe is up */
	int registered; /* RegisterReply accepted */
	int need_full;	/* a delta could not be sent: resend everything */
	uint64_t applied;
	uint64_t sent, lost, dropped;
	struct ctl_map *ctrs; /* id -> struct packed */
};

void bw_ctlclient_ack_message(struct bw_ctlclient_ack *ack, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ack->message, sizeof(ack->message), fmt, ap);
	va_end(ap);
}

int bw_ctlclient_ack_unenforced(struct bw_ctlclient_ack *ack, const char *what)
{
	char **nv = realloc(ack->unenforced, (ack->n_unenforced + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	ack->unenforced = nv;
	nv[ack->n_unenforced] = strdup(what);
	if (!nv[ack->n_unenforced])
		return -ENOMEM;
	ack->n_unenforced++;
	return 0;
}

static int send_env(struct bw_ctlclient *c, BwEnvelope *env)
{
	nng_pipe none = NNG_PIPE_INITIALIZER;
	int rc = bw_wire_send(c->sock, none, env);

	if (rc)
		bw_debug("send to the controller failed | type=%s err=%d", bw_wire_body_name(env),
			 rc);
	return rc;
}

static int send_register(struct bw_ctlclient *c)
{
	Bulwark__V1__Register r = BULWARK__V1__REGISTER__INIT;
	Bulwark__V1__KeyValue *kvs = NULL, **kvp = NULL;
	char *labels = NULL, *save = NULL;
	BwEnvelope env;
	size_t n = 0;
	int rc;

	if (c->labels && c->labels[0]) {
		size_t max = 1;

		for (const char *p = c->labels; *p; p++)
			max += *p == ',';
		labels = strdup(c->labels);
		kvs = calloc(max, sizeof(*kvs));
		kvp = calloc(max, sizeof(*kvp));
		if (!labels || !kvs || !kvp) {
			rc = -ENOMEM;
			goto cleanup;
		}
		for (char *t = strtok_r(labels, ",", &save); t && n < max;
		     t = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(t, '=');

			bulwark__v1__key_value__init(&kvs[n]);
			if (eq)
				*eq = '\0';
			kvs[n].key = t;
			kvs[n].value = eq ? eq + 1 : "";
			kvp[n] = &kvs[n];
			n++;
		}
	}
	r.node_name = c->node;
	r.labels = kvp;
	r.n_labels = n;
	r.kernel_version = c->kernel;
	r.agent_version = c->agent_version;
	r.enforcers = c->enforcers;
	r.n_enforcers = c->n_enforcers;
	r.active_enforcer = c->active;
	r.unenforceable = c->unenforceable;
	r.n_unenforceable = c->n_unenforceable;
	r.boot_id = c->boot_id;
	r.applied_version = c->applied;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_REGISTER;
	env.register_ = &r;
	rc = send_env(c, &env);
cleanup:
	free(labels);
	free(kvs);
	free(kvp);
	return rc;
}

/* Sends containers (packed copies or caller messages) as one report. */
static int send_report(struct bw_ctlclient *c, int full, Bulwark__V1__Container **added,
		       size_t n_added, char **removed, size_t n_removed)
{
	Bulwark__V1__ContainerReport rep = BULWARK__V1__CONTAINER_REPORT__INIT;
	BwEnvelope env;

	rep.node_name = c->node;
	rep.full = full;
	rep.added = added;
	rep.n_added = n_added;
	rep.removed = removed;
	rep.n_removed = n_removed;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_CONTAINERS;
	env.containers = &rep;
	return send_env(c, &env);
}

static int send_full(struct bw_ctlclient *c)
{
	size_t n = ctl_map_count(c->ctrs), k = 0, it = 0;
	Bulwark__V1__Container **v = calloc(n ? n : 1, sizeof(*v));
	struct packed *p;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	while (ctl_map_next(c->ctrs, &it, NULL, (void **)&p)) {
		v[k] = bulwark__v1__container__unpack(NULL, p->len, p->data);
		if (!v[k]) {
			rc = -ENOMEM;
			goto cleanup;
		}
		k++;
	}
	rc = send_report(c, 1, v, k, NULL, 0);
	c->need_full = rc != 0;
cleanup:
	for (size_t i = 0; i < k; i++)
		bulwark__v1__container__free_unpacked(v[i], NULL);
	free(v);
	return rc;
}

int bw_ctlclient_heartbeat(struct bw_ctlclient *c)
{
	Bulwark__V1__Heartbeat hb = BULWARK__V1__HEARTBEAT__INIT;
	BwEnvelope env;

	if (!c->connected)
		return -ENOTCONN;
	if (!c->registered) {
		/* Our Register may have been lost in a reconnect race: say it again. */
		return send_register(c);
	}
	if (c->need_full)
		send_full(c);
	hb.node_name = c->node;
	hb.applied_version = c->applied;
	hb.events_sent = c->sent;
	hb.events_lost = c->lost;
	hb.events_dropped = c->dropped;
	hb.timestamp_ns = bw_real_ns();
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_HEARTBEAT;
	env.heartbeat = &hb;
	return send_env(c, &env);
}

/*
 * Each interval is the configured one +-20 %, at random: agents that
 * (re)connect together, after a controller restart or a network blip,
 * would otherwise heartbeat in lockstep, a thousand messages in the same
 * millisecond every interval.  The controller's node timeout is several
 * intervals long.
 */
static void arm_heartbeat(struct bw_ctlclient *c)
{
	uint64_t ms = (uint64_t)c->hb_ms * (80 + bw_random_u64() % 41) / 100;
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};

	event_del(c->ev_hb);
	event_add(c->ev_hb, &tv);
}

static void on_hb(evutil_socket_t fd, short what, void *arg)
{
	struct bw_ctlclient *c = arg;

	bw_ctlclient_heartbeat(c);
	if (c->connected)
		arm_heartbeat(c);
}

static void send_ack(struct bw_ctlclient *c, uint64_t version, int ok,
		     const struct bw_ctlclient_ack *ack)
{
	Bulwark__V1__PolicyAck a = BULWARK__V1__POLICY_ACK__INIT;
	BwEnvelope env;

	a.node_name = c->node;
	a.version = version;
	a.ok = ok;
	a.message = ack ? (char *)ack->message : "";
	a.unenforced = ack ? ack->unenforced : NULL;
	a.n_unenforced = ack ? ack->n_unenforced : 0;
	bw_envelope_init(&env);
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY_ACK;
	env.policy_ack = &a;
	send_env(c, &env);
}

static void on_policy(struct bw_ctlclient *c, const Bulwark__V1__CompiledPolicy *cp)
{
	struct bw_ctlclient_ack ack = {.message = ""};
	int rc;

	if (!cp)
		return;
	if (cp->version <= c->applied) {
		/* A resend of what we enforce (our ack was lost) or an older one
		 * overtaken by a newer: acknowledge what we have, apply nothing. */
		bw_debug("policy not newer than the applied one | version=%" PRIu64
			 " applied=%" PRIu64,
			 cp->version, c->applied);
		send_ack(c, c->applied, 1, NULL);
		return;
	}
	rc = c->cbs.on_policy(c->cbs.arg, cp, &ack);
	if (rc == 0) {
		c->applied = cp->version;
	} else {
		if (!ack.message[0])
			snprintf(ack.message, sizeof(ack.message), "%s", strerror(-rc));
		bw_warn("policy not applied | version=%" PRIu64 " why=\"%s\"", cp->version,
			ack.message);
	}
	send_ack(c, cp->version, rc == 0, &ack);
	for (size_t i = 0; i < ack.n_unenforced; i++)
		free(ack.unenforced[i]);
	free(ack.unenforced);
}

/* A protobuf varint at b[0..len); its length, 0 when cut short or too long. */
static size_t get_varint(const uint8_t *b, size_t len, uint64_t *v)
{
	*v = 0;
	for (size_t i = 0; i < len && i < 10; i++) {
		*v |= (uint64_t)(b[i] & 0x7f) << (7 * i);
		if (!(b[i] & 0x80))
			return i + 1;
	}
	return 0;
}

/*
 * Finds field number `field` of wire type `wt` in the message b[0..len)
 * (the last occurrence wins, as in protobuf): 1 and its value (*val, *vlen
 * for length-delimited, *num for varints), 0 when absent, -1 when b is not
 * well formed.
 */
static int find_field(const uint8_t *b, size_t len, uint64_t field, int wt, const uint8_t **val,
		      size_t *vlen, uint64_t *num)
{
	size_t o = 0, k;
	int found = 0;

	while (o < len) {
		uint64_t tag, v;

		if (!(k = get_varint(b + o, len - o, &tag)))
			return -1;
		o += k;
		switch (tag & 7) {
		case 0:
			if (!(k = get_varint(b + o, len - o, &v)))
				return -1;
			if ((tag >> 3) == field && wt == 0) {
				*num = v;
				found = 1;
			}
			o += k;
			break;
		case 1:
			o += 8;
			break;
		case 2:
			if (!(k = get_varint(b + o, len - o, &v)) || v > len - o - k)
				return -1;
			o += k;
			if ((tag >> 3) == field && wt == 2) {
				*val = b + o;
				*vlen = (size_t)v;
				found = 1;
			}
			o += (size_t)v;
			break;
		case 5:
			o += 4;
			break;
		default:
			return -1;
		}
	}
	return o == len ? found : -1;
}

/*
 * For opts.policy_version_only: the version of an Envelope holding a
 * PolicyUpdate, read without decoding its rule sets.  1 when it is one,
 * else 0 or -1 (then the message takes the usual path, which also reports
 * malformed ones).
 */
static int peek_policy_version(const uint8_t *b, size_t len, uint64_t *version)
{
	const uint8_t *pu, *cp;
	size_t pu_len, cp_len;
	uint64_t unused;
	int rc;

	if ((rc = find_field(b, len, BULWARK__V1__ENVELOPE__BODY_POLICY, 2, &pu, &pu_len,
			     &unused)) != 1 ||
	    (rc = find_field(pu, pu_len, 1, 2, &cp, &cp_len, &unused)) != 1)
		return rc;
	*version = 0; /* proto3: absent is zero */
	return find_field(cp, cp_len, 2, 0, &pu, &pu_len, version) < 0 ? -1 : 1;
}

static void on_recv(void *arg)
{
	struct bw_ctlclient *c = arg;

	for (int i = 0; i < DRAIN_MAX; i++) {
		BwEnvelope *env = NULL;
		char err[256];
		nng_msg *msg;
		uint64_t version;

		if (nng_recvmsg(c->sock, &msg, NNG_FLAG_NONBLOCK))
			break;
		if (c->version_only &&
		    peek_policy_version(nng_msg_body(msg), nng_msg_len(msg), &version) == 1) {
			Bulwark__V1__CompiledPolicy cp = BULWARK__V1__COMPILED_POLICY__INIT;

			nng_msg_free(msg);
			cp.node_name = c->node;
			cp.version = version;
			on_policy(c, &cp);
			continue;
		}
		if (bw_wire_decode(msg, BW_WIRE_MAX_MSG, &env, err, sizeof(err))) {
			bw_warn("bad message from the controller | why=\"%s\"", err);
			nng_msg_free(msg);
			continue;
		}
		nng_msg_free(msg);
		switch (env->body_case) {
		case BULWARK__V1__ENVELOPE__BODY_REGISTER_REPLY:
			if (!env->register_reply->accepted) {
				bw_error("controller refused our registration | why=\"%s\"",
					 env->register_reply->message);
				break;
			}
			if (!c->hb_fixed_ms && env->register_reply->heartbeat_interval_ms)
				c->hb_ms = env->register_reply->heartbeat_interval_ms;
			arm_heartbeat(c);
			if (!c->registered) {
				c->registered = 1;
				bw_info("registered with the controller | url=%s node=%s", c->url,
					c->node);
				if (c->cbs.on_connected)
					c->cbs.on_connected(c->cbs.arg);
			}
			break;
		case BULWARK__V1__ENVELOPE__BODY_POLICY:
			on_policy(c, env->policy->policy);
			break;
		case BULWARK__V1__ENVELOPE__BODY_ERROR:
			bw_warn("controller reported an error | code=%d message=\"%s\"",
				env->error->code, env->error->message);
			break;
		default:
			bw_warn("unexpected message from the controller | type=%s",
				bw_wire_body_name(env));
			break;
		}
		bw_wire_free(env);
	}
}

static void on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct bw_ctlclient *c = arg;
	char one = 1;

	pthread_mutex_lock(&c->mu);
	if (ev == NNG_PIPE_EV_ADD_POST)
		c->adds++;
	else if (ev == NNG_PIPE_EV_REM_POST)
		c->rems++;
	pthread_mutex_unlock(&c->mu);
	if (write(c->wake[1], &one, 1) < 0) {
		/* A full pipe already holds a wakeup. */
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	struct bw_ctlclient *c = arg;
	unsigned adds, rems;
	char buf[64];
	int was = c->connected;

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&c->mu);
	adds = c->adds;
	rems = c->rems;
	pthread_mutex_unlock(&c->mu);
	/* pair1 has at most one pipe: connected iff more adds than removes. */
	c->connected = adds > rems;
	if (was && (!c->connected || rems > 0)) {
		/* Lost (and maybe already regained) the connection since last time. */
	}
	if (!c->connected) {
		if (was) {
			c->registered = 0;
			bw_warn("lost the controller; reconnecting | url=%s", c->url);
			if (c->cbs.on_disconnected)
				c->cbs.on_disconnected(c->cbs.arg);
		}
		return;
	}
	/* New pipe (or a remove and add between two wakeups): register again. */
	c->registered = 0;
	send_register(c);
	send_full(c);
	arm_heartbeat(c);
}

static char *dupz(const char *s)
{
	return strdup(s ? s : "");
}

static int tls_setup(struct bw_ctlclient *c, const struct bw_ctlclient_opts *o)
{
	nng_tls_config *cfg = NULL;
	int rv;

	rv = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT);
	if (rv) {
		bw_error("TLS is not available in this nng build | err=%s", nng_strerror(rv));
		return bw_nng_errno(rv);
	}
	if (o->tls_ca_file && o->tls_ca_file[0]) {
		rv = nng_tls_config_ca_file(cfg, o->tls_ca_file);
		if (!rv)
			rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	} else {
		rv = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_NONE);
	}
	if (!rv && o->tls_cert_key_file && o->tls_cert_key_file[0])
		rv = nng_tls_config_cert_key_file(cfg, o->tls_cert_key_file, NULL);
	if (!rv && o->tls_server_name && o->tls_server_name[0])
		rv = nng_tls_config_server_name(cfg, o->tls_server_name);
	if (!rv)
		rv = nng_dialer_set_ptr(c->dialer, NNG_OPT_TLS_CONFIG, cfg);
	if (rv)
		bw_error("TLS setup for the controller failed | err=%s", nng_strerror(rv));
	nng_tls_config_free(cfg);
	return bw_nng_errno(rv);
}

int bw_ctlclient_new(struct bw_ctlclient **out, struct event_base *base,
		     const struct bw_ctlclient_opts *o, const struct bw_ctlclient_callbacks *cbs)
{
	struct bw_ctlclient *c;
	int rv, rc = -ENOMEM;

	if (!o || !o->url || !o->node_name || !o->node_name[0] || !cbs || !cbs->on_policy)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->wake[0] = c->wake[1] = -1;
	pthread_mutex_init(&c->mu, NULL);
	c->base = base;
	c->cbs = *cbs;
	c->url = dupz(o->url);
	c->node = dupz(o->node_name);
	c->labels = dupz(o->labels);
	c->kernel = dupz(o->kernel_version);
	c->agent_version = dupz(o->agent_version);
	c->active = o->active_enforcer;
	c->boot_id = o->boot_id;
	c->applied = o->applied_version;
	c->hb_fixed_ms = o->heartbeat_ms;
	c->version_only = o->policy_version_only;
	c->hb_ms = o->heartbeat_ms ? o->heartbeat_ms : DEFAULT_HEARTBEAT_MS;
	if (!c->url || !c->node || !c->labels || !c->kernel || !c->agent_version)
		goto fail;
	if (o->n_enforcers) {
		c->enforcers = calloc(o->n_enforcers, sizeof(*c->enforcers));
		if (!c->enforcers)
			goto fail;
		memcpy(c->enforcers, o->enforcers, o->n_enforcers * sizeof(*c->enforcers));
		c->n_enforcers = o->n_enforcers;
	}
	if (o->n_unenforceable) {
		c->unenforceable = calloc(o->n_unenforceable, sizeof(char *));
		if (!c->unenforceable)
			goto fail;
		for (size_t i = 0; i < o->n_unenforceable; i++) {
			c->unenforceable[i] = dupz(o->unenforceable[i]);
			if (!c->unenforceable[i])
				goto fail;
			c->n_unenforceable++;
		}
	}
	if (ctl_map_new(&c->ctrs) || pipe2(c->wake, O_NONBLOCK | O_CLOEXEC))
		goto fail;
	c->ev_wake = event_new(base, c->wake[0], EV_READ | EV_PERSIST, on_wake, c);
	c->ev_hb = evtimer_new(base, on_hb, c);
	if (!c->ev_wake || !c->ev_hb || event_add(c->ev_wake, NULL))
		goto fail;
	rv = nng_pair1_open(&c->sock);
	if (rv) {
		rc = bw_nng_errno(rv);
		goto fail;
	}
	nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, BW_WIRE_MAX_MSG);
	/*
	 * pair1 has no send queue by default: a non-blocking send fails while
	 * the previous message is still being written, so Register followed
	 * at once by the container report would lose the report.
	 */
	nng_socket_set_int(c->sock, NNG_OPT_SENDBUF, 64);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT,
			  o->reconnect_min_ms ? o->reconnect_min_ms : 100);
	nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT,
			  o->reconnect_max_ms ? o->reconnect_max_ms : 5000);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_ADD_POST, on_pipe, c);
	nng_pipe_notify(c->sock, NNG_PIPE_EV_REM_POST, on_pipe, c);
	rv = nng_dialer_create(&c->dialer, c->sock, c->url);
	if (rv) {
		bw_error("bad controller URL | url=%s err=%s", c->url, nng_strerror(rv));
		rc = bw_nng_errno(rv);
		goto fail;
	}
	if (strncmp(c->url, "tls+", 4) == 0) {
		rc = tls_setup(c, o);
		if (rc)
			goto fail;
	}
	rc = bw_nng_watch_new(&c->watch, base, c->sock, on_recv, c);
	if (rc)
		goto fail;
	/* Non-blocking: with no controller yet, nng keeps retrying. */
	rv = nng_dialer_start(c->dialer, NNG_FLAG_NONBLOCK);
	if (rv) {
		rc = bw_nng_errno(rv);
		goto fail;
	}
	*out = c;
	return 0;
fail:
	bw_ctlclient_free(c);
	return rc;
}

void bw_ctlclient_free(struct bw_ctlclient *c)
{
	size_t it = 0;
	void *v;

	if (!c)
		return;
	bw_nng_watch_free(c->watch);
	if (nng_socket_id(c->sock) > 0)
		nng_close(c->sock); /* waits for pipe callbacks in flight */
	if (c->ev_wake)
		event_free(c->ev_wake);
	if (c->ev_hb)
		event_free(c->ev_hb);
	if (c->wake[0] >= 0)
		close(c->wake[0]);
	if (c->wake[1] >= 0)
		close(c->wake[1]);
	if (c->ctrs) {
		while (ctl_map_next(c->ctrs, &it, NULL, &v))
			free(v);
		ctl_map_free(c->ctrs);
	}
	for (size_t i = 0; i < c->n_unenforceable; i++)
		free(c->unenforceable[i]);
	free(c->unenforceable);
	free(c->enforcers);
	free(c->url);
	free(c->node);
	free(c->labels);
	free(c->kernel);
	free(c->agent_version);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static int keep(struct bw_ctlclient *c, const Bulwark__V1__Container *m)
{
	size_t len = bulwark__v1__container__get_packed_size(m);
	struct packed *p = malloc(sizeof(*p) + len), *old = NULL;

	if (!p)
		return -ENOMEM;
	p->len = len;
	bulwark__v1__container__pack(m, p->data);
	if (ctl_map_put(c->ctrs, m->id, p, (void **)&old)) {
		free(p);
		return -ENOMEM;
	}
	free(old);
	return 0;
}

int bw_ctlclient_report_containers(struct bw_ctlclient *c, int full,
				   const Bulwark__V1__Container *const *added, size_t n_added,
				   const char *const *removed, size_t n_removed)
{
	size_t it = 0;
	void *v;
	int rc;

	for (size_t i = 0; i < n_added; i++)
		if (!added[i]->id || !added[i]->id[0])
			return -EINVAL;
	if (full) {
		while (ctl_map_next(c->ctrs, &it, NULL, &v))
			free(v);
		ctl_map_free(c->ctrs);
		c->ctrs = NULL;
		if (ctl_map_new(&c->ctrs))
			return -ENOMEM;
		n_removed = 0;
	}
	for (size_t i = 0; i < n_added; i++) {
		rc = keep(c, added[i]);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < n_removed; i++)
		free(ctl_map_del(c->ctrs, removed[i]));
	if (!c->connected)
		return 0; /* the next registration sends the full set */
	if (full || c->need_full)
		return send_full(c);
	rc = send_report(c, 0, (Bulwark__V1__Container **)added, n_added, (char **)removed,
			 n_removed);
	if (rc)
		c->need_full = 1; /* the next heartbeat resends everything */
	return 0;
}

void bw_ctlclient_set_counters(struct bw_ctlclient *c, uint64_t sent, uint64_t lost,
			       uint64_t dropped)
{
	c->sent = sent;
	c->lost = lost;
	c->dropped = dropped;
}

int bw_ctlclient_connected(const struct bw_ctlclient *c)
{
	return c->connected && c->registered;
}

uint64_t bw_ctlclient_applied_version(const struct bw_ctlclient *c)
{
	return c->applied;
}
