/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The BPF-LSM enforcer backend (bpf/enforcer.bpf.c): implements
 * struct bw_enforcer_ops.  With opts->pin_dir set, programs (their links)
 * and maps are pinned there, so enforcement outlives the agent; a new
 * enforcer over the same pin_dir adopts the pinned maps (the rules in force
 * stay in force) and atomically replaces the pinned links with its own.
 */
#ifndef BW_ENFORCE_BPFLSM_H
#define BW_ENFORCE_BPFLSM_H

#include <stdint.h>
#include <linux/types.h>

#include "enforcer.h"
#include "bw_enf_types.h"
#include "enforce_maps.h"

/*
 * Loads and attaches the programs.  opts is copied (pin_dir too); opts->base
 * may be NULL, then alerts are delivered by bw_enforcer_bpflsm_poll only.
 * -EPERM/-EOPNOTSUPP when the kernel refuses BPF-LSM (logged with the
 * reason).  *out (freed with ops->destroy / bw_enforcer_free) only on success.
 */
int bw_enforcer_bpflsm_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts);

/* Delivers pending alerts to opts->on_alert, waiting up to timeout_ms for the
 * first.  Returns the number delivered or a negative errno. */
int bw_enforcer_bpflsm_poll(struct bw_enforcer *e, int timeout_ms);

/* Kernel counters (enum bw_enf_stat), summed over CPUs. */
int bw_enforcer_bpflsm_stats(struct bw_enforcer *e, uint64_t out[BW_ENF_ST__MAX]);

/* Version of the policy in the rule map (adopted or applied); 0: none. */
uint64_t bw_enforcer_bpflsm_version(struct bw_enforcer *e);

struct bw_enf_mapset;
/* Builds a complete rule map from m and swaps it into the outer map
 * (bw_enf_rules) in one update.  Shared with the matching tests. */
int bw_enf_mapset_install(const struct bw_enf_mapset *m, int outer_fd, char *err, size_t errlen);

/* Uninstall: removes every pin under pin_dir; enforcement ends once no
 * process holds the links any more.  Missing pins are not an error. */
int bw_enforcer_bpflsm_unpin(const char *pin_dir);

/* bw_enf_hook_name, bw_enf_alert_fill: enforce_maps.h */

#endif
