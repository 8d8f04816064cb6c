/* SPDX-License-Identifier: Apache-2.0 */
/*
 * End-to-end test of the system monitor on this kernel with a real runc
 * container: loads the BPF programs, discovers the container from runc's
 * state, runs an exec, a file open and a connect inside it and on the host,
 * and checks the events: ContainerLog with the container's id, name, labels,
 * k8s pod/namespace, container pids and parent; HostLog for the host.
 *
 * Needs root, tracepoints, runc and busybox-static; exits 77 saying why when
 * one is missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "bpf_testutil.h"
#include "bw_log.h"
#include "bw_time.h"
#include "containers.h"
#include "events.h"
#include "monitor.h"
#include "proctree.h"

#define MAXEV 20000

struct rec {
	char *type, *cid, *cname, *labels, *ns, *pod, *proc, *parent, *source, *op, *res, *data,
	    *result;
	int pid, host_pid, ppid, host_ppid;
};

static struct rec evs[MAXEV];
static int nev;

static char *dup0(const char *s)
{
	return strdup(s ? s : "");
}

static void on_event(void *arg, Bulwark__V1__Event *ev)
{
	struct rec *r;

	/* the machine is busy with other work: keep what this test caused */
	if (nev >= MAXEV || (!*ev->container_id && ev->host_ppid != getpid()))
		return;
	r = &evs[nev++];
	r->type = dup0(ev->type);
	r->cid = dup0(ev->container_id);
	r->cname = dup0(ev->container_name);
	r->labels = dup0(ev->labels);
	r->ns = dup0(ev->namespace_name);
	r->pod = dup0(ev->pod_name);
	r->proc = dup0(ev->process_name);
	r->parent = dup0(ev->parent_process_name);
	r->source = dup0(ev->source);
	r->op = dup0(ev->operation);
	r->res = dup0(ev->resource);
	r->data = dup0(ev->data);
	r->result = dup0(ev->result);
	r->pid = ev->pid;
	r->host_pid = ev->host_pid;
	r->ppid = ev->ppid;
	r->host_ppid = ev->host_ppid;
}

static void skip(const char *why)
{
	fprintf(stderr, "SKIP: %s\n", why);
	exit(77);
}


static int run(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Runs the loop until pred() holds or timeout_ms passes. */
static int wait_for(struct event_base *base, int (*pred)(void *), void *arg, int timeout_ms)
{
	uint64_t end = bw_mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (bw_mono_ns() < end) {
		struct timeval tv = {0, 50 * 1000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
		if (pred(arg))
			return 1;
	}
	return pred(arg);
}

struct want {
	const char *type, *op, *res_sub, *data_sub, *proc, *cid;
};

static int find(const struct want *w)
{
	for (int i = 0; i < nev; i++) {
		struct rec *r = &evs[i];

		if (strcmp(r->type, w->type) || strcmp(r->op, w->op))
			continue;
		if (w->res_sub && !strstr(r->res, w->res_sub))
			continue;
		if (w->data_sub && !strstr(r->data, w->data_sub))
			continue;
		if (w->proc && strcmp(r->proc, w->proc))
			continue;
		if (w->cid && strcmp(r->cid, w->cid))
			continue;
		return i;
	}
	return -1;
}

static int have_all(void *arg)
{
	const struct want *w = arg;

	for (; w->type; w++)
		if (find(w) < 0)
			return 0;
	return 1;
}

static void dump(void)
{
	for (int i = 0; i < nev; i++)
		fprintf(stderr,
			"  ev %s %s proc=%s parent=%s res=%s data=%s result=%s cid=%s pid=%d/%d\n",
			evs[i].type, evs[i].op, evs[i].proc, evs[i].parent, evs[i].res, evs[i].data,
			evs[i].result, evs[i].cid, evs[i].pid, evs[i].host_pid);
}

/* A directory chain deeper than the kernel walk's bound (BW_MON_PATH_DEPTH). */
static int make_deep(char *path, size_t len)
{
	snprintf(path, len, "/tmp/bw-deep-%d", getpid());
	if (mkdir(path, 0700))
		return -1;
	for (int i = 0; i < BW_MON_PATH_DEPTH + 6; i++) {
		size_t l = strlen(path);

		if (l + 3 >= len)
			return -1;
		strcat(path, "/d");
		if (mkdir(path, 0700))
			return -1;
	}
	strcat(path, "/f");
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/*
 * In a private mount namespace without tracefs and securityfs, the monitor's
 * preparation mounts both again (the real host's mounts are not touched).
 */
static int check_fs_mounting(void)
{
	pid_t p = fork();
	int st = 0;

	if (p == 0) {
		char err[256];

		if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(77);
		umount2("/sys/kernel/tracing", MNT_DETACH);
		umount2("/sys/kernel/debug/tracing", MNT_DETACH);
		umount2("/sys/kernel/security", MNT_DETACH);
		if (access("/sys/kernel/tracing/events", F_OK) == 0 ||
		    access("/sys/kernel/security/lsm", F_OK) == 0)
			_exit(77); /* could not take them away: nothing to prove */
		if (bw_monitor_prepare_fs(err, sizeof(err))) {
			fprintf(stderr, "prepare_fs: %s\n", err);
			_exit(1);
		}
		_exit(access("/sys/kernel/tracing/events/sched", F_OK) == 0 &&
			      access("/sys/kernel/security/lsm", F_OK) == 0
			  ? 0
			  : 2);
	}
	waitpid(p, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static struct bw_containers *g_cs;

static int container_gone(void *arg)
{
	return bw_containers_by_id(g_cs, arg) == NULL;
}

static void count_record(void *arg, const struct bw_mon_hdr *h, const char *data, size_t len)
{
	(*(int *)arg)++;
}

/*
 * A second monitor with the smallest ring buffer, not drained while a child
 * opens a file many times: the kernel's loss counter must say so.
 */
static void check_loss_counter(struct event_base *base)
{
	struct bw_monitor *m = NULL;
	int seen = 0;
	char err[256];
	struct bw_monitor_opts o = {.base = base,
				    .on_record = count_record,
				    .arg = &seen,
				    .groups = BW_MON_G_FILE,
				    .ringbuf_bytes = 4096,
				    .drain_ms = -1};
	struct bw_monitor_stats st;

	if (bw_monitor_new(&m, &o, err, sizeof(err))) {
		check(0, "second monitor loads (%s)", err);
		return;
	}
	pid_t p = fork();

	if (p == 0) {
		for (int i = 0; i < 2000; i++) {
			int fd = open("/etc/hostname", O_RDONLY);

			if (fd >= 0)
				close(fd);
		}
		_exit(0);
	}
	waitpid(p, NULL, 0);
	bw_monitor_stats(m, &st);
	check(st.lost_ringbuf > 0, "full ring buffer counted: lost_ringbuf=%llu",
	      (unsigned long long)st.lost_ringbuf);
	bw_monitor_drain(m);
	bw_monitor_stats(m, &st);
	check(st.records > 0 && (uint64_t)seen == st.records,
	      "records delivered after the loss: %d", seen);
	bw_monitor_free(m);
}

/* Host actions in children (the test process itself is not reported). */
static void host_actions(int port)
{
	pid_t p = fork();

	if (p == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl("/bin/cat", "cat", "/etc/hostname", (char *)NULL);
		_exit(127);
	}
	waitpid(p, NULL, 0);
	p = fork();
	if (p == 0) {
		int s = socket(AF_INET, SOCK_STREAM, 0);
		struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
		int fd;

		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		connect(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
		/* a relative open resolved against the cwd, and a failing one */
		if (chdir("/etc") == 0 && (fd = open("hostname", O_RDONLY)) >= 0)
			close(fd);
		open("/nonexistent-bulwark/x", O_RDONLY);
		execl("/nonexistent-bulwark/prog", "prog", (char *)NULL); /* fails */
		_exit(0);
	}
	waitpid(p, NULL, 0);
}

static int make_bundle(const char *dir, const char *busybox)
{
	char cmd[4096];
	cJSON *j, *proc, *ann;
	char *txt;
	FILE *f;

	snprintf(cmd, sizeof(cmd),
		 "set -e; mkdir -p %s/rootfs/bin %s/rootfs/etc %s/rootfs/tmp; cp %s "
		 "%s/rootfs/bin/busybox;"
		 " for a in sh cat sleep nc true; do ln -s busybox %s/rootfs/bin/$a; done;"
		 " echo 'root:x:0:0:root:/root:/bin/sh' > %s/rootfs/etc/passwd;"
		 " cd %s && runc spec",
		 dir, dir, dir, busybox, dir, dir, dir, dir);
	if (run(cmd))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s/config.json", dir);
	f = fopen(cmd, "r");
	if (!f)
		return -1;
	txt = calloc(1, 1 << 20);
	fread(txt, 1, (1 << 20) - 1, f);
	fclose(f);
	j = cJSON_Parse(txt);
	free(txt);
	if (!j)
		return -1;
	proc = cJSON_GetObjectItem(j, "process");
	/* this sandbox may not raise rlimits */
	cJSON_DeleteItemFromObject(proc, "rlimits");
	cJSON_ReplaceItemInObject(proc, "terminal", cJSON_CreateFalse());
	const char *args[] = {"sleep", "1000"};
	cJSON_ReplaceItemInObject(proc, "args", cJSON_CreateStringArray(args, 2));
	ann = cJSON_CreateObject();
	cJSON_AddStringToObject(ann, "app", "probe");
	cJSON_AddStringToObject(ann, "tier", "test");
	cJSON_AddStringToObject(ann, "io.kubernetes.pod.name", "probe-pod");
	cJSON_AddStringToObject(ann, "io.kubernetes.pod.namespace", "probe-ns");
	cJSON_AddStringToObject(ann, "io.kubernetes.container.name", "probe-ctr");
	cJSON_AddItemToObject(j, "annotations", ann);
	txt = cJSON_Print(j);
	cJSON_Delete(j);
	f = fopen(cmd, "w");
	if (!f) {
		free(txt);
		return -1;
	}
	fputs(txt, f);
	fclose(f);
	free(txt);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/bw-monprobe-XXXXXX", id[64], cmd[4096], err[512];
	struct event_base *base = NULL;
	struct bw_proctree *pt = NULL;
	struct bw_containers *cs = NULL;
	struct bw_events *ev = NULL;
	struct bw_monitor *mon = NULL;
	const char *busybox = "/bin/busybox";
	int lsock, port, rc, started = 0;
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t al = sizeof(a);

	if (geteuid() != 0)
		skip("needs root (BPF, runc)");
	if (access(busybox, X_OK))
		busybox = "/usr/bin/busybox";
	if (access(busybox, X_OK) || run("command -v runc >/dev/null 2>&1"))
		skip("needs runc and busybox-static");
	bw_log_set_level_name(getenv("BW_LOG") ? getenv("BW_LOG") : "warn");

	base = event_base_new();
	if (bw_proctree_new(&pt))
		skip("out of memory");
	struct bw_containers_opts co = {.base = base, .rescan_ms = 1000};
	rc = bw_containers_new(&cs, &co, err, sizeof(err));
	g_cs = cs;
	check(rc == 0, "container discovery starts (%s)", rc ? err : "");
	if (rc)
		return 1;
	bw_proctree_seed(pt, "/proc", bw_containers_cgroup2(cs));
	unsigned all = BW_VIS_PROCESS | BW_VIS_FILE | BW_VIS_NETWORK | BW_VIS_CAPS;
	struct bw_events_opts eo = {.proctree = pt,
				    .containers = cs,
				    .emit = on_event,
				    .container_visibility = all,
				    .host_visibility = all};
	if (bw_events_new(&ev, &eo))
		skip("out of memory");
	/* failed execs are an opt-in (their syscall tracepoints cost every
	 * syscall on the node); this test asks for them */
	struct bw_monitor_opts mo = {.base = base,
				     .on_record = bw_events_on_record,
				     .arg = ev,
				     .groups = bw_events_groups(ev),
				     .optin_groups = BW_MON_G_EXECFAIL};
	rc = bw_monitor_new(&mon, &mo, err, sizeof(err));
	if (rc == -EPERM || rc == -ENOENT || rc == -EACCES) {
		fprintf(stderr, "SKIP: monitor cannot load here: %s\n", err);
		return 77;
	}
	check(rc == 0, "monitor loads and attaches (%s)", rc ? err : "");
	if (rc)
		return 1;
	check((bw_monitor_groups(mon) & (BW_MON_G_FILE | BW_MON_G_NETWORK)) ==
		  (BW_MON_G_FILE | BW_MON_G_NETWORK),
	      "file and network groups attached");

	/* a listener for the host connect: in this process, which is not reported */
	lsock = socket(AF_INET, SOCK_STREAM, 0);
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	bind(lsock, (struct sockaddr *)&a, sizeof(a));
	listen(lsock, 8);
	getsockname(lsock, (struct sockaddr *)&a, &al);
	port = ntohs(a.sin_port);

	/* ---- host ---- */
	host_actions(port);
	char portsub[64];
	snprintf(portsub, sizeof(portsub), "sin_port=%d sin_addr=127.0.0.1", port);
	struct want host_w[] = {
	    {"HostLog", "Process", "/bin/cat /etc/hostname", "syscall=SYS_EXECVE", "/bin/cat", ""},
	    {"HostLog", "File", "/etc/hostname", "flags=O_RDONLY", "/bin/cat", ""},
	    {"HostLog", "Network", portsub, "syscall=SYS_CONNECT", NULL, ""},
	    {"HostLog", "Network", "domain=AF_INET type=SOCK_STREAM", "syscall=SYS_SOCKET", NULL,
	     ""},
	    {"HostLog", "File", "/nonexistent-bulwark/x", NULL, NULL, ""},
	    {"HostLog", "Process", "/nonexistent-bulwark/prog", "syscall=SYS_EXECVE", NULL, ""},
	    {NULL},
	};
	wait_for(base, have_all, host_w, 5000);
	for (struct want *w = host_w; w->type; w++) {
		int i = find(w);

		check(i >= 0, "host %s event %s", w->op, w->res_sub);
		if (i < 0)
			continue;
		check(evs[i].pid == evs[i].host_pid && evs[i].pid > 0, "host PID %d == HostPID %d",
		      evs[i].pid, evs[i].host_pid);
		check(strcmp(evs[i].cid, "") == 0 && strcmp(evs[i].labels, "") == 0,
		      "host event has no container");
	}
	int i = find(&host_w[5]);
	if (i >= 0)
		check(strcmp(evs[i].result, "No such file or directory") == 0 &&
			  strstr(evs[i].proc, "monitor_probe_test") != NULL,
		      "failed exec Result '%s' ProcessName '%s'", evs[i].result, evs[i].proc);
	i = find(&host_w[4]);
	if (i >= 0)
		check(strcmp(evs[i].result, "No such file or directory") == 0,
		      "failed open Result '%s'", evs[i].result);
	i = find(&host_w[0]);
	if (i >= 0) {
		check(evs[i].host_ppid == getpid(), "host exec HostPPID %d is the test (%d)",
		      evs[i].host_ppid, getpid());
		check(strstr(evs[i].parent, "monitor_probe_test") != NULL,
		      "host exec ParentProcessName '%s'", evs[i].parent);
	}
	struct want rel = {"HostLog", "File", "/etc/hostname", "flags=O_RDONLY", NULL, ""};
	int found_rel = 0;
	for (int k = 0; k < nev; k++)
		if (!strcmp(evs[k].op, "File") && !strcmp(evs[k].res, "/etc/hostname") &&
		    strstr(evs[k].proc, "monitor_probe_test"))
			found_rel = 1;
	(void)rel;
	check(found_rel, "relative open in /etc resolved to /etc/hostname");

	/* a path deeper than the walk's bound is marked, never silently cut */
	char deep[1024];
	if (make_deep(deep, sizeof(deep)) == 0) {
		pid_t p = fork();

		if (p == 0) {
			int fd = open(deep, O_RDONLY);

			_exit(fd < 0);
		}
		waitpid(p, NULL, 0);
		struct want dw = {"HostLog", "File", "/d/d/d/f", NULL, NULL, ""};
		struct want dws[] = {dw, {NULL}};

		wait_for(base, have_all, dws, 3000);
		i = find(&dw);
		check(i >= 0 && strncmp(evs[i].res, "<truncated>", 11) == 0 &&
			  strlen(evs[i].res) < strlen(deep),
		      "deep path marked truncated: '%.40s...'", i >= 0 ? evs[i].res : "(none)");
		snprintf(cmd, sizeof(cmd), "rm -rf /tmp/bw-deep-%d", getpid());
		run(cmd);
	} else {
		check(0, "creating a deep directory chain");
	}

	check_loss_counter(base);

	rc = check_fs_mounting();
	if (rc == 77)
		fprintf(stderr, "note: could not hide tracefs/securityfs in a private namespace\n");
	else
		check(rc == 0, "monitor mounts missing tracefs and securityfs (rc %d)", rc);

	/* ---- container ---- */
	if (!mkdtemp(dir))
		skip("mkdtemp failed");
	snprintf(id, sizeof(id), "bwprobe%d", getpid());
	if (make_bundle(dir, busybox)) {
		check(0, "building the busybox bundle in %s", dir);
		goto cleanup;
	}
	snprintf(cmd, sizeof(cmd), "runc run -d --bundle %s %s </dev/null >%s/run.log 2>&1", dir,
		 id, dir);
	if (run(cmd)) {
		snprintf(cmd, sizeof(cmd), "cat %s/run.log >&2", dir);
		run(cmd);
		check(0, "runc run -d %s", id);
		goto cleanup;
	}
	started = 1;
	snprintf(cmd, sizeof(cmd),
		 "runc exec %s sh -c '/bin/cat /etc/passwd >/dev/null; /bin/nc 127.0.0.1 9 "
		 "</dev/null; /bin/nc -l -p 8080 </dev/null >/dev/null & sleep 0.5; "
		 "/bin/nc -w 1 127.0.0.1 8080 </dev/null; kill $! 2>/dev/null; true'"
		 " >/dev/null 2>&1",
		 id);
	run(cmd);
	struct want ctr_w[] = {
	    {"ContainerLog", "Process", "/bin/cat /etc/passwd", "syscall=SYS_EXECVE", "/bin/cat",
	     id},
	    {"ContainerLog", "File", "/etc/passwd", "flags=O_RDONLY", "/bin/cat", id},
	    {"ContainerLog", "Network", "sin_port=9 sin_addr=127.0.0.1", "syscall=SYS_CONNECT",
	     "/bin/nc", id},
	    /* in the container's own network namespace; the accept is
	     * established in softirq context and still the listener's */
	    {"ContainerLog", "Network", "port=8080", "syscall=SYS_LISTEN", "/bin/nc", id},
	    {"ContainerLog", "Network", "addr=", "syscall=SYS_ACCEPT", "/bin/nc", id},
	    {NULL},
	};
	wait_for(base, have_all, ctr_w, 5000);
	const struct bw_container *c = bw_containers_by_id(cs, id);
	check(c != NULL, "container %s discovered", id);
	if (c)
		check(c->cgroup_id != 0, "container cgroup id %llu",
		      (unsigned long long)c->cgroup_id);
	for (struct want *w = ctr_w; w->type; w++) {
		i = find(w);
		check(i >= 0, "container %s event %s", w->op, w->res_sub);
		if (i < 0)
			continue;
		struct rec *r = &evs[i];

		check(strcmp(r->cname, "probe-ctr") == 0, "ContainerName '%s'", r->cname);
		check(strcmp(r->labels, "app=probe,tier=test") == 0, "Labels '%s'", r->labels);
		check(strcmp(r->ns, "probe-ns") == 0 && strcmp(r->pod, "probe-pod") == 0,
		      "NamespaceName '%s' PodName '%s'", r->ns, r->pod);
		check(r->pid > 0 && r->host_pid > 0 && r->pid != r->host_pid && r->pid < 100,
		      "PID %d (container view) vs HostPID %d", r->pid, r->host_pid);
		check(r->ppid > 0 && r->host_ppid > 0 && r->ppid != r->host_ppid,
		      "PPID %d (container view) vs HostPPID %d", r->ppid, r->host_ppid);
		check(strcmp(r->parent, "/bin/sh") == 0, "ParentProcessName '%s'", r->parent);
	}
	i = find(&ctr_w[0]);
	if (i >= 0)
		check(strcmp(evs[i].source, "/bin/sh") == 0 && strcmp(evs[i].result, "Passed") == 0,
		      "exec Source '%s' Result '%s'", evs[i].source, evs[i].result);
	i = find(&ctr_w[1]);
	if (i >= 0)
		check(strcmp(evs[i].source, "/bin/cat /etc/passwd") == 0, "open Source '%s'",
		      evs[i].source);
	i = find(&ctr_w[2]);
	if (i >= 0)
		check(strcmp(evs[i].result, "Connection refused") == 0, "connect Result '%s'",
		      evs[i].result);

	if (c) {
		struct stat hs;

		check(c->pid_ns && c->mnt_ns && stat("/proc/self/ns/pid", &hs) == 0 &&
			  c->pid_ns != (uint32_t)hs.st_ino,
		      "container pid ns %u differs from the host's", c->pid_ns);
	}

	/* a process in a cgroup nested below the container's is the container's */
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/%s/bwsub", bw_containers_cgroup2(cs), id);
	if (mkdir(sub, 0755) == 0) {
		pid_t p = fork();

		if (p == 0) {
			char procs[600], me[32];
			int fd, null = open("/dev/null", O_WRONLY);

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", sub);
			snprintf(me, sizeof(me), "%d", getpid());
			fd = open(procs, O_WRONLY);
			if (fd < 0 || write(fd, me, strlen(me)) < 0)
				_exit(126);
			close(fd);
			dup2(null, 1);
			execl("/bin/cat", "cat", "/etc/hostname", (char *)NULL);
			_exit(127);
		}
		int wst = 0;

		waitpid(p, &wst, 0);
		struct want nw[] = {
		    {"ContainerLog", "Process", "/bin/cat /etc/hostname", NULL, "/bin/cat", id},
		    {NULL}};
		wait_for(base, have_all, nw, 3000);
		check(WIFEXITED(wst) && WEXITSTATUS(wst) == 0 && find(&nw[0]) >= 0,
		      "exec in a nested cgroup attributed to container %s", id);
		rmdir(sub);
	} else {
		check(0, "creating nested cgroup %s: %s", sub, strerror(errno));
	}

	/* stopping the container removes it (inotify on runc's state dir) */
	snprintf(cmd, sizeof(cmd), "runc delete -f %s >/dev/null 2>&1", id);
	run(cmd);
	started = 0;
	wait_for(base, container_gone, id, 3000);
	check(bw_containers_by_id(cs, id) == NULL, "container %s gone after runc delete", id);

	struct bw_monitor_stats st;
	bw_monitor_stats(mon, &st);
	check(st.records > 0 && st.malformed == 0, "records %llu malformed %llu lost %llu",
	      (unsigned long long)st.records, (unsigned long long)st.malformed,
	      (unsigned long long)st.lost_ringbuf);

	/* visibility off for file: the file programs detach, no more File events */
	bw_events_set_visibility(ev, NULL, BW_VIS_PROCESS);
	bw_events_set_visibility(ev, "probe-ns", BW_VIS_PROCESS);
	eo.container_visibility = BW_VIS_PROCESS;
	bw_events_set_visibility(ev, "container_namespace", BW_VIS_PROCESS);
	rc = bw_monitor_set_groups(mon, BW_MON_G_PROCESS);
	check(rc == 0 && !(bw_monitor_groups(mon) & BW_MON_G_FILE), "file group detached");

cleanup:
	if (failures)
		dump();
	if (started) {
		snprintf(cmd, sizeof(cmd), "runc delete -f %s >/dev/null 2>&1", id);
		run(cmd);
	}
	if (dir[sizeof(dir) - 7] != 'X') {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		run(cmd);
	}
	bw_monitor_free(mon);
	bw_events_free(ev);
	bw_containers_free(cs);
	bw_proctree_free(pt);
	event_base_free(base);
	fprintf(stderr, "%s: %d failure(s), %d events\n", failures ? "FAIL" : "PASS", failures,
		nev);
	return failures ? 1 : 0;
}
