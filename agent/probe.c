// SPDX-License-Identifier: Apache-2.0
/*
 * Enforcer probe: what this kernel lets Bulwark enforce with.  Each check
 * does the real thing on a small scale (load and attach a trivial program)
 * because a listed LSM or a present config option does not prove the kernel
 * will accept our programs (this very host lists "bpf" yet refuses BPF-LSM).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <linux/bpf.h>

#include "bw_log.h"
#include "probe.h"

#define BW_SECURITYFS "/sys/kernel/security"

static void detail_add(struct bw_probe *p, const char *fmt, ...)
{
	size_t used = strlen(p->detail);
	va_list ap;

	if (used + 3 >= sizeof(p->detail))
		return;
	if (used) {
		strcpy(p->detail + used, "; ");
		used += 2;
	}
	va_start(ap, fmt);
	vsnprintf(p->detail + used, sizeof(p->detail) - used, fmt, ap);
	va_end(ap);
}

static int lsm_listed(const char *list, const char *name)
{
	size_t n = strlen(name);
	const char *s = list;

	while ((s = strstr(s, name))) {
		int start = s == list || s[-1] == ',';
		int end = s[n] == '\0' || s[n] == ',' || s[n] == '\n';

		if (start && end)
			return 1;
		s += n;
	}
	return 0;
}

static int read_lsm_list(struct bw_probe *p)
{
	char path[] = BW_SECURITYFS "/lsm";
	ssize_t n;
	int fd;

	if (access(path, R_OK) != 0 &&
	    mount("securityfs", BW_SECURITYFS, "securityfs", 0, NULL) != 0 && errno != EBUSY) {
		detail_add(p, "securityfs: cannot mount on " BW_SECURITYFS ": %s", strerror(errno));
		return -errno;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		detail_add(p, "%s: %s", path, strerror(errno));
		return -errno;
	}
	n = read(fd, p->lsm_list, sizeof(p->lsm_list) - 1);
	close(fd);
	if (n < 0)
		return -errno;
	p->lsm_list[n] = '\0';
	p->lsm_list[strcspn(p->lsm_list, "\n")] = '\0';
	return 0;
}

/* r0 = ret; exit */
static int load_trivial(enum bpf_prog_type type, int ret, struct bpf_prog_load_opts *opts)
{
	struct bpf_insn insns[2] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = ret},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	int fd = bpf_prog_load(type, "bw_probe", "GPL", insns, 2, opts);

	return fd < 0 ? -errno : fd;
}

static void probe_bpf_lsm(struct bw_probe *p)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC);
	struct btf *vmlinux = btf__load_vmlinux_btf();
	int id, fd, link;

	if (!vmlinux) {
		detail_add(p, "bpf-lsm: no kernel BTF (/sys/kernel/btf/vmlinux): %s",
			   strerror(errno));
		return;
	}
	id = btf__find_by_name_kind(vmlinux, "bpf_lsm_file_open", BTF_KIND_FUNC);
	btf__free(vmlinux);
	if (id < 0) {
		detail_add(p,
			   "bpf-lsm: kernel built without CONFIG_BPF_LSM (no bpf_lsm_file_open)");
		return;
	}
	opts.attach_btf_id = id;
	fd = load_trivial(BPF_PROG_TYPE_LSM, 0, &opts);
	if (fd < 0) {
		detail_add(p, "bpf-lsm: loading an lsm/file_open program failed: %s%s",
			   strerror(-fd),
			   fd == -EPERM ? " (the kernel refuses BPF trampolines here)" : "");
		return;
	}
	link = bpf_raw_tracepoint_open(NULL, fd);
	if (link < 0) {
		detail_add(p, "bpf-lsm: attaching an lsm/file_open program failed: %s",
			   strerror(errno));
	} else {
		p->bpf_lsm_loads = 1;
		close(link);
	}
	close(fd);
}

static int find_parser(void)
{
	static const char *const paths[] = {"/sbin/apparmor_parser", "/usr/sbin/apparmor_parser",
					    "/usr/local/sbin/apparmor_parser", NULL};

	for (int i = 0; paths[i]; i++)
		if (access(paths[i], X_OK) == 0)
			return 1;
	return 0;
}

static void probe_apparmor(struct bw_probe *p)
{
	if (!lsm_listed(p->lsm_list, "apparmor")) {
		detail_add(p, "apparmor: not an active LSM");
		return;
	}
	if (access(BW_SECURITYFS "/apparmor/.replace", W_OK) != 0) {
		detail_add(p, "apparmor: " BW_SECURITYFS "/apparmor/.replace: %s", strerror(errno));
		return;
	}
	if (!find_parser()) {
		detail_add(p, "apparmor: apparmor_parser not installed (package apparmor)");
		return;
	}
	p->apparmor_active = 1;
}

int bw_cgroup2_root(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[1024], mnt[512], fstype[64];
	int rc = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype src sopts */
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		if (strcmp(fstype, "cgroup2") == 0) {
			if ((size_t)snprintf(buf, len, "%s", mnt) >= len)
				rc = -ENAMETOOLONG;
			else
				rc = 0;
			break;
		}
	}
	fclose(f);
	return rc;
}

static void probe_cgroup_bpf(struct bw_probe *p)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_CGROUP_INET_SOCK_CREATE);
	char root[512], dir[600];
	int fd = -1, cg = -1, rc;

	if (bw_cgroup2_root(root, sizeof(root)) != 0) {
		detail_add(p, "cgroup-bpf: no cgroup v2 hierarchy mounted");
		return;
	}
	/* A fresh empty cgroup: the test attach affects no process. */
	snprintf(dir, sizeof(dir), "%s/bulwark-probe.%d", root, (int)getpid());
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		detail_add(p, "cgroup-bpf: mkdir %s: %s", dir, strerror(errno));
		return;
	}
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		detail_add(p, "cgroup-bpf: open %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	fd = load_trivial(BPF_PROG_TYPE_CGROUP_SOCK, 1, &opts);
	if (fd < 0) {
		detail_add(p, "cgroup-bpf: loading a cgroup/sock_create program failed: %s",
			   strerror(-fd));
		goto cleanup;
	}
	rc = bpf_prog_attach(fd, cg, BPF_CGROUP_INET_SOCK_CREATE, BPF_F_ALLOW_MULTI);
	if (rc) {
		detail_add(p, "cgroup-bpf: attaching cgroup/sock_create to %s failed: %s", root,
			   strerror(errno));
		goto cleanup;
	}
	bpf_prog_detach2(fd, cg, BPF_CGROUP_INET_SOCK_CREATE);
	p->cgroup_bpf = 1;
cleanup:
	if (fd >= 0)
		close(fd);
	if (cg >= 0)
		close(cg);
	rmdir(dir);
}

int bw_enforcer_probe(struct bw_probe *out)
{
	struct bw_probe p;

	memset(&p, 0, sizeof(p));
	if (read_lsm_list(&p) == 0) {
		p.bpf_lsm_active = lsm_listed(p.lsm_list, "bpf");
		if (p.bpf_lsm_active)
			probe_bpf_lsm(&p);
		else
			detail_add(
			    &p,
			    "bpf-lsm: \"bpf\" is not in the active LSMs (boot with lsm=...,bpf)");
		probe_apparmor(&p);
	}
	probe_cgroup_bpf(&p);
	*out = p;
	return 0;
}

Bulwark__V1__Enforcer bw_probe_choose(const struct bw_probe *p, const char *prefer, int *rc)
{
	int bpflsm = p->bpf_lsm_active && p->bpf_lsm_loads;

	*rc = 0;
	if (!prefer || !*prefer || strcmp(prefer, "auto") == 0) {
		if (bpflsm)
			return BULWARK__V1__ENFORCER__ENFORCER_BPFLSM;
		if (p->apparmor_active)
			return BULWARK__V1__ENFORCER__ENFORCER_APPARMOR;
		if (p->cgroup_bpf)
			return BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF;
		return BULWARK__V1__ENFORCER__ENFORCER_NONE;
	}
	if (strcmp(prefer, "none") == 0)
		return BULWARK__V1__ENFORCER__ENFORCER_NONE;
	if (strcmp(prefer, "bpflsm") == 0) {
		if (bpflsm)
			return BULWARK__V1__ENFORCER__ENFORCER_BPFLSM;
	} else if (strcmp(prefer, "apparmor") == 0) {
		if (p->apparmor_active)
			return BULWARK__V1__ENFORCER__ENFORCER_APPARMOR;
	} else if (strcmp(prefer, "cgroup") == 0) {
		if (p->cgroup_bpf)
			return BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF;
	} else {
		*rc = -EINVAL;
		return BULWARK__V1__ENFORCER__ENFORCER_NONE;
	}
	*rc = -ENOTSUP;
	return BULWARK__V1__ENFORCER__ENFORCER_NONE;
}

const char *bw_enforcer_kind_name(Bulwark__V1__Enforcer k)
{
	switch (k) {
	case BULWARK__V1__ENFORCER__ENFORCER_BPFLSM:
		return "BPFLSM";
	case BULWARK__V1__ENFORCER__ENFORCER_APPARMOR:
		return "AppArmor";
	case BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF:
		return "CgroupBPF";
	default:
		return "none";
	}
}

const char *const *bw_enforcer_limits(Bulwark__V1__Enforcer k)
{
	static const char *const bpflsm[] = {
	    "native apparmor rules: AppArmor only",
	    NULL,
	};
	static const char *const apparmor[] = {
	    "syscall rules: monitor only",
	    "network rules: enforced by the cgroup-BPF programs alongside AppArmor; without them, "
	    "by AppArmor per family and socket type, and addresses not at all",
	    "fromSource directories: only exact source binaries get a child profile",
	    "fromSource: a source's rules also bind what it executes (inherited child profile)",
	    "host rules: AppArmor confines containers launched under bulwark-<id> profiles only",
	    "allow-list misses with audit posture: AppArmor cannot report without blocking",
	    "BPF-LSM presets",
	    NULL,
	};
	static const char *const cgroup[] = {
	    "process rules: cgroup fallback enforces network only; audit only",
	    "file rules: cgroup fallback enforces network only; audit only",
	    "capability rules: cgroup fallback enforces network only; audit only",
	    "syscall rules: monitor only",
	    "network rules outside AF_INET/AF_INET6: audit only (protocols at socket(), addresses "
	    "at connect()/sendmsg())",
	    "fromSource on network rules: audit only",
	    "presets and native apparmor rules",
	    NULL,
	};
	static const char *const none[] = {
	    "everything: no kernel enforcer; audit only",
	    NULL,
	};

	switch (k) {
	case BULWARK__V1__ENFORCER__ENFORCER_BPFLSM:
		return bpflsm;
	case BULWARK__V1__ENFORCER__ENFORCER_APPARMOR:
		return apparmor;
	case BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF:
		return cgroup;
	default:
		return none;
	}
}

static const char *yes(int v)
{
	return v ? "yes" : "no";
}

int bw_probe_print(FILE *out)
{
	Bulwark__V1__Enforcer k;
	const char *const *lim;
	struct bw_probe p;
	int rc;

	bw_enforcer_probe(&p);
	k = bw_probe_choose(&p, "auto", &rc);
	fprintf(out, "active LSMs:        %s\n", p.lsm_list[0] ? p.lsm_list : "(unknown)");
	fprintf(out, "BPF-LSM:            %s (bpf listed: %s, programs load: %s)\n",
		yes(p.bpf_lsm_active && p.bpf_lsm_loads), yes(p.bpf_lsm_active),
		yes(p.bpf_lsm_loads));
	fprintf(out, "AppArmor:           %s\n", yes(p.apparmor_active));
	fprintf(out, "cgroup-BPF network: %s\n", yes(p.cgroup_bpf));
	if (p.detail[0])
		fprintf(out, "why not:            %s\n", p.detail);
	fprintf(out, "enforcer (auto):    %s\n", bw_enforcer_kind_name(k));
	fprintf(out, "cannot enforce:\n");
	for (lim = bw_enforcer_limits(k); *lim; lim++)
		fprintf(out, "  - %s\n", *lim);
	return k == BULWARK__V1__ENFORCER__ENFORCER_NONE ? 1 : 0;
}
