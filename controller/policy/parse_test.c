/* SPDX-License-Identifier: Apache-2.0 */
/* Parser: every field of the three kinds, and the errors for bad input. */
#include <errno.h>

#include "test_util.h"

#define HDR(kind) "apiVersion: security.kubearmor.com/v1\nkind: " kind "\nmetadata:\n  name: p\n"
#define KSP HDR("KubeArmorPolicy") "spec:\n  selector:\n    matchLabels: {app: a}\n"

static const struct bw_prule *rule(const struct bw_policy *p, size_t i)
{
	assert_true(i < p->n_rules);
	return &p->rules[i];
}

static void test_process_fields(void **state)
{
	struct bw_policy *p = parse_one(KSP "  process:\n"
					    "    matchPaths:\n"
					    "    - path: /bin/sleep\n"
					    "      ownerOnly: true\n"
					    "      fromSource:\n"
					    "      - path: /bin/bash\n"
					    "      - dir: /usr/bin/\n"
					    "        recursive: true\n"
					    "    - execname: curl\n"
					    "    matchDirectories:\n"
					    "    - dir: /tmp/\n"
					    "      recursive: true\n"
					    "    - dir: /var/\n"
					    "    matchPatterns:\n"
					    "    - pattern: /tmp/*.sh\n"
					    "      ownerOnly: true\n");
	assert_int_equal(p->kind, BW_KIND_POLICY);
	assert_string_equal(p->ns, "default");
	assert_int_equal(p->n_rules, 5);
	const struct bw_prule *r = rule(p, 0);
	assert_int_equal(r->op, BULWARK__V1__OPERATION__OP_PROCESS);
	assert_int_equal(r->match, BULWARK__V1__MATCH_KIND__MATCH_PATH);
	assert_string_equal(r->value, "/bin/sleep");
	assert_true(r->owner_only);
	assert_int_equal(r->n_src, 2);
	assert_string_equal(r->src[0].path, "/bin/bash");
	assert_false(r->src[0].dir);
	assert_string_equal(r->src[1].path, "/usr/bin/");
	assert_true(r->src[1].dir && r->src[1].recursive);
	assert_int_equal(r->action, BULWARK__V1__ACTION__ACTION_BLOCK); /* default */
	assert_int_equal(r->severity, 1);				/* default */
	assert_int_equal(rule(p, 1)->match, BULWARK__V1__MATCH_KIND__MATCH_EXECNAME);
	assert_string_equal(rule(p, 1)->value, "curl");
	assert_int_equal(rule(p, 2)->match, BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE);
	assert_string_equal(rule(p, 2)->value, "/tmp/");
	assert_int_equal(rule(p, 3)->match, BULWARK__V1__MATCH_KIND__MATCH_DIR);
	assert_int_equal(rule(p, 4)->match, BULWARK__V1__MATCH_KIND__MATCH_PATTERN);
	assert_string_equal(rule(p, 4)->value, "/tmp/*.sh");
	assert_true(rule(p, 4)->owner_only);
	bw_policy_free(p);
}

static void test_file_fields(void **state)
{
	struct bw_policy *p = parse_one(KSP "  file:\n"
					    "    matchPaths:\n"
					    "    - path: /etc/passwd\n"
					    "      readOnly: true\n"
					    "      ownerOnly: false\n"
					    "    matchDirectories:\n"
					    "    - dir: /etc/\n"
					    "      readOnly: true\n"
					    "      recursive: true\n"
					    "      fromSource: [{path: /usr/bin/cat}]\n"
					    "    matchPatterns:\n"
					    "    - pattern: /etc/*shadow*\n"
					    "      readOnly: true\n");
	assert_int_equal(p->n_rules, 3);
	assert_int_equal(rule(p, 0)->op, BULWARK__V1__OPERATION__OP_FILE);
	assert_true(rule(p, 0)->read_only);
	assert_false(rule(p, 0)->owner_only);
	assert_int_equal(rule(p, 1)->match, BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE);
	assert_true(rule(p, 1)->read_only);
	assert_string_equal(rule(p, 1)->src[0].path, "/usr/bin/cat");
	assert_true(rule(p, 2)->read_only);
	bw_policy_free(p);

	/* YAML 1.1 booleans, as kubectl reads them. */
	p = parse_one(
	    KSP "  file:\n    matchPaths:\n    - {path: /a, readOnly: yes, ownerOnly: off}\n");
	assert_true(rule(p, 0)->read_only);
	assert_false(rule(p, 0)->owner_only);
	bw_policy_free(p);
}

static void test_network_fields(void **state)
{
	static const struct {
		const char *name;
		uint32_t family, type, proto;
	} want[] = {
	    {"TCP", 0, 1, 6},	 {"udp", 0, 2, 17},
	    {"Icmp", 2, 0, 1},	 {"icmpv6", 10, 0, 58},
	    {"sctp", 0, 0, 132}, {"RAW", 0, 3, 0},
	    {"all", 0, 0, 0},	 {"stream", 0, 1, 0},
	    {"dgram", 0, 2, 0},	 {"SOCK_SEQPACKET", 0, 5, 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char buf[512];
		snprintf(buf, sizeof(buf),
			 KSP "  network:\n    matchProtocols:\n    - protocol: %s\n"
			     "      fromSource: [{path: /usr/bin/curl}]\n",
			 want[i].name);
		struct bw_policy *p = parse_one(buf);
		const struct bw_prule *r = rule(p, 0);
		assert_int_equal(r->op, BULWARK__V1__OPERATION__OP_NETWORK);
		assert_int_equal(r->match, BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL);
		assert_int_equal(r->family, want[i].family);
		assert_int_equal(r->type, want[i].type);
		assert_int_equal(r->protocol, want[i].proto);
		assert_string_equal(r->src[0].path, "/usr/bin/curl");
		bw_policy_free(p);
	}
}

static void test_capability_fields(void **state)
{
	static const struct {
		const char *name;
		uint32_t nr;
	} want[] = {{"net_raw", 13},	     {"CAP_NET_RAW", 13}, {"Sys_Admin", 21},
		    {"cap_chown", 0},	     {"bpf", 39},	  {"CAP_CHECKPOINT_RESTORE", 40},
		    {"NET_BIND_SERVICE", 10}};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		char buf[512];
		snprintf(buf, sizeof(buf),
			 KSP "  capabilities:\n    matchCapabilities:\n    - capability: %s\n",
			 want[i].name);
		struct bw_policy *p = parse_one(buf);
		assert_int_equal(rule(p, 0)->op, BULWARK__V1__OPERATION__OP_CAPABILITY);
		assert_int_equal(rule(p, 0)->capability, want[i].nr);
		bw_policy_free(p);
	}
}

static void test_syscall_fields(void **state)
{
	struct bw_policy *p = parse_one(KSP "  syscalls:\n"
					    "    matchSyscalls:\n"
					    "    - syscall: [unlink, SYS_RMDIR, Execve]\n"
					    "      fromSource:\n"
					    "      - dir: /bin/\n"
					    "        recursive: true\n"
					    "    matchPaths:\n"
					    "    - path: /etc/\n"
					    "      recursive: true\n"
					    "      syscall: [chmod]\n"
					    "    - path: /etc/hosts\n"
					    "      syscall: [openat]\n");
	assert_int_equal(p->n_rules, 5);
	assert_int_equal(rule(p, 0)->syscall, 87);
	assert_int_equal(rule(p, 1)->syscall, 84);
	assert_int_equal(rule(p, 2)->syscall, 59);
	assert_int_equal(rule(p, 2)->match, BULWARK__V1__MATCH_KIND__MATCH_SYSCALL);
	assert_true(rule(p, 2)->src[0].dir && rule(p, 2)->src[0].recursive);
	assert_int_equal(rule(p, 3)->match, BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE);
	assert_int_equal(rule(p, 3)->syscall, 90);
	assert_int_equal(rule(p, 4)->match, BULWARK__V1__MATCH_KIND__MATCH_PATH);
	assert_int_equal(rule(p, 4)->syscall, 257);
	bw_policy_free(p);
}

static void test_meta_inheritance(void **state)
{
	struct bw_policy *p = parse_one(KSP "  severity: 3\n"
					    "  tags: [spec]\n"
					    "  message: from spec\n"
					    "  action: Audit\n"
					    "  file:\n"
					    "    severity: 6\n"
					    "    action: block\n"
					    "    matchPaths:\n"
					    "    - path: /a\n"
					    "    - path: /b\n"
					    "      severity: 9\n"
					    "      tags: [rule, t2]\n"
					    "      message: from rule\n"
					    "      action: Allow\n"
					    "  process:\n"
					    "    matchPaths:\n"
					    "    - path: /c\n");
	const struct bw_prule *a = rule(p, 0), *b = rule(p, 1), *c = rule(p, 2);
	assert_int_equal(a->severity, 6);
	assert_int_equal(a->action, BULWARK__V1__ACTION__ACTION_BLOCK);
	assert_int_equal(a->n_tags, 1);
	assert_string_equal(a->tags[0], "spec");
	assert_string_equal(a->message, "from spec");
	assert_int_equal(b->severity, 9);
	assert_int_equal(b->action, BULWARK__V1__ACTION__ACTION_ALLOW);
	assert_int_equal(b->n_tags, 2);
	assert_string_equal(b->tags[1], "t2");
	assert_string_equal(b->message, "from rule");
	assert_int_equal(c->severity, 3);
	assert_int_equal(c->action, BULWARK__V1__ACTION__ACTION_AUDIT);
	bw_policy_free(p);
}

static void test_selectors(void **state)
{
	struct bw_policy *p =
	    parse_one(HDR("KubeArmorPolicy") "  namespace: web\n"
					     "spec:\n"
					     "  selector:\n"
					     "    matchLabels:\n"
					     "      app: nginx\n"
					     "      tier: \"1\"\n"
					     "    matchExpressions:\n"
					     "    - key: env\n"
					     "      operator: NotIn\n"
					     "      values: [dev, test]\n"
					     "  process:\n"
					     "    matchPaths: [{path: /bin/sh}]\n");
	assert_string_equal(p->ns, "web");
	assert_int_equal(p->n_labels, 2);
	assert_string_equal(p->labels[1].key, "tier");
	assert_string_equal(p->labels[1].value, "1");
	assert_int_equal(p->n_exprs, 1);
	assert_true(p->exprs[0].not_in);
	assert_int_equal(p->exprs[0].n_values, 2);
	bw_policy_free(p);

	p = parse_one(HDR("KubeArmorClusterPolicy") "spec:\n"
						    "  selector:\n"
						    "    matchExpressions:\n"
						    "    - key: namespace\n"
						    "      operator: In\n"
						    "      values: [a, b]\n"
						    "    - key: label\n"
						    "      operator: NotIn\n"
						    "      values: [app=x]\n"
						    "  file:\n"
						    "    matchPaths: [{path: /etc/x}]\n");
	assert_int_equal(p->kind, BW_KIND_CLUSTER_POLICY);
	assert_string_equal(p->ns, "");
	assert_int_equal(p->n_exprs, 2);
	assert_false(p->exprs[0].not_in);
	bw_policy_free(p);

	p = parse_one(HDR("KubeArmorHostPolicy") "spec:\n"
						 "  nodeSelector:\n"
						 "    matchLabels:\n"
						 "      kubearmor.io/hostname: \"*\"\n"
						 "  process:\n"
						 "    matchPaths: [{path: /usr/bin/nc}]\n");
	assert_int_equal(p->kind, BW_KIND_HOST_POLICY);
	assert_string_equal(p->labels[0].value, "*");
	bw_policy_free(p);
}

static void test_presets_apparmor(void **state)
{
	struct bw_policy *p = parse_one(KSP "  presets:\n"
					    "  - name: filelessExec\n"
					    "    action: Audit\n"
					    "  - protectEnv\n"
					    "  apparmor: |\n"
					    "    deny /etc/hosts w,\n");
	assert_int_equal(p->n_rules, 3);
	assert_int_equal(rule(p, 0)->match, BULWARK__V1__MATCH_KIND__MATCH_PRESET);
	assert_string_equal(rule(p, 0)->value, "filelessExec");
	assert_true(rule(p, 0)->needs_bpflsm);
	assert_int_equal(rule(p, 0)->action, BULWARK__V1__ACTION__ACTION_AUDIT);
	assert_int_equal(rule(p, 1)->op, BULWARK__V1__OPERATION__OP_FILE);
	assert_int_equal(rule(p, 2)->match, BULWARK__V1__MATCH_KIND__MATCH_APPARMOR);
	assert_true(rule(p, 2)->needs_apparmor);
	assert_string_equal(rule(p, 2)->apparmor_raw, "deny /etc/hosts w,\n");
	bw_policy_free(p);
}

static void test_json_input_and_roundtrip(void **state)
{
	const char *json =
	    "{\"apiVersion\":\"security.kubearmor.com/v1\",\"kind\":"
	    "\"KubeArmorPolicy\",\"metadata\":{\"name\":\"j\",\"namespace\":\"n\"},"
	    "\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"b\"}},\"action\":"
	    "\"Allow\",\"file\":{\"matchDirectories\":[{\"dir\":\"/x/\","
	    "\"recursive\":true,\"fromSource\":[{\"path\":\"/bin/a\"}]}]},"
	    "\"capabilities\":{\"matchCapabilities\":[{\"capability\":\"CAP_NET_RAW\"}]}}}";
	struct bw_policy *p = parse_one(json);
	char *canon = bw_policy_to_json(p);
	struct bw_policy *q = parse_one(canon);
	char *again = bw_policy_to_json(q);
	assert_string_equal(canon, again);
	assert_int_equal(p->n_rules, q->n_rules);
	assert_int_equal(q->rules[0].action, BULWARK__V1__ACTION__ACTION_ALLOW);
	assert_int_equal(q->rules[1].capability, 13);
	/* Canonical capability spelling is KubeArmor's lower case. */
	assert_non_null(strstr(canon, "\"capability\":\"net_raw\""));
	free(canon);
	free(again);
	bw_policy_free(p);
	bw_policy_free(q);
}

static void test_multi_document(void **state)
{
	const char *text =
	    KSP "  process:\n    matchPaths: [{path: /a}]\n"
		"---\n"
		"---\n" HDR("KubeArmorHostPolicy") "spec:\n"
						   "  nodeSelector: {matchLabels: {a: b}}\n"
						   "  process:\n    matchPaths: [{path: /a}]\n";
	struct bw_diags *d;
	struct bw_policy **v;
	size_t n;
	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(bw_policy_parse(text, strlen(text), "m.yaml", &v, &n, d), 0);
	assert_int_equal(n, 2);
	assert_int_equal(v[1]->kind, BW_KIND_HOST_POLICY);
	for (size_t i = 0; i < n; i++)
		bw_policy_free(v[i]);
	free(v);
	bw_diags_free(d);
}

static void test_errors(void **state)
{
	/* line:col of the offending node, and what was expected. */
	parse_fails(KSP "  file:\n    matchDirectories:\n    - dir: /etc\n",
		    "t.yaml:10:12: spec.file.matchDirectories[0].dir must end with '/'");
	parse_fails(KSP "  file:\n    matchPaths:\n    - paht: /etc/x\n",
		    "t.yaml:10:7: unknown field 'paht' in spec.file.matchPaths[0] (did you mean "
		    "'path'?)");
	parse_fails(KSP "  file:\n    matchPaths:\n    - path: /etc/x\n      zzz: 1\n",
		    "unknown field 'zzz' in spec.file.matchPaths[0] (expected one of: path,");
	parse_fails(KSP "  process:\n    matchPaths:\n    - path: /a\n      readOnly: true\n",
		    "unknown field 'readOnly' in spec.process.matchPaths[0]");
	parse_fails(KSP "  severity: 0\n  process:\n    matchPaths: [{path: /a}]\n",
		    "spec.severity must be a number from 1 to 10");
	parse_fails(KSP "  action: deny\n  process:\n    matchPaths: [{path: /a}]\n",
		    "spec.action must be Allow, Audit or Block, got 'deny'");
	parse_fails(KSP "  process:\n    matchPaths: [{path: /a/../b}]\n",
		    "must not contain '.' or '..' components");
	parse_fails(KSP "  process:\n    matchPaths: [{path: /a, execname: b}]\n",
		    "give either path or execname, not both");
	parse_fails(KSP "  process:\n    matchPaths: [{execname: /bin/b}]\n",
		    "is a program name without '/'");
	parse_fails(KSP "  process:\n    matchPaths: [{path: /a, ownerOnly: maybe}]\n",
		    "ownerOnly must be true or false");
	parse_fails(KSP "  process:\n    matchPaths: [{ownerOnly: true}]\n",
		    "spec.process.matchPaths[0].path (or execname) is required");
	parse_fails(KSP "  process:\n    matchPaths: [{path: /a, fromSource: [{dir: /b}]}]\n",
		    "fromSource[0].dir must end with '/'");
	parse_fails(KSP "  process:\n    matchPaths: [{path: /a, fromSource: [{path: /b, "
			"recursive: true}]}]\n",
		    "recursive applies only with dir");
	parse_fails(KSP "  capabilities:\n    matchCapabilities: [{capability: net_rwa}]\n",
		    "unknown capability 'net_rwa' (did you mean 'net_raw'?)");
	parse_fails(KSP "  syscalls:\n    matchSyscalls: [{syscall: [opnat]}]\n",
		    "unknown syscall 'opnat' (did you mean 'openat'?)");
	parse_fails(KSP "  syscalls:\n    matchPaths: [{path: /etc/x, recursive: true, "
			"syscall: [chmod]}]\n",
		    "recursive applies only to a directory path");
	parse_fails(KSP "  network:\n    matchProtocols: [{protocol: tcpx}]\n",
		    "unknown protocol 'tcpx'");
	parse_fails(KSP "  presets: [{name: filelesExec}]\n", "unknown preset 'filelesExec'");
	parse_fails(KSP "", "spec has no rules");
	parse_fails(KSP "  process: {}\n", "spec.process has no match entries");
	parse_fails(KSP "  process:\n    matchPaths: []\n", "spec.process.matchPaths is empty");
	parse_fails(HDR("KubeArmorPolicy") "spec:\n  process:\n    matchPaths: [{path: /a}]\n",
		    "spec.selector is required");
	parse_fails(HDR("KubeArmorPolicy") "spec:\n  selector:\n    matchLabels: {\"a b\": c}\n"
					   "  process:\n    matchPaths: [{path: /a}]\n",
		    "'a b' is not a valid label key");
	parse_fails(HDR("KubeArmorPolicy") "spec:\n  selector:\n    matchExpressions:\n"
					   "    - {key: a, operator: Exists, values: [x]}\n"
					   "  process:\n    matchPaths: [{path: /a}]\n",
		    "operator must be In or NotIn");
	parse_fails(HDR("KubeArmorClusterPolicy") "spec:\n  selector:\n    matchExpressions:\n"
						  "    - {key: pod, operator: In, values: [x]}\n"
						  "  process:\n    matchPaths: [{path: /a}]\n",
		    "key must be 'namespace' or 'label'");
	parse_fails(HDR("KubeArmorClusterPolicy") "spec:\n  selector:\n    matchExpressions:\n"
						  "    - {key: label, operator: In, values: [x]}\n"
						  "  process:\n    matchPaths: [{path: /a}]\n",
		    "values[0] must be 'key=value'");
	parse_fails(HDR("KubeArmorHostPolicy") "spec:\n  process:\n    matchPaths: [{path: /a}]\n",
		    "spec.nodeSelector is required");
	parse_fails(
	    HDR("KubeArmorClusterPolicy") "spec:\n  process:\n    matchPaths: [{path: /a}]\n",
	    "spec.selector is required for a KubeArmorClusterPolicy");
	parse_fails(HDR("KubeArmorPolicy") "  name: q\nspec: {}\n", "metadata.name is given twice");
	parse_fails("apiVersion: security.kubearmor.com/v2\nkind: KubeArmorPolicy\n",
		    "t.yaml:1:13: apiVersion must be security.kubearmor.com/v1");
	parse_fails("kind: KubeArmorPolicie\n", "(did you mean 'KubeArmorPolicy'?)");
	parse_fails("a: [\n", "t.yaml:2:1: invalid YAML");
	parse_fails("", "no policy documents");
	parse_fails("- 1\n", "document must be a mapping");
	parse_fails(KSP "  process:\n    matchPaths: [{path: /a}]\n---\n" KSP
			"  process:\n    matchPaths: [{path: /a}]\n",
		    "KubeArmorPolicy 'p' is defined twice");
	parse_fails(KSP "  tags: [a]\n  tags: [b, c]\n  process:\n    matchPaths: [{path: /a}]\n",
		    "spec.tags is given twice");
	parse_fails(KSP "  process:\n    matchPaths: [{path: \"/a\\0b\"}]\n",
		    "must not contain NUL");
}

static void test_limits(void **state)
{
	/* A path one byte over PATH_MAX - 1. */
	size_t len = BW_MAX_PATH + 1;
	char *big = malloc(len + 256);
	int off = snprintf(big, 256, KSP "  file:\n    matchPaths:\n    - path: /");
	memset(big + off, 'a', len - 1);
	strcpy(big + off + len - 1, "\n");
	parse_fails(big, "is 4096 bytes long, more than the limit of 4095");
	free(big);

	/* A list over the limit. */
	size_t cap = 64 + (BW_MAX_LIST + 1) * 24;
	char *list = malloc(cap + 512);
	off = snprintf(list, 512, KSP "  file:\n    matchPaths:\n");
	for (int i = 0; i <= BW_MAX_LIST; i++)
		off += snprintf(list + off, cap + 512 - (size_t)off, "    - path: /f%d\n", i);
	parse_fails(list, "has 1025 entries, more than the limit of 1024");
	free(list);

	/* Rules are counted after expansion: 1000 entries x 9 syscalls. */
	size_t rcap = 200 + 1000 * 96;
	char *rules = malloc(rcap);
	off = snprintf(rules, 512, KSP "  syscalls:\n    matchSyscalls:\n");
	for (int i = 0; i < 1000; i++)
		off += snprintf(rules + off, rcap - (size_t)off,
				"    - syscall: [read, write, open, close, stat, fstat, lstat, "
				"poll, lseek]\n");
	parse_fails(rules, "the policy expands to more than 8192 rules");
	free(rules);

	/* Errors stop at a hundred per document. */
	size_t ecap = 200 + 300 * 32;
	char *errs = malloc(ecap);
	off = snprintf(errs, 512, KSP "  file:\n    matchPaths:\n");
	for (int i = 0; i < 300; i++)
		off += snprintf(errs + off, ecap - (size_t)off, "    - path: rel%d\n", i);
	struct bw_diags *d;
	struct bw_policy **v;
	size_t n;
	assert_int_equal(bw_diags_new(&d), 0);
	assert_int_equal(bw_policy_parse(errs, strlen(errs), "t.yaml", &v, &n, d), -EINVAL);
	assert_int_equal(bw_diags_count(d), BW_MAX_ERRORS + 1);
	assert_string_equal(bw_diags_get(d, BW_MAX_ERRORS)->message,
			    "too many errors in this document; stopping here");
	bw_diags_free(d);
	free(errs);

	/* The input as a whole. */
	char *huge = calloc(1, BW_MAX_DOC_BYTES + 2);
	memset(huge, ' ', BW_MAX_DOC_BYTES + 1);
	parse_fails(huge, "input is 4194305 bytes, more than the limit of 4194304");
	free(huge);

	/* Aliases cannot inflate the work: rules are counted after expansion. */
	parse_fails(KSP "  file:\n    matchPaths: &a\n    - path: /x\n"
			"  process:\n    matchPaths: *a\n    matchDirectories: *a\n",
		    "unknown field 'path' in spec.process.matchDirectories[0]");
}

/* Bulwark's extensions: destination addresses and ports, kernel globs. */
static void test_extensions(void **state)
{
	struct bw_policy *p = parse_one(KSP "  network:\n"
					    "    matchAddresses:\n"
					    "    - address: 10.0.0.0/8\n"
					    "      ports: [53, \"8000-8100\"]\n"
					    "      protocol: udp\n"
					    "    - address: 192.168.1.7\n"
					    "    - address: 2001:DB8::/32\n"
					    "      action: Allow\n"
					    "  file:\n"
					    "    matchPatterns:\n"
					    "    - pattern: /etc/**/*.conf\n"
					    "    - pattern: /etc/[ab]?.conf\n"
					    "    - pattern: \"*.key\"\n");
	assert_int_equal(p->n_rules, 7);
	const struct bw_prule *r = rule(p, 0);
	assert_int_equal(r->match, BULWARK__V1__MATCH_KIND__MATCH_ADDRESS);
	assert_string_equal(r->value, "10.0.0.0/8");
	assert_int_equal(r->family, 2);
	assert_int_equal(r->protocol, 17);
	assert_int_equal(r->port_min, 53);
	assert_int_equal(r->port_max, 53);
	assert_int_equal(rule(p, 1)->port_min, 8000);
	assert_int_equal(rule(p, 1)->port_max, 8100);
	assert_string_equal(rule(p, 2)->value, "192.168.1.7/32");
	assert_int_equal(rule(p, 2)->port_min, 0); /* any port */
	assert_string_equal(rule(p, 3)->value, "2001:db8::/32");
	assert_int_equal(rule(p, 3)->family, 10);
	assert_int_equal(rule(p, 3)->action, BULWARK__V1__ACTION__ACTION_ALLOW);
	assert_false(rule(p, 4)->needs_apparmor); /* the BPF-LSM matcher's glob */
	assert_true(rule(p, 5)->needs_apparmor);  /* character class: AppArmor only */
	assert_true(rule(p, 6)->needs_apparmor);  /* relative */
	bw_policy_free(p);

	parse_fails(KSP "  network:\n    matchAddresses: [{address: 10.1.2.3/8}]\n",
		    "'10.1.2.3/8' has host bits set (did you mean '10.0.0.0/8'?)");
	parse_fails(KSP "  network:\n    matchAddresses: [{address: 10.0.0.0/33}]\n",
		    "prefix length must be 0 to 32");
	parse_fails(KSP "  network:\n    matchAddresses: [{address: example.com}]\n",
		    "must be an IPv4 or IPv6 address or CIDR");
	parse_fails(KSP "  network:\n    matchAddresses: [{address: \"::1\", ports: [\"9-1\"]}]\n",
		    "ports[0] must be a port (1-65535) or a range 'low-high', got '9-1'");
	parse_fails(KSP "  network:\n    matchAddresses: [{address: \"::1\", ports: [70000]}]\n",
		    "got '70000'");
	parse_fails(KSP "  network:\n    matchAddresses: [{ports: [1]}]\n",
		    "spec.network.matchAddresses[0].address is required");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_process_fields),
	    cmocka_unit_test(test_file_fields),
	    cmocka_unit_test(test_network_fields),
	    cmocka_unit_test(test_capability_fields),
	    cmocka_unit_test(test_syscall_fields),
	    cmocka_unit_test(test_meta_inheritance),
	    cmocka_unit_test(test_selectors),
	    cmocka_unit_test(test_presets_apparmor),
	    cmocka_unit_test(test_json_input_and_roundtrip),
	    cmocka_unit_test(test_multi_document),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_limits),
	    cmocka_unit_test(test_extensions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
