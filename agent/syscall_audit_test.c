/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The syscall monitor: translation (no kernel), then the real tracepoint on
 * this host with real processes making the syscalls (root; skips with 77
 * where the kernel refuses the program).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <cmocka.h>
#include <bpf/libbpf.h>

#include "syscall_audit.h"
#include "bpf_testutil.h"
#include "pol.h"
#include "bw_enf_hash.h"

#define NR_MKDIRAT 258
#define NR_MKNODAT 259
#define NR_LINKAT 265
#define NR_SYMLINKAT 266
#define NR_UNLINKAT 263
#define NR_RMDIR 84

static Bulwark__V1__Rule *sysrule(Bulwark__V1__RuleSet *rs, const char *name, uint32_t nr,
				  Bulwark__V1__Action action, const char *policy)
{
	Bulwark__V1__Rule *r =
	    pol_rule(rs, BULWARK__V1__OPERATION__OP_SYSCALL, BULWARK__V1__MATCH_KIND__MATCH_SYSCALL,
		     name, action, policy);

	r->syscall = nr;
	return r;
}

static int fake_resolve(void *arg, uint64_t cg, const char *path, uint32_t *dev, uint64_t *ino)
{
	if (strcmp(path, "/usr/bin/tool"))
		return -ENOENT;
	*dev = 8 << 20 | 1;
	*ino = 4242 + cg;
	return 0;
}

static const struct bw_sys_entry *find_k(const struct bw_sys_entry *v, size_t n, uint64_t cg,
					 uint32_t nr, uint64_t ino, uint32_t kind)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].key.cgroup_id == cg && v[i].key.nr == nr && v[i].key.src_ino == ino &&
		    v[i].key.kind == kind)
			return &v[i];
	return NULL;
}

static const struct bw_sys_entry *find(const struct bw_sys_entry *v, size_t n, uint64_t cg,
				       uint32_t nr, uint64_t ino)
{
	return find_k(v, n, cg, nr, ino, BW_SYS_K_CALL);
}

static void test_build(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(9);
	Bulwark__V1__RuleSet *host = pol_ruleset(cp, 1, 0, NULL);
	Bulwark__V1__RuleSet *c1 = pol_ruleset(cp, 0, 77, "c1");
	Bulwark__V1__Rule *r;
	struct bw_sys_entry *v = NULL;
	const struct bw_sys_entry *e;
	char **un = NULL, err[128];
	size_t n = 0, n_un = 0;

	sysrule(host, "mknodat", NR_MKNODAT, BULWARK__V1__ACTION__ACTION_AUDIT, "h0"); /* 0 */
	sysrule(c1, "mkdirat", NR_MKDIRAT, BULWARK__V1__ACTION__ACTION_AUDIT, "c0");   /* 0 */
	sysrule(c1, "mkdirat", NR_MKDIRAT, BULWARK__V1__ACTION__ACTION_BLOCK, "c1");   /* 1 */
	r = sysrule(c1, "linkat", NR_LINKAT, BULWARK__V1__ACTION__ACTION_BLOCK, "c2"); /* 2 */
	pol_source(r, "/usr/bin/tool", 0, 0);
	pol_source(r, "/usr/bin/missing", 0, 0);
	pol_source(r, "/usr/bin/", 1, 0);
	sysrule(c1, "symlinkat", NR_SYMLINKAT, BULWARK__V1__ACTION__ACTION_ALLOW, "c3"); /* 3 */
	r = pol_rule(c1, BULWARK__V1__OPERATION__OP_SYSCALL, BULWARK__V1__MATCH_KIND__MATCH_PATH,
		     "/tmp/x", BULWARK__V1__ACTION__ACTION_AUDIT, "c4"); /* 4 */
	r->syscall = 87;
	r = pol_rule(c1, BULWARK__V1__OPERATION__OP_SYSCALL,
		     BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE, "/var/",
		     BULWARK__V1__ACTION__ACTION_AUDIT, "c6"); /* 5: ptrace has no path argument */
	r->syscall = 101;
	sysrule(c1, "huge", 5000, BULWARK__V1__ACTION__ACTION_AUDIT, "c5"); /* 6 */
	pol_rule(c1, BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH, "/f",
		 BULWARK__V1__ACTION__ACTION_BLOCK, "not-mine");
	assert_int_equal(
	    bw_syscall_audit_build(cp, fake_resolve, NULL, &v, &n, &un, &n_un, err, sizeof(err)),
	    0);
	e = find(v, n, 0, NR_MKNODAT, 0);
	assert_non_null(e);
	assert_int_equal(e->val.rule_id, 0);
	assert_int_equal(e->val.action, BW_SYS_A_AUDIT);
	assert_int_equal(e->val.version, 9);
	/* Two rules on one key: the Block is kept. */
	e = find(v, n, 77, NR_MKDIRAT, 0);
	assert_non_null(e);
	assert_int_equal(e->val.rule_id, (1u << 16) | 1);
	assert_int_equal(e->val.action, BW_SYS_A_BLOCK);
	e = find(v, n, 77, NR_LINKAT, 4242 + 77);
	assert_non_null(e);
	assert_int_equal(e->key.src_dev, 8 << 20 | 1);
	assert_null(find(v, n, 77, NR_LINKAT, 0)); /* fromSource only */
	assert_null(find(v, n, 77, NR_SYMLINKAT, 0));
	assert_null(find(v, n, 77, 87, 0)); /* a path rule, not one on the call */
	e = find_k(v, n, 77, 87, 0, BW_SYS_K_PATH);
	assert_non_null(e);
	/* "/tmp/x" hashed like the kernel's walk: "/tmp" continued with "/x". */
	{
		uint64_t hh = BW_FNV_BASIS;

		for (const char *c = "/tmp/x"; *c; c++)
			hh = bw_fnv_byte(hh, (unsigned char)*c);
		assert_true(e->key.path_hash == hh);
	}
	assert_null(find_k(v, n, 77, 101, 0, BW_SYS_K_REC));
	/* The prefilter: one entry per syscall some rule names, flagged when
	 * a path rule needs the argument read. */
	assert_non_null(find(v, n, BW_SYS_ANY_CGROUP, NR_MKNODAT, 0));
	assert_non_null(find(v, n, BW_SYS_ANY_CGROUP, NR_MKDIRAT, 0));
	assert_int_equal(find(v, n, BW_SYS_ANY_CGROUP, NR_MKDIRAT, 0)->val.flags, 0);
	assert_non_null(find(v, n, BW_SYS_ANY_CGROUP, NR_LINKAT, 0));
	assert_int_equal(find(v, n, BW_SYS_ANY_CGROUP, 87, 0)->val.flags, BW_SYS_F_PATHS);
	assert_null(find(v, n, BW_SYS_ANY_CGROUP, NR_SYMLINKAT, 0));
	assert_null(find(v, n, BW_SYS_ANY_CGROUP, 101, 0));
	/* Ruleset markers: the tasks of these cgroups use their rules. */
	assert_non_null(find_k(v, n, 0, 0, 0, BW_SYS_K_RULESET));
	assert_non_null(find_k(v, n, 77, 0, 0, BW_SYS_K_RULESET));
	/* host: call + filter + ruleset; c1: mkdirat, linkat, unlink path,
	 * their 3 filters, ruleset. */
	assert_int_equal(n, 10);
	assert_int_equal(n_un, 5);
	assert_non_null(strstr(un[0], "/usr/bin/missing"));
	assert_non_null(strstr(un[1], "directory"));
	assert_non_null(strstr(un[2], "Allow"));
	assert_non_null(strstr(un[3], "syscall 101 has no path argument"));
	assert_non_null(strstr(un[4], "5000"));
	for (size_t i = 0; i < n_un; i++)
		free(un[i]);
	free(un);
	free(v);
	assert_int_equal(
	    bw_syscall_audit_build(NULL, NULL, NULL, &v, &n, NULL, NULL, err, sizeof(err)),
	    -EINVAL);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

/* ---- live ------------------------------------------------------------------ */

struct seen {
	uint32_t pid;
	uint64_t cgroup_id;
	int host, blocked;
	char operation[16], resource[64], data[48], action[16], policy[32], enforcer[16];
};

static struct seen seen[64];
static size_t n_seen;
static uint32_t watch_pid;

static void on_alert(void *arg, const struct bw_enforcer_alert *a)
{
	struct seen *s;

	if (a->host_pid != watch_pid || n_seen == 64)
		return; /* other processes of the host */
	s = &seen[n_seen++];
	s->pid = a->host_pid;
	s->cgroup_id = a->cgroup_id;
	s->host = a->host;
	s->blocked = a->blocked;
	snprintf(s->operation, sizeof(s->operation), "%s", a->operation);
	snprintf(s->resource, sizeof(s->resource), "%s", a->resource);
	snprintf(s->data, sizeof(s->data), "%s", a->data);
	snprintf(s->action, sizeof(s->action), "%s", a->action);
	snprintf(s->enforcer, sizeof(s->enforcer), "%s", a->enforcer);
	snprintf(s->policy, sizeof(s->policy), "%s",
		 a->origin && a->origin->policy_name ? a->origin->policy_name : "");
}

static struct bw_syscall_audit *sa;
static char self_exe[PATH_MAX];

/* A child that (optionally) joins cgroup dir, then makes the four syscalls
 * (each fails on a missing directory: only the attempt matters). */
static void run_child(const char *cgdir, int paths)
{
	int go[2];
	pid_t pid;
	int st;
	char b = 0;

	assert_int_equal(pipe(go), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		if (cgdir) {
			char p[PATH_MAX + 32];
			int fd;

			snprintf(p, sizeof(p), "%s/cgroup.procs", cgdir);
			fd = open(p, O_WRONLY);
			if (fd < 0 || write(fd, "0", 1) != 1)
				_exit(3);
			close(fd);
		}
		syscall(NR_MKNODAT, AT_FDCWD, "/nonexistent-bw/x", 0, 0);
		syscall(NR_LINKAT, AT_FDCWD, "/nonexistent-bw/a", AT_FDCWD, "/nonexistent-bw/b", 0);
		syscall(NR_SYMLINKAT, "/x", AT_FDCWD, "/nonexistent-bw/c");
		syscall(NR_MKDIRAT, AT_FDCWD, "/nonexistent-bw/d", 0700);
		if (paths) {
			int dfd = open("/", O_PATH | O_DIRECTORY);

			if (dfd < 0 || chdir("/"))
				_exit(4);
			/* Absolute with '..' and '//', relative to the cwd and to
			 * a directory fd, an exact path spelled oddly, and one
			 * outside every rule. */
			syscall(NR_UNLINKAT, AT_FDCWD, "/nonexistent-bw/x/..//abs", 0);
			syscall(NR_UNLINKAT, AT_FDCWD, "nonexistent-bw/deep/er/rel", 0);
			syscall(NR_UNLINKAT, dfd, "./nonexistent-bw/fd", 0);
			syscall(NR_RMDIR, "//nonexistent-bw/./exact/");
			syscall(NR_UNLINKAT, AT_FDCWD, "/other-bw/x", 0);
		}
		_exit(0);
	}
	watch_pid = (uint32_t)pid;
	n_seen = 0;
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[0]);
	close(go[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child (cgroup %s): status %#x", cgdir ? cgdir : "none", st);
	/* Drain: the records are in the ring before the child has exited. */
	while (bw_syscall_audit_poll(sa, 200) > 0)
		;
}

static const struct seen *seen_for(const char *resource)
{
	for (size_t i = 0; i < n_seen; i++)
		if (!strcmp(seen[i].resource, resource))
			return &seen[i];
	return NULL;
}

static void apply(Bulwark__V1__CompiledPolicy *cp)
{
	char err[256];

	assert_int_equal(bw_syscall_audit_apply(sa, cp, NULL, NULL, err, sizeof(err)), 0);
	bulwark__v1__compiled_policy__free_unpacked(cp, NULL);
}

/* A new cgroup v2 directory's path (hybrid hosts mount v2 at unified/). */
static int cgroup2_dir(char *out, size_t len)
{
	static const char *const roots[] = {"/sys/fs/cgroup", "/sys/fs/cgroup/unified"};
	struct statfs sfs;

	for (size_t i = 0; i < 2; i++) {
		if (statfs(roots[i], &sfs) == 0 && sfs.f_type == 0x63677270 /* CGROUP2 */) {
			snprintf(out, len, "%s/bw-sysaudit-test-%d", roots[i], (int)getpid());
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * The kernel's view of whether this process has a program on the sys_enter
 * raw tracepoint (BPF_TASK_FD_QUERY on each of its fds, as bpftool perf).
 */
static int sys_enter_attached(void)
{
	char names[64][128];
	int n = bw_test_attached_tracepoints(&names[0][0], sizeof(names[0]), 64);

	for (int i = 0; i < n; i++)
		if (strcmp(names[i], "sys_enter") == 0)
			return 1;
	return 0;
}

static void test_live(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol_new(21);
	Bulwark__V1__RuleSet *host = pol_ruleset(cp, 1, 0, NULL), *c1;
	Bulwark__V1__Rule *r;
	char cgdir[128];
	struct stat st;
	const struct seen *s;
	int have_cg;

	have_cg = cgroup2_dir(cgdir, sizeof(cgdir)) == 0 && mkdir(cgdir, 0755) == 0 &&
		  stat(cgdir, &st) == 0;
	sysrule(host, "mknodat", NR_MKNODAT, BULWARK__V1__ACTION__ACTION_AUDIT, "hsp-mknod");
	r = sysrule(host, "linkat", NR_LINKAT, BULWARK__V1__ACTION__ACTION_BLOCK, "hsp-link");
	pol_source(r, self_exe, 0, 0);
	r = sysrule(host, "symlinkat", NR_SYMLINKAT, BULWARK__V1__ACTION__ACTION_AUDIT,
		    "hsp-symlink");
	pol_source(r, "/bin/true", 0, 0); /* another executable: no alert */
	if (have_cg) {
		c1 = pol_ruleset(cp, 0, st.st_ino, "c1");
		sysrule(c1, "mkdirat", NR_MKDIRAT, BULWARK__V1__ACTION__ACTION_AUDIT, "ksp-mkdir");
	}
	/* No rules yet: nothing on the syscall path. */
	assert_false(bw_syscall_audit_attached(sa));
	assert_false(sys_enter_attached());
	apply(cp);
	assert_true(bw_syscall_audit_attached(sa));
	assert_true(sys_enter_attached());

	run_child(NULL, 0);
	s = seen_for("SYS_MKNODAT");
	assert_non_null(s);
	assert_string_equal(s->operation, "Syscall");
	assert_string_equal(s->data, "syscall=SYS_MKNODAT");
	assert_string_equal(s->action, "Audit");
	assert_string_equal(s->policy, "hsp-mknod");
	assert_string_equal(s->enforcer, "eBPF Monitor");
	assert_int_equal(s->host, 1);
	assert_int_equal(s->blocked, 0);
	s = seen_for("SYS_LINKAT");
	assert_non_null(s);
	assert_string_equal(s->action, "Audit (Block)");
	assert_string_equal(s->policy, "hsp-link");
	assert_int_equal(s->blocked, 0);
	assert_null(seen_for("SYS_SYMLINKAT"));
	assert_null(seen_for("SYS_MKDIRAT")); /* a container's rule, not the host's */
	assert_int_equal(n_seen, 2);

	if (have_cg) {
		run_child(cgdir, 0);
		s = seen_for("SYS_MKDIRAT");
		assert_non_null(s);
		assert_string_equal(s->policy, "ksp-mkdir");
		assert_int_equal(s->host, 0);
		assert_int_equal(s->cgroup_id, st.st_ino);
		/* Its cgroup's ruleset decides, as under the enforcer: the host
		 * rules do not add to it. */
		assert_null(seen_for("SYS_MKNODAT"));
		assert_int_equal(n_seen, 1);
	}

	/* A new policy replaces the rules whole. */
	cp = pol_new(22);
	host = pol_ruleset(cp, 1, 0, NULL);
	sysrule(host, "symlinkat", NR_SYMLINKAT, BULWARK__V1__ACTION__ACTION_AUDIT, "hsp-sym2");
	apply(cp);
	run_child(NULL, 0);
	assert_int_equal(n_seen, 1);
	assert_string_equal(seen[0].resource, "SYS_SYMLINKAT");
	assert_string_equal(seen[0].policy, "hsp-sym2");
	apply(pol_new(23));
	/* The last rule went: the tracepoint goes too. */
	assert_false(bw_syscall_audit_attached(sa));
	assert_false(sys_enter_attached());
	run_child(NULL, 0);
	assert_int_equal(n_seen, 0);

	/* matchPaths under syscalls: the path argument, resolved. */
	cp = pol_new(24);
	host = pol_ruleset(cp, 1, 0, NULL);
	r = pol_rule(host, BULWARK__V1__OPERATION__OP_SYSCALL,
		     BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE, "/nonexistent-bw/",
		     BULWARK__V1__ACTION__ACTION_AUDIT, "hsp-unlink-dir");
	r->syscall = NR_UNLINKAT;
	r = pol_rule(host, BULWARK__V1__OPERATION__OP_SYSCALL, BULWARK__V1__MATCH_KIND__MATCH_PATH,
		     "/nonexistent-bw/exact", BULWARK__V1__ACTION__ACTION_BLOCK, "hsp-rmdir");
	r->syscall = NR_RMDIR;
	apply(cp);
	run_child(NULL, 1);
	for (size_t i = 0; i < n_seen; i++)
		fprintf(stderr, "  seen %s %s %s\n", seen[i].resource, seen[i].data,
			seen[i].policy);
	s = seen_for("/nonexistent-bw/abs");
	assert_non_null(s);
	assert_string_equal(s->data, "syscall=SYS_UNLINKAT");
	assert_string_equal(s->operation, "Syscall");
	assert_string_equal(s->policy, "hsp-unlink-dir");
	assert_non_null(seen_for("/nonexistent-bw/deep/er/rel"));
	assert_non_null(seen_for("/nonexistent-bw/fd"));
	s = seen_for("/nonexistent-bw/exact");
	assert_non_null(s);
	assert_string_equal(s->data, "syscall=SYS_RMDIR");
	assert_string_equal(s->action, "Audit (Block)");
	assert_null(seen_for("/other-bw/x"));
	assert_int_equal(n_seen, 4);
	if (have_cg)
		rmdir(cgdir);
	if (!have_cg)
		fprintf(stderr, "syscall_audit_test: no writable cgroup v2; "
				"container rules not exercised\n");
}

int main(void)
{
	const struct CMUnitTest unit[] = {cmocka_unit_test(test_build)};
	const struct CMUnitTest live[] = {cmocka_unit_test(test_live)};
	ssize_t len;
	int rc;

	rc = cmocka_run_group_tests(unit, NULL, NULL);
	if (rc)
		return rc;
	if (geteuid() != 0) {
		fprintf(stderr, "syscall_audit_test: needs root for BPF; live part skipped\n");
		return 77;
	}
	len = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (len <= 0)
		return 1;
	self_exe[len] = 0;
	if (!getenv("BW_BPF_DEBUG"))
		libbpf_set_print(NULL);
	rc = bw_syscall_audit_new(&sa, NULL, on_alert, NULL);
	if (rc) {
		fprintf(stderr,
			"syscall_audit_test: the kernel refused the tracepoint (%s); "
			"live part skipped\n",
			strerror(-rc));
		return 77;
	}
	rc = cmocka_run_group_tests(live, NULL, NULL);
	bw_syscall_audit_free(sa);
	return rc;
}
