/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A string-keyed hash map (open addressing, linear probing, tombstones).
 * The map copies keys; values are opaque pointers owned by the caller.
 * Iteration order is unspecified; callers that need a stable order sort.
 */
#ifndef BW_CTL_MAP_H
#define BW_CTL_MAP_H

#include <stddef.h>

struct ctl_map;

int ctl_map_new(struct ctl_map **out);
/* A map that keeps the caller's key pointers instead of copies: each key
 * must stay valid and unchanged until its entry is deleted or the map
 * freed (a replace keeps the first pointer). */
int ctl_map_new_borrowing(struct ctl_map **out);
/* Frees the map and its keys, not the values.  Accepts NULL. */
void ctl_map_free(struct ctl_map *m);
size_t ctl_map_count(const struct ctl_map *m);
void *ctl_map_get(const struct ctl_map *m, const char *key);
/* Inserts or replaces; *old (may be NULL) receives the replaced value. */
int ctl_map_put(struct ctl_map *m, const char *key, void *value, void **old);
/* The map's own copy of key (valid until the key is deleted), or NULL. */
const char *ctl_map_key(const struct ctl_map *m, const char *key);
/* Removes and returns the value, or NULL when absent. */
void *ctl_map_del(struct ctl_map *m, const char *key);

/* Iteration: for (i = 0; ctl_map_next(m, &i, &k, &v);) ...  No changes meanwhile. */
int ctl_map_next(const struct ctl_map *m, size_t *iter, const char **key, void **value);

/* The keys, sorted; a new array of borrowed pointers the caller frees. */
const char **ctl_map_sorted_keys(const struct ctl_map *m, size_t *n);

#endif
