/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Container discovery against fake runtime state directories.  The "init
 * process" of every fake container is this test process (so it is alive and
 * its start time matches), and its "cgroup" is a temp directory whose inode
 * number plays the cgroup id.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/event.h>

#include "containers.h"

static char base[64];
static char cgdir[256];
static unsigned long long my_start;
static int changes_added, changes_removed;
static char last_removed[64];

static unsigned long long self_start_ticks(void)
{
	char buf[2048];
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	char *s;

	fclose(f);
	buf[n] = 0;
	s = strrchr(buf, ')') + 2;
	for (int field = 3; field < 22; field++)
		s = strchr(s, ' ') + 1;
	return strtoull(s, NULL, 10);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* dir/<id>/state.json as runc writes it (the parts we read). */
static void make_state(const char *dir, const char *id, unsigned long long start,
		       const char *labels)
{
	char p[512], txt[4096];

	snprintf(p, sizeof(p), "%s/%s", dir, id);
	mkdir(dir, 0755);
	mkdir(p, 0755);
	snprintf(txt, sizeof(txt),
		 "{\"id\":\"%s\",\"init_process_pid\":%d,\"init_process_start\":%llu,"
		 "\"config\":{\"labels\":[%s],\"apparmor_profile\":\"prof1\"},"
		 "\"cgroup_paths\":{\"\":\"%s\",\"memory\":\"/x\"}}",
		 id, getpid(), start, labels, cgdir);
	snprintf(p, sizeof(p), "%s/%s/state.json", dir, id);
	write_file(p, txt);
}

static void on_change(void *arg, const struct bw_container *c, int added)
{
	if (added) {
		changes_added++;
	} else {
		changes_removed++;
		snprintf(last_removed, sizeof(last_removed), "%s", c->id);
	}
}

static int setup(void **state)
{
	snprintf(base, sizeof(base), "/tmp/bw-ctr-XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(cgdir, sizeof(cgdir), "%s/cg", base);
	mkdir(cgdir, 0755);
	my_start = self_start_ticks();
	changes_added = changes_removed = 0;
	return 0;
}

static int teardown(void **state)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", base);
	return system(cmd) == 0 ? 0 : -1;
}

static struct bw_containers *open_roots(const struct bw_runtime_root *roots, size_t n,
					struct event_base *eb)
{
	struct bw_containers_opts o = {.base = eb,
				       .roots = roots,
				       .nroots = n,
				       .cgroup2_mnt = "/nonexistent",
				       .on_change = on_change};
	char err[256], docker[256];
	struct bw_containers *c = NULL;

	snprintf(docker, sizeof(docker), "%s/docker", base);
	o.docker_root = docker;
	assert_int_equal(bw_containers_new(&c, &o, err, sizeof(err)), 0);
	return c;
}

static int keep_all(void *arg, const char *id)
{
	return 1;
}

static int keep_none(void *arg, const char *id)
{
	return 0;
}

static int keep_web1(void *arg, const char *id)
{
	return strcmp(id, "web1") == 0;
}

static void test_runc_discovery(void **state)
{
	char runc[256];
	struct bw_runtime_root roots[] = {{"runc", runc, 1}};
	struct stat st;

	snprintf(runc, sizeof(runc), "%s/runc", base);
	make_state(
	    runc, "web1", my_start,
	    "\"io.kubernetes.pod.namespace=shop\",\"app=web\",\"io.kubernetes.pod.name=web-7d\","
	    "\"io.kubernetes.container.name=nginx\",\"tier=front\",\"bundle=/b/web1\","
	    "\"bulwark.io/image=nginx:1.25\"");
	/* a stopped container: its pid is alive but started at another time */
	make_state(runc, "old", my_start + 12345, "\"app=old\"");
	/* garbage must be skipped, not crash */
	mkdir(runc, 0755);
	char p[512];
	snprintf(p, sizeof(p), "%s/broken", runc);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/broken/state.json", runc);
	write_file(p, "{not json");

	struct bw_containers *c = open_roots(roots, 1, NULL);
	assert_int_equal(bw_containers_count(c), 1);
	const struct bw_container *w = bw_containers_by_id(c, "web1");
	assert_non_null(w);
	assert_string_equal(w->name, "nginx");
	assert_string_equal(w->container_name, "nginx");
	assert_string_equal(w->pod_name, "web-7d");
	assert_string_equal(w->namespace_name, "shop");
	assert_string_equal(w->image, "nginx:1.25");
	assert_string_equal(w->bundle, "/b/web1");
	assert_string_equal(w->runtime, "runc");
	assert_string_equal(w->apparmor_profile, "prof1");
	/* runtime annotations are not labels; the rest are, sorted */
	assert_string_equal(w->labels_str, "app=web,tier=front");
	assert_int_equal(w->pid, getpid());
	assert_int_equal(stat(cgdir, &st), 0);
	assert_int_equal(w->cgroup_id, st.st_ino);
	assert_ptr_equal(bw_containers_by_cgroup(c, st.st_ino), w);
	assert_null(bw_containers_by_cgroup(c, st.st_ino + 1000000));
	assert_null(bw_containers_by_id(c, "old"));
	/* a cgroup nested below the container's belongs to it, even with no live pid */
	char nested[600];
	struct stat nst;
	snprintf(nested, sizeof(nested), "%s/init.scope/inner", cgdir);
	snprintf(p, sizeof(p), "%s/init.scope", cgdir);
	mkdir(p, 0755);
	mkdir(nested, 0755);
	assert_int_equal(stat(nested, &nst), 0);
	assert_null(bw_containers_by_cgroup(c, nst.st_ino));
	assert_ptr_equal(bw_containers_by_task(c, nst.st_ino, 0), w);
	assert_ptr_equal(bw_containers_by_cgroup(c, nst.st_ino), w); /* remembered */
	assert_null(bw_containers_by_task(c, 123456789, 0));
	assert_int_equal(changes_added, 1);

	/* labels from the controller are merged over the runtime's */
	assert_int_equal(bw_containers_set_labels(c, "web1", "tier=back,team=a"), 0);
	w = bw_containers_by_id(c, "web1");
	assert_string_equal(w->labels_str, "app=web,team=a,tier=back");
	assert_int_equal(bw_containers_set_labels(c, "web1", "bad"), -EINVAL);
	assert_int_equal(bw_containers_set_labels(c, "nope", "a=b"), -ENOENT);

	/* the same labels again are no change */
	int before = changes_added;
	assert_int_equal(bw_containers_set_labels(c, "web1", "tier=back,team=a"), 0);
	assert_int_equal(changes_added, before);
	assert_int_equal(bw_containers_set_labels(c, "web1", "tier=back,team=b"), 0);
	assert_int_equal(changes_added, before + 1);
	assert_int_equal(bw_containers_set_labels(c, "web1", "tier=back,team=a"), 0);
	w = bw_containers_by_id(c, "web1");

	/* the controller is told the runtime's own labels only: it merges its
	 * own over them, and a label it drops must not come back from here */
	Bulwark__V1__Container pc;
	assert_int_equal(bw_container_to_proto(w, &pc), 0);
	assert_string_equal(pc.id, "web1");
	assert_int_equal(pc.n_labels, 2);
	assert_string_equal(pc.labels[0]->key, "app");
	assert_string_equal(pc.labels[1]->key, "tier");
	assert_string_equal(pc.labels[1]->value, "front");
	assert_int_equal(pc.cgroup_id, st.st_ino);
	bw_container_proto_release(&pc);

	Bulwark__V1__ContainerReport rep;
	assert_int_equal(bw_containers_report_full(c, "node1", &rep), 0);
	assert_true(rep.full);
	assert_int_equal(rep.n_added, 1);
	assert_string_equal(rep.added[0]->name, "nginx");
	assert_string_equal(rep.added[0]->pod_name, "web-7d");
	size_t packed = bulwark__v1__container_report__get_packed_size(&rep);
	assert_true(packed > 0);
	bw_containers_report_release(&rep);
	assert_int_equal(rep.n_added, 0);

	/* a rescan keeps merged labels; removing the state removes the container */
	bw_containers_rescan(c);
	assert_string_equal(bw_containers_by_id(c, "web1")->labels_str, "app=web,team=a,tier=back");

	/* labels the controller no longer names are forgotten: runtime's again */
	assert_int_equal(bw_containers_set_labels(c, "gone", "x=y"), -ENOENT);
	assert_int_equal(bw_containers_retain_labels(c, keep_all, NULL), 0);
	before = changes_added;
	assert_int_equal(bw_containers_retain_labels(c, keep_web1, NULL), 2); /* nope, gone */
	assert_int_equal(changes_added, before);
	assert_int_equal(bw_containers_retain_labels(c, keep_none, NULL), 1);
	assert_int_equal(changes_added, before + 1);
	assert_string_equal(bw_containers_by_id(c, "web1")->labels_str, "app=web,tier=front");
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf %s/web1", runc);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(bw_containers_rescan(c), 1);
	assert_int_equal(bw_containers_count(c), 0);
	assert_int_equal(changes_removed, 1);
	assert_string_equal(last_removed, "web1");
	bw_containers_free(c);
}

static void test_containerd_and_docker(void **state)
{
	char cd[256], ns[300], dk[300], p[512];
	struct bw_runtime_root roots[] = {{"containerd", cd, 2}};

	snprintf(cd, sizeof(cd), "%s/containerd", base);
	mkdir(cd, 0755);
	snprintf(ns, sizeof(ns), "%s/k8s.io", cd);
	make_state(
	    ns, "abc", my_start,
	    "\"io.kubernetes.cri.container-name=api\",\"io.kubernetes.cri.sandbox-name=api-0\","
	    "\"io.kubernetes.cri.sandbox-namespace=prod\",\"io.kubernetes.cri.image-name=api:2\"");
	snprintf(ns, sizeof(ns), "%s/moby", cd);
	make_state(ns, "d0c", my_start, "");
	snprintf(dk, sizeof(dk), "%s/docker", base);
	mkdir(dk, 0755);
	snprintf(p, sizeof(p), "%s/containers", dk);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/containers/d0c", dk);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/containers/d0c/config.v2.json", dk);
	write_file(p, "{\"Name\":\"/redis\",\"Config\":{\"Image\":\"redis:7\",\"Labels\":"
		      "{\"env\":\"dev\",\"com.docker.compose.project\":\"x\"}}}");

	struct bw_containers *c = open_roots(roots, 1, NULL);
	assert_int_equal(bw_containers_count(c), 2);
	const struct bw_container *a = bw_containers_by_id(c, "abc");
	assert_non_null(a);
	assert_string_equal(a->name, "api");
	assert_string_equal(a->pod_name, "api-0");
	assert_string_equal(a->namespace_name, "prod");
	assert_string_equal(a->image, "api:2");
	assert_string_equal(a->runtime, "containerd");
	const struct bw_container *d = bw_containers_by_id(c, "d0c");
	assert_non_null(d);
	assert_string_equal(d->runtime, "docker");
	assert_string_equal(d->name, "redis");
	assert_string_equal(d->image, "redis:7");
	assert_string_equal(d->labels_str, "env=dev");
	assert_string_equal(d->namespace_name, "container_namespace");
	bw_containers_free(c);
}

static void test_inotify_on_loop(void **state)
{
	char runc[256];
	struct bw_runtime_root roots[] = {{"runc", runc, 1}};
	struct event_base *eb = event_base_new();
	struct timeval tv = {0, 200 * 1000};

	snprintf(runc, sizeof(runc), "%s/runc", base);
	mkdir(runc, 0755);
	struct bw_containers *c = open_roots(roots, 1, eb);
	assert_int_equal(bw_containers_count(c), 0);
	make_state(runc, "late", my_start, "\"app=late\"");
	/* no explicit rescan: inotify + the debounce timer find it */
	event_base_loopexit(eb, &tv);
	event_base_dispatch(eb);
	assert_non_null(bw_containers_by_id(c, "late"));
	bw_containers_free(c);
	event_base_free(eb);
}

static void test_cgroup2_detect(void **state)
{
	char mi[256], out[256];

	snprintf(mi, sizeof(mi), "%s/mountinfo", base);
	write_file(mi, "30 1 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
		       "31 30 0:27 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n"
		       "36 30 0:31 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n");
	assert_int_equal(bw_cgroup2_detect(mi, out, sizeof(out)), 0);
	assert_string_equal(out, "/sys/fs/cgroup/unified");
	write_file(mi, "30 1 0:26 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n");
	assert_int_equal(bw_cgroup2_detect(mi, out, sizeof(out)), -ENOENT);
	assert_true(bw_cgroup2_detect("/nonexistent/mi", out, sizeof(out)) < 0);
}

static void test_bad_roots(void **state)
{
	struct bw_runtime_root roots[] = {{"runc", NULL, 1}};
	struct bw_containers_opts o = {.roots = roots, .nroots = 1};
	struct bw_containers *c = NULL;
	char err[256];

	assert_int_equal(bw_containers_new(&c, &o, err, sizeof(err)), -EINVAL);
	assert_null(c);
	assert_non_null(strstr(err, "root 0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_runc_discovery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_containerd_and_docker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_inotify_on_loop, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cgroup2_detect, setup, teardown),
	    cmocka_unit_test(test_bad_roots),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
