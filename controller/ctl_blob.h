/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Interned byte strings with reference counts.  The controller keeps the
 * part of each agent-reported container that replicas share (image,
 * namespace, labels, runtime ...) once per distinct value: at 100,000
 * containers that is most of their memory.
 *
 * A blob is immutable and owned by the pool; each ctl_blob_get takes a
 * reference that ctl_blob_put gives back (the last one frees it).
 */
#ifndef BW_CTL_BLOB_H
#define BW_CTL_BLOB_H

#include <stddef.h>
#include <stdint.h>

struct ctl_blob {
	uint32_t refs, len, hash;
	uint8_t data[];
};

struct ctl_blobs;

int ctl_blobs_new(struct ctl_blobs **out);
/* Frees the pool and every blob still in it.  Accepts NULL. */
void ctl_blobs_free(struct ctl_blobs *p);
/* The pool's blob equal to data[0..len), with a reference taken (added
 * when new); NULL when out of memory or len does not fit 32 bits. */
struct ctl_blob *ctl_blob_get(struct ctl_blobs *p, const void *data, size_t len);
/* Gives back a reference.  Accepts NULL. */
void ctl_blob_put(struct ctl_blobs *p, struct ctl_blob *b);
/* Distinct blobs held. */
size_t ctl_blobs_count(const struct ctl_blobs *p);

#endif
