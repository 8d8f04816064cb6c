// SPDX-License-Identifier: Apache-2.0
/*
 * bw-enforce-tool: drives one enforcer backend the way the agent does, for
 * the enforcer integration tests and the VM scenarios.
 *
 *   bw-enforce-tool [--enforcer auto|bpflsm|apparmor|cgroup|none] [--pin DIR]
 *                   POLICY_FILE
 *   bw-enforce-tool --probe
 *
 * Reads POLICY_FILE (bw_testpolicy.h syntax), applies it and prints
 * "applied version=N enforcer=X unenforced=K" then one "unenforced: ..." line
 * each; on SIGHUP it re-reads the file and applies it again (a live policy
 * update, version+1).  Every alert is printed as one JSON object per line.
 * SIGINT/SIGTERM exit.  stdout is line-buffered so a script can follow it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <event2/event.h>

#include "bw_log.h"
#include "bw_testpolicy.h"
#include "enforcer.h"
#include "probe.h"

struct tool {
	struct bw_enforcer *enf;
	const char *file;
	uint64_t version;
	struct event_base *base;
};

static void on_alert(void *arg, const struct bw_enforcer_alert *a)
{
	cJSON *o = cJSON_CreateObject();
	char *s;

	cJSON_AddStringToObject(o, "Enforcer", a->enforcer);
	cJSON_AddStringToObject(o, "Operation", a->operation);
	cJSON_AddStringToObject(o, "Resource", a->resource ? a->resource : "");
	cJSON_AddStringToObject(o, "Data", a->data ? a->data : "");
	cJSON_AddStringToObject(o, "Action", a->action ? a->action : "");
	cJSON_AddStringToObject(o, "Result", a->blocked ? "Permission denied" : "Passed");
	cJSON_AddStringToObject(o, "PolicyName",
				a->default_posture ? "DefaultPosture"
				: a->origin	   ? a->origin->policy_name
						   : "");
	cJSON_AddStringToObject(o, "Type", a->host ? "MatchedHostPolicy" : "MatchedPolicy");
	cJSON_AddNumberToObject(o, "CgroupId", (double)a->cgroup_id);
	cJSON_AddNumberToObject(o, "HostPID", a->host_pid);
	cJSON_AddNumberToObject(o, "HostPPID", a->host_ppid);
	cJSON_AddNumberToObject(o, "UID", a->uid);
	cJSON_AddStringToObject(o, "Comm", a->comm);
	s = cJSON_PrintUnformatted(o);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(o);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *g = realloc(buf, cap = cap * 2 + 8192);

			if (!g) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = g;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0);
	fclose(f);
	buf[len] = '\0';
	return buf;
}

static int apply_file(struct tool *t)
{
	Bulwark__V1__CompiledPolicy *cp;
	char err[2048], **un = NULL, *text = slurp(t->file);
	size_t n_un = 0;
	int rc;

	if (!text) {
		printf("error: %s: %s\n", t->file, strerror(errno));
		return -errno;
	}
	rc = bw_testpolicy_parse(text, ++t->version, &cp, err, sizeof(err));
	free(text);
	if (rc) {
		printf("error: %s: %s\n", t->file, err);
		return rc;
	}
	err[0] = '\0';
	rc = t->enf->ops->apply(t->enf, cp, &un, &n_un, err, sizeof(err));
	bw_testpolicy_free(cp);
	if (rc)
		printf("error: apply failed: %s (%s)\n", err, strerror(-rc));
	else
		printf("applied version=%llu enforcer=%s unenforced=%zu\n",
		       (unsigned long long)t->version, t->enf->ops->name, n_un);
	for (size_t i = 0; i < n_un; i++) {
		printf("unenforced: %s\n", un[i]);
		free(un[i]);
	}
	free(un);
	return rc;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tool *t = arg;

	if (sig == SIGHUP)
		apply_file(t);
	else
		event_base_loopbreak(t->base);
}

int main(int argc, char **argv)
{
	struct bw_enforcer_opts opts = {.on_alert = on_alert, .prefer = "auto"};
	struct tool t = {0};
	struct event *evs[3] = {0};
	const int sigs[3] = {SIGHUP, SIGINT, SIGTERM};
	int code = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--probe"))
			return bw_probe_print(stdout);
		if (!strcmp(argv[i], "--enforcer") && i + 1 < argc)
			opts.prefer = argv[++i];
		else if (!strcmp(argv[i], "--pin") && i + 1 < argc)
			opts.pin_dir = argv[++i];
		else if (argv[i][0] != '-' && !t.file)
			t.file = argv[i];
		else {
			fprintf(stderr, "usage: %s [--enforcer E] [--pin DIR] POLICY | --probe\n",
				argv[0]);
			return 2;
		}
	}
	if (!t.file) {
		fprintf(stderr, "usage: %s [--enforcer E] [--pin DIR] POLICY | --probe\n", argv[0]);
		return 2;
	}
	t.base = event_base_new();
	opts.base = t.base;
	if (!t.base || bw_enforcer_new(&t.enf, &opts)) {
		printf("error: no enforcer (%s)\n", opts.prefer);
		goto cleanup;
	}
	for (int i = 0; i < 3; i++) {
		evs[i] = evsignal_new(t.base, sigs[i], on_signal, &t);
		event_add(evs[i], NULL);
	}
	apply_file(&t);
	event_base_dispatch(t.base);
	code = 0;
cleanup:
	for (int i = 0; i < 3; i++)
		if (evs[i])
			event_free(evs[i]);
	bw_enforcer_free(t.enf);
	if (t.base)
		event_base_free(t.base);
	return code;
}
