/* SPDX-License-Identifier: Apache-2.0 */
/*
 * SHA-256 (FIPS 180-4), self-contained so the digest of a compiled policy
 * needs no crypto library.  Used for change detection, not for secrets.
 */
#ifndef BW_SHA256_H
#define BW_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct bw_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed so far */
	uint8_t buf[64];
	size_t fill;
};

void bw_sha256_init(struct bw_sha256 *c);
void bw_sha256_update(struct bw_sha256 *c, const void *data, size_t len);
void bw_sha256_final(struct bw_sha256 *c, uint8_t out[32]);

/*
 * Whether the x86 SHA extensions are used (when the CPU has them).  use: 1
 * or 0 to choose (tests cover both paths), -1 to ask.  Returns the choice.
 */
int bw_sha256_accelerated(int use);

#endif
