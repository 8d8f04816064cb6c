/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the compiler tells agents beyond rules: each container's labels as
 * the controller knows them (RuleSet.labels) and the namespace's or host's
 * visibility (RuleSet.visibility), the same from bw_compile_node and from
 * the caching bw_compiler.
 */
#include <errno.h>

#include "test_util.h"

struct fix {
	struct bw_policy_set *set;
	struct bw_inventory *inv;
};

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));

	assert_int_equal(bw_policy_set_new(&f->set), 0);
	assert_int_equal(bw_inventory_new(&f->inv), 0);
	assert_int_equal(bw_inventory_set_node(f->inv, "n1", "role=web"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	bw_policy_set_free(f->set);
	bw_inventory_free(f->inv);
	free(f);
	return 0;
}

/* Adds container id in ns with labels "k=v,k=v" (given in that order). */
static void put_ctr(struct fix *f, const char *id, const char *ns, const char *labels)
{
	Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv[8], *kvs[8];
	char *copy = strdup(labels), *save = NULL;

	ct.id = (char *)id;
	ct.namespace_name = (char *)ns;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(t, '=');
		bulwark__v1__key_value__init(&kv[ct.n_labels]);
		*eq = 0;
		kv[ct.n_labels].key = t;
		kv[ct.n_labels].value = eq + 1;
		kvs[ct.n_labels] = &kv[ct.n_labels];
		ct.n_labels++;
	}
	ct.labels = kvs;
	assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);
	free(copy);
}

static void add_policy(struct fix *f, const char *yaml)
{
	struct bw_diags *d;
	struct bw_policy **v;
	size_t n;

	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(bw_policy_parse(yaml, strlen(yaml), "t.yaml", &v, &n, d), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bw_policy_set_put(f->set, v[i]), 0);
	free(v);
	bw_diags_free(d);
}

/* "k=v,k=v" of a rule set's labels, in their order. */
static void labels_str(const Bulwark__V1__RuleSet *rs, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = 0;
	for (size_t i = 0; i < rs->n_labels && o < len; i++)
		o += snprintf(buf + o, len - o, "%s%s=%s", i ? "," : "", rs->labels[i]->key,
			      rs->labels[i]->value);
}

/* "p f n c" letters of a visibility, "-" for none set, "" for set to none. */
static void vis_str(const Bulwark__V1__RuleSet *rs, char *buf)
{
	const Bulwark__V1__Visibility *v = rs->visibility;

	if (!v || !v->set) {
		strcpy(buf, "-");
		return;
	}
	sprintf(buf, "%s%s%s%s", v->process ? "p" : "", v->file ? "f" : "", v->network ? "n" : "",
		v->capabilities ? "c" : "");
}

static const Bulwark__V1__RuleSet *find(const Bulwark__V1__CompiledPolicy *cp, const char *id)
{
	for (size_t i = 0; i < cp->n_containers; i++)
		if (!strcmp(cp->containers[i]->container_id, id))
			return cp->containers[i];
	fail_msg("no rule set for %s", id);
	return NULL;
}

/* The full compile and the compiler's give the same bytes; returns the
 * compiler's output (owned by c). */
static const Bulwark__V1__CompiledPolicy *both(struct fix *f, struct bw_compiler *c)
{
	const Bulwark__V1__CompiledPolicy *inc;
	Bulwark__V1__CompiledPolicy *full;

	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 1, &inc), 0);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 1, &full), 0);
	size_t li = protobuf_c_message_get_packed_size(&inc->base);
	size_t lf = protobuf_c_message_get_packed_size(&full->base);
	assert_int_equal(li, lf);
	uint8_t *bi = malloc(li), *bf = malloc(lf);
	protobuf_c_message_pack(&inc->base, bi);
	protobuf_c_message_pack(&full->base, bf);
	assert_memory_equal(bi, bf, li);
	free(bi);
	free(bf);
	bw_compiled_free(full);
	return inc;
}

static void test_labels(void **state)
{
	struct fix *f = *state;
	struct bw_compiler *c;
	const Bulwark__V1__CompiledPolicy *cp;
	char buf[256];

	assert_int_equal(bw_compiler_new(&c), 0);
	/* Given unsorted: sent sorted by key, whatever the source's order. */
	put_ctr(f, "c-bare", "web", "zone=b,app=web,team=x");
	put_ctr(f, "c-rules", "web", "tier=db,app=pg");
	put_ctr(f, "c-none", "web", "");
	/* A policy for c-rules: its rule set is cached, c-bare's rebuilt bare. */
	add_policy(f, "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
		      "metadata: {name: p, namespace: web}\nspec:\n  selector:\n"
		      "    matchLabels: {app: pg}\n  file:\n    matchPaths: [{path: /etc/x}]\n"
		      "  action: Block\n");
	cp = both(f, c);
	labels_str(find(cp, "c-bare"), buf, sizeof(buf));
	assert_string_equal(buf, "app=web,team=x,zone=b");
	labels_str(find(cp, "c-rules"), buf, sizeof(buf));
	assert_string_equal(buf, "app=pg,tier=db");
	assert_int_equal(find(cp, "c-rules")->n_rules, 1);
	assert_int_equal(find(cp, "c-none")->n_labels, 0);
	assert_int_equal(cp->host->n_labels, 0);

	/* Relabelling (the API's overlay, pod labels) reaches the output. */
	put_ctr(f, "c-bare", "web", "app=web,team=y");
	put_ctr(f, "c-rules", "web", "app=pg,tier=db,owner=ops");
	cp = both(f, c);
	labels_str(find(cp, "c-bare"), buf, sizeof(buf));
	assert_string_equal(buf, "app=web,team=y");
	labels_str(find(cp, "c-rules"), buf, sizeof(buf));
	assert_string_equal(buf, "app=pg,owner=ops,tier=db");
	bw_compiler_free(c);
}

static void test_visibility(void **state)
{
	struct fix *f = *state;
	struct bw_compiler *c;
	const Bulwark__V1__CompiledPolicy *cp;
	uint8_t before[32];
	char v[8];

	assert_int_equal(bw_compiler_new(&c), 0);
	put_ctr(f, "a", "web", "app=a");
	put_ctr(f, "b", "data", "app=b");

	/* Nothing set: absent everywhere, the agent's own config decides. */
	cp = both(f, c);
	assert_null(find(cp, "a")->visibility);
	assert_null(cp->host->visibility);
	memcpy(before, cp->digest.data, 32);

	assert_int_equal(bw_inventory_set_visibility(f->inv, "web", " file , process"), 0);
	assert_int_equal(bw_inventory_set_visibility(f->inv, "", "network,capabilities"), 0);
	cp = both(f, c);
	assert_memory_not_equal(before, cp->digest.data, 32);
	vis_str(find(cp, "a"), v);
	assert_string_equal(v, "pf");
	vis_str(find(cp, "b"), v);
	assert_string_equal(v, "-");
	vis_str(cp->host, v);
	assert_string_equal(v, "nc");

	/* "none" is a setting (no logs), unlike no setting. */
	assert_int_equal(bw_inventory_set_visibility(f->inv, "data", "none"), 0);
	cp = both(f, c);
	vis_str(find(cp, "b"), v);
	assert_string_equal(v, "");

	/* A bad word changes nothing. */
	assert_int_equal(bw_inventory_set_visibility(f->inv, "web", "process,disk"), -EINVAL);
	assert_int_equal(bw_inventory_set_visibility(f->inv, "web", "process,,file"), -EINVAL);
	cp = both(f, c);
	vis_str(find(cp, "a"), v);
	assert_string_equal(v, "pf");

	/* Postures and visibility are independent settings of a namespace. */
	assert_int_equal(bw_inventory_set_posture(f->inv, "web", "audit", NULL, NULL), 0);
	cp = both(f, c);
	vis_str(find(cp, "a"), v);
	assert_string_equal(v, "pf");
	assert_int_equal(find(cp, "a")->file_posture, BULWARK__V1__POSTURE__POSTURE_AUDIT);

	/* NULL forgets it; the posture stays. */
	assert_int_equal(bw_inventory_set_visibility(f->inv, "web", NULL), 0);
	assert_int_equal(bw_inventory_set_visibility(f->inv, "nowhere", NULL), 0);
	cp = both(f, c);
	assert_null(find(cp, "a")->visibility);
	assert_int_equal(find(cp, "a")->file_posture, BULWARK__V1__POSTURE__POSTURE_AUDIT);

	/* The canonical text the controller stores and shows. */
	char canon[48] = "untouched";
	assert_int_equal(bw_visibility_canon(" network , process", canon, sizeof(canon)), 0);
	assert_string_equal(canon, "process,network");
	assert_int_equal(
	    bw_visibility_canon("capabilities,file,network,process", canon, sizeof(canon)), 0);
	assert_string_equal(canon, "process,file,network,capabilities");
	assert_int_equal(bw_visibility_canon("none", canon, sizeof(canon)), 0);
	assert_string_equal(canon, "none");
	assert_int_equal(bw_visibility_canon("files", canon, sizeof(canon)), -EINVAL);
	assert_string_equal(canon, "none");

	/* A single container compiled alone carries it too. */
	Bulwark__V1__RuleSet *rs;
	assert_int_equal(bw_compile_container(f->set, f->inv, "b", &rs), 0);
	assert_non_null(rs->visibility);
	assert_true(rs->visibility->set);
	protobuf_c_message_free_unpacked(&rs->base, NULL);
	bw_compiler_free(c);
}

static void test_yaml(void **state)
{
	struct bw_inventory *inv;
	struct bw_diags *d;
	Bulwark__V1__CompiledPolicy *cp;
	struct bw_policy_set *set;
	const char *good =
	    "containers:\n  - {id: c1, node: n, namespace: web, labels: {b: 2, a: 1}}\n"
	    "namespaces:\n  - name: web\n    annotations: {kubearmor-visibility: "
	    "'process,network'}\nhost:\n  annotations: {kubearmor-visibility: none}\n";
	const char *bad = "namespaces:\n  - name: web\n    annotations: {kubearmor-visibility: "
			  "'process,disk'}\n";

	(void)state;
	assert_int_equal(bw_inventory_new(&inv), 0);
	assert_int_equal(bw_policy_set_new(&set), 0);
	assert_int_equal(bw_diags_new(&d), 0);
	int rc = bw_inventory_load_yaml(inv, good, strlen(good), "i.yaml", d);
	if (rc) {
		char *e = bw_diags_format(d);
		fprintf(stderr, "%s", e);
		free(e);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(bw_compile_node(set, inv, "n", 1, &cp), 0);
	assert_true(cp->containers[0]->visibility->process &&
		    cp->containers[0]->visibility->network);
	assert_false(cp->containers[0]->visibility->file);
	assert_true(cp->host->visibility->set);
	assert_false(cp->host->visibility->process);
	assert_string_equal(cp->containers[0]->labels[0]->key, "a");
	char *json = bw_compiled_to_json(cp);
	assert_non_null(strstr(json, "\"visibility\":\t\"process,network\""));
	assert_non_null(strstr(json, "\"visibility\":\t\"none\""));
	free(json);
	bw_compiled_free(cp);

	assert_int_equal(bw_inventory_load_yaml(inv, bad, strlen(bad), "b.yaml", d), -EINVAL);
	char *s = bw_diags_format(d);
	assert_non_null(
	    strstr(s, "b.yaml:3:41: namespaces[0].annotations.kubearmor-visibility "
		      "must be \"none\" or a list of process, file, network, capabilities"));
	free(s);
	bw_diags_free(d);
	bw_policy_set_free(set);
	bw_inventory_free(inv);
}

static uint64_t rnd(uint64_t *s, uint64_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s % n;
}

/* Relabels, visibility and posture changes in any order: the cache always
 * gives what a full compile gives. */
static void test_incremental_equals_full(void **state)
{
	static const char *const vis[] = {"process", "file,network", "none",
					  "capabilities,process"};
	struct fix *f = *state;
	struct bw_compiler *c;
	uint64_t seed = 0x2545f4914f6cdd1dull;
	char id[8], ns[8], labels[64], yaml[512];

	assert_int_equal(bw_compiler_new(&c), 0);
	for (int step = 0; step < 400; step++) {
		snprintf(ns, sizeof(ns), "ns%d", (int)rnd(&seed, 3));
		switch (rnd(&seed, 5)) {
		case 0: /* container added or relabelled, labels in any order */
		case 1: {
			size_t o = 0, n = rnd(&seed, 4);
			const char *keys[] = {"a", "b", "c"};
			size_t first = rnd(&seed, 3);

			labels[0] = 0;
			for (size_t i = 0; i < n && i < 3; i++)
				o += snprintf(labels + o, sizeof(labels) - o, "%s%s=%d",
					      i ? "," : "", keys[(first + i) % 3],
					      (int)rnd(&seed, 3));
			snprintf(id, sizeof(id), "x%d", (int)rnd(&seed, 8));
			put_ctr(f, id, ns, labels);
			break;
		}
		case 2: /* visibility of a namespace or the host, set or forgotten */
			if (rnd(&seed, 4) == 0)
				ns[0] = 0;
			assert_int_equal(bw_inventory_set_visibility(
					     f->inv, ns, rnd(&seed, 3) ? vis[rnd(&seed, 4)] : NULL),
					 0);
			break;
		case 3:
			assert_int_equal(bw_inventory_set_posture(f->inv, ns,
								  rnd(&seed, 2) ? "audit" : "block",
								  NULL, NULL),
					 0);
			break;
		default: /* a policy on label a=N: its containers get cached rule sets */
			snprintf(
			    yaml, sizeof(yaml),
			    "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
			    "metadata: {name: p%d, namespace: %s}\nspec:\n  selector:\n"
			    "    matchLabels: {a: '%d'}\n  file:\n    matchPaths: [{path: /f}]\n"
			    "  action: Block\n",
			    (int)rnd(&seed, 3), ns, (int)rnd(&seed, 3));
			add_policy(f, yaml);
			break;
		}
		both(f, c);
	}
	uint64_t reused, compiled;
	bw_compiler_stats(c, &reused, &compiled);
	assert_true(reused > 0);
	bw_compiler_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_labels, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_visibility, setup, teardown),
	    cmocka_unit_test(test_yaml),
	    cmocka_unit_test_setup_teardown(test_incremental_equals_full, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
