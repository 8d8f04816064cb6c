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

/*
 * A label pair, interned: containers share one copy per distinct pair
 * (a deployment's hundred replicas carry the same few labels).
 */
/* KubeArmor's selector label for a container's name: the inventory gives
 * each named container this label (value: container_name, else name) for
 * matching, and leaves it out of RuleSet.labels. */
#define BW_CONTAINER_NAME_LABEL "kubearmor.io/container.name"

struct inv_label {
	size_t refs;
	bool name_label; /* BW_CONTAINER_NAME_LABEL: matched, never output */
	char *kv;    /* "key=value": the policy set's index key; allocated with this */
	size_t klen; /* the value starts at kv + klen + 1 */
	/* The pair as RuleSet.labels carries it (key and value point into this
	 * allocation too), so a rule set can borrow it: one per distinct pair. */
	Bulwark__V1__KeyValue msg;
};

/*
 * What compiling needs of a container and nothing more: at 100,000
 * containers every byte here is 100 kB.  The strings are shared: id is the
 * containers map's key, ns and labels are interned.
 */
struct inv_container {
	const char *id;
	struct inv_node *node;
	const char *ns;		     /* namespace_name, "default" when empty; interned */
	Bulwark__V1__Container *msg; /* deep copy, only while keep_messages */
	uint64_t cgroup_id;
	uint64_t gen;
	uint32_t n_labels;
	uint32_t id_len; /* strlen(id): in what was padding */
	struct inv_label *labels[];
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
	/* kubearmor-visibility; vis.set false: none given (the agent decides).
	 * Rule sets borrow &vis, so it lives as long as the entry. */
	Bulwark__V1__Visibility vis;
	uint64_t gen;
};

struct bw_inventory {
	struct bw_strmap nodes;	     /* name -> inv_node */
	struct bw_strmap containers; /* id -> inv_container */
	struct bw_strmap postures;   /* namespace ("" = host) -> inv_posture */
	struct bw_strmap ns_pool;    /* interned namespace -> refcount (uintptr_t) */
	struct bw_strmap label_pool; /* "key\x1fvalue" -> inv_label */
	bool drop_messages;	     /* see bw_inventory_keep_messages */
	/* A fresh bw_gen_next() whenever an interned namespace or label is
	 * freed, a namespace gets its own posture entry (entries are never
	 * removed), and at creation: caches keyed by those pointers, which a
	 * later intern may reuse, are valid while it is unchanged. */
	uint64_t intern_epoch;
};

const struct inv_posture *bw_inventory_posture(const struct bw_inventory *inv, const char *ns);

struct pvec {
	struct bw_policy **v;
	size_t n, cap;
	uint64_t gen; /* last change of this list */
};

/* The KubeArmorPolicies of one namespace, indexed by their first label. */
struct ns_bucket {
	struct bw_strmap by_label; /* "key=value" -> pvec */
	struct pvec scan;	   /* no matchLabels: checked for every container */
	uint64_t gen;		   /* last change of any policy here */
	uint64_t dropped_gen;	   /* last removal of a by_label list */
	/* by_label lists keyed by BW_CONTAINER_NAME_LABEL: while there are
	 * none, a container's name label cannot select anything here and is
	 * not looked up (names are often unique: a lookup per container). */
	size_t n_name_lists;
};

/* A container's rule set depends on the lists of its namespace it is
 * checked against (scan, and by_label for each of its labels) and on the
 * removal of any list (dropped_gen): compiler.c takes the maximum of their
 * generations, which only grow. */

struct bw_policy_set {
	struct bw_strmap all; /* "kind/ns/name" -> bw_policy */
	struct bw_strmap ns;  /* namespace -> ns_bucket */
	struct pvec cluster, host;
	uint64_t cluster_gen, host_gen;
	/* Container policies whose selector mentions BW_CONTAINER_NAME_LABEL
	 * (a matchLabels or expression key, a cluster "label" value): while
	 * there are none, containers that differ only in their names compile
	 * alike. */
	size_t n_name_refs;
};

bool bw_match_container(const struct bw_policy *p, const struct inv_container *c);
bool bw_match_node(const struct bw_policy *p, const struct inv_node *n);

/* The rule set of c when no policy selects it (postures and identity only);
 * NULL when out of memory. */
Bulwark__V1__RuleSet *bw_ruleset_bare(const struct bw_inventory *inv,
				      const struct inv_container *c);

/* Parses a kubearmor-visibility value into v (v->set is 1); -EINVAL for an
 * unknown word. */
int bw_visibility_check(const char *s, Bulwark__V1__Visibility *v);

/* The visibility a rule set of namespace ns ("" = host) carries: NULL when
 * none was set. */
const Bulwark__V1__Visibility *bw_inventory_visibility(const struct bw_inventory *inv,
						       const char *ns);

/* fill_bare's rule set for ic (postures pos, visibility vis or NULL) packed
 * into out, byte for byte as protobuf-c packs it; out NULL: only the size.
 * Returns the size. */
size_t bw_pack_bare(const struct inv_posture *pos, const Bulwark__V1__Visibility *vis,
		    const struct inv_container *ic, uint8_t *out);
/* The same less the identity (container_id, cgroup_id): the body, which
 * only depends on the namespace and the label set. */
size_t bw_pack_bare_body(const struct inv_posture *pos, const Bulwark__V1__Visibility *vis,
			 const struct inv_container *ic, uint8_t *out);

/*
 * The node digest (CompiledPolicy.digest) is SHA-256(I || B || H) where
 *   I = SHA-256 over, for each container rule set in cp's order,
 *       varint(length of container_id) || container_id || varint(cgroup_id);
 *   B = SHA-256 over the SHA-256 of each container rule set's body, in the
 *       same order, a body being the packed rule set less fields 1 and 2
 *       (container_id, cgroup_id);
 *   H = the host rule set's SHA-256 (32 zero bytes when there is none).
 * I only changes when the node's containers do, so the compiler keeps it
 * per node; replicas of a workload share their body, and every container
 * no policy selects shares it with its namespace and label set, so a
 * policy change hashes one body per distinct rule set and 32 bytes per
 * container instead of every rule set's bytes.
 */
struct bw_sha256;
/* SHA-256 of a rule set's body (for the host rule set, which has no
 * identity, that is of all its packed bytes). */
int bw_ruleset_digest(const Bulwark__V1__RuleSet *rs, uint8_t out[32]);
/* Feeds a container's identity, as I takes it, to h. */
void bw_digest_identity(struct bw_sha256 *h, const char *id, size_t id_len, uint64_t cgroup_id);
/* SHA-256(ident || bodies || host). */
void bw_digest_combine(const uint8_t ident[32], const uint8_t bodies[32], const uint8_t host[32],
		       uint8_t out[32]);
/* cp->digest from the body digests of cp's containers (in cp's order) and
 * the host's. */
int bw_digest_set(Bulwark__V1__CompiledPolicy *cp, const uint8_t (*ctr)[32], size_t n,
		  const uint8_t host[32]);

#endif
