/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The system monitor's loader: loads bpf/monitor.bpf.c and
 * bpf/monitor_net.bpf.c, attaches their program groups (process always; file,
 * network, capabilities as the visibility asks; setuid/setgid and failed
 * execs when the operator opts in), and delivers each ring-buffer record on
 * the daemon's libevent loop.
 *
 * What a group costs (bpf/monitor.h): file, setuid/setgid and failed execs
 * need syscall tracepoints, and while one is attached every syscall of every
 * task on the node takes the kernel's slow path.  Process (sched raw
 * tracepoints), network (cgroup v2 hooks + sock:inet_sock_set_state) and
 * capabilities cost only when their event happens.
 */
#ifndef BW_MONITOR_LOADER_H
#define BW_MONITOR_LOADER_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "../bpf/monitor.h" /* record layout shared with the kernel side */

/*
 * One record.  h and data point into the ring buffer and are valid during
 * the callback only.  The monitor has checked that every string of h lies
 * inside data (bw_mon_str below is safe to call).
 */
typedef void (*bw_monitor_record_fn)(void *arg, const struct bw_mon_hdr *h, const char *data,
				     size_t data_len);

struct bw_monitor_opts {
	struct event_base *base; /* records are delivered on this loop */
	bw_monitor_record_fn on_record;
	void *arg;
	unsigned groups; /* BW_MON_G_*; BW_MON_G_PROCESS is always added */
	/* BW_MON_G_SETID and/or BW_MON_G_EXECFAIL: attached whatever groups
	 * set_groups is given later (operator opt-ins, see above) */
	unsigned optin_groups;
	/* the cgroup v2 mount the network hooks attach to; NULL: the first
	 * cgroup2 entry of /proc/self/mountinfo (no cgroup v2: no network group) */
	const char *cgroup2;
	uint32_t ringbuf_bytes; /* power of two >= 4096; 0: 4 MiB */
	int report_self;	/* 1: also report the agent's own syscalls (tests) */
	/*
	 * Batching: the kernel wakes the loop only when this many bytes are
	 * pending, and the loop drains every drain_ms otherwise.  0/0: defaults
	 * (64 KiB, 50 ms); drain_ms < 0: wake up on every record (lowest latency).
	 */
	uint32_t wakeup_bytes;
	int drain_ms;
};

struct bw_monitor;

/*
 * Mounts tracefs (/sys/kernel/tracing) and securityfs (/sys/kernel/security)
 * when they are missing; the monitor needs the first, enforcers the second.
 * Returns 0, or a negative errno when a mount was needed and failed.
 */
int bw_monitor_prepare_fs(char *err, size_t errlen);

/* Loads and attaches.  *out only on success; err says what failed. */
int bw_monitor_new(struct bw_monitor **out, const struct bw_monitor_opts *opts, char *err,
		   size_t errlen);
/* Accepts NULL.  Detaches everything. */
void bw_monitor_free(struct bw_monitor *m);

/*
 * Attaches the groups in mask (plus the opt-ins) that are not attached and
 * detaches the others, so programs nobody wants cost nothing.  Returns 0 or negative errno (then
 * the groups attached before stay attached).
 */
int bw_monitor_set_groups(struct bw_monitor *m, unsigned groups);
unsigned bw_monitor_groups(const struct bw_monitor *m);

/*
 * pause 1 detaches every program (nothing is traced, nothing costs) and 0
 * attaches the current groups again.  What happens meanwhile is not seen:
 * the process tree then falls back to /proc for processes it missed.
 */
int bw_monitor_pause(struct bw_monitor *m, int pause);
/* Groups that can run here (tracepoints exist; network: cgroup v2 and its hooks loaded). */
unsigned bw_monitor_available(const struct bw_monitor *m);

/* Delivers what the ring buffer holds now; returns records delivered or negative errno. */
int bw_monitor_drain(struct bw_monitor *m);

struct bw_monitor_stats {
	uint64_t records;      /* delivered to on_record */
	uint64_t malformed;    /* dropped: inconsistent size or string bounds */
	uint64_t lost_ringbuf; /* the kernel found the ring buffer full */
	uint64_t lost_pending; /* syscall arguments could not be remembered */
};
/* Reads the kernel's per-CPU loss counters and sums them. */
void bw_monitor_stats(struct bw_monitor *m, struct bw_monitor_stats *out);

/* String i of a checked record (length in *len), NULL when absent. */
static inline const char *bw_mon_str(const struct bw_mon_hdr *h, const char *data, int i,
				     size_t *len)
{
	if (i < 0 || i >= BW_MON_NSTR || !h->str_len[i]) {
		*len = 0;
		return NULL;
	}
	*len = h->str_len[i];
	return data + h->str_off[i];
}

#endif
