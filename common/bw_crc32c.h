/* SPDX-License-Identifier: Apache-2.0 */
/* CRC-32C (Castagnoli), the checksum of the controller's WAL and the relay's spool. */
#ifndef BW_CRC32C_H
#define BW_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/*
 * crc extended over len bytes of buf (start with 0); chaining calls over
 * consecutive pieces gives the CRC of the whole.  SSE 4.2's crc32
 * instruction computes it 8 bytes at a time where the CPU has it, a table
 * elsewhere.  Thread-safe.
 */
uint32_t bw_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
