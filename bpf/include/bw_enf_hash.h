/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The path hash shared by the BPF enforcer and the agent's map translation.
 * FNV-1a 64 is a streaming hash, so while the kernel walks a path from the
 * root down it gets the hash of every directory prefix for free: "/" is the
 * empty string (the offset basis), "/etc" continues with "/etc", "/etc/passwd"
 * continues with "/passwd".  Both sides must produce the same numbers, so
 * this file is plain C usable from BPF and from userspace.
 */
#ifndef BW_ENF_HASH_H
#define BW_ENF_HASH_H

#define BW_FNV_BASIS 0xcbf29ce484222325ULL
#define BW_FNV_PRIME 0x100000001b3ULL

static inline __attribute__((always_inline)) unsigned long long bw_fnv_byte(unsigned long long h,
									    unsigned char c)
{
	return (h ^ c) * BW_FNV_PRIME;
}

/* Key for a network rule or socket: 0 in a field means "any" in rules. */
static inline __attribute__((always_inline)) unsigned long long
bw_enf_net_hash(unsigned int family, unsigned int type, unsigned int protocol)
{
	return ((unsigned long long)(family & 0xffff) << 32) | ((type & 0xff) << 16) |
	       (protocol & 0xffff);
}

#endif
