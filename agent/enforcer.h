/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The enforcer interface every backend implements (BPF-LSM, AppArmor, the
 * cgroup-BPF fallback).  The agent picks one at start-up with bw_enforcer_probe
 * and hands it each CompiledPolicy it receives.
 */
#ifndef BW_ENFORCER_H
#define BW_ENFORCER_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>

#include "bulwark.pb-c.h"

/* What the kernel decided, as the backend saw it; enriched by the agent. */
struct bw_enforcer_alert {
	uint64_t ts_boot_ns;   /* CLOCK_BOOTTIME */
	uint64_t cgroup_id;    /* 0: host */
	uint32_t host_pid, host_tid, host_ppid;
	uint32_t uid;
	char comm[16];
	const char *operation; /* "Process", "File", "Network", "Capabilities" */
	const char *resource;  /* path, "domain=AF_INET type=SOCK_STREAM protocol=6", "CAP_NET_RAW" */
	const char *data;      /* "lsm=FILE_OPEN", ... */
	const char *enforcer;  /* "BPFLSM", "AppArmor", "eBPF Monitor" */
	int blocked;           /* 1: denied (Result "Permission denied"), 0: audited (Passed) */
	int default_posture;   /* 1: allow-list miss (PolicyName DefaultPosture) */
	int host;              /* 1: a host rule matched (Type MatchedHostPolicy) */
	/* The rule that matched; NULL for default posture.  Points into the policy
	 * the backend currently enforces; valid during the callback only. */
	const Bulwark__V1__RuleOrigin *origin;
	const char *action;    /* "Block", "Audit", "Allow" */
};

typedef void (*bw_enforcer_alert_fn)(void *arg, const struct bw_enforcer_alert *a);

struct bw_enforcer;

struct bw_enforcer_ops {
	const char *name; /* "BPFLSM", "AppArmor", "CgroupBPF" */
	Bulwark__V1__Enforcer kind;
	/*
	 * Makes cp the enforced policy, atomically: before the call returns the
	 * old rules hold, after it the new ones, never a mix.  On failure the old
	 * rules stay and err says why.  Rules this backend cannot enforce are
	 * appended (as text) to *unenforced (caller frees each and the array).
	 */
	int (*apply)(struct bw_enforcer *e, const Bulwark__V1__CompiledPolicy *cp, char ***unenforced,
		     size_t *n_unenforced, char *err, size_t errlen);
	void (*destroy)(struct bw_enforcer *e);
};

struct bw_enforcer {
	const struct bw_enforcer_ops *ops;
	void *priv;
};

struct bw_enforcer_opts {
	struct event_base *base;  /* alerts are delivered on this loop */
	bw_enforcer_alert_fn on_alert;
	void *alert_arg;
	const char *pin_dir;      /* e.g. /sys/fs/bpf/bulwark: survives agent restarts */
	const char *prefer;       /* "auto", "bpflsm", "apparmor", "cgroup", "none" */
};

/* Probe result: what this node can run, best first. */
struct bw_probe {
	int bpf_lsm_active;	/* "bpf" in /sys/kernel/security/lsm */
	int bpf_lsm_loads;	/* an lsm/ program loaded and attached */
	int apparmor_active;	/* "apparmor" in the LSM list and parser present */
	int cgroup_bpf;		/* cgroup/sock_create attaches */
	char lsm_list[256];
	char detail[512];	/* why a backend is missing */
};

int bw_enforcer_probe(struct bw_probe *out);

/* Creates the best enforcer the probe allows (or opts->prefer).  *out only on success. */
int bw_enforcer_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts);
/* Accepts NULL. Leaves pinned enforcement in place unless the agent is uninstalling. */
void bw_enforcer_free(struct bw_enforcer *e);

#endif
