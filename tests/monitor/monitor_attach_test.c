/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the monitor attaches, as the kernel reports it: with the default
 * visibilities (process, network, capabilities; file off) no syscall
 * tracepoint may be attached, because one is enough to send every syscall on
 * the node through the kernel's slow path.  The opt-ins and file visibility
 * do attach them, which shows the check can see them.
 *
 * The kernel's view: every fd of this process is asked with
 * BPF_TASK_FD_QUERY (what `bpftool perf` shows) which tracepoint or raw
 * tracepoint it attaches a program to; the cgroup hooks are listed with
 * BPF_PROG_QUERY on the cgroup v2 root.
 *
 * Needs root and BPF; exits 77 saying why when they are missing.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <event2/event.h>

#include "bpf_testutil.h"
#include "bw_log.h"
#include "events.h"
#include "monitor.h"
#include "probe.h"


static void ignore(void *arg, const struct bw_mon_hdr *h, const char *data, size_t len)
{
}

struct attached {
	char names[64][128];
	int n;
};

/* Tracepoint and raw tracepoint names this process attaches BPF programs to. */
static void scan(struct attached *a)
{
	a->n = bw_test_attached_tracepoints(&a->names[0][0], sizeof(a->names[0]), 64);
}

static int has(const struct attached *a, const char *name)
{
	for (int i = 0; i < a->n; i++)
		if (strcmp(a->names[i], name) == 0)
			return 1;
	return 0;
}

/* The first attached syscall tracepoint, NULL when there is none. */
static const char *syscall_tp(const struct attached *a)
{
	for (int i = 0; i < a->n; i++)
		if (!strncmp(a->names[i], "sys_enter", 9) || !strncmp(a->names[i], "sys_exit", 8))
			return a->names[i];
	return NULL;
}

/* Whether a program named name (as the kernel truncates it) sits on hook of cgroup cg. */
static int cgroup_has(int cg, enum bpf_attach_type hook, const char *name)
{
	__u32 ids[64], cnt = 64, flags = 0;
	int found = 0;

	if (bpf_prog_query(cg, hook, 0, &flags, ids, &cnt))
		return 0;
	for (__u32 i = 0; i < cnt && !found; i++) {
		struct bpf_prog_info info;
		__u32 ilen = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(ids[i]);

		if (fd < 0)
			continue;
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &ilen) &&
		    strncmp(info.name, name, sizeof(info.name) - 1) == 0)
			found = 1;
		close(fd);
	}
	return found;
}

int main(void)
{
	struct event_base *base;
	struct bw_monitor *m = NULL;
	struct attached a;
	char err[512], root[512];
	unsigned def = bw_visibility_groups(BW_VIS_PROCESS | BW_VIS_NETWORK | BW_VIS_CAPS);
	const char *s;
	int rc, cg;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (BPF)\n");
		return 77;
	}
	bw_log_set_level_name(getenv("BW_LOG") ? getenv("BW_LOG") : "warn");
	base = event_base_new();
	struct bw_monitor_opts o = {.base = base, .on_record = ignore, .groups = def};

	rc = bw_monitor_new(&m, &o, err, sizeof(err));
	if (rc == -EPERM || rc == -ENOENT || rc == -EACCES) {
		fprintf(stderr, "SKIP: monitor cannot load here: %s\n", err);
		return 77;
	}
	check(rc == 0, "monitor loads with process,network,capabilities (%s)", rc ? err : "");
	if (rc)
		return 1;
	if (!(bw_monitor_available(m) & BW_MON_G_NETWORK)) {
		fprintf(stderr, "SKIP: no network group here (no cgroup v2?)\n");
		bw_monitor_free(m);
		return 77;
	}
	scan(&a);
	s = syscall_tp(&a);
	check(!s, "default visibility attaches no syscall tracepoint (%s, %d attached)",
	      s ? s : "none", a.n);
	check(has(&a, "sched_process_exec") && has(&a, "sched_process_fork") &&
		  has(&a, "sched_process_exit"),
	      "process raw tracepoints attached");
	check(has(&a, "inet_sock_set_state"), "sock:inet_sock_set_state attached");

	if (bw_cgroup2_root(root, sizeof(root)) == 0 &&
	    (cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		check(cgroup_has(cg, BPF_CGROUP_INET4_CONNECT, "bw_net_connect4") &&
			  cgroup_has(cg, BPF_CGROUP_INET6_CONNECT, "bw_net_connect6") &&
			  cgroup_has(cg, BPF_CGROUP_INET4_POST_BIND, "bw_net_post_bind4") &&
			  cgroup_has(cg, BPF_CGROUP_INET6_POST_BIND, "bw_net_post_bind6") &&
			  cgroup_has(cg, BPF_CGROUP_INET_SOCK_CREATE, "bw_net_sock_create"),
		      "cgroup hooks attached to %s", root);
		/* detaching the network group takes them off again */
		check(bw_monitor_set_groups(m, BW_MON_G_PROCESS) == 0 &&
			  !cgroup_has(cg, BPF_CGROUP_INET4_CONNECT, "bw_net_connect4"),
		      "network group detached from the cgroup");
		close(cg);
	} else {
		check(0, "opening the cgroup v2 root");
	}

	/* file visibility does attach syscall tracepoints: the scan sees them */
	check(bw_monitor_set_groups(m, def | BW_MON_G_FILE) == 0, "file group attaches");
	scan(&a);
	check(has(&a, "sys_enter_openat") && has(&a, "sys_exit_openat") &&
		  has(&a, "sys_enter_unlinkat"),
	      "file visibility: openat and unlinkat syscall tracepoints seen");
	check(bw_monitor_set_groups(m, def) == 0, "back to the default");
	scan(&a);
	s = syscall_tp(&a);
	check(!s, "file group detached: no syscall tracepoint (%s)", s ? s : "none");
	bw_monitor_pause(m, 1);
	scan(&a);
	check(a.n == 0, "paused: nothing attached (%d)", a.n);
	bw_monitor_free(m);
	m = NULL;

	/* the opt-ins attach theirs, and keep them over visibility changes */
	o.optin_groups = BW_MON_G_EXECFAIL | BW_MON_G_SETID;
	rc = bw_monitor_new(&m, &o, err, sizeof(err));
	check(rc == 0, "monitor loads with the opt-ins (%s)", rc ? err : "");
	if (!rc) {
		bw_monitor_set_groups(m, BW_MON_G_PROCESS);
		scan(&a);
		check(has(&a, "sys_exit_execve") && has(&a, "sys_exit_execveat") &&
			  has(&a, "sys_enter_setuid") && has(&a, "sys_exit_setgid"),
		      "opt-ins: execve, execveat, setuid, setgid tracepoints seen");
		check(!has(&a, "sys_enter_openat"), "opt-ins alone attach no file tracepoint");
	}
	bw_monitor_free(m);
	event_base_free(base);
	fprintf(stderr, "%s: %d failure(s)\n", failures ? "FAIL" : "PASS", failures);
	return failures ? 1 : 0;
}
