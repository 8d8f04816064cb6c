/* SPDX-License-Identifier: Apache-2.0 */
/* Audit-only matching: which logs break which rules no enforcer applies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "agent_audit.h"

#define ALL (BW_AUDIT_PROCESS | BW_AUDIT_FILE | BW_AUDIT_CAPS)

static Bulwark__V1__RuleOrigin origin_a = BULWARK__V1__RULE_ORIGIN__INIT;

static Bulwark__V1__Rule *rule(Bulwark__V1__Operation op, Bulwark__V1__MatchKind m,
			       const char *value, Bulwark__V1__Action act)
{
	Bulwark__V1__Rule *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	bulwark__v1__rule__init(r);
	r->operation = op;
	r->match = m;
	r->value = (char *)value;
	r->action = act;
	r->origin = &origin_a;
	return r;
}

static Bulwark__V1__RuleSet *set_of(size_t n, Bulwark__V1__Rule **rules)
{
	static Bulwark__V1__RuleSet rs;

	bulwark__v1__rule_set__init(&rs);
	rs.rules = rules;
	rs.n_rules = n;
	return &rs;
}

static Bulwark__V1__Event file_log(const char *path, const char *data, const char *proc)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;

	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_LOG;
	ev.type = "ContainerLog";
	ev.operation = "File";
	ev.resource = (char *)path;
	ev.data = (char *)data;
	ev.process_name = (char *)proc;
	return ev;
}

static Bulwark__V1__Event exec_log(const char *path, const char *parent)
{
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;

	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_LOG;
	ev.type = "ContainerLog";
	ev.operation = "Process";
	ev.process_name = (char *)path;
	ev.resource = (char *)path;
	ev.source = (char *)parent;
	return ev;
}

#define RD "syscall=SYS_OPENAT fd=-100 flags=O_RDONLY"
#define WR "syscall=SYS_OPENAT fd=-100 flags=O_WRONLY|O_CREAT|O_TRUNC"

static void free_rules(size_t n, Bulwark__V1__Rule **r)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i]->from_source);
		free(r[i]);
	}
}

static void test_file_match_kinds(void **state)
{
	Bulwark__V1__Rule *r[] = {
	    rule(BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH,
		 "/etc/shadow", BULWARK__V1__ACTION__ACTION_BLOCK),
	};
	Bulwark__V1__RuleSet *rs = set_of(1, r);
	Bulwark__V1__Event ev;

	ev = file_log("/etc/shadow", RD, "/bin/cat");
	assert_ptr_equal(bw_audit_match(rs, ALL, &ev), r[0]);
	ev = file_log("/etc/shadow-", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/etc/shadowx/y", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));

	r[0]->match = BULWARK__V1__MATCH_KIND__MATCH_DIR;
	r[0]->value = "/etc/";
	ev = file_log("/etc/hosts", RD, "/bin/cat");
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/etc/ssl/cert.pem", RD, "/bin/cat"); /* not directly inside */
	assert_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/etcx/hosts", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));

	r[0]->match = BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE;
	ev = file_log("/etc/ssl/cert.pem", RD, "/bin/cat");
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/etc/", RD, "/bin/ls"); /* the directory itself is not below it */
	assert_null(bw_audit_match(rs, ALL, &ev));

	r[0]->match = BULWARK__V1__MATCH_KIND__MATCH_PATTERN;
	r[0]->value = "/etc/*.conf";
	ev = file_log("/etc/resolv.conf", RD, "/bin/cat");
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/etc/resolv.con", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));
	free_rules(1, r);
}

static void test_read_only_and_from_source(void **state)
{
	Bulwark__V1__Rule *r[] = {
	    rule(BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH, "/data/db",
		 BULWARK__V1__ACTION__ACTION_BLOCK),
	};
	Bulwark__V1__Source src = BULWARK__V1__SOURCE__INIT, *srcs[] = {&src};
	Bulwark__V1__RuleSet *rs = set_of(1, r);
	Bulwark__V1__Event ev;

	/* readOnly: reads are fine, writes break the rule. */
	r[0]->read_only = 1;
	ev = file_log("/data/db", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/data/db", WR, "/bin/sh");
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	r[0]->read_only = 0;

	/* fromSource: only that program's accesses. */
	src.path = "/usr/bin/backup";
	r[0]->from_source = malloc(sizeof(srcs));
	memcpy(r[0]->from_source, srcs, sizeof(srcs));
	r[0]->n_from_source = 1;
	ev = file_log("/data/db", RD, "/usr/bin/backup");
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	ev = file_log("/data/db", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));
	/* A source directory, recursive or not. */
	src.path = "/usr/";
	src.dir = 1;
	ev = file_log("/data/db", RD, "/usr/bin/backup");
	assert_null(bw_audit_match(rs, ALL, &ev));
	src.recursive = 1;
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	free_rules(1, r);
}

static void test_process_rules(void **state)
{
	Bulwark__V1__Rule *r[] = {
	    rule(BULWARK__V1__OPERATION__OP_PROCESS, BULWARK__V1__MATCH_KIND__MATCH_EXECNAME,
		 "wget", BULWARK__V1__ACTION__ACTION_BLOCK),
	};
	Bulwark__V1__RuleSet *rs = set_of(1, r);
	Bulwark__V1__Event ev = exec_log("/usr/bin/wget", "/bin/sh");

	assert_non_null(bw_audit_match(rs, ALL, &ev));
	/* A file open of the same path is not an exec. */
	ev = file_log("/usr/bin/wget", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));
	/* Operations the enforcer applies itself are left alone. */
	ev = exec_log("/usr/bin/wget", "/bin/sh");
	assert_null(bw_audit_match(rs, BW_AUDIT_FILE, &ev));
	/* Alerts are not matched again. */
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_ALERT;
	assert_null(bw_audit_match(rs, ALL, &ev));
	free_rules(1, r);
}

static void test_block_beats_audit_and_skipped_rules(void **state)
{
	Bulwark__V1__Rule *r[] = {
	    rule(BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE,
		 "/etc/", BULWARK__V1__ACTION__ACTION_AUDIT),
	    rule(BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH,
		 "/etc/shadow", BULWARK__V1__ACTION__ACTION_ALLOW),
	    rule(BULWARK__V1__OPERATION__OP_FILE, BULWARK__V1__MATCH_KIND__MATCH_PATH,
		 "/etc/shadow", BULWARK__V1__ACTION__ACTION_BLOCK),
	};
	Bulwark__V1__RuleSet *rs = set_of(3, r);
	Bulwark__V1__Event ev = file_log("/etc/shadow", RD, "/bin/cat");

	assert_ptr_equal(bw_audit_match(rs, ALL, &ev), r[2]);
	assert_string_equal(bw_audit_action(r[2]), "Audit (Block)");
	ev = file_log("/etc/hosts", RD, "/bin/cat");
	assert_ptr_equal(bw_audit_match(rs, ALL, &ev), r[0]);
	assert_string_equal(bw_audit_action(r[0]), "Audit");
	/* ownerOnly needs the file's owner, which a log lacks: never matched. */
	r[2]->owner_only = 1;
	r[0]->owner_only = 1;
	ev = file_log("/etc/shadow", RD, "/bin/cat");
	assert_null(bw_audit_match(rs, ALL, &ev));
	free_rules(3, r);
}

static void test_capabilities(void **state)
{
	Bulwark__V1__Rule *r[] = {
	    rule(BULWARK__V1__OPERATION__OP_CAPABILITY, BULWARK__V1__MATCH_KIND__MATCH_CAPABILITY,
		 "", BULWARK__V1__ACTION__ACTION_BLOCK),
	};
	Bulwark__V1__RuleSet *rs = set_of(1, r);
	Bulwark__V1__Event ev = BULWARK__V1__EVENT__INIT;

	r[0]->capability = 13; /* CAP_NET_RAW */
	ev.kind = BULWARK__V1__EVENT_KIND__EVENT_LOG;
	ev.operation = "Capabilities";
	ev.resource = "CAP_NET_RAW";
	ev.process_name = "/bin/ping";
	assert_non_null(bw_audit_match(rs, ALL, &ev));
	ev.resource = "CAP_NET_ADMIN";
	assert_null(bw_audit_match(rs, ALL, &ev));
	free_rules(1, r);
}

static void test_ops_per_enforcer(void **state)
{
	assert_int_equal(bw_audit_ops(BULWARK__V1__ENFORCER__ENFORCER_BPFLSM, 0), 0);
	assert_int_equal(bw_audit_ops(BULWARK__V1__ENFORCER__ENFORCER_BPFLSM, 1), 0);
	assert_int_equal(bw_audit_ops(BULWARK__V1__ENFORCER__ENFORCER_APPARMOR, 0), 0);
	assert_int_equal(bw_audit_ops(BULWARK__V1__ENFORCER__ENFORCER_APPARMOR, 1), ALL);
	assert_int_equal(bw_audit_ops(BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF, 0), ALL);
	assert_int_equal(bw_audit_ops(BULWARK__V1__ENFORCER__ENFORCER_NONE, 1), ALL);
}

static void test_host_labels(void **state)
{
	char path[64];

	(void)state;
	assert_true(bw_audit_label_is_host("bulwark-host (enforce)\n"));
	assert_true(bw_audit_label_is_host("bulwark-host//3f2a9c (enforce)"));
	assert_true(bw_audit_label_is_host("bulwark-host.3f2a9c01 (enforce)"));
	assert_true(bw_audit_label_is_host("bulwark-host"));
	assert_false(bw_audit_label_is_host("bulwark-hostile (enforce)"));
	assert_false(bw_audit_label_is_host("bulwark-4f1e2d3c4b5a (enforce)"));
	assert_false(bw_audit_label_is_host("unconfined\n"));
	assert_false(bw_audit_label_is_host(""));
	assert_false(bw_audit_label_is_host(NULL));
	/* this test runs unconfined on the host (or AppArmor is off): not skipped */
	assert_false(bw_audit_pid_is_host_confined((uint32_t)getpid()));
	/* a pid that cannot exist: the label is unreadable, the alert kept */
	snprintf(path, sizeof(path), "/proc/%u", 4194304u + 7);
	assert_int_not_equal(access(path, F_OK), 0);
	assert_false(bw_audit_pid_is_host_confined(4194304u + 7));
	assert_false(bw_audit_pid_is_host_confined(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_match_kinds),
	    cmocka_unit_test(test_read_only_and_from_source),
	    cmocka_unit_test(test_process_rules),
	    cmocka_unit_test(test_block_beats_audit_and_skipped_rules),
	    cmocka_unit_test(test_capabilities),
	    cmocka_unit_test(test_ops_per_enforcer),
	    cmocka_unit_test(test_host_labels),
	};

	origin_a.policy_name = "p";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
