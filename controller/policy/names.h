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

/* Capabilities: bw_cap_number, bw_cap_name, bw_cap_names (common/bw_caps.h). */
#include "bw_caps.h"

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
