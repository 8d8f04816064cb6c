/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_time.h"

#include <stdio.h>
#include <sys/random.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bw_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t bw_real_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

uint64_t bw_boot_ns(void)
{
	return clock_ns(CLOCK_BOOTTIME);
}

void bw_format_rfc3339(uint64_t real_ns, char *buf, size_t len)
{
	time_t sec = (time_t)(real_ns / 1000000000ull);
	struct tm tm;
	char base[24];

	gmtime_r(&sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%06lluZ", base, (unsigned long long)(real_ns % 1000000000ull) / 1000);
}

uint64_t bw_random_u64(void)
{
	uint64_t v = 0;

	while (v == 0) {
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			v = bw_mono_ns() ^ ((uint64_t)clock() << 32);
	}
	return v;
}
