/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor_testutil.h"
#include "proctree.h"

static struct bw_proctree *t;

static int setup(void **state)
{
	return bw_proctree_new(&t);
}

static int teardown(void **state)
{
	bw_proctree_free(t);
	t = NULL;
	return 0;
}

static void exec_rec(unsigned pid, unsigned ppid, const char *name, const char *argv, size_t alen,
		     const char *cwd, const char *exe, unsigned flags)
{
	struct test_rec r;

	test_rec_init(&r, BW_MON_EXEC, BW_SYS_EXECVE, pid, ppid, 77);
	test_rec_str(&r, 0, name, strlen(name));
	test_rec_str(&r, 1, argv, alen);
	test_rec_str(&r, 2, cwd, strlen(cwd));
	test_rec_str(&r, 3, "pts/1", 5);
	test_rec_str(&r, 4, exe, strlen(exe));
	r.h.flags = flags;
	bw_proctree_update(t, &r.h, r.data, r.len);
}

static void fork_rec(unsigned pid, unsigned ppid)
{
	struct test_rec r;

	test_rec_init(&r, BW_MON_FORK, 0, pid, ppid, 77);
	bw_proctree_update(t, &r.h, r.data, r.len);
}

static void test_exec_fork_exit(void **state)
{
	const struct bw_proc *p;
	uint64_t id1, id2;

	exec_rec(100, 1, "/bin/sh", "sh\0-c\0echo hi\0", 14, "/root", "/bin/busybox", 0);
	p = bw_proctree_get(t, 100);
	assert_non_null(p);
	assert_string_equal(p->path, "/bin/sh");
	assert_string_equal(p->exe, "/bin/busybox");
	assert_string_equal(p->cmdline, "/bin/sh -c echo hi");
	assert_string_equal(p->cwd, "/root");
	assert_string_equal(p->tty, "pts/1");
	assert_int_equal(p->cgroup_id, 77);
	id1 = p->exec_id;

	/* a forked child runs the parent's image until it execs */
	fork_rec(101, 100);
	p = bw_proctree_get(t, 101);
	assert_non_null(p);
	assert_string_equal(p->path, "/bin/sh");
	assert_int_equal(p->ppid, 100);
	id2 = p->exec_id;
	assert_true(id2 != id1);

	exec_rec(101, 100, "./tool", "./tool\0x\0", 9, "/srv", "/srv/tool", 0);
	p = bw_proctree_get(t, 101);
	assert_string_equal(p->path, "/srv/tool");
	assert_string_equal(p->cmdline, "/srv/tool x");
	assert_true(p->exec_id != id2);

	/* exit keeps the entry for the grace period, then it goes */
	struct test_rec r;

	test_rec_init(&r, BW_MON_EXIT, 0, 101, 100, 77);
	r.h.ts_boot_ns = 1000;
	bw_proctree_update(t, &r.h, r.data, r.len);
	bw_proctree_sweep(t, 1500, 1000);
	assert_non_null(bw_proctree_get(t, 101));
	bw_proctree_sweep(t, 3000, 1000);
	assert_null(bw_proctree_get(t, 101));
	assert_non_null(bw_proctree_get(t, 100));
}

static void test_pid_reuse_new_exec_id(void **state)
{
	const struct bw_proc *p;
	uint64_t first;

	exec_rec(200, 1, "/bin/a", "a\0", 2, "/", "/bin/a", 0);
	first = bw_proctree_get(t, 200)->exec_id;
	fork_rec(200, 1); /* the pid came back for a new process */
	p = bw_proctree_get(t, 200);
	assert_true(p->exec_id > first);
	assert_int_equal(p->exit_ns, 0);
}

static void test_self_exec_and_truncation(void **state)
{
	const struct bw_proc *p;

	/* busybox running an applet through /proc/self/exe: the binary says more */
	exec_rec(300, 1, "/proc/self/exe", "cat\0/etc/passwd\0", 16, "/", "/bin/busybox", 0);
	p = bw_proctree_get(t, 300);
	assert_string_equal(p->path, "/bin/busybox");
	assert_string_equal(p->cmdline, "/bin/busybox /etc/passwd");

	/* cut argv and an incomplete cwd are marked, never passed off as whole */
	exec_rec(301, 1, "/bin/x", "x\0aaaa", 6, "/deep/dir", "/bin/x",
		 BW_MON_STR_TRUNC(1) | BW_MON_STR_TRUNC(2));
	p = bw_proctree_get(t, 301);
	assert_string_equal(p->cmdline, "/bin/x aaaa <truncated>");
	assert_string_equal(p->cwd, "<truncated>/deep/dir");
}

static void test_cmdline_helper(void **state)
{
	char *s = bw_proc_cmdline("/bin/ls", "ls\0-l\0\0/tmp\0", 12, 0);

	/* an empty argument stays visible as a double space */
	assert_string_equal(s, "/bin/ls -l  /tmp");
	free(s);
	s = bw_proc_cmdline("/bin/ls", "", 0, 0);
	assert_string_equal(s, "/bin/ls");
	free(s);
	s = bw_proc_cmdline("/bin/e", "e\0a\x01z\0", 6, 0);
	assert_string_equal(s, "/bin/e a?z");
	free(s);
}

/* A fake /proc with one process in a "container" root. */
static void test_seed_from_proc(void **state)
{
	char dir[] = "/tmp/bw-fakeproc-XXXXXX", p[512], cmd[1024];
	FILE *f;
	const struct bw_proc *pr;

	assert_non_null(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/42", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/42/status", dir);
	f = fopen(p, "w");
	fprintf(f, "Name:\tnginx\nState:\tS\nPPid:\t41\nUid:\t33\t33\t33\t33\nNSpid:\t42\t7\n");
	fclose(f);
	snprintf(p, sizeof(p), "%s/41", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/41/status", dir);
	f = fopen(p, "w");
	fprintf(f, "Name:\tsh\nPPid:\t1\nUid:\t0\t0\t0\t0\nNSpid:\t41\t1\n");
	fclose(f);
	snprintf(p, sizeof(p), "%s/42/cmdline", dir);
	f = fopen(p, "w");
	fwrite("nginx\0-g\0daemon off;\0", 1, 21, f);
	fclose(f);
	snprintf(cmd, sizeof(cmd),
		 "ln -s /var/lib/c1/rootfs %s/42/root && ln -s /var/lib/c1/rootfs/usr/sbin/nginx "
		 "%s/42/exe"
		 " && ln -s /var/lib/c1/rootfs/srv %s/42/cwd",
		 dir, dir, dir);
	assert_int_equal(system(cmd), 0);

	assert_int_equal(bw_proctree_seed(t, dir, NULL), 2);
	pr = bw_proctree_get(t, 42);
	assert_non_null(pr);
	assert_string_equal(pr->path, "/usr/sbin/nginx"); /* in the container's own view */
	assert_string_equal(pr->cmdline, "/usr/sbin/nginx -g daemon off;");
	assert_string_equal(pr->cwd, "/srv");
	assert_string_equal(pr->comm, "nginx");
	assert_int_equal(pr->ppid, 41);
	assert_int_equal(pr->uid, 33);
	assert_int_equal(pr->ns_pid, 7);
	assert_int_equal(pr->ns_ppid, 1);
	assert_true(pr->exec_id > 0);
	/* a process the tree lacks is loaded on demand; a missing one is NULL */
	assert_null(bw_proctree_lookup(t, 99999, dir, NULL));
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_many_grow(void **state)
{
	for (unsigned i = 1; i <= 5000; i++)
		fork_rec(10000 + i, 1);
	assert_int_equal(bw_proctree_size(t), 5000);
	for (unsigned i = 1; i <= 5000; i++)
		assert_non_null(bw_proctree_get(t, 10000 + i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_exec_fork_exit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pid_reuse_new_exec_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_self_exec_and_truncation, setup, teardown),
	    cmocka_unit_test(test_cmdline_helper),
	    cmocka_unit_test_setup_teardown(test_seed_from_proc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_grow, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
