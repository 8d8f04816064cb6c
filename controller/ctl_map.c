/* SPDX-License-Identifier: Apache-2.0 */
#include "ctl_map.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A slot's key is NULL (never used), TOMB (deleted) or a string (owned unless
 * the map borrows its keys). */
static char tomb_marker;
#define TOMB (&tomb_marker)

struct slot {
	char *key;
	void *value;
	uint32_t hash;
};

struct ctl_map {
	struct slot *slots;
	size_t cap; /* power of two */
	size_t count;
	size_t used; /* live + tombstones: what decides when to grow */
	int borrow;  /* keys are the caller's: never copied or freed */
};

static uint32_t hash_str(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

int ctl_map_new(struct ctl_map **out)
{
	struct ctl_map *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->cap = 16;
	m->slots = calloc(m->cap, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return -ENOMEM;
	}
	*out = m;
	return 0;
}

int ctl_map_new_borrowing(struct ctl_map **out)
{
	int rc = ctl_map_new(out);

	if (rc == 0)
		(*out)->borrow = 1;
	return rc;
}

void ctl_map_free(struct ctl_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->cap && !m->borrow; i++)
		if (m->slots[i].key && m->slots[i].key != TOMB)
			free(m->slots[i].key);
	free(m->slots);
	free(m);
}

size_t ctl_map_count(const struct ctl_map *m)
{
	return m->count;
}

static struct slot *find(const struct ctl_map *m, const char *key, uint32_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct slot *s = &m->slots[i];

		if (!s->key)
			return NULL;
		if (s->key != TOMB && s->hash == h && strcmp(s->key, key) == 0)
			return s;
	}
}

void *ctl_map_get(const struct ctl_map *m, const char *key)
{
	struct slot *s = find(m, key, hash_str(key));

	return s ? s->value : NULL;
}

static int grow(struct ctl_map *m)
{
	size_t ncap = m->count * 4 > m->cap ? m->cap * 2 : m->cap; /* else just purge tombs */
	struct slot *ns = calloc(ncap, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		struct slot *s = &m->slots[i];
		size_t j;

		if (!s->key || s->key == TOMB)
			continue;
		for (j = s->hash & (ncap - 1); ns[j].key; j = (j + 1) & (ncap - 1))
			;
		ns[j] = *s;
	}
	free(m->slots);
	m->slots = ns;
	m->cap = ncap;
	m->used = m->count;
	return 0;
}

int ctl_map_put(struct ctl_map *m, const char *key, void *value, void **old)
{
	uint32_t h = hash_str(key);
	struct slot *s = find(m, key, h);
	size_t mask, i;
	char *k;

	if (s) {
		if (old)
			*old = s->value;
		s->value = value;
		return 0;
	}
	if (old)
		*old = NULL;
	/* Up to 7/8 full: probes compare the stored hash first, so long runs
	 * stay cheap, and at 100,000 containers the table is half the size. */
	if ((m->used + 1) * 8 > m->cap * 7 && grow(m))
		return -ENOMEM;
	k = m->borrow ? (char *)key : strdup(key);
	if (!k)
		return -ENOMEM;
	mask = m->cap - 1;
	for (i = h & mask; m->slots[i].key && m->slots[i].key != TOMB; i = (i + 1) & mask)
		;
	if (!m->slots[i].key)
		m->used++;
	m->slots[i].key = k;
	m->slots[i].value = value;
	m->slots[i].hash = h;
	m->count++;
	return 0;
}

const char *ctl_map_key(const struct ctl_map *m, const char *key)
{
	struct slot *s = find(m, key, hash_str(key));

	return s ? s->key : NULL;
}

void *ctl_map_del(struct ctl_map *m, const char *key)
{
	struct slot *s = find(m, key, hash_str(key));
	void *v;

	if (!s)
		return NULL;
	v = s->value;
	if (!m->borrow)
		free(s->key);
	s->key = TOMB;
	s->value = NULL;
	m->count--;
	return v;
}

int ctl_map_next(const struct ctl_map *m, size_t *iter, const char **key, void **value)
{
	for (size_t i = *iter; i < m->cap; i++) {
		if (m->slots[i].key && m->slots[i].key != TOMB) {
			if (key)
				*key = m->slots[i].key;
			if (value)
				*value = m->slots[i].value;
			*iter = i + 1;
			return 1;
		}
	}
	*iter = m->cap;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char **ctl_map_sorted_keys(const struct ctl_map *m, size_t *n)
{
	const char **v = malloc((m->count ? m->count : 1) * sizeof(*v));
	size_t it = 0, k = 0;
	const char *key;

	if (!v)
		return NULL;
	while (ctl_map_next(m, &it, &key, NULL))
		v[k++] = key;
	qsort(v, k, sizeof(*v), cmp_str);
	*n = k;
	return v;
}
