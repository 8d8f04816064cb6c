/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Listeners that were listening before the monitor's network group attached:
 * the kernel side learns a listener's owner when it starts listening, so
 * without this a server started before the agent would accept connections
 * nobody reports.  Used by the monitor's loader (monitor.c).
 */
#ifndef BW_MONITOR_SEED_H
#define BW_MONITOR_SEED_H

#include <stdint.h>

/*
 * Finds every TCP listener (IPv4 and IPv6, in every network namespace a
 * process under proc_root is in) and the process holding its socket, and
 * writes (netns, family, port) -> that process's identity into map_fd (the
 * bw_mon_listen map).  A socket held by several processes goes to the one
 * with the lowest pid (the one that most likely created it, before forking).
 * Processes with tgid skip_tgid (the agent) are left out.  cgroup2_mnt gives
 * the cgroup ids (NULL: 0).  Returns the number of listeners written or a
 * negative errno.
 */
int bw_monitor_seed_listeners(int map_fd, const char *proc_root, const char *cgroup2_mnt,
			      uint32_t skip_tgid);

#endif
