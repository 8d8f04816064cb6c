/* SPDX-License-Identifier: Apache-2.0 */
/* Test helper: builds monitor records (header + packed strings) by hand. */
#ifndef BW_MONITOR_TESTUTIL_H
#define BW_MONITOR_TESTUTIL_H

#include <string.h>

#include "monitor.h"

struct test_rec {
	struct bw_mon_hdr h;
	char data[BW_MON_DATA_MAX];
	size_t len;
};

static inline void test_rec_init(struct test_rec *r, unsigned type, unsigned sys, unsigned pid,
				 unsigned ppid, unsigned long long cgroup_id)
{
	memset(r, 0, sizeof(*r));
	r->h.type = type;
	r->h.sys = sys;
	r->h.pid = r->h.tid = pid;
	r->h.ppid = ppid;
	r->h.ns_pid = pid;
	r->h.ns_ppid = ppid;
	r->h.cgroup_id = cgroup_id;
	r->h.ts_boot_ns = 1;
}

/* Appends string i (len bytes, may hold NULs). */
static inline void test_rec_str(struct test_rec *r, int i, const char *s, size_t len)
{
	r->h.str_off[i] = (unsigned short)r->len;
	r->h.str_len[i] = (unsigned short)len;
	memcpy(r->data + r->len, s, len);
	r->len += len;
}

#endif
