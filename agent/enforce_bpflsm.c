/* SPDX-License-Identifier: Apache-2.0 */
/*
 * BPF-LSM backend: loads bpf/enforcer.bpf.c, pins it, swaps complete rule
 * maps in for each policy and turns ring-buffer records into alerts.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>

#include "bw_wire.h"
#include "enforce_priv.h"
#include "enforce_bpflsm.h"
#include "enforce_maps.h"
#include "bw_log.h"
#include "bw_reason.h"
#include "enforcer.skel.h"

#define PIN_PATH_MAX 512
#define PATH_MAX_CG 4096

struct bpflsm {
	struct bw_enforcer pub;
	struct enforcer *skel;
	struct bpf_link **links;
	size_t n_links;
	struct ring_buffer *rb;
	struct event *rb_ev;
	bw_enforcer_alert_fn on_alert;
	void *alert_arg;
	/* The policy in force and the one before (alerts raised just before a
	 * swap still name their rule). Owned copies. */
	Bulwark__V1__CompiledPolicy *cur, *prev;
	uint64_t version;
	int policy_fd; /* pinned copy of the policy in force, -1 without pin_dir */
	char pin_dir[PIN_PATH_MAX - 64];
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct bpflsm *b = ctx;
	struct bw_enforcer_alert a;
	char resource[BW_ENF_PATH_MAX + 64], dataf[64];

	if (size < sizeof(struct bw_enf_event) || !b->on_alert)
		return 0;
	bw_enf_alert_fill(data, b->cur, b->prev, &a, resource, sizeof(resource), dataf,
			  sizeof(dataf));
	b->on_alert(b->alert_arg, &a);
	return 0;
}

static void on_ringbuf_ready(evutil_socket_t fd, short what, void *arg)
{
	struct bpflsm *b = arg;

	ring_buffer__consume(b->rb);
}

int bw_enforcer_bpflsm_poll(struct bw_enforcer *e, int timeout_ms)
{
	struct bpflsm *b = e->priv;

	return ring_buffer__poll(b->rb, timeout_ms);
}

int bw_enforcer_bpflsm_stats(struct bw_enforcer *e, uint64_t out[BW_ENF_ST__MAX])
{
	struct bpflsm *b = e->priv;

	return bw_percpu_sum(bpf_map__fd(b->skel->maps.bw_enf_stats), BW_ENF_ST__MAX, out);
}

/* The version recorded in the rule map in force (after an adoption the
 * agent has no copy of the policy yet). */
static uint64_t map_version(struct bpflsm *b)
{
	uint32_t zero = 0, inner_id = 0;
	struct bw_enf_key k, next;
	struct bw_enf_val v;
	uint64_t version = 0;
	int fd, rc;

	if (bpf_map_lookup_elem(bpf_map__fd(b->skel->maps.bw_enf_rules), &zero, &inner_id) ||
	    !inner_id)
		return 0;
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return 0;
	rc = bpf_map_get_next_key(fd, NULL, &next);
	while (rc == 0) {
		k = next;
		if (k.kind == BW_ENF_K_RULESET && bpf_map_lookup_elem(fd, &k, &v) == 0) {
			version = v.version;
			break;
		}
		rc = bpf_map_get_next_key(fd, &k, &next);
	}
	close(fd);
	return version;
}

uint64_t bw_enforcer_bpflsm_version(struct bw_enforcer *e)
{
	struct bpflsm *b = e->priv;

	return b->version;
}

/* ---- inodes of exact-path rules (hard links) ------------------------------- */

struct inode_cache {
	uint64_t cgroup_id;
	int pid;
};

static int resolve_inode(void *arg, uint64_t cgroup_id, const char *path, uint32_t *dev,
			 uint64_t *ino)
{
	struct inode_cache *c = arg;
	char full[PATH_MAX_CG + 64];
	struct stat st;

	if (c->cgroup_id != cgroup_id || c->pid == 0) {
		c->cgroup_id = cgroup_id;
		c->pid = cgroup_id == 0 ? 1 : bw_cgroup_pid(cgroup_id);
	}
	if (c->pid < 0)
		return c->pid;
	snprintf(full, sizeof(full), "/proc/%d/root%s", c->pid, path);
	if (stat(full, &st))
		return -errno;
	*dev = BW_KERNEL_DEV(st.st_dev);
	*ino = st.st_ino;
	return 0;
}

int bw_enf_mapset_install(const struct bw_enf_mapset *m, int outer_fd, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_NO_PREALLOC);
	uint32_t zero = 0;
	int inner, rc = 0;

	/* A whole new map: hooks keep using the old one until the swap. */
	inner = bpf_map_create(BPF_MAP_TYPE_HASH, "bw_enf_gen", sizeof(struct bw_enf_key),
			       sizeof(struct bw_enf_val), m->n ? (uint32_t)m->n : 1, &mopts);
	if (inner < 0) {
		rc = -errno;
		snprintf(err, errlen, "creating a rule map of %zu entries: %s", m->n,
			 strerror(errno));
		return rc;
	}
	for (size_t i = 0; i < m->n; i++) {
		if (bpf_map_update_elem(inner, &m->entries[i].key, &m->entries[i].val,
					BPF_NOEXIST)) {
			rc = -errno;
			snprintf(err, errlen, "filling the rule map (entry %zu of %zu): %s", i,
				 m->n, strerror(errno));
			goto cleanup;
		}
	}
	if (bpf_map_update_elem(outer_fd, &zero, &inner, BPF_ANY)) {
		rc = -errno;
		snprintf(err, errlen, "swapping the rule map in: %s", strerror(errno));
	}
cleanup:
	close(inner); /* the outer map holds it now (or it is dropped) */
	return rc;
}

/* ---- the policy in force, kept beside the pinned rules --------------------
 * A restarted agent adopts the rule map; to name the rule behind an alert it
 * also needs the CompiledPolicy, so its packed bytes live in a pinned hash
 * map (chunk index -> bytes, header under POLICY_HDR).  Only userspace reads
 * it.  The header is invalidated first and written last: a crash half-way
 * leaves no policy rather than a corrupt one. */
#define POLICY_CHUNK 65536
#define POLICY_MAX_CHUNKS 1024
#define POLICY_HDR 0xffffffffu

struct policy_hdr {
	uint64_t version;
	uint64_t len;
};

static int policy_store_open(struct bpflsm *b)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = BPF_F_NO_PREALLOC);
	char path[PIN_PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/bw_enf_policy", b->pin_dir);
	fd = bpf_obj_get(path);
	if (fd >= 0)
		return fd;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, "bw_enf_policy", sizeof(uint32_t), POLICY_CHUNK,
			    POLICY_MAX_CHUNKS + 1, &o);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path)) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

static int policy_store_put(struct bpflsm *b, const Bulwark__V1__CompiledPolicy *cp)
{
	size_t len = bulwark__v1__compiled_policy__get_packed_size(cp);
	size_t n = (len + POLICY_CHUNK - 1) / POLICY_CHUNK;
	uint8_t *buf, *chunk;
	struct policy_hdr h = {0};
	uint32_t key = POLICY_HDR;
	int rc = 0;

	if (b->policy_fd < 0)
		return 0;
	if (n > POLICY_MAX_CHUNKS)
		return -E2BIG;
	buf = calloc(1, n * POLICY_CHUNK + POLICY_CHUNK);
	if (!buf)
		return -ENOMEM;
	bulwark__v1__compiled_policy__pack(cp, buf);
	chunk = buf + n * POLICY_CHUNK; /* zeroed: the header's value */
	if (bpf_map_update_elem(b->policy_fd, &key, chunk, BPF_ANY)) {
		rc = -errno;
		goto cleanup;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(b->policy_fd, &i, buf + (size_t)i * POLICY_CHUNK,
					BPF_ANY)) {
			rc = -errno;
			goto cleanup;
		}
	}
	h.version = cp->version;
	h.len = len;
	memcpy(chunk, &h, sizeof(h));
	if (bpf_map_update_elem(b->policy_fd, &key, chunk, BPF_ANY))
		rc = -errno;
cleanup:
	free(buf);
	return rc;
}

/* The stored policy when it is the one in the rule map, else NULL. */
static Bulwark__V1__CompiledPolicy *policy_store_get(struct bpflsm *b, uint64_t version)
{
	uint8_t *chunk = malloc(POLICY_CHUNK), *buf = NULL;
	Bulwark__V1__CompiledPolicy *cp = NULL;
	struct policy_hdr h;
	uint32_t key = POLICY_HDR;
	size_t n;

	if (!chunk || b->policy_fd < 0 || bpf_map_lookup_elem(b->policy_fd, &key, chunk))
		goto cleanup;
	memcpy(&h, chunk, sizeof(h));
	n = (h.len + POLICY_CHUNK - 1) / POLICY_CHUNK;
	if (h.version != version || h.len == 0 || n > POLICY_MAX_CHUNKS)
		goto cleanup;
	buf = malloc(n * POLICY_CHUNK);
	if (!buf)
		goto cleanup;
	for (uint32_t i = 0; i < n; i++)
		if (bpf_map_lookup_elem(b->policy_fd, &i, buf + (size_t)i * POLICY_CHUNK))
			goto cleanup;
	cp = bulwark__v1__compiled_policy__unpack(NULL, h.len, buf);
cleanup:
	free(buf);
	free(chunk);
	return cp;
}

static int apply(struct bw_enforcer *e, const Bulwark__V1__CompiledPolicy *cp, char ***unenf,
		 size_t *n_unenf, char *err, size_t errlen)
{
	struct bpflsm *b = e->priv;
	struct bw_enf_mapset *m = NULL;
	Bulwark__V1__CompiledPolicy *copy = NULL;
	struct inode_cache ic = {0};
	int rc;

	rc = bw_enf_maps_build_ex(cp, resolve_inode, &ic, &m, err, errlen);
	if (rc)
		return rc;
	copy = bw_compiled_policy_dup(cp);
	if (!copy) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory copying the policy");
		goto cleanup;
	}
	rc = bw_enf_mapset_install(m, bpf_map__fd(b->skel->maps.bw_enf_rules), err, errlen);
	if (rc)
		goto cleanup;
	bulwark__v1__compiled_policy__free_unpacked(b->prev, NULL);
	b->prev = b->cur;
	b->cur = copy;
	copy = NULL;
	b->version = cp->version;
	rc = policy_store_put(b, cp);
	if (rc) {
		/* Enforcement is in place; only alert names after a restart suffer. */
		bw_warn("BPF-LSM policy copy not pinned | version=%llu err=%s",
			(unsigned long long)cp->version, strerror(-rc));
		rc = 0;
	}
	if (unenf && n_unenf)
		bw_enf_mapset_take_unenforced(m, unenf, n_unenf);
	bw_info("BPF-LSM policy applied | version=%llu entries=%zu rulesets=%zu",
		(unsigned long long)cp->version, m->n, cp->n_containers + (cp->host ? 1 : 0));
cleanup:
	if (copy)
		bulwark__v1__compiled_policy__free_unpacked(copy, NULL);
	bw_enf_mapset_free(m);
	return rc;
}

static void destroy(struct bw_enforcer *e)
{
	struct bpflsm *b;

	if (!e)
		return;
	b = e->priv;
	if (b->rb_ev)
		event_free(b->rb_ev);
	ring_buffer__free(b->rb);
	/* Pinned links stay attached; unpinned ones detach here. */
	for (size_t i = 0; i < b->n_links; i++)
		bpf_link__destroy(b->links[i]);
	free(b->links);
	enforcer__destroy(b->skel);
	if (b->policy_fd >= 0)
		close(b->policy_fd);
	bulwark__v1__compiled_policy__free_unpacked(b->cur, NULL);
	bulwark__v1__compiled_policy__free_unpacked(b->prev, NULL);
	free(b);
}

static const struct bw_enforcer_ops bpflsm_ops = {
    .name = "BPFLSM",
    .kind = BULWARK__V1__ENFORCER__ENFORCER_BPFLSM,
    .apply = apply,
    .destroy = destroy,
};

/* The object's maps pinned under pin_dir, then the policy store. */
static const char *const pinned_maps[] = {"bw_enf_rules", "bw_enf_config", "bw_enf_events",
					  "bw_enf_stats", "bw_enf_policy"};
#define N_OBJ_PINNED 4

int bw_enforcer_bpflsm_unpin(const char *pin_dir)
{
	char path[PIN_PATH_MAX];
	struct bpf_program *prog;
	struct enforcer *skel;
	int rc = 0;

	for (size_t i = 0; i < sizeof(pinned_maps) / sizeof(pinned_maps[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", pin_dir, pinned_maps[i]);
		if (unlink(path) && errno != ENOENT)
			rc = -errno;
	}
	skel = enforcer__open();
	if (!skel)
		return -errno;
	bpf_object__for_each_program(prog, skel->obj)
	{
		snprintf(path, sizeof(path), "%s/link_%s", pin_dir, bpf_program__name(prog));
		if (unlink(path) && errno != ENOENT)
			rc = -errno;
	}
	enforcer__destroy(skel);
	rmdir(pin_dir);
	return rc;
}

/* A pinned map left by an agent with another map layout cannot be reused
 * (the load would fail and leave the node unprotected): it is unpinned, and
 * its rules come back with the next policy.  The old links keep enforcing
 * until ours replace them. */
static void drop_incompatible_pin(const struct bpf_map *m, const char *path)
{
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.type == bpf_map__type(m) &&
	    info.key_size == bpf_map__key_size(m) && info.value_size == bpf_map__value_size(m) &&
	    info.max_entries == bpf_map__max_entries(m) &&
	    info.map_flags == bpf_map__map_flags(m)) {
		close(fd);
		return;
	}
	close(fd);
	bw_warn("BPF-LSM pinned map has another layout; replacing it | path=%s", path);
	unlink(path);
}

static int attach_all(struct bpflsm *b)
{
	struct bpf_program *prog;
	char path[PIN_PATH_MAX];
	size_t n = 0;

	bpf_object__for_each_program(prog, b->skel->obj) n++;
	b->links = calloc(n, sizeof(*b->links));
	if (!b->links)
		return -ENOMEM;
	bpf_object__for_each_program(prog, b->skel->obj)
	{
		struct bpf_link *l;

		if (bpf_program__type(prog) != BPF_PROG_TYPE_LSM)
			continue;
		l = bpf_program__attach_lsm(prog);
		if (!l) {
			int rc = -errno;

			bw_warn("BPF-LSM attach failed | prog=%s err=%s", bpf_program__name(prog),
				strerror(-rc));
			return rc;
		}
		b->links[b->n_links++] = l;
		if (!b->pin_dir[0])
			continue;
		/* Attach first, then replace the pin: the previous agent's link
		 * (if any) detaches only once ours enforces. */
		snprintf(path, sizeof(path), "%s/link_%s", b->pin_dir, bpf_program__name(prog));
		unlink(path);
		if (bpf_link__pin(l, path)) {
			int rc = -errno;

			bw_warn("BPF-LSM link pin failed | path=%s err=%s", path, strerror(-rc));
			return rc;
		}
	}
	return 0;
}

int bw_enforcer_bpflsm_new(struct bw_enforcer **out, const struct bw_enforcer_opts *opts)
{
	struct bpflsm *b = calloc(1, sizeof(*b));
	struct bw_enf_config cfg = {.enabled = 1};
	char path[PIN_PATH_MAX];
	uint32_t zero = 0;
	int rc;

	if (!b)
		return -ENOMEM;
	b->pub.ops = &bpflsm_ops;
	b->pub.priv = b;
	b->policy_fd = -1;
	b->on_alert = opts->on_alert;
	b->alert_arg = opts->alert_arg;
	if (opts->pin_dir && opts->pin_dir[0]) {
		if (strlen(opts->pin_dir) >= sizeof(b->pin_dir)) {
			bw_warn("BPF-LSM pin dir too long | pin_dir=%s", opts->pin_dir);
			rc = -ENAMETOOLONG;
			goto cleanup;
		}
		strcpy(b->pin_dir, opts->pin_dir);
		rc = bw_mkdir_p(b->pin_dir);
		if (rc) {
			bw_warn("BPF-LSM pin dir | pin_dir=%s err=%s", b->pin_dir, strerror(-rc));
			goto cleanup;
		}
	}
	b->skel = enforcer__open();
	if (!b->skel) {
		rc = -errno;
		bw_warn("BPF-LSM open failed | err=%s", strerror(-rc));
		goto cleanup;
	}
	bpf_program__set_autoload(b->skel->progs.bw_enf_match_probe, false);
	if (b->pin_dir[0]) {
		for (size_t i = 0; i < N_OBJ_PINNED; i++) {
			struct bpf_map *m =
			    bpf_object__find_map_by_name(b->skel->obj, pinned_maps[i]);

			snprintf(path, sizeof(path), "%s/%s", b->pin_dir, pinned_maps[i]);
			if (m)
				drop_incompatible_pin(m, path);
			/* libbpf reuses a compatible pinned map, else pins the new one. */
			if (!m || bpf_map__set_pin_path(m, path)) {
				rc = -EINVAL;
				goto cleanup;
			}
		}
	}
	rc = enforcer__load(b->skel);
	if (rc) {
		rc = rc < 0 ? rc : -EINVAL;
		bw_warn("BPF-LSM load failed | err=%s pin_dir=%s", strerror(-rc), b->pin_dir);
		goto cleanup;
	}
	cfg.host_mntns = bw_host_mntns();
	if (bpf_map_update_elem(bpf_map__fd(b->skel->maps.bw_enf_config), &zero, &cfg, BPF_ANY)) {
		rc = -errno;
		goto cleanup;
	}
	rc = attach_all(b);
	if (rc)
		goto cleanup;
	b->version = map_version(b);
	if (b->pin_dir[0]) {
		b->policy_fd = policy_store_open(b);
		if (b->policy_fd < 0)
			bw_warn("BPF-LSM policy store | pin_dir=%s err=%s", b->pin_dir,
				strerror(-b->policy_fd));
		if (b->version)
			b->cur = policy_store_get(b, b->version);
	}
	b->rb = ring_buffer__new(bpf_map__fd(b->skel->maps.bw_enf_events), on_record, b, NULL);
	if (!b->rb) {
		rc = -errno;
		goto cleanup;
	}
	if (opts->base) {
		b->rb_ev = event_new(opts->base, ring_buffer__epoll_fd(b->rb), EV_READ | EV_PERSIST,
				     on_ringbuf_ready, b);
		if (!b->rb_ev || event_add(b->rb_ev, NULL)) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	bw_info(
	    "BPF-LSM enforcer ready | pin_dir=%s adopted_version=%llu adopted_policy=%s links=%zu",
	    b->pin_dir[0] ? b->pin_dir : "-", (unsigned long long)b->version, b->cur ? "yes" : "no",
	    b->n_links);
	*out = &b->pub;
	return 0;
cleanup:
	destroy(&b->pub);
	return rc;
}
