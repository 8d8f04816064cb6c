/* SPDX-License-Identifier: Apache-2.0 */
/* API objects to callback arguments: keys, labels, container ids, postures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bw_log.h"
#include "k8s_internal.h"

#define KA "/apis/security.kubearmor.com/v1"

static const struct k8s_resource_info resources[BW_K8S_NR_RESOURCES] = {
    [BW_K8S_POLICY] = {"KubeArmorPolicy", KA "/kubearmorpolicies", "kubearmorpolicies", KA, 1},
    [BW_K8S_HOST_POLICY] = {"KubeArmorHostPolicy", KA "/kubearmorhostpolicies",
			    "kubearmorhostpolicies", KA, 0},
    [BW_K8S_CLUSTER_POLICY] = {"KubeArmorClusterPolicy", KA "/kubearmorclusterpolicies",
			       "kubearmorclusterpolicies", KA, 0},
    [BW_K8S_POD] = {"Pod", "/api/v1/pods", "pods", "/api/v1", 1},
    [BW_K8S_NAMESPACE] = {"Namespace", "/api/v1/namespaces", "namespaces", "/api/v1", 0},
    [BW_K8S_NODE] = {"Node", "/api/v1/nodes", "nodes", "/api/v1", 0},
};

const struct k8s_resource_info *k8s_resource(enum bw_k8s_resource r)
{
	if ((unsigned)r >= BW_K8S_NR_RESOURCES)
		return NULL;
	return &resources[r];
}

const char *bw_k8s_resource_kind(enum bw_k8s_resource r)
{
	const struct k8s_resource_info *info = k8s_resource(r);

	return info ? info->kind : NULL;
}

static const char *str_at(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int k8s_object_key(const cJSON *obj, char *key, size_t len, const char **rv)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *name = str_at(meta, "name");
	const char *ns = str_at(meta, "namespace");
	int n;

	if (rv)
		*rv = str_at(meta, "resourceVersion");
	if (!name || !*name || strchr(name, '/') || (ns && strchr(ns, '/')))
		return -EINVAL;
	n = (ns && *ns) ? snprintf(key, len, "%s/%s", ns, name) : snprintf(key, len, "%s", name);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *k8s_labels_string(const cJSON *labels)
{
	const cJSON *it;
	const char **pairs = NULL;
	size_t n = 0, total = 1, i;
	char *out = NULL, *p;

	cJSON_ArrayForEach(it, labels) n++;
	if (n) {
		pairs = calloc(n, sizeof(*pairs));
		if (!pairs)
			return NULL;
	}
	n = 0;
	cJSON_ArrayForEach(it, labels)
	{
		/* Only string values are labels; anything else is not ours to invent. */
		if (!it->string || !cJSON_IsString(it))
			continue;
		pairs[n++] = it->string;
		total += strlen(it->string) + strlen(it->valuestring) + 2;
	}
	if (n)
		qsort(pairs, n, sizeof(*pairs), cmp_str);
	out = malloc(total);
	if (!out)
		goto cleanup;
	p = out;
	*p = '\0';
	for (i = 0; i < n; i++) {
		const char *v = cJSON_GetObjectItemCaseSensitive(labels, pairs[i])->valuestring;

		p += sprintf(p, "%s%s=%s", i ? "," : "", pairs[i], v);
	}
cleanup:
	free(pairs);
	return out;
}

/* "containerd://abc" -> "abc"; ids without a scheme are kept whole. */
static const char *strip_runtime(const char *id)
{
	const char *s = strstr(id, "://");

	return s ? s + 3 : id;
}

static void add_statuses(const cJSON *list, const char **ids, const char **names, size_t *n,
			 size_t cap)
{
	const cJSON *st;

	cJSON_ArrayForEach(st, list)
	{
		const char *id = str_at(st, "containerID");
		const char *name = str_at(st, "name");

		if (!id || !*id || *n >= cap)
			continue;
		ids[*n] = strip_runtime(id);
		names[*n] = name ? name : "";
		(*n)++;
	}
}

static void pod_upsert(const struct bw_k8s_callbacks *cb, const cJSON *obj)
{
	static const char *const lists[] = {"initContainerStatuses", "containerStatuses",
					    "ephemeralContainerStatuses"};
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(obj, "status");
	struct bw_k8s_pod pod = {0};
	const char **ids = NULL, **names = NULL;
	size_t cap = 0, i;
	char *labels;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		cap +=
		    (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(status, lists[i]));
	labels = k8s_labels_string(cJSON_GetObjectItemCaseSensitive(meta, "labels"));
	if (cap) {
		ids = calloc(cap, sizeof(*ids));
		names = calloc(cap, sizeof(*names));
	}
	if (!labels || (cap && (!ids || !names))) {
		bw_error("out of memory handling a pod | name=%s", str_at(meta, "name"));
		goto cleanup;
	}
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		add_statuses(cJSON_GetObjectItemCaseSensitive(status, lists[i]), ids, names,
			     &pod.n_containers, cap);
	pod.ns = str_at(meta, "namespace");
	pod.name = str_at(meta, "name");
	pod.node = str_at(spec, "nodeName");
	pod.phase = str_at(status, "phase");
	if (!pod.ns)
		pod.ns = "default";
	if (!pod.node)
		pod.node = "";
	if (!pod.phase)
		pod.phase = "";
	pod.labels = labels;
	pod.container_ids = ids;
	pod.container_names = names;
	cb->pod_upsert(cb->arg, &pod);
cleanup:
	free(ids);
	free(names);
	free(labels);
}

static void namespace_upsert(const struct bw_k8s_callbacks *cb, const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");
	struct bw_k8s_namespace ns = {0};
	char *labels = k8s_labels_string(cJSON_GetObjectItemCaseSensitive(meta, "labels"));

	if (!labels) {
		bw_error("out of memory handling a namespace | name=%s", str_at(meta, "name"));
		return;
	}
	ns.name = str_at(meta, "name");
	ns.labels = labels;
	ns.file_posture = str_at(ann, "kubearmor-file-posture");
	ns.network_posture = str_at(ann, "kubearmor-network-posture");
	ns.capabilities_posture = str_at(ann, "kubearmor-capabilities-posture");
	ns.visibility = str_at(ann, "kubearmor-visibility");
	cb->namespace_upsert(cb->arg, &ns);
	free(labels);
}

static void node_upsert(const struct bw_k8s_callbacks *cb, const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	char *labels = k8s_labels_string(cJSON_GetObjectItemCaseSensitive(meta, "labels"));

	if (!labels) {
		bw_error("out of memory handling a node | name=%s", str_at(meta, "name"));
		return;
	}
	cb->node_upsert(cb->arg, str_at(meta, "name"), labels);
	free(labels);
}

static void policy_upsert(const struct bw_k8s_callbacks *cb, enum bw_k8s_resource r,
			  const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const char *ns = str_at(meta, "namespace");
	cJSON *copy = cJSON_Duplicate(obj, 1);
	cJSON *cmeta = cJSON_GetObjectItemCaseSensitive(copy, "metadata");
	char *json;

	/*
	 * Server bookkeeping is not policy: managedFields and kubectl's
	 * last-applied copy would double what the controller stores.
	 */
	cJSON_DeleteItemFromObjectCaseSensitive(cmeta, "managedFields");
	cJSON_DeleteItemFromObjectCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cmeta, "annotations"),
	    "kubectl.kubernetes.io/last-applied-configuration");
	json = copy ? cJSON_PrintUnformatted(copy) : NULL;
	cJSON_Delete(copy);
	if (!json) {
		bw_error("out of memory handling a policy | name=%s", str_at(meta, "name"));
		return;
	}
	if (r != BW_K8S_POLICY)
		ns = "";
	else if (!ns || !*ns)
		ns = "default";
	cb->policy_upsert(cb->arg, r, ns, str_at(meta, "name"), json);
	cJSON_free(json);
}

void k8s_dispatch_upsert(const struct bw_k8s_callbacks *cb, enum bw_k8s_resource r,
			 const cJSON *obj)
{
	switch (r) {
	case BW_K8S_POLICY:
	case BW_K8S_HOST_POLICY:
	case BW_K8S_CLUSTER_POLICY:
		if (cb->policy_upsert)
			policy_upsert(cb, r, obj);
		break;
	case BW_K8S_POD:
		if (cb->pod_upsert)
			pod_upsert(cb, obj);
		break;
	case BW_K8S_NAMESPACE:
		if (cb->namespace_upsert)
			namespace_upsert(cb, obj);
		break;
	case BW_K8S_NODE:
		if (cb->node_upsert)
			node_upsert(cb, obj);
		break;
	default:
		break;
	}
}

void k8s_dispatch_delete(const struct bw_k8s_callbacks *cb, enum bw_k8s_resource r, const char *key)
{
	const char *slash = strchr(key, '/');
	char ns[256] = "";
	const char *name = key;

	if (slash) {
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - key), key);
		name = slash + 1;
	}
	switch (r) {
	case BW_K8S_POLICY:
	case BW_K8S_HOST_POLICY:
	case BW_K8S_CLUSTER_POLICY:
		if (cb->policy_delete)
			cb->policy_delete(cb->arg, r, ns, name);
		break;
	case BW_K8S_POD:
		if (cb->pod_delete)
			cb->pod_delete(cb->arg, ns, name);
		break;
	case BW_K8S_NAMESPACE:
		if (cb->namespace_delete)
			cb->namespace_delete(cb->arg, name);
		break;
	case BW_K8S_NODE:
		if (cb->node_delete)
			cb->node_delete(cb->arg, name);
		break;
	default:
		break;
	}
}
