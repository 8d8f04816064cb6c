/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"

static char tomb_mark;
#define TOMB (&tomb_mark)

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

void bw_strmap_init(struct bw_strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void bw_strmap_fini(struct bw_strmap *m)
{
	for (size_t i = 0; i < m->cap && !m->borrow_keys; i++)
		if (m->slots[i].key && m->slots[i].key != TOMB)
			free(m->slots[i].key);
	free(m->slots);
	memset(m, 0, sizeof(*m));
}

static struct bw_strmap_slot *find(const struct bw_strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = hash(key) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct bw_strmap_slot *s = &m->slots[i];
		if (!s->key)
			return NULL;
		if (s->key != TOMB && !strcmp(s->key, key))
			return s;
	}
}

void *bw_strmap_get(const struct bw_strmap *m, const char *key)
{
	struct bw_strmap_slot *s = find(m, key);

	return s ? s->val : NULL;
}

const char *bw_strmap_key(const struct bw_strmap *m, const char *key)
{
	struct bw_strmap_slot *s = find(m, key);

	return s ? s->key : NULL;
}

static int grow(struct bw_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct bw_strmap_slot *old = m->slots, *v;

	/* Only tombstones: rehash at the same size. */
	if (m->cap && m->len * 2 < m->cap)
		cap = m->cap;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		if (!old[i].key || old[i].key == TOMB)
			continue;
		size_t j = hash(old[i].key) & (cap - 1);
		while (v[j].key)
			j = (j + 1) & (cap - 1);
		v[j] = old[i];
	}
	free(old);
	m->slots = v;
	m->cap = cap;
	m->used = m->len;
	return 0;
}

int bw_strmap_put(struct bw_strmap *m, const char *key, void *val)
{
	struct bw_strmap_slot *s = find(m, key);

	if (s) {
		s->val = val;
		return 0;
	}
	/* Up to 7/8 full: most probes end at the first byte of strcmp, and the
	 * inventory's container map is half the size at 100,000 entries. */
	if ((m->used + 1) * 8 > m->cap * 7 && grow(m))
		return -ENOMEM;
	char *k = m->borrow_keys ? (char *)key : strdup(key);
	if (!k)
		return -ENOMEM;
	size_t i = hash(key) & (m->cap - 1);
	while (m->slots[i].key && m->slots[i].key != TOMB)
		i = (i + 1) & (m->cap - 1);
	if (!m->slots[i].key)
		m->used++;
	m->slots[i] = (struct bw_strmap_slot){k, val};
	m->len++;
	return 0;
}

void *bw_strmap_del(struct bw_strmap *m, const char *key)
{
	struct bw_strmap_slot *s = find(m, key);
	void *val;

	if (!s)
		return NULL;
	val = s->val;
	if (!m->borrow_keys)
		free(s->key);
	s->key = TOMB;
	s->val = NULL;
	m->len--;
	return val;
}

int bw_strmap_next(const struct bw_strmap *m, size_t *i, const char **key, void **val)
{
	for (; *i < m->cap; (*i)++) {
		struct bw_strmap_slot *s = &m->slots[*i];
		if (s->key && s->key != TOMB) {
			if (key)
				*key = s->key;
			if (val)
				*val = s->val;
			(*i)++;
			return 1;
		}
	}
	return 0;
}
