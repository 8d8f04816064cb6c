// SPDX-License-Identifier: Apache-2.0
/*
 * AppArmor enforcer, no kernel needed: fromSource directories (what the
 * exec rules around them cover, checked with a glob matcher), the host's
 * profiles, and audit records -> alerts through the record reader (source
 * directories, host profiles, DefaultPosture audits of allow-lists with
 * audit posture).  Every generated profile is compiled by apparmor_parser.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "enforce_apparmor_testutil.h"

/*
 * A small AppArmor glob matcher (the subset profiles here use: * ** ? [..]
 * [^..] {a,b} and backslash escapes), to check what exec rules cover.
 */
static int aa_match(const char *p, const char *s)
{
	if (*p == '\0')
		return *s == '\0';
	if (*p == '\\')
		return *s == p[1] && aa_match(p + 2, s + 1);
	if (p[0] == '*' && p[1] == '*') {
		for (const char *t = s;; t++) {
			if (aa_match(p + 2, t))
				return 1;
			if (!*t)
				return 0;
		}
	}
	if (*p == '*') {
		for (const char *t = s;; t++) {
			if (aa_match(p + 1, t))
				return 1;
			if (!*t || *t == '/')
				return 0;
		}
	}
	if (*p == '?')
		return *s && *s != '/' && aa_match(p + 1, s + 1);
	if (*p == '[') {
		int neg = p[1] == '^', hit = 0;
		const char *q = p + 1 + neg;

		for (; *q && *q != ']'; q++) {
			if (*q == '\\')
				q++;
			hit |= *q == *s;
		}
		return *s && hit != neg && aa_match(q + 1, s + 1);
	}
	if (*p == '{') {
		const char *end = strchr(p, '}'), *alt = p + 1;
		char buf[512];

		while (alt <= end) {
			size_t n = strcspn(alt, ",}");

			snprintf(buf, sizeof(buf), "%.*s%s", (int)n, alt, end + 1);
			if (aa_match(buf, s))
				return 1;
			alt += n + 1;
		}
		return 0;
	}
	return *p == *s && aa_match(p + 1, s + 1);
}

/* The exec mode the top profile's rules give path: "ix", "cx", "" (no rule)
 * or "conflict" (two modes: the parser would refuse it, or worse). */
static const char *exec_mode(const char *text, const char *path)
{
	static char mode[16];
	const char *line = strchr(text, '\n') + 1; /* after the comment */

	mode[0] = '\0';
	for (line = strchr(line, '\n') + 1; *line && strncmp(line, "}", 1);
	     line = strchr(line, '\n') + 1) {
		char pat[600], m[8];

		if (!strncmp(line, "  profile ", 10))
			break; /* children follow the parent's rules */
		if (sscanf(line, "  %599s %7[a-z],", pat, m) != 2 || strcmp(pat, "audit") == 0 ||
		    (strcmp(m, "ix") && strcmp(m, "cx") && strcmp(m, "px")))
			continue;
		if (!aa_match(pat, path))
			continue;
		if (mode[0] && strcmp(mode, m))
			return "conflict";
		snprintf(mode, sizeof(mode), "%s", m);
	}
	return mode;
}

static void test_from_source_dir(void **state)
{
	struct gen_out o;
	const char *child;

	gen("set c cgid=1\n"
	    "rule file path /secret Block fromdir=/usr/bin/\n"
	    "rule file path /data/x Block fromrdir=/opt/tools/\n"
	    "rule file path /data/y Block from=/usr/bin/cat\n"
	    "rule process path /bin/sleep Block\n",
	    &o);
	has_line(&o, "/usr/bin/* cx,");
	has_line(&o, "/opt/tools/** cx,");
	has_line(&o, "/usr/bin/cat cx,");
	lacks_line(&o, "/{,**} ix,"); /* would conflict with the directory transitions */
	/* every exec goes exactly one way */
	assert_string_equal(exec_mode(o.text, "/usr/bin/env"), "cx");
	assert_string_equal(exec_mode(o.text, "/usr/bin/cat"), "cx");
	assert_string_equal(exec_mode(o.text, "/opt/tools/a/b/c"), "cx");
	assert_string_equal(exec_mode(o.text, "/usr/bin/sub/tool"), "ix");
	assert_string_equal(exec_mode(o.text, "/usr/binx"), "ix");
	assert_string_equal(exec_mode(o.text, "/usr/sbin/nologin"), "ix");
	assert_string_equal(exec_mode(o.text, "/usr/b"), "ix");
	assert_string_equal(exec_mode(o.text, "/u/x"), "ix");
	assert_string_equal(exec_mode(o.text, "/opt/toolsx/y"), "ix");
	assert_string_equal(exec_mode(o.text, "/opt/x"), "ix");
	assert_string_equal(exec_mode(o.text, "/bin/sh"), "ix");
	assert_string_equal(exec_mode(o.text, "/a/b/c/d"), "ix");
	/* the directory's child holds its rule; the exact child /usr/bin/cat
	 * holds its own and the directory's (it lies in /usr/bin/) */
	child = strstr(o.text, "  profile /usr/bin/* flags=");
	assert_non_null(child);
	assert_non_null(strstr(child, "    audit deny /secret mrwlkx,\n"));
	assert_non_null(strstr(child, "    audit deny /bin/sleep x,\n"));
	child = strstr(o.text, "  profile /usr/bin/cat flags=");
	assert_non_null(child);
	assert_non_null(strstr(child, "    audit deny /secret mrwlkx,\n")); /* the last child */
	assert_non_null(strstr(child, "    audit deny /data/y mrwlkx,\n"));
	child = strstr(o.text, "  profile /opt/tools/** flags=");
	assert_non_null(strstr(child, "    audit deny /data/x mrwlkx,\n"));
	assert_true(strstr(child, "/data/y") > strstr(child + 1, "  profile "));
	assert_int_equal(o.n_unenf, 0);
	gen_free(&o);

	/* nested source directories and an exec glob over a source directory:
	 * reported, never a profile the parser refuses */
	gen("set c cgid=1\n"
	    "rule file path /a Block fromrdir=/usr/\n"
	    "rule file path /b Block fromdir=/usr/bin/\n"
	    "rule process rdir /usr/lib/ Audit\n"
	    "rule file path /c Block fromdir=/we,ird/\n",
	    &o);
	has_line(&o, "/usr/** cx,");
	lacks_line(&o, "/usr/bin/* cx,");
	assert_true(unenf_has(&o, "overlaps another source directory"));
	assert_true(unenf_has(&o, "overlaps a fromSource directory"));
	assert_true(unenf_has(&o, "fromSource path cannot be expressed"));
	assert_string_equal(exec_mode(o.text, "/usr/lib/x"), "cx");
	assert_string_equal(exec_mode(o.text, "/bin/x"), "ix");
	gen_free(&o);
}

static void gen_host(const char *policy, struct gen_out *o)
{
	Bulwark__V1__CompiledPolicy *cp;
	char err[256];

	memset(o, 0, sizeof(*o));
	assert_int_equal(bw_testpolicy_parse(policy, 1, &cp, err, sizeof(err)), 0);
	assert_non_null(cp->host);
	assert_int_equal(bw_aa_profile_generate(cp->host, "bulwark-host", BW_AA_GEN_HOST, &o->text,
						&o->unenf, &o->n_unenf),
			 0);
	bw_testpolicy_free(cp);
	parser_accepts(o->text);
}

static void test_host_profile(void **state)
{
	struct gen_out o;
	char want[200];
	const char *src;

	unsetenv("BW_APPARMOR_HOST_ATTACH");
	gen_host("host\n"
		 "rule file path /etc/host-secret Block\n"
		 "rule file path /etc/shadow Block from=/usr/local/bin/reader\n"
		 "rule process path /usr/bin/nc Block fromdir=/opt/app/\n",
		 &o);
	/* attached to the shells: what a person or a script runs is confined */
	assert_non_null(strstr(o.text, "\nprofile bulwark-host /{usr/,}{bin,sbin}/{sh,bash,"));
	has_line(&o, "audit deny /etc/host-secret mrwlkx,");
	/* a runtime started from a shell may still launch containers */
	has_line(&o, "change_profile -> bulwark-*,");
	/* sources are top-level profiles attached by their own path, entered
	 * with px (so also when something unconfined starts them) */
	has_line(&o, "/usr/local/bin/reader px,");
	has_line(&o, "/opt/app/* px,");
	assert_string_equal(exec_mode(o.text, "/opt/app/x"), "px");
	assert_string_equal(exec_mode(o.text, "/opt/appx"), "ix");
	snprintf(want, sizeof(want), "\nprofile bulwark-host.%08x /usr/local/bin/reader flags=",
		 bw_aa_src_hash("/usr/local/bin/reader"));
	src = strstr(o.text, want);
	assert_non_null(src);
	assert_non_null(strstr(src, "\n  audit deny /etc/shadow mrwlkx,\n"));
	assert_non_null(strstr(src, "\n  audit deny /etc/host-secret mrwlkx,\n"));
	assert_true(strstr(src, "/usr/bin/nc") > strstr(src + 1, "\nprofile "));
	snprintf(want, sizeof(want),
		 "\nprofile bulwark-host.%08x /opt/app/* flags=", bw_aa_src_hash("/opt/app/*"));
	assert_non_null(strstr(o.text, want));
	gen_free(&o);

	/* another attachment on request; nonsense falls back to the shells */
	setenv("BW_APPARMOR_HOST_ATTACH", "/usr/local/bin/*", 1);
	gen_host("host\nrule file path /x Block\n", &o);
	assert_non_null(strstr(o.text, "\nprofile bulwark-host /usr/local/bin/* flags="));
	gen_free(&o);
	setenv("BW_APPARMOR_HOST_ATTACH", "/x, /y", 1);
	gen_host("host\nrule file path /x Block\n", &o);
	assert_non_null(strstr(o.text, "\nprofile bulwark-host " BW_AA_HOST_ATTACH " flags="));
	gen_free(&o);
	unsetenv("BW_APPARMOR_HOST_ATTACH");
}

/* ---- audit records -> alerts ------------------------------------------------ */

struct seen {
	int n;
	struct bw_enforcer_alert last;
	char policy[64], resource[256], data[512];
};

static void on_alert(void *arg, const struct bw_enforcer_alert *al)
{
	struct seen *s = arg;

	s->n++;
	s->last = *al;
	snprintf(s->policy, sizeof(s->policy), "%s",
		 al->default_posture ? "DefaultPosture"
		 : al->origin	     ? al->origin->policy_name
				     : "");
	snprintf(s->resource, sizeof(s->resource), "%s", al->resource);
	snprintf(s->data, sizeof(s->data), "%s", al->data);
}

/* Feeds one kernel log line through the enforcer's record reader. */
static void feed(struct aa *a, int wfd, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	assert_true(write(wfd, line, strlen(line)) == (ssize_t)strlen(line));
	bw_aa_on_log(a->log_fd, EV_READ, a);
}

static void test_alerts(void **state)
{
	struct aa a;
	struct seen s;
	char err[256];
	int p[2];

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	a.log_fd = p[0];
	a.log_is_kmsg = 1;
	a.on_alert = on_alert;
	a.alert_arg = &s;
	assert_int_equal(
	    bw_testpolicy_parse("set c1 cgid=7 file_posture=audit\n"
				"rule file rdir /bin/ Allow policy=p-allow\n"
				"rule file path /home/u/f Allow ownerOnly policy=p-own\n"
				"rule file path /etc/ro Allow readOnly policy=p-ro\n"
				"rule file path /secret Block policy=p-block\n"
				"rule file path /tok Block fromdir=/usr/bin/ policy=p-dir\n"
				"host\n"
				"rule file path /hs Block policy=p-host\n"
				"rule file path /hx Block from=/usr/sbin/tool policy=p-hsrc\n",
				1, &a.cur, err, sizeof(err)),
	    0);
#define REC(kind, prof, name, extra)                                                               \
	"apparmor=\"" kind "\" operation=\"open\" profile=\"" prof "\" name=\"" name "\" pid=1 "   \
	"comm=\"cat\" requested_mask=\"r\" denied_mask=\"r\" " extra
	/* allow-list with audit posture: an allowed access passes silently... */
	feed(&a, p[1], REC("AUDIT", "bulwark-c1", "/bin/ls", "fsuid=0 ouid=0"));
	assert_int_equal(s.n, 0);
	feed(&a, p[1], REC("AUDIT", "bulwark-c1", "/home/u/f", "fsuid=1000 ouid=1000"));
	assert_int_equal(s.n, 0);
	/* ...a miss is a DefaultPosture audit (also the owner-only file read by another user) */
	feed(&a, p[1], REC("AUDIT", "bulwark-c1", "/etc/passwd", "fsuid=0 ouid=0"));
	assert_int_equal(s.n, 1);
	assert_string_equal(s.policy, "DefaultPosture");
	assert_false(s.last.blocked);
	assert_string_equal(s.last.action, "Audit");
	assert_int_equal(s.last.cgroup_id, 7);
	feed(&a, p[1], REC("AUDIT", "bulwark-c1", "/home/u/f", "fsuid=0 ouid=1000"));
	assert_int_equal(s.n, 2);
	assert_string_equal(s.policy, "DefaultPosture");
	/* readOnly allows reads only */
	feed(&a, p[1], REC("AUDIT", "bulwark-c1", "/etc/ro", "fsuid=0 ouid=0"));
	assert_int_equal(s.n, 2);
	feed(&a, p[1],
	     "apparmor=\"AUDIT\" operation=\"open\" profile=\"bulwark-c1\" name=\"/etc/ro\" "
	     "pid=1 comm=\"sh\" requested_mask=\"wc\" denied_mask=\"\" fsuid=0 ouid=0");
	assert_int_equal(s.n, 3);
	assert_string_equal(s.policy, "DefaultPosture");
	s.n = 2;
	/* a Block rule still blocks, under its own name */
	feed(&a, p[1], REC("DENIED", "bulwark-c1", "/secret", ""));
	assert_int_equal(s.n, 3);
	assert_string_equal(s.policy, "p-block");
	assert_true(s.last.blocked);
	/* a source directory's child profile */
	feed(&a, p[1], REC("DENIED", "bulwark-c1///usr/bin/*", "/tok", ""));
	assert_int_equal(s.n, 4);
	assert_string_equal(s.policy, "p-dir");
	assert_non_null(strstr(s.data, "source=/usr/bin/"));
	/* as the kernel names it: by the binary entered through the glob */
	feed(&a, p[1], REC("DENIED", "bulwark-c1///usr/bin/env", "/tok", ""));
	assert_int_equal(s.n, 5);
	assert_string_equal(s.policy, "p-dir");
	assert_non_null(strstr(s.data, "source=/usr/bin/ "));
	feed(&a, p[1], REC("DENIED", "bulwark-c1///usr/bin/sub/env", "/tok", ""));
	assert_int_equal(s.n, 6);
	assert_null(strstr(s.data, "source=")); /* not in a non-recursive /usr/bin/ */
	s.n = 4;
	/* the host profile and a host source's profile */
	feed(&a, p[1], REC("DENIED", "bulwark-host", "/hs", ""));
	assert_int_equal(s.n, 5);
	assert_string_equal(s.policy, "p-host");
	assert_true(s.last.host);
	assert_int_equal(s.last.cgroup_id, 0);
	{
		char prof[64];

		snprintf(prof, sizeof(prof), "bulwark-host.%08x", bw_aa_src_hash("/usr/sbin/tool"));
		feed(&a, p[1],
		     "apparmor=\"DENIED\" operation=\"open\" profile=\"%s\" name=\"/hx\" pid=1 "
		     "comm=\"tool\" requested_mask=\"r\" denied_mask=\"r\"",
		     prof);
	}
	assert_int_equal(s.n, 6);
	assert_string_equal(s.policy, "p-hsrc");
	assert_true(s.last.host);
	assert_non_null(strstr(s.data, "source=/usr/sbin/tool"));
	/* other profiles are not ours */
	feed(&a, p[1], REC("DENIED", "docker-default", "/secret", ""));
	assert_int_equal(s.n, 6);
#undef REC
	bw_testpolicy_free(a.cur);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_from_source_dir),
	    cmocka_unit_test(test_host_profile),
	    cmocka_unit_test(test_alerts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
