/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Translation of a CompiledPolicy into the BPF-LSM enforcer's map entries
 * (bpf/include/bw_enf_types.h).  Pure userspace: no kernel needed, so the
 * whole translation is unit-tested on any machine.
 *
 * Rule ids: (ruleset index << 16) | rule index, ruleset index 0 being the host
 * and i + 1 being cp->containers[i]; bw_enf_rule_lookup maps an alert's rule
 * id back to the Rule (and its RuleOrigin).
 */
#ifndef BW_ENFORCE_MAPS_H
#define BW_ENFORCE_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "bulwark.pb-c.h"
#include "bw_enf_types.h"
#include "enforcer.h"

struct bw_enf_entry {
	struct bw_enf_key key;
	struct bw_enf_val val;
};

/* The complete content of one rule map, sorted by key, keys unique. */
struct bw_enf_mapset {
	struct bw_enf_entry *entries;
	size_t n;
	/* Rules this backend cannot enforce, one sentence each. */
	char **unenforced;
	size_t n_unenforced;
};

/*
 * Finds the inode that an absolute path names in a ruleset's filesystem view
 * (cgroup_id 0: the host).  0 and *dev (kernel dev_t encoding,
 * major << 20 | minor) and *ino; negative when it cannot.
 */
typedef int (*bw_enf_inode_fn)(void *arg, uint64_t cgroup_id, const char *path, uint32_t *dev,
			       uint64_t *ino);

/*
 * Builds the entries for cp.  With a resolver, exact-path file and process
 * rules without fromSource also get an inode entry, so the rule holds when
 * the file is reached through a hard link (resolved now: a file replaced
 * later keeps only its path rule).  *out (freed with bw_enf_mapset_free) only on
 * success; -EINVAL/-E2BIG with err naming the ruleset and rule otherwise.
 * cp stays the caller's; nothing in *out points into it.
 */
int bw_enf_maps_build(const Bulwark__V1__CompiledPolicy *cp, struct bw_enf_mapset **out, char *err,
		      size_t errlen);
int bw_enf_maps_build_ex(const Bulwark__V1__CompiledPolicy *cp, bw_enf_inode_fn resolve,
			 void *resolve_arg, struct bw_enf_mapset **out, char *err, size_t errlen);
void bw_enf_mapset_free(struct bw_enf_mapset *m);

/* Hands the unenforced list over (the caller frees each string and the array). */
void bw_enf_mapset_take_unenforced(struct bw_enf_mapset *m, char ***list, size_t *n);

/* The entry for key, or NULL (binary search). */
const struct bw_enf_entry *bw_enf_mapset_find(const struct bw_enf_mapset *m,
					      const struct bw_enf_key *key);

/* The rule behind rule_id in cp (and its ruleset), or NULL. */
const Bulwark__V1__Rule *bw_enf_rule_lookup(const Bulwark__V1__CompiledPolicy *cp, uint32_t rule_id,
					    const Bulwark__V1__RuleSet **rs);

/* FNV-1a of a normalised absolute path ("/a//b/" -> "/a/b", "/" -> ""), as the
 * kernel side computes it while walking dentries.  -EINVAL for a relative
 * path or one with "." or ".." components. */
int bw_enf_path_hash(const char *path, uint64_t *out);
/* FNV-1a of a bare name (no '/'), for execname rules. */
uint64_t bw_enf_name_hash(const char *name);

/* The kernel's glob matcher (bw_enf_glob.h, semantics in bw_enf_types.h) run
 * in userspace: 1 match, 0 no match, -E2BIG when the pattern or path is too
 * long or the step bound runs out (the kernel then decides by posture). */
int bw_enf_glob_match(const char *pattern, const char *path);
/* 0 when the kernel matcher evaluates pattern; else negative with why. */
int bw_enf_pattern_check(const char *pattern, char *why, size_t whylen);

/*
 * Turns a ring-buffer record into the alert the agent reports: KubeArmor's
 * operation, resource ("domain=AF_INET type=SOCK_STREAM protocol=6",
 * "CAP_NET_RAW", the path), data ("lsm=FILE_OPEN"), action and result, and
 * the rule's origin when the record's policy version is cur's or prev's
 * (either may be NULL).  resource and data are the caller's buffers; the
 * alert points into them and into cur/prev.
 */
void bw_enf_alert_fill(const struct bw_enf_event *ev, const Bulwark__V1__CompiledPolicy *cur,
		       const Bulwark__V1__CompiledPolicy *prev, struct bw_enforcer_alert *out,
		       char *resource, size_t resource_len, char *data, size_t data_len);

/* "FILE_OPEN" for BW_HOOK_FILE_OPEN, ...; "UNKNOWN" otherwise. */
const char *bw_enf_hook_name(uint32_t hook);
/* Capability names: bw_cap_name (common/bw_caps.h). */

#endif
