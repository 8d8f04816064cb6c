/* SPDX-License-Identifier: Apache-2.0 */
/* Internal to the compiler: inventory and policy-set layouts. */
#ifndef BW_COMPILE_INT_H
#define BW_COMPILE_INT_H

#include "policy_int.h"
#include "strmap.h"

/*
 * Generations come from one process-wide counter, so "this cached result
 * saw generation g of X" stays meaningful even when X is deleted and
 * re-created.
 */
uint64_t bw_gen_next(void);

struct inv_container {
	char *id;
	char *node;
	char *ns; /* namespace_name, "default" when empty */
	struct bw_kv *labels;
	size_t n_labels;
	Bulwark__V1__Container *msg; /* deep copy */
	uint64_t gen;
};

struct inv_node {
	char *name;
	struct bw_kv *labels; /* includes kubearmor.io/hostname */
	size_t n_labels;
	struct inv_container **ctrs;
	size_t n_ctrs, cap_ctrs;
	uint64_t gen; /* node labels */
};

struct inv_posture {
	int file, network, capabilities; /* BULWARK__V1__POSTURE__* */
	uint64_t gen;
};

struct bw_inventory {
	struct bw_strmap nodes;	     /* name -> inv_node */
	struct bw_strmap containers; /* id -> inv_container */
	struct bw_strmap postures;   /* namespace ("" = host) -> inv_posture */
};

const struct inv_posture *bw_inventory_posture(const struct bw_inventory *inv, const char *ns);

struct pvec {
	struct bw_policy **v;
	size_t n, cap;
};

/* The KubeArmorPolicies of one namespace, indexed by their first label. */
struct ns_bucket {
	struct bw_strmap by_label; /* "key=value" -> pvec */
	struct pvec scan;	   /* no matchLabels: checked for every container */
	uint64_t gen;		   /* last change of any policy here */
};

struct bw_policy_set {
	struct bw_strmap all; /* "kind/ns/name" -> bw_policy */
	struct bw_strmap ns;  /* namespace -> ns_bucket */
	struct pvec cluster, host;
	uint64_t cluster_gen, host_gen;
};

bool bw_match_container(const struct bw_policy *p, const struct inv_container *c);
bool bw_match_node(const struct bw_policy *p, const struct inv_node *n);

/* SHA-256 of a rule set's packed bytes. */
int bw_ruleset_digest(const Bulwark__V1__RuleSet *rs, uint8_t out[32]);
/* cp->digest = SHA-256 of the container digests (in cp's order) then the
 * host's: a node digest costs 32 bytes per container, not a repack. */
int bw_digest_set(Bulwark__V1__CompiledPolicy *cp, const uint8_t (*ctr)[32], size_t n,
		  const uint8_t host[32]);

#endif
