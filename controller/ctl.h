/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal to controller_core: the controller's state and the functions the
 * store, API, channel and compiler parts call on each other.  Everything
 * runs on the one event loop.
 */
#ifndef BW_CTL_H
#define BW_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <event2/event.h>
#include <nng/nng.h>

#include "bulwark.pb-c.h"
#include "bw_policy.h"
#include "ctl_blob.h"
#include "ctl_map.h"
#include "controller.h"
#include "metrics.h"
#include "store.h"

/* Record types in the store. */
#define REC_POLICY 'P'	      /* key kind/ns/name, value canonical JSON */
#define REC_POSTURE 'S'	      /* key namespace, value JSON */
#define REC_NODE 'N'	      /* key node name, value JSON */
#define REC_CONTAINER 'C'     /* key id, value node NUL packed Container (from agents) */
#define REC_OVERLAY 'O'	      /* key id, value JSON (from the API) */
#define REC_POLICY_SOURCE 'K' /* key kind/ns/name, value "kubernetes": from a CRD */

struct ctl_policy {
	enum bw_policy_kind kind;
	char *ns, *name;
	char *json; /* canonical, as stored */
	uint64_t updated_ns;
	int from_k8s; /* applied from a CRD object (Kubernetes mode), not the API */
	int k8s_seen; /* reported by the API server since this controller started */
};

struct ctl_posture {
	char file[8], network[8], capabilities[8]; /* "audit" | "block" | "" (default) */
	/* kubearmor-visibility, canonical (bw_visibility_canon) or "" (not set:
	 * the agents' own configuration applies). */
	char visibility[48];
};

/* The store record of a posture (JSON) into buf; its length. */
int ctl_posture_record(const struct ctl_posture *p, char *buf, size_t len);
/* Pushes a namespace's posture and visibility to the compile inventory. */
void ctl_posture_sync(struct bw_controller *c, const char *ns, const struct ctl_posture *p);

struct ctl_container;

enum ctl_node_state {
	NODE_UNKNOWN = 0, /* known from the store or the API, no agent yet */
	NODE_READY,
	NODE_NOT_READY, /* agent disconnected or stopped heartbeating */
};

struct ctl_node {
	char *name;
	char *labels; /* "k=v,k=v" */
	char *kernel, *agent_version, *enforcers, *unenforceable;
	int enforcer;
	uint64_t boot_id;
	/* policy */
	uint64_t version;	  /* latest compiled version (persisted) */
	unsigned char digest[16]; /* of the latest compiled policy */
	int has_digest;
	uint64_t applied_version; /* acknowledged by the agent */
	/* Wall clock when the controller had processed the latest successful
	 * ack (GET /v1/nodes applied_at; the benchmark's end point). */
	uint64_t applied_ns;
	int ack_ok;
	char *ack_message, *unenforced;
	uint64_t push_mono_ns; /* when version was last sent */
	uint64_t sent_version;
	/* liveness */
	enum ctl_node_state state;
	uint32_t pipe; /* nng pipe id, 0 when not connected */
	uint64_t registered_ns, last_heartbeat_ns, last_heartbeat_mono;
	uint64_t events_sent, events_lost, events_dropped;
	/* work flags */
	int dirty;	   /* inputs changed: recompile */
	int force_send;	   /* send even if the digest did not change */
	int awaiting_full; /* registered, full container report not in yet */
	int persist_dirty;
	struct ctl_container *ctrs; /* list of containers on this node */
	size_t n_ctrs;
};

struct ctl_container {
	struct ctl_node *node;
	struct ctl_container *prev, *next; /* in node->ctrs */
	/* The agent's report, packed, less its id, in two parts whose
	 * concatenation parses as the Container (ctl_container_agent): agent
	 * holds what is the container's own (name, pod_name, cgroup_id, pid,
	 * namespaces), shared what its replicas have alike (image, namespace,
	 * labels, runtime, ...), interned in c->blobs.  NULL: no report. */
	unsigned char *agent;
	struct ctl_blob *shared;
	char *overlay; /* JSON from POST /v1/containers; NULL if none */
	uint32_t agent_len : 31;
	uint32_t in_inventory : 1;
	/* In the same allocation (CTL_CONTAINER_SIZE): the containers map and
	 * the inventory borrow it (with a 64-hex id, 117 bytes in a 128-byte
	 * malloc chunk). */
	char id[];
};

#define CTL_CONTAINER_SIZE(id_len) (offsetof(struct ctl_container, id) + (id_len) + 1)

struct ctl_api;
struct ctl_channel;
struct ctl_k8s;

struct bw_controller {
	struct event_base *base;
	struct bw_controller_config cfg;
	struct bw_store *store;
	struct ctl_map *policies;   /* key -> ctl_policy */
	struct ctl_map *postures;   /* ns -> ctl_posture */
	struct ctl_map *nodes;	    /* name -> ctl_node */
	struct ctl_map *containers; /* id -> ctl_container */
	struct ctl_blobs *blobs;    /* shared parts of agent reports */
	struct bw_policy_set *set;
	struct bw_inventory *inv;     /* compile inputs only (no messages) */
	struct bw_compiler *compiler; /* per-container rule-set cache */
	struct ctl_metrics metrics;
	struct ctl_api *api;
	struct ctl_channel *chan;
	struct ctl_k8s *k8s; /* NULL unless kubernetes.enabled */
	struct event *ev_flush, *ev_compile, *ev_tick;
	int compile_scheduled;
	size_t n_dirty;
	uint64_t started_ns;
};

/* ---- state.c ---- */
int ctl_state_init(struct bw_controller *c);
void ctl_state_fini(struct bw_controller *c);
int ctl_state_replay(void *arg, char type, const char *key, const void *value, size_t vlen);
int ctl_state_dump(void *arg, struct bw_store_txn *t);
/* After replay: feed inventory and policy set. */
int ctl_state_load_done(struct bw_controller *c);
char *ctl_policy_key(enum bw_policy_kind kind, const char *ns, const char *name);
struct ctl_node *ctl_node_get_or_add(struct bw_controller *c, const char *name);
int ctl_node_record(const struct ctl_node *n, struct bw_store_txn *t);
/* A node record (ctl_node_record's JSON) replayed into c; 0 or negative errno. */
int ctl_node_load(struct bw_controller *c, const char *name, const char *json, size_t len);
/* Frees n and its strings; NULL is fine. */
void ctl_node_free(struct ctl_node *n);
void ctl_mark_dirty(struct bw_controller *c, struct ctl_node *n);
void ctl_mark_all_dirty(struct bw_controller *c);
/* Containers: set/remove the agent's view or the API overlay. */
int ctl_container_set_agent(struct bw_controller *c, struct ctl_node *n,
			    const Bulwark__V1__Container *m, struct bw_store_txn *t);
int ctl_container_remove_agent(struct bw_controller *c, const char *id, struct bw_store_txn *t);
/* The agent's report as packed Container bytes (less the id), in a new
 * buffer the caller frees; NULL when there is none or out of memory. */
unsigned char *ctl_container_agent(const struct ctl_container *ct, size_t *len);
/* Merged view (agent + overlay); caller frees with bulwark__v1__container__free_unpacked. */
Bulwark__V1__Container *ctl_container_merged(const struct ctl_container *ct);
int ctl_container_set_overlay(struct bw_controller *c, const char *id, const char *json,
			      struct bw_store_txn *t, char *err, size_t errlen);
int ctl_container_remove_overlay(struct bw_controller *c, const char *id, struct bw_store_txn *t);
void ctl_maybe_rewrite(struct bw_controller *c);
const char *ctl_node_state_name(enum ctl_node_state s);
const char *ctl_enforcer_name(int e);

/* ---- compile.c ---- */
void ctl_schedule_compile(struct bw_controller *c);
void ctl_compile_event(evutil_socket_t fd, short what, void *arg);
/* The PolicyUpdate envelope for a packed compiled policy at version, as
 * bw_wire_encode packs it.  *out is written only on success. */
int ctl_policy_update_msg(const struct bw_packed_policy *p, uint64_t version, nng_msg **out);
/* Compiles a node now with its current version (for GET .../policy). */
int ctl_compile_current(struct bw_controller *c, struct ctl_node *n,
			Bulwark__V1__CompiledPolicy **out);

/* ---- channel.c ---- */
int ctl_channel_new(struct bw_controller *c);
void ctl_channel_free(struct bw_controller *c);
const char *ctl_channel_url(const struct bw_controller *c);
/* Sends an encoded PolicyUpdate (owned from here on) to the node's pipe. */
int ctl_channel_push(struct bw_controller *c, struct ctl_node *n, nng_msg *msg, uint64_t version);
void ctl_channel_tick(struct bw_controller *c);

/* ---- k8s_mode.c ---- */
int ctl_k8s_new(struct bw_controller *c);
void ctl_k8s_free(struct bw_controller *c);
/* After a compile pass: policy statuses owed to the API server go out. */
void ctl_k8s_compiled(struct bw_controller *c);
/* Pushes a node's labels (the agent's, then the API server's) to the inventory. */
int ctl_node_sync_labels(struct bw_controller *c, struct ctl_node *n);

/* ---- api.c ---- */
int ctl_api_new(struct bw_controller *c);
void ctl_api_free(struct bw_controller *c);
int ctl_api_port(const struct bw_controller *c);

#endif
