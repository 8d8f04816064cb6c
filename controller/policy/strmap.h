/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A string-keyed open-addressing hash map (FNV-1a, linear probing,
 * tombstones).  Keys are copied; values are borrowed pointers.  Internal to
 * bw_policy, where every lookup is by id, name or "key=value".
 */
#ifndef BW_STRMAP_H
#define BW_STRMAP_H

#include <stddef.h>

struct bw_strmap_slot {
	char *key; /* NULL: empty; BW_STRMAP_TOMB: deleted */
	void *val;
};

struct bw_strmap {
	struct bw_strmap_slot *slots;
	size_t cap, len, used; /* used counts tombstones too */
	int borrow_keys;       /* set right after init: keys kept by pointer, never freed */
};

void bw_strmap_init(struct bw_strmap *m);
void bw_strmap_fini(struct bw_strmap *m); /* frees keys, not values */
void *bw_strmap_get(const struct bw_strmap *m, const char *key);
/* Inserts or replaces; returns 0 or -ENOMEM. */
int bw_strmap_put(struct bw_strmap *m, const char *key, void *val);
/* The map's own copy of key (stable until that key is deleted), or NULL. */
const char *bw_strmap_key(const struct bw_strmap *m, const char *key);
/* Returns the removed value or NULL. */
void *bw_strmap_del(struct bw_strmap *m, const char *key);
/* Iteration: for (size_t i = 0; bw_strmap_next(m, &i, &k, &v);) */
int bw_strmap_next(const struct bw_strmap *m, size_t *i, const char **key, void **val);

#endif
