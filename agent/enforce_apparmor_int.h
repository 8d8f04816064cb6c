/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the AppArmor enforcer shared by enforce_apparmor.c (profiles,
 * life cycle) and enforce_apparmor_log.c (audit records -> alerts).
 */
#ifndef BW_ENFORCE_APPARMOR_INT_H
#define BW_ENFORCE_APPARMOR_INT_H

#include <stdio.h>
#include <event2/event.h>

#include "enforce_apparmor.h"

struct aa_loaded {
	char name[BW_AA_NAME_MAX];
	char *text;
};

struct aa {
	struct bw_enforcer e;
	bw_enforcer_alert_fn on_alert;
	void *alert_arg;
	struct aa_loaded *loaded;
	size_t n_loaded;
	Bulwark__V1__CompiledPolicy *cur;
	/* Network rules go to the cgroup-BPF program when it attaches: exact
	 * protocols, and independent of whether this kernel's AppArmor network
	 * mediation is one the installed parser can compile for. */
	struct bw_enforcer *net;
	int log_fd;
	int log_is_kmsg;
	struct event *ev;
};

/* Opens the audit record source (audit netlink multicast, else /dev/kmsg)
 * into a->log_fd.  Returns 0 or a negative errno. */
int bw_aa_open_log(struct aa *a);
/* libevent callback for a->log_fd; arg is the struct aa. */
void bw_aa_on_log(evutil_socket_t fd, short what, void *arg);

/* ---- fromSource (enforce_apparmor_src.c) ---------------------------------- */

/* One distinct source of a rule set: an exact binary or a directory. */
struct bw_aa_src {
	const char *path; /* borrowed from the rule set: binary, or directory ending in '/' */
	int dir, recursive;
	/* How the exec rule names it, also the child profile's name: the
	 * escaped path, or the directory + "*" (+ "**" when recursive). */
	char glob[1100];
	uint32_t hash; /* of glob: names a host source's profile (bulwark-host.<hash>) */
};

/*
 * The distinct sources of rs in rule order (*out: new array, caller frees;
 * paths borrowed from rs).  Sources AppArmor cannot express (spaces, quotes,
 * nested source directories) are left out and reported in *unenforced.
 * Returns 0 or -ENOMEM.
 */
int bw_aa_sources(const Bulwark__V1__RuleSet *rs, struct bw_aa_src **out, size_t *n_out,
		  char ***unenforced, size_t *n_unenforced);
/* 1 when rule r holds inside source s's profile (s NULL: the top profile). */
int bw_aa_rule_in_source(const Bulwark__V1__Rule *r, const struct bw_aa_src *s);
/* The source whose glob (child profile name) is label, or NULL. */
const struct bw_aa_src *bw_aa_source_by_label(const struct bw_aa_src *v, size_t n,
					      const char *label);
uint32_t bw_aa_src_hash(const char *s);
/*
 * Writes the exec baseline "every exec stays in this profile" (qual e.g.
 * "audit "): "/{,**} ix", or, with source directories, its complement
 * around their transitions (AppArmor refuses overlapping exec globs).
 */
void bw_aa_exec_baseline(FILE *f, const char *qual, const struct bw_aa_src *v, size_t n);
/* 1 when an exec glob (as written in a profile) may overlap a source
 * directory's transition; exact paths never do (they take precedence). */
int bw_aa_glob_overlaps_dir(const char *spec, const struct bw_aa_src *v, size_t n);

/* The host's profile and the prefix of its source profiles. */
#define BW_AA_HOST "bulwark-host"
/*
 * What bulwark-host attaches to (unless BW_APPARMOR_HOST_ATTACH names
 * another AppArmor glob): the shells, so every command a person or a
 * script runs on the node is confined from its exec on.
 */
#define BW_AA_HOST_ATTACH "/{usr/,}{bin,sbin}/{sh,bash,dash,zsh,ksh,mksh,ash,busybox}"

#endif
