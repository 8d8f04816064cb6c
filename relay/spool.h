/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The relay's disk spool: an ordered, bounded, crash-safe queue of opaque
 * records (packed EventBatch messages) kept while Redis cannot take them.
 *
 * Records are appended to segment files "<16 hex digits>.spool" in one
 * directory; each record is a 24-byte header (magic, length, CRC-32C, append
 * time) and its payload.  bw_spool_sync() makes every record appended so far
 * durable (fdatasync of the segment, fsync of the directory after a new
 * segment), so the relay acknowledges spooled events only after it.
 *
 * Readers walk the spool with their own cursor (struct bw_spool_pos) and
 * bw_spool_release() drops everything before a position once Redis has
 * accepted it: whole segments are unlinked and the head is remembered in the
 * file "head" (not synced: losing it only replays records, and events carry
 * unique ids).  A record torn by a crash is never acknowledged; it is cut off
 * when the spool is opened again.
 *
 * Single-threaded: the relay's event loop owns the spool.
 */
#ifndef BW_SPOOL_H
#define BW_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct bw_spool;

struct bw_spool_pos {
	uint64_t seg; /* segment id */
	uint64_t off; /* byte offset of a record inside that segment */
};

struct bw_spool_stats {
	uint64_t pending_bytes; /* appended, not yet released (headers included) */
	uint64_t segments;	/* files on disk */
	uint64_t appended;	/* records appended since open */
	uint64_t refused;	/* appends refused because the spool was full */
	uint64_t corrupt;	/* records skipped because their CRC or header was bad */
	uint64_t recovered;	/* records found pending when the spool was opened */
	uint64_t oldest_ns;	/* CLOCK_REALTIME of the oldest pending record, 0: none */
};

#define BW_SPOOL_HDR 24u

/*
 * Opens (creating it if needed) the spool in dir.  max_bytes bounds the
 * pending bytes, segment_bytes the size of one file.  *out is written only
 * on success; err gets a message naming the path on failure.
 */
int bw_spool_open(struct bw_spool **out, const char *dir, uint64_t max_bytes,
		  uint64_t segment_bytes, char *err, size_t errlen);
/* Closes files; what is on disk stays.  Accepts NULL. */
void bw_spool_close(struct bw_spool *s);

/*
 * Appends one record (not yet durable: call bw_spool_sync).  Returns 0,
 * -ENOSPC when it would exceed max_bytes, -EMSGSIZE for a record larger
 * than a segment, or another negative errno on an I/O error.
 */
int bw_spool_append(struct bw_spool *s, const void *data, size_t len);
/* Makes every appended record durable.  0 or negative errno. */
int bw_spool_sync(struct bw_spool *s);

/* Position of the oldest pending record. */
struct bw_spool_pos bw_spool_head(const struct bw_spool *s);
/* 1 when nothing is pending. */
int bw_spool_empty(const struct bw_spool *s);

/*
 * Reads the record at *cur and advances *cur past it.  *data is malloc'd
 * and becomes the caller's; *ts_ns is the append time (may be NULL).
 * Returns 0, -ENOENT at the end of the spool, or negative errno.  A corrupt
 * record makes the reader skip the rest of its segment (counted).
 */
int bw_spool_read(struct bw_spool *s, struct bw_spool_pos *cur, void **data, size_t *len,
		  uint64_t *ts_ns);

/*
 * Everything before pos has been delivered: drops it.  pos must be a
 * position a reader reached (a cursor value).  Returns 0 or negative errno.
 */
int bw_spool_release(struct bw_spool *s, struct bw_spool_pos pos);

void bw_spool_get_stats(const struct bw_spool *s, struct bw_spool_stats *st);

#endif
