/* SPDX-License-Identifier: Apache-2.0 */
#include "bw_log.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int bw_log_level = BW_LOG_INFO;
static const char *log_component = "bulwark";

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void bw_log_set_component(const char *comp)
{
	log_component = comp;
}

int bw_log_set_level_name(const char *name)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			bw_log_level = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *bw_log_level_name(int level)
{
	if (level < 0 || level > 3)
		return "unknown";
	return level_names[level];
}

/* Quote a message for logfmt: escape quotes, backslashes and control bytes. */
static size_t quote_into(char *dst, size_t cap, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 4 < cap; i++) {
		unsigned char c = (unsigned char)src[i];

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c == '\n') {
			dst[o++] = '\\';
			dst[o++] = 'n';
		} else if (c < 0x20) {
			dst[o++] = ' ';
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
	return o;
}

void bw_log_write(int level, const char *fmt, ...)
{
	char body[2048], quoted[4200], ts[32];
	struct timespec now;
	struct tm tm;
	const char *kv;
	va_list ap;
	size_t msg_len;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	kv = strstr(body, " | ");
	msg_len = kv ? (size_t)(kv - body) : strlen(body);
	quote_into(quoted, sizeof(quoted), body, msg_len);

	/* One fprintf per line so concurrent writers do not interleave. */
	fprintf(stderr, "ts=%s.%03ldZ level=%s comp=%s msg=\"%s\"%s%s\n", ts,
		now.tv_nsec / 1000000, bw_log_level_name(level), log_component, quoted,
		kv ? " " : "", kv ? kv + 3 : "");
}
