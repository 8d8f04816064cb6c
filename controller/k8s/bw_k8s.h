/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Kubernetes mode for the controller: follows the API server with the
 * list/watch protocol and reports what changed through callbacks.
 *
 * Followed resources: the three KubeArmor policy CRDs
 * (security.kubearmor.com/v1), pods (labels and container ids), namespaces
 * (posture annotations) and nodes (labels).  Per resource the library lists
 * (paginated), then watches from the list's resourceVersion with bookmarks;
 * a watch the server ends is resumed from the last version seen; an
 * expired version (410 Gone, as an HTTP status or an ERROR event) or a
 * broken stream leads to a fresh list, and objects that vanished meanwhile
 * are reported deleted, so the caller's view converges whatever was missed.
 * Failures are retried with exponential backoff; nothing here is fatal.
 *
 * Credentials follow in-cluster conventions: the service-account token is
 * re-read from its file for every request (kubelet rotates it), the CA
 * from ca.crt, the server from KUBERNETES_SERVICE_HOST/PORT.
 *
 * Everything runs on the caller's event_base; callbacks are called from it.
 * Strings handed to callbacks are borrowed for the duration of the call.
 */
#ifndef BW_K8S_H
#define BW_K8S_H

#include <stddef.h>
#include <event2/event.h>

enum bw_k8s_resource {
	BW_K8S_POLICY = 0,	   /* KubeArmorPolicy (namespaced) */
	BW_K8S_HOST_POLICY = 1,	   /* KubeArmorHostPolicy (cluster) */
	BW_K8S_CLUSTER_POLICY = 2, /* KubeArmorClusterPolicy (cluster) */
	BW_K8S_POD = 3,
	BW_K8S_NAMESPACE = 4,
	BW_K8S_NODE = 5,
	BW_K8S_NR_RESOURCES = 6,
};

#define BW_K8S_ALL ((1u << BW_K8S_NR_RESOURCES) - 1)

/* "KubeArmorPolicy", "Pod", ...; NULL for an unknown value. */
const char *bw_k8s_resource_kind(enum bw_k8s_resource r);

struct bw_k8s_pod {
	const char *ns;
	const char *name;
	const char *node;   /* spec.nodeName; "" while unscheduled */
	const char *phase;  /* status.phase; "" when absent */
	const char *labels; /* "k=v,k=v" sorted by key; "" when none */
	/*
	 * Running or known containers (init, regular and ephemeral) whose
	 * status carries an id; ids without the "containerd://" style prefix.
	 */
	size_t n_containers;
	const char *const *container_ids;
	const char *const *container_names;
};

struct bw_k8s_namespace {
	const char *name;
	const char *labels; /* "k=v,k=v" sorted by key; "" when none */
	/* KubeArmor's annotations, NULL when absent:
	 * kubearmor-file-posture, kubearmor-network-posture,
	 * kubearmor-capabilities-posture ("audit" or "block"),
	 * kubearmor-visibility ("process,file,network,capabilities" or "none"). */
	const char *file_posture;
	const char *network_posture;
	const char *capabilities_posture;
	const char *visibility;
};

struct bw_k8s_callbacks {
	/*
	 * A policy was added or changed.  json is the object as the API server
	 * returned it (JSON, which YAML parsers accept) less metadata's
	 * managedFields and kubectl's last-applied-configuration annotation;
	 * ns is "" for cluster-scoped kinds.
	 */
	void (*policy_upsert)(void *arg, enum bw_k8s_resource r, const char *ns, const char *name,
			      const char *json);
	void (*policy_delete)(void *arg, enum bw_k8s_resource r, const char *ns, const char *name);
	void (*pod_upsert)(void *arg, const struct bw_k8s_pod *pod);
	void (*pod_delete)(void *arg, const char *ns, const char *name);
	void (*namespace_upsert)(void *arg, const struct bw_k8s_namespace *ns);
	void (*namespace_delete)(void *arg, const char *name);
	/* labels "k=v,k=v" sorted by key. */
	void (*node_upsert)(void *arg, const char *name, const char *labels);
	void (*node_delete)(void *arg, const char *name);
	/*
	 * A list of r completed and was reconciled: the caller's view of r is
	 * whole.  After the first one, whatever the caller kept of r from an
	 * earlier run and was not reported since is gone from the cluster.
	 */
	void (*synced)(void *arg, enum bw_k8s_resource r);
	void *arg;
};

struct bw_k8s_config {
	/*
	 * "https://HOST:PORT" or "http://HOST:PORT" (tests, kubectl proxy).
	 * NULL: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT.
	 */
	const char *server;
	/* NULL: /var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt}.
	 * A missing token file sends no Authorization header (kubectl proxy). */
	const char *token_path;
	const char *ca_path;
	unsigned resources;	  /* bit per enum bw_k8s_resource; 0 means BW_K8S_ALL */
	int watch_timeout_s;	  /* server-side watch timeout; 0: 300 */
	int page_size;		  /* list page size; 0: 500 */
	long long backoff_min_ms; /* first retry delay; 0: 500 */
	long long backoff_max_ms; /* delay cap; 0: 30000 */
	size_t max_object_bytes;  /* largest list page or watch event; 0: 64 MiB */
};

struct bw_k8s;

/*
 * Starts following the API server.  cfg and cb are copied; base must
 * outlive the object.  Returns 0, -EINVAL (bad server URL, or https
 * without TLS support compiled in; err says which), -ENOENT (no server
 * given and not in a cluster) or -ENOMEM.  *out is written only on success.
 */
int bw_k8s_new(struct bw_k8s **out, struct event_base *base, const struct bw_k8s_config *cfg,
	       const struct bw_k8s_callbacks *cb, char *err, size_t errlen);

/*
 * Stops every request; no callback runs after it.  Not from inside one of
 * this object's callbacks.  Accepts NULL.
 */
void bw_k8s_free(struct bw_k8s *k);

/* 1 once every followed resource completed its first list. */
int bw_k8s_synced(const struct bw_k8s *k);

/*
 * Writes a policy's status (status.status = text, e.g. "OK" or why it was
 * rejected) with a merge patch on the status subresource.  Asynchronous:
 * done (may be NULL) is called with 0 or a negative errno (-EIO with the
 * HTTP status in *http_status).  Returns 0 or -EINVAL (not a policy kind).
 */
int bw_k8s_set_policy_status(struct bw_k8s *k, enum bw_k8s_resource r, const char *ns,
			     const char *name, const char *text,
			     void (*done)(void *arg, int rc, int http_status), void *arg);

/* Counters for logs and tests. */
struct bw_k8s_stats {
	unsigned long long lists;   /* list requests sent (each page counts) */
	unsigned long long watches; /* watch requests sent */
	unsigned long long events;  /* watch events applied */
	unsigned long long expired; /* 410 Gone: resourceVersion too old */
	unsigned long long errors;  /* failed requests and bad responses */
};
void bw_k8s_get_stats(const struct bw_k8s *k, struct bw_k8s_stats *out);

#endif
