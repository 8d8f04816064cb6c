/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bw-controller-bench: N simulated agents (bw_ctlclient) in one process on
 * one event loop, each reporting C containers, against a running
 * bulwark-controller.  Each round applies a policy that selects containers
 * on every node and measures, per node, from the start of the POST until
 * the CONTROLLER has received and processed that node's acknowledgement:
 * the controller stamps each processed ack (GET /v1/nodes applied_at_ns,
 * wall clock, same machine), and the round's figure for a node is that
 * stamp minus the wall clock taken just before the POST was sent.  The
 * round is complete when every node's applied_version is the version its
 * agent received.  Prints the percentiles over all rounds and nodes, the
 * all-acknowledged time of each round, and the controller's RSS (from
 * /proc/PID/status, read after the last round's GET /v1/nodes).
 *
 * The load generator shares the machine's cores with the controller, so it
 * must stay cheap: the simulated agents only read the version of each
 * PolicyUpdate (bw_ctlclient's policy_version_only) and acknowledge it,
 * except node-0000, which decodes its policy in full so that each round
 * checks the policy really reached a node's containers.  -D makes every
 * agent decode in full (what real agents do, on their own machines).
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent_client.h"
#include "bw_log.h"
#include "bw_time.h"
#include "http_client.h"

struct sim {
	struct bw_ctlclient *cl;
	uint64_t version;
	uint64_t got_ns; /* when the latest version arrived */
	size_t rules;
};

static struct sim *sims;
static int n_nodes = 1000, n_ctrs = 100, decode_all;

static int on_policy(void *arg, const Bulwark__V1__CompiledPolicy *cp, struct bw_ctlclient_ack *a)
{
	struct sim *s = arg;

	s->version = cp->version;
	s->got_ns = bw_mono_ns();
	s->rules = 0;
	for (size_t i = 0; i < cp->n_containers; i++)
		s->rules += cp->containers[i]->n_rules;
	return 0;
}

struct post {
	const char *target;
	char body[1024];
	int status;
	char err[256];
	atomic_int done;
};

static void *post_thread(void *arg)
{
	struct post *p = arg;
	struct bw_http_resp r;

	if (bw_http_request(p->target, NULL, "POST", "/v1/policies?filename=bench.yaml", NULL,
			    p->body, strlen(p->body), 30000, &r, p->err, sizeof(p->err)) == 0) {
		p->status = r.status;
		bw_http_resp_free(&r);
	}
	atomic_store(&p->done, 1);
	return NULL;
}

static void run_ms(struct event_base *base, int ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};

	event_base_loopexit(base, &tv);
	event_base_dispatch(base);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static long rss_kb(int pid, const char *field)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, field, strlen(field)) == 0)
			v = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return v;
}

/* CPU time (user + system) of a process, in ms; -1 when unreadable. */
static double cpu_ms(int pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* Fields 14 and 15 (utime, stime), counted after the ")" that ends
	 * the command name. */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

static int start_sim(struct event_base *base, const char *url, int i)
{
	Bulwark__V1__Container *c = calloc((size_t)n_ctrs, sizeof(*c));
	Bulwark__V1__KeyValue *kv = calloc((size_t)n_ctrs * 2, sizeof(*kv));
	Bulwark__V1__KeyValue **kvp = calloc((size_t)n_ctrs * 2, sizeof(*kvp));
	const Bulwark__V1__Container **cp = calloc((size_t)n_ctrs, sizeof(*cp));
	char node[32], (*ids)[80] = calloc((size_t)n_ctrs, sizeof(*ids)),
		       (*apps)[32] = calloc((size_t)n_ctrs, sizeof(*apps)),
		       (*pods)[48] = calloc((size_t)n_ctrs, sizeof(*pods));
	struct bw_ctlclient_opts o = {0};
	struct bw_ctlclient_callbacks cbs = {.on_policy = on_policy, .arg = &sims[i]};
	Bulwark__V1__Enforcer enf = BULWARK__V1__ENFORCER__ENFORCER_BPFLSM;
	int rc = -ENOMEM;

	if (!c || !kv || !kvp || !cp || !ids || !apps || !pods)
		goto out;
	snprintf(node, sizeof(node), "node-%04d", i);
	o.url = url;
	o.node_name = node;
	o.labels = "kubernetes.io/os=linux,topology.kubernetes.io/zone=z1";
	o.kernel_version = "6.1.0-bench";
	o.agent_version = "bench";
	o.enforcers = &enf;
	o.n_enforcers = 1;
	o.active_enforcer = enf;
	o.boot_id = bw_random_u64();
	o.reconnect_min_ms = 100;
	o.reconnect_max_ms = 2000;
	o.policy_version_only = i > 0 && !decode_all;
	rc = bw_ctlclient_new(&sims[i].cl, base, &o, &cbs);
	if (rc)
		goto out;
	for (int j = 0; j < n_ctrs; j++) {
		bulwark__v1__container__init(&c[j]);
		/* Realistic sizes: 64-hex ids, image refs, a few labels. */
		snprintf(ids[j], sizeof(ids[j]), "%016llx%016llx%016llx%016llx",
			 (unsigned long long)i, (unsigned long long)j, 0xabcdefull * (unsigned)j,
			 0x1234567ull * (unsigned)i);
		snprintf(apps[j], sizeof(apps[j]), "svc-%d", j % 10);
		snprintf(pods[j], sizeof(pods[j]), "svc-%d-%04d-%02d", j % 10, i, j);
		c[j].id = ids[j];
		c[j].name = pods[j];
		c[j].image = "registry.example.com/team/service:1.2.3";
		c[j].pod_name = pods[j];
		c[j].namespace_name = "default";
		c[j].container_name = "main";
		c[j].cgroup_id = (uint64_t)i * 100000 + (uint64_t)j + 1;
		c[j].runtime = "containerd";
		bulwark__v1__key_value__init(&kv[2 * j]);
		bulwark__v1__key_value__init(&kv[2 * j + 1]);
		kv[2 * j].key = "app";
		kv[2 * j].value = apps[j];
		kv[2 * j + 1].key = "pod-template-hash";
		kv[2 * j + 1].value = "5d8f7c9b6d";
		kvp[2 * j] = &kv[2 * j];
		kvp[2 * j + 1] = &kv[2 * j + 1];
		c[j].labels = &kvp[2 * j];
		c[j].n_labels = 2;
		cp[j] = &c[j];
	}
	rc = bw_ctlclient_report_containers(sims[i].cl, 1, cp, (size_t)n_ctrs, NULL, 0);
out:
	free(c);
	free(kv);
	free(kvp);
	free(cp);
	free(ids);
	free(apps);
	free(pods);
	return rc;
}

/*
 * Reads the controller's view of every node (GET /v1/nodes) into
 * acked_ns[i] (its applied_at_ns, or 0 while its applied_version is not
 * yet the one sims[i] received).  Returns how many nodes are done, or -1.
 */
static int controller_acks(const char *target, uint64_t *acked_ns)
{
	struct bw_http_resp r;
	char err[256];
	cJSON *doc, *items, *it;
	int done = 0;

	if (bw_http_request(target, NULL, "GET", "/v1/nodes", NULL, NULL, 0, 30000, &r, err,
			    sizeof(err))) {
		fprintf(stderr, "bench: GET /v1/nodes: %s\n", err);
		return -1;
	}
	doc = r.status == 200 ? cJSON_Parse(r.body) : NULL;
	bw_http_resp_free(&r);
	items = cJSON_GetObjectItemCaseSensitive(doc, "items");
	if (!cJSON_IsArray(items)) {
		fprintf(stderr, "bench: GET /v1/nodes: no items\n");
		cJSON_Delete(doc);
		return -1;
	}
	memset(acked_ns, 0, (size_t)n_nodes * sizeof(*acked_ns));
	cJSON_ArrayForEach(it, items)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name"),
			    *av = cJSON_GetObjectItemCaseSensitive(it, "applied_version"),
			    *at = cJSON_GetObjectItemCaseSensitive(it, "applied_at_ns");
		int i;

		if (!cJSON_IsString(name) || sscanf(name->valuestring, "node-%d", &i) != 1 ||
		    i < 0 || i >= n_nodes || !cJSON_IsNumber(av) || !cJSON_IsNumber(at))
			continue;
		if ((uint64_t)av->valuedouble == sims[i].version && at->valuedouble > 0) {
			acked_ns[i] = (uint64_t)at->valuedouble;
			done++;
		}
	}
	cJSON_Delete(doc);
	return done;
}

int main(int argc, char **argv)
{
	const char *target = NULL, *url = NULL;
	int rounds = 5, pid = 0, opt;
	struct event_base *base;
	uint64_t *lat, *acked, t0, deadline;
	double *all_ms, cpu0_ctl, cpu0_self;
	size_t nlat = 0;
	struct rlimit rl;

	while ((opt = getopt(argc, argv, "s:u:n:c:r:p:D")) != -1) {
		switch (opt) {
		case 's':
			target = optarg;
			break;
		case 'u':
			url = optarg;
			break;
		case 'n':
			n_nodes = atoi(optarg);
			break;
		case 'c':
			n_ctrs = atoi(optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 'p':
			pid = atoi(optarg);
			break;
		case 'D':
			decode_all = 1;
			break;
		default:
			goto usage;
		}
	}
	if (!target || !url || n_nodes < 1 || n_ctrs < 1 || rounds < 1) {
	usage:
		fprintf(stderr, "usage: bw-controller-bench -s SOCKET -u AGENT_URL [-n nodes] "
				"[-c containers] [-r rounds] [-p controller_pid] [-D]\n");
		return 2;
	}
	bw_log_set_component("bench");
	bw_log_set_level_name("error");
	/* Each simulated agent holds about five descriptors. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)n_nodes * 6 + 64) {
		rl.rlim_cur =
		    rl.rlim_max < (rlim_t)n_nodes * 6 + 64 ? rl.rlim_max : (rlim_t)n_nodes * 6 + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	base = event_base_new();
	sims = calloc((size_t)n_nodes, sizeof(*sims));
	lat = calloc((size_t)n_nodes * (size_t)rounds, sizeof(*lat));
	acked = calloc((size_t)n_nodes * (size_t)rounds, sizeof(*acked));
	all_ms = calloc((size_t)rounds, sizeof(*all_ms));
	if (!base || !sims || !lat || !acked || !all_ms) {
		fprintf(stderr, "bench: out of memory\n");
		return 1;
	}
	t0 = bw_mono_ns();
	for (int i = 0; i < n_nodes; i++) {
		if (start_sim(base, url, i)) {
			fprintf(stderr, "bench: agent %d failed to start\n", i);
			return 1;
		}
		if (i % 50 == 49)
			run_ms(base, 1); /* let connections progress while we create more */
	}
	/* Everyone registered, reported and got a first policy. */
	deadline = bw_mono_ns() + 120ull * 1000000000;
	for (;;) {
		int ready = 0;

		for (int i = 0; i < n_nodes; i++)
			ready += bw_ctlclient_connected(sims[i].cl) && sims[i].version > 0;
		if (ready == n_nodes)
			break;
		if (bw_mono_ns() > deadline) {
			fprintf(stderr, "bench: only %d of %d agents ready after 120 s\n", ready,
				n_nodes);
			return 1;
		}
		run_ms(base, 20);
	}
	printf("agents ready: %d nodes x %d containers in %.1f s\n", n_nodes, n_ctrs,
	       (double)(bw_mono_ns() - t0) / 1e9);
	run_ms(base, 500); /* let the initial wave settle */
	if (pid > 0)
		printf("controller_rss_before_kb=%ld (inventory loaded, no policy yet)\n",
		       rss_kb(pid, "VmRSS:"));

	cpu0_ctl = pid > 0 ? cpu_ms(pid) : -1;
	cpu0_self = cpu_ms(getpid());
	for (int r = 0; r < rounds; r++) {
		struct post p = {.target = target};
		uint64_t *prev = calloc((size_t)n_nodes, sizeof(*prev)), t0_real, sent_max = 0,
			 all = 0;
		pthread_t th;
		size_t got = 0;
		int done = 0;

		snprintf(
		    p.body, sizeof(p.body),
		    "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
		    "metadata:\n  name: bench-block\n  namespace: default\nspec:\n"
		    "  selector:\n    matchLabels:\n      app: svc-0\n  process:\n"
		    "    matchPaths:\n    - path: /usr/bin/round-%d\n  file:\n"
		    "    matchDirectories:\n    - dir: /etc/secret-%d/\n      recursive: true\n"
		    "  action: Block\n",
		    r, r);
		for (int i = 0; i < n_nodes; i++)
			prev[i] = sims[i].version;
		atomic_init(&p.done, 0);
		t0_real = bw_real_ns();
		t0 = bw_mono_ns();
		pthread_create(&th, NULL, post_thread, &p);
		deadline = t0 + 60ull * 1000000000;
		/* The agents' side first: every node has the new version and has
		 * sent its ack (the loop must run for the acks to go out). */
		while (got < (size_t)n_nodes && bw_mono_ns() < deadline) {
			run_ms(base, 1);
			got = 0;
			for (int i = 0; i < n_nodes; i++)
				got += sims[i].version > prev[i];
		}
		pthread_join(th, NULL);
		if (p.status != 200) {
			fprintf(stderr, "bench: apply failed: %d %s\n", p.status, p.err);
			return 1;
		}
		if (got < (size_t)n_nodes) {
			fprintf(stderr,
				"bench: round %d: only %zu of %d nodes got the policy in 60 s\n", r,
				got, n_nodes);
			return 1;
		}
		for (int i = 0; i < n_nodes; i++)
			if (sims[i].got_ns - t0 > sent_max)
				sent_max = sims[i].got_ns - t0;
		/* Then the controller's side, after the fact so that reading it
		 * does not load the controller during the fan-out. */
		while ((done = controller_acks(target, acked + (size_t)r * n_nodes)) >= 0 &&
		       done < n_nodes && bw_mono_ns() < deadline)
			run_ms(base, 20);
		if (done != n_nodes) {
			fprintf(stderr,
				"bench: round %d: the controller recorded %d of %d acks in 60 s\n",
				r, done, n_nodes);
			return 1;
		}
		for (int i = 0; i < n_nodes; i++) {
			uint64_t a = acked[(size_t)r * n_nodes + i];
			uint64_t l = a > t0_real ? a - t0_real : 0;

			if (a < t0_real) {
				fprintf(stderr, "bench: round %d: node-%04d acked before the POST\n",
					r, i);
				return 1;
			}
			lat[nlat++] = l;
			if (l > all)
				all = l;
		}
		all_ms[r] = (double)all / 1e6;
		/* node-0000's svc-0 containers carry the policy's two rules. */
		if (sims[0].rules < 2) {
			fprintf(stderr, "bench: round %d: node-0000 got %zu rules\n", r,
				sims[0].rules);
			return 1;
		}
		printf("round %d: controller recorded all %d acks in %.1f ms (agents had received "
		       "theirs by %.1f ms; node-0000: %zu rules)\n",
		       r, n_nodes, all_ms[r], (double)sent_max / 1e6, sims[0].rules);
		free(prev);
		run_ms(base, 300);
	}
	/* Both processes share the machine's cores during a round; their CPU
	 * (rounds and the pauses between them, GET /v1/nodes included) says
	 * how much of a round's time is the controller's own work. */
	if (cpu0_ctl >= 0 && cpu0_self >= 0)
		printf("cpu_ms_per_round controller=%.1f bench=%.1f\n",
		       (cpu_ms(pid) - cpu0_ctl) / rounds, (cpu_ms(getpid()) - cpu0_self) / rounds);
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
	{
		double sum = 0, mx = 0;

		for (int r = 0; r < rounds; r++) {
			sum += all_ms[r];
			mx = all_ms[r] > mx ? all_ms[r] : mx;
		}
		printf("apply_to_ack_ms p50=%.1f p99=%.1f max=%.1f samples=%zu "
		       "all_acked_ms mean=%.1f max=%.1f\n",
		       (double)lat[nlat / 2] / 1e6, (double)lat[(nlat * 99) / 100] / 1e6,
		       (double)lat[nlat - 1] / 1e6, nlat, sum / rounds, mx);
	}
	if (pid > 0)
		printf("controller_rss_kb=%ld controller_hwm_kb=%ld\n", rss_kb(pid, "VmRSS:"),
		       rss_kb(pid, "VmHWM:"));
	fflush(stdout);
	for (int i = 0; i < n_nodes; i++)
		bw_ctlclient_free(sims[i].cl);
	free(sims);
	free(lat);
	free(acked);
	free(all_ms);
	event_base_free(base);
	return 0;
}
