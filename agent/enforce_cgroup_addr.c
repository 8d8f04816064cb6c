// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup-BPF fallback: destination rules (matchAddresses) into the LPM
 * tries the connect4/6 and sendmsg4/6 programs look up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <bpf/bpf.h>

#include "enforce_cgroup.h"
#include "enforce_priv.h"

int bw_cgn_addr_of(const Bulwark__V1__Rule *r, struct bw_cgn_addr *out, const char **why)
{
	const Bulwark__V1__Protocol *p = r->protocol;
	char buf[64], *slash;
	long bits;

	if (r->operation != BULWARK__V1__OPERATION__OP_NETWORK ||
	    r->match != BULWARK__V1__MATCH_KIND__MATCH_ADDRESS) {
		*why = "not an address rule";
		return 0;
	}
	if (r->n_from_source && r->action != BULWARK__V1__ACTION__ACTION_ALLOW) {
		*why = "fromSource: cgroup fallback cannot tell the calling binary; audit only";
		return 0;
	}
	memset(out, 0, sizeof(*out));
	snprintf(buf, sizeof(buf), "%s", r->value ? r->value : "");
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		bits = 128;
	} else {
		*why = "address is not an IPv4 or IPv6 address or CIDR";
		return 0;
	}
	if (slash) {
		char *end;
		long b = strtol(slash, &end, 10);

		if (*slash == '\0' || *end || b < 0 || b > bits) {
			*why = "CIDR prefix length out of range";
			return 0;
		}
		bits = b;
	}
	if (p && p->family && p->family != out->family) {
		*why = "address family and protocol family differ";
		return 0;
	}
	if (r->port_min > 65535 || r->port_max > 65535 || r->port_min > r->port_max) {
		*why = "port range out of order or above 65535";
		return 0;
	}
	/* Host bits beyond the prefix are cleared: 10.1.2.3/8 means 10.0.0.0/8. */
	for (long i = bits; i < (out->family == AF_INET ? 32 : 128); i++)
		out->addr[i / 8] &= (uint8_t) ~(0x80u >> (i % 8));
	out->bits = (unsigned)bits;
	out->slot.port_min = (uint16_t)r->port_min;
	out->slot.port_max = (uint16_t)r->port_max;
	out->slot.type = p ? (uint16_t)p->type : 0;
	out->slot.protocol = p ? p->protocol : 0;
	out->slot.action = (uint16_t)r->action;
	return 1;
}

/* Does prefix a (a_bits) contain prefix b (b_bits)? */
static int prefix_contains(const uint8_t *a, unsigned a_bits, const uint8_t *b, unsigned b_bits)
{
	if (a_bits > b_bits)
		return 0;
	for (unsigned i = 0; i < a_bits; i++)
		if ((a[i / 8] ^ b[i / 8]) & (0x80u >> (i % 8)))
			return 0;
	return 1;
}

/*
 * Writes a rule set's address rules: one trie entry per distinct prefix,
 * holding every rule whose prefix contains it (so the longest match alone
 * decides).  *flags gets BW_CGN_F_ADDR / BW_CGN_F_ADDR_ALLOWLIST.
 */
int bw_cgn_write_addrs(int fd4, int fd6, const Bulwark__V1__RuleSet *rs, uint64_t cgid,
		       uint32_t gen, uint32_t *flags, char ***unenf, size_t *n_unenf)
{
	struct bw_cgn_addr *a = calloc(rs->n_rules ? rs->n_rules : 1, sizeof(*a));
	size_t n = 0;
	int rc = 0;

	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];
		const char *why;

		if (r->match != BULWARK__V1__MATCH_KIND__MATCH_ADDRESS ||
		    r->operation != BULWARK__V1__OPERATION__OP_NETWORK)
			continue;
		if (!bw_cgn_addr_of(r, &a[n], &why)) {
			char desc[384];

			bw_rule_describe(rs, r, desc, sizeof(desc));
			if (bw_unenforced_add(unenf, n_unenf, "%s: %s", desc, why)) {
				rc = -ENOMEM;
				goto cleanup;
			}
			continue;
		}
		a[n].slot.rule = (uint32_t)i + 1;
		if (r->action == BULWARK__V1__ACTION__ACTION_ALLOW)
			*flags |= BW_CGN_F_ADDR_ALLOWLIST;
		*flags |= BW_CGN_F_ADDR;
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		struct bw_cgn_addr_val v = {};
		size_t used = 0;
		int dup = 0;

		for (size_t j = 0; j < i && !dup; j++)
			dup = a[j].family == a[i].family && a[j].bits == a[i].bits &&
			      !memcmp(a[j].addr, a[i].addr, 16);
		if (dup)
			continue;
		for (size_t j = 0; j < n; j++) {
			if (a[j].family != a[i].family ||
			    !prefix_contains(a[j].addr, a[j].bits, a[i].addr, a[i].bits))
				continue;
			if (used == BW_CGN_ADDR_SLOTS) {
				char desc[384];

				bw_rule_describe(rs, rs->rules[a[j].slot.rule - 1], desc,
						 sizeof(desc));
				if (bw_unenforced_add(
					unenf, n_unenf,
					"%s: more than %d address rules overlap here; not enforced",
					desc, BW_CGN_ADDR_SLOTS)) {
					rc = -ENOMEM;
					goto cleanup;
				}
				continue;
			}
			v.r[used++] = a[j].slot;
		}
		if (a[i].family == AF_INET) {
			struct bw_cgn_addr4_key k = {
			    .prefixlen = 96 + a[i].bits, .gen = gen, .cgid = cgid};

			memcpy(&k.addr, a[i].addr, 4);
			rc = bpf_map_update_elem(fd4, &k, &v, BPF_ANY);
		} else {
			struct bw_cgn_addr6_key k = {
			    .prefixlen = 96 + a[i].bits, .gen = gen, .cgid = cgid};

			memcpy(k.addr, a[i].addr, 16);
			rc = bpf_map_update_elem(fd6, &k, &v, BPF_ANY);
		}
		if (rc) {
			rc = -errno;
			goto cleanup;
		}
	}
cleanup:
	free(a);
	return rc;
}
