/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The controller's hand-framed PolicyUpdate (ctl_policy_update_msg around
 * bw_compiler_node_packed) must be byte for byte what bw_wire_encode packs
 * for the same compiled policy: agents decode it with protobuf-c, and the
 * digest and version must survive the framing.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bw_wire.h"
#include "ctl.h"

static const char *inventory =
    "nodes:\n"
    "  - name: n1\n"
    "    labels: {role: web}\n"
    "  - name: n2\n"
    "containers:\n"
    "  - {id: c-web, node: n1, namespace: web, cgroupId: 77, labels: {app: nginx}}\n"
    "  - {id: c-api, node: n1, namespace: web, cgroupId: 300, labels: {app: api, tier: back}}\n"
    "  - {id: c-db, node: n2, namespace: data, labels: {app: db}}\n"
    /* Replicas: the same namespace and labels, so the compiler reuses the
     * first one's bytes (with and without a cgroup id, long and short ids). */
    "  - {id: c-web-2, node: n1, namespace: web, labels: {app: nginx}}\n"
    "  - {id: c-web-3-with-a-much-longer-id-than-the-others-0123456789abcdef0123456789, "
    "node: n1, namespace: web, cgroupId: 1234567890123, labels: {app: nginx}}\n"
    "  - {id: c-api-2, node: n1, namespace: web, cgroupId: 301, labels: {app: api, tier: back}}\n"
    "  - {id: c-nolabels, node: n2, namespace: data}\n"
    "namespaces:\n"
    "  - name: web\n"
    "    annotations: {kubearmor-visibility: \"process,network\", "
    "kubearmor-file-posture: audit}\n"
    "  - name: data\n"
    "    annotations: {kubearmor-visibility: none, kubearmor-network-posture: audit}\n";

static const char *policies = "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\n"
			      "metadata: {name: block-sh, namespace: web}\n"
			      "spec:\n  selector:\n    matchLabels: {app: nginx}\n"
			      "  process:\n    matchPaths: [{path: /bin/sh}]\n  action: Block\n"
			      "---\n"
			      "apiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\n"
			      "metadata: {name: host-audit}\n"
			      "spec:\n  nodeSelector:\n    matchLabels: {role: web}\n"
			      "  file:\n    matchPaths: [{path: /etc/shadow}]\n  action: Audit\n";

static nng_msg *reference(const struct bw_policy_set *s, const struct bw_inventory *inv,
			  const char *node, uint64_t version)
{
	Bulwark__V1__PolicyUpdate pu = BULWARK__V1__POLICY_UPDATE__INIT;
	Bulwark__V1__CompiledPolicy *cp;
	BwEnvelope env;
	nng_msg *msg;

	assert_int_equal(bw_compile_node(s, inv, node, version, &cp), 0);
	bw_envelope_init(&env);
	pu.policy = cp;
	env.body_case = BULWARK__V1__ENVELOPE__BODY_POLICY;
	env.policy = &pu;
	assert_int_equal(bw_wire_encode(&env, &msg), 0);
	bw_compiled_free(cp);
	return msg;
}

static void test_framing_is_byte_identical(void **state)
{
	static const uint64_t versions[] = {0, 1, 127, 128, 300, 1ull << 35, UINT64_MAX};
	static const char *nodes[] = {"n1", "n2"};
	struct bw_policy_set *s;
	struct bw_inventory *inv;
	struct bw_compiler *c;
	struct bw_diags *d;
	struct bw_policy **v;
	size_t n;

	(void)state;
	assert_int_equal(bw_policy_set_new(&s), 0);
	assert_int_equal(bw_inventory_new(&inv), 0);
	assert_int_equal(bw_compiler_new(&c), 0);
	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(bw_inventory_load_yaml(inv, inventory, strlen(inventory), "i.yaml", d), 0);
	assert_int_equal(bw_policy_parse(policies, strlen(policies), "p.yaml", &v, &n, d), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bw_policy_set_put(s, v[i]), 0);
	free(v);
	bw_diags_free(d);
	for (size_t k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
			struct bw_packed_policy pp;
			nng_msg *ref = reference(s, inv, nodes[k], versions[i]), *got;
			BwEnvelope *env;
			char err[128];

			assert_int_equal(bw_compiler_node_packed(c, s, inv, nodes[k], &pp), 0);
			assert_int_equal(ctl_policy_update_msg(&pp, versions[i], &got), 0);
			assert_int_equal(nng_msg_len(got), nng_msg_len(ref));
			assert_memory_equal(nng_msg_body(got), nng_msg_body(ref), nng_msg_len(ref));
			/* And it decodes to what was meant. */
			assert_int_equal(
			    bw_wire_decode(got, BW_WIRE_MAX_MSG, &env, err, sizeof(err)), 0);
			assert_int_equal(env->body_case, BULWARK__V1__ENVELOPE__BODY_POLICY);
			assert_int_equal(env->policy->policy->version, versions[i]);
			assert_string_equal(env->policy->policy->node_name, nodes[k]);
			assert_memory_equal(env->policy->policy->digest.data, pp.digest, 32);
			bw_wire_free(env);
			nng_msg_free(got);
			nng_msg_free(ref);
		}
	}
	bw_compiler_free(c);
	bw_inventory_free(inv);
	bw_policy_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_framing_is_byte_identical),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
