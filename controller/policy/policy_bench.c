/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/policy.sh driver: parses P policies (as YAML text, 1% cluster and
 * 0.2% host policies) and compiles them against C containers on N nodes,
 * then measures one incremental change of a policy and of a container.
 * Containers are spread so that every node holds containers of every
 * namespace: a namespaced change touches all nodes (the hard case).
 *
 *   policy_bench [policies containers nodes]
 * prints "policy key=value ..." as its last line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bw_policy.h"

#define NS 100

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void die(const char *what, int rc)
{
	fprintf(stderr, "policy_bench: %s: %s\n", what, strerror(-rc));
	exit(1);
}

/* Policy i: KSP number i/NS of namespace i%NS selecting app=a<k>, with one
 * rule of each kind; every 100th is a cluster policy, every 500th a host one. */
static void policy_yaml(FILE *f, int i, int variant)
{
	fputs("---\napiVersion: security.kubearmor.com/v1\n", f);
	if (i % 500 == 499) {
		fprintf(f,
			"kind: KubeArmorHostPolicy\nmetadata:\n  name: hsp-%d\nspec:\n"
			"  nodeSelector:\n    matchLabels:\n      %s\n",
			i, i % 1000 == 999 ? "kubearmor.io/hostname: \"*\"" : "role: r1");
	} else if (i % 100 == 99) {
		fprintf(f,
			"kind: KubeArmorClusterPolicy\nmetadata:\n  name: csp-%d\nspec:\n"
			"  selector:\n    matchExpressions:\n"
			"    - {key: namespace, operator: In, values: [ns-%d]}\n",
			i, (i / 100) % NS);
	} else {
		fprintf(f,
			"kind: KubeArmorPolicy\nmetadata:\n  name: ksp-%d\n  namespace: ns-%d\n"
			"spec:\n  selector:\n    matchLabels: {app: a%d}\n",
			i, i % NS, (i / NS) % 100);
	}
	fprintf(f, "  severity: %d\n  tags: [bench, t%d]\n  message: policy %d\n", 1 + i % 10,
		i % 7, i);
	fprintf(f,
		"  process:\n    matchPaths:\n    - path: /usr/bin/tool%d\n"
		"      fromSource: [{path: /bin/sh}]\n"
		"    matchDirectories:\n    - {dir: /opt/app%d/, recursive: true}\n",
		i + variant, i % 50);
	fprintf(f,
		"  file:\n    matchPaths:\n    - {path: /etc/secret%d, readOnly: true, "
		"action: Allow}\n    - {path: /etc/shadow, ownerOnly: true}\n",
		i % 30);
	fprintf(f, "  network:\n    matchProtocols:\n    - {protocol: %s, action: Audit}\n",
		i % 2 ? "tcp" : "udp");
	fprintf(f, "  capabilities:\n    matchCapabilities:\n    - capability: net_raw\n");
}

static void add_container(struct bw_inventory *inv, int i, int nodes, const char *extra)
{
	char id[32], ns[16], app[16], node[16], name[32];
	Bulwark__V1__Container c = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv[2] = {BULWARK__V1__KEY_VALUE__INIT, BULWARK__V1__KEY_VALUE__INIT};
	Bulwark__V1__KeyValue *kvs[2] = {&kv[0], &kv[1]};

	snprintf(id, sizeof(id), "%012x", i * 2654435761u);
	snprintf(ns, sizeof(ns), "ns-%d", i % NS);
	snprintf(app, sizeof(app), "a%d", (i / NS) % 100);
	snprintf(node, sizeof(node), "node-%d", (i / NS) % nodes);
	snprintf(name, sizeof(name), "c%d", i);
	kv[0].key = "app";
	kv[0].value = app;
	kv[1].key = "extra";
	kv[1].value = (char *)extra;
	c.id = id;
	c.name = name;
	c.namespace_name = ns;
	c.labels = kvs;
	c.n_labels = 2;
	c.cgroup_id = (uint64_t)i + 1000;
	int rc = bw_inventory_set_container(inv, node, &c);
	if (rc)
		die("set_container", rc);
}

static void put_all(struct bw_policy_set *s, const char *buf, size_t len, size_t *count)
{
	struct bw_diags *d;
	struct bw_policy **v;
	size_t n;

	if (bw_diags_new(&d))
		die("diags", -ENOMEM);
	if (bw_policy_parse(buf, len, "bench.yaml", &v, &n, d)) {
		char *e = bw_diags_format(d);
		fprintf(stderr, "%s", e);
		exit(1);
	}
	for (size_t i = 0; i < n; i++) {
		int rc = bw_policy_set_put(s, v[i]);
		if (rc)
			die("put", rc);
	}
	*count += n;
	free(v);
	bw_diags_free(d);
}

/*
 * Brings every node up to date.  With rules == NULL this is the controller's
 * path (bw_compiler_node_packed: what it pushes, never decoded); with rules
 * it goes through the decoded API and counts the rules.
 */
static uint64_t compile_all(struct bw_compiler *c, struct bw_policy_set *s,
			    struct bw_inventory *inv, int nodes, uint64_t version, size_t *rules)
{
	uint64_t changed = 0;

	for (int n = 0; n < nodes; n++) {
		char node[16];
		int rc;

		snprintf(node, sizeof(node), "node-%d", n);
		if (!rules) {
			struct bw_packed_policy pp;

			rc = bw_compiler_node_packed(c, s, inv, node, &pp);
			if (rc)
				die("compile", rc);
			changed += bw_packed_policy_size(&pp, version);
			continue;
		}
		const Bulwark__V1__CompiledPolicy *cp;

		rc = bw_compiler_node(c, s, inv, node, version, &cp);
		if (rc)
			die("compile", rc);
		for (size_t k = 0; k < cp->n_containers; k++)
			*rules += cp->containers[k]->n_rules;
		changed += cp->n_containers;
	}
	return changed;
}

int main(int argc, char **argv)
{
	int policies = argc > 1 ? atoi(argv[1]) : 10000;
	int containers = argc > 2 ? atoi(argv[2]) : 10000;
	int nodes = argc > 3 ? atoi(argv[3]) : 100;
	struct bw_policy_set *s;
	struct bw_inventory *inv;
	struct bw_compiler *c;
	char *buf = NULL;
	size_t len = 0, parsed = 0, rules = 0;
	uint64_t reused0, compiled0, reused1, compiled1;

	if (policies < 1 || containers < 1 || nodes < 1) {
		fprintf(stderr, "usage: policy_bench [policies containers nodes]\n");
		return 2;
	}
	/* One text per policy, as the controller receives them. */
	char **texts = calloc((size_t)policies, sizeof(*texts));
	size_t *lens = calloc((size_t)policies, sizeof(*lens));
	FILE *f;
	if (!texts || !lens)
		die("alloc", -ENOMEM);
	for (int i = 0; i < policies; i++) {
		f = open_memstream(&texts[i], &lens[i]);
		policy_yaml(f, i, 0);
		fclose(f);
		len += lens[i];
	}

	if (bw_policy_set_new(&s) || bw_inventory_new(&inv) || bw_compiler_new(&c))
		die("new", -ENOMEM);
	for (int n = 0; n < nodes; n++) {
		char node[16];
		snprintf(node, sizeof(node), "node-%d", n);
		bw_inventory_set_node(inv, node, n % 2 ? "role=r1" : "role=r2");
	}
	for (int i = 0; i < containers; i++)
		add_container(inv, i, nodes, "x");

	double t0 = now_ms();
	for (int i = 0; i < policies; i++)
		put_all(s, texts[i], lens[i], &parsed);
	double t1 = now_ms();
	compile_all(c, s, inv, nodes, 1, NULL);
	double t2 = now_ms();
	compile_all(c, s, inv, nodes, 1, &rules); /* untimed: counts the rules */
	bw_compiler_stats(c, &reused0, &compiled0);

	/* One policy changes: parse it, store it, bring every node up to date. */
	char *one = NULL;
	size_t one_len = 0;
	f = open_memstream(&one, &one_len);
	policy_yaml(f, 42, 1000000);
	fclose(f);
	double t3 = now_ms();
	put_all(s, one, one_len, &parsed);
	compile_all(c, s, inv, nodes, 2, NULL);
	double t4 = now_ms();
	bw_compiler_stats(c, &reused1, &compiled1);
	uint64_t recompiled = compiled1 - compiled0;

	/* One container changes its labels. */
	double t5 = now_ms();
	add_container(inv, 4242, nodes, "y");
	compile_all(c, s, inv, nodes, 3, NULL);
	double t6 = now_ms();
	uint64_t reused2, compiled2;
	bw_compiler_stats(c, &reused2, &compiled2);

	/* The stateless path, for comparison: one node from scratch. */
	Bulwark__V1__CompiledPolicy *cp;
	double t7 = now_ms();
	if (bw_compile_node(s, inv, "node-0", 4, &cp))
		die("compile_node", -EIO);
	double t8 = now_ms();
	bw_compiled_free(cp);

	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("policies=%zu containers=%d nodes=%d rules=%zu yaml_kb=%zu | parse %.1f ms, "
	       "compile %.1f ms, policy change %.2f ms (%llu containers recompiled), "
	       "container change %.2f ms (%llu), one node stateless %.2f ms\n",
	       parsed - 1, containers, nodes, rules, len / 1024, t1 - t0, t2 - t1, t4 - t3,
	       (unsigned long long)recompiled, t6 - t5, (unsigned long long)(compiled2 - compiled1),
	       t8 - t7);
	printf("policy full_ms=%.1f parse_ms=%.1f compile_ms=%.1f incremental_ms=%.2f "
	       "incremental_container_ms=%.2f recompiled=%llu rules=%zu peak_rss_mb=%.1f\n",
	       t2 - t0, t1 - t0, t2 - t1, t4 - t3, t6 - t5, (unsigned long long)recompiled, rules,
	       ru.ru_maxrss / 1024.0);
	free(one);
	for (int i = 0; i < policies; i++)
		free(texts[i]);
	free(texts);
	free(lens);
	free(buf);
	bw_compiler_free(c);
	bw_inventory_free(inv);
	bw_policy_set_free(s);
	return 0;
}
