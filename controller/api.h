/* SPDX-License-Identifier: Apache-2.0 */
/* Internal: the admin API's request helpers shared by api.c and api_handlers.c. */
#ifndef BW_CTL_API_H
#define BW_CTL_API_H

#include <cjson/cJSON.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <sys/queue.h>

#include "ctl.h"

#define API_MAX_SEGS 8

struct api_req {
	struct bw_controller *c;
	struct evhttp_request *req;
	enum evhttp_cmd_type method;
	char *segs[API_MAX_SEGS]; /* decoded path segments */
	int nsegs;
	struct evkeyvalq query;
	char *body; /* NUL-terminated copy; NULL when empty */
	size_t body_len;
};

/* Replies with {"error":{"code":..,"message":..,"details":[..]}}; details may be NULL. */
void api_error(struct api_req *r, int code, const char *message, cJSON *details);
void api_errorf(struct api_req *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Replies with the JSON text of obj (deleted here). */
void api_json(struct api_req *r, int code, cJSON *obj);
/* 405 with an Allow header. */
void api_method_not_allowed(struct api_req *r, const char *allow);
const char *api_query(struct api_req *r, const char *key);

void api_policies(struct api_req *r);
void api_policy_one(struct api_req *r);
void api_posture(struct api_req *r);
void api_nodes(struct api_req *r);
void api_node_one(struct api_req *r);
void api_node_policy(struct api_req *r);
void api_containers(struct api_req *r);
void api_status(struct api_req *r);

#endif
