/* SPDX-License-Identifier: Apache-2.0 */
#include "arena.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

struct block {
	struct block *next;
	size_t cap, used;
	max_align_t data[];
};

struct bw_arena {
	ProtobufCAllocator alloc;
	struct block *head;
	size_t next_cap, used;
};

static struct block *block_new(size_t cap)
{
	struct block *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->next = NULL;
	b->cap = cap;
	b->used = 0;
	return b;
}

static void *arena_alloc(void *data, size_t size)
{
	struct bw_arena *a = data;
	struct block *b = a->head;
	size_t need = (size + 15) & ~(size_t)15;

	if (need < size)
		return NULL;
	if (!b || b->cap - b->used < need) {
		size_t cap = a->next_cap > need ? a->next_cap : need;

		b = block_new(cap);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
		a->next_cap = cap * 2;
	}
	b->used += need;
	a->used += need;
	return (char *)b->data + b->used - need;
}

static void arena_free_one(void *data, void *ptr)
{
	/* everything goes with bw_arena_free */
	(void)data;
	(void)ptr;
}

int bw_arena_new(struct bw_arena **out, size_t first_block)
{
	struct bw_arena *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	a->alloc.alloc = arena_alloc;
	a->alloc.free = arena_free_one;
	a->alloc.allocator_data = a;
	a->next_cap = first_block ? first_block : 4096;
	*out = a;
	return 0;
}

ProtobufCAllocator *bw_arena_allocator(struct bw_arena *a)
{
	return &a->alloc;
}

size_t bw_arena_used(const struct bw_arena *a)
{
	return a->used;
}

void bw_arena_free(struct bw_arena *a)
{
	struct block *b, *next;

	if (!a)
		return;
	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	free(a);
}
