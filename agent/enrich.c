/* SPDX-License-Identifier: Apache-2.0 */
/* Event enrichment: see enrich.h. */
#include "enrich.h"

#include <inttypes.h>
#include <stdio.h>

#include "containers.h"
#include "proctree.h"

int bw_enrich_event(struct bw_proctree *pt, struct bw_containers *cs, uint64_t cgroup_id,
		    uint32_t host_pid, Bulwark__V1__Event *ev)
{
	static char exec_id_buf[24];

	const struct bw_container *c = cs ? bw_containers_by_task(cs, cgroup_id, host_pid) : NULL;
	const char *cg2 = cs ? bw_containers_cgroup2(cs) : NULL;
	const struct bw_proc *p = NULL, *pp = NULL;

	if (c) {
		ev->namespace_name = c->namespace_name;
		ev->pod_name = c->pod_name;
		ev->labels = c->labels_str;
		ev->container_id = c->id;
		ev->container_name = c->name;
		ev->container_image = c->image;
		ev->owner = c->owner;
	}
	if (pt && host_pid) {
		p = bw_proctree_lookup(pt, host_pid, "/proc", cg2 && *cg2 ? cg2 : NULL);
		if (p && p->ppid)
			pp = bw_proctree_lookup(pt, p->ppid, "/proc", cg2 && *cg2 ? cg2 : NULL);
	}
	ev->host_pid = (int32_t)host_pid;
	if (p) {
		ev->host_ppid = (int32_t)p->ppid;
		/* inside a container the container's own pid numbers; on the host the same */
		ev->pid = (int32_t)(c ? p->ns_pid : p->pid);
		ev->ppid = (int32_t)(c ? p->ns_ppid : p->ppid);
		ev->uid = (int32_t)p->uid;
		ev->process_name = p->path;
		ev->source = p->cmdline;
		ev->cwd = p->cwd;
		ev->tty = (char *)p->tty;
		snprintf(exec_id_buf, sizeof(exec_id_buf), "%" PRIu64, p->exec_id);
		ev->exec_event = exec_id_buf;
		if (pp)
			ev->parent_process_name = pp->path;
	}
	return c ? 1 : 0;
}
