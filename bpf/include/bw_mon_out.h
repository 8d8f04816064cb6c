/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The system monitor's output, shared by its BPF objects (monitor.bpf.c,
 * monitor_net.bpf.c): one ring buffer and one set of loss counters.  Each
 * object declares the maps; the loader makes the second object reuse the
 * first one's, so every record lands in one buffer in the order it was made
 * (a connect record never overtakes the exec record of its process).
 */
#ifndef BW_MON_OUT_H
#define BW_MON_OUT_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "monitor.h"

/* Set by the loader before load. */
const volatile __u32 bw_agent_tgid = 0; /* the agent's own syscalls are not reported */
/* Wake the agent only once this much is pending (0: on every record).  Below
 * it the agent drains on a short timer: one wakeup per batch instead of one
 * per record is what keeps an exec storm cheap. */
const volatile __u32 bw_wakeup_bytes = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 << 20); /* the loader may resize */
} bw_mon_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_LOST_MAX);
	__type(key, __u32);
	__type(value, __u64);
} bw_mon_lost SEC(".maps");

static __always_inline void bw_lost(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&bw_mon_lost, &idx);

	if (c)
		*c += 1;
}

static __always_inline int bw_ignored(__u32 tgid)
{
	return bw_agent_tgid && tgid == bw_agent_tgid;
}

/* Copies one finished record into the ring buffer; a full buffer is counted. */
static __always_inline int bw_out(const void *rec, __u64 size)
{
	__u64 flags = 0;

	if (bw_wakeup_bytes)
		flags = bpf_ringbuf_query(&bw_mon_events, BPF_RB_AVAIL_DATA) >= bw_wakeup_bytes
			    ? BPF_RB_FORCE_WAKEUP
			    : BPF_RB_NO_WAKEUP;
	if (bpf_ringbuf_output(&bw_mon_events, (void *)rec, size, flags)) {
		bw_lost(BW_LOST_RINGBUF);
		return -1;
	}
	return 0;
}

#endif
