/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks, timestamps and identifiers. */
#ifndef BW_TIME_H
#define BW_TIME_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in ns: durations and timeouts. */
uint64_t bw_mono_ns(void);
/* CLOCK_REALTIME in ns: timestamps shown to people. */
uint64_t bw_real_ns(void);
/* CLOCK_BOOTTIME in ns: what bpf_ktime_get_boot_ns() returns. */
uint64_t bw_boot_ns(void);

/* "2026-11-28T23:10:00.123456Z" (KubeArmor's UpdatedTime); buf >= 32 bytes. */
void bw_format_rfc3339(uint64_t real_ns, char *buf, size_t len);

/* 64 random bits from getrandom(); never 0. */
uint64_t bw_random_u64(void);

#endif
