/* SPDX-License-Identifier: Apache-2.0 */
/* Reading whole files: /proc and /sys attributes, state and policy files. */
#ifndef BW_FILE_H
#define BW_FILE_H

#include <stdio.h>
#include <sys/types.h>

/*
 * Reads at most len - 1 bytes of path (one read(): /proc and /sys
 * attributes) into buf, NUL-terminated.  The number of bytes read, or
 * negative errno.
 */
ssize_t bw_read_small(const char *path, char *buf, size_t len);

/*
 * Reads f to its end into a new NUL-terminated buffer (the caller frees it),
 * its length in *len.  NULL with errno set on failure: EFBIG when f holds
 * more than max bytes.  f stays open (the caller's).
 */
char *bw_read_stream(FILE *f, size_t max, size_t *len);

/* bw_read_stream() of the file at path. */
char *bw_read_file(const char *path, size_t max, size_t *len);

#endif
