/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bulwark's extensions to the policy language (not in KubeArmor):
 * network.matchAddresses (destination by CIDR and port range), and the
 * split of matchPatterns into globs the BPF-LSM enforcer evaluates in the
 * kernel and AppArmor-only patterns.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "parse_int.h"

/*
 * Kernel-evaluable glob: an absolute path of literal characters, '?' (one
 * character but '/'), '*' (any run without '/') and '**' (any run).  The
 * BPF-LSM matcher implements exactly these; anything else (AppArmor's
 * '[...]', '{a,b}', '^') is left to the AppArmor enforcer.
 */
bool bw_glob_kernel_ok(const char *p)
{
	if (p[0] != '/')
		return false;
	for (const char *q = p; *q; q++) {
		if (*q == '[' || *q == ']' || *q == '{' || *q == '}' || *q == '^' || *q == '\\')
			return false;
		if (q[0] == '*' && q[1] == '*' && q[2] == '*')
			return false;
	}
	return true;
}

bool parse_address(struct pctx *c, const yaml_node_t *n, const char *path, char **canon,
		   uint32_t *family)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	unsigned char addr[16];
	long prefix;
	int af, bits;

	if (!get_str(c, n, path, sizeof(buf) - 1, false, NULL))
		return false;
	snprintf(buf, sizeof(buf), "%s", sval(n));
	slash = strchr(buf, '/');
	if (slash)
		*slash = 0;
	if (inet_pton(AF_INET, buf, addr) == 1) {
		af = AF_INET, bits = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		af = AF_INET6, bits = 128;
	} else {
		perr(c, n, "%s must be an IPv4 or IPv6 address or CIDR (e.g. 10.0.0.0/8), got '%s'",
		     path, sval(n));
		return false;
	}
	prefix = bits;
	if (slash) {
		prefix = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || prefix < 0 || prefix > bits) {
			perr(c, n, "%s: prefix length must be 0 to %d", path, bits);
			return false;
		}
	}
	/* Host bits set is almost always a typo for the network address. */
	unsigned char net[16];
	memcpy(net, addr, sizeof(net));
	for (int i = 0; i < bits / 8; i++) {
		int keep = (int)prefix - 8 * i;
		net[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	char canon_addr[INET6_ADDRSTRLEN];
	inet_ntop(af, net, canon_addr, sizeof(canon_addr));
	if (memcmp(net, addr, (size_t)bits / 8)) {
		perr(c, n, "%s: '%s' has host bits set (did you mean '%s/%ld'?)", path, sval(n),
		     canon_addr, prefix);
		return false;
	}
	if (asprintf(canon, "%s/%ld", canon_addr, prefix) < 0) {
		perr(c, n, "out of memory");
		return false;
	}
	*family = (uint32_t)af;
	return true;
}

static bool port_number(const char *s, long *out)
{
	char *end;

	*out = strtol(s, &end, 10);
	return *s && !*end && *out >= 1 && *out <= 65535;
}

/* ports: [80, "8000-8100"] -> ranges; none means every port. */
bool parse_ports(struct pctx *c, const yaml_node_t *n, const char *path, uint32_t (**out)[2],
		 size_t *n_out)
{
	char sub[700], buf[32];

	if (!want_seq(c, n, path, 64))
		return false;
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (!cnt) {
		perr(c, n, "%s must list at least one port or range", path);
		return false;
	}
	uint32_t(*v)[2] = calloc(cnt, sizeof(*v));
	if (!v) {
		perr(c, n, "out of memory");
		return false;
	}
	for (size_t i = 0; i < cnt; i++) {
		yaml_node_t *e = pnode(c, n->data.sequence.items.start[i]);
		long lo, hi;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (!get_str(c, e, sub, sizeof(buf) - 1, false, NULL))
			goto bad;
		snprintf(buf, sizeof(buf), "%s", sval(e));
		char *dash = strchr(buf, '-');
		if (dash)
			*dash = 0;
		if (!port_number(buf, &lo) || !port_number(dash ? dash + 1 : buf, &hi) || hi < lo) {
			perr(c, e, "%s must be a port (1-65535) or a range 'low-high', got '%s'",
			     sub, sval(e));
			goto bad;
		}
		v[i][0] = (uint32_t)lo;
		v[i][1] = (uint32_t)hi;
	}
	*out = v;
	*n_out = cnt;
	return true;
bad:
	free(v);
	return false;
}
