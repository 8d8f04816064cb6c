/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Envelopes on nng sockets: encode, decode with limits, send to one pipe.
 * Every message on every socket is one bulwark.v1.Envelope.
 */
#ifndef BW_WIRE_H
#define BW_WIRE_H

#include <stddef.h>
#include <nng/nng.h>

#include "bulwark.pb-c.h"

#define BW_WIRE_SCHEMA 1
/* Upper bound for any message; a compiled policy of a large node fits. */
#define BW_WIRE_MAX_MSG (64u << 20)

typedef Bulwark__V1__Envelope BwEnvelope;

/* Initialises env with schema 1 and no body. */
void bw_envelope_init(BwEnvelope *env);

/*
 * Packs env into a new nng message.  *out is written only on success and
 * then belongs to the caller (or to nng once sent).
 */
int bw_wire_encode(const BwEnvelope *env, nng_msg **out);

/*
 * Unpacks a received message.  Rejects bodies over max_size, undecodable
 * bytes, a schema other than 1 and an empty body, writing why into err.
 * *out is freed with bw_wire_free.  The nng message stays the caller's.
 */
int bw_wire_decode(nng_msg *msg, size_t max_size, BwEnvelope **out, char *err, size_t errlen);
void bw_wire_free(BwEnvelope *env);

/*
 * Encodes and sends without blocking; to one pipe when pipe id is non-zero
 * (pair1 polyamorous sockets address peers this way).  Returns 0, -EAGAIN
 * when the peer's queue is full, or another negative errno.
 */
int bw_wire_send(nng_socket sock, nng_pipe pipe, const BwEnvelope *env);

/*
 * A deep copy of a compiled policy (pack + unpack), or NULL when out of
 * memory.  The caller frees it with bulwark__v1__compiled_policy__free_unpacked.
 */
Bulwark__V1__CompiledPolicy *bw_compiled_policy_dup(const Bulwark__V1__CompiledPolicy *cp);

/* "register", "events", ...: for logs and errors. */
const char *bw_wire_body_name(const BwEnvelope *env);

#endif
