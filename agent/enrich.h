/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container and process identity for any event: the monitor's logs and the
 * enforcers' alerts both go through here, so every event names its
 * container (or none: the host) and process tree the same way.
 */
#ifndef BW_ENRICH_H
#define BW_ENRICH_H

#include <stdint.h>

#include "bulwark.pb-c.h"

struct bw_proctree;
struct bw_containers;

/*
 * Fills ev's container fields (NamespaceName, PodName, Labels, ContainerID,
 * ContainerName, ContainerImage, Owner) from the container whose cgroup v2
 * id is cgroup_id, and its process fields (PID, PPID, HostPID, HostPPID, UID,
 * ProcessName, ParentProcessName, Source, Cwd, TTY, ExecEvent) from the
 * process tree entry of host_pid (loaded from /proc when the tree lacks it).
 * Either table may be NULL.
 *
 * String fields point into the tables (ExecEvent into a buffer the next
 * call overwrites): valid until control returns to the loop or the next
 * call, whichever comes first; pack or copy the event before that.  Fields
 * with no value are left as they were.  Returns 1 when the event came from a
 * container, 0 for the host.  Single-threaded, like the agent's loop.
 */
int bw_enrich_event(struct bw_proctree *pt, struct bw_containers *cs, uint64_t cgroup_id,
		    uint32_t host_pid, Bulwark__V1__Event *ev);

#endif
