/* SPDX-License-Identifier: Apache-2.0 */
/* Pieces of bw_k8s shared between its files; not a public interface. */
#ifndef BW_K8S_INTERNAL_H
#define BW_K8S_INTERNAL_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "bw_k8s.h"

/* --- HTTP requests to the API server (k8s_http.c) ------------------------ */

struct k8s_client;
struct k8s_req;

/*
 * Body data as it arrives (watch streams): the callback takes what it wants
 * out of data (anything left stays for the next call).  Returning non-zero
 * aborts the request; done is then called with status -1.
 */
typedef int (*k8s_chunk_fn)(void *arg, struct evbuffer *data);
/*
 * The request ended: status is the HTTP status, 0 when the connection
 * failed, -1 when aborted by the chunk callback.  body holds the response
 * body when no chunk callback was given (NULL otherwise or on failure).
 * The request is gone when done returns.
 */
typedef void (*k8s_done_fn)(void *arg, int status, struct evbuffer *body);

int k8s_client_new(struct k8s_client **out, struct event_base *base, const char *server,
		   const char *token_path, const char *ca_path, char *err, size_t errlen);
void k8s_client_free(struct k8s_client *c);

/*
 * Sends one request on a fresh connection.  timeout_s bounds any single
 * wait (connect, headers, a gap in a stream).  max_body bounds a buffered
 * body (ignored with a chunk callback).  *out (may be NULL) lets the
 * caller cancel; it becomes invalid when done has been called.
 */
int k8s_request(struct k8s_client *c, enum evhttp_cmd_type method, const char *uri,
		const char *content_type, const char *body, int timeout_s, size_t max_body,
		k8s_chunk_fn chunk, k8s_done_fn done, void *arg, struct k8s_req **out);
/*
 * No callback runs for r afterwards; frees it now.  Not from inside r's own
 * callbacks.  Accepts NULL.
 */
void k8s_request_cancel(struct k8s_req *r);

/* --- objects to callbacks (k8s_objects.c) -------------------------------- */

/* Where each resource lives on the API server. */
struct k8s_resource_info {
	const char *kind;
	const char *path;	/* list/watch path across all namespaces */
	const char *plural;	/* for per-object paths */
	const char *group_path; /* "/apis/security.kubearmor.com/v1" or "/api/v1" */
	int namespaced;
};
const struct k8s_resource_info *k8s_resource(enum bw_k8s_resource r);

/* "ns/name" or "name" into key; -ENAMETOOLONG or -EINVAL (no name). */
int k8s_object_key(const cJSON *obj, char *key, size_t len, const char **rv);

/* Calls the upsert callback of r for obj. */
void k8s_dispatch_upsert(const struct bw_k8s_callbacks *cb, enum bw_k8s_resource r,
			 const cJSON *obj);
/* Calls the delete callback of r for the object whose key is "ns/name" or "name". */
void k8s_dispatch_delete(const struct bw_k8s_callbacks *cb, enum bw_k8s_resource r,
			 const char *key);

/* "k=v,k=v" sorted by key from a JSON object of strings; caller frees. */
char *k8s_labels_string(const cJSON *labels);

#endif
