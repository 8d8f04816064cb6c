// SPDX-License-Identifier: Apache-2.0
/*
 * cgroup-BPF fallback enforcer (see enforce_cgroup.h for what it covers).
 *
 * Apply writes every rule set's keys under a new generation, then flips each
 * rule set's bw_cgn_ctrs entry to it (one map update: atomic per container),
 * then deletes what belongs to older generations.  A failure before the flip
 * deletes the half-written generation and leaves the old rules in force.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>
#include <linux/magic.h>

#include "bw_wire.h"
#include "bw_log.h"
#include "cgroup_net.skel.h"
#include "enforce_cgroup.h"
#include "enforce_priv.h"
#include "events.h"
#include "probe.h"

/* Unenforced lines listed one by one before the rest is summarised. */
#define CGN_MAX_LISTED 64

struct cgn {
	struct bw_enforcer e;
	struct cgroup_net *skel;
	struct bpf_link *links[5]; /* sock_create, connect4/6, sendmsg4/6 */
	struct ring_buffer *rb;
	struct event *ev;
	bw_enforcer_alert_fn on_alert;
	void *alert_arg;
	char pin[PATH_MAX]; /* "" when not pinning */
	uint32_t gen;	    /* last generation written */
	/* The policies whose generations may still be in flight in the ring. */
	Bulwark__V1__CompiledPolicy *cur, *prev;
	uint32_t cur_gen, prev_gen;
};

/* ---- rule translation (pure, unit-tested) --------------------------------- */

int bw_cgn_rule_key_of(const Bulwark__V1__Rule *r, uint64_t cgid, uint32_t gen,
		       struct bw_cgn_rule_key *k, const char **why)
{
	const Bulwark__V1__Protocol *p = r->protocol;

	if (r->operation != BULWARK__V1__OPERATION__OP_NETWORK) {
		*why = "cgroup fallback enforces network only; audit only";
		return 0;
	}
	if (r->match != BULWARK__V1__MATCH_KIND__MATCH_PROTOCOL) {
		*why = r->match == BULWARK__V1__MATCH_KIND__MATCH_ADDRESS
			   ? "address rule: decided at connect/sendmsg, not socket creation"
			   : "cgroup fallback enforces network protocols and addresses only; audit "
			     "only";
		return 0;
	}
	if (!p) {
		*why = "protocol rule without a protocol";
		return 0;
	}
	if (p->family != 0 && p->family != AF_INET && p->family != AF_INET6) {
		*why = "cgroup/sock_create sees AF_INET/AF_INET6 sockets only; audit only";
		return 0;
	}
	if (r->n_from_source && r->action != BULWARK__V1__ACTION__ACTION_ALLOW) {
		*why = "fromSource: cgroup fallback cannot tell the calling binary; audit only";
		return 0;
	}
	if (p->type > 0xffff || p->family > 0xffff) {
		*why = "socket type or family out of range";
		return 0;
	}
	memset(k, 0, sizeof(*k));
	k->cgid = cgid;
	k->gen = gen;
	k->family = (uint16_t)p->family;
	k->type = (uint16_t)p->type;
	k->protocol = p->protocol;
	return 1;
}

void bw_cgn_resource(unsigned family, unsigned type, unsigned protocol, char *buf, size_t len)
{
	bw_fmt_socket(family, type, protocol, buf, len);
}

/* ---- alerts --------------------------------------------------------------- */

static const Bulwark__V1__RuleSet *find_set(const Bulwark__V1__CompiledPolicy *cp, uint64_t cgid)
{
	if (!cp)
		return NULL;
	if (cgid == 0)
		return cp->host;
	for (size_t i = 0; i < cp->n_containers; i++)
		if (cp->containers[i]->cgroup_id == cgid)
			return cp->containers[i];
	return NULL;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct cgn *c = ctx;
	const struct bw_cgn_event *ev = data;
	const Bulwark__V1__CompiledPolicy *cp = NULL;
	const Bulwark__V1__RuleSet *rs;
	const Bulwark__V1__Rule *rule = NULL;
	struct bw_enforcer_alert a;
	static const char *const hooks[] = {"hook=cgroup/sock_create", "hook=cgroup/connect4",
					    "hook=cgroup/connect6", "hook=cgroup/sendmsg4",
					    "hook=cgroup/sendmsg6"};
	char resource[160], proto[96];

	if (size < sizeof(*ev) || !c->on_alert)
		return 0;
	if (ev->gen == c->cur_gen)
		cp = c->cur;
	else if (ev->gen == c->prev_gen)
		cp = c->prev;
	rs = find_set(cp, ev->cgid);
	if (rs && ev->rule && ev->rule <= rs->n_rules)
		rule = rs->rules[ev->rule - 1];

	memset(&a, 0, sizeof(a));
	a.ts_boot_ns = ev->ts_boot_ns;
	a.cgroup_id = ev->cgid;
	a.host_pid = ev->pid;
	a.host_tid = ev->tid;
	a.host_ppid = ev->ppid;
	a.uid = ev->uid;
	memcpy(a.comm, ev->comm, sizeof(a.comm));
	a.comm[sizeof(a.comm) - 1] = '\0';
	a.operation = "Network";
	bw_cgn_resource(ev->family, ev->type, ev->protocol, proto, sizeof(proto));
	if (ev->hook == BW_CGN_H_SOCK_CREATE || ev->hook >= 5) {
		snprintf(resource, sizeof(resource), "%s", proto);
	} else {
		char ip[INET6_ADDRSTRLEN] = "?";
		int v6 = ev->hook == BW_CGN_H_CONNECT6 || ev->hook == BW_CGN_H_SENDMSG6;

		inet_ntop(v6 ? AF_INET6 : AF_INET, ev->addr, ip, sizeof(ip));
		snprintf(resource, sizeof(resource), "remote=%s port=%u %s", ip, ev->port, proto);
	}
	a.resource = resource;
	a.data = hooks[ev->hook < 5 ? ev->hook : 0];
	a.enforcer = c->e.ops->name;
	a.blocked = ev->reason == BW_CGN_R_BLOCK || ev->reason == BW_CGN_R_POSTURE_BLOCK;
	a.default_posture =
	    ev->reason == BW_CGN_R_POSTURE_BLOCK || ev->reason == BW_CGN_R_POSTURE_AUDIT;
	a.host = ev->cgid == 0;
	a.origin = rule ? rule->origin : NULL;
	a.action = a.blocked ? "Block" : "Audit";
	c->on_alert(c->alert_arg, &a);
	return 0;
}

static void on_ring(evutil_socket_t fd, short what, void *arg)
{
	struct cgn *c = arg;

	ring_buffer__consume(c->rb);
}

/* ---- apply ---------------------------------------------------------------- */

static int ctrs_fd(struct cgn *c)
{
	return bpf_map__fd(c->skel->maps.bw_cgn_ctrs);
}

static int rules_fd(struct cgn *c)
{
	return bpf_map__fd(c->skel->maps.bw_cgn_rules);
}

/*
 * Deletes the keys of map fd (key_size bytes, generation at gen_off) whose
 * generation is keep (only_keep) or is not keep (!only_keep).
 */
static void purge_gen(int fd, size_t key_size, size_t gen_off, uint32_t keep, int only_keep)
{
	uint8_t k[64], next[64], *victims = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		uint32_t gen;
		int match;

		memcpy(&gen, next + gen_off, sizeof(gen));
		match = gen == keep;
		if (only_keep ? match : !match) {
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				void *g = realloc(victims, ncap * key_size);

				if (!g)
					break;
				victims = g;
				cap = ncap;
			}
			memcpy(victims + n * key_size, next, key_size);
			n++;
		}
		memcpy(k, next, key_size);
		prev = k;
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(fd, victims + i * key_size);
	free(victims);
}

static void purge_rules(struct cgn *c, uint32_t keep, int only_keep)
{
	purge_gen(rules_fd(c), sizeof(struct bw_cgn_rule_key),
		  offsetof(struct bw_cgn_rule_key, gen), keep, only_keep);
	purge_gen(bpf_map__fd(c->skel->maps.bw_cgn_addr4), sizeof(struct bw_cgn_addr4_key),
		  offsetof(struct bw_cgn_addr4_key, gen), keep, only_keep);
	purge_gen(bpf_map__fd(c->skel->maps.bw_cgn_addr6), sizeof(struct bw_cgn_addr6_key),
		  offsetof(struct bw_cgn_addr6_key, gen), keep, only_keep);
}

static int write_set(struct cgn *c, const Bulwark__V1__RuleSet *rs, uint64_t cgid, uint32_t gen,
		     int *has_rules, char ***unenf, size_t *n_unenf, size_t *listed,
		     size_t *unlisted)
{
	int fd = rules_fd(c);

	*has_rules = 0;
	for (size_t i = 0; i < rs->n_rules; i++) {
		const Bulwark__V1__Rule *r = rs->rules[i];
		struct bw_cgn_rule_key k;
		struct bw_cgn_rule v = {};
		const char *why = NULL;
		uint32_t *slot;

		if (r->match == BULWARK__V1__MATCH_KIND__MATCH_ADDRESS &&
		    r->operation == BULWARK__V1__OPERATION__OP_NETWORK)
			continue; /* bw_cgn_write_addrs */
		if (!bw_cgn_rule_key_of(r, cgid, gen, &k, &why)) {
			char desc[384];

			if (*listed >= CGN_MAX_LISTED) {
				(*unlisted)++;
				continue;
			}
			bw_rule_describe(rs, r, desc, sizeof(desc));
			if (bw_unenforced_add(unenf, n_unenf, "%s: %s", desc, why))
				return -ENOMEM;
			(*listed)++;
			continue;
		}
		bpf_map_lookup_elem(fd, &k, &v); /* merge rules sharing a key */
		slot = r->action == BULWARK__V1__ACTION__ACTION_ALLOW	? &v.allow
		       : r->action == BULWARK__V1__ACTION__ACTION_AUDIT ? &v.audit
									: &v.block;
		if (!*slot)
			*slot = (uint32_t)i + 1;
		if (bpf_map_update_elem(fd, &k, &v, BPF_ANY))
			return -errno;
		*has_rules = 1;
	}
	return 0;
}

static int cgn_apply(struct bw_enforcer *e, const Bulwark__V1__CompiledPolicy *cp,
		     char ***unenforced, size_t *n_unenforced, char *err, size_t errlen)
{
	struct cgn *c = e->priv;
	size_t n_sets = cp->n_containers + 1, listed = 0, unlisted = 0, n_flip = 0;
	struct {
		uint64_t cgid;
		struct bw_cgn_ctr ctr;
	} *flip = calloc(n_sets, sizeof(*flip));
	Bulwark__V1__CompiledPolicy *copy = bw_compiled_policy_dup(cp);
	uint32_t gen = c->gen + 1;
	uint64_t key, next, *stale = NULL;
	size_t n_stale = 0;
	void *prevk = NULL;
	int rc = 0;

	if (!flip || !copy) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory copying the compiled policy");
		goto cleanup;
	}
	if (gen == 0)
		gen = 1;
	for (size_t i = 0; i < n_sets; i++) {
		const Bulwark__V1__RuleSet *rs =
		    i < cp->n_containers ? cp->containers[i] : cp->host;
		uint64_t cgid = i < cp->n_containers ? rs ? rs->cgroup_id : 0 : 0;
		int has_rules, allow;
		uint32_t addr_flags;

		if (!rs)
			continue;
		if (i < cp->n_containers && cgid == 0) {
			if (rs->n_rules)
				bw_unenforced_add(unenforced, n_unenforced,
						  "container %s: cgroup id unknown, its %zu rules "
						  "are not enforced",
						  rs->container_id ? rs->container_id : "?",
						  rs->n_rules);
			continue;
		}
		addr_flags = 0;
		rc = write_set(c, rs, cgid, gen, &has_rules, unenforced, n_unenforced, &listed,
			       &unlisted);
		if (!rc)
			rc = bw_cgn_write_addrs(bpf_map__fd(c->skel->maps.bw_cgn_addr4),
						bpf_map__fd(c->skel->maps.bw_cgn_addr6), rs, cgid,
						gen, &addr_flags, unenforced, n_unenforced);
		if (rc) {
			snprintf(err, errlen, "writing the rules of %s%s failed: %s",
				 cgid ? "container " : "the host", cgid ? rs->container_id : "",
				 strerror(-rc));
			purge_rules(c, gen, 1);
			goto cleanup;
		}
		allow = bw_rs_protocol_allowlist(rs);
		if (!has_rules && !allow && !addr_flags)
			continue;
		flip[n_flip].cgid = cgid;
		flip[n_flip].ctr.gen = gen;
		flip[n_flip].ctr.flags = (allow ? BW_CGN_F_ALLOWLIST : 0) |
					 (rs->network_posture == BULWARK__V1__POSTURE__POSTURE_BLOCK
					      ? BW_CGN_F_POSTURE_BLOCK
					      : 0) |
					 (cgid == 0 ? BW_CGN_F_HOST : 0) | addr_flags;
		n_flip++;
	}
	if (unlisted)
		bw_unenforced_add(
		    unenforced, n_unenforced,
		    "%zu more rules: cgroup fallback enforces network protocols only; audit only",
		    unlisted);

	/* The switch: one atomic map update per rule set. */
	for (size_t i = 0; i < n_flip; i++) {
		if (bpf_map_update_elem(ctrs_fd(c), &flip[i].cgid, &flip[i].ctr, BPF_ANY)) {
			rc = -errno;
			/* Earlier sets already switched; keep going is impossible, so say
			 * precisely which ones hold the new rules. */
			snprintf(err, errlen,
				 "switching rule set %zu of %zu (cgroup %llu) failed: %s; the "
				 "first %zu hold the new policy",
				 i + 1, n_flip, (unsigned long long)flip[i].cgid, strerror(-rc), i);
			goto cleanup;
		}
	}
	/* Rule sets the new policy no longer has. */
	while (bpf_map_get_next_key(ctrs_fd(c), prevk, &next) == 0) {
		int keep = 0;

		for (size_t i = 0; i < n_flip && !keep; i++)
			keep = flip[i].cgid == next;
		if (!keep) {
			uint64_t *g = realloc(stale, (n_stale + 1) * sizeof(*g));

			if (!g)
				break;
			stale = g;
			stale[n_stale++] = next;
		}
		key = next;
		prevk = &key;
	}
	for (size_t i = 0; i < n_stale; i++)
		bpf_map_delete_elem(ctrs_fd(c), &stale[i]);
	purge_rules(c, gen, 0);

	c->gen = gen;
	bulwark__v1__compiled_policy__free_unpacked(c->prev, NULL);
	c->prev = c->cur;
	c->prev_gen = c->cur_gen;
	c->cur = copy;
	c->cur_gen = gen;
	copy = NULL;
	bw_debug("cgroup policy applied | gen=%u sets=%zu version=%llu", gen, n_flip,
		 (unsigned long long)cp->version);
cleanup:
	if (copy)
		bulwark__v1__compiled_policy__free_unpacked(copy, NULL);
	free(flip);
	free(stale);
	return rc;
}

/* ---- life cycle ----------------------------------------------------------- */

static void cgn_destroy(struct bw_enforcer *e)
{
	struct cgn *c = e ? e->priv : NULL;

	if (!c)
		return;
	if (c->ev)
		event_free(c->ev);
	ring_buffer__free(c->rb);
	/* A pinned link stays attached (and keeps enforcing) after this. */
	for (int i = 0; i < 5; i++)
		bpf_link__destroy(c->links[i]);
	cgroup_net__destroy(c->skel);
	bulwark__v1__compiled_policy__free_unpacked(c->cur, NULL);
	bulwark__v1__compiled_policy__free_unpacked(c->prev, NULL);
	free(c);
}

static const struct bw_enforcer_ops cgn_ops = {
    .name = "CgroupBPF",
    .kind = BULWARK__V1__ENFORCER__ENFORCER_CGROUP_BPF,
    .apply = cgn_apply,
    .destroy = cgn_destroy,
};

/* Reuses maps pinned by a previous agent so their rules hold until our
 * first apply; returns the highest generation found. */
static int adopt_maps(struct cgn *c, uint32_t *gen)
{
	struct bpf_map *maps[4] = {c->skel->maps.bw_cgn_ctrs, c->skel->maps.bw_cgn_rules,
				   c->skel->maps.bw_cgn_addr4, c->skel->maps.bw_cgn_addr6};
	char path[PATH_MAX + 32];

	*gen = 0;
	for (int i = 0; i < 4; i++) {
		int fd, rc;

		snprintf(path, sizeof(path), "%s/%s", c->pin, bpf_map__name(maps[i]));
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		rc = bpf_map__reuse_fd(maps[i], fd);
		close(fd);
		if (rc) {
			bw_warn("cannot adopt a pinned map, replacing it | path=%s err=%s", path,
				strerror(-rc));
			unlink(path);
			continue;
		}
		if (i == 0) {
			uint64_t k, nk;
			struct bw_cgn_ctr v;
			void *pk = NULL;

			fd = bpf_map__fd(maps[0]);
			while (bpf_map_get_next_key(fd, pk, &nk) == 0) {
				if (bpf_map_lookup_elem(fd, &nk, &v) == 0 && v.gen > *gen)
					*gen = v.gen;
				k = nk;
				pk = &k;
			}
		}
		bw_info("adopted pinned enforcement map | path=%s", path);
	}
	return 0;
}

static int pin_all(struct cgn *c)
{
	struct bpf_map *maps[4] = {c->skel->maps.bw_cgn_ctrs, c->skel->maps.bw_cgn_rules,
				   c->skel->maps.bw_cgn_addr4, c->skel->maps.bw_cgn_addr6};
	static const char *const names[5] = {"link", "link_connect4", "link_connect6",
					     "link_sendmsg4", "link_sendmsg6"};
	char path[PATH_MAX + 32];
	int rc;

	for (int i = 0; i < 4; i++) {
		snprintf(path, sizeof(path), "%s/%s", c->pin, bpf_map__name(maps[i]));
		if (access(path, F_OK) == 0)
			continue; /* adopted */
		rc = bpf_map__pin(maps[i], path);
		if (rc)
			return rc;
	}
	/* The new links are attached before the old ones go: no gap. */
	for (int i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", c->pin, names[i]);
		unlink(path);
		rc = bpf_link__pin(c->links[i], path);
		if (rc)
			return rc;
	}
	return 0;
}

int bw_enforcer_cgroup_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts)
{
	struct cgn *c = calloc(1, sizeof(*c));
	char root[PATH_MAX];
	int rc, cg = -1;

	if (!c)
		return -ENOMEM;
	c->e.ops = &cgn_ops;
	c->e.priv = c;
	c->on_alert = opts->on_alert;
	c->alert_arg = opts->alert_arg;
	if (opts->pin_dir && *opts->pin_dir) {
		snprintf(c->pin, sizeof(c->pin), "%s/cgroup_net", opts->pin_dir);
		if (bw_mkdir_p(c->pin) || !bw_on_bpffs(c->pin)) {
			bw_warn("pin directory is not on a bpffs; enforcement will stop with the "
				"agent | dir=%s",
				c->pin);
			c->pin[0] = '\0';
		}
	}
	rc = bw_cgroup2_root(root, sizeof(root));
	if (rc) {
		bw_error("no cgroup v2 hierarchy mounted");
		goto cleanup;
	}
	cg = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0) {
		rc = -errno;
		bw_error("cannot open the cgroup v2 root | path=%s err=%s", root, strerror(-rc));
		goto cleanup;
	}
	c->skel = cgroup_net__open();
	if (!c->skel) {
		rc = -errno;
		goto cleanup;
	}
	if (c->pin[0])
		adopt_maps(c, &c->gen);
	rc = cgroup_net__load(c->skel);
	if (rc) {
		bw_error("cannot load the cgroup network program | err=%s", strerror(-rc));
		goto cleanup;
	}
	{
		struct bpf_program *progs[5] = {
		    c->skel->progs.bw_cgn_sock_create, c->skel->progs.bw_cgn_connect4,
		    c->skel->progs.bw_cgn_connect6, c->skel->progs.bw_cgn_sendmsg4,
		    c->skel->progs.bw_cgn_sendmsg6};

		for (int i = 0; i < 5; i++) {
			c->links[i] = bpf_program__attach_cgroup(progs[i], cg);
			if (!c->links[i]) {
				rc = -errno;
				bw_error(
				    "cannot attach a cgroup program | prog=%s cgroup=%s err=%s",
				    bpf_program__section_name(progs[i]), root, strerror(-rc));
				goto cleanup;
			}
		}
	}
	if (c->pin[0]) {
		rc = pin_all(c);
		if (rc) {
			bw_warn(
			    "cannot pin enforcement; it will stop with the agent | dir=%s err=%s",
			    c->pin, strerror(-rc));
			rc = 0;
		}
	}
	c->rb = ring_buffer__new(bpf_map__fd(c->skel->maps.bw_cgn_events), on_event, c, NULL);
	if (!c->rb) {
		rc = -errno;
		goto cleanup;
	}
	if (opts->base) {
		c->ev = event_new(opts->base, ring_buffer__epoll_fd(c->rb), EV_READ | EV_PERSIST,
				  on_ring, c);
		if (!c->ev || event_add(c->ev, NULL)) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	bw_info("cgroup-BPF enforcer attached | cgroup=%s pinned=%s gen=%u", root,
		c->pin[0] ? c->pin : "no", c->gen);
	*out = &c->e;
	c = NULL;
cleanup:
	if (cg >= 0)
		close(cg);
	if (c)
		cgn_destroy(&c->e);
	return rc;
}
