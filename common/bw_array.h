/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Growing arrays: BW_GROW(v, cap, need) makes room for need elements in the
 * array v of capacity cap (both lvalues, updated), doubling from 16.
 * 0, or -ENOMEM with v and cap untouched.
 */
#ifndef BW_ARRAY_H
#define BW_ARRAY_H

#include <stddef.h>

#define BW_GROW(v, cap, need) bw_array_grow(&(v), &(cap), (need), sizeof(*(v)))

/* What BW_GROW expands to; pv is the address of the array pointer. */
int bw_array_grow(void *pv, size_t *cap, size_t need, size_t elem);

#endif
