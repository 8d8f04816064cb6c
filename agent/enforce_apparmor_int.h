/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internals of the AppArmor enforcer shared by enforce_apparmor.c (profiles,
 * life cycle) and enforce_apparmor_log.c (audit records -> alerts).
 */
#ifndef BW_ENFORCE_APPARMOR_INT_H
#define BW_ENFORCE_APPARMOR_INT_H

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

#endif
