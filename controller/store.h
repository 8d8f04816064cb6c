/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's durable log: a write-ahead log of transactions plus a
 * snapshot, both under one data directory.
 *
 *   DIR/snapshot   the whole state at some point (records as below)
 *   DIR/wal        transactions since that snapshot
 *
 * A record is [u32 payload length][u32 CRC-32C of payload][payload], the
 * payload a run of operations [u8 type][u32 key len][u32 value len][key]
 * [value].  One record is one transaction: replay applies all of its
 * operations or none.  Operations are absolute (put key=value, delete key),
 * so replaying a WAL over the snapshot it produced gives the same state;
 * that makes a crash between "snapshot renamed" and "WAL truncated" safe.
 *
 * Durability: bw_store_commit(..., BW_STORE_SYNC) returns after fdatasync,
 * so whatever the caller acknowledges afterwards survives kill -9 and power
 * loss.  BW_STORE_LAZY appends now and leaves the fdatasync to the next
 * bw_store_flush (the controller runs one on a short timer) - for soft state
 * such as agent-reported containers that agents resend after a reconnect.
 *
 * At open a record cut short or failing its CRC at the tail of the WAL (a
 * torn write) is dropped with a warning and the file truncated there; the
 * same damage before the tail is reported as corruption (-EBADMSG).
 *
 * The store keeps no copy of the state: the owner replays records into its
 * own structures at open and writes them all back through bw_store_rewrite
 * when the WAL has grown past the threshold (as Redis rewrites its AOF).
 * Single-threaded; not for concurrent use.
 */
#ifndef BW_STORE_H
#define BW_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "bw_crc32c.h" /* the records' checksum */

struct bw_store;
struct bw_store_txn;

enum bw_store_sync {
	BW_STORE_SYNC = 0,
	BW_STORE_LAZY = 1,
};

/* Called for each operation at open, in order; value is NULL for deletes. */
typedef int (*bw_store_replay_fn)(void *arg, char type, const char *key, const void *value,
				  size_t vlen);

/*
 * Opens (creating) dir and replays snapshot then WAL through fn.  An error
 * from fn stops the open and is returned.  *out is written only on success.
 */
int bw_store_open(struct bw_store **out, const char *dir, bw_store_replay_fn fn, void *arg);
/* Flushes lazily committed records, then closes.  Accepts NULL. */
void bw_store_close(struct bw_store *s);

/* A transaction under construction; the store copies keys and values. */
int bw_store_txn_new(struct bw_store_txn **out);
void bw_store_txn_free(struct bw_store_txn *t);
/* type is a letter the owner defines; value NULL with vlen 0 is a delete. */
int bw_store_txn_put(struct bw_store_txn *t, char type, const char *key, const void *value,
		     size_t vlen);
int bw_store_txn_del(struct bw_store_txn *t, char type, const char *key);
size_t bw_store_txn_ops(const struct bw_store_txn *t);

/* Appends t as one record.  t stays the caller's.  Empty transactions are no-ops. */
int bw_store_commit(struct bw_store *s, const struct bw_store_txn *t, enum bw_store_sync sync);
/* fdatasync if lazily committed records are pending. */
int bw_store_flush(struct bw_store *s);

/* Bytes in the WAL now; the owner compares with its threshold. */
uint64_t bw_store_wal_bytes(const struct bw_store *s);

/*
 * Rewrites the snapshot: dump(arg, txn) must put every live key into txn;
 * the result replaces the snapshot (write, fsync, rename, fsync dir) and the
 * WAL is emptied.
 */
int bw_store_rewrite(struct bw_store *s, int (*dump)(void *arg, struct bw_store_txn *t), void *arg);

/* Counters for /metrics. */
struct bw_store_stats {
	uint64_t commits, syncs, rewrites, torn_records_dropped;
};
void bw_store_get_stats(const struct bw_store *s, struct bw_store_stats *st);

#endif
