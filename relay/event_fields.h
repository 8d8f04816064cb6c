/* SPDX-License-Identifier: Apache-2.0 */
/*
 * One event as a Redis Stream entry: flat fields named as KubeArmor names
 * them (Timestamp, UpdatedTime, ClusterName, ..., ExecEvent) plus EventId
 * "node:boot:seq", so consumers read alerts with plain XREAD and drop
 * duplicates by EventId.  Empty string fields are left out; numeric fields
 * are always present.
 */
#ifndef BW_EVENT_FIELDS_H
#define BW_EVENT_FIELDS_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark.pb-c.h"

/* Field names in KubeArmor's order, EventId last; NULL-terminated. */
extern const char *const bw_event_field_names[];
/* Fields that hold numbers (rendered without quotes by bulwarkctl --json). */
int bw_event_field_is_number(const char *name);

#define BW_XADD_MAX_ARGS (8 + 2 * 40)

/*
 * The argv of one XADD.  Strings point into the event and into this
 * struct's buffers, so both must outlive the redis call that copies them
 * (hiredis formats the command at once, so a stack struct is fine).
 */
struct bw_xadd {
	int argc;
	const char *argv[BW_XADD_MAX_ARGS];
	size_t argvlen[BW_XADD_MAX_ARGS];
	char nums[8][24];
	char maxlen[24];
	char id[320];
	char *atags; /* malloc'd join of ATags, freed by bw_xadd_release */
};

/*
 * Builds "XADD key [MAXLEN ~ maxlen] * field value ..." for ev with the id
 * node:boot:seq.  maxlen 0 leaves the stream unbounded.  Returns 0 or
 * -ENOMEM.  Call bw_xadd_release afterwards.
 */
int bw_xadd_build(struct bw_xadd *x, const char *key, long long maxlen,
		  const Bulwark__V1__Event *ev, const char *node, uint64_t boot, uint64_t seq);
void bw_xadd_release(struct bw_xadd *x);

/*
 * Encodes the command as RESP ("*N\r\n$len\r\narg\r\n...") into buf.
 * Returns the length it needs; when that exceeds cap nothing useful was
 * written and the caller retries with a larger buffer.  Cheaper than
 * hiredis's printf-based formatting on the relay's hot path.
 */
size_t bw_xadd_resp(const struct bw_xadd *x, char *buf, size_t cap);

/*
 * The stream an event goes to: alerts_key for EVENT_ALERT, logs_key for the
 * rest; with per_namespace, ":<namespace>" is appended when the event has
 * one.  Writes into buf (truncated names are refused with -ENAMETOOLONG).
 */
int bw_event_stream_key(const Bulwark__V1__Event *ev, const char *alerts_key, const char *logs_key,
			int per_namespace, char *buf, size_t len);

#endif
