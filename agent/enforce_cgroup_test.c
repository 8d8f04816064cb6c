// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup-BPF fallback: rule translation (pure), enforcer selection (pure),
 * and, as root where cgroup BPF attaches, the real backend against a child
 * process in a cgroup of its own: decisions, alerts, and that a failed
 * apply leaves the old rules in force.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include <event2/event.h>

#include "bw_testpolicy.h"
#include "enforce_cgroup.h"
#include "enforce_priv.h"
#include "probe.h"

static Bulwark__V1__CompiledPolicy *pol(const char *text)
{
	Bulwark__V1__CompiledPolicy *cp;
	char err[256];

	if (bw_testpolicy_parse(text, 1, &cp, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		fail();
	}
	return cp;
}

static void test_rule_keys(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol("set c cgid=9\n"
					      "rule network protocol udp Block\n"
					      "rule network protocol icmp Audit\n"
					      "rule file path /x Block\n"
					      "rule network protocol 1:1:0 Block\n"
					      "rule network protocol tcp Block from=/bin/sh\n"
					      "rule network protocol tcp Allow from=/bin/sh\n"
					      "rule network address 10.0.0.0/8 Block\n");
	Bulwark__V1__Rule **r = cp->containers[0]->rules;
	struct bw_cgn_rule_key k;
	const char *why;

	assert_int_equal(bw_cgn_rule_key_of(r[0], 77, 3, &k, &why), 1);
	assert_int_equal(k.cgid, 77);
	assert_int_equal(k.gen, 3);
	assert_int_equal(k.family, 0); /* udp: IPv4 and IPv6 */
	assert_int_equal(k.type, SOCK_DGRAM);
	assert_int_equal(k.protocol, IPPROTO_UDP);
	assert_int_equal(k.pad, 0);

	assert_int_equal(bw_cgn_rule_key_of(r[1], 77, 3, &k, &why), 1);
	assert_int_equal(k.family, AF_INET);
	assert_int_equal(k.type, 0);
	assert_int_equal(k.protocol, IPPROTO_ICMP);

	assert_int_equal(bw_cgn_rule_key_of(r[2], 77, 3, &k, &why), 0);
	assert_non_null(strstr(why, "network only; audit only"));
	assert_int_equal(bw_cgn_rule_key_of(r[3], 77, 3, &k, &why), 0); /* AF_UNIX */
	assert_non_null(strstr(why, "AF_INET/AF_INET6"));
	assert_int_equal(bw_cgn_rule_key_of(r[4], 77, 3, &k, &why), 0);
	assert_non_null(strstr(why, "fromSource"));
	/* an Allow with fromSource is kept (for everyone) rather than dropped,
	 * which would block the protocol for every process */
	assert_int_equal(bw_cgn_rule_key_of(r[5], 77, 3, &k, &why), 1);
	assert_int_equal(bw_cgn_rule_key_of(r[6], 77, 3, &k, &why), 0);
	assert_non_null(strstr(why, "address"));
	bw_testpolicy_free(cp);
}

static void test_addr_of(void **state)
{
	Bulwark__V1__CompiledPolicy *cp = pol("set c cgid=9\n"
					      "rule network address 10.1.2.3/8 Block\n"
					      "rule network address 2001:db8::1 Allow\n"
					      "rule network address 10.0.0.0/33 Block\n"
					      "rule network address nope Block\n"
					      "rule network address 10.0.0.1 Block from=/bin/sh\n");
	Bulwark__V1__Rule **r = cp->containers[0]->rules;
	struct bw_cgn_addr a;
	const char *why;

	r[0]->port_min = 53;
	r[0]->port_max = 53;
	assert_int_equal(bw_cgn_addr_of(r[0], &a, &why), 1);
	assert_int_equal(a.family, AF_INET);
	assert_int_equal(a.bits, 8);
	assert_int_equal(a.addr[0], 10);
	assert_int_equal(a.addr[1], 0); /* host bits cleared */
	assert_int_equal(a.slot.port_min, 53);
	assert_int_equal(a.slot.action, 0);
	assert_int_equal(bw_cgn_addr_of(r[1], &a, &why), 1);
	assert_int_equal(a.family, AF_INET6);
	assert_int_equal(a.bits, 128);
	assert_int_equal(a.addr[15], 1);
	assert_int_equal(a.slot.action, 2);
	assert_int_equal(bw_cgn_addr_of(r[2], &a, &why), 0);
	assert_non_null(strstr(why, "prefix length"));
	assert_int_equal(bw_cgn_addr_of(r[3], &a, &why), 0);
	assert_non_null(strstr(why, "IPv4 or IPv6"));
	assert_int_equal(bw_cgn_addr_of(r[4], &a, &why), 0);
	assert_non_null(strstr(why, "fromSource"));
	r[0]->port_min = 90;
	r[0]->port_max = 80;
	assert_int_equal(bw_cgn_addr_of(r[0], &a, &why), 0);
	bw_testpolicy_free(cp);
}

static void test_resource(void **state)
{
	char b[96];

	bw_cgn_resource(AF_INET, SOCK_DGRAM, 17, b, sizeof(b));
	assert_string_equal(b, "domain=AF_INET type=SOCK_DGRAM protocol=17");
	bw_cgn_resource(AF_INET6, SOCK_RAW, 58, b, sizeof(b));
	assert_string_equal(b, "domain=AF_INET6 type=SOCK_RAW protocol=58");
	bw_cgn_resource(99, 42, 0, b, sizeof(b));
	assert_string_equal(b, "domain=99 type=42 protocol=0");
}

static void test_choose(void **state)
{
	struct bw_probe p = {0};
	int rc;

	assert_int_equal(bw_probe_choose(&p, "auto", &rc), BULWARK__V1__ENFORCER__ENFORCER_NONE);
	p.cgroup_bpf = 1;
	assert_int_equal(bw_probe_choose(&p, NULL, &rc),
			 BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF);
	p.bpf_lsm_active = 1; /* listed but refused: not usable */
	assert_int_equal(bw_probe_choose(&p, "auto", &rc),
			 BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF);
	p.apparmor_active = 1;
	assert_int_equal(bw_probe_choose(&p, "auto", &rc),
			 BULWARK__V1__ENFORCER__ENFORCER_APPARMOR);
	p.bpf_lsm_loads = 1;
	assert_int_equal(bw_probe_choose(&p, "", &rc), BULWARK__V1__ENFORCER__ENFORCER_BPFLSM);
	assert_int_equal(bw_probe_choose(&p, "cgroup", &rc),
			 BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF);
	assert_int_equal(rc, 0);
	assert_int_equal(bw_probe_choose(&p, "none", &rc), BULWARK__V1__ENFORCER__ENFORCER_NONE);
	assert_int_equal(rc, 0);
	p.apparmor_active = 0;
	bw_probe_choose(&p, "apparmor", &rc);
	assert_int_equal(rc, -ENOTSUP);
	bw_probe_choose(&p, "selinux", &rc);
	assert_int_equal(rc, -EINVAL);
	assert_string_equal(bw_enforcer_kind_name(BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF),
			    "CgroupBPF");
	assert_non_null(strstr(bw_enforcer_limits(BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF)[1],
			       "file rules"));
}

static void test_describe(void **state)
{
	Bulwark__V1__CompiledPolicy *cp =
	    pol("set 0123456789abcdef cgid=1\nrule file path /etc/shadow Block policy=p ns=n\n");
	char **list = NULL, d[256];
	size_t n = 0;

	bw_rule_describe(cp->containers[0], cp->containers[0]->rules[0], d, sizeof(d));
	assert_string_equal(d, "container 0123456789ab: File path /etc/shadow Block (policy n/p)");
	assert_int_equal(bw_unenforced_add(&list, &n, "a %d", 1), 0);
	assert_int_equal(bw_unenforced_add(&list, &n, "b"), 0);
	assert_int_equal(bw_unenforced_add(NULL, NULL, "ignored"), 0);
	assert_int_equal(n, 2);
	assert_string_equal(list[0], "a 1");
	free(list[0]);
	free(list[1]);
	free(list);
	bw_testpolicy_free(cp);
}

/* ---- the real backend ------------------------------------------------------ */

struct kernel {
	char dir[512];
	uint64_t cgid;
	pid_t child;
	int cmd, res;
	struct event_base *base;
	struct bw_enforcer *enf;
	int alerts, blocked, posture;
	char last_policy[64];
};

static void on_alert(void *arg, const struct bw_enforcer_alert *a)
{
	struct kernel *k = arg;

	k->alerts++;
	k->blocked += a->blocked;
	k->posture += a->default_posture;
	snprintf(k->last_policy, sizeof(k->last_policy), "%s",
		 a->origin ? a->origin->policy_name : "-");
	assert_int_equal(a->cgroup_id, k->cgid);
	assert_string_equal(a->enforcer, "CgroupBPF");
}

/* The child tries socket(AF_INET, type) and answers 0 or errno. */
static int try_socket(struct kernel *k, char type)
{
	char r;

	assert_int_equal(write(k->cmd, &type, 1), 1);
	assert_int_equal(read(k->res, &r, 1), 1);
	/* let the alert (if any) arrive */
	event_base_loop(k->base, EVLOOP_NONBLOCK);
	return r;
}

static int kernel_setup(void **state)
{
	struct bw_enforcer_opts opts = {.on_alert = on_alert, .prefer = "cgroup"};
	struct kernel *k = calloc(1, sizeof(*k));
	char root[400];
	struct stat st;
	int c2p[2], p2c[2];
	struct bw_probe pr;

	*state = k;
	if (geteuid() != 0 || bw_cgroup2_root(root, sizeof(root)))
		return 0;
	bw_enforcer_probe(&pr);
	if (!pr.cgroup_bpf)
		return 0;
	snprintf(k->dir, sizeof(k->dir), "%s/bw-cgtest.%d", root, (int)getpid());
	if (mkdir(k->dir, 0755) || stat(k->dir, &st))
		return -1;
	k->cgid = st.st_ino;
	if (pipe(c2p) || pipe(p2c))
		return -1;
	k->child = fork();
	if (k->child == 0) {
		char path[600], pid[16], t;
		int fd;

		/* only our ends: EOF on the command pipe must end the child */
		close(p2c[1]);
		close(c2p[0]);
		snprintf(path, sizeof(path), "%s/cgroup.procs", k->dir);
		fd = open(path, O_WRONLY);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (fd < 0 || write(fd, pid, strlen(pid)) < 0)
			_exit(1);
		close(fd);
		while (read(p2c[0], &t, 1) == 1) {
			int v6 = t == '6';
			int s =
			    socket(v6 ? AF_INET6 : AF_INET, t == 't' ? SOCK_STREAM : SOCK_DGRAM, 0);
			char r = s < 0 ? (char)errno : 0;
			struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(53)};
			struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6,
						    .sin6_port = htons(53),
						    .sin6_addr = IN6ADDR_LOOPBACK_INIT};

			sin.sin_addr.s_addr = htonl(t == 'C' ? 0x7f000002 : 0x7f000001);
			if (t == 'p')
				sin.sin_port = htons(54);
			if (s >= 0 && (t == 'c' || t == 'C' || t == 'p') &&
			    connect(s, (struct sockaddr *)&sin, sizeof(sin)))
				r = (char)errno;
			if (s >= 0 && v6 && connect(s, (struct sockaddr *)&sin6, sizeof(sin6)))
				r = (char)errno;
			if (s >= 0 && t == 's' &&
			    sendto(s, "x", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) < 0)
				r = (char)errno;
			if (s >= 0)
				close(s);
			if (write(c2p[1], &r, 1) != 1)
				break;
		}
		_exit(0);
	}
	k->cmd = p2c[1];
	k->res = c2p[0];
	close(p2c[0]);
	close(c2p[1]);
	k->base = event_base_new();
	opts.base = k->base;
	opts.alert_arg = k;
	return bw_enforcer_cgroup_new(&k->enf, &opts) ? -1 : 0;
}

static int kernel_teardown(void **state)
{
	struct kernel *k = *state;

	bw_enforcer_free(k->enf);
	if (k->child > 0) {
		close(k->cmd);
		close(k->res);
		waitpid(k->child, NULL, 0);
	}
	if (k->dir[0])
		rmdir(k->dir);
	if (k->base)
		event_base_free(k->base);
	free(k);
	return 0;
}

static int apply_text(struct kernel *k, const char *text, char *err, size_t errlen)
{
	Bulwark__V1__CompiledPolicy *cp = pol(text);
	char **un = NULL;
	size_t n = 0;
	int rc = k->enf->ops->apply(k->enf, cp, &un, &n, err, errlen);

	for (size_t i = 0; i < n; i++)
		free(un[i]);
	free(un);
	bw_testpolicy_free(cp);
	return rc;
}

static void test_kernel_decisions(void **state)
{
	struct kernel *k = *state;
	char text[256], err[512];

	if (!k->enf)
		skip(); /* needs root and cgroup BPF */
	snprintf(text, sizeof(text),
		 "set c cgid=%llu\nrule network protocol udp Block policy=blk\n",
		 (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	assert_int_equal(try_socket(k, 'u'), EPERM);
	assert_int_equal(try_socket(k, 't'), 0);
	assert_int_equal(k->alerts, 1);
	assert_int_equal(k->blocked, 1);
	assert_string_equal(k->last_policy, "blk");
	/* this process is not in the cgroup */
	{
		int s = socket(AF_INET, SOCK_DGRAM, 0);

		assert_true(s >= 0);
		close(s);
	}

	/* allow-list tcp with posture audit: udp passes, reported as posture */
	snprintf(text, sizeof(text),
		 "set c cgid=%llu network_posture=audit\nrule network protocol tcp Allow\n",
		 (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	assert_int_equal(try_socket(k, 'u'), 0);
	assert_int_equal(k->alerts, 2);
	assert_int_equal(k->posture, 1);
	assert_int_equal(k->blocked, 1);
	assert_int_equal(try_socket(k, 't'), 0);
	assert_int_equal(k->alerts, 2);

	/* allow-list by address only: not enforceable here, so it must not
	 * turn every socket into a default-posture miss */
	snprintf(text, sizeof(text), "set c cgid=%llu\nrule network address 10.0.0.0/8 Allow\n",
		 (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	assert_int_equal(try_socket(k, 'u'), 0);
	assert_int_equal(try_socket(k, 't'), 0);
	assert_int_equal(k->alerts, 2);
}

static void test_kernel_addresses(void **state)
{
	struct kernel *k = *state;
	char text[512], err[512];
	int before;

	if (!k->enf)
		skip();
	/* Block one destination (udp, port 53 only) */
	snprintf(text, sizeof(text),
		 "set c cgid=%llu\nrule network address 127.0.0.1 Block ports=53 policy=no-dns\n",
		 (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	before = k->alerts;
	assert_int_equal(try_socket(k, 'u'), 0); /* creating a socket is fine */
	assert_int_equal(try_socket(k, 'c'), EPERM);
	assert_int_equal(try_socket(k, 's'), EPERM); /* unconnected sendto too */
	assert_int_equal(try_socket(k, 'C'), 0);     /* 127.0.0.2 */
	assert_int_equal(try_socket(k, 'p'), 0);     /* port 54 */
	assert_int_equal(k->alerts, before + 2);
	assert_string_equal(k->last_policy, "no-dns");

	/* a wider allow-list with a more specific block, pushed down into one
	 * trie entry: 127.0.0.0/8 allowed, 127.0.0.1 blocked */
	snprintf(text, sizeof(text),
		 "set c cgid=%llu\nrule network address 127.0.0.0/8 Allow\n"
		 "rule network address 127.0.0.1 Block policy=p53\n",
		 (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	assert_int_equal(try_socket(k, 'C'), 0);
	assert_int_equal(try_socket(k, 'c'), EPERM);
	/* IPv6 ::1 is outside the allow-list: default posture (block) */
	before = k->posture;
	assert_int_equal(try_socket(k, '6'), EPERM);
	assert_int_equal(k->posture, before + 1);

	/* Audit: passes, reported */
	snprintf(text, sizeof(text),
		 "set c cgid=%llu\nrule network address ::1/128 Audit policy=a6\n",
		 (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	before = k->alerts;
	assert_int_equal(try_socket(k, '6'), 0);
	assert_int_equal(k->alerts, before + 1);
	assert_string_equal(k->last_policy, "a6");
	assert_int_equal(try_socket(k, 'c'), 0);
	assert_int_equal(k->alerts, before + 1);
}

static void test_kernel_failed_apply_keeps_old(void **state)
{
	struct kernel *k = *state;
	char err[512], *text;
	size_t cap = 4 * 1024 * 1024, len;
	int rc;

	if (!k->enf)
		skip();
	text = malloc(cap);
	len = (size_t)snprintf(text, cap, "set c cgid=%llu\nrule network protocol udp Block\n",
			       (unsigned long long)k->cgid);
	assert_int_equal(apply_text(k, text, err, sizeof(err)), 0);
	/* more distinct keys than the rule map holds: the write fails part way */
	for (unsigned i = 0; i < BW_CGN_MAX_RULES + 16; i++)
		len +=
		    (size_t)snprintf(text + len, cap - len, "rule network protocol 2:%u:%u Audit\n",
				     1 + i % 5, 1000 + i / 5);
	err[0] = '\0';
	rc = apply_text(k, text, err, sizeof(err));
	assert_true(rc < 0);
	assert_non_null(strstr(err, "writing the rules of container"));
	/* the old rules hold, and nothing of the half-written policy leaks */
	assert_int_equal(try_socket(k, 'u'), EPERM);
	assert_int_equal(try_socket(k, 't'), 0);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule_keys), cmocka_unit_test(test_addr_of),
	    cmocka_unit_test(test_resource),  cmocka_unit_test(test_choose),
	    cmocka_unit_test(test_describe),
	};
	const struct CMUnitTest ktests[] = {
	    cmocka_unit_test(test_kernel_decisions),
	    cmocka_unit_test(test_kernel_addresses),
	    cmocka_unit_test(test_kernel_failed_apply_keeps_old),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	return rc + cmocka_run_group_tests(ktests, kernel_setup, kernel_teardown);
}
