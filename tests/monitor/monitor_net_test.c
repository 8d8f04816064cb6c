/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Network events on this kernel, from the cgroup hooks and the sock state
 * tracepoint (bpf/monitor_net.bpf.c), with their Results and owners:
 *
 *   server child: socket, bind 127.0.0.1:0, listen(5), accept one connection
 *   client child: TCP connect to it (Passed), to a closed port (Connection
 *                 refused), over IPv6 to a closed port when ::1 exists, and a
 *                 UDP connect (Passed)
 *
 * Every event must carry the right HostPID: the accept is the server's (the
 * listener's owner) although the kernel establishes it in softirq context.
 * A server that was listening before the monitor started (learnt from /proc)
 * gets its accept reported too.
 *
 * Needs root and BPF; exits 77 saying why when they are missing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <event2/event.h>

#include "bpf_testutil.h"
#include "bw_log.h"
#include "bw_time.h"
#include "events.h"
#include "monitor.h"
#include "proctree.h"

#define MAXEV 4096

struct rec {
	char op[32], res[160], data[96], result[64];
	int host_pid;
};

static struct rec evs[MAXEV];
static int nev;
static pid_t server, client, early;


static void on_event(void *arg, Bulwark__V1__Event *ev)
{
	struct rec *r;

	/* other work on this machine is monitored too: keep our children's */
	if (nev >= MAXEV ||
	    (ev->host_pid != server && ev->host_pid != client && ev->host_pid != early))
		return;
	r = &evs[nev++];
	snprintf(r->op, sizeof(r->op), "%s", ev->operation);
	snprintf(r->res, sizeof(r->res), "%s", ev->resource);
	snprintf(r->data, sizeof(r->data), "%s", ev->data);
	snprintf(r->result, sizeof(r->result), "%s", ev->result);
	r->host_pid = ev->host_pid;
}

struct want {
	const char *res, *data, *result;
	pid_t *pid;
};

static int find(const struct want *w)
{
	for (int i = 0; i < nev; i++)
		if (!strcmp(evs[i].op, "Network") && strstr(evs[i].res, w->res) &&
		    strstr(evs[i].data, w->data) && evs[i].host_pid == *w->pid &&
		    (!w->result || !strcmp(evs[i].result, w->result)))
			return i;
	return -1;
}

static int have_all(const struct want *w)
{
	for (; w->res; w++)
		if (find(w) < 0)
			return 0;
	return 1;
}

static void wait_for(struct event_base *base, const struct want *w, int timeout_ms)
{
	uint64_t end = bw_mono_ns() + (uint64_t)timeout_ms * 1000000ull;

	while (bw_mono_ns() < end && !have_all(w)) {
		struct timeval tv = {0, 50 * 1000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
}

/* A loopback port nothing listens on: bound (so nobody else takes it) but not listening. */
static int closed_port(int family, int *holder)
{
	struct sockaddr_storage ss = {0};
	socklen_t l = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int s = socket(family, SOCK_STREAM, 0);

	ss.ss_family = family;
	if (family == AF_INET)
		inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&ss)->sin_addr);
	else
		inet_pton(AF_INET6, "::1", &((struct sockaddr_in6 *)&ss)->sin6_addr);
	if (s < 0 || bind(s, (struct sockaddr *)&ss, l) ||
	    getsockname(s, (struct sockaddr *)&ss, &l)) {
		if (s >= 0)
			close(s);
		return -1;
	}
	*holder = s;
	return ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
				       : ((struct sockaddr_in6 *)&ss)->sin6_port);
}

static int tcp_connect(int family, int port)
{
	struct sockaddr_storage ss = {0};
	socklen_t l = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int s = socket(family, SOCK_STREAM, 0);

	ss.ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
		inet_pton(AF_INET, "127.0.0.1", &((struct sockaddr_in *)&ss)->sin_addr);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		inet_pton(AF_INET6, "::1", &((struct sockaddr_in6 *)&ss)->sin6_addr);
	}
	if (connect(s, (struct sockaddr *)&ss, l)) {
		close(s);
		return -errno;
	}
	return s;
}

/* A child listening on 127.0.0.1: reports its port, accepts one connection,
 * waits for a byte on go. */
static pid_t start_server(int to_parent, int go)
{
	pid_t p = fork();

	if (p == 0) {
		struct sockaddr_in a = {.sin_family = AF_INET};
		socklen_t al = sizeof(a);
		int s = socket(AF_INET, SOCK_STREAM, 0), c, pt;
		char x;

		inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
		if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 5) ||
		    getsockname(s, (struct sockaddr *)&a, &al))
			_exit(1);
		pt = ntohs(a.sin_port);
		if (write(to_parent, &pt, sizeof(pt)) != sizeof(pt))
			_exit(1);
		c = accept(s, NULL, NULL);
		(void)!read(go, &x, 1); /* stay alive until the parent saw everything */
		_exit(c < 0);
	}
	return p;
}

int main(void)
{
	struct event_base *base;
	struct bw_proctree *pt = NULL;
	struct bw_events *ev = NULL;
	struct bw_monitor *mon = NULL;
	char err[512];
	int to_parent[2], go[2], port = 0, cport = 0, eport = 0, refused4, refused6 = -1, h4 = -1,
				 h6 = -1;
	int rc;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: needs root (BPF)\n");
		return 77;
	}
	bw_log_set_level_name(getenv("BW_LOG") ? getenv("BW_LOG") : "warn");
	if (pipe(to_parent) || pipe(go))
		return 1;
	/* listening before the monitor exists */
	early = start_server(to_parent[1], go[0]);
	if (early < 0 || read(to_parent[0], &eport, sizeof(eport)) != sizeof(eport))
		return 1;
	base = event_base_new();
	if (!base || bw_proctree_new(&pt))
		return 1;
	bw_proctree_seed(pt, "/proc", NULL);
	struct bw_events_opts eo = {.proctree = pt,
				    .emit = on_event,
				    .container_visibility = BW_VIS_NETWORK,
				    .host_visibility = BW_VIS_NETWORK};
	if (bw_events_new(&ev, &eo))
		return 1;
	struct bw_monitor_opts mo = {.base = base,
				     .on_record = bw_events_on_record,
				     .arg = ev,
				     .groups = bw_events_groups(ev)};
	rc = bw_monitor_new(&mon, &mo, err, sizeof(err));
	if (rc == -EPERM || rc == -ENOENT || rc == -EACCES) {
		fprintf(stderr, "SKIP: monitor cannot load here: %s\n", err);
		return 77;
	}
	check(rc == 0, "monitor loads (%s)", rc ? err : "");
	if (rc)
		return 1;
	if (!(bw_monitor_groups(mon) & BW_MON_G_NETWORK)) {
		fprintf(stderr, "SKIP: no network group here (no cgroup v2?)\n");
		return 77;
	}
	/* ports nobody listens on, held by this (unreported) process */
	refused4 = closed_port(AF_INET, &h4);
	refused6 = closed_port(AF_INET6, &h6);
	if (refused4 < 0)
		return 1;

	server = start_server(to_parent[1], go[0]);
	if (server < 0 || read(to_parent[0], &port, sizeof(port)) != sizeof(port)) {
		check(0, "server reports its port");
		goto out;
	}
	client = fork();
	if (client == 0) {
		struct sockaddr_in a;
		socklen_t al = sizeof(a);
		struct sockaddr_in dns = {.sin_family = AF_INET, .sin_port = htons(53)};
		int s = tcp_connect(AF_INET, port), u;

		if (s < 0 || getsockname(s, (struct sockaddr *)&a, &al))
			_exit(1);
		cport = ntohs(a.sin_port);
		if (write(to_parent[1], &cport, sizeof(cport)) != sizeof(cport))
			_exit(1);
		/* the server that listened before the monitor: kept open so
		 * the accept is not raced by the close */
		if (tcp_connect(AF_INET, eport) < 0)
			_exit(5);
		if (tcp_connect(AF_INET, refused4) != -ECONNREFUSED)
			_exit(2);
		if (refused6 > 0 && tcp_connect(AF_INET6, refused6) != -ECONNREFUSED)
			_exit(3);
		u = socket(AF_INET, SOCK_DGRAM, 0);
		inet_pton(AF_INET, "127.0.0.1", &dns.sin_addr);
		if (connect(u, (struct sockaddr *)&dns, sizeof(dns)))
			_exit(4);
		_exit(0);
	}
	int st = 0;

	(void)!read(to_parent[0], &cport, sizeof(cport));
	waitpid(client, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "client did its connects (exit %d)",
	      WIFEXITED(st) ? WEXITSTATUS(st) : -1);

	char lport[64], rport[64], peer[64], r6[96], elport[64];

	snprintf(lport, sizeof(lport), "sa_family=AF_INET sin_port=%d sin_addr=127.0.0.1", port);
	snprintf(rport, sizeof(rport), "sa_family=AF_INET sin_port=%d sin_addr=127.0.0.1",
		 refused4);
	snprintf(peer, sizeof(peer), "sa_family=AF_INET sin_port=%d sin_addr=127.0.0.1", cport);
	snprintf(elport, sizeof(elport), "sa_family=AF_INET sin_port=%d sin_addr=127.0.0.1", eport);
	snprintf(r6, sizeof(r6), "sa_family=AF_INET6 sin6_port=%d sin6_addr=::1", refused6);
	struct want w[] = {
	    {"domain=AF_INET type=SOCK_STREAM protocol=6", "syscall=SYS_SOCKET", "Passed", &server},
	    {lport, "syscall=SYS_BIND", "Passed", &server},
	    {lport, "syscall=SYS_LISTEN backlog=5", "Passed", &server},
	    {peer, "syscall=SYS_ACCEPT", "Passed", &server},
	    {lport, "syscall=SYS_CONNECT", "Passed", &client},
	    {rport, "syscall=SYS_CONNECT", "Connection refused", &client},
	    {"sin_port=53 sin_addr=127.0.0.1", "syscall=SYS_CONNECT", "Passed", &client},
	    {"domain=AF_INET type=SOCK_DGRAM protocol=17", "syscall=SYS_SOCKET", "Passed", &client},
	    {elport, "syscall=SYS_CONNECT", "Passed", &client},
	    {"sin_addr=127.0.0.1", "syscall=SYS_ACCEPT", "Passed", &early},
	    {refused6 > 0 ? r6 : NULL, "syscall=SYS_CONNECT", "Connection refused", &client},
	    {NULL},
	};
	wait_for(base, w, 5000);
	for (struct want *x = w; x->res; x++)
		check(find(x) >= 0, "%s %s %s (HostPID %d)", x->data, x->res, x->result, *x->pid);
	if (refused6 <= 0)
		fprintf(stderr, "note: no ::1 here, IPv6 connect not checked\n");
	/* the refused connect is reported once, with its outcome only */
	int n = 0;

	for (int i = 0; i < nev; i++)
		n += strstr(evs[i].res, rport) != NULL;
	check(n == 1, "refused connect reported once (%d)", n);
out:
	(void)!write(go[1], "xx", 2);
	waitpid(server, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "server accepted its connection");
	waitpid(early, &st, 0);
	check(WIFEXITED(st) && WEXITSTATUS(st) == 0, "early server accepted its connection");
	if (failures)
		for (int i = 0; i < nev; i++)
			fprintf(stderr, "  ev %s res=%s data=%s result=%s HostPID=%d\n", evs[i].op,
				evs[i].res, evs[i].data, evs[i].result, evs[i].host_pid);
	close(h4);
	if (h6 >= 0)
		close(h6);
	bw_monitor_free(mon);
	bw_events_free(ev);
	bw_proctree_free(pt);
	event_base_free(base);
	fprintf(stderr, "%s: %d failure(s), %d events\n", failures ? "FAIL" : "PASS", failures,
		nev);
	return failures ? 1 : 0;
}
