/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup-BPF fallback enforcer: for kernels with neither BPF-LSM nor
 * AppArmor (and the AppArmor backend's network half).  Enforces network
 * rules by socket protocol (matchProtocols: Block, Audit, allow-list with
 * default posture) at cgroup/sock_create for AF_INET/AF_INET6 sockets, and
 * by destination (matchAddresses: CIDR, ports, protocol) at
 * cgroup/connect4/6 and cgroup/sendmsg4/6, per container (keyed by cgroup
 * v2 id) and for the host.  Everything else is reported as unenforced ("audit only"): the
 * monitor still sees it, the kernel does not refuse it.
 *
 * The program is attached once at the cgroup v2 root; containers are found
 * by cgroup ancestry.  With opts->pin_dir on a bpffs the link and the rule
 * maps are pinned there, so enforcement outlives the agent and a restarted
 * agent adopts the maps (the old rules hold until its first apply).
 *
 * Constructor: bw_enforcer_cgroup_new (enforce_priv.h); alerts carry
 * enforcer "CgroupBPF" and data "hook=cgroup/sock_create".
 */
#ifndef BW_ENFORCE_CGROUP_H
#define BW_ENFORCE_CGROUP_H

#include <stdint.h>

#include "enforcer.h"
#include "cgroup_net.h"

/*
 * The map key a network rule becomes for rule set key cgid under gen.
 * Returns 1 and fills *k when the fallback can enforce r; 0 and a reason in
 * *why (static text) when it cannot.
 */
int bw_cgn_rule_key_of(const Bulwark__V1__Rule *r, uint64_t cgid, uint32_t gen,
		       struct bw_cgn_rule_key *k, const char **why);

/* A destination rule (matchAddresses) as the connect/sendmsg hooks see it. */
struct bw_cgn_addr {
	unsigned family;	      /* AF_INET or AF_INET6 */
	uint8_t addr[16];	      /* network order, host bits cleared */
	unsigned bits;		      /* prefix length */
	struct bw_cgn_addr_rule slot; /* ports, type, protocol, action (rule left 0) */
};

/* Returns 1 and fills *out when r is an address rule the fallback enforces;
 * 0 and a reason in *why (static text) when not. */
int bw_cgn_addr_of(const Bulwark__V1__Rule *r, struct bw_cgn_addr *out, const char **why);

/*
 * Writes a rule set's address rules under gen into the IPv4/IPv6 tries
 * (fd4, fd6): one entry per distinct prefix holding every rule whose prefix
 * contains it, so the longest match alone decides.  Sets BW_CGN_F_ADDR and
 * BW_CGN_F_ADDR_ALLOWLIST in *flags; rules it cannot enforce go to
 * *unenf.  Returns 0 or a negative errno (a map update failed).
 */
int bw_cgn_write_addrs(int fd4, int fd6, const Bulwark__V1__RuleSet *rs, uint64_t cgid,
		       uint32_t gen, uint32_t *flags, char ***unenf, size_t *n_unenf);

/* "domain=AF_INET type=SOCK_DGRAM protocol=17" into buf. */
void bw_cgn_resource(unsigned family, unsigned type, unsigned protocol, char *buf, size_t len);

#endif
