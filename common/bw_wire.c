/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_wire.h"
#include "bw_loop.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

void bw_envelope_init(BwEnvelope *env)
{
	bulwark__v1__envelope__init(env);
	env->schema = BW_WIRE_SCHEMA;
}

int bw_wire_encode(const BwEnvelope *env, nng_msg **out)
{
	size_t len = bulwark__v1__envelope__get_packed_size(env);
	nng_msg *msg;
	int rv;

	if (len > BW_WIRE_MAX_MSG)
		return -EMSGSIZE;
	rv = nng_msg_alloc(&msg, len);
	if (rv)
		return bw_nng_errno(rv);
	bulwark__v1__envelope__pack(env, nng_msg_body(msg));
	*out = msg;
	return 0;
}

int bw_wire_decode(nng_msg *msg, size_t max_size, BwEnvelope **out, char *err, size_t errlen)
{
	size_t len = nng_msg_len(msg);
	BwEnvelope *env;

	if (len > max_size) {
		snprintf(err, errlen, "message of %zu bytes exceeds the limit of %zu", len,
			 max_size);
		return -EMSGSIZE;
	}
	env = bulwark__v1__envelope__unpack(NULL, len, nng_msg_body(msg));
	if (!env) {
		snprintf(err, errlen, "message of %zu bytes is not a valid bulwark.v1.Envelope",
			 len);
		return -EBADMSG;
	}
	if (env->schema != BW_WIRE_SCHEMA) {
		snprintf(err, errlen, "unsupported schema %u (this build speaks %u)", env->schema,
			 BW_WIRE_SCHEMA);
		bw_wire_free(env);
		return -EPROTO;
	}
	if (env->body_case == BULWARK__V1__ENVELOPE__BODY__NOT_SET) {
		snprintf(err, errlen, "envelope has no body");
		bw_wire_free(env);
		return -EBADMSG;
	}
	*out = env;
	return 0;
}

void bw_wire_free(BwEnvelope *env)
{
	if (env)
		bulwark__v1__envelope__free_unpacked(env, NULL);
}

int bw_wire_send(nng_socket sock, nng_pipe pipe, const BwEnvelope *env)
{
	nng_msg *msg;
	int rc, rv;

	rc = bw_wire_encode(env, &msg);
	if (rc)
		return rc;
	if (nng_pipe_id(pipe) > 0)
		nng_msg_set_pipe(msg, pipe);
	rv = nng_sendmsg(sock, msg, NNG_FLAG_NONBLOCK);
	if (rv) {
		nng_msg_free(msg);
		return bw_nng_errno(rv);
	}
	return 0;
}

const char *bw_wire_body_name(const BwEnvelope *env)
{
	switch (env->body_case) {
	case BULWARK__V1__ENVELOPE__BODY_REGISTER:
		return "register";
	case BULWARK__V1__ENVELOPE__BODY_REGISTER_REPLY:
		return "register_reply";
	case BULWARK__V1__ENVELOPE__BODY_HEARTBEAT:
		return "heartbeat";
	case BULWARK__V1__ENVELOPE__BODY_CONTAINERS:
		return "containers";
	case BULWARK__V1__ENVELOPE__BODY_POLICY:
		return "policy";
	case BULWARK__V1__ENVELOPE__BODY_POLICY_ACK:
		return "policy_ack";
	case BULWARK__V1__ENVELOPE__BODY_EVENTS:
		return "events";
	case BULWARK__V1__ENVELOPE__BODY_EVENT_ACK:
		return "event_ack";
	case BULWARK__V1__ENVELOPE__BODY_ERROR:
		return "error";
	default:
		return "none";
	}
}

Bulwark__V1__CompiledPolicy *bw_compiled_policy_dup(const Bulwark__V1__CompiledPolicy *cp)
{
	size_t len = bulwark__v1__compiled_policy__get_packed_size(cp);
	uint8_t *buf = malloc(len ? len : 1);
	Bulwark__V1__CompiledPolicy *copy;

	if (!buf)
		return NULL;
	bulwark__v1__compiled_policy__pack(cp, buf);
	copy = bulwark__v1__compiled_policy__unpack(NULL, len, buf);
	free(buf);
	return copy;
}
