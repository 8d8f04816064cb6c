/* SPDX-License-Identifier: Apache-2.0 */
/* Listeners that predate the monitor: see monitor_seed.h. */
#include "monitor_seed.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "bw_array.h"
#include "containers.h"
#include "monitor.h"

#define TCP_LISTEN_HEX "0A"

struct listener {
	uint64_t inode; /* the socket's inode: what /proc/<pid>/fd links name */
	uint32_t netns;
	uint16_t family;
	uint16_t port;
	uint32_t owner; /* lowest pid holding it, 0 while unknown */
};

struct seed {
	struct listener *l;
	size_t n, cap;
	uint32_t *netns_seen;
	size_t nnetns;
};

static uint32_t ns_inode(const char *proc, uint32_t pid, const char *ns)
{
	char p[PATH_MAX];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%u/ns/%s", proc, pid, ns);
	return stat(p, &st) ? 0 : (uint32_t)st.st_ino;
}

static int add_listener(struct seed *s, uint64_t inode, uint32_t netns, uint16_t family,
			uint16_t port)
{
	if (BW_GROW(s->l, s->cap, s->n + 1))
		return -ENOMEM;
	s->l[s->n++] = (struct listener){inode, netns, family, port, 0};
	return 0;
}

/* The LISTEN lines of one /proc/<pid>/net/tcp or tcp6 file. */
static int read_tcp_table(struct seed *s, const char *path, uint32_t netns, uint16_t family)
{
	FILE *f = fopen(path, "re");
	char line[512];
	int rc = 0;

	if (!f)
		return 0; /* the process is gone, or no IPv6: nothing to learn */
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		char local[64], st[8];
		unsigned long long inode;
		unsigned port;
		const char *colon;

		/* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
		if (sscanf(line, " %*s %63s %*s %7s %*s %*s %*s %*s %*s %llu", local, st, &inode) !=
			3 ||
		    strcmp(st, TCP_LISTEN_HEX) != 0 || !inode)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &port) != 1)
			continue;
		rc = add_listener(s, inode, netns, family, (uint16_t)port);
	}
	fclose(f);
	return rc;
}

static int is_pid(const char *name)
{
	if (!*name)
		return 0;
	for (; *name; name++)
		if (!isdigit((unsigned char)*name))
			return 0;
	return 1;
}

/* Reads each network namespace's tables once, through its first process. */
static int collect_listeners(struct seed *s, const char *proc, DIR *d)
{
	struct dirent *de;

	while ((de = readdir(d))) {
		uint32_t pid, netns;
		char p[PATH_MAX];
		size_t i;
		int rc;

		if (!is_pid(de->d_name))
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		netns = ns_inode(proc, pid, "net");
		if (!netns)
			continue;
		for (i = 0; i < s->nnetns && s->netns_seen[i] != netns; i++)
			;
		if (i < s->nnetns)
			continue;
		uint32_t *ns = realloc(s->netns_seen, (s->nnetns + 1) * sizeof(*ns));

		if (!ns)
			return -ENOMEM;
		s->netns_seen = ns;
		ns[s->nnetns++] = netns;
		snprintf(p, sizeof(p), "%s/%u/net/tcp", proc, pid);
		rc = read_tcp_table(s, p, netns, 2 /* AF_INET */);
		snprintf(p, sizeof(p), "%s/%u/net/tcp6", proc, pid);
		if (!rc)
			rc = read_tcp_table(s, p, netns, 10 /* AF_INET6 */);
		if (rc)
			return rc;
	}
	return 0;
}

/* Marks the listeners whose sockets pid holds. */
static void match_fds(struct seed *s, const char *proc, uint32_t pid)
{
	char p[PATH_MAX], link[64];
	struct dirent *de;
	DIR *d;

	snprintf(p, sizeof(p), "%s/%u/fd", proc, pid);
	d = opendir(p);
	if (!d)
		return;
	while ((de = readdir(d))) {
		unsigned long long inode;
		char fp[PATH_MAX + 256];
		ssize_t n;

		if (!is_pid(de->d_name))
			continue;
		snprintf(fp, sizeof(fp), "%s/%s", p, de->d_name);
		n = readlink(fp, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		if (sscanf(link, "socket:[%llu]", &inode) != 1)
			continue;
		for (size_t i = 0; i < s->n; i++)
			if (s->l[i].inode == inode && (!s->l[i].owner || pid < s->l[i].owner))
				s->l[i].owner = pid;
	}
	closedir(d);
}

/* The innermost pid in an "NSpid:" line. */
static uint32_t last_number(const char *v)
{
	const char *sp = strrchr(v, '\t');

	if (!sp)
		sp = strrchr(v, ' ');
	return (uint32_t)strtoul(sp ? sp + 1 : v, NULL, 10);
}

/* The identity the kernel side would have recorded at listen(). */
static int identity(const char *proc, const char *cg2, uint32_t pid, struct bw_mon_hdr *h)
{
	char p[PATH_MAX], line[256], pns[256] = "";
	FILE *f;

	memset(h, 0, sizeof(*h));
	snprintf(p, sizeof(p), "%s/%u/status", proc, pid);
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned a;

		line[strcspn(line, "\n")] = 0;
		if (sscanf(line, "Tgid: %u", &a) == 1)
			h->pid = h->tid = a;
		else if (sscanf(line, "PPid: %u", &a) == 1)
			h->ppid = a;
		else if (sscanf(line, "Uid: %u", &a) == 1)
			h->uid = a;
		else if (sscanf(line, "Gid: %u", &a) == 1)
			h->gid = a;
		else if (strncmp(line, "NSpid:", 6) == 0)
			h->ns_pid = last_number(line + 6);
	}
	fclose(f);
	if (!h->pid)
		return -ESRCH;
	h->pid_ns = ns_inode(proc, pid, "pid");
	h->mnt_ns = ns_inode(proc, pid, "mnt");
	/* the parent's number in the same namespace; 0 when it is outside */
	if (h->ppid && ns_inode(proc, h->ppid, "pid") == h->pid_ns) {
		snprintf(p, sizeof(p), "%s/%u/status", proc, h->ppid);
		f = fopen(p, "re");
		while (f && fgets(line, sizeof(line), f))
			if (strncmp(line, "NSpid:", 6) == 0)
				snprintf(pns, sizeof(pns), "%s", line + 6);
		if (f)
			fclose(f);
		if (*pns)
			h->ns_ppid = last_number(pns);
	}
	snprintf(p, sizeof(p), "%s/%u/comm", proc, pid);
	f = fopen(p, "re");
	if (f) {
		if (fgets(h->comm, sizeof(h->comm), f))
			h->comm[strcspn(h->comm, "\n")] = 0;
		fclose(f);
	}
	h->cgroup_id = cg2 ? bw_cgroup_id_of_pid(proc, cg2, pid) : 0;
	return 0;
}

int bw_monitor_seed_listeners(int map_fd, const char *proc_root, const char *cgroup2_mnt,
			      uint32_t skip_tgid)
{
	struct seed s = {0};
	struct dirent *de;
	DIR *d = opendir(proc_root);
	int rc, written = 0;

	if (!d)
		return -errno;
	rc = collect_listeners(&s, proc_root, d);
	if (rc || !s.n)
		goto cleanup;
	rewinddir(d);
	while ((de = readdir(d))) {
		uint32_t pid;

		if (!is_pid(de->d_name))
			continue;
		pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		if (pid != skip_tgid)
			match_fds(&s, proc_root, pid);
	}
	for (size_t i = 0; i < s.n; i++) {
		struct bw_listen_key k = {s.l[i].netns, s.l[i].family, s.l[i].port};
		struct bw_mon_hdr h;

		if (!s.l[i].owner || identity(proc_root, cgroup2_mnt, s.l[i].owner, &h))
			continue;
		h.type = BW_MON_LISTEN;
		h.sys = BW_SYS_LISTEN;
		if (bpf_map_update_elem(map_fd, &k, &h, BPF_ANY) == 0)
			written++;
	}
cleanup:
	closedir(d);
	free(s.l);
	free(s.netns_seen);
	return rc ? rc : written;
}
