/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw_policy: KubeArmor policies (security.kubearmor.com/v1: KubeArmorPolicy,
 * KubeArmorClusterPolicy, KubeArmorHostPolicy) parsed with libyaml,
 * validated, and compiled per node into bulwark.v1.CompiledPolicy.
 *
 * Linked by the controller and by bulwarkctl.  Conventions: constructors
 * write *out only on success; functions return 0 or a negative errno;
 * destroy functions accept NULL.  Ownership is stated on each function.
 *
 * (Contract between the policy library and the controller: extend freely,
 * do not change the meaning of what is here.)
 */
#ifndef BW_POLICY_H
#define BW_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "bulwark.pb-c.h"

/* ---- diagnostics --------------------------------------------------------- */

struct bw_diag {
	char *file;    /* as given to the parser */
	unsigned line; /* 1-based; 0 when unknown */
	unsigned col;  /* 1-based; 0 when unknown */
	char *message; /* e.g. "matchDirectories[0].dir must end with '/'" */
};

struct bw_diags;

int bw_diags_new(struct bw_diags **out);
void bw_diags_free(struct bw_diags *d);
size_t bw_diags_count(const struct bw_diags *d);
const struct bw_diag *bw_diags_get(const struct bw_diags *d, size_t i);
/* "file:line:col: message", one per line, into a new string the caller frees. */
char *bw_diags_format(const struct bw_diags *d);

/* ---- policies ------------------------------------------------------------ */

enum bw_policy_kind {
	BW_KIND_POLICY = 1,	    /* KubeArmorPolicy (namespaced) */
	BW_KIND_CLUSTER_POLICY = 2, /* KubeArmorClusterPolicy */
	BW_KIND_HOST_POLICY = 3,    /* KubeArmorHostPolicy */
};

struct bw_policy; /* one validated document, immutable once parsed */

/*
 * Parses every document of a YAML (or JSON) buffer.  All errors of all
 * documents go to diags (file:line:col).  Returns 0 and an array of *n_out
 * policies when every document is valid; else -EINVAL and nothing in *out.
 * The array and each policy belong to the caller (bw_policy_free each, then
 * free the array).
 */
int bw_policy_parse(const char *buf, size_t len, const char *filename, struct bw_policy ***out,
		    size_t *n_out, struct bw_diags *diags);

void bw_policy_free(struct bw_policy *p);

enum bw_policy_kind bw_policy_kind(const struct bw_policy *p);
const char *bw_policy_kind_name(enum bw_policy_kind k); /* "KubeArmorPolicy", ... */
/* Accepts "KubeArmorPolicy", "kubearmorpolicy", "policy", "ksp" etc.; 0 if unknown. */
enum bw_policy_kind bw_policy_kind_parse(const char *s);
const char *bw_policy_name(const struct bw_policy *p);
/* Namespace of a KubeArmorPolicy ("default" when omitted); "" for the other kinds. */
const char *bw_policy_namespace(const struct bw_policy *p);

/*
 * The policy as canonical JSON (the original document, normalised), the
 * form the controller stores and the admin API returns.  New string, caller
 * frees.  bw_policy_parse of this text gives an equal policy.
 */
char *bw_policy_to_json(const struct bw_policy *p);

/* ---- inventory: what the compiler compiles against ------------------------ */

struct bw_inventory;

int bw_inventory_new(struct bw_inventory **out);
void bw_inventory_free(struct bw_inventory *inv);

/* Node name and labels (labels "k=v,k=v" or NULL).  Copies. */
int bw_inventory_set_node(struct bw_inventory *inv, const char *node, const char *labels);
int bw_inventory_remove_node(struct bw_inventory *inv, const char *node);

/* A container on a node; the message is copied.  Replaces one with the same id. */
int bw_inventory_set_container(struct bw_inventory *inv, const char *node,
			       const Bulwark__V1__Container *c);
int bw_inventory_remove_container(struct bw_inventory *inv, const char *container_id);

/*
 * Namespace default postures ("audit" or "block"; NULL keeps the default,
 * which is "block").  Mirrors the kubearmor-*-posture annotations.
 */
int bw_inventory_set_posture(struct bw_inventory *inv, const char *ns, const char *file,
			     const char *network, const char *capabilities);

/*
 * Namespace visibility (ns "" or NULL: the host), as the kubearmor-visibility
 * annotation: "process,file,network,capabilities" (any subset, any order,
 * blanks around words ignored) or "none".  vis NULL forgets the setting.
 * Rule sets of the namespace (or the host's) then carry it in
 * RuleSet.visibility; without a setting that field is absent and the agent's
 * own configuration applies.  Returns 0 or -EINVAL (unknown word).
 */
int bw_inventory_set_visibility(struct bw_inventory *inv, const char *ns, const char *vis);
/*
 * The canonical form of a visibility value ("process,file,network,
 * capabilities" order, "none" when empty) into out (48 bytes suffice).
 * Returns 0 or -EINVAL (unknown word; out untouched).
 */
int bw_visibility_canon(const char *vis, char *out, size_t len);

/*
 * Loads an inventory from YAML (for `bulwarkctl compile --inventory`), adding
 * to what inv holds.  Errors go to diags (file:line:col); returns 0 or
 * -EINVAL (what was valid is kept).  Format (every key optional unless
 * marked; example: tests/policies/inventory.yaml):
 *
 *   nodes:                          # nodes named by containers are added too
 *     - name: node-1                # required
 *       labels: {role: web}         # kubearmor.io/hostname=<name> is implied
 *   containers:
 *     - id: c1                      # required, unique
 *       node: node-1                # required
 *       name: nginx
 *       namespace: default          # "default" when omitted
 *       labels: {app: nginx}
 *       image: nginx:1.25
 *       pod: nginx-7d4f
 *       cgroupId: 1234
 *   namespaces:                     # postures, as the namespace annotations
 *     - name: default               # required
 *       annotations:                # other annotations are ignored
 *         kubearmor-file-posture: audit          # audit | block
 *         kubearmor-network-posture: block
 *         kubearmor-capabilities-posture: block
 *         kubearmor-visibility: process,file    # or none; absent: agent's
 *   host:                           # the nodes' own postures (default audit)
 *     annotations: {kubearmor-file-posture: block}
 */
int bw_inventory_load_yaml(struct bw_inventory *inv, const char *buf, size_t len,
			   const char *filename, struct bw_diags *diags);

/*
 * Extensions.  bw_inventory_set_posture with ns "" (or NULL) sets the host
 * postures, whose default is "audit" (KubeArmor's hostDefault*Posture).
 *
 * The stored copy of a container (NULL if unknown); owned by inv, valid until
 * the container is replaced or removed.
 */
const Bulwark__V1__Container *bw_inventory_container(const struct bw_inventory *inv,
						     const char *container_id);
/*
 * Whether bw_inventory_set_container keeps a deep copy of each container
 * message for bw_inventory_container (default: yes).  Compiling needs only
 * the id, namespace, labels and cgroup id, so a long-running owner that
 * keeps its own copy (the controller) turns this off to save about 600
 * bytes per container; bw_inventory_container then returns NULL.  Only
 * before the first container: -EBUSY afterwards.
 */
int bw_inventory_keep_messages(struct bw_inventory *inv, int keep);
/*
 * From now on bw_inventory_set_container keeps c->id by pointer instead of
 * copying it: the caller keeps that string alive and unchanged until the
 * container is removed (or the inventory freed), and replaces a container
 * only with the same pointer.  For an owner that holds the id anyway (the
 * controller's container map): one copy of each id instead of two.  Only
 * before the first container: -EBUSY afterwards.
 */
int bw_inventory_borrow_ids(struct bw_inventory *inv);
/* The node names, sorted, in a new array the caller frees (not the strings,
 * which inv owns). */
int bw_inventory_nodes(const struct bw_inventory *inv, const char ***out, size_t *n_out);

/* ---- compiler -------------------------------------------------------------- */

struct bw_policy_set; /* the policies the compiler sees, keyed by kind/ns/name */

int bw_policy_set_new(struct bw_policy_set **out);
void bw_policy_set_free(struct bw_policy_set *s);
/* Takes ownership of p; replaces a policy with the same kind/ns/name. */
int bw_policy_set_put(struct bw_policy_set *s, struct bw_policy *p);
/* Returns 0 or -ENOENT. */
int bw_policy_set_remove(struct bw_policy_set *s, enum bw_policy_kind kind, const char *ns,
			 const char *name);
size_t bw_policy_set_count(const struct bw_policy_set *s);
/* The stored policy (owned by s, valid until replaced/removed) or NULL. */
const struct bw_policy *bw_policy_set_get(const struct bw_policy_set *s, enum bw_policy_kind kind,
					  const char *ns, const char *name);

/*
 * Compiles what one node must enforce: a RuleSet per container on the node
 * plus the host's.  Deterministic: the same inputs give the same bytes.
 * *out is freed with bw_compiled_free.  version is copied into the result.
 */
int bw_compile_node(const struct bw_policy_set *s, const struct bw_inventory *inv, const char *node,
		    uint64_t version, Bulwark__V1__CompiledPolicy **out);
void bw_compiled_free(Bulwark__V1__CompiledPolicy *cp);

/*
 * Semantics (KubeArmor's): a KubeArmorPolicy selects the containers of its
 * namespace whose labels hold every matchLabels pair and satisfy every
 * matchExpressions entry (In: the label's value is listed; NotIn: the label
 * is absent or its value is not listed).  A KubeArmorClusterPolicy selects
 * containers of every namespace; its expressions use key "namespace" (values
 * are namespace names) or "label" (values "k=v"; In: the container has one of
 * them, NotIn: none).  A KubeArmorHostPolicy selects nodes by their labels;
 * "kubearmor.io/hostname: '*'" matches every node.  The selector label
 * "kubearmor.io/container.name" matches a container's name (its
 * container_name, the name inside the pod, else its runtime name); it is
 * matched on like a label but never appears in RuleSet.labels, and a
 * reported label with that key is ignored.  An operation with an
 * Allow rule becomes an allow-list (the flags of RuleSet); a Block rule and an
 * Allow rule on the same resource (same operation, match, value, protocol,
 * capability, syscall and fromSource) leave only the Block; Audit rules are
 * kept.  Rules are sorted and exact duplicates dropped.
 *
 * Bulwark extensions (beyond KubeArmor; KubeArmor itself rejects them):
 * network.matchAddresses entries {address: IP or CIDR, ports: [N, "lo-hi"],
 * protocol, fromSource, severity, tags, message, action} give MATCH_ADDRESS
 * rules (one per port range; value the canonical CIDR; Protocol.family from
 * the address; the destination of connect/sendmsg).  A matchPatterns pattern
 * that is absolute and uses only '*' (any run of characters but '/'), '**'
 * (any run) and '?' (one character but '/') is a glob the BPF-LSM enforcer
 * evaluates in the kernel; any other pattern (AppArmor's [..], {..}, ^) is
 * marked needs_apparmor.
 *
 * Incremental compiling: the unit of work is one container
 * (bw_compile_container) or one host (bw_compile_host); bw_compile_node is
 * those plus the digest.  bw_compiler (below) caches rule sets and recompiles
 * only the containers a change can affect.
 */
int bw_compile_container(const struct bw_policy_set *s, const struct bw_inventory *inv,
			 const char *container_id, Bulwark__V1__RuleSet **out);
int bw_compile_host(const struct bw_policy_set *s, const struct bw_inventory *inv, const char *node,
		    Bulwark__V1__RuleSet **out);
/* Recomputes cp->digest: SHA-256 over the SHA-256 of each rule set's packed
 * bytes, containers in cp's order (sorted by id), then the host's (32 zero
 * bytes when there is no host rule set). */
int bw_compiled_digest(Bulwark__V1__CompiledPolicy *cp);

/*
 * bw_compiler: bw_compile_node with a cache.  A container's rule set is
 * reused while the container, the policy lists of its namespace it is
 * checked against (those indexed under one of its labels, and those without
 * matchLabels), the cluster policies and its namespace's postures are
 * unchanged (each carries a generation bumped by bw_policy_set_put/remove
 * and bw_inventory_set_*); the host's while host policies, node labels and
 * host postures are.  So a change of one policy recompiles the containers
 * that carry its first matchLabels pair (all of its namespace's when it has
 * none, all containers for a cluster policy, hosts only for a host policy),
 * a change of one container recompiles that container.  Output bytes equal
 * bw_compile_node's.  Not for concurrent use.
 */
struct bw_compiler;

int bw_compiler_new(struct bw_compiler **out);
void bw_compiler_free(struct bw_compiler *c);
/*
 * *out is owned by c and stays valid until the next bw_compiler_node (for
 * any node), bw_compiler_forget_node or bw_compiler_free, and while inv is
 * unchanged; only the latest output is kept, which keeps the cache small.
 * Calling again for the same node with unchanged inputs returns the same
 * object (and digest) with version updated.  -ENOENT when the node is not
 * in inv (its cache is dropped).
 */
int bw_compiler_node(struct bw_compiler *c, const struct bw_policy_set *s,
		     const struct bw_inventory *inv, const char *node, uint64_t version,
		     const Bulwark__V1__CompiledPolicy **out);
/*
 * The fast path for pushing: bw_compiler_node's result as packed
 * CompiledPolicy bytes, byte for byte what protobuf-c packs for that
 * message, assembled from the cached packed rule sets (only the bare ones
 * are encoded per call).  The version is left out so that the caller can
 * choose it after comparing digests: bw_packed_policy_write inserts it.
 * out->buf is owned by c and valid until the next bw_compiler_node_packed,
 * bw_compiler_forget_node or bw_compiler_free.  Errors as bw_compiler_node.
 */
struct bw_packed_policy {
	const uint8_t *buf; /* node_name field, then containers, host, digest */
	size_t len;
	size_t name_len;    /* where the version field goes */
	uint8_t digest[32]; /* CompiledPolicy.digest */
};
int bw_compiler_node_packed(struct bw_compiler *c, const struct bw_policy_set *s,
			    const struct bw_inventory *inv, const char *node,
			    struct bw_packed_policy *out);
/* The packed CompiledPolicy's size with version set, and writing it. */
size_t bw_packed_policy_size(const struct bw_packed_policy *p, uint64_t version);
size_t bw_packed_policy_write(const struct bw_packed_policy *p, uint64_t version, uint8_t *dst);
/* Protobuf base-128 varints: encoded length, and encoding (up to 10 bytes). */
size_t bw_pb_varint_len(uint64_t v);
size_t bw_pb_varint(uint64_t v, uint8_t *out);
/* Decodes a varint from b[0..len): its length, 0 when cut short. */
size_t bw_pb_get_varint(const uint8_t *b, size_t len, uint64_t *v);
void bw_compiler_forget_node(struct bw_compiler *c, const char *node);
/* Rule sets reused from the cache and compiled, since bw_compiler_new. */
void bw_compiler_stats(const struct bw_compiler *c, uint64_t *reused, uint64_t *compiled);

/* The compiled policy as JSON (for bulwarkctl compile and GET /v1/nodes/{n}/policy). */
char *bw_compiled_to_json(const Bulwark__V1__CompiledPolicy *cp);

#endif
