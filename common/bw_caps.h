/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Linux capability names, one table for the whole project (policy parser,
 * enforcers, event formatting).  Numbers are linux/capability.h's.
 */
#ifndef BW_CAPS_H
#define BW_CAPS_H

#include <stddef.h>

/* "CAP_NET_RAW" for 13; NULL when out of range. */
const char *bw_cap_name(unsigned cap);
/* "net_raw" for 13 (AppArmor's and KubeArmor's spelling); NULL when out of range. */
const char *bw_cap_short_name(unsigned cap);
/* bw_cap_name, or "CAP_<n>" written into buf for numbers the table lacks. */
const char *bw_cap_name_or_number(unsigned cap, char *buf, size_t len);
/* "net_raw", "CAP_NET_RAW", "Cap_Net_Raw" -> 13; -1 when unknown. */
int bw_cap_number(const char *name);
/* The short names, indexed by number; *n gets the count. */
const char *const *bw_cap_names(size_t *n);

#endif
