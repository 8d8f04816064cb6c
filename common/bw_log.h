/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Logging: one logfmt line per record on stderr,
 *   ts=2026-11-28T23:10:00.123Z level=info comp=agent msg="..." key=value
 *
 * BW_LOG checks the level before evaluating its arguments, so a disabled
 * debug line costs one comparison (as Redis's serverLog does).
 */
#ifndef BW_LOG_H
#define BW_LOG_H

#include <stdarg.h>

enum bw_log_level {
	BW_LOG_DEBUG = 0,
	BW_LOG_INFO = 1,
	BW_LOG_WARN = 2,
	BW_LOG_ERROR = 3,
};

extern int bw_log_level;

/* The component name printed as comp=; the string must outlive the program. */
void bw_log_set_component(const char *comp);
/* Returns 0, or -EINVAL when name is not debug|info|warn|error. */
int bw_log_set_level_name(const char *name);
const char *bw_log_level_name(int level);

/*
 * fmt is the message; any "key=value" pairs may follow the message after
 * the separator " | ", e.g. bw_log(BW_LOG_INFO, "listening | addr=%s", a).
 */
void bw_log_write(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define BW_LOG(level, ...)                                                                         \
	do {                                                                                       \
		if ((level) >= bw_log_level)                                                       \
			bw_log_write((level), __VA_ARGS__);                                        \
	} while (0)

#define bw_debug(...) BW_LOG(BW_LOG_DEBUG, __VA_ARGS__)
#define bw_info(...) BW_LOG(BW_LOG_INFO, __VA_ARGS__)
#define bw_warn(...) BW_LOG(BW_LOG_WARN, __VA_ARGS__)
#define bw_error(...) BW_LOG(BW_LOG_ERROR, __VA_ARGS__)

#endif
