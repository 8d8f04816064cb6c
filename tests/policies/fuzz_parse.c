/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target for the policy parser (built and run by fuzz.sh).
 * Beyond "does not crash": what parses must serialise to canonical JSON that
 * parses again to the same canonical JSON and compiles; the same bytes as an
 * inventory must not crash either.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_policy.h"

static struct bw_inventory *inv;

static void once(void)
{
	Bulwark__V1__Container c = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT;
	Bulwark__V1__KeyValue *kvs[] = {&kv};

	if (inv)
		return;
	if (bw_inventory_new(&inv))
		abort();
	kv.key = "app";
	kv.value = "a";
	c.id = "c1";
	c.namespace_name = "default";
	c.labels = kvs;
	c.n_labels = 1;
	if (bw_inventory_set_container(inv, "n1", &c))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bw_diags *d = NULL;
	struct bw_policy **v = NULL;
	size_t n = 0;

	once();
	if (bw_diags_new(&d))
		return 0;
	if (bw_policy_parse((const char *)data, size, "fuzz.yaml", &v, &n, d) == 0) {
		struct bw_policy_set *s = NULL;
		if (bw_policy_set_new(&s))
			abort();
		for (size_t i = 0; i < n; i++) {
			char *j = bw_policy_to_json(v[i]);
			struct bw_policy **w = NULL;
			size_t m = 0;
			if (!j || bw_policy_parse(j, strlen(j), "canon.json", &w, &m, d) ||
			    m != 1) {
				fprintf(stderr, "canonical JSON does not parse back: %s\n", j);
				abort();
			}
			char *k = bw_policy_to_json(w[0]);
			if (strcmp(j, k)) {
				fprintf(stderr, "canonical JSON not stable:\n%s\n%s\n", j, k);
				abort();
			}
			free(k);
			free(j);
			bw_policy_free(w[0]);
			free(w);
			if (bw_policy_set_put(s, v[i]))
				bw_policy_free(v[i]);
		}
		free(v);
		Bulwark__V1__CompiledPolicy *cp = NULL;
		if (bw_compile_node(s, inv, "n1", 1, &cp))
			abort();
		char *json = bw_compiled_to_json(cp);
		free(json);
		bw_compiled_free(cp);
		bw_policy_set_free(s);
	} else if (bw_diags_count(d) == 0) {
		fprintf(stderr, "rejected without a diagnostic\n");
		abort();
	}
	bw_diags_free(d);

	struct bw_inventory *tmp = NULL;
	if (bw_inventory_new(&tmp) == 0 && bw_diags_new(&d) == 0) {
		bw_inventory_load_yaml(tmp, (const char *)data, size, "inv.yaml", d);
		bw_diags_free(d);
	}
	bw_inventory_free(tmp);
	return 0;
}
