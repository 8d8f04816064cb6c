/* SPDX-License-Identifier: Apache-2.0 */
/*
 * AppArmor enforcer: for kernels where AppArmor is an active LSM and BPF-LSM
 * is not.  Each container's RuleSet becomes one profile, "bulwark-" + the
 * first 12 characters of the container id, loaded with apparmor_parser -r
 * (a replace is atomic: a task sees the old profile or the new one).
 *
 * HOW CONTAINERS GET THE PROFILE (the limitation to know): AppArmor confines
 * a task from its next exec on, and only the task itself (or its runtime
 * before the container's first exec) can ask for that.  A container is
 * therefore confined only when it is launched under the profile: OCI
 * config.json "process": {"apparmorProfile": "bulwark-<id12>"} (runc calls
 * aa_change_onexec before exec'ing the entrypoint); Kubernetes:
 * container.apparmor.security.beta.kubernetes.io/<c>: localhost/bulwark-<id12>
 * or securityContext.appArmorProfile.  The name is a convention the runtime
 * side can compute before the container exists (deploy/lab/apparmor.sh
 * does, and loads a permissive placeholder of that name: runc refuses an
 * unknown profile); bw_aa_preload does the same from C.  Once a container
 * runs under bulwark-<id12>, every later policy change applies to it live
 * (the profile is replaced in place).  A container with rules whose
 * processes run under another label (unconfined, or another profile) cannot
 * be moved into ours from outside: apply logs it and lists it in the
 * unenforced list (the node's status) until it is restarted under ours.
 *
 * fromSource rules live in child profiles the container's profile enters
 * when the source binary runs ("cx"; a source directory by its glob,
 * /usr/bin/ + "*", or "**" when recursive); what the source executes
 * inherits them, so they hold for its descendants too.  AppArmor refuses
 * that profile change for a task with no_new_privs (OCI
 * process.noNewPrivileges, Kubernetes allowPrivilegeEscalation: false):
 * there the source binary fails to exec (EPERM).  Apply reports each such
 * container in the unenforced list.
 *
 * Host rules (KubeArmorHostPolicy) go into profile "bulwark-host", attached
 * by path to the shells, and one profile per fromSource source attached by
 * the source's path ("bulwark-host.<hash>"), as KubeArmor's AppArmor host
 * profile does: a host process is confined from its next exec of such a
 * binary on; processes already running, and daemons started without a
 * shell, are not (reported in the unenforced list).
 *
 * Allow-lists with audit posture: the profile keeps granting everything,
 * with the "audit" qualifier on the grant, so every miss reaches the log;
 * the log drops what an Allow rule explains and reports the rest as
 * DefaultPosture audits (Result Passed).
 *
 * Network rules are handed to the cgroup-BPF program (enforce_cgroup.h)
 * whenever it attaches: exact protocols, and no dependence on whether the
 * installed apparmor_parser can compile network rules for this kernel's
 * AppArmor network ABI (Debian 12's parser 3.0 with kernel 6.1 loads them
 * but the kernel does not mediate them).  Without cgroup-BPF they go into
 * the profile by family and socket type.
 *
 * Alerts come from the kernel's AppArmor audit records (netlink audit
 * multicast group, or /dev/kmsg when that is unavailable): DENIED records
 * become blocked alerts (Block rules, or DefaultPosture for allow-list
 * misses), AUDIT records audited ones; enforcer "AppArmor".
 */
#ifndef BW_ENFORCE_APPARMOR_H
#define BW_ENFORCE_APPARMOR_H

#include <stddef.h>
#include <stdint.h>

#include "enforcer.h"

#define BW_AA_PREFIX "bulwark-"
#define BW_AA_NAME_MAX 64

/* "bulwark-" + first 12 characters of the id (lower-cased, [a-z0-9_.-] only). */
void bw_aa_profile_name(const char *container_id, char *buf, size_t len);

/* Capability names as AppArmor spells them ("net_raw"): bw_cap_short_name (bw_caps.h). */

/* Network rules are enforced elsewhere (the cgroup-BPF program): the
 * profile allows all networking and leaves network rules out. */
#define BW_AA_GEN_NO_NETWORK 1u
/* The host's rule set: the profile is attached by path (the shells, see
 * enforce_apparmor_int.h) and each fromSource source gets its own
 * top-level profile "<name>.<hash>" attached by the source's path. */
#define BW_AA_GEN_HOST 2u

/*
 * The profile for one rule set, as a new string in *out (caller frees).
 * Rules or options AppArmor cannot express are appended to *unenforced (as
 * in bw_enforcer_ops.apply; may be NULL).  Deterministic: the same rule set
 * gives the same text.  Returns 0 or -ENOMEM.
 */
int bw_aa_profile_generate(const Bulwark__V1__RuleSet *rs, const char *name, unsigned flags,
			   char **out, char ***unenforced, size_t *n_unenforced);

/* One AppArmor audit record, as the kernel logs it. */
struct bw_aa_record {
	char apparmor[16];  /* DENIED, AUDIT, ALLOWED */
	char operation[32]; /* open, exec, create, capable, ... */
	char profile[256];  /* bulwark-abc or bulwark-abc///bin/bash (child) */
	char name[1024];    /* path */
	char comm[16];
	char requested[16], denied[16];
	char capname[32];
	char family[16], sock_type[16];
	int protocol;
	uint32_t pid;
	uint32_t fsuid, ouid;
};

/* Parses a line holding `apparmor="..."` key=value pairs (kmsg or audit
 * netlink text).  Returns 0, or -EINVAL when it is not an AppArmor record. */
int bw_aa_parse_record(const char *line, struct bw_aa_record *out);

/*
 * Where profiles are written ("/run/bulwark/apparmor" unless the
 * BW_APPARMOR_DIR environment variable names another directory).
 */
const char *bw_aa_profile_dir(void);

/* Loads a permissive placeholder profile for a container about to start,
 * unless one is loaded already.  Returns 0 or a negative errno (err says why). */
int bw_aa_preload(const char *container_id, char *err, size_t errlen);

/* Runs apparmor_parser with args (NULL-terminated, without argv[0]); its
 * stderr goes to err.  Returns 0, or -EIO when it failed. */
int bw_aa_run_parser(const char *const *args, char *err, size_t errlen);

#endif
