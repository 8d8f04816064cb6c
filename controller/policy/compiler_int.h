/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to bw_policy: the incremental compiler's cache (compiler.c) as
 * its packed output (compiler_out.c) reads it.
 */
#ifndef BW_COMPILER_INT_H
#define BW_COMPILER_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "compile_int.h"

struct centry {
	const struct inv_container *ic; /* valid during a call only */
	uint64_t ctr_gen;		/* the inventory container's generation: its identity */
	uint64_t dep_gen;		/* max generation of what its rule set depends on */
	/* The packed RuleSet's length (32 bits, host order), the SHA-256 of
	 * its body (bw_ruleset_digest) and its bytes; NULL: equal to
	 * bw_ruleset_bare's, whose bytes and digest are rebuilt when needed
	 * (32 bytes less per container here). */
	uint8_t *pk;
};

#define PK_HDR (sizeof(uint32_t) + 32)

static inline uint32_t pk_len(const uint8_t *pk)
{
	uint32_t len;

	memcpy(&len, pk, sizeof(len));
	return len;
}

static inline const uint8_t *pk_digest(const uint8_t *pk)
{
	return pk + sizeof(uint32_t);
}

static inline const uint8_t *pk_bytes(const uint8_t *pk)
{
	return pk + PK_HDR;
}

struct cnode {
	struct centry *ents; /* sorted by ctr_gen */
	size_t n;
	uint32_t *order; /* ents indices by container id; NULL: to sort */
	uint8_t ident[32]; /* the node digest's I, valid with order */
	uint32_t *slot;	 /* ents index of the inventory's ctrs[i]; NULL: search */
	Bulwark__V1__RuleSet *host;
	uint8_t host_digest[32];
	uint64_t host_dep;
	bool changed; /* since the shell was built */
};

/*
 * A container's rule set past its identity (fields 3 to 13 packed) depends
 * only on its namespace and labels (bw_match_container, bw_ruleset_bare)
 * besides the policy set and the namespace's posture, which a call does not
 * change: the replicas of a workload share it.  So the bytes compiled for
 * one container are reused for the next one with the same (interned)
 * namespace and label pointers, on any node, its id and cgroup_id put in
 * front, while what it depends on is unchanged: the same dependency
 * generation (dep_of, which grows with any relevant change), inventory
 * and intern epoch (the pointers were not reused), and name mode.
 */
#define RS_MEMO 8

struct rs_memo {
	const char *ns; /* NULL: empty */
	const struct bw_inventory *inv;
	const struct bw_policy_set *set;
	uint64_t epoch, dep;
	bool by_name;		   /* compiled while a policy looked at names */
	struct inv_label **labels; /* a copy */
	uint32_t n_labels, cap_labels;
	bool bare;
	uint8_t *rest; /* fields 3.. of the packed RuleSet (NULL when bare) */
	size_t rest_len;
	uint8_t digest[32]; /* SHA-256 of rest */
};

/*
 * The bodies of bare rule sets (bw_pack_bare_body) by namespace and label
 * set (the name label aside, which bodies leave out): a node's hundred
 * containers have a handful of distinct ones, and so has a cluster's
 * fan-out, so each is packed and hashed once, not once per container.
 * Four-way set-associative (two workloads whose keys collide must not evict
 * each other on every container), kept across calls: an entry holds while
 * the namespace's
 * posture (and visibility) generation and the inventory's intern epoch
 * (its pointers cannot have been reused) are the ones it was built with.
 */
#define BARE_MEMO 256
#define BARE_WAYS 4

struct bare_memo {
	const char *ns; /* NULL: empty */
	const struct bw_inventory *inv;
	const struct inv_posture *pos; /* the namespace's, stable within an epoch */
	uint64_t epoch, posture_gen;
	struct inv_label **labels; /* a copy: the non-name labels */
	uint32_t n_labels, cap_labels;
	uint8_t *body;
	size_t len, cap;
	uint8_t digest[32];
};

struct bw_compiler {
	struct bw_strmap nodes; /* name -> cnode */
	struct rs_memo memo[RS_MEMO];
	unsigned n_memo, memo_next;
	struct bare_memo bare_memo[BARE_MEMO];
	uint8_t bare_victim[BARE_MEMO / BARE_WAYS];
	uint64_t reused, compiled;
	/* The latest output; its bare rule sets (one array, their strings
	 * borrowed from the inventory) belong to it, the others to the cache. */
	Bulwark__V1__CompiledPolicy *shell;
	struct cnode *shell_node;
	Bulwark__V1__RuleSet *bare;
	/* RuleSet.labels of the bare rule sets: one array for all of them,
	 * pointing at the inventory's interned pairs. */
	Bulwark__V1__KeyValue **bare_labels;
	/* The shell's unpacked copies of the cached rule sets. */
	Bulwark__V1__RuleSet **unpacked;
	size_t n_unpacked;
	/* bw_compiler_node_packed's output. */
	uint8_t *out;
	size_t out_len, out_cap, out_name_len;
};

/* Brings the node's cache in line with inv; *out
 * is its entry, *out_n the inventory's node. */
int bw_compiler_prepare(struct bw_compiler *c, const struct bw_policy_set *s,
			const struct bw_inventory *inv, const char *node, struct cnode **out,
			const struct inv_node **out_n);
/* The bare rule set body of ic (as bw_pack_bare_body) and its SHA-256,
 * memoised (see struct bare_memo); NULL when out of memory.  Valid until
 * the next call of this. */
const struct bare_memo *bw_compiler_bare_body(struct bw_compiler *c,
					      const struct bw_inventory *inv,
					      const struct inv_container *ic);
/* Where a packed rule set's body starts (past fields 1 and 2); len when
 * the bytes are malformed. */
size_t bw_ruleset_body_offset(const uint8_t *packed, size_t len);
/* cn->order: entries sorted by container id (kept until they change). */
int bw_compiler_sort_order(struct cnode *cn);

#endif
