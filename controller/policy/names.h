/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Name tables the policy language refers to: Linux capabilities, x86_64
 * syscalls, network protocols; and the "did you mean" helper.
 * Internal to bw_policy.
 */
#ifndef BW_POLICY_NAMES_H
#define BW_POLICY_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* "net_raw", "CAP_NET_RAW", "Net_Raw" -> 13; -1 when unknown. */
int bw_cap_number(const char *name);
/* Canonical "CAP_NET_RAW" for a number, NULL when out of range. */
const char *bw_cap_name(unsigned cap);
const char *const *bw_cap_names(size_t *n); /* lower-case, without CAP_ */

/* "execve", "SYS_EXECVE", "sys_execve" -> 59 (x86_64); -1 when unknown. */
int bw_syscall_number(const char *name);
const char *bw_syscall_name(unsigned nr);
const char *const *bw_syscall_names(size_t *n);

struct bw_proto_def {
	const char *name; /* lower case */
	uint32_t family, type, protocol;
};
/* Any case; NULL when unknown. */
const struct bw_proto_def *bw_protocol_lookup(const char *name);
const char *const *bw_protocol_names(size_t *n);

/*
 * The candidate closest to word (case-insensitive edit distance), or NULL
 * when none is close enough to be a plausible typo.
 */
const char *bw_suggest(const char *word, const char *const *cands, size_t n);

#endif
