/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw-enf-vmtest: runs enforcement scenarios inside the test VM (no
 * controller there).  A scenario file is a list of steps:
 *
 *   scenario NAME            start a scenario (the previous one is judged)
 *   container NAME [apparmor=PROFILE]
 *                            start a runc container from /bundle (cgroup id noted),
 *                            under an AppArmor profile when given
 *   policy                   start a new CompiledPolicy (version + 1)
 *   ruleset NAME|host        following rules/postures go to that ruleset
 *   posture file|network|capability block|audit
 *   rule RULE...             see tests/vm/pol.h (pol_rule_parse)
 *   apply                    hand the policy to the enforcer
 *   unenforced N             the last apply reported N rules it cannot enforce
 *   run NAME|host ok|fail [user=U] CMD...   run CMD (sh -c) and check its status
 *   bg WHO CMD               start CMD like run, without waiting
 *   waitfile PATH            until PATH (a VM path) exists
 *   wait ok|fail             the bg command's status (alerts: since wait)
 *   alert k=v...             an alert since the last run has all these fields ('~': space)
 *                            (policy type action result operation resource data
 *                            enforcer severity tags message)
 *   noalert                  no alert since the last run
 *   restart                  destroy the enforcer (pins stay) and start a new one
 *   crash                    a child process starts an enforcer, applies the
 *                            current policy and is SIGKILLed; then this one adopts
 *   unpin                    remove the pins and the enforcer: enforcement ends
 *   badpin MAP               replace the pinned MAP by one of another layout
 *                            (an older agent's), to check the next start copes
 *   genrules N               add N file rules (paths, dirs, recursive dirs under
 *                            /bench/) that match nothing the bench touches
 *   bench N LABEL            time N open/close and socket/close loops
 *   stats                    the kernel counted denials and audits (BPF-LSM)
 *
 * Options: -v (print every alert and command), --enforcer=bpflsm (default;
 * others through bw_enforcer_new when linked with the agent's selection).
 *
 * Prints "PASS name" / "FAIL name: why" per scenario and
 * "BWVM-SUMMARY pass=N fail=M" last; exit status 0 only when all passed.
 */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <event2/event.h>

#include <bpf/bpf.h>

#include "enforce_bpflsm.h"
#include "pol.h"

#define MAX_ALERTS 256
#define MAX_CONTAINERS 8

struct alert_rec {
	char policy[64], type[32], action[16], result[32], operation[16], resource[256], data[64],
	    enforcer[16], severity[8], tags[128], message[128];
};

struct ctr {
	char name[32];
	uint64_t cgroup_id;
};

static struct {
	struct bw_enforcer *e;
	const char *pin_dir;
	struct alert_rec alerts[MAX_ALERTS];
	int n_alerts;
	struct ctr ctrs[MAX_CONTAINERS];
	const char *enforcer; /* "bpflsm", "apparmor", "cgroup" */
	struct event_base *base;
	int n_ctrs;
	Bulwark__V1__CompiledPolicy *cp;
	Bulwark__V1__RuleSet *rs;
	uint64_t version;
	char scenario[128];
	int failed; /* current scenario */
	int n_pass, n_fail;
	int verbose;
	pid_t bg;	     /* the background command of the bg step */
	size_t n_unenforced; /* reported by the last apply */
} g;

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (g.failed++)
		return; /* the first reason is the one that matters */
	printf("FAIL %s: ", g.scenario);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void on_alert(void *arg, const struct bw_enforcer_alert *a)
{
	struct alert_rec *r;
	const Bulwark__V1__RuleOrigin *o = a->origin;

	if (g.n_alerts >= MAX_ALERTS)
		return;
	r = &g.alerts[g.n_alerts++];
	memset(r, 0, sizeof(*r));
	snprintf(r->policy, sizeof(r->policy), "%s",
		 a->default_posture ? "DefaultPosture"
		 : o		    ? o->policy_name
				    : "?");
	snprintf(r->type, sizeof(r->type), "%s", a->host ? "MatchedHostPolicy" : "MatchedPolicy");
	snprintf(r->action, sizeof(r->action), "%s", a->action ? a->action : "");
	snprintf(r->result, sizeof(r->result), "%s", a->blocked ? "Permission denied" : "Passed");
	snprintf(r->operation, sizeof(r->operation), "%s", a->operation);
	snprintf(r->resource, sizeof(r->resource), "%s", a->resource);
	snprintf(r->data, sizeof(r->data), "%s", a->data);
	snprintf(r->enforcer, sizeof(r->enforcer), "%s", a->enforcer);
	if (o) {
		snprintf(r->severity, sizeof(r->severity), "%u", o->severity);
		snprintf(r->message, sizeof(r->message), "%s", o->message ? o->message : "");
		for (size_t i = 0; i < o->n_tags; i++)
			snprintf(r->tags + strlen(r->tags), sizeof(r->tags) - strlen(r->tags),
				 "%s%s", i ? "," : "", o->tags[i]);
	}
	if (g.verbose)
		printf("  alert policy=%s type=%s action=%s result=\"%s\" operation=%s resource=%s "
		       "data=%s comm=%s cgroup=%llu\n",
		       r->policy, r->type, r->action, r->result, r->operation, r->resource, r->data,
		       a->comm, (unsigned long long)a->cgroup_id);
}

static int is_bpflsm(void)
{
	return !strcmp(g.enforcer, "bpflsm");
}

/* The backend under test: BPF-LSM directly, others through the agent's
 * selection (bw_enforcer_new with prefer) when the driver is linked with it. */
static int enforcer_start(void)
{
	struct bw_enforcer_opts o = {
	    .base = g.base, .on_alert = on_alert, .pin_dir = g.pin_dir, .prefer = g.enforcer};

	if (is_bpflsm())
		return bw_enforcer_bpflsm_new(&g.e, &o);
#ifdef BW_HAVE_ENFORCERS
	return bw_enforcer_new(&g.e, &o);
#else
	return -ENOTSUP;
#endif
}

static void enforcer_stop(void)
{
	if (g.e)
		g.e->ops->destroy(g.e);
	g.e = NULL;
}

/* Runs the event loop (where backends deliver alerts) for about ms. */
static void drain(int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		event_base_loop(g.base, EVLOOP_NONBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &t);
		if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 >= ms)
			break;
		usleep(10000);
	}
}

/* The adopted policy version must be the last one applied (BPF-LSM pins). */
static void check_adopted(const char *what)
{
	if (is_bpflsm() && bw_enforcer_bpflsm_version(g.e) != g.version)
		fail("%s: adopted version %llu, expected %llu", what,
		     (unsigned long long)bw_enforcer_bpflsm_version(g.e),
		     (unsigned long long)g.version);
}

static struct ctr *ctr_find(const char *name)
{
	for (int i = 0; i < g.n_ctrs; i++)
		if (!strcmp(g.ctrs[i].name, name))
			return &g.ctrs[i];
	return NULL;
}

/* Starts argv with stdout+stderr to out; returns the pid or -1. */
static pid_t spawn_bg(char *const argv[], const char *out)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);

		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		close(0);
		open("/dev/null", O_RDONLY);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static int reap(pid_t pid)
{
	int st;

	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs argv; returns the exit status (or -1), output to out (may be NULL). */
static int spawn(char *const argv[], const char *out)
{
	return reap(spawn_bg(argv, out));
}

static uint64_t cgroup_of(const char *name)
{
	char path[256];
	struct stat st;

	/* runc puts container NAME in cgroup v2 "/NAME" when cgroupsPath is unset. */
	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s", name);
	if (stat(path, &st))
		return 0;
	return st.st_ino;
}

/* A bundle of its own for a container that runs under an AppArmor profile:
 * /bundle's config with process.apparmorProfile set (rootfs shared). */
static int bundle_with_profile(const char *name, const char *profile, char *dir, size_t len)
{
	static const char anchor[] = "\"process\": {";
	char path[256], *buf = NULL, *at;
	FILE *in = fopen("/bundle/config.json", "r"), *out = NULL;
	long n;
	int rc = -EINVAL;

	if (!in)
		return -errno;
	fseek(in, 0, SEEK_END);
	n = ftell(in);
	rewind(in);
	buf = calloc(1, (size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, in) != (size_t)n)
		goto cleanup;
	at = strstr(buf, anchor);
	if (!at)
		goto cleanup;
	at += sizeof(anchor) - 1;
	snprintf(dir, len, "/run/bundles/%s", name);
	mkdir("/run/bundles", 0755);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/config.json", dir);
	out = fopen(path, "w");
	if (!out) {
		rc = -errno;
		goto cleanup;
	}
	fprintf(out, "%.*s\n \"apparmorProfile\": \"%s\",%s", (int)(at - buf), buf, profile, at);
	rc = 0;
cleanup:
	if (out)
		fclose(out);
	fclose(in);
	free(buf);
	return rc;
}

/* container NAME [apparmor=PROFILE] */
static void step_container(char *rest)
{
	char *save = NULL, *name = strtok_r(rest, " \t", &save),
	     *opt = strtok_r(NULL, " \t", &save);
	char bundle[128] = "/bundle";
	char *argv[] = {"runc", "run", "-d", "--no-pivot", "-b", bundle, name, NULL};
	struct ctr *c;
	int rc;

	if (!name)
		return fail("container needs a name");
	if (ctr_find(name))
		return;
	if (g.n_ctrs >= MAX_CONTAINERS)
		return fail("too many containers");
	if (opt && !strncmp(opt, "apparmor=", 9)) {
		rc = bundle_with_profile(name, opt + 9, bundle, sizeof(bundle));
		if (rc)
			return fail("bundle for %s: %s", name, strerror(-rc));
	}
	rc = spawn(argv, "/tmp/runc-run.log");
	if (rc) {
		fail("runc run %s exited %d:", name, rc);
		system("cat /tmp/runc-run.log");
		return;
	}
	c = &g.ctrs[g.n_ctrs++];
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->cgroup_id = cgroup_of(name);
	if (!c->cgroup_id)
		fail("no cgroup for container %s", name);
	else
		printf("  container %s cgroup_id=%llu\n", name, (unsigned long long)c->cgroup_id);
}

static void step_policy(void)
{
	if (g.cp)
		bulwark__v1__compiled_policy__free_unpacked(g.cp, NULL);
	g.cp = pol_new(++g.version);
	g.rs = NULL;
}

/* The same rules under a new version (what a child applies before dying). */
static void step_policy_version_bump(void)
{
	if (!g.cp)
		step_policy();
	g.cp->version = ++g.version;
}

static void step_ruleset(const char *name)
{
	struct ctr *c;

	if (!g.cp)
		step_policy();
	if (!strcmp(name, "host")) {
		g.rs = g.cp->host ? g.cp->host : pol_ruleset(g.cp, 1, 0, "");
		return;
	}
	c = ctr_find(name);
	if (!c) {
		fail("ruleset for unknown container %s", name);
		return;
	}
	for (size_t i = 0; i < g.cp->n_containers; i++)
		if (g.cp->containers[i]->cgroup_id == c->cgroup_id) {
			g.rs = g.cp->containers[i];
			return;
		}
	g.rs = pol_ruleset(g.cp, 0, c->cgroup_id, name);
}

static void step_apply(void)
{
	char **un = NULL, err[256] = "";
	size_t n_un = 0;
	int rc;

	if (!g.cp)
		step_policy();
	rc = g.e->ops->apply(g.e, g.cp, &un, &n_un, err, sizeof(err));
	if (rc)
		fail("apply: %s (%s)", err, strerror(-rc));
	g.n_unenforced = n_un;
	for (size_t i = 0; i < n_un; i++) {
		printf("  unenforced: %s\n", un[i]);
		free(un[i]);
	}
	free(un);
}

static void step_run(char *rest)
{
	char *save = NULL, *who = strtok_r(rest, " \t", &save);
	char *expect = strtok_r(NULL, " \t", &save);
	char *cmd = save, user[32] = "";
	int rc;

	if (!who || !expect || !cmd) {
		fail("run needs WHO ok|fail CMD");
		return;
	}
	while (*cmd == ' ')
		cmd++;
	if (!strncmp(cmd, "user=", 5)) {
		char *sp = strchr(cmd, ' ');

		if (!sp) {
			fail("run: user= without command");
			return;
		}
		snprintf(user, sizeof(user), "%.*s", (int)(sp - cmd - 5), cmd + 5);
		cmd = sp + 1;
	}
	drain(0);
	g.n_alerts = 0;
	if (!strcmp(who, "host")) {
		char *argv[] = {"/bin/sh", "-c", cmd, NULL};

		rc = spawn(argv, "/tmp/run.out");
	} else {
		char *argv[] = {"runc", "exec", "--user", user[0] ? user : "0:0", who, "/bin/sh",
				"-c",	cmd,	NULL};

		rc = spawn(argv, "/tmp/run.out");
	}
	drain(200);
	if (g.verbose)
		printf("  run %s: %s -> %d\n", who, cmd, rc);
	if ((!strcmp(expect, "ok") && rc != 0) || (!strcmp(expect, "fail") && rc == 0)) {
		fail("'%s' in %s exited %d, expected %s", cmd, who, rc, expect);
		system("head -c 600 /tmp/run.out");
	}
}

/* bg WHO CMD: like run, without waiting (see wait). */
static void step_bg(char *rest)
{
	char *save = NULL, *who = strtok_r(rest, " \t", &save), *cmd = save;

	if (!who || !cmd || g.bg > 0)
		return fail("bg needs WHO CMD and no other bg command running");
	if (!strcmp(who, "host")) {
		char *argv[] = {"/bin/sh", "-c", cmd, NULL};

		g.bg = spawn_bg(argv, "/tmp/bg.out");
	} else {
		char *argv[] = {"runc", "exec", who, "/bin/sh", "-c", cmd, NULL};

		g.bg = spawn_bg(argv, "/tmp/bg.out");
	}
	if (g.bg < 0)
		fail("bg: cannot start '%s'", cmd);
}

/* wait ok|fail: the bg command's status. */
static void step_wait(const char *expect)
{
	int rc = reap(g.bg);

	g.bg = 0;
	drain(200);
	if ((!strcmp(expect, "ok") && rc != 0) || (!strcmp(expect, "fail") && rc == 0)) {
		fail("the bg command exited %d, expected %s", rc, expect);
		system("head -c 600 /tmp/bg.out");
	}
}

/* waitfile PATH: until PATH exists (10 s at most). */
static void step_waitfile(const char *path)
{
	for (int i = 0; i < 1000; i++) {
		if (access(path, F_OK) == 0)
			return;
		usleep(10000);
	}
	fail("waitfile: %s did not appear", path);
}

static const char *field(const struct alert_rec *r, const char *k)
{
	if (!strcmp(k, "policy"))
		return r->policy;
	if (!strcmp(k, "type"))
		return r->type;
	if (!strcmp(k, "action"))
		return r->action;
	if (!strcmp(k, "result"))
		return r->result;
	if (!strcmp(k, "operation"))
		return r->operation;
	if (!strcmp(k, "resource"))
		return r->resource;
	if (!strcmp(k, "data"))
		return r->data;
	if (!strcmp(k, "enforcer"))
		return r->enforcer;
	if (!strcmp(k, "severity"))
		return r->severity;
	if (!strcmp(k, "tags"))
		return r->tags;
	if (!strcmp(k, "message"))
		return r->message;
	return NULL;
}

static void step_alert(char *rest)
{
	char *kv[16];
	int n = 0;
	char *save = NULL;
	char why[300] = "";

	for (char *t = strtok_r(rest, " \t", &save); t && n < 16; t = strtok_r(NULL, " \t", &save))
		kv[n++] = t;
	for (int a = 0; a < g.n_alerts; a++) {
		int ok = 1;

		for (int i = 0; i < n && ok; i++) {
			char *eq = strchr(kv[i], '=');
			const char *v;

			if (!eq)
				return fail("alert: '%s' is not k=v", kv[i]);
			*eq = 0;
			v = field(&g.alerts[a], kv[i]);
			*eq = '=';
			/* '~' in expected values stands for a space. */
			char want[256];
			snprintf(want, sizeof(want), "%s", eq + 1);
			for (char *p = want; *p; p++)
				if (*p == '~')
					*p = ' ';
			if (!v || strcmp(v, want)) {
				ok = 0;
				snprintf(why, sizeof(why), "%s: wanted '%s' got '%s'", kv[i], want,
					 v ? v : "(no such field)");
			}
		}
		if (ok)
			return;
	}
	fail("no matching alert among %d (last mismatch %s)", g.n_alerts, why);
	for (int a = 0; a < g.n_alerts && a < 5; a++)
		printf(
		    "    got policy=%s action=%s result=\"%s\" operation=%s resource=%s data=%s\n",
		    g.alerts[a].policy, g.alerts[a].action, g.alerts[a].result,
		    g.alerts[a].operation, g.alerts[a].resource, g.alerts[a].data);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void step_bench(char *rest)
{
	char *save = NULL, *ns = strtok_r(rest, " \t", &save),
	     *label = strtok_r(NULL, " \t", &save);
	long n = ns ? atol(ns) : 0;
	uint64_t t0, t_open, t_sock;

	if (n <= 0 || !label)
		return fail("bench needs N LABEL");
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = open("/scenario/bench-target/a/b/c/file", O_RDONLY);

		if (fd < 0)
			return fail("bench open: %s", strerror(errno));
		close(fd);
	}
	t_open = now_ns() - t0;
	t0 = now_ns();
	for (long i = 0; i < n; i++) {
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd < 0)
			return fail("bench socket: %s", strerror(errno));
		close(fd);
	}
	t_sock = now_ns() - t0;
	printf("BENCH label=%s n=%ld open_ns=%llu socket_ns=%llu\n", label, n,
	       (unsigned long long)(t_open / (uint64_t)n),
	       (unsigned long long)(t_sock / (uint64_t)n));
	drain(0);
}

static void judge(void)
{
	if (!g.scenario[0])
		return;
	if (g.failed)
		g.n_fail++;
	else {
		g.n_pass++;
		printf("PASS %s\n", g.scenario);
	}
	fflush(stdout);
	g.failed = 0;
}

static void step(char *line)
{
	char *save = NULL, *cmd = strtok_r(line, " \t", &save), *rest = save ? save : (char *)"";
	char err[256];

	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (!cmd || cmd[0] == '#')
		return;
	if (!strcmp(cmd, "scenario")) {
		judge();
		snprintf(g.scenario, sizeof(g.scenario), "%s", rest);
		g.n_alerts = 0;
		/* Every scenario starts from an empty policy. */
		step_policy();
		step_apply();
		return;
	}
	if (g.failed && strcmp(cmd, "bench"))
		return; /* the rest of a failed scenario would only add noise */
	if (!strcmp(cmd, "container"))
		step_container(rest);
	else if (!strcmp(cmd, "policy"))
		step_policy();
	else if (!strcmp(cmd, "ruleset"))
		step_ruleset(rest);
	else if (!strcmp(cmd, "posture")) {
		char *s2 = NULL, *what = strtok_r(rest, " \t", &s2),
		     *how = strtok_r(NULL, " \t", &s2);
		Bulwark__V1__Posture p = how && !strcmp(how, "audit")
					     ? BULWARK__V1__POSTURE__POSTURE_AUDIT
					     : BULWARK__V1__POSTURE__POSTURE_BLOCK;

		if (!g.rs || !what)
			return fail("posture needs a ruleset and a kind");
		if (!strcmp(what, "file"))
			g.rs->file_posture = p;
		else if (!strcmp(what, "network"))
			g.rs->network_posture = p;
		else
			g.rs->capability_posture = p;
	} else if (!strcmp(cmd, "rule")) {
		if (!g.rs)
			return fail("rule before ruleset");
		if (pol_rule_parse(g.rs, rest, err, sizeof(err)))
			fail("rule: %s", err);
	} else if (!strcmp(cmd, "apply"))
		step_apply();
	else if (!strcmp(cmd, "run"))
		step_run(rest);
	else if (!strcmp(cmd, "unenforced")) {
		if ((size_t)atol(rest) != g.n_unenforced)
			fail("the last apply reported %zu unenforced rules, expected %s",
			     g.n_unenforced, rest);
	} else if (!strcmp(cmd, "bg"))
		step_bg(rest);
	else if (!strcmp(cmd, "wait")) {
		g.n_alerts = 0;
		step_wait(rest);
	} else if (!strcmp(cmd, "waitfile"))
		step_waitfile(rest);
	else if (!strcmp(cmd, "alert"))
		step_alert(rest);
	else if (!strcmp(cmd, "noalert")) {
		if (g.n_alerts)
			fail("%d unexpected alerts (first: %s %s %s)", g.n_alerts,
			     g.alerts[0].policy, g.alerts[0].operation, g.alerts[0].resource);
	} else if (!strcmp(cmd, "restart")) {
		enforcer_stop();
		if (enforcer_start())
			fail("restart: the enforcer did not come back");
		else
			check_adopted("restart");
	} else if (!strcmp(cmd, "crash")) {
		pid_t pid;
		int st;

		enforcer_stop();
		step_policy_version_bump();
		pid = fork();
		if (pid == 0) {
			char **un = NULL;
			size_t n_un = 0;

			if (enforcer_start() ||
			    g.e->ops->apply(g.e, g.cp, &un, &n_un, err, sizeof(err)))
				_exit(1);
			raise(SIGKILL);
			_exit(2);
		}
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFSIGNALED(st))
			return fail("crash: the child did not apply and die by SIGKILL");
		if (enforcer_start())
			return fail("crash: the enforcer did not come back");
		check_adopted("crash");
	} else if (!strcmp(cmd, "stats")) {
		uint64_t st[BW_ENF_ST__MAX];

		/* The kernel's own counters agree with what the alerts said. */
		if (!is_bpflsm())
			return;
		if (bw_enforcer_bpflsm_stats(g.e, st))
			return fail("stats: cannot read the counters");
		if (st[BW_ENF_ST_DENIED] == 0 || st[BW_ENF_ST_AUDITED] == 0)
			fail("stats: denied=%llu audited=%llu, expected both > 0",
			     (unsigned long long)st[BW_ENF_ST_DENIED],
			     (unsigned long long)st[BW_ENF_ST_AUDITED]);
	} else if (!strcmp(cmd, "badpin")) {
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", g.pin_dir, rest);
		unlink(path);
		fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "bw_old_layout", 4, 8, 3, NULL);
		if (fd < 0 || bpf_obj_pin(fd, path))
			fail("badpin %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(cmd, "unpin")) {
		enforcer_stop();
		bw_enforcer_bpflsm_unpin(g.pin_dir);
		if (enforcer_start())
			fail("unpin: the enforcer did not come back");
	} else if (!strcmp(cmd, "genrules")) {
		long n = atol(rest);
		char p[96];

		if (!g.rs || n <= 0)
			return fail("genrules needs a ruleset and N");
		for (long i = 0; i < n; i++) {
			Bulwark__V1__MatchKind k =
			    i % 3 == 0	 ? BULWARK__V1__MATCH_KIND__MATCH_PATH
			    : i % 3 == 1 ? BULWARK__V1__MATCH_KIND__MATCH_DIR
					 : BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE;

			snprintf(p, sizeof(p),
				 i % 3 == 0 ? "/bench/r%ld/f%ld" : "/bench/r%ld/d%ld/", i % 97, i);
			pol_rule(g.rs, BULWARK__V1__OPERATION__OP_FILE, k, p,
				 BULWARK__V1__ACTION__ACTION_BLOCK, "bench");
		}
	} else if (!strcmp(cmd, "bench"))
		step_bench(rest);
	else
		fail("unknown step '%s'", cmd);
}

int main(int argc, char **argv)
{
	char line[1024];
	FILE *f;
	int rc;

	g.enforcer = "bpflsm";
	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			g.verbose = 1;
		else if (!strncmp(argv[i], "--enforcer=", 11))
			g.enforcer = argv[i] + 11;
		else
			argc = 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: bw-enf-vmtest SCENARIO_FILE [-v] "
				"[--enforcer=bpflsm|apparmor|cgroup]\n");
		return 2;
	}
	g.base = event_base_new();
	if (!g.base)
		return 1;
	g.pin_dir = getenv("BW_PIN_DIR") ? getenv("BW_PIN_DIR") : "/sys/fs/bpf/bulwark";
	setvbuf(stdout, NULL, _IOLBF, 0);
	f = fopen(argv[1], "r");
	if (!f) {
		fprintf(stderr, "bw-enf-vmtest: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	rc = enforcer_start();
	if (rc) {
		printf("BWVM-SUMMARY pass=0 fail=1 (enforcer %s did not start: %s)\n", g.enforcer,
		       strerror(-rc));
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		step(line);
	}
	judge();
	fclose(f);
	for (int i = 0; i < g.n_ctrs; i++) {
		char *kill_argv[] = {"runc", "delete", "-f", g.ctrs[i].name, NULL};

		spawn(kill_argv, NULL);
	}
	if (g.e && is_bpflsm()) {
		uint64_t st[BW_ENF_ST__MAX];

		if (bw_enforcer_bpflsm_stats(g.e, st) == 0) {
			printf("BWVM-STATS denied=%llu audited=%llu lost=%llu unresolved=%llu\n",
			       (unsigned long long)st[BW_ENF_ST_DENIED],
			       (unsigned long long)st[BW_ENF_ST_AUDITED],
			       (unsigned long long)st[BW_ENF_ST_LOST],
			       (unsigned long long)st[BW_ENF_ST_UNRESOLVED]);
		}
	}
	enforcer_stop();
	event_base_free(g.base);
	bulwark__v1__compiled_policy__free_unpacked(g.cp, NULL);
	printf("BWVM-SUMMARY pass=%d fail=%d\n", g.n_pass, g.n_fail);
	return g.n_fail ? 1 : 0;
}
