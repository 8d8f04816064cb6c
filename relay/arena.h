/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A bump allocator for protobuf-c: one received batch is unpacked into a
 * few large blocks and freed at once when its XADDs complete, instead of a
 * malloc and a free for each of the ~40 strings of every event.
 */
#ifndef BW_ARENA_H
#define BW_ARENA_H

#include <stddef.h>
#include <protobuf-c/protobuf-c.h>

struct bw_arena;

/* first_block: bytes of the first block (later blocks double).  *out on success only. */
int bw_arena_new(struct bw_arena **out, size_t first_block);
/* The allocator to pass to *_unpack(); it stays valid until bw_arena_free. */
ProtobufCAllocator *bw_arena_allocator(struct bw_arena *a);
/* Bytes handed out so far (for tests). */
size_t bw_arena_used(const struct bw_arena *a);
/* Frees every block (and so everything unpacked with it).  Accepts NULL. */
void bw_arena_free(struct bw_arena *a);

#endif
