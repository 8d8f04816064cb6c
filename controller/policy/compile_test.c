/* SPDX-License-Identifier: Apache-2.0 */
/* Compiler: every semantic rule, with the compiled output it must give. */
#include <errno.h>

#include "sha256.h"
#include "test_util.h"

struct fix {
	struct bw_policy_set *set;
	struct bw_inventory *inv;
};

static void add_policies(struct bw_policy_set *set, const char *yaml)
{
	struct bw_diags *d;
	struct bw_policy **v;
	size_t n;

	assert_int_equal(bw_diags_new(&d), 0);
	int rc = bw_policy_parse(yaml, strlen(yaml), "t.yaml", &v, &n, d);
	if (rc) {
		char *s = bw_diags_format(d);
		fprintf(stderr, "%s", s);
		free(s);
	}
	assert_int_equal(rc, 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bw_policy_set_put(set, v[i]), 0);
	free(v);
	bw_diags_free(d);
}

static const char *inventory =
    "nodes:\n"
    "  - name: n1\n"
    "    labels: {role: web}\n"
    "  - name: n2\n"
    "containers:\n"
    "  - {id: c-web, node: n1, namespace: web, labels: {app: nginx, tier: front}}\n"
    "  - {id: c-dbg, node: n1, namespace: web, labels: {app: nginx, tier: debug}}\n"
    "  - {id: c-db, node: n2, namespace: data, labels: {app: db}}\n"
    "  - {id: c-sys, node: n2, namespace: kube-system, labels: {app: dns}}\n"
    "namespaces:\n"
    "  - name: data\n"
    "    annotations: {kubearmor-file-posture: audit, kubearmor-network-posture: audit}\n";

static int setup(void **state)
{
	struct fix *f = calloc(1, sizeof(*f));
	struct bw_diags *d;

	assert_int_equal(bw_policy_set_new(&f->set), 0);
	assert_int_equal(bw_inventory_new(&f->inv), 0);
	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(
	    bw_inventory_load_yaml(f->inv, inventory, strlen(inventory), "inv.yaml", d), 0);
	bw_diags_free(d);
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

static Bulwark__V1__RuleSet *ctr(struct fix *f, const char *id)
{
	Bulwark__V1__RuleSet *rs = NULL;

	assert_int_equal(bw_compile_container(f->set, f->inv, id, &rs), 0);
	return rs;
}

static void rs_free(Bulwark__V1__RuleSet *rs)
{
	protobuf_c_message_free_unpacked(&rs->base, NULL);
}

/* One line per rule: "File path /etc/x Block p[ro]" and so on. */
static char *summary(const Bulwark__V1__RuleSet *rs)
{
	static const char *ops[] = {"Process", "File", "Network", "Cap", "Syscall"};
	static const char *acts[] = {"Block", "Audit", "Allow"};
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];
		fprintf(fp, "%s %d %s %s %s%s%s", ops[r->operation], r->match, r->value,
			acts[r->action], r->origin->policy_name, r->owner_only ? " owner" : "",
			r->read_only ? " ro" : "");
		for (size_t k = 0; k < r->n_from_source; k++)
			fprintf(fp, " from=%s", r->from_source[k]->path);
		fputc('\n', fp);
	}
	fclose(fp);
	return buf;
}

static void expect_rules(struct fix *f, const char *id, const char *want)
{
	Bulwark__V1__RuleSet *rs = ctr(f, id);
	char *got = summary(rs);
	if (strcmp(got, want))
		fprintf(stderr, "container %s\nwant:\n%sgot:\n%s", id, want, got);
	assert_string_equal(got, want);
	free(got);
	rs_free(rs);
}

#define P(name, ns, sel, body)                                                                     \
	"---\napiVersion: security.kubearmor.com/v1\nkind: KubeArmorPolicy\nmetadata:\n  "         \
	"name: " name "\n  namespace: " ns "\nspec:\n  selector:\n" sel body

static void test_label_selection(void **state)
{
	struct fix *f = *state;

	add_policies(f->set, P("all-nginx", "web", "    matchLabels: {app: nginx}\n",
			       "  process:\n    matchPaths: [{path: /bin/sh}]\n")
				 P("not-debug", "web",
				   "    matchLabels: {app: nginx}\n    matchExpressions:\n"
				   "    - {key: tier, operator: NotIn, values: [debug]}\n",
				   "  process:\n    matchPaths: [{path: /bin/ls}]\n")
				     P("debug-only", "web",
				       "    matchExpressions:\n"
				       "    - {key: tier, operator: In, values: [debug, x]}\n",
				       "  process:\n    matchPaths: [{path: /bin/cat}]\n")
					 P("other-ns", "data", "    matchLabels: {app: nginx}\n",
					   "  process:\n    matchPaths: [{path: /bin/x}]\n")
					     P("whole-ns", "data", "    matchLabels: {}\n",
					       "  process:\n    matchPaths: [{path: /bin/y}]\n"));
	expect_rules(f, "c-web",
		     "Process 0 /bin/ls Block not-debug\n"
		     "Process 0 /bin/sh Block all-nginx\n");
	expect_rules(f, "c-dbg",
		     "Process 0 /bin/cat Block debug-only\n"
		     "Process 0 /bin/sh Block all-nginx\n");
	expect_rules(f, "c-db", "Process 0 /bin/y Block whole-ns\n");
	expect_rules(f, "c-sys", "");
}

#define CSP(name, sel, body)                                                                       \
	"---\napiVersion: security.kubearmor.com/v1\nkind: KubeArmorClusterPolicy\nmetadata:\n  "  \
	"name: " name "\nspec:\n  selector:\n    matchExpressions:\n" sel body

static void test_cluster_policy(void **state)
{
	struct fix *f = *state;

	add_policies(
	    f->set,
	    CSP("ns-in", "    - {key: namespace, operator: In, values: [web, data]}\n",
		"  file:\n    matchPaths: [{path: /a}]\n")
		CSP("ns-notin", "    - {key: namespace, operator: NotIn, values: [kube-system]}\n",
		    "  file:\n    matchPaths: [{path: /b}]\n")
		    CSP("label-in",
			"    - {key: label, operator: In, values: [tier=debug, app=db]}\n",
			"  file:\n    matchPaths: [{path: /c}]\n")
			CSP("label-notin",
			    "    - {key: label, operator: NotIn, values: [app=nginx]}\n"
			    "    - {key: namespace, operator: In, values: [kube-system]}\n",
			    "  file:\n    matchPaths: [{path: /d}]\n"));
	expect_rules(f, "c-web", "File 0 /a Block ns-in\nFile 0 /b Block ns-notin\n");
	expect_rules(f, "c-dbg",
		     "File 0 /a Block ns-in\nFile 0 /b Block ns-notin\nFile 0 /c Block label-in\n");
	expect_rules(f, "c-db",
		     "File 0 /a Block ns-in\nFile 0 /b Block ns-notin\nFile 0 /c Block label-in\n");
	expect_rules(f, "c-sys", "File 0 /d Block label-notin\n");
}

static void test_allowlist_and_posture(void **state)
{
	struct fix *f = *state;

	add_policies(f->set,
		     P("allow-files", "web", "    matchLabels: {app: nginx}\n",
		       "  action: Allow\n  file:\n    matchDirectories:\n"
		       "    - {dir: /etc/nginx/, recursive: true, readOnly: true}\n")
			 P("allow-net", "data", "    matchLabels: {app: db}\n",
			   "  network:\n    matchProtocols:\n"
			   "    - {protocol: tcp, action: Allow}\n"
			   "    - {protocol: udp, action: Audit}\n"
			   "  process:\n    matchPaths:\n    - {path: /bin/db, action: Allow}\n"
			   "  capabilities:\n    matchCapabilities:\n"
			   "    - {capability: net_bind_service, action: Allow}\n"));
	Bulwark__V1__RuleSet *rs = ctr(f, "c-web");
	assert_true(rs->file_allowlist);
	assert_false(rs->process_allowlist || rs->network_allowlist || rs->capability_allowlist);
	/* web has no annotations: KubeArmor's default, block. */
	assert_int_equal(rs->file_posture, BULWARK__V1__POSTURE__POSTURE_BLOCK);
	assert_int_equal(rs->network_posture, BULWARK__V1__POSTURE__POSTURE_BLOCK);
	assert_int_equal(rs->capability_posture, BULWARK__V1__POSTURE__POSTURE_BLOCK);
	assert_true(rs->rules[0]->read_only);
	assert_int_equal(rs->rules[0]->match, BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE);
	assert_string_equal(rs->namespace_name, "web");
	rs_free(rs);

	rs = ctr(f, "c-db");
	/* An Audit rule does not make an allow-list; an Allow does. */
	assert_true(rs->network_allowlist && rs->process_allowlist && rs->capability_allowlist);
	assert_false(rs->file_allowlist);
	assert_int_equal(rs->file_posture, BULWARK__V1__POSTURE__POSTURE_AUDIT);
	assert_int_equal(rs->network_posture, BULWARK__V1__POSTURE__POSTURE_AUDIT);
	assert_int_equal(rs->capability_posture, BULWARK__V1__POSTURE__POSTURE_BLOCK);
	rs_free(rs);

	/* Changing the namespace posture changes the compiled postures. */
	assert_int_equal(bw_inventory_set_posture(f->inv, "web", NULL, "audit", NULL), 0);
	rs = ctr(f, "c-web");
	assert_int_equal(rs->file_posture, BULWARK__V1__POSTURE__POSTURE_BLOCK);
	assert_int_equal(rs->network_posture, BULWARK__V1__POSTURE__POSTURE_AUDIT);
	rs_free(rs);
	assert_int_equal(bw_inventory_set_posture(f->inv, "web", "allow", NULL, NULL), -EINVAL);
}

static void test_block_beats_allow(void **state)
{
	struct fix *f = *state;

	add_policies(f->set, P("allow", "web", "    matchLabels: {app: nginx}\n",
			       "  action: Allow\n  file:\n    matchPaths:\n"
			       "    - {path: /etc/passwd, readOnly: true}\n"
			       "    - {path: /etc/hosts}\n"
			       "    - {path: /etc/group, fromSource: [{path: /bin/id}]}\n")
				 P("block", "web", "    matchLabels: {tier: front}\n",
				   "  file:\n    matchPaths:\n    - {path: /etc/passwd}\n"
				   "    - {path: /etc/group}\n")
				     P("audit", "web", "    matchLabels: {tier: front}\n",
				       "  action: Audit\n  file:\n    matchPaths:\n"
				       "    - {path: /etc/passwd}\n    - {path: /etc/hosts}\n"));
	/* passwd: Block wins over Allow, Audit stays.  hosts: Allow and Audit.
	 * group: the Allow is scoped to /bin/id, a different resource. */
	expect_rules(f, "c-web",
		     "File 0 /etc/group Block block\n"
		     "File 0 /etc/group Allow allow from=/bin/id\n"
		     "File 0 /etc/hosts Audit audit\n"
		     "File 0 /etc/hosts Allow allow\n"
		     "File 0 /etc/passwd Block block\n"
		     "File 0 /etc/passwd Audit audit\n");
	Bulwark__V1__RuleSet *rs = ctr(f, "c-web");
	assert_true(rs->file_allowlist); /* the overridden Allow still counts */
	rs_free(rs);
	/* c-dbg is not tier=front: the Allows stand. */
	expect_rules(f, "c-dbg",
		     "File 0 /etc/group Allow allow from=/bin/id\n"
		     "File 0 /etc/hosts Allow allow\n"
		     "File 0 /etc/passwd Allow allow ro\n");
}

static void test_duplicates_and_owner(void **state)
{
	struct fix *f = *state;

	add_policies(f->set, P("dup", "web", "    matchLabels: {app: nginx}\n",
			       "  process:\n    matchPaths:\n"
			       "    - {path: /bin/su, ownerOnly: true}\n"
			       "    - {path: /bin/su, ownerOnly: true}\n"
			       "    matchDirectories:\n    - {dir: /sbin/}\n"));
	expect_rules(f, "c-web", "Process 0 /bin/su Block dup owner\nProcess 1 /sbin/ Block dup\n");
}

#define HSP(name, labels, body)                                                                    \
	"---\napiVersion: security.kubearmor.com/v1\nkind: KubeArmorHostPolicy\nmetadata:\n  "     \
	"name: " name "\nspec:\n  nodeSelector:\n    matchLabels:\n" labels body

static void test_host_policy(void **state)
{
	struct fix *f = *state;
	Bulwark__V1__RuleSet *rs;

	add_policies(f->set, HSP("every", "      kubearmor.io/hostname: \"*\"\n",
				 "  process:\n    matchPaths: [{path: /usr/bin/nc}]\n")
				 HSP("web", "      role: web\n",
				     "  file:\n    matchPaths: [{path: /etc/web}]\n")
				     HSP("n2", "      kubearmor.io/hostname: n2\n",
					 "  file:\n    matchPaths: [{path: /etc/n2}]\n"));
	assert_int_equal(bw_compile_host(f->set, f->inv, "n1", &rs), 0);
	char *s = summary(rs);
	assert_string_equal(s, "Process 0 /usr/bin/nc Block every\nFile 0 /etc/web Block web\n");
	free(s);
	/* Hosts default to audit, as KubeArmor's hostDefault*Posture. */
	assert_int_equal(rs->file_posture, BULWARK__V1__POSTURE__POSTURE_AUDIT);
	rs_free(rs);
	assert_int_equal(bw_compile_host(f->set, f->inv, "n2", &rs), 0);
	s = summary(rs);
	assert_string_equal(s, "Process 0 /usr/bin/nc Block every\nFile 0 /etc/n2 Block n2\n");
	free(s);
	rs_free(rs);
	/* Host policies never reach containers. */
	expect_rules(f, "c-web", "");
	assert_int_equal(bw_compile_host(f->set, f->inv, "nope", &rs), -ENOENT);
}


/* CompiledPolicy.digest recomputed from its definition (compile_int.h)
 * with nothing but protobuf-c and SHA-256. */
static void expect_digest(const Bulwark__V1__CompiledPolicy *cp)
{
	struct bw_sha256 hi, hb, hd;
	uint8_t ident[32], bodies[32], host[32] = {0}, d[32], v[10];

	bw_sha256_init(&hi);
	bw_sha256_init(&hb);
	for (size_t i = 0; i < cp->n_containers; i++) {
		Bulwark__V1__RuleSet body = *cp->containers[i];
		const char *id = body.container_id;
		size_t len;
		uint8_t *buf;
		struct bw_sha256 h;
		uint8_t bd[32];

		bw_sha256_update(&hi, v, bw_pb_varint(strlen(id), v));
		bw_sha256_update(&hi, id, strlen(id));
		bw_sha256_update(&hi, v, bw_pb_varint(body.cgroup_id, v));
		body.container_id = (char *)"";
		body.cgroup_id = 0;
		len = protobuf_c_message_get_packed_size(&body.base);
		buf = malloc(len + 1);
		assert_non_null(buf);
		protobuf_c_message_pack(&body.base, buf);
		bw_sha256_init(&h);
		bw_sha256_update(&h, buf, len);
		bw_sha256_final(&h, bd);
		bw_sha256_update(&hb, bd, 32);
		free(buf);
	}
	bw_sha256_final(&hi, ident);
	bw_sha256_final(&hb, bodies);
	if (cp->host) {
		size_t len = protobuf_c_message_get_packed_size(&cp->host->base);
		uint8_t *buf = malloc(len + 1);
		struct bw_sha256 h;

		assert_non_null(buf);
		protobuf_c_message_pack(&cp->host->base, buf);
		bw_sha256_init(&h);
		bw_sha256_update(&h, buf, len);
		bw_sha256_final(&h, host);
		free(buf);
	}
	bw_sha256_init(&hd);
	bw_sha256_update(&hd, ident, 32);
	bw_sha256_update(&hd, bodies, 32);
	bw_sha256_update(&hd, host, 32);
	bw_sha256_final(&hd, d);
	assert_int_equal(cp->digest.len, 32);
	assert_memory_equal(cp->digest.data, d, 32);
}

static void test_node_output_and_determinism(void **state)
{
	struct fix *f = *state;
	const char *a =
	    P("pa", "web", "    matchLabels: {app: nginx}\n",
	      "  severity: 7\n  tags: [x, y]\n  message: m\n"
	      "  network:\n    matchProtocols: [{protocol: udp, fromSource: [{path: /bin/a}]}]\n"
	      "  capabilities:\n    matchCapabilities: [{capability: CAP_NET_RAW}]\n"
	      "  syscalls:\n    matchSyscalls: [{syscall: [ptrace]}]\n");
	const char *b = CSP("pb", "    - {key: namespace, operator: In, values: [web]}\n",
			    "  file:\n    matchPaths: [{path: /etc/shadow}]\n");
	Bulwark__V1__CompiledPolicy *x, *y;
	struct bw_policy_set *other;

	add_policies(f->set, a);
	add_policies(f->set, b);
	assert_int_equal(bw_policy_set_new(&other), 0);
	add_policies(other, b); /* other insertion order */
	add_policies(other, a);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 9, &x), 0);
	assert_int_equal(bw_compile_node(other, f->inv, "n1", 9, &y), 0);
	size_t lx = protobuf_c_message_get_packed_size(&x->base);
	size_t ly = protobuf_c_message_get_packed_size(&y->base);
	assert_int_equal(lx, ly);
	uint8_t *bx = malloc(lx), *by = malloc(ly);
	protobuf_c_message_pack(&x->base, bx);
	protobuf_c_message_pack(&y->base, by);
	assert_memory_equal(bx, by, lx);
	free(bx);
	free(by);

	/* The exact compiled output of c-web. */
	assert_int_equal(x->n_containers, 2);
	assert_string_equal(x->containers[0]->container_id, "c-dbg");
	assert_string_equal(x->containers[1]->container_id, "c-web");
	assert_int_equal(x->version, 9);
	assert_int_equal(x->digest.len, 32);
	expect_digest(x);
	const Bulwark__V1__RuleSet *rs = x->containers[1];
	assert_int_equal(rs->n_rules, 4);
	const Bulwark__V1__Rule *r = rs->rules[0];
	assert_int_equal(r->operation, BULWARK__V1__OPERATION__OP_FILE);
	assert_string_equal(r->origin->policy_kind, "KubeArmorClusterPolicy");
	assert_string_equal(r->origin->policy_name, "pb");
	r = rs->rules[1];
	assert_int_equal(r->operation, BULWARK__V1__OPERATION__OP_NETWORK);
	assert_int_equal(r->protocol->type, 2);
	assert_int_equal(r->protocol->protocol, 17);
	assert_string_equal(r->protocol->name, "udp");
	assert_string_equal(r->from_source[0]->path, "/bin/a");
	assert_int_equal(r->origin->severity, 7);
	assert_int_equal(r->origin->n_tags, 2);
	assert_string_equal(r->origin->message, "m");
	assert_string_equal(r->origin->policy_namespace, "web");
	r = rs->rules[2];
	assert_int_equal(r->match, BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY);
	assert_int_equal(r->capability, 13);
	r = rs->rules[3];
	assert_int_equal(r->match, BULWARK__V1__MATCH_KIND__MATCH_SYSCALL);
	assert_int_equal(r->syscall, 101);

	/* JSON names the policy behind each rule. */
	char *json = bw_compiled_to_json(x);
	assert_non_null(strstr(json, "\"name\":\t\"pb\""));
	assert_non_null(strstr(json, "\"digest\":"));
	free(json);

	/* A change in policy changes the digest; undoing it restores it. */
	uint8_t d1[32];
	memcpy(d1, x->digest.data, 32);
	bw_compiled_free(y);
	assert_int_equal(bw_policy_set_remove(f->set, BW_KIND_CLUSTER_POLICY, "", "pb"), 0);
	assert_int_equal(bw_policy_set_remove(f->set, BW_KIND_CLUSTER_POLICY, "", "pb"), -ENOENT);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 10, &y), 0);
	assert_memory_not_equal(d1, y->digest.data, 32);
	bw_compiled_free(y);
	add_policies(f->set, b);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 11, &y), 0);
	assert_memory_equal(d1, y->digest.data, 32);
	bw_compiled_free(y);
	bw_compiled_free(x);
	bw_policy_set_free(other);
	assert_int_equal(bw_compile_node(f->set, f->inv, "nope", 1, &x), -ENOENT);
}

static void test_replace_policy(void **state)
{
	struct fix *f = *state;

	add_policies(f->set, P("p", "web", "    matchLabels: {app: nginx}\n",
			       "  process:\n    matchPaths: [{path: /old}]\n"));
	add_policies(f->set, P("p", "web", "    matchLabels: {tier: debug}\n",
			       "  process:\n    matchPaths: [{path: /new}]\n"));
	assert_int_equal(bw_policy_set_count(f->set), 1);
	expect_rules(f, "c-web", "");
	expect_rules(f, "c-dbg", "Process 0 /new Block p\n");
}

static void test_incremental(void **state)
{
	struct fix *f = *state;
	struct bw_compiler *c;
	const Bulwark__V1__CompiledPolicy *cp;
	Bulwark__V1__CompiledPolicy *full;
	uint64_t reused, compiled;

	add_policies(f->set, P("p1", "web", "    matchLabels: {app: nginx}\n",
			       "  process:\n    matchPaths: [{path: /a}]\n")
				 P("p2", "data", "    matchLabels: {app: db}\n",
				   "  process:\n    matchPaths: [{path: /b}]\n"));
	assert_int_equal(bw_compiler_new(&c), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 1, &cp), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n2", 1, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled, 4);
	assert_int_equal(reused, 0);

	/* Same inputs: nothing recompiled, same object. */
	const Bulwark__V1__CompiledPolicy *again;
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n2", 2, &again), 0);
	assert_ptr_equal(cp, again);
	assert_int_equal(again->version, 2);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled, 4);
	assert_int_equal(reused, 2);

	/* A policy of namespace data: only c-db is recompiled. */
	add_policies(f->set, P("p2", "data", "    matchLabels: {app: db}\n",
			       "  process:\n    matchPaths: [{path: /c}]\n"));
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 3, &cp), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n2", 3, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled, 5);
	assert_int_equal(reused, 5);
	/* And the result equals a full compile, byte for byte. */
	assert_int_equal(bw_compile_node(f->set, f->inv, "n2", 3, &full), 0);
	assert_memory_equal(full->digest.data, cp->digest.data, 32);
	assert_string_equal(cp->containers[0]->rules[0]->value, "/c");
	bw_compiled_free(full);

	/* A container change recompiles that container only. */
	Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
	ct.id = "c-new";
	ct.namespace_name = "web";
	assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 4, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled, 6);
	assert_int_equal(cp->n_containers, 3);
	/* Removed: gone from the output. */
	assert_int_equal(bw_inventory_remove_container(f->inv, "c-new"), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 5, &cp), 0);
	assert_int_equal(cp->n_containers, 2);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 5, &full), 0);
	assert_memory_equal(full->digest.data, cp->digest.data, 32);
	bw_compiled_free(full);

	/* A cluster policy touches everyone; a posture its namespace. */
	add_policies(f->set, CSP("all", "    - {key: namespace, operator: NotIn, values: [x]}\n",
				 "  file:\n    matchPaths: [{path: /z}]\n"));
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 6, &cp), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n2", 6, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled, 10);
	assert_int_equal(bw_inventory_set_posture(f->inv, "data", "block", NULL, NULL), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n2", 7, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled, 11);
	assert_int_equal(cp->containers[0]->file_posture, BULWARK__V1__POSTURE__POSTURE_BLOCK);

	assert_int_equal(bw_inventory_remove_node(f->inv, "n2"), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n2", 8, &cp), -ENOENT);
	bw_compiler_free(c);
}

/* Only containers that carry a changed policy's first label recompile. */
static void test_incremental_by_label(void **state)
{
	struct fix *f = *state;
	struct bw_compiler *c;
	const Bulwark__V1__CompiledPolicy *cp;
	Bulwark__V1__CompiledPolicy *full;
	uint64_t reused, compiled, before;
	char id[16], app[8];

	assert_int_equal(bw_compiler_new(&c), 0);
	for (int i = 0; i < 4; i++) {
		Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
		Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvs[] = {&kv};

		snprintf(id, sizeof(id), "lab-%d", i);
		snprintf(app, sizeof(app), "a%d", i % 2);
		kv.key = "app";
		kv.value = app;
		ct.id = id;
		ct.namespace_name = "shop";
		ct.labels = kvs;
		ct.n_labels = 1;
		assert_int_equal(bw_inventory_set_container(f->inv, "n9", &ct), 0);
	}
	add_policies(f->set, P("pa", "shop", "    matchLabels: {app: a0}\n",
			       "  process:\n    matchPaths: [{path: /a}]\n"));
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n9", 1, &cp), 0);
	bw_compiler_stats(c, &reused, &before);
	assert_int_equal(before, 4);

	/* pa changes: lab-0 and lab-2 (app=a0) only. */
	add_policies(f->set, P("pa", "shop", "    matchLabels: {app: a0}\n",
			       "  process:\n    matchPaths: [{path: /b}]\n"));
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n9", 2, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled - before, 2);
	assert_int_equal(reused, 2);

	/* No matchLabels: every container of the namespace is a candidate. */
	before = compiled;
	add_policies(f->set, P("all", "shop", "    matchLabels: {}\n",
			       "  file:\n    matchPaths: [{path: /all}]\n"));
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n9", 3, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_int_equal(compiled - before, 4);

	/* The last policy of label app=a0 removed (its index list goes): the
	 * a0 containers lose its rules. */
	before = compiled;
	assert_int_equal(bw_policy_set_remove(f->set, BW_KIND_POLICY, "shop", "pa"), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n9", 4, &cp), 0);
	bw_compiler_stats(c, &reused, &compiled);
	assert_true(compiled - before >= 2);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n9", 4, &full), 0);
	assert_memory_equal(full->digest.data, cp->digest.data, 32);
	for (size_t i = 0; i < cp->n_containers; i++)
		for (size_t r = 0; r < cp->containers[i]->n_rules; r++)
			assert_string_not_equal(cp->containers[i]->rules[r]->value, "/b");
	bw_compiled_free(full);
	bw_compiler_free(c);
}

static unsigned rnd(uint64_t *seed, unsigned n)
{
	*seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)((*seed >> 33) % n);
}

/* Random changes: after each, the cache must give what a full compile gives. */
static void test_incremental_equals_full(void **state)
{
	struct fix *f = *state;
	struct bw_compiler *c;
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	const char *nodes[] = {"n1", "n2", "n3"};

#define RND(n) rnd(&seed, n)
	assert_int_equal(bw_compiler_new(&c), 0);
	for (int step = 0; step < 300; step++) {
		char buf[1024], id[16], ns[8], app[8];
		switch (RND(6)) {
		case 0: /* namespaced policy put */
		case 1:
			if (RND(4) == 0) { /* no matchLabels: every container of ns */
				snprintf(buf, sizeof(buf),
					 P("p%d", "ns%d", "    matchLabels: {}\n",
					   "  network:\n    matchProtocols: [{protocol: %s}]\n"),
					 (int)RND(8), (int)RND(3), RND(2) ? "tcp" : "udp");
				add_policies(f->set, buf);
				break;
			}
			snprintf(buf, sizeof(buf),
				 P("p%d", "ns%d", "    matchLabels: {app: a%d}\n",
				   "  file:\n    matchPaths: [{path: /f%d, action: %s}]\n"),
				 (int)RND(8), (int)RND(3), (int)RND(3), (int)RND(4),
				 RND(2) ? "Allow" : "Block");
			add_policies(f->set, buf);
			break;
		case 2: /* cluster or host policy put, or a removal */
			if (RND(2)) {
				snprintf(
				    buf, sizeof(buf),
				    CSP("c%d",
					"    - {key: namespace, operator: In, values: [ns%d]}\n",
					"  process:\n    matchPaths: [{path: /c%d}]\n"),
				    (int)RND(3), (int)RND(3), (int)RND(3));
				add_policies(f->set, buf);
			} else {
				snprintf(buf, sizeof(buf), "p%d", (int)RND(8));
				snprintf(ns, sizeof(ns), "ns%d", (int)RND(3));
				bw_policy_set_remove(f->set, BW_KIND_POLICY, ns, buf);
			}
			break;
		case 3: /* container added, moved or relabelled */
		case 4: {
			Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
			Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvs[] = {&kv};
			snprintf(id, sizeof(id), "x%d", (int)RND(12));
			snprintf(ns, sizeof(ns), "ns%d", (int)RND(3));
			snprintf(app, sizeof(app), "a%d", (int)RND(3));
			kv.key = "app";
			kv.value = app;
			ct.id = id;
			ct.namespace_name = ns;
			ct.labels = kvs;
			ct.n_labels = 1;
			if (RND(4))
				assert_int_equal(
				    bw_inventory_set_container(f->inv, nodes[RND(3)], &ct), 0);
			else
				bw_inventory_remove_container(f->inv, id);
			break;
		}
		default: /* postures, node labels, host policies */
			snprintf(ns, sizeof(ns), "ns%d", (int)RND(3));
			if (RND(3) == 0) {
				assert_int_equal(
				    bw_inventory_set_node(f->inv, nodes[RND(3)],
							  RND(2) ? "role=web" : "role=db"),
				    0);
			} else if (RND(2)) {
				snprintf(buf, sizeof(buf),
					 HSP("h%d", "      role: web\n",
					     "  file:\n    matchPaths: [{path: /h%d}]\n"),
					 (int)RND(2), (int)RND(5));
				add_policies(f->set, buf);
			} else {
				assert_int_equal(
				    bw_inventory_set_posture(f->inv, ns, RND(2) ? "audit" : "block",
							     NULL, NULL),
				    0);
			}
			break;
		}
		for (size_t n = 0; n < 3; n++) {
			const Bulwark__V1__CompiledPolicy *inc;
			Bulwark__V1__CompiledPolicy *full;
			assert_int_equal(bw_compiler_node(c, f->set, f->inv, nodes[n], 1, &inc), 0);
			assert_int_equal(bw_compile_node(f->set, f->inv, nodes[n], 1, &full), 0);
			size_t li = protobuf_c_message_get_packed_size(&inc->base);
			size_t lf = protobuf_c_message_get_packed_size(&full->base);
			assert_int_equal(li, lf);
			uint8_t *bi = malloc(li), *bf = malloc(lf);
			protobuf_c_message_pack(&inc->base, bi);
			protobuf_c_message_pack(&full->base, bf);
			assert_memory_equal(bi, bf, li);
			free(bi);
			free(bf);
			/* The packed fast path: the same bytes, whatever the
			 * version's varint length (0 is left out). */
			static const uint64_t versions[] = {0, 1, 127, 128, 1ull << 40};
			uint64_t v = versions[RND(5)];
			struct bw_packed_policy pp;
			full->version = v;
			lf = protobuf_c_message_get_packed_size(&full->base);
			bf = malloc(lf);
			protobuf_c_message_pack(&full->base, bf);
			assert_int_equal(bw_compiler_node_packed(c, f->set, f->inv, nodes[n], &pp), 0);
			assert_memory_equal(pp.digest, full->digest.data, 32);
			expect_digest(full);
			assert_int_equal(bw_packed_policy_size(&pp, v), lf);
			bi = malloc(lf);
			assert_int_equal(bw_packed_policy_write(&pp, v, bi), lf);
			assert_memory_equal(bi, bf, lf);
			free(bi);
			free(bf);
			bw_compiled_free(full);
		}
	}
#undef RND
	uint64_t reused, compiled;
	bw_compiler_stats(c, &reused, &compiled);
	assert_true(reused > compiled); /* the cache did its job */
	bw_compiler_free(c);
}

static void test_inventory_yaml_errors(void **state)
{
	struct bw_inventory *inv;
	struct bw_diags *d;
	const char *bad = "nodes:\n  - nam: x\ncontainers:\n  - {id: a}\n  - {id: b, node: n, "
			  "cgroupId: q}\nnamespaces:\n  - name: web\n    annotations: "
			  "{kubearmor-file-posture: allow}\nextra: 1\n";

	assert_int_equal(bw_inventory_new(&inv), 0);
	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(bw_inventory_load_yaml(inv, bad, strlen(bad), "i.yaml", d), -EINVAL);
	char *s = bw_diags_format(d);
	assert_non_null(
	    strstr(s, "i.yaml:2:5: unknown field 'nam' in nodes[0] (did you mean 'name'?)"));
	assert_non_null(strstr(s, "containers[0].node is required"));
	assert_non_null(strstr(s, "containers[1].cgroupId must be a number"));
	assert_non_null(strstr(s, "kubearmor-file-posture must be audit or block"));
	assert_non_null(strstr(s, "unknown field 'extra' in inventory"));
	free(s);
	bw_diags_free(d);
	bw_inventory_free(inv);
}

/* KubeArmor's kubearmor.io/container.name selects containers by name (the
 * name inside the pod, else the runtime's); it is matched on, never part
 * of RuleSet.labels, and a reported label with that key is ignored. */
static void test_container_name_selector(void **state)
{
	struct fix *f = *state;
	Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv[2] = {BULWARK__V1__KEY_VALUE__INIT, BULWARK__V1__KEY_VALUE__INIT};
	Bulwark__V1__KeyValue *kvp[2] = {&kv[0], &kv[1]};
	Bulwark__V1__CompiledPolicy *full;
	const Bulwark__V1__CompiledPolicy *cp;
	struct bw_packed_policy pp;
	struct bw_compiler *c;
	Bulwark__V1__RuleSet *rs;

	/* In the pod, "sidecar"; the runtime's name does not count then. */
	ct.id = "c-side";
	ct.name = "k8s_sidecar_web-1";
	ct.container_name = "sidecar";
	ct.namespace_name = "web";
	kv[0].key = "app";
	kv[0].value = "nginx";
	ct.labels = kvp;
	ct.n_labels = 1;
	assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);
	/* No pod name: the runtime's name is the container's name. */
	ct.id = "c-side-rt";
	ct.container_name = "";
	ct.name = "sidecar";
	assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);
	/* Another name, claiming the reserved label: not selected. */
	ct.id = "c-other";
	ct.name = "main";
	kv[1].key = "kubearmor.io/container.name";
	kv[1].value = "sidecar";
	ct.n_labels = 2;
	assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);

	/* Cached before any policy selects by name (but with one in the
	 * namespace, so its index exists): the name lists appear later, and
	 * the cache must notice. */
	add_policies(f->set, "apiVersion: security.kubearmor.com/v1\n"
			     "kind: KubeArmorPolicy\n"
			     "metadata: {name: unrelated, namespace: web}\n"
			     "spec:\n"
			     "  selector:\n"
			     "    matchLabels: {app: nobody}\n"
			     "  file:\n"
			     "    matchPaths: [{path: /etc/x}]\n"
			     "  action: Block\n");
	assert_int_equal(bw_compiler_new(&c), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 2, &cp), 0);
	add_policies(f->set, "apiVersion: security.kubearmor.com/v1\n"
			     "kind: KubeArmorPolicy\n"
			     "metadata: {name: by-name, namespace: web}\n"
			     "spec:\n"
			     "  selector:\n"
			     "    matchLabels: {kubearmor.io/container.name: sidecar}\n"
			     "  process:\n"
			     "    matchPaths: [{path: /bin/sh}]\n"
			     "  action: Block\n");
	rs = ctr(f, "c-side");
	assert_int_equal(rs->n_rules, 1);
	assert_string_equal(rs->rules[0]->value, "/bin/sh");
	assert_int_equal(rs->n_labels, 1); /* app=nginx only */
	assert_string_equal(rs->labels[0]->key, "app");
	rs_free(rs);
	rs = ctr(f, "c-side-rt");
	assert_int_equal(rs->n_rules, 1);
	rs_free(rs);
	rs = ctr(f, "c-other");
	assert_int_equal(rs->n_rules, 0);
	assert_int_equal(rs->n_labels, 1);
	rs_free(rs);
	rs = ctr(f, "c-web"); /* no name at all */
	assert_int_equal(rs->n_rules, 0);
	rs_free(rs);

	/* The compiler's two outputs agree with a full compile, byte for byte. */
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 3, &full), 0);
	expect_digest(full);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 3, &cp), 0);
	assert_memory_equal(full->digest.data, cp->digest.data, 32);
	assert_int_equal(bw_compiler_node_packed(c, f->set, f->inv, "n1", &pp), 0);
	{
		size_t lf = protobuf_c_message_get_packed_size(&full->base);
		uint8_t *bf = malloc(lf), *bp = malloc(bw_packed_policy_size(&pp, 3));

		protobuf_c_message_pack(&full->base, bf);
		assert_int_equal(bw_packed_policy_size(&pp, 3), lf);
		bw_packed_policy_write(&pp, 3, bp);
		assert_memory_equal(bf, bp, lf);
		free(bf);
		free(bp);
	}
	bw_compiled_free(full);
	/* And after the policy is gone, no container keeps its rule. */
	assert_int_equal(bw_policy_set_remove(f->set, BW_KIND_POLICY, "web", "by-name"), 0);
	assert_int_equal(bw_compiler_node(c, f->set, f->inv, "n1", 4, &cp), 0);
	for (size_t i = 0; i < cp->n_containers; i++)
		assert_int_equal(cp->containers[i]->n_rules, 0);
	assert_int_equal(bw_compile_node(f->set, f->inv, "n1", 4, &full), 0);
	assert_memory_equal(full->digest.data, cp->digest.data, 32);
	bw_compiled_free(full);
	bw_compiler_free(c);
}

/* The packed output equals a full compile's bytes (version 5). */
static void expect_packed_equals_full(struct bw_compiler *c, struct fix *f, const char *node)
{
	Bulwark__V1__CompiledPolicy *full;
	struct bw_packed_policy pp;
	size_t lf;
	uint8_t *bf, *bp;

	assert_int_equal(bw_compile_node(f->set, f->inv, node, 5, &full), 0);
	assert_int_equal(bw_compiler_node_packed(c, f->set, f->inv, node, &pp), 0);
	assert_memory_equal(pp.digest, full->digest.data, 32);
	lf = protobuf_c_message_get_packed_size(&full->base);
	bf = malloc(lf);
	bp = malloc(lf);
	protobuf_c_message_pack(&full->base, bf);
	assert_int_equal(bw_packed_policy_size(&pp, 5), lf);
	bw_packed_policy_write(&pp, 5, bp);
	assert_memory_equal(bf, bp, lf);
	free(bf);
	free(bp);
	bw_compiled_free(full);
}

/* Bare rule-set bodies are memoised across calls and nodes: a posture or
 * visibility change of their namespace, and labels freed and interned
 * anew (which may reuse the memory), must not serve a stale one. */
static void test_bare_memo_follows_changes(void **state)
{
	struct fix *f = *state;
	Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvp = &kv;
	struct bw_compiler *c;
	char val[16];

	assert_int_equal(bw_compiler_new(&c), 0);
	expect_packed_equals_full(c, f, "n1");
	expect_packed_equals_full(c, f, "n2");
	assert_int_equal(bw_inventory_set_posture(f->inv, "web", "audit", "audit", NULL), 0);
	expect_packed_equals_full(c, f, "n1");
	assert_int_equal(bw_inventory_set_visibility(f->inv, "web", "process,network"), 0);
	expect_packed_equals_full(c, f, "n1");
	assert_int_equal(bw_inventory_set_posture(f->inv, "data", "block", NULL, NULL), 0);
	expect_packed_equals_full(c, f, "n2");
	/* Label churn: each round frees the previous label and interns a new
	 * one, on a container that no policy selects. */
	ct.id = "c-churn";
	ct.namespace_name = "web";
	ct.labels = &kvp;
	ct.n_labels = 1;
	kv.key = "churn";
	for (int i = 0; i < 20; i++) {
		snprintf(val, sizeof(val), "v%d", i);
		kv.value = val;
		assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);
		expect_packed_equals_full(c, f, "n1");
	}
	bw_compiler_free(c);
}

/* Compiled rule sets are shared by containers with the same namespace and
 * label pointers across calls; a label freed and interned anew may land at
 * the same address with another value, and must not get the old result. */
static void test_replica_memo_no_stale_pointers(void **state)
{
	struct fix *f = *state;
	Bulwark__V1__Container ct = BULWARK__V1__CONTAINER__INIT;
	Bulwark__V1__KeyValue kv = BULWARK__V1__KEY_VALUE__INIT, *kvp = &kv;
	struct bw_compiler *c;
	Bulwark__V1__RuleSet *rs;

	add_policies(f->set, "apiVersion: security.kubearmor.com/v1\n"
			     "kind: KubeArmorPolicy\n"
			     "metadata: {name: v2-only, namespace: web}\n"
			     "spec:\n"
			     "  selector:\n"
			     "    matchLabels: {churn: v2}\n"
			     "  file:\n"
			     "    matchPaths: [{path: /etc/v2}]\n"
			     "  action: Block\n");
	/* A later posture change makes the namespace's generation the newest:
	 * both containers below get the same dependency generation. */
	assert_int_equal(bw_inventory_set_posture(f->inv, "web", "audit", NULL, NULL), 0);
	assert_int_equal(bw_compiler_new(&c), 0);
	ct.namespace_name = "web";
	ct.labels = &kvp;
	ct.n_labels = 1;
	kv.key = "churn";
	for (int i = 0; i < 10; i++) {
		ct.id = "c-a";
		kv.value = "v1";
		assert_int_equal(bw_inventory_set_container(f->inv, "n1", &ct), 0);
		expect_packed_equals_full(c, f, "n1");
		assert_int_equal(bw_inventory_remove_container(f->inv, "c-a"), 0);
		ct.id = "c-b";
		kv.value = "v2";
		assert_int_equal(bw_inventory_set_container(f->inv, "n2", &ct), 0);
		expect_packed_equals_full(c, f, "n2");
		rs = ctr(f, "c-b");
		assert_int_equal(rs->n_rules, 1);
		rs_free(rs);
		assert_int_equal(bw_inventory_remove_container(f->inv, "c-b"), 0);
	}
	bw_compiler_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_label_selection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cluster_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_allowlist_and_posture, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_block_beats_allow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_duplicates_and_owner, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_host_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_node_output_and_determinism, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replace_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_incremental, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_incremental_equals_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_incremental_by_label, setup, teardown),
	    cmocka_unit_test(test_inventory_yaml_errors),
	    cmocka_unit_test_setup_teardown(test_container_name_selector, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bare_memo_follows_changes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_replica_memo_no_stale_pointers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
