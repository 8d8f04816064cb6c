// SPDX-License-Identifier: Apache-2.0
/*
 * AppArmor enforcer: loads one generated profile per container and turns
 * the kernel's AppArmor audit records into alerts (see enforce_apparmor.h).
 *
 * Apply validates every changed profile with the parser before loading any
 * (so a policy the parser refuses changes nothing), then replaces them in
 * one parser run; each replace is atomic in the kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/netlink.h>

#include <event2/event.h>

#include "bw_array.h"
#include "bw_wire.h"
#include "bw_log.h"
#include "enforce_apparmor.h"
#include "enforce_priv.h"

extern char **environ;

#define AA_FS "/sys/kernel/security/apparmor"

#include "enforce_apparmor_int.h"

/* ---- parser --------------------------------------------------------------- */

static const char *parser_path(void)
{
	static const char *const paths[] = {"/sbin/apparmor_parser", "/usr/sbin/apparmor_parser",
					    "/usr/local/sbin/apparmor_parser", NULL};

	for (int i = 0; paths[i]; i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

int bw_aa_run_parser(const char *const *args, char *err, size_t errlen)
{
	const char *parser = parser_path();
	posix_spawn_file_actions_t fa;
	char *argv[64];
	int pipefd[2], status, rc = 0, n = 0;
	size_t used = 0;
	pid_t pid;

	if (!parser) {
		snprintf(err, errlen, "apparmor_parser not found (package apparmor)");
		return -ENOENT;
	}
	argv[n++] = (char *)parser;
	for (int i = 0; args[i] && n < 63; i++)
		argv[n++] = (char *)args[i];
	argv[n] = NULL;
	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	rc = posix_spawn(&pid, parser, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc) {
		close(pipefd[0]);
		snprintf(err, errlen, "cannot run %s: %s", parser, strerror(rc));
		return -rc;
	}
	if (errlen)
		err[0] = '\0';
	for (;;) {
		char buf[512];
		ssize_t r = read(pipefd[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		/* Keep the parser's own words; drop its cache chatter. */
		for (ssize_t i = 0; i < r && used + 1 < errlen; i++)
			err[used++] = buf[i] == '\n' ? ' ' : buf[i];
	}
	if (errlen)
		err[used < errlen ? used : errlen - 1] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -EIO;
	return 0;
}

const char *bw_aa_profile_dir(void)
{
	const char *d = getenv("BW_APPARMOR_DIR");

	return d && *d ? d : "/run/bulwark/apparmor";
}

static int write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	fputs(text, f);
	if (fclose(f)) {
		unlink(tmp);
		return -EIO;
	}
	if (rename(tmp, path)) {
		unlink(tmp);
		return -errno;
	}
	return 0;
}

/* Is a profile with this name loaded in the kernel? */
static int profile_loaded(const char *name)
{
	FILE *f = fopen(AA_FS "/profiles", "re");
	char line[512];
	size_t n = strlen(name);
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		found = !strncmp(line, name, n) && line[n] == ' ';
	fclose(f);
	return found;
}

int bw_aa_preload(const char *container_id, char *err, size_t errlen)
{
	Bulwark__V1__RuleSet rs = BULWARK__V1__RULE_SET__INIT;
	char name[BW_AA_NAME_MAX], path[PATH_MAX];
	const char *args[] = {"-r", "-K", path, NULL};
	char *text = NULL;
	int rc;

	bw_aa_profile_name(container_id, name, sizeof(name));
	if (profile_loaded(name))
		return 0;
	rs.container_id = (char *)container_id;
	rc = bw_aa_profile_generate(&rs, name, 0, &text, NULL, NULL);
	if (rc)
		return rc;
	rc = bw_mkdir_p(bw_aa_profile_dir());
	snprintf(path, sizeof(path), "%s/%s", bw_aa_profile_dir(), name);
	if (!rc)
		rc = write_file(path, text);
	free(text);
	if (rc) {
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	return bw_aa_run_parser(args, err, errlen);
}

/* ---- apply ---------------------------------------------------------------- */

static struct aa_loaded *find_loaded(struct aa *a, const char *name)
{
	for (size_t i = 0; i < a->n_loaded; i++)
		if (!strcmp(a->loaded[i].name, name))
			return &a->loaded[i];
	return NULL;
}

/*
 * The node's tasks as AppArmor sees them: the label each one runs under,
 * its cgroup (the inode of its cgroup v2 directory, the id rule sets are
 * keyed by) and no_new_privs.  Read once per apply, only when some
 * container has rules.
 */
struct aa_task {
	uint32_t pid;
	uint64_t cgid;
	int nnp;
	char label[128];
};

static struct aa_task *scan_tasks(size_t *n_out)
{
	DIR *d = opendir("/proc");
	struct aa_task *v = NULL;
	struct dirent *de;
	size_t n = 0, cap = 0;

	*n_out = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		char path[300], buf[2048], cg[PATH_MAX];
		struct aa_task *t;
		struct stat st;
		char *p;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/attr/current", de->d_name);
		if (bw_read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		if (BW_GROW(v, cap, n + 1))
			break;
		t = &v[n++];
		memset(t, 0, sizeof(*t));
		t->pid = (uint32_t)strtoul(de->d_name, NULL, 10);
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(t->label, sizeof(t->label), "%.*s", (int)sizeof(t->label) - 1, buf);
		snprintf(path, sizeof(path), "/proc/%s/status", de->d_name);
		t->nnp = bw_read_small(path, buf, sizeof(buf)) > 0 && strstr(buf, "\nNoNewPrivs:\t1");
		snprintf(path, sizeof(path), "/proc/%s/cgroup", de->d_name);
		if (bw_read_small(path, buf, sizeof(buf)) <= 0)
			continue;
		p = strstr(buf, "0::/");
		if (p && (p == buf || p[-1] == '\n')) {
			p[3 + strcspn(p + 3, "\n")] = '\0';
			snprintf(cg, sizeof(cg), "/sys/fs/cgroup%s", p + 3);
			if (!stat(cg, &st))
				t->cgid = st.st_ino;
		}
	}
	closedir(d);
	*n_out = n;
	return v;
}

/* Does label (as in /proc/PID/attr/current) belong to profile name? */
static int label_is(const char *label, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(label, name, n) && (label[n] == ' ' || label[n] == '/' || label[n] == '\0');
}

static int has_from_source(const Bulwark__V1__RuleSet *rs);

/*
 * Reports, for a container with rules, what keeps them from holding: no
 * task under its profile yet, a task of its cgroup under another label
 * (started unconfined or under another profile: it must be restarted), or
 * no_new_privs with fromSource rules.
 */
static void check_confinement(const Bulwark__V1__RuleSet *rs, const char *name,
			      const struct aa_task *t, size_t n, int scanned, char ***unenforced,
			      size_t *n_unenforced)
{
	const struct aa_task *other = NULL;
	int in_use = !scanned, nnp = 0;

	for (size_t i = 0; i < n; i++) {
		if (label_is(t[i].label, name)) {
			in_use = 1;
			nnp |= t[i].nnp;
		} else if (rs->cgroup_id && t[i].cgid == rs->cgroup_id && !other) {
			other = &t[i];
		}
	}
	if (other) {
		bw_warn("container runs outside its AppArmor profile: its rules are not enforced "
			"for it | container=%.12s pid=%u label=%s profile=%s",
			rs->container_id, other->pid, other->label, name);
		bw_unenforced_add(unenforced, n_unenforced,
				  "container %.12s: process %u runs under '%s', not profile %s: "
				  "not confined; restart the container with "
				  "process.apparmorProfile=%s",
				  rs->container_id, other->pid, other->label, name, name);
	} else if (!in_use) {
		bw_unenforced_add(unenforced, n_unenforced,
				  "container %.12s: no process runs under profile %s; start the "
				  "container with process.apparmorProfile=%s (a running "
				  "container cannot be moved into a profile)",
				  rs->container_id, name, name);
	}
	if (nnp && has_from_source(rs))
		bw_unenforced_add(unenforced, n_unenforced,
				  "container %.12s: fromSource rules: the container runs with "
				  "no_new_privs, under which AppArmor refuses the source's child "
				  "profile (the source binary fails to exec)",
				  rs->container_id);
}

static int has_from_source(const Bulwark__V1__RuleSet *rs)
{
	for (size_t i = 0; i < rs->n_rules; i++)
		if (rs->rules[i]->n_from_source)
			return 1;
	return 0;
}

/* A copy of cp holding network rules only (for the cgroup-BPF program). */
static Bulwark__V1__CompiledPolicy *network_only(const Bulwark__V1__CompiledPolicy *cp)
{
	Bulwark__V1__CompiledPolicy *c = bw_compiled_policy_dup(cp);

	if (!c)
		return NULL;
	for (size_t i = 0; i <= c->n_containers; i++) {
		Bulwark__V1__RuleSet *rs = i < c->n_containers ? c->containers[i] : c->host;
		size_t keep = 0;

		if (!rs)
			continue;
		for (size_t j = 0; j < rs->n_rules; j++) {
			if (rs->rules[j]->operation == BULWARK__V1__OPERATION__OP_NETWORK)
				rs->rules[keep++] = rs->rules[j];
			else
				bulwark__v1__rule__free_unpacked(rs->rules[j], NULL);
		}
		rs->n_rules = keep;
	}
	return c;
}

/* Host rules need a profile unless all of them go to cgroup-BPF. */
static int host_needs_profile(const Bulwark__V1__RuleSet *host, int net_elsewhere)
{
	for (size_t i = 0; i < host->n_rules; i++)
		if (!net_elsewhere ||
		    host->rules[i]->operation != BULWARK__V1__OPERATION__OP_NETWORK)
			return 1;
	return 0;
}

/* Unloads every top-level profile of old_text that new_text does not
 * define (a host source dropped from the policy; everything when new_text
 * is empty).  Tasks under a removed profile become unconfined. */
static void remove_stale(const char *old_text, const char *new_text)
{
	for (const char *s = old_text; s && *s;) {
		size_t len = strcspn(s, "\n");

		if (!strncmp(s, "profile ", 8)) {
			char name[BW_AA_NAME_MAX + 16], want[BW_AA_NAME_MAX + 32];
			size_t n = strcspn(s + 8, " \n{");

			snprintf(name, sizeof(name), "%.*s", (int)n, s + 8);
			snprintf(want, sizeof(want), "\nprofile %s ", name);
			if (strncmp(new_text, want + 1, strlen(want + 1)) &&
			    !strstr(new_text, want)) {
				int fd = open(AA_FS "/.remove", O_WRONLY | O_CLOEXEC);

				if (fd >= 0) {
					if (write(fd, name, strlen(name)) < 0 && errno != ENOENT)
						bw_warn("cannot remove an AppArmor profile | "
							"profile=%s err=%s",
							name, strerror(errno));
					close(fd);
				}
			}
		}
		s += len;
		if (*s == '\n')
			s++;
	}
}

struct pending {
	char name[BW_AA_NAME_MAX];
	char path[PATH_MAX];
	char *text;
};

static int aa_apply(struct bw_enforcer *e, const Bulwark__V1__CompiledPolicy *cp,
		    char ***unenforced, size_t *n_unenforced, char *err, size_t errlen)
{
	struct aa *a = e->priv;
	const char *dir = bw_aa_profile_dir();
	struct pending *pend = calloc(cp->n_containers + 1, sizeof(*pend));
	size_t n_pend = 0;
	const char **args = calloc(cp->n_containers + 5, sizeof(*args));
	struct aa_task *tasks = NULL;
	size_t n_tasks = 0;
	int tasks_scanned = 0;
	Bulwark__V1__CompiledPolicy *copy = bw_compiled_policy_dup(cp);
	int rc = 0, nargs;

	if (!pend || !args || !copy) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory");
		goto cleanup;
	}
	rc = bw_mkdir_p(dir);
	if (rc) {
		snprintf(err, errlen, "cannot create the profile directory %s: %s", dir,
			 strerror(-rc));
		goto cleanup;
	}
	if (a->net) {
		/* Network first: it is atomic and fails cleanly. */
		Bulwark__V1__CompiledPolicy *net = network_only(cp);

		if (!net) {
			rc = -ENOMEM;
			snprintf(err, errlen, "out of memory");
			goto cleanup;
		}
		rc = a->net->ops->apply(a->net, net, unenforced, n_unenforced, err, errlen);
		bulwark__v1__compiled_policy__free_unpacked(net, NULL);
		if (rc)
			goto cleanup;
	}
	for (size_t i = 0; i < cp->n_containers && !tasks_scanned; i++)
		if (cp->containers[i]->n_rules) {
			tasks = scan_tasks(&n_tasks);
			tasks_scanned = 1;
		}
	for (size_t i = 0; i <= cp->n_containers; i++) {
		const Bulwark__V1__RuleSet *rs =
		    i < cp->n_containers ? cp->containers[i] : cp->host;
		struct pending *p = &pend[n_pend];
		struct aa_loaded *l;
		unsigned flags = a->net ? BW_AA_GEN_NO_NETWORK : 0;

		if (!rs)
			continue;
		if (i == cp->n_containers) {
			/* The host: a profile only when some rule needs one. */
			if (!host_needs_profile(rs, a->net != NULL))
				continue;
			snprintf(p->name, sizeof(p->name), "%s", BW_AA_HOST);
			flags |= BW_AA_GEN_HOST;
			bw_unenforced_add(
			    unenforced, n_unenforced,
			    "host: AppArmor confines a host process from its next exec of a shell "
			    "or of a fromSource binary on (profile %s); processes running already "
			    "and daemons started without a shell are not confined",
			    BW_AA_HOST);
		} else {
			bw_aa_profile_name(rs->container_id, p->name, sizeof(p->name));
		}
		rc = bw_aa_profile_generate(rs, p->name, flags, &p->text, unenforced, n_unenforced);
		if (rc) {
			snprintf(err, errlen, "generating profile %s failed: %s", p->name,
				 strerror(-rc));
			goto cleanup;
		}
		if (i < cp->n_containers && rs->n_rules)
			check_confinement(rs, p->name, tasks, n_tasks, tasks_scanned, unenforced,
					  n_unenforced);
		l = find_loaded(a, p->name);
		if (l && !strcmp(l->text, p->text)) {
			free(p->text);
			p->text = NULL;
			continue; /* unchanged: no reload */
		}
		snprintf(p->path, sizeof(p->path), "%s/%s.new", dir, p->name);
		rc = write_file(p->path, p->text);
		if (rc) {
			snprintf(err, errlen, "%s: %s", p->path, strerror(-rc));
			goto cleanup;
		}
		n_pend++;
	}

	if (n_pend) {
		/* Validate everything first: a refused profile changes nothing. */
		nargs = 0;
		args[nargs++] = "-Q";
		args[nargs++] = "-K";
		for (size_t i = 0; i < n_pend; i++)
			args[nargs++] = pend[i].path;
		args[nargs] = NULL;
		rc = bw_aa_run_parser(args, err, errlen);
		if (rc)
			goto cleanup;
		nargs = 0;
		args[nargs++] = "-r";
		args[nargs++] = "-K";
		for (size_t i = 0; i < n_pend; i++) {
			char final[PATH_MAX];

			snprintf(final, sizeof(final), "%s/%s", dir, pend[i].name);
			if (rename(pend[i].path, final)) {
				rc = -errno;
				snprintf(err, errlen, "%s: %s", final, strerror(-rc));
				goto cleanup;
			}
			snprintf(pend[i].path, sizeof(pend[i].path), "%s", final);
			args[nargs++] = pend[i].path;
		}
		args[nargs] = NULL;
		rc = bw_aa_run_parser(args, err, errlen);
		if (rc)
			goto cleanup;
		for (size_t i = 0; i < n_pend; i++) {
			struct aa_loaded *l = find_loaded(a, pend[i].name);

			if (!l) {
				struct aa_loaded *g =
				    realloc(a->loaded, (a->n_loaded + 1) * sizeof(*g));

				if (!g) {
					rc = -ENOMEM;
					goto cleanup;
				}
				a->loaded = g;
				l = &a->loaded[a->n_loaded++];
				snprintf(l->name, sizeof(l->name), "%s", pend[i].name);
				l->text = NULL;
			}
			if (l->text)
				remove_stale(l->text, pend[i].text);
			free(l->text);
			l->text = pend[i].text;
			pend[i].text = NULL;
		}
	}

	/* Containers gone from the policy (and a host without rules): their
	 * profiles go too. */
	for (size_t i = 0; i < a->n_loaded;) {
		int keep = !strcmp(a->loaded[i].name, BW_AA_HOST) && cp->host &&
			   host_needs_profile(cp->host, a->net != NULL);

		for (size_t j = 0; j < cp->n_containers && !keep; j++) {
			char name[BW_AA_NAME_MAX];

			bw_aa_profile_name(cp->containers[j]->container_id, name, sizeof(name));
			keep = !strcmp(name, a->loaded[i].name);
		}
		if (keep) {
			i++;
			continue;
		}
		{
			char path[PATH_MAX];

			remove_stale(a->loaded[i].text, "");
			snprintf(path, sizeof(path), "%s/%s", dir, a->loaded[i].name);
			unlink(path);
		}
		free(a->loaded[i].text);
		a->loaded[i] = a->loaded[--a->n_loaded];
	}

	bulwark__v1__compiled_policy__free_unpacked(a->cur, NULL);
	a->cur = copy;
	copy = NULL;
	bw_info("AppArmor profiles applied | version=%llu reloaded=%zu containers=%zu",
		(unsigned long long)cp->version, n_pend, cp->n_containers);
cleanup:
	if (rc)
		for (size_t i = 0; i < n_pend; i++)
			if (pend[i].path[0] && strstr(pend[i].path, ".new"))
				unlink(pend[i].path);
	for (size_t i = 0; pend && i < cp->n_containers + 1; i++)
		free(pend[i].text);
	free(pend);
	free(args);
	free(tasks);
	if (copy)
		bulwark__v1__compiled_policy__free_unpacked(copy, NULL);
	return rc;
}

/* ---- life cycle ----------------------------------------------------------- */

static void aa_destroy(struct bw_enforcer *e)
{
	struct aa *a = e ? e->priv : NULL;

	if (!a)
		return;
	if (a->ev)
		event_free(a->ev);
	if (a->log_fd >= 0)
		close(a->log_fd);
	bw_enforcer_free(a->net);
	/* Profiles stay loaded: containers stay confined while the agent is away. */
	for (size_t i = 0; i < a->n_loaded; i++)
		free(a->loaded[i].text);
	free(a->loaded);
	bulwark__v1__compiled_policy__free_unpacked(a->cur, NULL);
	free(a);
}

static const struct bw_enforcer_ops aa_ops = {
    .name = "AppArmor",
    .kind = BULWARK__V1__ENFORCER__ENFORCER_APPARMOR,
    .apply = aa_apply,
    .destroy = aa_destroy,
};

int bw_enforcer_apparmor_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts)
{
	struct aa *a = calloc(1, sizeof(*a));
	int rc;

	if (!a)
		return -ENOMEM;
	a->e.ops = &aa_ops;
	a->e.priv = a;
	a->on_alert = opts->on_alert;
	a->alert_arg = opts->alert_arg;
	a->log_fd = -1;
	if (!parser_path() || access(AA_FS "/.replace", W_OK)) {
		rc = -ENOTSUP;
		goto fail;
	}
	if (!getenv("BW_APPARMOR_NO_CGROUP_NET")) {
		rc = bw_enforcer_cgroup_new(&a->net, opts);
		if (rc) {
			bw_warn("cgroup-BPF unavailable: network rules go into the AppArmor "
				"profiles | err=%s",
				strerror(-rc));
			a->net = NULL;
		}
	}
	rc = bw_aa_open_log(a);
	if (rc) {
		bw_error("cannot read AppArmor audit records | err=%s", strerror(-rc));
		goto fail;
	}
	if (opts->base) {
		a->ev = event_new(opts->base, a->log_fd, EV_READ | EV_PERSIST, bw_aa_on_log, a);
		if (!a->ev || event_add(a->ev, NULL)) {
			rc = -ENOMEM;
			goto fail;
		}
	}
	bw_info("AppArmor enforcer ready | profiles=%s log=%s network=%s", bw_aa_profile_dir(),
		a->log_is_kmsg ? "/dev/kmsg" : "audit-netlink", a->net ? "cgroup-bpf" : "apparmor");
	*out = &a->e;
	return 0;
fail:
	aa_destroy(&a->e);
	return rc;
}
