/* SPDX-License-Identifier: Apache-2.0 */
/* Interned byte strings (ctl_blob.h): an open-addressing set of pointers,
 * linear probing, backward-shift deletion (no tombstones to purge). */
#include "ctl_blob.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ctl_blobs {
	struct ctl_blob **slots;
	size_t cap; /* power of two, or 0 */
	size_t count;
};

static uint32_t hash_bytes(const uint8_t *b, size_t len)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

int ctl_blobs_new(struct ctl_blobs **out)
{
	struct ctl_blobs *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	*out = p;
	return 0;
}

void ctl_blobs_free(struct ctl_blobs *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->cap; i++)
		free(p->slots[i]);
	free(p->slots);
	free(p);
}

size_t ctl_blobs_count(const struct ctl_blobs *p)
{
	return p->count;
}

static int grow(struct ctl_blobs *p)
{
	size_t cap = p->cap ? p->cap * 2 : 64;
	struct ctl_blob **v = calloc(cap, sizeof(*v));

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->cap; i++) {
		struct ctl_blob *b = p->slots[i];
		size_t j;

		if (!b)
			continue;
		for (j = b->hash & (cap - 1); v[j]; j = (j + 1) & (cap - 1))
			;
		v[j] = b;
	}
	free(p->slots);
	p->slots = v;
	p->cap = cap;
	return 0;
}

struct ctl_blob *ctl_blob_get(struct ctl_blobs *p, const void *data, size_t len)
{
	uint32_t h = hash_bytes(data, len);
	struct ctl_blob *b;
	size_t i;

	if (len > UINT32_MAX - sizeof(*b))
		return NULL;
	for (i = p->cap ? h & (p->cap - 1) : 0; p->cap && (b = p->slots[i]);
	     i = (i + 1) & (p->cap - 1)) {
		if (b->hash == h && b->len == len && memcmp(b->data, data, len) == 0) {
			b->refs++;
			return b;
		}
	}
	/* At most 3/4 full. */
	if ((p->count + 1) * 4 > p->cap * 3) {
		if (grow(p))
			return NULL;
		for (i = h & (p->cap - 1); p->slots[i]; i = (i + 1) & (p->cap - 1))
			;
	}
	b = malloc(sizeof(*b) + len);
	if (!b)
		return NULL;
	b->refs = 1;
	b->len = (uint32_t)len;
	b->hash = h;
	memcpy(b->data, data, len);
	p->slots[i] = b;
	p->count++;
	return b;
}

void ctl_blob_put(struct ctl_blobs *p, struct ctl_blob *b)
{
	size_t i, j;

	if (!b || --b->refs)
		return;
	for (i = b->hash & (p->cap - 1); p->slots[i] != b; i = (i + 1) & (p->cap - 1))
		;
	/* Backward shift: move later members of the probe run into the hole
	 * when their home slot is not between the hole and them. */
	for (j = (i + 1) & (p->cap - 1); p->slots[j]; j = (j + 1) & (p->cap - 1)) {
		size_t home = p->slots[j]->hash & (p->cap - 1);

		if (((j - home) & (p->cap - 1)) >= ((j - i) & (p->cap - 1))) {
			p->slots[i] = p->slots[j];
			p->slots[j] = NULL;
			i = j;
		}
	}
	p->slots[i] = NULL;
	p->count--;
	free(b);
}
