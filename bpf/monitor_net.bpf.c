// SPDX-License-Identifier: GPL-2.0
/*
 * System monitor, network part: socket, bind, listen, accept and connect
 * records (monitor.h) without syscall tracepoints, which would send every
 * syscall on the node through the kernel's slow path.  Instead:
 *
 *   socket   cgroup/sock_create      after an AF_INET/6 socket exists
 *   bind     cgroup/post_bind4/6     after a bind succeeded
 *   connect  cgroup/connect4/6       the attempt, in the caller's context;
 *            sock:inet_sock_set_state  its TCP outcome (SYN_SENT ->
 *                                    ESTABLISHED or CLOSE with sk_err)
 *   listen   sock:inet_sock_set_state  -> TCP_LISTEN (in listen()'s context)
 *   accept   sock:inet_sock_set_state  SYN_RECV -> ESTABLISHED on a listener
 *                                    (softirq): attributed to the process
 *                                    that made the listener listen (the
 *                                    agent seeds older listeners from /proc)
 *
 * The cgroup programs are attached to the cgroup v2 root (multi-attach, so
 * they sit beside the enforcer's) and always allow: the monitor never denies.
 * State changes after the first run in softirq context, where the current
 * task is whoever was interrupted: those records take the identity saved
 * earlier in process context and never call bpf_get_current_*.
 *
 * Records are built on the stack (under 200 bytes): a softirq may interrupt
 * a cgroup program on the same CPU, so a shared per-CPU scratch record could
 * be overwritten under it.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "monitor.h"
#include "bw_task.h"
#include "bw_mon_out.h"

char LICENSE[] SEC("license") = "GPL";

#define AF_INET_ 2
#define AF_INET6_ 10
#define IPPROTO_TCP_ 6
#define TCP_ESTABLISHED_ 1
#define TCP_SYN_SENT_ 2
#define TCP_SYN_RECV_ 3
#define TCP_CLOSE_ 7
#define TCP_LISTEN_ 10
#define ECONNABORTED_ 103
#define SA_IN_LEN 16
#define SA_IN6_LEN 28

/* sockaddr_in / sockaddr_in6 bytes: family, port (network order), then the
 * v4 address in w[0], or flowinfo, the v6 address in w[1..4] and scope. */
struct bw_sa {
	__u16 family;
	__u16 port;
	__u32 w[6];
};

struct bw_net_rec {
	struct bw_mon_hdr h;
	struct bw_sa sa; /* str0 */
};

/* TCP connects waiting for their outcome, by socket cookie (assigned at
 * connect, read back from the sock in the tracepoint).  LRU: a connect the
 * kernel refused before sending a SYN never resolves and must not pile up. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, __u64);
	__type(value, struct bw_net_rec);
} bw_mon_conn SEC(".maps");

/* Who made each listener listen (monitor.h): accepted connections are
 * reported as theirs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8192);
	__type(key, struct bw_listen_key);
	__type(value, struct bw_mon_hdr);
} bw_mon_listen SEC(".maps");

/* Identity of the current task (process context only). */
static __always_inline void bw_net_begin(struct bw_net_rec *r, __u32 type, __u32 sys)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	__builtin_memset(r, 0, sizeof(*r));
	r->h.ts_boot_ns = bpf_ktime_get_boot_ns();
	r->h.cgroup_id = bpf_get_current_cgroup_id();
	r->h.type = type;
	r->h.sys = sys;
	bw_task_ident(&r->h, t, 1);
}

static __always_inline void bw_net_send(struct bw_net_rec *r)
{
	__u32 len = r->sa.family == AF_INET6_ ? SA_IN6_LEN : SA_IN_LEN;

	r->h.str_off[0] = 0;
	r->h.str_len[0] = r->sa.family ? len : 0;
	bw_out(r, sizeof(r->h) + (r->sa.family ? len : 0));
}

/* sockaddr from a cgroup/sock (bpf_sock) context: src_port is host order.
 * v6 is a constant: post_bind4 may not even read the v6 fields. */
static __always_inline void bw_sa_local(struct bw_sa *sa, struct bpf_sock *sk, int v6)
{
	sa->family = v6 ? AF_INET6_ : AF_INET_;
	sa->port = bpf_htons((__u16)sk->src_port);
	if (v6) {
		sa->w[1] = sk->src_ip6[0];
		sa->w[2] = sk->src_ip6[1];
		sa->w[3] = sk->src_ip6[2];
		sa->w[4] = sk->src_ip6[3];
	} else {
		sa->w[0] = sk->src_ip4;
	}
}

/* ------------------------------------------------------------ process context */

SEC("cgroup/sock_create")
int bw_net_sock_create(struct bpf_sock *sk)
{
	struct bw_net_rec r;

	if (bw_ignored(bpf_get_current_pid_tgid() >> 32))
		return 1;
	bw_net_begin(&r, BW_MON_SOCKET, BW_SYS_SOCKET);
	r.h.arg[0] = sk->family;
	r.h.arg[1] = sk->type;
	r.h.arg[2] = sk->protocol;
	bw_net_send(&r);
	return 1;
}

static __always_inline int bw_net_bound(struct bpf_sock *sk, int v6)
{
	struct bw_net_rec r;

	if (bw_ignored(bpf_get_current_pid_tgid() >> 32))
		return 1;
	bw_net_begin(&r, BW_MON_BIND, BW_SYS_BIND);
	bw_sa_local(&r.sa, sk, v6);
	bw_net_send(&r);
	return 1;
}

SEC("cgroup/post_bind4")
int bw_net_post_bind4(struct bpf_sock *sk)
{
	return bw_net_bound(sk, 0);
}

SEC("cgroup/post_bind6")
int bw_net_post_bind6(struct bpf_sock *sk)
{
	return bw_net_bound(sk, 1);
}

static __always_inline int bw_net_connect(struct bpf_sock_addr *ctx, int v6)
{
	struct bw_net_rec r;
	__u64 cookie;

	if (bw_ignored(bpf_get_current_pid_tgid() >> 32))
		return 1;
	bw_net_begin(&r, BW_MON_CONNECT, BW_SYS_CONNECT);
	r.sa.family = v6 ? AF_INET6_ : AF_INET_;
	r.sa.port = (__u16)ctx->user_port;
	if (v6) {
		r.sa.w[1] = ctx->user_ip6[0];
		r.sa.w[2] = ctx->user_ip6[1];
		r.sa.w[3] = ctx->user_ip6[2];
		r.sa.w[4] = ctx->user_ip6[3];
	} else {
		r.sa.w[0] = ctx->user_ip4;
	}
	if (ctx->protocol != IPPROTO_TCP_) {
		/* UDP and friends connect without a handshake: nothing later
		 * tells more than that the hook let it through */
		bw_net_send(&r);
		return 1;
	}
	/* the outcome comes from the state tracepoint, which finds this by
	 * the cookie the kernel now keeps in the sock */
	cookie = bpf_get_socket_cookie(ctx);
	if (bpf_map_update_elem(&bw_mon_conn, &cookie, &r, BPF_ANY))
		bw_lost(BW_LOST_PENDING);
	return 1;
}

SEC("cgroup/connect4")
int bw_net_connect4(struct bpf_sock_addr *ctx)
{
	return bw_net_connect(ctx, 0);
}

SEC("cgroup/connect6")
int bw_net_connect6(struct bpf_sock_addr *ctx)
{
	return bw_net_connect(ctx, 1);
}

/* ------------------------------------------------------------ state changes */

static __always_inline void bw_sa_of_tp(struct bw_sa *sa,
					struct trace_event_raw_inet_sock_set_state *ctx, int peer)
{
	/* ctx fields at constant offsets, in aligned words: the verifier
	 * refuses a moved context pointer */
	sa->family = ctx->family;
	if (peer) {
		sa->port = bpf_htons(ctx->dport);
		if (ctx->family == AF_INET6_) {
			sa->w[1] = *(const __u32 *)&ctx->daddr_v6[0];
			sa->w[2] = *(const __u32 *)&ctx->daddr_v6[4];
			sa->w[3] = *(const __u32 *)&ctx->daddr_v6[8];
			sa->w[4] = *(const __u32 *)&ctx->daddr_v6[12];
		} else {
			sa->w[0] = *(const __u32 *)&ctx->daddr[0];
		}
	} else {
		sa->port = bpf_htons(ctx->sport);
		if (ctx->family == AF_INET6_) {
			sa->w[1] = *(const __u32 *)&ctx->saddr_v6[0];
			sa->w[2] = *(const __u32 *)&ctx->saddr_v6[4];
			sa->w[3] = *(const __u32 *)&ctx->saddr_v6[8];
			sa->w[4] = *(const __u32 *)&ctx->saddr_v6[12];
		} else {
			sa->w[0] = *(const __u32 *)&ctx->saddr[0];
		}
	}
}

static __always_inline void bw_listen_key_of(struct bw_listen_key *k, struct sock *sk,
					     struct trace_event_raw_inet_sock_set_state *ctx)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	k->family = ctx->family;
	k->port = ctx->sport;
}

/* SYN_SENT -> ESTABLISHED or CLOSE: the outcome of a connect (any context). */
static __always_inline void bw_connect_done(struct sock *sk, int newstate)
{
	__u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	struct bw_net_rec *p, r;

	if (!cookie)
		return; /* nobody asked for a cookie: not a connect we saw */
	p = bpf_map_lookup_elem(&bw_mon_conn, &cookie);
	if (!p)
		return;
	r = *p;
	bpf_map_delete_elem(&bw_mon_conn, &cookie);
	r.h.ts_boot_ns = bpf_ktime_get_boot_ns();
	if (newstate == TCP_CLOSE_) {
		int err = BPF_CORE_READ(sk, sk_err);

		/* no error: given up before the handshake ended (closed by
		 * the process, or the kernel could not send the SYN) */
		r.h.ret = err ? -err : -ECONNABORTED_;
	}
	bw_net_send(&r);
}

/* -> LISTEN: inside listen(), so the current task is the caller. */
static __always_inline void bw_listening(struct trace_event_raw_inet_sock_set_state *ctx,
					 struct sock *sk)
{
	struct bw_listen_key k;
	struct bw_net_rec r;

	if (bw_ignored(bpf_get_current_pid_tgid() >> 32))
		return;
	bw_net_begin(&r, BW_MON_LISTEN, BW_SYS_LISTEN);
	r.h.arg[1] = BPF_CORE_READ(sk, sk_max_ack_backlog);
	bw_sa_of_tp(&r.sa, ctx, 0);
	bw_listen_key_of(&k, sk, ctx);
	bpf_map_update_elem(&bw_mon_listen, &k, &r.h, BPF_ANY);
	bw_net_send(&r);
}

/* SYN_RECV -> ESTABLISHED (softirq): a connection for a listener's queue. */
static __always_inline void bw_accepted(struct trace_event_raw_inet_sock_set_state *ctx,
					struct sock *sk)
{
	struct bw_listen_key k;
	struct bw_mon_hdr *owner;
	struct bw_net_rec r;

	bw_listen_key_of(&k, sk, ctx);
	owner = bpf_map_lookup_elem(&bw_mon_listen, &k);
	if (!owner)
		return; /* the agent's own, or the owner could not be learnt from /proc */
	__builtin_memset(&r, 0, sizeof(r));
	r.h = *owner;
	__builtin_memset(r.h.arg, 0, sizeof(r.h.arg));
	r.h.ts_boot_ns = bpf_ktime_get_boot_ns();
	r.h.type = BW_MON_ACCEPT;
	r.h.sys = BW_SYS_ACCEPT;
	r.h.ret = 0;
	bw_sa_of_tp(&r.sa, ctx, 1);
	bw_net_send(&r);
}

SEC("tracepoint/sock/inet_sock_set_state")
int bw_net_state(struct trace_event_raw_inet_sock_set_state *ctx)
{
	struct sock *sk = (struct sock *)ctx->skaddr;
	int o = ctx->oldstate, n = ctx->newstate;

	if (ctx->protocol != IPPROTO_TCP_)
		return 0;
	if (o == TCP_SYN_SENT_ && (n == TCP_ESTABLISHED_ || n == TCP_CLOSE_)) {
		bw_connect_done(sk, n);
	} else if (n == TCP_LISTEN_ && o != TCP_LISTEN_) {
		bw_listening(ctx, sk);
	} else if (o == TCP_LISTEN_ && n == TCP_CLOSE_) {
		struct bw_listen_key k;

		bw_listen_key_of(&k, sk, ctx);
		bpf_map_delete_elem(&bw_mon_listen, &k);
	} else if (o == TCP_SYN_RECV_ && n == TCP_ESTABLISHED_) {
		bw_accepted(ctx, sk);
	}
	return 0;
}
