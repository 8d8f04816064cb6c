/* SPDX-License-Identifier: Apache-2.0 */
/* Controller counters and the push-to-ack histogram, rendered for /metrics. */
#ifndef BW_CTL_METRICS_H
#define BW_CTL_METRICS_H

#include <stddef.h>
#include <stdint.h>

#define CTL_HIST_BUCKETS 14

struct ctl_hist {
	uint64_t counts[CTL_HIST_BUCKETS + 1]; /* last: +Inf */
	uint64_t count;
	double sum; /* seconds */
};

extern const double ctl_hist_bounds[CTL_HIST_BUCKETS]; /* seconds */

struct ctl_metrics {
	uint64_t http_requests, http_errors_4xx, http_errors_5xx, http_unauthorized;
	uint64_t pushes, push_bytes, push_failures, resends;
	uint64_t acks, ack_failures, stale_acks;
	uint64_t agent_msgs, agent_bad_msgs, registers, disconnects;
	uint64_t compiles, compile_errors, compile_unchanged;
	uint64_t store_errors;
	struct ctl_hist push_to_ack;
};

void ctl_hist_observe(struct ctl_hist *h, double seconds);

struct evbuffer;
struct bw_controller;
/* Appends the Prometheus text exposition of everything to buf. */
void ctl_metrics_render(struct bw_controller *c, struct evbuffer *buf);

#endif
