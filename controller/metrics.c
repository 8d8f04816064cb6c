/* SPDX-License-Identifier: Apache-2.0 */
#include "metrics.h"
#include "ctl.h"

#include <event2/buffer.h>
#include <malloc.h>

const double ctl_hist_bounds[CTL_HIST_BUCKETS] = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

void ctl_hist_observe(struct ctl_hist *h, double s)
{
	size_t i;

	for (i = 0; i < CTL_HIST_BUCKETS && s > ctl_hist_bounds[i]; i++)
		;
	h->counts[i]++;
	h->count++;
	h->sum += s;
}

static void counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
			    (unsigned long long)v);
}

static void gauge(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %llu\n", name, help, name, name,
			    (unsigned long long)v);
}

void ctl_metrics_render(struct bw_controller *c, struct evbuffer *b)
{
	const struct ctl_metrics *m = &c->metrics;
	uint64_t ready = 0, notready = 0, unknown = 0, cum = 0;
	struct bw_store_stats st;
	struct ctl_node *n;
	size_t it = 0;

	while (ctl_map_next(c->nodes, &it, NULL, (void **)&n)) {
		if (n->state == NODE_READY)
			ready++;
		else if (n->state == NODE_NOT_READY)
			notready++;
		else
			unknown++;
	}
	gauge(b, "bulwark_controller_policies", "Policies stored.", ctl_map_count(c->policies));
	evbuffer_add_printf(b,
			    "# HELP bulwark_controller_nodes Nodes by state.\n"
			    "# TYPE bulwark_controller_nodes gauge\n"
			    "bulwark_controller_nodes{state=\"Ready\"} %llu\n"
			    "bulwark_controller_nodes{state=\"NotReady\"} %llu\n"
			    "bulwark_controller_nodes{state=\"Unknown\"} %llu\n",
			    (unsigned long long)ready, (unsigned long long)notready,
			    (unsigned long long)unknown);
	gauge(b, "bulwark_controller_containers", "Containers known.",
	      ctl_map_count(c->containers));
	counter(b, "bulwark_controller_http_requests_total", "Admin API requests.",
		m->http_requests);
	evbuffer_add_printf(b,
			    "# HELP bulwark_controller_http_errors_total Admin API error replies.\n"
			    "# TYPE bulwark_controller_http_errors_total counter\n"
			    "bulwark_controller_http_errors_total{class=\"4xx\"} %llu\n"
			    "bulwark_controller_http_errors_total{class=\"5xx\"} %llu\n",
			    (unsigned long long)m->http_errors_4xx,
			    (unsigned long long)m->http_errors_5xx);
	counter(b, "bulwark_controller_http_unauthorized_total",
		"Admin API requests refused for a missing or wrong token.", m->http_unauthorized);
	counter(b, "bulwark_controller_policy_pushes_total", "Compiled policies sent to agents.",
		m->pushes);
	counter(b, "bulwark_controller_policy_push_bytes_total", "Bytes of compiled policy sent.",
		m->push_bytes);
	counter(b, "bulwark_controller_policy_push_failures_total",
		"Compiled policies that could not be queued.", m->push_failures);
	counter(b, "bulwark_controller_policy_resends_total",
		"Compiled policies sent again because the agent was behind.", m->resends);
	counter(b, "bulwark_controller_policy_acks_total", "Policy acknowledgements.", m->acks);
	counter(b, "bulwark_controller_policy_ack_failures_total",
		"Acknowledgements saying the agent could not apply the policy.", m->ack_failures);
	counter(b, "bulwark_controller_policy_stale_acks_total",
		"Acknowledgements of versions older than the latest.", m->stale_acks);
	counter(b, "bulwark_controller_compiles_total", "Per-node compilations.", m->compiles);
	counter(b, "bulwark_controller_compile_unchanged_total",
		"Compilations whose result equalled the node's current policy.",
		m->compile_unchanged);
	counter(b, "bulwark_controller_compile_errors_total", "Failed compilations.",
		m->compile_errors);
	counter(b, "bulwark_controller_agent_messages_total", "Messages from agents.",
		m->agent_msgs);
	counter(b, "bulwark_controller_agent_bad_messages_total",
		"Messages from agents that were rejected.", m->agent_bad_msgs);
	counter(b, "bulwark_controller_agent_registrations_total", "Agent registrations.",
		m->registers);
	counter(b, "bulwark_controller_agent_disconnects_total", "Agent connections lost.",
		m->disconnects);
	bw_store_get_stats(c->store, &st);
	counter(b, "bulwark_controller_store_commits_total", "Store transactions.", st.commits);
	counter(b, "bulwark_controller_store_syncs_total", "Store fdatasync calls.", st.syncs);
	counter(b, "bulwark_controller_store_rewrites_total", "Snapshot rewrites.", st.rewrites);
	counter(b, "bulwark_controller_store_errors_total", "Failed store writes.",
		m->store_errors);
	{
		struct mallinfo2 mi = mallinfo2();

		gauge(b, "bulwark_controller_heap_bytes",
		      "Bytes the allocator has handed out (main arena and others).",
		      (uint64_t)mi.uordblks + (uint64_t)mi.hblkhd);
	}
	gauge(b, "bulwark_controller_store_wal_bytes", "Bytes in the write-ahead log.",
	      bw_store_wal_bytes(c->store));

	evbuffer_add_printf(b, "# HELP bulwark_controller_push_to_ack_seconds Time from sending a "
			       "node its compiled policy to its acknowledgement.\n"
			       "# TYPE bulwark_controller_push_to_ack_seconds histogram\n");
	for (size_t i = 0; i <= CTL_HIST_BUCKETS; i++) {
		cum += m->push_to_ack.counts[i];
		if (i < CTL_HIST_BUCKETS)
			evbuffer_add_printf(
			    b,
			    "bulwark_controller_push_to_ack_seconds_bucket{le=\"%g\"} "
			    "%llu\n",
			    ctl_hist_bounds[i], (unsigned long long)cum);
		else
			evbuffer_add_printf(
			    b,
			    "bulwark_controller_push_to_ack_seconds_bucket{le=\"+Inf\"}"
			    " %llu\n",
			    (unsigned long long)cum);
	}
	evbuffer_add_printf(b, "bulwark_controller_push_to_ack_seconds_sum %.6f\n",
			    m->push_to_ack.sum);
	evbuffer_add_printf(b, "bulwark_controller_push_to_ack_seconds_count %llu\n",
			    (unsigned long long)m->push_to_ack.count);
}
