/* SPDX-License-Identifier: Apache-2.0 */
/* Process tree: see proctree.h. */
#include "proctree.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bw_file.h"
#include "containers.h"
#include "monitor.h"

struct node {
	struct bw_proc p;
	struct node *next;
};

struct bw_proctree {
	struct node **buckets;
	size_t nbuckets; /* power of two */
	size_t count;
	uint64_t next_exec_id;
};

#define TRUNC_MARK "<truncated>"

int bw_proctree_new(struct bw_proctree **out)
{
	struct bw_proctree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->nbuckets = 1024;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->next_exec_id = 1;
	*out = t;
	return 0;
}

static void node_free(struct node *n)
{
	free(n->p.path);
	free(n->p.exe);
	free(n->p.cmdline);
	free(n->p.cwd);
	free(n);
}

void bw_proctree_free(struct bw_proctree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct node *n = t->buckets[i];

		while (n) {
			struct node *next = n->next;

			node_free(n);
			n = next;
		}
	}
	free(t->buckets);
	free(t);
}

static size_t slot(const struct bw_proctree *t, uint32_t pid)
{
	return (pid * 2654435761u) & (t->nbuckets - 1);
}

static struct node *find(const struct bw_proctree *t, uint32_t pid)
{
	for (struct node *n = t->buckets[slot(t, pid)]; n; n = n->next)
		if (n->p.pid == pid)
			return n;
	return NULL;
}

static void grow(struct bw_proctree *t)
{
	size_t nb = t->nbuckets * 2;
	struct node **b = calloc(nb, sizeof(*b));

	if (!b)
		return; /* keep the longer chains: still correct */
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct node *n = t->buckets[i];

		while (n) {
			struct node *next = n->next;
			size_t s = (n->p.pid * 2654435761u) & (nb - 1);

			n->next = b[s];
			b[s] = n;
			n = next;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = nb;
}

/* The entry for pid, created empty when missing; NULL only without memory. */
static struct node *upsert(struct bw_proctree *t, uint32_t pid)
{
	struct node *n = find(t, pid);
	size_t s;

	if (n)
		return n;
	if (t->count >= t->nbuckets * 2)
		grow(t);
	n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->p.pid = pid;
	n->p.path = strdup("");
	n->p.exe = strdup("");
	n->p.cmdline = strdup("");
	n->p.cwd = strdup("");
	if (!n->p.path || !n->p.exe || !n->p.cmdline || !n->p.cwd) {
		node_free(n);
		return NULL;
	}
	s = slot(t, pid);
	n->next = t->buckets[s];
	t->buckets[s] = n;
	t->count++;
	return n;
}

static void set_str(char **dst, char *val)
{
	if (!val)
		return; /* out of memory: keep the old value rather than none */
	free(*dst);
	*dst = val;
}

char *bw_proc_path_str(const char *p, size_t len, int truncated)
{
	size_t pre = truncated ? strlen(TRUNC_MARK) : 0;
	char *s = malloc(pre + len + 1);

	if (!s)
		return NULL;
	memcpy(s, TRUNC_MARK, pre);
	if (len)
		memcpy(s + pre, p, len);
	s[pre + len] = 0;
	return s;
}

char *bw_proc_cmdline(const char *path, const char *argv, size_t argv_len, int truncated)
{
	size_t plen = strlen(path);
	size_t cap = plen + argv_len + sizeof(" " TRUNC_MARK) + 1;
	char *s = malloc(cap);
	size_t o = 0, i = 0;

	if (!s)
		return NULL;
	memcpy(s, path, plen);
	o = plen;
	/* skip argv[0]: the resolved path stands for it */
	while (i < argv_len && argv[i])
		i++;
	i++;
	while (i < argv_len) {
		size_t start = i;

		while (i < argv_len && argv[i])
			i++;
		if (i > start || i < argv_len) {
			s[o++] = ' ';
			for (size_t k = start; k < i; k++)
				s[o++] = isprint((unsigned char)argv[k]) ? argv[k] : '?';
		}
		i++;
	}
	if (truncated) {
		memcpy(s + o, " " TRUNC_MARK, strlen(" " TRUNC_MARK));
		o += strlen(" " TRUNC_MARK);
	}
	s[o] = 0;
	return s;
}

/* /proc/self/exe, /proc/<pid>/exe, /dev/fd/<n>: a name that is not a path. */
static int self_exec(const char *s, size_t len)
{
	if (len > 6 && strncmp(s, "/proc/", 6) == 0 && len >= 4 &&
	    strncmp(s + len - 4, "/exe", 4) == 0)
		return 1;
	return len > 8 && strncmp(s, "/dev/fd/", 8) == 0;
}

/* The executed name made absolute ("./x" run in /srv is "/srv/x"). */
static char *exec_name(const char *s, size_t len, int truncated, const char *cwd)
{
	char *out;
	size_t cl;

	if (!s || !len || s[0] == '/' || truncated)
		return bw_proc_path_str(s ? s : "", len, truncated);
	while (len >= 2 && s[0] == '.' && s[1] == '/') {
		s += 2;
		len -= 2;
	}
	cl = strlen(cwd);
	out = malloc(cl + len + 2);
	if (!out)
		return NULL;
	memcpy(out, cwd, cl);
	if (!cl || cwd[cl - 1] != '/')
		out[cl++] = '/';
	memcpy(out + cl, s, len);
	out[cl + len] = 0;
	return out;
}

static void take_ident(struct bw_proc *p, const struct bw_mon_hdr *h)
{
	p->ppid = h->ppid;
	p->ns_pid = h->ns_pid;
	p->ns_ppid = h->ns_ppid;
	p->uid = h->uid;
	p->pid_ns = h->pid_ns;
	p->mnt_ns = h->mnt_ns;
	p->cgroup_id = h->cgroup_id;
	memcpy(p->comm, h->comm, sizeof(p->comm));
	p->comm[sizeof(p->comm) - 1] = 0;
}

void bw_proctree_update(struct bw_proctree *t, const struct bw_mon_hdr *h, const char *data,
			size_t data_len)
{
	struct node *n, *parent;
	size_t len;
	const char *s;

	switch (h->type) {
	case BW_MON_FORK:
		parent = find(t, h->ppid);
		n = upsert(t, h->pid);
		if (!n)
			return;
		take_ident(&n->p, h);
		n->p.exec_id = t->next_exec_id++;
		n->p.start_ns = h->ts_boot_ns;
		n->p.exit_ns = 0;
		/* a forked child runs its parent's image until it execs */
		if (parent && parent != n) {
			set_str(&n->p.path, strdup(parent->p.path));
			set_str(&n->p.exe, strdup(parent->p.exe));
			set_str(&n->p.cmdline, strdup(parent->p.cmdline));
			set_str(&n->p.cwd, strdup(parent->p.cwd));
			memcpy(n->p.tty, parent->p.tty, sizeof(n->p.tty));
		} else {
			set_str(&n->p.path, strdup(""));
			set_str(&n->p.exe, strdup(""));
			set_str(&n->p.cmdline, strdup(""));
			set_str(&n->p.cwd, strdup(""));
			n->p.tty[0] = 0;
		}
		break;
	case BW_MON_EXEC: {
		char *path;

		n = upsert(t, h->pid);
		if (!n)
			return;
		take_ident(&n->p, h);
		n->p.exec_id = t->next_exec_id++;
		n->p.start_ns = h->ts_boot_ns;
		n->p.exit_ns = 0;
		s = bw_mon_str(h, data, 2, &len);
		set_str(&n->p.cwd, bw_proc_path_str(s, len, !!(h->flags & BW_MON_STR_TRUNC(2))));
		s = bw_mon_str(h, data, 4, &len);
		set_str(&n->p.exe, bw_proc_path_str(s, len, !!(h->flags & BW_MON_STR_TRUNC(4))));
		s = bw_mon_str(h, data, 0, &len);
		if (s && self_exec(s, len) && n->p.exe[0] && strncmp(n->p.exe, "<truncated>", 11)) {
			/* re-executing itself (busybox applets, runc init): the name
			 * says nothing, the binary does */
			path = strdup(n->p.exe);
		} else {
			path = exec_name(s, len, !!(h->flags & BW_MON_STR_TRUNC(0)), n->p.cwd);
		}
		if (path) {
			s = bw_mon_str(h, data, 1, &len);
			set_str(&n->p.cmdline, bw_proc_cmdline(path, s ? s : "", len,
							       !!(h->flags & BW_MON_STR_TRUNC(1))));
			set_str(&n->p.path, path);
		}
		s = bw_mon_str(h, data, 3, &len);
		if (len >= sizeof(n->p.tty))
			len = sizeof(n->p.tty) - 1;
		if (s)
			memcpy(n->p.tty, s, len);
		n->p.tty[len] = 0;
		break;
	}
	case BW_MON_EXIT:
		n = find(t, h->pid);
		if (n)
			n->p.exit_ns = h->ts_boot_ns ? h->ts_boot_ns : 1;
		break;
	default:
		break;
	}
	(void)data_len;
}

const struct bw_proc *bw_proctree_get(const struct bw_proctree *t, uint32_t pid)
{
	struct node *n = find(t, pid);

	return n ? &n->p : NULL;
}

size_t bw_proctree_size(const struct bw_proctree *t)
{
	return t->count;
}

void bw_proctree_sweep(struct bw_proctree *t, uint64_t now_boot_ns, uint64_t grace_ns)
{
	for (size_t i = 0; i < t->nbuckets; i++) {
		struct node **pp = &t->buckets[i];

		while (*pp) {
			struct node *n = *pp;

			if (n->p.exit_ns && n->p.exit_ns + grace_ns < now_boot_ns) {
				*pp = n->next;
				node_free(n);
				t->count--;
			} else {
				pp = &n->next;
			}
		}
	}
}

/* ------------------------------------------------------------- /proc */

static char *read_link(const char *path)
{
	char buf[4096];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return NULL;
	buf[n] = 0;
	return strdup(buf);
}

/* Strips the process's root (a container's rootfs) so paths are in its own view. */
static char *in_root_view(char *p, const char *root)
{
	size_t rl;

	if (!p || !root || strcmp(root, "/") == 0)
		return p;
	rl = strlen(root);
	if (strncmp(p, root, rl) == 0 && (p[rl] == '/' || p[rl] == 0)) {
		char *s = strdup(p[rl] ? p + rl : "/");

		if (s) {
			free(p);
			return s;
		}
	}
	return p;
}

/* The last n entries of an "NSpid:" style line; returns how many there are. */
static int ns_ids(const char *status, const char *key, uint32_t *ids, int max)
{
	const char *l = strstr(status, key);
	int n = 0;

	if (!l)
		return 0;
	l += strlen(key);
	while (*l && *l != '\n' && n < max) {
		char *end;
		unsigned long v = strtoul(l, &end, 10);

		if (end == l)
			break;
		ids[n++] = (uint32_t)v;
		l = end;
	}
	return n;
}

static int load_pid(struct bw_proctree *t, uint32_t pid, const char *proc, const char *cg2)
{
	char p[256], buf[8192], *root = NULL;
	uint32_t nspid[32], ppid_ns[32];
	int nlev, plev;
	struct node *n;
	struct stat st;
	ssize_t len;

	snprintf(p, sizeof(p), "%s/%u/status", proc, pid);
	if (bw_read_small(p, buf, sizeof(buf)) < 0)
		return -ESRCH;
	n = upsert(t, pid);
	if (!n)
		return -ENOMEM;
	const char *l = strstr(buf, "\nPPid:");
	n->p.ppid = l ? (uint32_t)strtoul(l + 6, NULL, 10) : 0;
	l = strstr(buf, "\nUid:");
	n->p.uid = l ? (uint32_t)strtoul(l + 5, NULL, 10) : 0;
	l = strstr(buf, "Name:\t");
	if (l) {
		size_t k = 0;

		for (l += 6; *l && *l != '\n' && k < sizeof(n->p.comm) - 1; l++)
			n->p.comm[k++] = *l;
		n->p.comm[k] = 0;
	}
	nlev = ns_ids(buf, "\nNSpid:", nspid, 32);
	n->p.ns_pid = nlev ? nspid[nlev - 1] : pid;
	n->p.ns_ppid = 0;
	snprintf(p, sizeof(p), "%s/%u/status", proc, n->p.ppid);
	if (n->p.ppid && bw_read_small(p, buf, sizeof(buf)) >= 0) {
		plev = ns_ids(buf, "\nNSpid:", ppid_ns, 32);
		if (nlev > 0 && plev >= nlev)
			n->p.ns_ppid = ppid_ns[nlev - 1];
	}
	snprintf(p, sizeof(p), "%s/%u/ns/pid", proc, pid);
	n->p.pid_ns = stat(p, &st) == 0 ? (uint32_t)st.st_ino : 0;
	snprintf(p, sizeof(p), "%s/%u/ns/mnt", proc, pid);
	n->p.mnt_ns = stat(p, &st) == 0 ? (uint32_t)st.st_ino : 0;
	n->p.cgroup_id = cg2 ? bw_cgroup_id_of_pid(proc, cg2, pid) : 0;

	snprintf(p, sizeof(p), "%s/%u/root", proc, pid);
	root = read_link(p);
	snprintf(p, sizeof(p), "%s/%u/exe", proc, pid);
	char *exe = in_root_view(read_link(p), root);
	set_str(&n->p.exe, exe ? exe : strdup(""));
	snprintf(p, sizeof(p), "%s/%u/cwd", proc, pid);
	char *cwd = in_root_view(read_link(p), root);
	set_str(&n->p.cwd, cwd ? cwd : strdup(""));
	snprintf(p, sizeof(p), "%s/%u/cmdline", proc, pid);
	len = bw_read_small(p, buf, sizeof(buf));
	/* as executed when argv[0] says so (busybox applets, symlinks), else the binary */
	set_str(&n->p.path, strdup(len > 0 && buf[0] == '/' ? buf : n->p.exe));
	set_str(&n->p.cmdline, bw_proc_cmdline(n->p.path, buf, len > 0 ? (size_t)len : 0,
					       len >= (ssize_t)sizeof(buf) - 1));
	free(root);
	snprintf(p, sizeof(p), "%s/%u/fd/0", proc, pid);
	char *tty = read_link(p);
	n->p.tty[0] = 0;
	if (tty && strncmp(tty, "/dev/", 5) == 0 &&
	    (strncmp(tty + 5, "pts/", 4) == 0 || strncmp(tty + 5, "tty", 3) == 0))
		snprintf(n->p.tty, sizeof(n->p.tty), "%s", tty + 5);
	free(tty);
	if (!n->p.exec_id)
		n->p.exec_id = t->next_exec_id++;
	return 0;
}

int bw_proctree_seed(struct bw_proctree *t, const char *proc_root, const char *cgroup2_mnt)
{
	DIR *d = opendir(proc_root);
	struct dirent *de;
	int count = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char *end;
		unsigned long pid = strtoul(de->d_name, &end, 10);

		if (*end || !pid)
			continue;
		if (load_pid(t, (uint32_t)pid, proc_root, cgroup2_mnt) == 0)
			count++;
	}
	closedir(d);
	return count;
}

const struct bw_proc *bw_proctree_lookup(struct bw_proctree *t, uint32_t pid, const char *proc_root,
					 const char *cgroup2_mnt)
{
	struct node *n = find(t, pid);

	if (n)
		return &n->p;
	if (!pid || load_pid(t, pid, proc_root, cgroup2_mnt))
		return NULL;
	n = find(t, pid);
	return n ? &n->p : NULL;
}
