/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Syscall monitor: loads bpf/syscall_audit.bpf.c, swaps complete rule maps in
 * for each policy and turns ring-buffer records into audit alerts.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <event2/event.h>

#include "bw_array.h"
#include "bw_wire.h"
#include "enforce_priv.h"
#include "syscall_audit.h"
#include "bw_enf_hash.h"
#include "bw_log.h"
#include "syscall_audit.skel.h"

struct bw_syscall_audit {
	struct syscall_audit *skel;
	struct bpf_link *link;
	struct ring_buffer *rb;
	struct event *rb_ev;
	bw_enforcer_alert_fn on_alert;
	void *alert_arg;
	/* The policy in force and the one before (records raised just before
	 * a swap still name their rule).  Owned copies. */
	Bulwark__V1__CompiledPolicy *cur, *prev;
};

/* ---- translation ------------------------------------------------------------ */

struct sbuild {
	struct bw_sys_entry *v;
	size_t n, cap;
	char **un;
	size_t n_un;
};

static int sb_push(struct sbuild *b, const struct bw_sys_entry *e)
{
	if (BW_GROW(b->v, b->cap, b->n + 1))
		return -ENOMEM;
	b->v[b->n++] = *e;
	return 0;
}

static int sb_unenforced(struct sbuild *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = bw_unenforced_vadd(&b->un, &b->n_un, fmt, ap);
	va_end(ap);
	return rc;
}

/* Names of the syscalls path rules can name (bw_sys_path_arg). */
static const struct {
	unsigned nr;
	const char *name;
} path_sys_names[] = {
    {2, "SYS_OPEN"},	      {4, "SYS_STAT"},	       {6, "SYS_LSTAT"},
    {21, "SYS_ACCESS"},	      {59, "SYS_EXECVE"},      {76, "SYS_TRUNCATE"},
    {80, "SYS_CHDIR"},	      {82, "SYS_RENAME"},      {83, "SYS_MKDIR"},
    {84, "SYS_RMDIR"},	      {85, "SYS_CREAT"},       {86, "SYS_LINK"},
    {87, "SYS_UNLINK"},	      {88, "SYS_SYMLINK"},     {89, "SYS_READLINK"},
    {90, "SYS_CHMOD"},	      {92, "SYS_CHOWN"},       {94, "SYS_LCHOWN"},
    {133, "SYS_MKNOD"},	      {161, "SYS_CHROOT"},     {188, "SYS_SETXATTR"},
    {197, "SYS_REMOVEXATTR"}, {257, "SYS_OPENAT"},     {258, "SYS_MKDIRAT"},
    {259, "SYS_MKNODAT"},     {260, "SYS_FCHOWNAT"},   {262, "SYS_NEWFSTATAT"},
    {263, "SYS_UNLINKAT"},    {264, "SYS_RENAMEAT"},   {265, "SYS_LINKAT"},
    {266, "SYS_SYMLINKAT"},   {267, "SYS_READLINKAT"}, {268, "SYS_FCHMODAT"},
    {269, "SYS_FACCESSAT"},   {280, "SYS_UTIMENSAT"},  {316, "SYS_RENAMEAT2"},
    {322, "SYS_EXECVEAT"},    {332, "SYS_STATX"},      {437, "SYS_OPENAT2"},
    {439, "SYS_FACCESSAT2"},
};

static const char *path_sys_name(unsigned nr)
{
	for (size_t i = 0; i < sizeof(path_sys_names) / sizeof(path_sys_names[0]); i++)
		if (path_sys_names[i].nr == nr)
			return path_sys_names[i].name;
	return NULL;
}

/* FNV-1a of a normalised absolute path, as the tracepoint computes it
 * ("/" is the basis, "/a/b/" is "/a/b"); -EINVAL for anything else. */
static int path_hash(const char *path, uint64_t *out)
{
	uint64_t h = BW_FNV_BASIS;
	const char *p = path;

	if (!path || path[0] != '/')
		return -EINVAL;
	while (*p) {
		const char *start;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		start = p;
		while (*p && *p != '/')
			p++;
		if ((p - start == 1 && start[0] == '.') ||
		    (p - start == 2 && start[0] == '.' && start[1] == '.'))
			return -EINVAL;
		h = bw_fnv_byte(h, '/');
		for (const char *c = start; c < p; c++)
			h = bw_fnv_byte(h, (unsigned char)*c);
	}
	*out = h;
	return 0;
}

static int key_cmp(const void *a, const void *b)
{
	const struct bw_sys_entry *x = a, *y = b;

	if (x->key.cgroup_id != y->key.cgroup_id)
		return x->key.cgroup_id < y->key.cgroup_id ? -1 : 1;
	if (x->key.kind != y->key.kind)
		return x->key.kind < y->key.kind ? -1 : 1;
	if (x->key.nr != y->key.nr)
		return x->key.nr < y->key.nr ? -1 : 1;
	if (x->key.path_hash != y->key.path_hash)
		return x->key.path_hash < y->key.path_hash ? -1 : 1;
	if (x->key.src_ino != y->key.src_ino)
		return x->key.src_ino < y->key.src_ino ? -1 : 1;
	if (x->key.src_dev != y->key.src_dev)
		return x->key.src_dev < y->key.src_dev ? -1 : 1;
	/* Equal keys: Block before Audit, then rule order (the one kept). */
	if (x->val.action != y->val.action)
		return x->val.action < y->val.action ? -1 : 1;
	return x->val.rule_id < y->val.rule_id ? -1 : x->val.rule_id > y->val.rule_id;
}

static int add_ruleset(struct sbuild *b, const Bulwark__V1__CompiledPolicy *cp,
		       const Bulwark__V1__RuleSet *rs, uint32_t rs_idx, bw_sys_inode_fn resolve,
		       void *rarg, char *err, size_t errlen)
{
	const char *name = rs->container_id && rs->container_id[0] ? rs->container_id : "host";
	size_t before = b->n;
	int rc = 0;

	for (size_t ri = 0; ri < rs->n_rules && ri <= 0xffff; ri++) {
		const Bulwark__V1__Rule *r = rs->rules[ri];
		const char *pol =
		    r && r->origin && r->origin->policy_name ? r->origin->policy_name : "?";
		struct bw_sys_entry e = {0};

		if (!r) {
			snprintf(err, errlen, "ruleset %s rule %zu is empty", name, ri);
			return -EINVAL;
		}
		int pidx, didx;
		uint64_t ph = 0;
		uint32_t kind = BW_SYS_K_CALL;

		if (r->operation != BULWARK__V1__OPERATION__OP_SYSCALL)
			continue;
		if (r->match == BULWARK__V1__MATCH_KIND__MATCH_PATH)
			kind = BW_SYS_K_PATH;
		else if (r->match == BULWARK__V1__MATCH_KIND__MATCH_DIR)
			kind = BW_SYS_K_DIR;
		else if (r->match == BULWARK__V1__MATCH_KIND__MATCH_DIR_RECURSIVE)
			kind = BW_SYS_K_REC;
		if (r->match != BULWARK__V1__MATCH_KIND__MATCH_SYSCALL && kind == BW_SYS_K_CALL)
			rc = sb_unenforced(b,
					   "ruleset %s rule %zu (policy %s): match kind %d is not "
					   "evaluated by the syscall monitor",
					   name, ri, pol, r->match);
		else if (kind != BW_SYS_K_CALL && !bw_sys_path_arg(r->syscall, &pidx, &didx))
			rc =
			    sb_unenforced(b,
					  "ruleset %s rule %zu (policy %s): syscall %u has no path "
					  "argument the syscall monitor reads ('%s')",
					  name, ri, pol, r->syscall, r->value ? r->value : "");
		else if (kind != BW_SYS_K_CALL && path_hash(r->value, &ph)) {
			snprintf(err, errlen,
				 "ruleset %s rule %zu (policy %s): path '%s' is not absolute and "
				 "normalised",
				 name, ri, pol, r->value ? r->value : "");
			return -EINVAL;
		} else if (r->action == BULWARK__V1__ACTION__ACTION_ALLOW)
			rc = sb_unenforced(b,
					   "ruleset %s rule %zu (policy %s): Allow syscall rules "
					   "have no effect in the syscall monitor",
					   name, ri, pol);
		else if (r->syscall >= BW_SYS_NR_MAX)
			rc = sb_unenforced(b,
					   "ruleset %s rule %zu (policy %s): syscall %u is beyond "
					   "the %d the monitor looks at",
					   name, ri, pol, r->syscall, BW_SYS_NR_MAX);
		else
			goto keep;
		if (rc)
			return rc;
		continue;
	keep:
		e.key.cgroup_id = rs->cgroup_id;
		e.key.nr = r->syscall;
		e.key.kind = kind;
		e.key.path_hash = ph;
		e.val.version = cp->version;
		e.val.rule_id = (rs_idx << 16) | (uint32_t)ri;
		e.val.action = r->action == BULWARK__V1__ACTION__ACTION_BLOCK ? BW_SYS_A_BLOCK
									      : BW_SYS_A_AUDIT;
		if (r->n_from_source == 0) {
			rc = sb_push(b, &e);
			if (rc)
				return rc;
		}
		for (size_t i = 0; i < r->n_from_source; i++) {
			const Bulwark__V1__Source *s = r->from_source[i];
			uint32_t dev = 0;
			uint64_t ino = 0;

			if (s->dir || !resolve || !s->path ||
			    resolve(rarg, rs->cgroup_id, s->path, &dev, &ino)) {
				rc = sb_unenforced(
				    b,
				    "ruleset %s rule %zu (policy %s): fromSource '%s' "
				    "%s",
				    name, ri, pol, s->path ? s->path : "",
				    s->dir ? "is a directory; the syscall monitor "
					     "matches executables only"
					   : "was not found; the rule waits for it");
			} else {
				e.key.src_ino = ino;
				e.key.src_dev = dev;
				rc = sb_push(b, &e);
			}
			if (rc)
				return rc;
		}
		e.key = (struct bw_sys_key){.cgroup_id = BW_SYS_ANY_CGROUP, .nr = r->syscall};
		e.val.flags = kind != BW_SYS_K_CALL ? BW_SYS_F_PATHS : 0;
		rc = sb_push(b, &e);
		if (rc)
			return rc;
	}
	if (b->n > before) {
		/* Tasks of this cgroup are judged by these rules. */
		struct bw_sys_entry e = {
		    .key = {.cgroup_id = rs->cgroup_id, .kind = BW_SYS_K_RULESET}};

		e.val.version = cp->version;
		return sb_push(b, &e);
	}
	return 0;
}

int bw_syscall_audit_build(const Bulwark__V1__CompiledPolicy *cp, bw_sys_inode_fn resolve,
			   void *resolve_arg, struct bw_sys_entry **entries, size_t *n,
			   char ***unenforced, size_t *n_unenforced, char *err, size_t errlen)
{
	struct sbuild b = {0};
	size_t out = 0;
	int rc = 0;

	if (!cp) {
		snprintf(err, errlen, "no compiled policy");
		return -EINVAL;
	}
	if (cp->host)
		rc = add_ruleset(&b, cp, cp->host, 0, resolve, resolve_arg, err, errlen);
	for (size_t i = 0; !rc && i < cp->n_containers && i < 0xfffe; i++) {
		const Bulwark__V1__RuleSet *rs = cp->containers[i];

		/* A container without a cgroup yet: the enforcer reports it. */
		if (rs && rs->cgroup_id != 0)
			rc = add_ruleset(&b, cp, rs, (uint32_t)i + 1, resolve, resolve_arg, err,
					 errlen);
	}
	if (rc) {
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory");
		free(b.v);
		for (size_t i = 0; i < b.n_un; i++)
			free(b.un[i]);
		free(b.un);
		return rc;
	}
	if (b.n) {
		qsort(b.v, b.n, sizeof(b.v[0]), key_cmp);
		for (size_t i = 1; i < b.n; i++) {
			struct bw_sys_entry *d = &b.v[out];

			if (memcmp(&d->key, &b.v[i].key, sizeof(d->key)) != 0)
				b.v[++out] = b.v[i];
			else
				d->val.flags |= b.v[i].val.flags; /* filter: any path rule */
		}
		out++;
	}
	*entries = b.v;
	*n = out;
	if (unenforced && n_unenforced) {
		*unenforced = b.un;
		*n_unenforced = b.n_un;
	} else {
		for (size_t i = 0; i < b.n_un; i++)
			free(b.un[i]);
		free(b.un);
	}
	return 0;
}

/* ---- fromSource executables ------------------------------------------------ */

static int resolve_exe(void *arg, uint64_t cgroup_id, const char *path, uint32_t *dev,
		       uint64_t *ino)
{
	char full[4200];
	struct stat st;
	int pid = cgroup_id == 0 ? 1 : bw_cgroup_pid(cgroup_id);

	if (pid < 0)
		return pid;
	snprintf(full, sizeof(full), "/proc/%d/root%s", pid, path);
	/* Without /proc/1 (no hostPID) the agent's own view is the host's. */
	if (stat(full, &st) && (cgroup_id != 0 || stat(path, &st)))
		return -errno;
	*dev = BW_KERNEL_DEV(st.st_dev);
	*ino = st.st_ino;
	return 0;
}

/* ---- kernel side ------------------------------------------------------------- */

static const Bulwark__V1__Rule *rule_of(const Bulwark__V1__CompiledPolicy *cp, uint64_t version,
					uint32_t rule_id)
{
	uint32_t rsi = rule_id >> 16, ri = rule_id & 0xffff;
	const Bulwark__V1__RuleSet *rs;

	if (!cp || cp->version != version)
		return NULL;
	rs = rsi == 0 ? cp->host : rsi - 1 < cp->n_containers ? cp->containers[rsi - 1] : NULL;
	return rs && ri < rs->n_rules ? rs->rules[ri] : NULL;
}

static int on_record(void *ctx, void *data, size_t size)
{
	struct bw_syscall_audit *sa = ctx;
	const struct bw_sys_event *ev = data;
	const Bulwark__V1__Rule *r;
	struct bw_enforcer_alert a = {0};
	char name[64], resource[BW_SYS_PATH_MAX + 8], dataf[96];
	const char *pn = path_sys_name(ev->nr);

	if (size < sizeof(*ev) || !sa->on_alert)
		return 0;
	r = rule_of(sa->cur, ev->version, ev->rule_id);
	if (!r)
		r = rule_of(sa->prev, ev->version, ev->rule_id);
	if (pn) {
		snprintf(name, sizeof(name), "%s", pn);
	} else if (r && r->match == BULWARK__V1__MATCH_KIND__MATCH_SYSCALL && r->value &&
		   r->value[0] && r->syscall == ev->nr) {
		size_t k = (size_t)snprintf(name, sizeof(name), "SYS_");

		for (const char *c = r->value; *c && k + 1 < sizeof(name); c++)
			name[k++] = (char)toupper((unsigned char)*c);
		name[k] = 0;
	} else {
		snprintf(name, sizeof(name), "SYS_%u", ev->nr);
	}
	if (ev->flags & BW_SYS_EV_PATH)
		snprintf(resource, sizeof(resource), "%.*s%s",
			 (int)strnlen(ev->path, BW_SYS_PATH_MAX), ev->path,
			 ev->flags & BW_SYS_EV_TRUNCATED ? "..." : "");
	else
		snprintf(resource, sizeof(resource), "%s", name);
	snprintf(dataf, sizeof(dataf), "syscall=%s", name);
	a.ts_boot_ns = ev->ts_boot_ns;
	a.cgroup_id = ev->cgroup_id;
	a.host_pid = ev->pid;
	a.host_tid = ev->tid;
	a.host_ppid = ev->ppid;
	a.uid = ev->uid;
	memcpy(a.comm, ev->comm, sizeof(a.comm));
	a.comm[sizeof(a.comm) - 1] = 0;
	a.operation = "Syscall";
	a.resource = resource;
	a.data = dataf;
	a.enforcer = "eBPF Monitor";
	a.blocked = 0;
	a.host = !!(ev->flags & BW_SYS_EV_HOST);
	a.origin = r ? r->origin : NULL;
	a.action = ev->action == BW_SYS_A_BLOCK ? "Audit (Block)" : "Audit";
	sa->on_alert(sa->alert_arg, &a);
	return 0;
}

/*
 * An attached syscall tracepoint sends every syscall of the node through the
 * kernel's slow path (SYSCALL_WORK_SYSCALL_TRACEPOINT is set on every task),
 * which costs the whole node several percent: so the program is attached
 * only while at least one matchSyscalls rule is loaded.
 */
static int set_attached(struct bw_syscall_audit *sa, int on)
{
	if (on && !sa->link) {
		sa->link = bpf_program__attach(sa->skel->progs.bw_sys_enter);
		if (!sa->link) {
			int rc = -errno;

			return rc ? rc : -EINVAL;
		}
	} else if (!on && sa->link) {
		bpf_link__destroy(sa->link);
		sa->link = NULL;
	}
	return 0;
}

int bw_syscall_audit_attached(const struct bw_syscall_audit *sa)
{
	return sa && sa->link != NULL;
}

static void on_ringbuf_ready(evutil_socket_t fd, short what, void *arg)
{
	struct bw_syscall_audit *sa = arg;

	ring_buffer__consume(sa->rb);
}

int bw_syscall_audit_new(struct bw_syscall_audit **out, struct event_base *base,
			 bw_enforcer_alert_fn on_alert, void *arg)
{
	struct bw_syscall_audit *sa = calloc(1, sizeof(*sa));
	struct bw_sys_config cfg = {.enabled = 1};
	uint32_t zero = 0;
	int rc;

	if (!sa)
		return -ENOMEM;
	sa->on_alert = on_alert;
	sa->alert_arg = arg;
	sa->skel = syscall_audit__open_and_load();
	if (!sa->skel) {
		rc = -errno ? -errno : -EINVAL;
		bw_warn("syscall monitor load failed | err=%s", strerror(-rc));
		goto cleanup;
	}
	cfg.host_mntns = bw_host_mntns();
	if (bpf_map_update_elem(bpf_map__fd(sa->skel->maps.bw_sys_config), &zero, &cfg, BPF_ANY)) {
		rc = -errno;
		goto cleanup;
	}
	/* Attached once to learn now whether the kernel takes it; from here on
	 * only while rules are loaded (bw_syscall_audit_apply). */
	rc = set_attached(sa, 1);
	if (rc) {
		bw_warn("syscall monitor attach failed | err=%s", strerror(-rc));
		goto cleanup;
	}
	set_attached(sa, 0);
	sa->rb = ring_buffer__new(bpf_map__fd(sa->skel->maps.bw_sys_events), on_record, sa, NULL);
	if (!sa->rb) {
		rc = -errno ? -errno : -ENOMEM;
		goto cleanup;
	}
	if (base) {
		sa->rb_ev = event_new(base, ring_buffer__epoll_fd(sa->rb), EV_READ | EV_PERSIST,
				      on_ringbuf_ready, sa);
		if (!sa->rb_ev || event_add(sa->rb_ev, NULL)) {
			rc = -ENOMEM;
			goto cleanup;
		}
	}
	*out = sa;
	return 0;
cleanup:
	bw_syscall_audit_free(sa);
	return rc;
}

int bw_syscall_audit_apply(struct bw_syscall_audit *sa, const Bulwark__V1__CompiledPolicy *cp,
			   char ***unenforced, size_t *n_unenforced, char *err, size_t errlen)
{
	LIBBPF_OPTS(bpf_map_create_opts, mopts, .map_flags = BPF_F_NO_PREALLOC);
	struct bw_sys_entry *v = NULL;
	Bulwark__V1__CompiledPolicy *copy = NULL;
	char **un = NULL;
	size_t n = 0, n_un = 0;
	uint32_t zero = 0;
	int inner = -1, rc;

	rc = bw_syscall_audit_build(cp, resolve_exe, NULL, &v, &n, &un, &n_un, err, errlen);
	if (rc)
		return rc;
	copy = bw_compiled_policy_dup(cp);
	if (!copy) {
		rc = -ENOMEM;
		snprintf(err, errlen, "out of memory copying the policy");
		goto cleanup;
	}
	/* A whole new map: the tracepoint keeps using the old one until the swap. */
	inner = bpf_map_create(BPF_MAP_TYPE_HASH, "bw_sys_gen", sizeof(struct bw_sys_key),
			       sizeof(struct bw_sys_val), n ? (uint32_t)n : 1, &mopts);
	if (inner < 0) {
		rc = -errno;
		snprintf(err, errlen, "creating a syscall rule map of %zu entries: %s", n,
			 strerror(errno));
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (bpf_map_update_elem(inner, &v[i].key, &v[i].val, BPF_NOEXIST)) {
			rc = -errno;
			snprintf(err, errlen, "filling the syscall rule map (entry %zu of %zu): %s",
				 i, n, strerror(errno));
			goto cleanup;
		}
	}
	/* Attached before the swap (still judging by the old rules), detached
	 * after it: no moment where loaded rules are not looked at. */
	if (n) {
		rc = set_attached(sa, 1);
		if (rc) {
			snprintf(err, errlen, "attaching the syscall tracepoint: %s",
				 strerror(-rc));
			goto cleanup;
		}
	}
	if (bpf_map_update_elem(bpf_map__fd(sa->skel->maps.bw_sys_rules), &zero, &inner, BPF_ANY)) {
		rc = -errno;
		snprintf(err, errlen, "swapping the syscall rule map in: %s", strerror(errno));
		goto cleanup;
	}
	if (!n)
		set_attached(sa, 0);
	bulwark__v1__compiled_policy__free_unpacked(sa->prev, NULL);
	sa->prev = sa->cur;
	sa->cur = copy;
	copy = NULL;
	if (unenforced && n_unenforced) {
		char **grown = realloc(*unenforced, (*n_unenforced + n_un + 1) * sizeof(*grown));

		if (grown) {
			memcpy(grown + *n_unenforced, un, n_un * sizeof(*un));
			*unenforced = grown;
			*n_unenforced += n_un;
			n_un = 0;
		}
	}
	bw_info("syscall monitor policy applied | version=%llu entries=%zu attached=%s",
		(unsigned long long)cp->version, n, sa->link ? "yes" : "no");
cleanup:
	if (inner >= 0)
		close(inner); /* the outer map holds it now (or it is dropped) */
	for (size_t i = 0; i < n_un; i++)
		free(un[i]);
	free(un);
	free(v);
	if (copy)
		bulwark__v1__compiled_policy__free_unpacked(copy, NULL);
	return rc;
}

int bw_syscall_audit_poll(struct bw_syscall_audit *sa, int timeout_ms)
{
	return ring_buffer__poll(sa->rb, timeout_ms);
}

int bw_syscall_audit_stats(struct bw_syscall_audit *sa, uint64_t out[BW_SYS_ST__MAX])
{
	return bw_percpu_sum(bpf_map__fd(sa->skel->maps.bw_sys_stats), BW_SYS_ST__MAX, out);
}

void bw_syscall_audit_free(struct bw_syscall_audit *sa)
{
	if (!sa)
		return;
	if (sa->rb_ev)
		event_free(sa->rb_ev);
	ring_buffer__free(sa->rb);
	bpf_link__destroy(sa->link);
	syscall_audit__destroy(sa->skel);
	bulwark__v1__compiled_policy__free_unpacked(sa->cur, NULL);
	bulwark__v1__compiled_policy__free_unpacked(sa->prev, NULL);
	free(sa);
}
